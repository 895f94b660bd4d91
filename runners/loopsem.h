/* Counting semaphores for one-thread loop runners (evloop, green): a counter and a
 * FIFO of waiters per semaphore. No locks: everything runs on the loop's thread. */
#ifndef CB_LOOPSEM_H
#define CB_LOOPSEM_H

#include <stdint.h>

#include <ev.h>

#include "err.h"
#include "task.h"

struct loopsem;

/* One waiting task; embedded in the runner's per-task or per-coroutine struct. */
struct loopsem_waiter {
	struct loopsem_waiter *next, *prev; /* in its semaphore's queue, or the ready list */
	ev_timer timeout;                   /* armed only for a timed wait; zeroed at first */
	int sem;
	/* STEP_OK: the unit is the waiter's; STEP_ALT: timed out. Called from the loop. */
	void (*wake)(struct loopsem_waiter *w, enum step_status st, void *ud);
	void *ud;
};

int loopsem_open(struct loopsem **ls, struct ev_loop *loop, const struct sem_decl *decl, int n,
		 struct cb_err *err);
/* STEP_OK: taken at once (w untouched). Otherwise -1 (pending): w is queued (FIFO),
 * its timeout armed if timeout_ns >= 0, and w->wake is called later from the loop,
 * never from inside loopsem_wait or loopsem_post. w->wake and w->ud must be set, and w
 * zeroed before its first wait. */
int loopsem_wait(struct loopsem *ls, int sem, int64_t timeout_ns, struct loopsem_waiter *w);
/* Gives one unit back; if someone waits, the first waiter gets it, woken through the loop. */
void loopsem_post(struct loopsem *ls, int sem);
/* The waiters granted a unit are woken from an idle watcher, by default each through
 * its w->wake. A runner may wake them itself instead: drain is called once a turn and
 * takes each from loopsem_ready (NULL: none left this turn) and wakes it as if by
 * w->wake(w, STEP_OK, w->ud) -- from its own loop, so a runner that switches stacks
 * makes its jumps from one frame (timeouts still come through w->wake). */
typedef void (*loopsem_drain_fn)(struct loopsem *ls, void *ud);
void loopsem_set_drain(struct loopsem *ls, loopsem_drain_fn drain, void *ud);
struct loopsem_waiter *loopsem_ready(struct loopsem *ls);
/* Waiters still queued (to fail them as FAIL_BLOCKED when the loop ends). */
int loopsem_waiting(const struct loopsem *ls);
/* The current count of a semaphore, for tests. */
int loopsem_value(const struct loopsem *ls, int sem);
/* Stops every watcher it armed; queued waiters are dropped without a wake. */
void loopsem_close(struct loopsem *ls);

#endif
