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
#include "hugemem.h"
#include "loopmodel.h"
#include "runner.h"
#include "syslimits.h"

/* The smallest stack every workload's steps fit in, found by trying: power fails at
 * 24 KiB and runs at 32 (GMP allocates temporaries below 32 KiB on the stack). */
#define GREEN_STACK_MIN_KIB 32
#define GREEN_STACK_DEFAULT_KIB 64

/* One worker. Small on purpose: at W=0 there is one per task, and on a machine
 * where a fresh page costs microseconds every byte per task shows in the wall time;
 * its task is loopmodel_task's. */
struct green_co {
	struct coro co;        /* its switch and saved bytes: two words */
	struct loopsleeper sl; /* its sleep's deadline and link in the sleep lists */
	int32_t pc;            /* the step its task is at; LOOPMODEL_IDLE, _FRESH: none */
};

/* How a step ended, and why if it failed; st < 0: the coroutine waits for the hub. */
struct green_end {
	int st;
	enum task_fail why;
};

struct green_run {
	struct loopmodel m; /* the hub's loop, semaphores, curl, the run's args, the clock */
	struct loopsleep *sleeps;
	struct coro_host *host;
	struct green_co *cos;
	int ncos;
	int started;          /* coroutines made and run to their first switch */
	struct cb_err *note;  /* why coroutines were refused, beside the results */
};

/* The run the coroutines belong to: the body finds it here rather than in a register
 * it would save at every switch (a thread-local costs one too, for its offset). One
 * green run per process at a time, as in a trial child. */
static struct green_run *green_here;

static int green_task(const struct green_run *run, const struct green_co *g)
{
	return loopmodel_task(&run->m, (int)(g - run->cos));
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
	loopmodel_fail_untaken(&run->m, FAIL_SPAWN, clock_now());
}

/* Switches into g; a finished coroutine gives its stack back at once. False when
 * there was no memory to switch: then g's task (if it had begun one) failed. */
static inline bool green_resume(struct green_run *run, struct green_co *g)
{
	if (!coro_resume(run->host, &g->co)) {
		bool fresh = g->pc == LOOPMODEL_FRESH;
		if (g->pc >= 0)
			loopmodel_end(&run->m, green_task(run, g), FAIL_SPAWN, clock_now());
		coro_close(run->host, &g->co);
		green_refuse(run, fresh, "no memory to save a waiting coroutine's stack");
		return false;
	}
	if (coro_finished(&g->co))
		coro_close(run->host, &g->co);
	return true;
}

static void green_slept(void *ud, int32_t who)
{
	struct green_run *run = ud;
	green_resume(run, &run->cos[who]);
}

static void green_fetched(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	struct green_run *run = ud;
	struct green_co *g = x->owner;
	run->m.extras[g - run->cos]->rc = rc;
	loopclock_stale(&run->m.clock); /* curl's work since the last read is not bookkeeping */
	green_resume(run, g);
}

static void green_woken(struct loopsem_waiter *w, enum step_status st, void *ud)
{
	struct loopmodel_extra *e =
		(struct loopmodel_extra *)((char *)w - offsetof(struct loopmodel_extra, w));
	e->st = st;
	green_resume(ud, e->x.owner);
}

/* The semaphores' wakes, one after another from this frame (loopsem_set_drain). */
static void green_drain(struct loopsem *ls, void *ud)
{
	struct green_run *run = ud;
	struct loopsem_waiter *w;
	while ((w = loopsem_ready(ls))) {
		struct loopmodel_extra *e =
			(struct loopmodel_extra *)((char *)w - offsetof(struct loopmodel_extra, w));
		e->st = STEP_OK;
		green_resume(run, e->x.owner);
	}
}

static bool green_take(struct green_run *run, struct green_co *g)
{
	return loopmodel_take(&run->m, (int)(g - run->cos), &g->pc);
}

