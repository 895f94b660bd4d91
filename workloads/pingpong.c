/* pingpong: two tasks hand a token back and forth through two semaphores, the
 * cost of one switch between tasks in each model (article D's "overhead per
 * switch"). Tasks 2k and 2k+1 are a pair: ping waits on its own semaphore
 * (which starts with the token), counts, posts the other's; pong the reverse.
 * Each count checks the token really alternated, so a semaphore that lets it
 * through twice fails the task. One at a time (serial) the second wait could
 * only block for ever: FAIL_BLOCKED, unless there is a single round. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "shm.h"
#include "workload.h"

enum { PP_NSTEPS = 4 };

struct pingpong_cfg {
	int rounds;
};

/* One pair's receipts of the token, shared so procs workers see each other's. */
struct pingpong_pair {
	atomic_int got[2]; /* [0]: ping, [1]: pong */
};

/* A task's state: its pair and which side it plays. */
struct pingpong_slot {
	struct pingpong_pair *pair;
	int side;
	int rounds;
};

/* ts->priv: shared pairs, the tasks' slots and programs, the semaphores. */
struct pingpong_run {
	struct pingpong_pair *pairs;
	struct pingpong_slot *slots;
	struct step *steps;
	struct sem_decl *sems;
};

/* Ping's k-th token follows pong's (k-1)-th; pong's k-th follows ping's k-th. */
static enum step_status pingpong_got_step(void *state, const void *arg)
{
	(void)arg;
	struct pingpong_slot *s = state;
	/* Only this side writes its count, so a load and a store do (no locked add); the
	 * semaphore's hand-off orders them with the other side's. */
	int mine = atomic_load_explicit(&s->pair->got[s->side], memory_order_relaxed) + 1;
	atomic_store_explicit(&s->pair->got[s->side], mine, memory_order_release);
	int other = atomic_load_explicit(&s->pair->got[!s->side], memory_order_acquire);
	return other == (s->side == 0 ? mine - 1 : mine) ? STEP_OK : STEP_FAIL;
}

static enum step_status pingpong_again_step(void *state, const void *arg)
{
	(void)arg;
	struct pingpong_slot *s = state;
	return atomic_load(&s->pair->got[s->side]) < s->rounds ? STEP_ALT : STEP_DONE;
}

static const struct param_spec pingpong_params[] = {
	{"rounds", PARAM_INT, "10000", 1, 1000000000, NULL,
	 "times each task of a pair receives the token", true},
	{0},
};

static int pingpong_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct pingpong_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "pingpong");
	c->rounds = (int)params_int(p, "rounds");
	*cfg = c;
	return CB_OK;
}

static void pingpong_release(struct taskset *ts)
{
	struct pingpong_run *run = ts->priv;
	if (run) {
		shm_free(run->pairs);
		free(run->slots);
		free(run->steps);
		free(run->sems);
	}
	free(run);
	ts->priv = NULL;
	taskset_free(ts);
}

/* Task i: wait on semaphore i, count, post its partner's, again until done. */
static void pingpong_program(struct step *st, int i)
{
	int partner = i ^ 1;
	st[0] = (struct step){.kind = STEP_WAIT, .wait = {.sem = i, .timeout_ns = -1}};
	st[1] = (struct step){.kind = STEP_COMPUTE, .compute.fn = pingpong_got_step};
	st[2] = (struct step){.kind = STEP_POST, .post.sem = partner};
	st[3] = (struct step){.kind = STEP_COMPUTE, .alt = 0, .compute.fn = pingpong_again_step};
}

static int pingpong_check_cell(const void *cfg, int ntasks, int workers, struct cb_err *err)
{
	(void)cfg;
	(void)workers;
	if (ntasks < 2 || ntasks % 2)
		return cb_fail(err, CB_EINVAL, "pingpong: -n %d: the tasks play in pairs (allowed: "
			       "an even number, 2 or more)", ntasks);
	return CB_OK;
}

