/* Every C runner in the registry, through the runner interface: sleeping tasks for
 * several (N, W), CPU tasks, and tasks that fail or kill their worker. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "countdown.h"
#include "runner.h"
#include "workload.h"

struct outcome {
	double wall_s;
	int ok, failed;
	int fail[FAIL_REASONS];
};

/* Configures a workload from "key=value" pairs, runs it once under rn. */
static struct outcome run_workload(const struct runner *rn, const char *wl_name,
				   const char *const *kv, int ntasks, int workers)
{
	const struct workload *wl = workload_find(wl_name);
	cr_assert_not_null(wl, "workload %s", wl_name);
	struct cb_err err = {0};
	struct params wp = {0}, rp = {0};
	cr_assert_eq(params_init(&wp, wl->name, wl->params, &err), CB_OK, "%s", err.msg);
	for (int i = 0; kv && kv[i]; i += 2)
		cr_assert_eq(params_set(&wp, kv[i], kv[i + 1], &err), CB_OK, "%s", err.msg);
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
	void *cfg = NULL;
	cr_assert_eq(wl->configure(&wp, &cfg, &err), CB_OK, "%s", err.msg);
	int w = rn->one_at_a_time ? 1 : workers;
	struct taskset ts;
	cr_assert_eq(wl->build(cfg, ntasks, w, &ts, &err), CB_OK, "%s", err.msg);
	struct task_result *res = calloc((size_t)ntasks, sizeof *res);
	struct run_args a = {.workload = wl->name, .wparams = "", .ts = &ts, .workers = w,
			     .params = &rp, .res = res, .inner_wall_s = -1};
	a.t0 = clock_now();
	cr_assert_eq(rn->run(&a, &err), CB_OK, "%s: %s", rn->name, err.msg);
	struct outcome o = {.wall_s = clock_now() - a.t0};
	for (int i = 0; i < ntasks; i++) {
		cr_assert(res[i].done, "%s: task %d not done", rn->name, i);
		if (res[i].fail == FAIL_NONE)
			o.ok++;
		else
			o.failed++;
		o.fail[res[i].fail]++;
	}
	wl->release(&ts);
	free(res);
	wl->config_free(cfg);
	params_free(&wp);
	params_free(&rp);
	return o;
}

/* The C runners; peers (which have an availability check) have their own suite. */
#define FOR_EACH_C_RUNNER(rn)                                                             \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if (!(rn)->available)

Test(runners, sleep_all_sizes_and_limits)
{
	static const char *const kv[] = {"ms", "50", NULL};
	static const int sizes[] = {1, 3, 20};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			int n = sizes[s];
			const int limits[] = {0, 1, 2, n + 5};
			for (size_t l = 0; l < 4; l++) {
				if (rn->one_at_a_time && l > 0)
					continue; /* W means nothing to it: one case is enough */
				int w = rn->one_at_a_time ? 1 : limits[l];
				int eff = runner_workers(n, w);
				double ideal = ceil((double)n / eff) * 0.050;
				struct outcome o = run_workload(rn, "sleep", kv, n, w);
				cr_expect_eq(o.ok, n, "%s n=%d w=%d: %d ok", rn->name, n, w, o.ok);
				cr_expect_geq(o.wall_s, ideal - 0.001, "%s n=%d w=%d: %.3f s < ideal %.3f",
					      rn->name, n, w, o.wall_s, ideal);
				cr_expect_lt(o.wall_s, 2 * ideal + 0.100,
					     "%s n=%d w=%d: %.3f s, ideal %.3f", rn->name, n, w, o.wall_s,
					     ideal);
			}
		}
	}
}

