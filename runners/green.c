/* green: gevent's design in C. Each worker is a coroutine that runs its task as
 * straight-line code; a step that waits (sleep, fetch, wait) hands the coroutine's
 * wake-up to the hub, a libev loop, and switches to it; the event switches back.
 * Compute steps never yield, as in gevent. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ev.h>

#include "clock.h"
#include "coro.h"
#include "curl_ev.h"
#include "fetch.h"
#include "hugemem.h"
#include "loopsem.h"
#include "runner.h"
#include "syslimits.h"

/* The smallest stack every workload's steps fit in, found by trying: power fails at
 * 24 KiB and runs at 32 (GMP allocates temporaries below 32 KiB on the stack). */
#define GREEN_STACK_MIN_KIB 32
#define GREEN_STACK_DEFAULT_KIB 64

struct green_run;

/* What only a coroutine that fetches or waits needs, made on first use. */
struct green_extra {
	struct loopsem_waiter w;
	struct fetch_xfer x;  /* the easy handle stays, so its connection is reused */
	CURLcode rc;          /* how its transfer ended */
	enum step_status st;  /* how its wait ended */
};

/* One worker. Small on purpose: at W=0 there is one per task, and on a machine
 * where a fresh page costs microseconds every byte per task shows in the wall time;
 * so the task index rides in the timer's data word (see green_task_of). */
struct green_co {
	struct coro co; /* first: the coroutine body finds its green_co from it */
	ev_timer timer; /* its sleeps; data: the task it runs, -1: none */
};

/* How a step ended, and why if it failed. */
struct green_end {
	enum step_status st;
	enum task_fail why;
};

struct green_run {
	const struct run_args *a;
	struct ev_loop *loop;
	struct coro_host *host;
	struct loopsem *sems;
	struct curl_ev *curl; /* made on the first fetch */
	struct green_co *cos;
	struct green_extra **extras; /* per worker, made on the first fetch or wait */
	int ncos;
	int started;          /* coroutines made and run to their first switch */
	int next;             /* the first task no worker has taken */
	struct cb_err *note;  /* why coroutines were refused, beside the results */
};

static int green_task_of(const struct green_co *g)
{
	return (int)(intptr_t)g->timer.data;
}

static void green_set_task(struct green_co *g, int task)
{
	g->timer.data = (void *)(intptr_t)task;
}

static struct green_co *green_of_timer(ev_timer *t)
{
	return (struct green_co *)((char *)t - offsetof(struct green_co, timer));
}

static struct green_extra *green_extra(struct green_run *run, struct green_co *g)
{
	if (!run->extras && !(run->extras = calloc((size_t)run->ncos, sizeof *run->extras)))
		return NULL;
	struct green_extra **e = &run->extras[g - run->cos];
	if (!*e && (*e = calloc(1, sizeof **e)))
		(*e)->x.owner = g;
	return *e;
}

/* A coroutine could not be started (fresh) or switched back in, for want of memory
 * (why): the tasks none has taken fail as spawn, and the workers there are take no
 * more, since fewer workers than W would be another cell. */
static void green_refuse(struct green_run *run, bool fresh, const char *why)
{
	if (!run->note->msg[0]) {
		char lim[96];
		syslimits_memory(lim, sizeof lim);
		if (fresh)
			cb_fail(run->note, CB_OK, "%d of %d coroutines started: %s (%s)",
				run->started, run->ncos, why, lim);
		else
			cb_fail(run->note, CB_OK, "a coroutine could not switch back in: %s (%s)",
				why, lim);
	}
	float now = (float)(clock_now() - run->a->t0);
	for (; run->next < run->a->ts->ntasks; run->next++) {
		struct task_result *r = &run->a->res[run->next];
		r->start_s = r->end_s = now;
		r->fail = FAIL_SPAWN;
		r->done = 1;
	}
}

