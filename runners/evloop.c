/* evloop: one libev loop on one thread. At most W tasks are in flight, each in a
 * small slot that walks its task's steps: compute runs in the loop (and blocks it),
 * sleep waits on a timer, fetch goes through curl_ev, wait/post through loopsem. */
#include <stdbool.h>
#include <stdlib.h>

#include <ev.h>

#include "clock.h"
#include "curl_ev.h"
#include "fetch.h"
#include "loopsem.h"
#include "runner.h"

/* Sleep durations that get a shared timer list (a power of two), and how far a
 * duration may probe for a free list before its sleeps fall back to a timer each. */
#define EVLOOP_LISTS 256
#define EVLOOP_PROBES 8

struct evloop_run;
struct evloop_slot;

/* Sleeps of one duration end in the order they began, so a FIFO with one timer on
 * its head replaces a heap entry per task (libev's manual: "be smart about timeouts"). */
struct evloop_sleeps {
	int64_t ns; /* the duration; -1: unused */
	struct evloop_slot *head, *tail;
	ev_timer timer; /* armed for head's deadline whenever the list is not empty */
};

/* What only a slot that fetches or waits needs, made on first use. */
struct evloop_extra {
	struct loopsem_waiter w; /* its timer also serves a sleep no list takes */
	struct fetch_xfer x;     /* the easy handle stays, so its connection is reused */
	struct evloop_run *run;
};

/* One task in flight; with W limited a slot runs task after task. Small on purpose:
 * at W=0 there is one per task, and every fresh page costs microseconds. */
struct evloop_slot {
	struct evloop_slot *next; /* in its sleep list */
	double deadline;          /* clock_now() when its sleep ends */
	struct evloop_extra *extra;
	int task; /* the task it runs; -1: none */
	int pc;   /* the step that task is at */
};

struct evloop_run {
	const struct run_args *a;
	struct ev_loop *loop;
	struct loopsem *sems;
	struct curl_ev *curl; /* made on the first fetch */
	struct evloop_slot *slots;
	int nslots;
	int next;   /* the first task no slot has taken */
	double now; /* clock_now() at the latest event or task start: sleeps count from it */
	struct evloop_sleeps lists[EVLOOP_LISTS];
};

static void evloop_go(struct evloop_run *run, struct evloop_slot *s);

/* Gives s the next task; false when none is left. */
static bool evloop_take(struct evloop_run *run, struct evloop_slot *s)
{
	if (run->next >= run->a->ts->ntasks) {
		s->task = -1;
		return false;
	}
	s->task = run->next++;
	s->pc = 0;
	/* A fresh time per task: sleeps armed in a long batch must not count from its start. */
	run->now = clock_now();
	run->a->res[s->task].start_s = (float)(run->now - run->a->t0);
	return true;
}

static void evloop_finish(struct evloop_run *run, struct evloop_slot *s, enum task_fail why)
{
	struct task_result *r = &run->a->res[s->task];
	r->end_s = (float)(run->now - run->a->t0);
	r->fail = (uint8_t)why;
	r->done = 1;
}

/* Moves s past a step that ended with st; a finished task makes room for the next.
 * Returns whether s has a step to carry out. */
static bool evloop_after(struct evloop_run *run, struct evloop_slot *s, enum step_status st,
			 enum task_fail why)
{
	s->pc = task_next(&run->a->ts->tasks[s->task], s->pc, st);
	if (s->pc >= 0)
		return true;
	evloop_finish(run, s, s->pc == TASK_FAILED ? why : FAIL_NONE);
	return evloop_take(run, s);
}

/* Where an event hands a slot back: its step ended with st at time now. */
static void evloop_resume(struct evloop_run *run, struct evloop_slot *s, double now,
			  enum step_status st, enum task_fail why)
{
	run->now = now;
	if (evloop_after(run, s, st, why))
		evloop_go(run, s);
}

/* libev counts a timer from its cached time, which a compute step leaves stale:
 * without the update, timers armed after a long step fire early. */
static void evloop_arm(struct evloop_run *run, ev_timer *t, double deadline)
{
	ev_now_update(run->loop);
	double after = deadline - clock_now();
	ev_timer_set(t, after > 0 ? after : 0, 0);
	ev_timer_start(run->loop, t);
}

