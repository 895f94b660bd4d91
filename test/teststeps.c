/* What the runner tests share: compute steps, a count of the tasks that ended ok, and
 * hand-built tasks run as the driver runs a cell. */
#include "teststeps.h"

#include <criterion/criterion.h>

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
