/* evloop: one libev loop on one thread. At most W tasks are in flight, each in a
 * small slot that walks its task's steps: compute runs in the loop (and blocks it),
 * sleep waits on a timer, fetch goes through curl_ev, wait/post through loopsem. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ev.h>

#include "clock.h"
#include "loopmodel.h"
#include "runner.h"

struct evloop_run;

/* One task in flight; with W limited a slot runs task after task. Small on purpose:
 * at W=0 there is one per task, and every fresh page costs microseconds; its task is
 * loopmodel_task's. */
struct evloop_slot {
	struct loopsleeper sl; /* its sleep's deadline and link */
	int32_t pc;            /* the step its task is at; LOOPMODEL_IDLE, _FRESH: none */
};

struct evloop_run {
	struct loopmodel m; /* the loop, semaphores, curl, the run's args, the next task, the clock */
	struct loopsleep *sleeps;
	struct evloop_slot *slots;
	int nslots;
};

static int evloop_task(const struct evloop_run *run, const struct evloop_slot *s)
{
	return loopmodel_task(&run->m, (int)(s - run->slots));
}

static void evloop_go(struct evloop_run *run, struct evloop_slot *s);

static bool evloop_take(struct evloop_run *run, struct evloop_slot *s)
{
	return loopmodel_take(&run->m, (int)(s - run->slots), &s->pc);
}

/* Moves s past a step of its task (*task, *t) that ended with st; a finished task
 * makes room for the next, and *task, *t become it. Returns whether s has a step to
 * carry out. */
static bool evloop_after(struct evloop_run *run, struct evloop_slot *s, int *task,
			 const struct task **t, enum step_status st, enum task_fail why)
{
	int next = task_next(*t, s->pc, st);
	if (next >= 0) {
		s->pc = next;
		return true;
	}
	s->pc = LOOPMODEL_IDLE;
	loopmodel_end(&run->m, *task, next == TASK_FAILED ? why : FAIL_NONE,
		      loopclock_stamp(&run->m.clock));
	if (!evloop_take(run, s))
		return false;
	*task = evloop_task(run, s);
	*t = taskset_task(run->m.a->ts, *task);
	return true;
}

/* Where an event hands a slot back: its step ended with st. */
static void evloop_resume(struct evloop_run *run, struct evloop_slot *s, enum step_status st,
			  enum task_fail why)
{
	int task = evloop_task(run, s);
	const struct task *t = taskset_task(run->m.a->ts, task);
	if (evloop_after(run, s, &task, &t, st, why))
		evloop_go(run, s);
}

static void evloop_slept(void *ud, int32_t who)
{
	struct evloop_run *run = ud;
	evloop_resume(run, &run->slots[who], STEP_OK, FAIL_NONE);
}

static void evloop_fetched(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	struct evloop_run *run = ud;
	enum task_fail why = FAIL_NONE;
	enum step_status st = fetch_verdict(x, rc, &why);
	loopclock_stale(&run->m.clock); /* curl's work since the last read is not bookkeeping */
	evloop_resume(run, x->owner, st, why);
}

/* Starts the transfer; false when it could not (the task fails as FAIL_SPAWN). */
static bool evloop_fetch(struct evloop_run *run, struct evloop_slot *s, const struct task *t)
{
	struct loopmodel_extra *e = loopmodel_extra(&run->m, (int)(s - run->slots), s);
	bool ok = e && loopmodel_fetch(&run->m, &e->x, t, s->pc);
	loopclock_stale(&run->m.clock);
	return ok;
}

static void evloop_wake(struct loopsem_waiter *w, enum step_status st, void *ud)
{
	struct loopmodel_extra *e =
		(struct loopmodel_extra *)((char *)w - offsetof(struct loopmodel_extra, w));
	evloop_resume(ud, e->x.owner, st, FAIL_NONE);
}

/* -1: the slot waits; otherwise the status its wait ended with at once. */
static int evloop_wait(struct evloop_run *run, struct evloop_slot *s, const struct step *step)
{
	struct loopmodel_extra *e = loopmodel_extra(&run->m, (int)(s - run->slots), s);
	if (!e)
		return STEP_FAIL;
	e->w.wake = evloop_wake;
	e->w.ud = run;
	return loopsem_wait(run->m.sems, step->wait.sem, step->wait.timeout_ns, &e->w);
}

/* Carries out s's steps until one has to wait for the loop (or no task is left). */
static void evloop_go(struct evloop_run *run, struct evloop_slot *s)
{
	/* Read once a task, not once a step: a compute step could change what the
	 * compiler must otherwise reload. */
	int task = evloop_task(run, s);
	const struct task *t = taskset_task(run->m.a->ts, task);
	for (;;) {
		const struct step *step = &t->steps[s->pc];
		enum task_fail why = FAIL_SPAWN;
		enum step_status st = STEP_FAIL;
		int w;
		switch (step->kind) {
		case STEP_COMPUTE:
			st = step->compute.fn(t->state, step->compute.arg);
			loopclock_stale(&run->m.clock);
			why = FAIL_CHECK;
			break;
		case STEP_SLEEP:
			if (loopsleep_add(run->sleeps, (int32_t)(s - run->slots), step->sleep.ns,
					  loopclock_stamp(&run->m.clock)) == CB_OK)
				return;
			break;
		case STEP_FETCH:
			if (evloop_fetch(run, s, t))
				return;
			break;
		case STEP_WAIT:
			if ((w = evloop_wait(run, s, step)) < 0)
				return;
			st = (enum step_status)w;
			break;
		case STEP_POST:
			loopsem_post(run->m.sems, step->post.sem);
			st = STEP_OK;
			break;
		case STEP_KINDS:
			why = FAIL_CHECK;
			break;
		}
		if (!evloop_after(run, s, &task, &t, st, why))
			return;
	}
}