static struct evloop_extra *evloop_extra(struct evloop_run *run, struct evloop_slot *s)
{
	if (!s->extra && (s->extra = calloc(1, sizeof *s->extra))) {
		s->extra->run = run;
		s->extra->x.owner = s;
	}
	return s->extra;
}

/* Ends every sleep of the list that is due, oldest first; sleeps begun meanwhile
 * wait for the next turn, so a task sleeping 0 in a loop cannot hold the loop. */
static void evloop_sleeps_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct evloop_run *run = ev_userdata(loop);
	struct evloop_sleeps *l = t->data;
	struct evloop_slot *last = l->tail, *s;
	do {
		if (!(s = l->head))
			break;
		double now = clock_now();
		if (s->deadline > now)
			break;
		if (!(l->head = s->next))
			l->tail = NULL;
		evloop_resume(run, s, now, STEP_OK, FAIL_NONE);
	} while (s != last);
	if (l->head && !ev_is_active(t))
		evloop_arm(run, t, l->head->deadline);
}

static void evloop_alone_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct evloop_run *run = ev_userdata(loop);
	struct evloop_slot *s = t->data;
	double now = clock_now();
	if (now < s->deadline)
		evloop_arm(run, t, s->deadline);
	else
		evloop_resume(run, s, now, STEP_OK, FAIL_NONE);
}

/* The list of sleeps of ns (open addressing on a multiplicative hash), or NULL. */
static struct evloop_sleeps *evloop_list(struct evloop_run *run, int64_t ns)
{
	uint64_t h = ((uint64_t)ns * 0x9e3779b97f4a7c15u) >> 56;
	for (unsigned i = 0; i < EVLOOP_PROBES; i++) {
		struct evloop_sleeps *l = &run->lists[(h + i) & (EVLOOP_LISTS - 1)];
		if (l->ns == ns)
			return l;
		if (l->ns < 0) {
			l->ns = ns;
			return l;
		}
	}
	return NULL;
}

/* Returns false when the step ended at once (no memory for a lone timer). */
static bool evloop_sleep(struct evloop_run *run, struct evloop_slot *s, int64_t ns)
{
	s->deadline = run->now + (double)ns * 1e-9;
	struct evloop_sleeps *l = evloop_list(run, ns);
	if (l) {
		s->next = NULL;
		if (l->tail)
			l->tail->next = s;
		else
			l->head = s;
		l->tail = s;
		if (!ev_is_active(&l->timer))
			evloop_arm(run, &l->timer, s->deadline);
		return true;
	}
	struct evloop_extra *e = evloop_extra(run, s);
	if (!e)
		return false;
	ev_timer_init(&e->w.timeout, evloop_alone_cb, 0, 0);
	e->w.timeout.data = s;
	evloop_arm(run, &e->w.timeout, s->deadline);
	return true;
}

static void evloop_fetched(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	enum task_fail why = FAIL_NONE;
	enum step_status st = fetch_verdict(x, rc, &why);
	evloop_resume(ud, x->owner, clock_now(), st, why);
}

/* Starts the transfer; false when it could not (the task fails as FAIL_SPAWN). */
static bool evloop_fetch(struct evloop_run *run, struct evloop_slot *s, const struct step *step)
{
	struct evloop_extra *e = evloop_extra(run, s);
	if (!e)
		return false;
	if (!run->curl && curl_ev_new(&run->curl, run->loop, evloop_fetched, run, NULL) != CB_OK)
		return false;
	if (!e->x.easy && !(e->x.easy = fetch_easy_new()))
		return false;
	e->x.step = step;
	e->x.conns = run->nslots;
	fetch_prepare(&e->x, fetch_keep(&run->a->ts->tasks[s->task], s->pc, run->nslots,
					 run->next, run->a->ts->ntasks));
	return curl_ev_add(run->curl, &e->x) == CB_OK;
}

static void evloop_wake(struct loopsem_waiter *w, enum step_status st, void *ud)
{
	(void)w;
	struct evloop_slot *s = ud;
	evloop_resume(s->extra->run, s, clock_now(), st, FAIL_NONE);
}

/* -1: the slot waits; otherwise the status its wait ended with at once. */
static int evloop_wait(struct evloop_run *run, struct evloop_slot *s, const struct step *step)
{
	struct evloop_extra *e = evloop_extra(run, s);
	if (!e)
		return STEP_FAIL;
	e->w.wake = evloop_wake;
	e->w.ud = s;
	return loopsem_wait(run->sems, step->wait.sem, step->wait.timeout_ns, &e->w);
}

