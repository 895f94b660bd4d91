/* What the runner tests share: compute steps, a count of the tasks that ended ok,
 * hand-built tasks run as the driver runs a cell, and cells run the way the driver
 * runs one. */
#include "teststeps.h"

#include <criterion/criterion.h>
#include <stdlib.h>

enum step_status mx_read(void *state, const void *arg)
{
	(void)arg;
	struct mx_state *m = state;
	m->seen = *m->counter;
	return STEP_OK;
}

enum step_status mx_write(void *state, const void *arg)
{
	(void)arg;
	struct mx_state *m = state;
	*m->counter = m->seen + 1;
	return STEP_OK;
}

enum step_status step_fail(void *state, const void *arg)
{
	(void)state, (void)arg;
	return STEP_FAIL;
}

enum step_status step_mark(void *state, const void *arg)
{
	(void)arg;
	(*(int *)state)++;
	return STEP_DONE;
}

int tasks_ok(const struct task_result *res, int n)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += res[i].done && res[i].fail == FAIL_NONE;
	return ok;
}

/* The workload behind handmade_run: its configuration is the test's taskset. */
static int handmade_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			  struct cb_err *err)
{
	(void)workers;
	const struct taskset *given = cfg;
	if (ntasks != given->ntasks)
		return cb_fail(err, CB_EINVAL, "handmade: %d tasks asked of %d built", ntasks,
			       given->ntasks);
	*ts = *given;
	return CB_OK;
}

/* The tasks, steps and states belong to the test, which may read them after. */
static void handmade_release(struct taskset *ts)
{
	(void)ts;
}

static const struct workload handmade_workload = {
	.name = "handmade",
	.build = handmade_build,
	.release = handmade_release,
};

int handmade_run(const struct runner *rn, const struct params *rp, const struct taskset *ts,
		 int workers, struct task_result *res, struct cellrun_out *out)
{
	struct cellrun_in in = {.wl = &handmade_workload, .cfg = ts, .rn = rn, .rparams = rp,
				.ntasks = ts->ntasks, .workers = workers, .res = res};
	return cellrun_once(&in, out);
}

double handmade_wall(const char *runner, const char *const *kv, struct task *tasks, int n,
		     int workers, const struct sem_decl *sems, int nsems, struct task_result *res)
{
	const struct runner *rn = runner_find(runner);
	cr_assert_not_null(rn, "%s is not in the registry", runner);
	const char *how = kv && kv[0] ? kv[1] : ""; /* the first -p value, for the messages */
	struct taskset ts = {.tasks = tasks, .ntasks = n, .sems = sems, .nsems = nsems};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
	for (int i = 0; kv && kv[i]; i += 2)
		cr_assert_eq(params_set(&rp, kv[i], kv[i + 1], &err), CB_OK, "%s", err.msg);
	struct cellrun_out o;
	handmade_run(rn, &rp, &ts, workers, res, &o);
	params_free(&rp);
	cr_assert_eq(o.code, CB_OK, "%s %s: stage %d: %s", runner, how, o.stage, o.note);
	for (int i = 0; i < n; i++)
		cr_assert(res[i].done, "%s %s: task %d not done", runner, how, i);
	return o.wall_s;
}

int test_params(struct params *p, const char *module, const struct param_spec *spec,
		const char *const *kv, struct cb_err *err)
{
	int rc = params_init(p, module, spec, err);
	for (int i = 0; kv && kv[i] && rc == CB_OK; i += 2)
		rc = params_set(p, kv[i], kv[i + 1], err);
	if (rc)
		params_free(p);
	return rc;
}

int testcell_open(struct testcell *tc, const char *wl_name, const char *const *wkv,
		  const struct runner *rn, const char *const *rkv, struct cb_err *err)
{
	*tc = (struct testcell){.wl = workload_find(wl_name), .rn = rn};
	if (!tc->wl)
		return cb_fail(err, CB_EINVAL, "no workload %s", wl_name);
	int rc = test_params(&tc->wp, tc->wl->name, tc->wl->params, wkv, err);
	if (rc == CB_OK)
		rc = test_params(&tc->rp, rn->name, rn->params, rkv, err);
	if (rc == CB_OK && !(tc->wparams = params_format(&tc->wp)))
		rc = cb_fail(err, CB_ESYS, "no memory for the parameters");
	if (rc == CB_OK)
		rc = tc->wl->configure(&tc->wp, &tc->cfg, err);
	if (rc == CB_OK && tc->wl->start)
		rc = tc->wl->start(tc->cfg, err);
	if (rc)
		testcell_close(tc);
	return rc;
}

int testcell_run(const struct testcell *tc, int ntasks, int workers, struct cellrun_out *out)
{
	struct cellrun_in in = {.wl = tc->wl, .cfg = tc->cfg, .wparams = tc->wparams,
				.rn = tc->rn, .rparams = &tc->rp, .ntasks = ntasks,
				.workers = tc->rn->one_at_a_time ? 1 : workers};
	return cellrun_once(&in, out);
}

void testcell_close(struct testcell *tc)
{
	if (tc->cfg) {
		if (tc->wl->finish)
			tc->wl->finish(tc->cfg);
		tc->wl->config_free(tc->cfg);
	}
	params_free(&tc->wp);
	params_free(&tc->rp);
	free(tc->wparams);
	*tc = (struct testcell){0};
}
