/* The mix workload under every C runner: the CPU it computes (the run's rusage) and
 * the waits it makes (the wall), a wrong answer failing its task, and its ideal. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "cellrun.h"
#include "runner.h"
#include "teststeps.h"
#include "workload.h"

#define FOR_EACH_C_RUNNER(rn)                                                             \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if ((rn)->run && !(rn)->waits_skipped)

/* 6 tasks of 3 rounds of (4 ms of CPU, 20 ms of waiting): 72 ms of CPU in all. The run
 * uses at least that (each step spins until its thread's clock says so), plus what the
 * model costs: a fork and an exit per process, a thread's start, the loop; 60 ms more
 * than a quarter on top is far above any of those for 6 tasks, and far below a step
 * counted twice or a round done twice (+72 ms). The wall is at least a task's rounds
 * of waits and CPU, each in a row. */
Test(mix, every_runner_computes_and_waits_what_it_is_asked, .timeout = 120)
{
	static const char *const kv[] = {"cpu_us", "4000", "wait_ms", "20", "steps", "3", NULL};
	const int n = 6, rounds = 3;
	const double cpu = n * rounds * 0.004, task = rounds * (0.004 + 0.020);
	static const int limits[] = {0, 2};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		for (size_t l = 0; l < 2; l++) {
			int w = rn->one_at_a_time ? 1 : limits[l];
			if (rn->one_at_a_time && l > 0)
				continue;
			struct testcell tc;
			struct cb_err err = {0};
			cr_assert_eq(testcell_open(&tc, "mix", kv, rn, NULL, &err), CB_OK, "%s: %s",
				     rn->name, err.msg);
			struct cellrun_out o;
			testcell_run(&tc, n, w, &o);
			testcell_close(&tc);
			cr_assert_eq(o.code, CB_OK, "%s: stage %d: %s", rn->name, o.stage, o.note);
			cr_expect_eq(o.tasks_ok, n, "%s w=%d: %d ok (%s)", rn->name, w, o.tasks_ok,
				     o.note);
			cr_expect_geq(o.cpu_s, cpu * 0.98, "%s w=%d: %.3f s of CPU, asked %.3f",
				      rn->name, w, o.cpu_s, cpu);
			cr_expect_leq(o.cpu_s, cpu * 1.25 + 0.060, "%s w=%d: %.3f s of CPU, asked %.3f",
				      rn->name, w, o.cpu_s, cpu);
			int per_worker = rounds_of(n, w);
			cr_expect_geq(o.wall_s, per_worker * task - 0.002,
				      "%s w=%d: %.3f s, less than %d tasks in a row", rn->name, w,
				      o.wall_s, per_worker);
			cr_expect_float_eq(o.metric[0], 0.004 / 0.024, 1e-9, "%s: cpu_share %g",
				       rn->name, o.metric[0]);
		}
	}
}

/* A chain that is not where its links put it: the task's next compute finds the
 * closed form disagrees and fails it, and the others do not. */
Test(mix, a_wrong_answer_fails_its_task, .timeout = 60)
{
	const struct workload *wl = workload_find("mix");
	cr_assert_not_null(wl);
	static const char *const kv[] = {"cpu_us", "200", "wait_ms", "5", "steps", "2", NULL};
	struct params wp;
	struct cb_err err = {0};
	cr_assert_eq(test_params(&wp, "mix", wl->params, kv, &err), CB_OK, "%s", err.msg);
	void *cfg;
	cr_assert_eq(wl->configure(&wp, &cfg, &err), CB_OK, "%s", err.msg);
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct taskset ts;
		cr_assert_eq(wl->build(cfg, 5, 0, &ts, &err), CB_OK, "%s", err.msg);
		*(uint64_t *)ts.tasks[3].state ^= 1; /* the chain's value comes first */
		struct params rp;
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
		struct task_result res[5] = {0};
		struct cellrun_out o;
		handmade_run(rn, &rp, &ts, rn->one_at_a_time ? 1 : 0, res, &o);
		params_free(&rp);
		wl->release(&ts);
		cr_assert_eq(o.code, CB_OK, "%s: stage %d: %s", rn->name, o.stage, o.note);
		cr_expect_eq(o.fail[FAIL_CHECK], 1, "%s: %d failed the check", rn->name,
			     o.fail[FAIL_CHECK]);
		cr_expect_eq(o.tasks_ok, 4, "%s: %d ok", rn->name, o.tasks_ok);
		cr_expect_eq(res[3].fail, FAIL_CHECK, "%s: task 3 ended %d", rn->name, res[3].fail);
	}
	wl->config_free(cfg);
	params_free(&wp);
}

/* The ideal: a worker's tasks in a row, or all the CPU over min(W, cores), whichever is
 * longer; a part of 0 leaves only the other. */
Test(mix, the_ideal_is_the_waits_in_a_row_or_the_cpu_over_the_cores)
{
	const struct workload *wl = workload_find("mix");
	static const struct {
		const char *cpu_us, *wait_ms;
		int n, w;
		double waits_s, cpu_s;
	} cases[] = {
		{"1000", "9", 10, 0, 10 * 0.010, 10 * 10 * 0.001},
		{"1000", "9", 10, 2, 5 * 10 * 0.010, 10 * 10 * 0.001},
		{"0", "9", 100, 0, 10 * 0.009, 0},
		{"2000", "0", 4, 1, 4 * 10 * 0.002, 4 * 10 * 0.002},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *kv[] = {"cpu_us", cases[i].cpu_us, "wait_ms", cases[i].wait_ms, NULL};
		struct params wp;
		struct cb_err err = {0};
		cr_assert_eq(test_params(&wp, "mix", wl->params, kv, &err), CB_OK, "%s", err.msg);
		void *cfg;
		cr_assert_eq(wl->configure(&wp, &cfg, &err), CB_OK, "%s", err.msg);
		cr_expect_float_eq(wl->ideal_s(cfg, cases[i].n, cases[i].w), cases[i].waits_s, 1e-9,
				   "case %zu", i);
		cr_expect_float_eq(wl->cpu_s(cfg, cases[i].n), cases[i].cpu_s, 1e-9, "case %zu", i);
		wl->config_free(cfg);
		params_free(&wp);
	}
}
