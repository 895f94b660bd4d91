/* queue: the burger shop's staff sharing one list of orders (PyCharm blog, article C).
 * N staff tasks loop: check the list is not empty, think (a wait: where async
 * code yields), take the top order, cook it. Two staff that both see the last
 * order both go to take it, and one finds the list empty: the article's "pop
 * from an empty list". With queue.lock=1 the check-and-take is one critical
 * section (the cooking is not). 3 orders, 2 staff: about 2 x cook.
 *
 * As with the bank, a race is the experiment's result (the metrics); a locked
 * run that still races fails the trial, for then the runner's lock is broken. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "shm.h"
#include "workload.h"

struct queue_cfg {
	int orders;
	bool lock;
	double think_ms, cook_ms;
	struct step steps[8];
	int nsteps;
};

/* The list and what happened to it, in shared memory; every task's state. */
struct queue_shared {
	atomic_int top;     /* orders still on the list: order top-1 is taken next */
	atomic_int missing; /* takes that found the list already empty */
	int orders;
	atomic_int taken[]; /* per order: how many staff took it */
};

static const struct sem_decl queue_sems[] = {{"list", 1}};

/* The check: an empty list ends the staff's shift (a locked one unlocks first). */
static enum step_status queue_check_step(void *state, const void *arg)
{
	struct queue_shared *q = state;
	const struct queue_cfg *c = arg;
	if (atomic_load_explicit(&q->top, memory_order_relaxed) > 0)
		return STEP_OK;
	return c->lock ? STEP_ALT : STEP_DONE;
}

/* The take: a plain read then write of the top, as list.pop() is in the article.
 * Nothing left: nothing to cook, back to the check (which ends the shift). */
static enum step_status queue_take_step(void *state, const void *arg)
{
	(void)arg;
	struct queue_shared *q = state;
	int top = atomic_load_explicit(&q->top, memory_order_relaxed);
	if (top <= 0) {
		atomic_fetch_add(&q->missing, 1);
		return STEP_ALT;
	}
	atomic_store_explicit(&q->top, top - 1, memory_order_relaxed);
	atomic_fetch_add(&q->taken[top - 1], 1);
	return STEP_OK;
}

static enum step_status queue_again_step(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_ALT;
}

static const struct param_spec queue_params[] = {
	{"orders", PARAM_INT, "3", 1, 10000000, NULL, "orders on the list at the start", true},
	{"think_ms", PARAM_MS, "10", 0, 3600000, NULL,
	 "wait between seeing an order and taking it", true},
	{"cook_ms", PARAM_MS, "100", 0, 3600000, NULL, "wait after taking an order (cooking)",
	 true},
	{"lock", PARAM_INT, "0", 0, 1, NULL, "1: check and take under one lock", false},
	{0},
};

static int64_t queue_ns(double ms)
{
	return (int64_t)(ms * 1e6 + 0.5);
}

/* unlocked: check, think, take, cook, again
 * locked:   lock, check, think, take, unlock, cook, again; empty: unlock, end */
static void queue_steps(struct queue_cfg *c)
{
	struct step check = {.kind = STEP_COMPUTE, .compute = {.fn = queue_check_step, .arg = c}};
	struct step think = {.kind = STEP_SLEEP, .sleep.ns = queue_ns(c->think_ms)};
	struct step take = {.kind = STEP_COMPUTE, .compute.fn = queue_take_step};
	struct step cook = {.kind = STEP_SLEEP, .sleep.ns = queue_ns(c->cook_ms)};
	struct step again = {.kind = STEP_COMPUTE, .alt = 0, .compute.fn = queue_again_step};
	struct step lock = {.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}};
	struct step unlock = {.kind = STEP_POST, .post.sem = 0};
	int k = 0;
	if (c->lock) {
		check.alt = 7;
		take.alt = 1;
		c->steps[k++] = lock;
	}
	c->steps[k++] = check;
	c->steps[k++] = think;
	c->steps[k++] = take;
	if (c->lock)
		c->steps[k++] = unlock;
	c->steps[k++] = cook;
	c->steps[k++] = again;
	if (c->lock)
		c->steps[k++] = unlock;
	c->nsteps = k;
}

