/* sleep: each task waits `ms`, `steps` times in a row (the burger shop, 10 x 1 s). */
#include <math.h>
#include <stdlib.h>

#include "workload.h"

#define SLEEP_STEPS_MAX 1000

struct sleep_cfg {
	double ms;
	int nsteps;
	struct step steps[];
};

static const struct param_spec sleep_params[] = {
	{"ms", PARAM_MS, "100", 0, 86400000, NULL, "milliseconds each wait lasts", true},
	{"steps", PARAM_INT, "1", 1, SLEEP_STEPS_MAX, NULL, "waits in a row per task", false},
	{0},
};

static int sleep_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	int k = (int)params_int(p, "steps");
	struct sleep_cfg *c = calloc(1, sizeof *c + sizeof c->steps[0] * (size_t)k);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "sleep");
	c->ms = params_ms(p, "ms");
	c->nsteps = k;
	for (int i = 0; i < k; i++)
		c->steps[i] = (struct step){.kind = STEP_SLEEP,
					    .sleep.ns = (int64_t)llround(c->ms * 1e6)};
	*cfg = c;
	return CB_OK;
}

static int sleep_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		       struct cb_err *err)
{
	(void)workers;
	const struct sleep_cfg *c = cfg;
	return taskset_alloc_alike(ts, ntasks, c->steps, c->nsteps, err);
}

static double sleep_ideal(const void *cfg, int ntasks, int workers)
{
	const struct sleep_cfg *c = cfg;
	int w = runner_workers(ntasks, workers);
	int rounds = w > 0 ? (ntasks + w - 1) / w : 0;
	return rounds * c->nsteps * c->ms * 1e-3;
}

static bool sleep_floor_work(const void *cfg, struct floor_work *fw)
{
	const struct sleep_cfg *c = cfg;
	*fw = (struct floor_work){.kind = STEP_SLEEP, .steps = c->nsteps,
				  .sleep_ns = c->steps[0].sleep.ns};
	return true;
}

const struct workload sleep_workload = {
	.name = "sleep",
	.summary = "each task waits ms milliseconds, steps times (I/O-like waiting)",
	.params = sleep_params,
	.configure = sleep_configure,
	.config_free = free,
	.build = sleep_build,
	.release = taskset_free,
	.ideal_s = sleep_ideal,
	.floor_work = sleep_floor_work,
};