static int pingpong_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			  struct cb_err *err)
{
	const struct pingpong_cfg *c = cfg;
	*ts = (struct taskset){0};
	if (pingpong_check_cell(cfg, ntasks, workers, err))
		return CB_EINVAL;
	size_t n = (size_t)ntasks;
	struct pingpong_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "pingpong: no memory");
	run->slots = calloc(n, sizeof *run->slots);
	run->steps = calloc(n * PP_NSTEPS, sizeof *run->steps);
	run->sems = calloc(n, sizeof *run->sems);
	if (!run->slots || !run->steps || !run->sems) {
		cb_fail(err, CB_ELIMIT, "pingpong: no memory for %d tasks", ntasks);
		goto fail;
	}
	if (!(run->pairs = shm_new(sizeof *run->pairs * n / 2, err)) ||
	    taskset_alloc(ts, ntasks, run->steps, PP_NSTEPS, err))
		goto fail;
	for (int i = 0; i < ntasks; i++) {
		run->slots[i] = (struct pingpong_slot){.pair = &run->pairs[i / 2], .side = i % 2,
						       .rounds = c->rounds};
		run->sems[i] = (struct sem_decl){.name = i % 2 ? "pong" : "ping",
						 .init = i % 2 ? 0 : 1};
		pingpong_program(&run->steps[(size_t)i * PP_NSTEPS], i);
		ts->tasks[i].steps = &run->steps[(size_t)i * PP_NSTEPS];
		ts->tasks[i].state = &run->slots[i];
	}
	ts->sems = run->sems;
	ts->nsems = ntasks;
	ts->priv = run;
	return CB_OK;
fail:
	ts->priv = run; /* for release, which frees whatever was made */
	pingpong_release(ts);
	return err->code;
}

static const char *const pingpong_metrics[] = {"switches", "ns_per_switch", NULL};

/* switches: hand-offs from one task to the other, every receipt of the token but
 * each pair's first (ping starts holding it): 2 x rounds - 1 per pair.
 * ns_per_switch: the run's span, first task start to last task end, over them. */
static int pingpong_check(const void *cfg, struct taskset *ts, const struct task_result *res,
			  double *metric, struct cb_err *err)
{
	const struct pingpong_cfg *c = cfg;
	const struct pingpong_run *run = ts->priv;
	int npairs = ts->ntasks / 2, ok = 0;
	long long switches = 0;
	double t0 = 0, t1 = 0;
	for (int i = 0; i < ts->ntasks; i++) {
		ok += res[i].done && res[i].fail == FAIL_NONE;
		t0 = i == 0 || res[i].start_s < t0 ? res[i].start_s : t0;
		t1 = i == 0 || res[i].end_s > t1 ? res[i].end_s : t1;
	}
	for (int p = 0; p < npairs; p++) {
		int got = atomic_load(&run->pairs[p].got[0]) + atomic_load(&run->pairs[p].got[1]);
		switches += got > 0 ? got - 1 : 0;
	}
	metric[0] = (double)switches;
	metric[1] = NAN;
	if (ok < ts->ntasks)
		return CB_OK; /* blocked or failed: the failures are the result */
	long long want = (2LL * c->rounds - 1) * npairs;
	if (switches != want)
		return cb_fail(err, CB_EFAIL, "pingpong: %lld switches, expected %lld", switches,
			       want);
	metric[1] = (t1 - t0) * 1e9 / (double)switches;
	return CB_OK;
}

/* A perfect scheduler hands the token over in no time: the whole wall is overhead,
 * the harness's and the model's, and the floor's wall the model's alone. */
static double pingpong_ideal(const void *cfg, int ntasks, int workers)
{
	(void)cfg;
	(void)ntasks;
	(void)workers;
	return 0;
}

static bool pingpong_floor_work(const void *cfg, struct floor_work *fw)
{
	const struct pingpong_cfg *c = cfg;
	*fw = (struct floor_work){.kind = STEP_WAIT, .rounds = c->rounds};
	return true;
}

const struct workload pingpong_workload = {
	.name = "pingpong",
	.summary = "two tasks hand a token back and forth: the cost of one switch",
	.params = pingpong_params,
	.metrics = pingpong_metrics,
	.configure = pingpong_configure,
	.config_free = free,
	.check_cell = pingpong_check_cell,
	.build = pingpong_build,
	.check = pingpong_check,
	.release = pingpong_release,
	.ideal_s = pingpong_ideal,
	.floor_work = pingpong_floor_work,
};