static int queue_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct queue_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "queue");
	c->orders = (int)params_int(p, "orders");
	c->lock = params_int(p, "lock") != 0;
	c->think_ms = params_ms(p, "think_ms");
	c->cook_ms = params_ms(p, "cook_ms");
	queue_steps(c);
	*cfg = c;
	return CB_OK;
}

static int queue_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		       struct cb_err *err)
{
	(void)workers;
	const struct queue_cfg *c = cfg;
	struct queue_shared *q = shm_new(sizeof *q + sizeof q->taken[0] * (size_t)c->orders, err);
	if (!q)
		return err->code;
	if (taskset_alloc(ts, ntasks, c->steps, c->nsteps, err)) {
		shm_free(q);
		return err->code;
	}
	atomic_init(&q->top, c->orders);
	q->orders = c->orders;
	for (int i = 0; i < ntasks; i++)
		ts->tasks[i].state = q;
	ts->sems = queue_sems;
	ts->nsems = c->lock ? 1 : 0;
	ts->priv = q;
	return CB_OK;
}

static void queue_release(struct taskset *ts)
{
	shm_free(ts->priv);
	ts->priv = NULL;
	taskset_free(ts);
}

static const char *const queue_metrics[] = {"taken", "taken_twice", "missing", NULL};

/* taken: takes that got an order; taken_twice: orders more than one staff took
 * (a torn read-then-write of the top); missing: takes that found the list empty. */
static int queue_check(const void *cfg, struct taskset *ts, const struct task_result *res,
		       double *metric, struct cb_err *err)
{
	const struct queue_cfg *c = cfg;
	struct queue_shared *q = ts->priv;
	int taken = 0, twice = 0, never = 0, ok = 0;
	for (int i = 0; i < q->orders; i++) {
		int k = atomic_load(&q->taken[i]);
		taken += k;
		twice += k > 1;
		never += k == 0;
	}
	int missing = atomic_load(&q->missing);
	metric[0] = taken;
	metric[1] = twice;
	metric[2] = missing;
	for (int i = 0; i < ts->ntasks; i++)
		ok += res[i].done && res[i].fail == FAIL_NONE;
	if (ok < ts->ntasks)
		return CB_OK; /* the failures are the result; the list may be left unfinished */
	if (never)
		return cb_fail(err, CB_EFAIL, "queue: %d of %d orders were never taken", never,
			       q->orders);
	if (c->lock && (twice || missing))
		return cb_fail(err, CB_EFAIL, "queue: locked, yet %d orders were taken twice "
			       "and %d takes found the list empty", twice, missing);
	return CB_OK;
}

/* Each staff member cooks its share back to back: ceil(orders / staff) rounds of
 * think + cook. Under the lock every think is one after another, and the last
 * order still has to be cooked after it. */
static double queue_ideal(const void *cfg, int ntasks, int workers)
{
	const struct queue_cfg *c = cfg;
	int staff = runner_workers(ntasks, workers);
	if (staff <= 0)
		return -1;
	double rounds = (c->orders + staff - 1) / staff;
	double ms = rounds * (c->think_ms + c->cook_ms);
	if (c->lock && c->orders * c->think_ms + c->cook_ms > ms)
		ms = c->orders * c->think_ms + c->cook_ms;
	return ms * 1e-3;
}

const struct workload queue_workload = {
	.name = "queue",
	.summary = "staff sharing one list of orders: check, think, take, cook (PyCharm blog)",
	.params = queue_params,
	.metrics = queue_metrics,
	.configure = queue_configure,
	.config_free = free,
	.build = queue_build,
	.check = queue_check,
	.release = queue_release,
	.ideal_s = queue_ideal,
};