/* Switches into g; a finished coroutine gives its stack back at once. False when
 * there was no memory to switch: then g's task (if it had begun one) failed. */
static bool green_resume(struct green_run *run, struct green_co *g)
{
	if (!coro_resume(run->host, &g->co)) {
		bool fresh = green_task_of(g) < 0;
		if (!fresh) {
			struct task_result *r = &run->a->res[green_task_of(g)];
			r->end_s = (float)(clock_now() - run->a->t0);
			r->fail = FAIL_SPAWN;
			r->done = 1;
		}
		coro_close(run->host, &g->co);
		green_refuse(run, fresh, "no memory to save a waiting coroutine's stack");
		return false;
	}
	if (coro_finished(&g->co))
		coro_close(run->host, &g->co);
	return true;
}

static void green_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	green_resume(ev_userdata(loop), green_of_timer(t));
}

static enum step_status green_sleep(struct green_run *run, struct green_co *g, int64_t ns)
{
	/* libev counts from its cached time, which a compute step leaves stale. */
	ev_now_update(run->loop);
	ev_timer_set(&g->timer, (double)ns * 1e-9, 0);
	ev_timer_start(run->loop, &g->timer);
	coro_yield(run->host);
	return STEP_OK;
}

static void green_fetched(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	struct green_run *run = ud;
	struct green_co *g = x->owner;
	run->extras[g - run->cos]->rc = rc;
	green_resume(run, g);
}

/* Out of line, as is green_wait: their locals would sit in the task loop's frame,
 * which the copy design copies at every switch. */
__attribute__((noinline)) static struct green_end
green_fetch(struct green_run *run, struct green_co *g, const struct task *t, int pc)
{
	const struct step *s = &t->steps[pc];
	struct green_extra *e = green_extra(run, g);
	struct green_end end = {STEP_FAIL, FAIL_SPAWN};
	if (!e)
		return end;
	if (!run->curl && curl_ev_new(&run->curl, run->loop, green_fetched, run, NULL) != CB_OK)
		return end;
	if (!e->x.easy && !(e->x.easy = fetch_easy_new()))
		return end;
	e->x.step = s;
	e->x.conns = run->ncos;
	fetch_prepare(&e->x, fetch_keep(t, pc, run->ncos, run->next, run->a->ts->ntasks));
	if (curl_ev_add(run->curl, &e->x) != CB_OK)
		return end;
	coro_yield(run->host);
	end.st = fetch_verdict(&e->x, e->rc, &end.why);
	return end;
}

static void green_woken(struct loopsem_waiter *w, enum step_status st, void *ud)
{
	struct green_extra *e = (struct green_extra *)((char *)w - offsetof(struct green_extra, w));
	e->st = st;
	green_resume(ud, e->x.owner);
}

__attribute__((noinline)) static struct green_end
green_wait(struct green_run *run, struct green_co *g, const struct step *s)
{
	struct green_extra *e = green_extra(run, g);
	if (!e)
		return (struct green_end){STEP_FAIL, FAIL_SPAWN};
	e->w.wake = green_woken;
	e->w.ud = run;
	int st = loopsem_wait(run->sems, s->wait.sem, s->wait.timeout_ns, &e->w);
	if (st < 0) {
		coro_yield(run->host);
		st = e->st;
	}
	return (struct green_end){(enum step_status)st, FAIL_NONE};
}

/* Seconds since the run began; out of line too, or its timespec joins the frame. */
__attribute__((noinline)) static float green_since(const struct green_run *run)
{
	return (float)(clock_now() - run->a->t0);
}