/* Begins step s of g's task t: how it ended, or st < 0 when g must wait for the hub. */
static struct green_end green_begin(struct green_run *run, struct green_co *g,
				    const struct task *t, const struct step *s)
{
	struct loopmodel_extra *e;
	int i = (int)(g - run->cos);
	/* Tests in the order a hand-off meets them, not a switch: its jump table's one
	 * indirect jump goes somewhere else at every step (0.94x the hand-off, measured). */
	if (s->kind == STEP_COMPUTE) {
		int st = s->compute.fn(t->state, s->compute.arg);
		loopclock_stale(&run->m.clock);
		return (struct green_end){st, FAIL_CHECK};
	}
	if (s->kind == STEP_POST) {
		loopsem_post(run->m.sems, s->post.sem);
		return (struct green_end){STEP_OK, FAIL_NONE};
	}
	if (s->kind == STEP_WAIT) {
		if (!(e = loopmodel_extra(&run->m, i, g)))
			return (struct green_end){STEP_FAIL, FAIL_SPAWN};
		e->w.wake = green_woken;
		e->w.ud = run;
		return (struct green_end){loopsem_wait(run->m.sems, s->wait.sem, s->wait.timeout_ns,
						       &e->w), FAIL_SPAWN};
	}
	if (s->kind == STEP_SLEEP) {
		if (loopsleep_add(run->sleeps, i, s->sleep.ns, loopclock_stamp(&run->m.clock)) != CB_OK)
			return (struct green_end){STEP_FAIL, FAIL_SPAWN};
		return (struct green_end){-1, FAIL_NONE};
	}
	if (s->kind == STEP_FETCH) {
		if (!(e = loopmodel_extra(&run->m, i, g)) || !loopmodel_fetch(&run->m, &e->x, t, g->pc))
			return (struct green_end){STEP_FAIL, FAIL_SPAWN};
		loopclock_stale(&run->m.clock);
		return (struct green_end){-1, FAIL_NONE};
	}
	return (struct green_end){STEP_FAIL, FAIL_CHECK};
}

/* How the wait of step s ended, once the hub switched g back in. */
static struct green_end green_outcome(struct green_run *run, struct green_co *g,
				      const struct step *s)
{
	struct loopmodel_extra *e = s->kind == STEP_SLEEP ? NULL : run->m.extras[g - run->cos];
	struct green_end end = {STEP_OK, FAIL_NONE};
	if (s->kind == STEP_FETCH)
		end.st = fetch_verdict(&e->x, e->rc, &end.why);
	else if (s->kind == STEP_WAIT)
		end.st = e->st;
	return end;
}

/* Carries g on: the outcome of the wait it was woken from (woken), then its steps and
 * tasks until one must wait (true) or no task is left for it (false). Out of line, and
 * returned from before every switch: its frame is never saved. */
__attribute__((noinline)) static bool green_steps(struct green_co *g, bool woken)
{
	struct green_run *run = green_here;
	if (!woken && !green_take(run, g))
		return false;
	/* Read once a task, not once a step: a compute step could change what the
	 * compiler must otherwise reload. */
	const struct taskset *ts = run->m.a->ts;
	int task = green_task(run, g);
	const struct task *t = taskset_task(ts, task);
	for (;;) {
		const struct step *s = &t->steps[g->pc];
		struct green_end end = woken ? green_outcome(run, g, s) : green_begin(run, g, t, s);
		woken = false;
		if (end.st < 0)
			return true;
		int next = task_next(t, g->pc, (enum step_status)end.st);
		if (next >= 0) {
			g->pc = next;
			continue;
		}
		g->pc = LOOPMODEL_IDLE;
		loopmodel_end(&run->m, task, next == TASK_FAILED ? end.why : FAIL_NONE,
			      loopclock_stamp(&run->m.clock));
		if (!green_take(run, g))
			return false;
		task = green_task(run, g);
		t = taskset_task(ts, task);
	}
}

