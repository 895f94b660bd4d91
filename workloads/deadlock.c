/* deadlock: two locks taken in opposite orders (seed 003, article B6). Even tasks
 * take a then b, odd tasks b then a, thinking in between, so two tasks that start
 * together each hold the lock the other wants. With deadlock.timeout_ms = 0 they
 * wait for ever and the trial timeout names the outcome "deadlocked"; with a
 * timeout an acquire gives up, the task releases what it holds, backs off for a
 * time of its own (so two tasks do not retry in step for ever) and tries again.
 * One at a time (serial, or one worker) never deadlocks: no task ever holds a
 * lock while another wants it. */
#include <stdlib.h>

#include "shm.h"
#include "workload.h"

enum { DL_LOCK_A, DL_LOCK_B, DL_NSTEPS = 9 };

struct deadlock_cfg {
	int64_t think_ns;
	int64_t timeout_ns; /* < 0: wait for ever */
	int64_t backoff_ns; /* task i backs off (i + 1) times this */
};

/* One task's counters, in shared memory so procs workers report them. */
struct deadlock_slot {
	int backoffs; /* acquires that timed out */
	int done;     /* times it held both locks: 1 when it ended well */
};

/* ts->priv: the shared counters and the tasks' own step programs. */
struct deadlock_run {
	struct deadlock_slot *slot;
	struct step *steps;
};

static const struct sem_decl deadlock_sems[] = {{"a", 1}, {"b", 1}};

static enum step_status deadlock_done_step(void *state, const void *arg)
{
	(void)arg;
	struct deadlock_slot *s = state;
	s->done++;
	return STEP_DONE;
}

static enum step_status deadlock_backoff_step(void *state, const void *arg)
{
	(void)arg;
	struct deadlock_slot *s = state;
	s->backoffs++;
	return STEP_ALT; /* back to the first acquire */
}

static const struct param_spec deadlock_params[] = {
	{"think_ms", PARAM_MS, "100", 0, 3600000, NULL,
	 "time a task holds its first lock before asking for the second", true},
	{"timeout_ms", PARAM_MS, "0", 0, 3600000, NULL,
	 "give up the second lock after this long and back off (0: wait for ever)", true},
	{"backoff_ms", PARAM_MS, "10", 0, 3600000, NULL,
	 "task i sleeps (i + 1) times this after giving up, then retries", true},
	{0},
};

static int64_t deadlock_ns(const struct params *p, const char *name)
{
	return (int64_t)(params_ms(p, name) * 1e6 + 0.5);
}

static int deadlock_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct deadlock_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "deadlock");
	c->think_ns = deadlock_ns(p, "think_ms");
	c->timeout_ns = deadlock_ns(p, "timeout_ms");
	if (c->timeout_ns == 0)
		c->timeout_ns = -1;
	c->backoff_ns = deadlock_ns(p, "backoff_ms");
	*cfg = c;
	return CB_OK;
}

/* Task i's program: its lock order by parity, its own back-off. With a timeout
 * the first acquire gives up too: with more than two tasks, those queued for
 * their first lock would otherwise always win it over a task that holds the
 * other lock and waits with a timeout, and the rounds would repeat for ever. */
static void deadlock_program(const struct deadlock_cfg *c, int i, struct step *st)
{
	int first = i % 2 ? DL_LOCK_B : DL_LOCK_A, second = i % 2 ? DL_LOCK_A : DL_LOCK_B;
	st[0] = (struct step){.kind = STEP_WAIT, .alt = 7,
			      .wait = {.sem = first, .timeout_ns = c->timeout_ns}};
	st[1] = (struct step){.kind = STEP_SLEEP, .sleep.ns = c->think_ns};
	st[2] = (struct step){.kind = STEP_WAIT, .alt = 6,
			      .wait = {.sem = second, .timeout_ns = c->timeout_ns}};
	st[3] = (struct step){.kind = STEP_POST, .post.sem = second};
	st[4] = (struct step){.kind = STEP_POST, .post.sem = first};
	st[5] = (struct step){.kind = STEP_COMPUTE, .compute.fn = deadlock_done_step};
	/* the second lock timed out: let the first go; either timed out: wait, retry */
	st[6] = (struct step){.kind = STEP_POST, .post.sem = first};
	st[7] = (struct step){.kind = STEP_SLEEP, .sleep.ns = c->backoff_ns * (i + 1)};
	st[8] = (struct step){.kind = STEP_COMPUTE, .alt = 0,
			      .compute.fn = deadlock_backoff_step};
}

static void deadlock_release(struct taskset *ts)
{
	struct deadlock_run *run = ts->priv;
	if (run) {
		shm_free(run->slot);
		free(run->steps);
	}
	free(run);
	ts->priv = NULL;
	taskset_free(ts);
}

static int deadlock_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			  struct cb_err *err)
{
	(void)workers;
	size_t n = (size_t)(ntasks > 0 ? ntasks : 1);
	*ts = (struct taskset){0};
	struct deadlock_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "deadlock: no memory");
	if (!(run->steps = calloc(n * DL_NSTEPS, sizeof *run->steps))) {
		cb_fail(err, CB_ELIMIT, "deadlock: no memory for %d step programs", ntasks);
		goto fail;
	}
	if (!(run->slot = shm_new(sizeof *run->slot * n, err)) ||
	    taskset_alloc(ts, ntasks, run->steps, DL_NSTEPS, err))
		goto fail;
	for (int i = 0; i < ntasks; i++) {
		deadlock_program(cfg, i, &run->steps[(size_t)i * DL_NSTEPS]);
		ts->tasks[i].steps = &run->steps[(size_t)i * DL_NSTEPS];
		ts->tasks[i].state = &run->slot[i];
	}
	ts->sems = deadlock_sems;
	ts->nsems = 2;
	ts->priv = run;
	return CB_OK;
fail:
	ts->priv = run; /* for release, which frees whatever was made */
	deadlock_release(ts);
	return err->code;
}

static const char *const deadlock_metrics[] = {"backoffs", "rounds", NULL};

/* backoffs: acquires that timed out, over all tasks; rounds: the most attempts
 * any one task needed (1: nobody backed off). */
static int deadlock_check(const void *cfg, struct taskset *ts, const struct task_result *res,
			  double *metric, struct cb_err *err)
{
	(void)cfg;
	const struct deadlock_run *run = ts->priv;
	int backoffs = 0, rounds = 0;
	for (int i = 0; i < ts->ntasks; i++) {
		const struct deadlock_slot *s = &run->slot[i];
		backoffs += s->backoffs;
		if (s->backoffs + 1 > rounds)
			rounds = s->backoffs + 1;
		if (res[i].done && res[i].fail == FAIL_NONE && s->done != 1)
			return cb_fail(err, CB_EFAIL, "deadlock: task %d ended well but held both "
				       "locks %d times", i, s->done);
	}
	metric[0] = backoffs;
	metric[1] = rounds;
	return CB_OK;
}

const struct workload deadlock_workload = {
	.name = "deadlock",
	.summary = "two locks taken in opposite orders; a timeout makes a task back off (seed 003)",
	.params = deadlock_params,
	.metrics = deadlock_metrics,
	.timeout_outcome = "deadlocked",
	.configure = deadlock_configure,
	.config_free = free,
	.build = deadlock_build,
	.check = deadlock_check,
	.release = deadlock_release,
};