/* One task, straight through; where a step waits, the coroutine sleeps inside it. */
static void green_task(struct green_run *run, struct green_co *g)
{
	const struct task *t = &run->a->ts->tasks[green_task_of(g)];
	struct task_result *r = &run->a->res[green_task_of(g)];
	struct green_end end = {STEP_FAIL, FAIL_CHECK};
	r->start_s = green_since(run);
	int pc = 0;
	while (pc >= 0) {
		const struct step *s = &t->steps[pc];
		switch (s->kind) {
		case STEP_COMPUTE:
			end = (struct green_end){s->compute.fn(t->state, s->compute.arg), FAIL_CHECK};
			break;
		case STEP_SLEEP:
			end.st = green_sleep(run, g, s->sleep.ns);
			break;
		case STEP_FETCH:
			end = green_fetch(run, g, t, pc);
			break;
		case STEP_WAIT:
			end = green_wait(run, g, s);
			break;
		case STEP_POST:
			loopsem_post(run->sems, s->post.sem);
			end.st = STEP_OK;
			break;
		case STEP_KINDS:
			end = (struct green_end){STEP_FAIL, FAIL_CHECK};
			break;
		}
		pc = task_next(t, pc, end.st);
	}
	r->end_s = green_since(run);
	r->fail = pc == TASK_FAILED ? (uint8_t)end.why : FAIL_NONE;
	r->done = 1;
}

/* A worker: tasks from the shared counter until none is left. */
static void green_body(struct coro *self, void *ud)
{
	struct green_run *run = ud;
	struct green_co *g = (struct green_co *)self;
	while (run->next < run->a->ts->ntasks) {
		green_set_task(g, run->next++);
		green_task(run, g);
	}
	green_set_task(g, -1);
}

/* Starts workers until every task is taken; when one cannot be made, the tasks
 * not yet taken fail (green_refuse). */
static void green_start(struct green_run *run)
{
	for (int i = 0; i < run->ncos && run->next < run->a->ts->ntasks; i++) {
		struct green_co *g = &run->cos[i];
		struct cb_err why = {0};
		ev_timer_init(&g->timer, green_timer_cb, 0, 0);
		green_set_task(g, -1);
		if (coro_open(run->host, &g->co, &why) != CB_OK) {
			green_refuse(run, true, why.msg);
			return;
		}
		if (!green_resume(run, g))
			return;
		run->started++;
	}
}

/* The loop ran dry: whoever still waits on a semaphore waits for ever, and so would
 * the tasks no worker took. */
static void green_fail_rest(struct green_run *run)
{
	float now = (float)(clock_now() - run->a->t0);
	for (int i = 0; i < run->ncos; i++) {
		struct green_co *g = &run->cos[i];
		if (g->co.state == CORO_CLOSED || green_task_of(g) < 0)
			continue;
		struct task_result *r = &run->a->res[green_task_of(g)];
		r->end_s = now;
		r->fail = FAIL_BLOCKED;
		r->done = 1;
	}
	for (; run->next < run->a->ts->ntasks; run->next++) {
		struct task_result *r = &run->a->res[run->next];
		r->start_s = r->end_s = now;
		r->fail = FAIL_BLOCKED;
		r->done = 1;
	}
}

static void green_release(struct green_run *run)
{
	curl_ev_free(run->curl);
	loopsem_close(run->sems); /* before the waiters it may still hold are freed */
	for (int i = 0; i < run->ncos; i++) {
		struct green_co *g = &run->cos[i];
		ev_timer_stop(run->loop, &g->timer);
		struct green_extra *e = run->extras ? run->extras[i] : NULL;
		if (e && e->x.easy)
			curl_easy_cleanup(e->x.easy);
		free(e);
		coro_close(run->host, &g->co);
	}
	free(run->extras);
	hugemem_free(run->cos, (size_t)(run->ncos > 0 ? run->ncos : 1), sizeof *run->cos);
	coro_host_free(run->host);
	if (run->loop)
		ev_loop_destroy(run->loop);
}

