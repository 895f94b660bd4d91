/* power: base^exp with GMP, the luminousmen article's cpu_bound task (7777^200000).
 * Each task checks its own answer against base^exp mod 2^61-1, computed by
 * square-and-multiply, so a wrong result is a failed task, not a fast one. */
#include <stdlib.h>

#include "powerkernel.h"
#include "workload.h"

struct power_cfg {
	unsigned long base, exp;
	uint64_t expect; /* base^exp mod 2^61-1 */
	struct step step;
};

static enum step_status power_step(void *state, const void *arg)
{
	(void)state;
	const struct power_cfg *c = arg;
	return powerkernel_run(c->base, c->exp, c->expect) ? STEP_OK : STEP_FAIL;
}

static const struct param_spec power_params[] = {
	{"base", PARAM_INT, "7777", 2, 1000000000, NULL, "the base", false},
	{"exp", PARAM_INT, "200000", 1, 100000000, NULL, "the exponent", true},
	{0},
};

static int power_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct power_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "power");
	c->base = (unsigned long)params_int(p, "base");
	c->exp = (unsigned long)params_int(p, "exp");
	c->expect = powerkernel_expect(c->base, c->exp);
	c->step = (struct step){.kind = STEP_COMPUTE, .compute = {.fn = power_step, .arg = c}};
	*cfg = c;
	return CB_OK;
}

static int power_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		       struct cb_err *err)
{
	(void)workers;
	const struct power_cfg *c = cfg;
	return taskset_alloc_alike(ts, ntasks, &c->step, 1, err);
}

const struct workload power_workload = {
	.name = "power",
	.in_default = true,
	.summary = "big-integer base^exp with GMP, checked mod 2^61-1 (CPU)",
	.params = power_params,
	.cpu_bound = true,
	.configure = power_configure,
	.config_free = free,
	.build = power_build,
	.release = taskset_free,
};