/* Carries out s's steps until one has to wait for the loop (or no task is left). */
static void evloop_go(struct evloop_run *run, struct evloop_slot *s)
{
	for (;;) {
		const struct task *t = &run->a->ts->tasks[s->task];
		const struct step *step = &t->steps[s->pc];
		enum task_fail why = FAIL_SPAWN;
		enum step_status st = STEP_FAIL;
		int w;
		switch (step->kind) {
		case STEP_COMPUTE:
			st = step->compute.fn(t->state, step->compute.arg);
			run->now = clock_now();
			why = FAIL_CHECK;
			break;
		case STEP_SLEEP:
			if (evloop_sleep(run, s, step->sleep.ns))
				return;
			break;
		case STEP_FETCH:
			if (evloop_fetch(run, s, step))
				return;
			break;
		case STEP_WAIT:
			if ((w = evloop_wait(run, s, step)) < 0)
				return;
			st = (enum step_status)w;
			break;
		case STEP_POST:
			loopsem_post(run->sems, step->post.sem);
			st = STEP_OK;
			break;
		case STEP_KINDS:
			why = FAIL_CHECK;
			break;
		}
		if (!evloop_after(run, s, st, why))
			return;
	}
}

/* The loop ran dry: whoever still waits on a semaphore waits for ever, and the
 * tasks no slot could take never started. */
static void evloop_fail_blocked(struct evloop_run *run)
{
	run->now = clock_now();
	for (int i = 0; i < run->nslots; i++)
		if (run->slots[i].task >= 0)
			evloop_finish(run, &run->slots[i], FAIL_BLOCKED);
	for (; run->next < run->a->ts->ntasks; run->next++) {
		struct task_result *r = &run->a->res[run->next];
		r->start_s = r->end_s = (float)(run->now - run->a->t0);
		r->fail = FAIL_BLOCKED;
		r->done = 1;
	}
}

static void evloop_release(struct evloop_run *run)
{
	curl_ev_free(run->curl);
	loopsem_close(run->sems); /* before the waiters it may still hold are freed */
	for (int i = 0; i < run->nslots; i++) {
		struct evloop_extra *e = run->slots[i].extra;
		if (!e)
			continue;
		ev_timer_stop(run->loop, &e->w.timeout);
		if (e->x.easy)
			curl_easy_cleanup(e->x.easy);
		free(e);
	}
	for (int i = 0; i < EVLOOP_LISTS; i++)
		ev_timer_stop(run->loop, &run->lists[i].timer);
	free(run->slots);
	ev_loop_destroy(run->loop);
	free(run);
}

static int evloop_run(struct run_args *a, struct cb_err *err)
{
	int n = a->ts->ntasks, nw = runner_workers(n, a->workers);
	struct evloop_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "no memory for the loop's state");
	run->a = a;
	/* Never the default loop: it reaps children (SIGCHLD) the harness waits for. */
	if (!(run->loop = ev_loop_new(EVFLAG_AUTO))) {
		free(run);
		return cb_fail(err, CB_ESYS, "ev_loop_new failed");
	}
	ev_set_userdata(run->loop, run);
	for (int i = 0; i < EVLOOP_LISTS; i++) {
		run->lists[i].ns = -1;
		ev_timer_init(&run->lists[i].timer, evloop_sleeps_cb, 0, 0);
		run->lists[i].timer.data = &run->lists[i];
	}
	int rc = loopsem_open(&run->sems, run->loop, a->ts->sems, a->ts->nsems, err);
	if (rc == CB_OK && !(run->slots = calloc((size_t)(nw > 0 ? nw : 1), sizeof *run->slots)))
		rc = cb_fail(err, CB_ELIMIT, "no memory for %d task slots", nw);
	if (rc == CB_OK) {
		run->nslots = nw;
		for (int i = 0; i < nw; i++)
			if (evloop_take(run, &run->slots[i]))
				evloop_go(run, &run->slots[i]);
		ev_run(run->loop, 0);
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
	if (b->len) {
		ev_now_update(loop);
		double after = b->due[b->head] - clock_now();
		ev_timer_set(t, after > 0 ? after : 0, 0);
		ev_timer_start(loop, t);
	}
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
