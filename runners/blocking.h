/* The step table of the blocking models (serial, threads, procs): each step is
 * carried out by the worker that runs the task, which simply blocks in it. */
#ifndef CB_BLOCKING_H
#define CB_BLOCKING_H

#include <stdatomic.h>
#include <stdbool.h>

#include "fetch.h"
#include "semset.h"
#include "task.h"

/* One worker's tools: a thread, a process, or the serial loop. */
struct blocking_worker {
	struct semset *sems;
	bool alone;       /* no other worker exists: a wait for ever cannot end */
	/* How the workers share the tasks, so a fetch knows whether its worker may take
	 * another (fetch_keep): `workers` of them take the `ntasks` tasks in order, and
	 * *next is the first task none has taken (it only grows). All three are set. */
	int workers, ntasks;
	const atomic_int *next;
	struct fetch_xfer xfer; /* its handle is made on the first fetch and kept, so its
				 * connection is reused */
};

/* Runs t from its first step to its end; t0 is the run's start for the times. */
void blocking_run_task(struct blocking_worker *w, const struct task *t,
		       struct task_result *r, double t0);
void blocking_worker_close(struct blocking_worker *w);
/* A run cut short: only tasks [0, taken) ever start (the rest never get a worker).
 * Orphans each semaphore none of them posts, so that a task waiting on one (a
 * ping-pong side whose partner never started) fails instead of waiting for ever. */
void blocking_orphan_unposted(struct semset *ss, const struct taskset *ts, int taken);

#endif