/* The loop ran dry: whoever still waits on a semaphore waits for ever, and the
 * tasks no slot could take never started. */
static void evloop_fail_blocked(struct evloop_run *run)
{
	double now = clock_now();
	for (int i = 0; i < run->nslots; i++)
		if (run->slots[i].pc >= 0)
			loopmodel_end(&run->m, evloop_task(run, &run->slots[i]), FAIL_BLOCKED, now);
	loopmodel_fail_untaken(&run->m, FAIL_BLOCKED, now);
}

static void evloop_release(struct evloop_run *run)
{
	loopmodel_cancel(&run->m);
	loopsleep_close(run->sleeps);
	free(run->slots);
	loopmodel_close(&run->m);
	free(run);
}

static int evloop_run(struct run_args *a, struct cb_err *err)
{
	struct evloop_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "no memory for the loop's state");
	int rc = loopmodel_open(&run->m, a, evloop_fetched, run, err), nw = run->m.workers;
	if (rc == CB_OK && !(run->slots = calloc((size_t)(nw > 0 ? nw : 1), sizeof *run->slots)))
		rc = cb_fail(err, CB_ELIMIT, "no memory for %d task slots", nw);
	struct loopsleep_conf sc = {.loop = run->m.loop, .clock = &run->m.clock,
				    .base = run->slots, .stride = sizeof *run->slots,
				    .off = offsetof(struct evloop_slot, sl), .due = evloop_slept,
				    .ud = run};
	if (rc == CB_OK)
		rc = loopsleep_open(&run->sleeps, &sc, err);
	if (rc == CB_OK) {
		run->nslots = nw;
		for (int i = 0; i < nw; i++)
			run->slots[i].pc = LOOPMODEL_FRESH;
		for (int i = 0; i < nw; i++)
			if (evloop_take(run, &run->slots[i]))
				evloop_go(run, &run->slots[i]);
		ev_run(run->m.loop, 0);
		evloop_fail_blocked(run);
	}
	evloop_release(run);
	return rc;
}

/* The floor by hand: W sleeps in flight in a ring of deadlines, one ev_timer on the
 * oldest (sleeps of one length end in the order they began), a task taken as one ends. */
struct evloop_bare {
	const struct floor_work *fw;
	double *due;   /* a ring of the W sleeps in flight: their deadlines */
	int *steps;    /* and the steps each one's task has left */
	int cap, head, len;
	int left;      /* tasks not begun */
	ev_timer timer;
};

static void evloop_bare_push(struct evloop_bare *b, double due, int steps)
{
	int i = (b->head + b->len++) % b->cap;
	b->due[i] = due;
	b->steps[i] = steps;
}

static void evloop_bare_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct evloop_bare *b = ev_userdata(loop);
	double d = (double)b->fw->sleep_ns * 1e-9, now = clock_now();
	for (int n = b->len; n > 0 && b->due[b->head] <= now; n--) {
		int steps = b->steps[b->head];
		b->head = (b->head + 1) % b->cap;
		b->len--;
		if (steps > 1)
			evloop_bare_push(b, now + d, steps - 1);
		else if (b->left > 0) {
			b->left--;
			evloop_bare_push(b, now + d, b->fw->steps);
		}
	}
	if (b->len)
		loopclock_arm(loop, t, b->due[b->head]);
}

static int evloop_floor(const struct params *p, const struct floor_work *fw, int ntasks,
			int workers, struct cb_err *err)
{
	(void)p;
	int nw = runner_workers(ntasks, workers), rc;
	if (fw->kind != STEP_SLEEP)
		return cb_fail(err, CB_EINVAL, "evloop: no floor for %s steps",
			       step_kind_name(fw->kind));
	struct evloop_bare b = {.fw = fw, .cap = nw > 0 ? nw : 1, .left = ntasks};
	b.due = malloc(sizeof *b.due * (size_t)b.cap);
	b.steps = malloc(sizeof *b.steps * (size_t)b.cap);
	struct ev_loop *loop = b.due && b.steps ? ev_loop_new(EVFLAG_AUTO) : NULL;
	if (!loop) {
		rc = b.due && b.steps ? cb_fail(err, CB_ESYS, "ev_loop_new failed")
				      : cb_fail(err, CB_ELIMIT, "no memory for %d sleeps", nw);
		free(b.due);
		free(b.steps);
		return rc;
	}
	ev_set_userdata(loop, &b);
	double now = clock_now(), d = (double)fw->sleep_ns * 1e-9;
	for (; b.len < nw && b.left > 0; b.left--)
		evloop_bare_push(&b, now + d, fw->steps);
	ev_timer_init(&b.timer, evloop_bare_cb, d, 0);
	ev_timer_start(loop, &b.timer);
	ev_run(loop, 0);
	ev_loop_destroy(loop);
	free(b.due);
	free(b.steps);
	if (b.left || b.len)
		return cb_fail(err, CB_EFAIL, "%d tasks never ended", b.left + b.len);
	return CB_OK;
}

const struct runner evloop_runner = {
	.name = "evloop",
	.summary = "one libev loop, one thread: timers, curl multi_socket, W tasks in flight",
	.family = "C",
	.floor_what = "a bare libev loop: the W sleeps in flight in a FIFO of deadlines, one ev_timer",
	.run = evloop_run,
	.floor = evloop_floor,
};