Test(runners, cpu_tasks_are_correct)
{
	static const char *const power_kv[] = {"exp", "20000", NULL};
	static const char *const countdown_kv[] = {"n", "1000000", NULL};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct outcome o = run_workload(rn, "power", power_kv, 5, 2);
		cr_expect_eq(o.ok, 5, "%s power: %d ok", rn->name, o.ok);
		o = run_workload(rn, "countdown", countdown_kv, 7, 3);
		cr_expect_eq(o.ok, 7, "%s countdown: %d ok", rn->name, o.ok);
	}
}

/* A workload-less taskset: steps built here, run straight through a runner. */
static enum step_status step_fails(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_FAIL;
}

static enum step_status step_ok(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_OK;
}

static enum step_status step_kills_worker(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	raise(SIGKILL);
	return STEP_OK;
}

static void run_steps(const struct runner *rn, struct task *tasks, int n, int workers,
		      struct task_result *res)
{
	struct taskset ts = {.tasks = tasks, .ntasks = n};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
	struct run_args a = {.ts = &ts, .workers = workers, .params = &rp, .res = res,
			     .inner_wall_s = -1, .t0 = clock_now()};
	cr_assert_eq(rn->run(&a, &err), CB_OK, "%s: %s", rn->name, err.msg);
	params_free(&rp);
}

Test(runners, a_failing_task_is_a_result)
{
	static const struct step good = {.kind = STEP_COMPUTE, .compute.fn = step_ok};
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fails};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct task tasks[6];
		struct task_result res[6] = {0};
		for (int i = 0; i < 6; i++)
			tasks[i] = (struct task){.steps = i % 3 == 1 ? &bad : &good, .nsteps = 1};
		run_steps(rn, tasks, 6, 2, res);
		for (int i = 0; i < 6; i++)
			cr_expect_eq(res[i].fail, i % 3 == 1 ? FAIL_CHECK : FAIL_NONE,
				     "%s task %d: fail %d", rn->name, i, res[i].fail);
	}
}

Test(runners, procs_counts_a_killed_worker_and_goes_on)
{
	static const struct step good = {.kind = STEP_COMPUTE, .compute.fn = step_ok};
	static const struct step kill = {.kind = STEP_COMPUTE, .compute.fn = step_kills_worker};
	const struct runner *rn = runner_find("procs");
	cr_assert_not_null(rn);
	for (int workers = 0; workers <= 2; workers += 2) {
		struct task tasks[8];
		struct task_result res[8] = {0};
		for (int i = 0; i < 8; i++)
			tasks[i] = (struct task){.steps = i == 3 ? &kill : &good, .nsteps = 1};
		run_steps(rn, tasks, 8, workers, res);
		int died = 0, ok = 0;
		for (int i = 0; i < 8; i++) {
			died += res[i].fail == FAIL_DIED;
			ok += res[i].fail == FAIL_NONE;
		}
		cr_expect_eq(res[3].fail, FAIL_DIED, "W=%d: the killed task", workers);
		cr_expect_eq(died, 1, "W=%d: %d died", workers, died);
		cr_expect_eq(ok, 7, "W=%d: %d ok", workers, ok);
	}
}

/* The countdown must really count: 4x the iterations take about 4x the time. */
Test(runners, countdown_time_grows_linearly)
{
	const uint64_t n = 40000000;
	double best[2] = {INFINITY, INFINITY};
	for (int rep = 0; rep < 9; rep++)
		for (int k = 0; k < 2; k++) {
			double t0 = clock_now();
			cr_assert_eq(countdown_spin(k ? 4 * n : n), 0);
			double t = clock_now() - t0;
			if (t < best[k])
				best[k] = t;
		}
	double ratio = best[1] / best[0];
	/* Wide: the host's noise moves single runs; a removed loop would give about 1. */
	cr_expect(ratio > 2 && ratio < 8, "4x iterations took %.2fx the time (%.4f s vs %.4f s)",
		  ratio, best[1], best[0]);
	/* A loop the compiler removed would take no time at all. */
	cr_expect_gt(best[0], n * 0.1e-9, "%.0f iterations in %.6f s", (double)n, best[0]);
}
