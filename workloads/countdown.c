/* countdown: `while (n > 0) n--`, the articles' CPU-bound loop (seed 003). */
#include <stdlib.h>

#include "spin.h"
#include "workload.h"

struct countdown_cfg {
	uint64_t n;
	struct step step;
};

static enum step_status countdown_step(void *state, const void *arg)
{
	(void)state;
	const struct countdown_cfg *c = arg;
	return spin_countdown(c->n) == 0 ? STEP_OK : STEP_FAIL;
}

static const struct param_spec countdown_params[] = {
	{"n", PARAM_INT, "100000000", 1, INT64_MAX, NULL,
	 "iterations each task counts down", true},
	{0},
};

static int countdown_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct countdown_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "countdown");
	c->n = (uint64_t)params_int(p, "n");
	c->step = (struct step){.kind = STEP_COMPUTE,
				.compute = {.fn = countdown_step, .arg = c}};
	*cfg = c;
	return CB_OK;
}

static int countdown_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			   struct cb_err *err)
{
	(void)workers;
	const struct countdown_cfg *c = cfg;
	return taskset_alloc_alike(ts, ntasks, &c->step, 1, err);
}

const struct workload countdown_workload = {
	.name = "countdown",
	.in_default = true,
	.summary = "busy loop counting n down to 0 per task (CPU)",
	.params = countdown_params,
	.cpu_bound = true,
	.configure = countdown_configure,
	.config_free = free,
	.build = countdown_build,
	.release = taskset_free,
};