/* The coroutine set-up -p asks for; a stack too small to run a step is refused. */
static int green_conf(const struct params *p, struct coro_conf *conf, struct cb_err *err)
{
	int64_t kib = params_int(p, "stack_kib");
	const char *kind = params_str(p, "stack");
	if (kib == 0)
		kib = GREEN_STACK_DEFAULT_KIB;
	if (kib < GREEN_STACK_MIN_KIB)
		return cb_fail(err, CB_EINVAL, "green.stack_kib: %lld KiB is below the %d KiB "
			       "a step's code needs (0: the default, %d KiB)", (long long)kib,
			       GREEN_STACK_MIN_KIB, GREEN_STACK_DEFAULT_KIB);
	*conf = (struct coro_conf){
		.stack = kind[0] == 's' ? CORO_SEPARATE : CORO_COPY,
		.stack_size = (size_t)kib * 1024,
		.max_guards = -1,
	};
	return CB_OK;
}

static int green_configure(const struct params *p, struct cb_err *err)
{
	struct coro_conf conf;
	return green_conf(p, &conf, err);
}

/* The hub: a fresh loop (never the default one, which reaps the harness's children). */
static int green_open(struct green_run *run, const struct run_args *a, struct cb_err *err)
{
	struct coro_conf conf;
	int nw = runner_workers(a->ts->ntasks, a->workers);
	run->a = a;
	int rc = green_conf(a->params, &conf, err);
	if (rc != CB_OK)
		return rc;
	conf.fn = green_body;
	conf.ud = run;
	if (!(run->loop = ev_loop_new(EVFLAG_AUTO)))
		return cb_fail(err, CB_ESYS, "ev_loop_new failed");
	ev_set_userdata(run->loop, run);
	if (!(run->cos = hugemem_calloc((size_t)(nw > 0 ? nw : 1), sizeof *run->cos)))
		return cb_fail(err, CB_ELIMIT, "no memory for %d coroutines", nw);
	run->ncos = nw;
	rc = coro_host_new(&run->host, &conf, err);
	if (rc == CB_OK)
		rc = loopsem_open(&run->sems, run->loop, a->ts->sems, a->ts->nsems, err);
	return rc;
}

static int green_run(struct run_args *a, struct cb_err *err)
{
	struct green_run run = {.note = err};
	int rc = green_open(&run, a, err);
	if (rc == CB_OK) {
		green_start(&run);
		ev_run(run.loop, 0);
		green_fail_rest(&run);
	}
	green_release(&run);
	return rc;
}

/* The floor by hand: W coroutines on the runner's own switch and stacks, each taking
 * tasks and, for every sleep, queueing itself in a ring of deadlines and switching to
 * the hub; the hub's one ev_timer on the oldest deadline resumes whoever is due. */
struct green_bare {
	const struct floor_work *fw;
	struct ev_loop *loop;
	struct coro_host *host;
	ev_timer timer;
	struct coro **who; /* the ring: who sleeps, oldest first */
	double *due;       /* and until when */
	int cap, head, len;
	int left;          /* tasks no coroutine has taken */
	int slept;         /* sleeps that ended */
};

static void green_bare_arm(struct green_bare *b)
{
	ev_now_update(b->loop);
	double after = b->due[b->head] - clock_now();
	ev_timer_set(&b->timer, after > 0 ? after : 0, 0);
	ev_timer_start(b->loop, &b->timer);
}

static void green_bare_body(struct coro *self, void *ud)
{
	struct green_bare *b = ud;
	double d = (double)b->fw->sleep_ns * 1e-9;
	while (b->left > 0) {
		b->left--;
		for (int k = 0; k < b->fw->steps; k++) {
			int i = (b->head + b->len++) % b->cap;
			b->who[i] = self;
			b->due[i] = clock_now() + d;
			if (!ev_is_active(&b->timer))
				green_bare_arm(b);
			coro_yield(b->host);
			b->slept++;
		}
	}
}

static void green_bare_resume(struct green_bare *b, struct coro *c)
{
	if (coro_resume(b->host, c) && coro_finished(c))
		coro_close(b->host, c);
}

