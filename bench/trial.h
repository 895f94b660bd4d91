/* One timed trial, in a fresh child process of the driver.
 *
 * The child builds the tasks, starts the clock, runs them, stops the clock,
 * checks the results, ends every process the trial left (it is a subreaper, so
 * they are its children by then) and writes one fixed-size record to a pipe. The
 * parent waits for it (poll on the pipe and a pidfd, bounded by the timeout), reaps
 * it with wait4 for its CPU time, peak RSS, page faults and context switches, and
 * kills its whole process group if it overstays; the driver is a subreaper too and
 * ends what a killed or crashed child left. Should the driver die, the child ends
 * everything below it and itself. A crash or hang of one trial never takes the run
 * down, and nothing of a trial outlives its row. */
#ifndef CB_TRIAL_H
#define CB_TRIAL_H

#include <stdbool.h>

#include "err.h"
#include "plan.h"

struct trial_row {
	int cell, index;
	bool warmup;
	char outcome[24]; /* ok, failed, timeout (or the workload's name for it), crashed, limit, error */
	double wall_s;    /* the run alone, measured in the child (or a peer's own figure) */
	double trial_s;   /* fork to reap, as the driver saw it: includes the harness's cost */
	double user_s, sys_s;
	double cpu_s;     /* user + system CPU inside the run alone, with reaped workers */
	double cores;     /* cores the run kept busy: cpu_s over the run's wall time */
	long maxrss_kib, minflt, majflt, vcsw, ivcsw;
	int tasks_ok, tasks_failed;
	int fail[FAIL_REASONS];
	double task_p50_s, task_max_s; /* task latencies, start to end */
	double metric[WL_METRICS_MAX];
	char note[256];
};

/* The body of a child for trial_spawn: does its work, fills what it measured. */
struct trial_msg;
typedef void (*trial_body_fn)(void *arg, struct trial_msg *out);

/* Runs cell c once; fills row. CB_EINTR when the user stopped the run (the
 * child is killed and reaped; the row is not valid). */
int trial_run(const struct cell *c, double timeout_s, struct trial_row *row, struct cb_err *err);

/* Times fn(arg) in a trial child: *seconds is its wall time, measured inside. */
int trial_time_fn(int (*fn)(void *arg, struct cb_err *err), void *arg, double timeout_s,
		  double *seconds, long *maxrss_kib, struct cb_err *err);

/* Async-signal-safe: makes the trial under way stop and trial_run return CB_EINTR. */
void trial_request_stop(void);
bool trial_stop_requested(void);

#endif
