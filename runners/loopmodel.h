/* What the two libev models (evloop, green) share: the loop with the run's semaphores
 * and curl multi handles on it, the count of tasks taken, a worker's fetch-and-wait
 * part; starting a fetch through curl_ev, failing the tasks that are left, and
 * releasing the loop. Each model keeps its own step walk and its own workers. */
#ifndef CB_LOOPMODEL_H
#define CB_LOOPMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "clock.h"
#include "loopclock.h"
#include "curl_ev.h"
#include "fetch.h"
#include "loopsem.h"
#include "loopsleep.h"
#include "runner.h"

struct loopmodel {
	const struct run_args *a;
	struct ev_loop *loop; /* a fresh one: its user data is the model's run */
	struct loopsem *sems;
	struct curl_ev *curl;    /* made on the first fetch */
	curl_ev_done_fn fetched; /* how a finished transfer reaches the model */
	void *ud;                /* the model's run, for fetched and ev_userdata */
	int workers;             /* W as the run has it (runner_workers) */
	int next;                /* the first task no worker has taken */
	struct loopclock clock;  /* the stamps' time */
	ev_prepare stale;        /* before the loop polls: the clock's time is old after */
	struct loopmodel_extra **extras; /* per worker, made on its first fetch or wait */
	int32_t *task_of;        /* W < N: the task worker i runs; NULL at W=0, where it is i */
};

/* A worker's step while it has no task. At W=0 worker i runs task i alone, so the
 * models' worker records hold no task index (at a million workers, 4 MB). */
enum { LOOPMODEL_IDLE = -1, LOOPMODEL_FRESH = -2 /* has not taken a task yet */ };

static inline int loopmodel_task(const struct loopmodel *m, int worker)
{
	return m->task_of ? m->task_of[worker] : worker;
}

/* Gives worker its next task (at W=0 its own, once), *pc set to its first step and
 * the task's start stamped; false when none is left (*pc LOOPMODEL_IDLE). */
bool loopmodel_take(struct loopmodel *m, int worker, int32_t *pc);

/* What only a worker that fetches or waits needs, made on its first fetch or wait. */
struct loopmodel_extra {
	struct loopsem_waiter w;
	struct fetch_xfer x;     /* the easy handle stays, so its connection is reused */
	CURLcode rc;             /* green: how its transfer ended */
	enum step_status st;     /* green: how its wait ended */
};

/* The loop (never the default one, which reaps the harness's children through
 * SIGCHLD) and the run's semaphores; fetched(x, rc, ud) hears of each transfer. On
 * an error too, m is released with loopmodel_cancel and loopmodel_close. */
int loopmodel_open(struct loopmodel *m, const struct run_args *a, curl_ev_done_fn fetched,
		   void *ud, struct cb_err *err);
/* Starts the fetch at step pc of t on x, whose handle (like the multi handle) is made
 * on first use; false when it could not start (the task fails as FAIL_SPAWN). */
bool loopmodel_fetch(struct loopmodel *m, struct fetch_xfer *x, const struct task *t, int pc);
/* The tasks no worker has taken end at now (clock_now()) as failed by why, never begun. */
void loopmodel_fail_untaken(struct loopmodel *m, enum task_fail why, double now);
/* Drops what still waits, unreported: the transfers in flight and the semaphores'
 * waiters. After it the workers' extras may be freed. */
void loopmodel_cancel(struct loopmodel *m);
/* Worker i's extra, made on first use with x.owner set to owner; NULL without memory. */
struct loopmodel_extra *loopmodel_extra_make(struct loopmodel *m, int i, void *owner);
static inline struct loopmodel_extra *loopmodel_extra(struct loopmodel *m, int i, void *owner)
{
	return m->extras && m->extras[i] ? m->extras[i] : loopmodel_extra_make(m, i, owner);
}
/* Frees the extras (their timers stopped, their handles cleaned up) and destroys the
 * loop; after loopmodel_cancel, and after the model stopped its own watchers. */
void loopmodel_close(struct loopmodel *m);

/* Task `task` ends at now (clock_now()), failed by why (FAIL_NONE: it did not). Inline:
 * evloop ends every task here. */
static inline void loopmodel_end(const struct loopmodel *m, int task, enum task_fail why,
				 double now)
{
	struct task_result *r = &m->a->res[task];
	r->end_s = (float)(now - m->a->t0);
	r->fail = (uint8_t)why;
	r->done = 1;
}

#endif