static void green_bare_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	struct green_bare *b = ev_userdata(loop);
	double now = clock_now();
	/* Only those due now: a coroutine that queues itself again waits for the next turn. */
	for (int n = b->len; n > 0 && b->due[b->head] <= now; n--) {
		struct coro *c = b->who[b->head];
		b->head = (b->head + 1) % b->cap;
		b->len--;
		green_bare_resume(b, c);
	}
	if (b->len && !ev_is_active(&b->timer))
		green_bare_arm(b);
}

static int green_floor(const struct params *p, const struct floor_work *fw, int ntasks,
		       int workers, struct cb_err *err)
{
	int nw = runner_workers(ntasks, workers), rc;
	if (fw->kind != STEP_SLEEP)
		return cb_fail(err, CB_EINVAL, "green: no floor for %s steps",
			       step_kind_name(fw->kind));
	struct coro_conf conf;
	if ((rc = green_conf(p, &conf, err)) != CB_OK)
		return rc;
	struct green_bare b = {.fw = fw, .cap = nw > 0 ? nw : 1, .left = ntasks};
	conf.fn = green_bare_body;
	conf.ud = &b;
	struct coro *cos = calloc((size_t)b.cap, sizeof *cos);
	b.who = malloc(sizeof *b.who * (size_t)b.cap);
	b.due = malloc(sizeof *b.due * (size_t)b.cap);
	if (!cos || !b.who || !b.due) {
		rc = cb_fail(err, CB_ELIMIT, "no memory for %d coroutines", nw);
		goto out;
	}
	if (!(b.loop = ev_loop_new(EVFLAG_AUTO))) {
		rc = cb_fail(err, CB_ESYS, "ev_loop_new failed");
		goto out;
	}
	ev_set_userdata(b.loop, &b);
	ev_timer_init(&b.timer, green_bare_cb, 0, 0);
	if ((rc = coro_host_new(&b.host, &conf, err)) == CB_OK) {
		int opened = 0;
		struct cb_err why = {0};
		for (; opened < nw && rc == CB_OK; opened++)
			if ((rc = coro_open(b.host, &cos[opened], &why)) == CB_OK)
				green_bare_resume(&b, &cos[opened]);
		if (rc != CB_OK) {
			char lim[96];
			syslimits_memory(lim, sizeof lim);
			cb_fail(err, rc, "%d of %d coroutines started: %s (%s)", opened - 1, nw,
				why.msg, lim);
		}
		ev_run(b.loop, 0);
		ev_timer_stop(b.loop, &b.timer);
		for (int i = 0; i < opened; i++)
			coro_close(b.host, &cos[i]);
		coro_host_free(b.host);
	}
	ev_loop_destroy(b.loop);
	if (rc == CB_OK && b.slept != ntasks * fw->steps)
		rc = cb_fail(err, CB_EFAIL, "%d of %d sleeps ended", b.slept, ntasks * fw->steps);
out:
	free(cos);
	free(b.who);
	free(b.due);
	return rc;
}

static const struct param_spec green_params[] = {
	{"stack", PARAM_CHOICE, "copy", 0, 0, "copy|separate",
	 "where a coroutine's frames live: one shared stack, the used bytes copied out "
	 "while it waits (copy), or a pooled stack each with a guard under it (separate)", false},
	{"stack_kib", PARAM_INT, "0", 0, 1 << 20, NULL,
	 "stack size in KiB, the shared one (copy) or each (separate); at least 32; 0: 64",
	 false},
	{0},
};

const struct runner green_runner = {
	.name = "green",
	.summary = "coroutines on a libev hub, gevent's design: W workers, fcontext switches",
	.params = green_params,
	.family = "C",
	.floor_what = "W bare coroutines on the same switch and stacks, a FIFO of deadlines and one ev_timer",
	.configure = green_configure,
	.run = green_run,
	.floor = green_floor,
};