/* Every coroutine's body. It switches here, in this one frame that holds g alone, so
 * a waiting coroutine saves that and the switch's registers (80 bytes on x86-64). */
__attribute__((noreturn)) static void green_body(transfer_t tr)
{
	struct green_co *g = (struct green_co *)coro_self(coro_begin(tr));
	if (green_steps(g, false))
		do
			coro_yield(green_here->host);
		while (green_steps(g, true));
	coro_exit(green_here->host);
}

/* Starts workers until every task is taken; when one cannot be made, the tasks
 * not yet taken fail (green_refuse). */
static void green_start(struct green_run *run)
{
	struct cb_err why = {0}; /* zeroed once: at a million coroutines, it shows */
	for (int i = 0; i < run->ncos && run->m.next < run->m.a->ts->ntasks; i++) {
		struct green_co *g = &run->cos[i];
		g->pc = LOOPMODEL_FRESH;
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
	double now = clock_now();
	for (int i = 0; i < run->ncos; i++) {
		struct green_co *g = &run->cos[i];
		if (coro_state(&g->co) != CORO_CLOSED && g->pc >= 0)
			loopmodel_end(&run->m, green_task(run, g), FAIL_BLOCKED, now);
	}
	loopmodel_fail_untaken(&run->m, FAIL_BLOCKED, now);
}

static void green_release(struct green_run *run)
{
	loopmodel_cancel(&run->m);
	loopsleep_close(run->sleeps);
	for (int i = 0; i < run->ncos; i++)
		coro_close(run->host, &run->cos[i].co);
	hugemem_free(run->cos, (size_t)(run->ncos > 0 ? run->ncos : 1), sizeof *run->cos);
	coro_host_free(run->host);
	loopmodel_close(&run->m);
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

/* The hub (loopmodel's loop), the coroutine records and their host. */
static int green_open(struct green_run *run, const struct run_args *a, struct cb_err *err)
{
	struct coro_conf conf;
	int rc = green_conf(a->params, &conf, err);
	if (rc == CB_OK)
		rc = loopmodel_open(&run->m, a, green_fetched, run, err);
	if (rc != CB_OK)
		return rc;
	int nw = run->m.workers;
	loopsem_set_drain(run->m.sems, green_drain, run);
	conf.body = green_body;
	conf.ud = run;
	if (!(run->cos = hugemem_calloc((size_t)(nw > 0 ? nw : 1), sizeof *run->cos)))
		return cb_fail(err, CB_ELIMIT, "no memory for %d coroutines", nw);
	run->ncos = nw;
	struct loopsleep_conf sc = {.loop = run->m.loop, .clock = &run->m.clock,
				    .base = run->cos, .stride = sizeof *run->cos,
				    .off = offsetof(struct green_co, sl), .due = green_slept,
				    .ud = run};
	if ((rc = loopsleep_open(&run->sleeps, &sc, err)) != CB_OK)
		return rc;
	return coro_host_new(&run->host, &conf, err);
}

static int green_run(struct run_args *a, struct cb_err *err)
{
	struct green_run run = {.note = err};
	int rc = green_open(&run, a, err);
	green_here = &run;
	if (rc == CB_OK) {
		green_start(&run);
		ev_run(run.m.loop, 0);
		green_fail_rest(&run);
	}
	green_release(&run);
	green_here = NULL;
	return rc;
}

/* The floor by hand: W coroutines on the runner's own switch and stacks, waiting in
 * as shallow a frame, each taking tasks and, for every sleep, queueing itself in a
 * ring of deadlines and switching to the hub; the hub's one ev_timer on the oldest
 * deadline resumes whoever is due. */
struct green_bare {
	const struct floor_work *fw;
	struct ev_loop *loop;
	struct coro_host *host;
	struct loopclock clock;
	ev_timer timer;
	struct coro *cos;
	int *steps;        /* per coroutine: the sleeps its task has left */
	struct coro **who; /* the ring: who sleeps, oldest first */
	double *due;       /* and until when */
	int cap, head, len;
	int left;          /* tasks no coroutine has taken */
	int slept;         /* sleeps that ended */
};

static struct green_bare *green_bare_here; /* as green_here */

/* Queues self for its next sleep, taking a task when its own is done; false when no
 * task is left. */
__attribute__((noinline)) static bool green_bare_next(struct coro *self)
{
	struct green_bare *b = green_bare_here;
	int me = (int)(self - b->cos);
	if (!b->steps[me]) {
		if (!b->left)
			return false;
		b->left--;
		b->steps[me] = b->fw->steps;
	}
	b->steps[me]--;
	int i = (b->head + b->len++) % b->cap;
	b->who[i] = self;
	b->due[i] = loopclock_stamp(&b->clock) + (double)b->fw->sleep_ns * 1e-9;
	if (!ev_is_active(&b->timer))
		loopclock_arm(b->loop, &b->timer, b->due[b->head]);
	return true;
}

__attribute__((noreturn)) static void green_bare_body(transfer_t tr)
{
	struct coro *self = coro_self(coro_begin(tr));
	while (green_bare_next(self))
		coro_yield(green_bare_here->host);
	coro_exit(green_bare_here->host);
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
	double now = loopclock_read(&b->clock);
	/* Only those due now: a coroutine that queues itself again waits for the next turn. */
	for (int n = b->len; n > 0 && b->due[b->head] <= now; n--) {
		struct coro *c = b->who[b->head];
		b->head = (b->head + 1) % b->cap;
		b->len--;
		b->slept++;
		green_bare_resume(b, c);
	}
	if (b->len && !ev_is_active(&b->timer))
		loopclock_arm(b->loop, &b->timer, b->due[b->head]);
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
	conf.body = green_bare_body;
	b.cos = calloc((size_t)b.cap, sizeof *b.cos);
	b.steps = calloc((size_t)b.cap, sizeof *b.steps);
	b.who = malloc(sizeof *b.who * (size_t)b.cap);
	b.due = malloc(sizeof *b.due * (size_t)b.cap);
	if (!b.cos || !b.steps || !b.who || !b.due) {
		rc = cb_fail(err, CB_ELIMIT, "no memory for %d coroutines", nw);
		goto out;
	}
	if (!(b.loop = ev_loop_new(EVFLAG_AUTO))) {
		rc = cb_fail(err, CB_ESYS, "ev_loop_new failed");
		goto out;
	}
	ev_set_userdata(b.loop, &b);
	ev_timer_init(&b.timer, green_bare_cb, 0, 0);
	green_bare_here = &b;
	if ((rc = coro_host_new(&b.host, &conf, err)) == CB_OK) {
		int opened = 0;
		struct cb_err why = {0};
		for (; opened < nw && rc == CB_OK; opened++)
			if ((rc = coro_open(b.host, &b.cos[opened], &why)) == CB_OK)
				green_bare_resume(&b, &b.cos[opened]);
		if (rc != CB_OK) {
			char lim[96];
			syslimits_memory(lim, sizeof lim);
			cb_fail(err, rc, "%d of %d coroutines started: %s (%s)", opened - 1, nw,
				why.msg, lim);
		}
		ev_run(b.loop, 0);
		ev_timer_stop(b.loop, &b.timer);
		for (int i = 0; i < opened; i++)
			coro_close(b.host, &b.cos[i]);
		coro_host_free(b.host);
	}
	green_bare_here = NULL;
	ev_loop_destroy(b.loop);
	if (rc == CB_OK && b.slept != ntasks * fw->steps)
		rc = cb_fail(err, CB_EFAIL, "%d of %d sleeps ended", b.slept, ntasks * fw->steps);
out:
	free(b.cos);
	free(b.steps);
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
