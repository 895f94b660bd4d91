/* Counting semaphores for one-thread loop runners: a counter and a FIFO of waiters
 * per semaphore. A post hands its unit straight to the oldest waiter and wakes it
 * from an idle watcher, so a wake never runs inside the caller's own step. */
#include "loopsem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define LOOPSEM_BATCH 256

struct loopsem_queue {
	struct loopsem_waiter *head, *tail; /* oldest first */
};

struct loopsem_sem {
	int count; /* units free to take */
	struct loopsem_queue waiters;
};

struct loopsem {
	struct ev_loop *loop;
	ev_idle wakeup;             /* active while `ready` holds someone */
	struct loopsem_queue ready; /* granted a unit, not yet woken */
	int waiting;                /* queued on some semaphore */
	loopsem_drain_fn drain;     /* wakes this turn's ready waiters */
	void *drain_ud;
	struct loopsem_waiter *turn_last; /* the last granted before this turn began */
	bool turn_old_done;               /* it has been woken */
	int turn_woken;

	int nsems;
	struct loopsem_sem sems[];
};

static void loopsem_push(struct loopsem_queue *q, struct loopsem_waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

static void loopsem_unlink(struct loopsem_queue *q, struct loopsem_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->next = w->prev = NULL;
}

struct loopsem_waiter *loopsem_ready(struct loopsem *ls)
{
	struct loopsem_waiter *w = ls->ready.head;
	if (!w || (ls->turn_old_done && ls->turn_woken >= LOOPSEM_BATCH))
		return NULL;
	loopsem_unlink(&ls->ready, w);
	ls->turn_old_done |= w == ls->turn_last;
	ls->turn_woken++;
	return w;
}

static void loopsem_wake_each(struct loopsem *ls, void *ud)
{
	(void)ud;
	struct loopsem_waiter *w;
	while ((w = loopsem_ready(ls)))
		w->wake(w, STEP_OK, w->ud);
}

/* Wakes those granted before this turn began, then those they grant in turn, up to
 * LOOPSEM_BATCH wakes a turn: a hand-off between two tasks costs a switch rather than
 * a trip through the loop's poll, and two tasks handing a unit back and forth still
 * cannot keep the loop's other watchers waiting for more than a batch. */
static void loopsem_wakeup_cb(struct ev_loop *loop, ev_idle *idle, int revents)
{
	(void)revents;
	struct loopsem *ls = idle->data;
	ls->turn_last = ls->ready.tail;
	ls->turn_old_done = false;
	ls->turn_woken = 0;
	ls->drain(ls, ls->drain_ud);
	if (!ls->ready.head)
		ev_idle_stop(loop, idle);
}

static void loopsem_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	struct loopsem *ls = t->data;
	struct loopsem_waiter *w =
		(struct loopsem_waiter *)((char *)t - offsetof(struct loopsem_waiter, timeout));
	loopsem_unlink(&ls->sems[w->sem].waiters, w);
	ls->waiting--;
	w->wake(w, STEP_ALT, w->ud);
}

int loopsem_open(struct loopsem **ls, struct ev_loop *loop, const struct sem_decl *decl, int n,
		 struct cb_err *err)
{
	struct loopsem *s = calloc(1, sizeof *s + sizeof s->sems[0] * (size_t)(n > 0 ? n : 0));
	if (!s)
		return cb_fail(err, CB_ELIMIT, "no memory for %d semaphores", n);
	s->loop = loop;
	s->nsems = n;
	s->drain = loopsem_wake_each;
	for (int i = 0; i < n; i++)
		s->sems[i].count = decl[i].init;
	ev_idle_init(&s->wakeup, loopsem_wakeup_cb);
	/* Idle watchers run only when nothing of higher priority is pending: at the
	 * top priority the wakes cannot starve behind a busy loop. */
	ev_set_priority(&s->wakeup, EV_MAXPRI);
	s->wakeup.data = s;
	*ls = s;
	return CB_OK;
}

int loopsem_wait(struct loopsem *ls, int sem, int64_t timeout_ns, struct loopsem_waiter *w)
{
	struct loopsem_sem *s = &ls->sems[sem];
	if (s->count > 0) {
		s->count--;
		return STEP_OK;
	}
	w->sem = sem;
	loopsem_push(&s->waiters, w);
	ls->waiting++;
	/* An untimed wait leaves the timer as it is, inactive (zeroed, or stopped or fired
	 * before): a hand-off pays for no watcher it does not use. */
	if (timeout_ns >= 0) {
		ev_timer_init(&w->timeout, loopsem_timeout_cb, (double)timeout_ns * 1e-9, 0);
		w->timeout.data = ls;
		/* The loop's cached time may be a long compute step old. */
		ev_now_update(ls->loop);
		ev_timer_start(ls->loop, &w->timeout);
	}
	return -1;
}

void loopsem_post(struct loopsem *ls, int sem)
{
	struct loopsem_sem *s = &ls->sems[sem];
	struct loopsem_waiter *w = s->waiters.head;
	if (!w) {
		s->count++;
		return;
	}
	loopsem_unlink(&s->waiters, w);
	ls->waiting--;
	/* A timeout that fired this turn is pending though no longer active: stopping it
	 * keeps its callback from running for a waiter already granted. */
	if (ev_is_active(&w->timeout) || ev_is_pending(&w->timeout))
		ev_timer_stop(ls->loop, &w->timeout);
	loopsem_push(&ls->ready, w);
	if (!ev_is_active(&ls->wakeup))
		ev_idle_start(ls->loop, &ls->wakeup);
}

void loopsem_set_drain(struct loopsem *ls, loopsem_drain_fn drain, void *ud)
{
	ls->drain = drain;
	ls->drain_ud = ud;
}

int loopsem_waiting(const struct loopsem *ls)
{
	return ls->waiting;
}

int loopsem_value(const struct loopsem *ls, int sem)
{
	return ls->sems[sem].count;
}

void loopsem_close(struct loopsem *ls)
{
	if (!ls)
		return;
	ev_idle_stop(ls->loop, &ls->wakeup);
	for (int i = 0; i < ls->nsems; i++)
		for (struct loopsem_waiter *w = ls->sems[i].waiters.head; w; w = w->next)
			ev_timer_stop(ls->loop, &w->timeout);
	free(ls);
}
