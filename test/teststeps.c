/* The loop-runner tests' shared compute steps. */
#include "teststeps.h"

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
