/* stall: does a blocking compute step stall the other tasks? (seed 002's claim that
 * a blocking call must be moved off an event loop.) Tasks 0..N-2 each sleep
 * sleep_ms; the last task computes for about compute_ms without waiting. Started
 * all at once, the sleepers should end at sleep_ms; the metric `stall_s` is how
 * much later than that they end, measured from the start of the run: about 0
 * where compute runs beside them (threads, procs), about compute_ms - sleep_ms
 * where it holds the only thread (evloop, green). */
#include <math.h>
#include <stdlib.h>

#include "clock.h"
#include "spin.h"
#include "stats.h"
#include "workload.h"

struct stall_cfg {
	double sleep_ms;
	uint64_t iterations; /* of the countdown, calibrated to last compute_ms */
	struct step sleep_step, compute_step;
};

static enum step_status stall_compute(void *state, const void *arg)
{
	(void)state;
	const struct stall_cfg *c = arg;
	return spin_countdown(c->iterations) == 0 ? STEP_OK : STEP_FAIL;
}

static const struct param_spec stall_params[] = {
	{"compute_ms", PARAM_MS, "200", 1, 3600000, NULL,
	 "CPU time of the one computing task", true},
	{"sleep_ms", PARAM_MS, "50", 0, 3600000, NULL, "wait of every other task", true},
	{0},
};

static const char *const stall_metrics[] = {"stall_s", NULL};

/* Iterations per millisecond of the countdown on this machine, best of a few. */
static double stall_calibrate(void)
{
	const uint64_t n = 2000000;
	double best = INFINITY;
	for (int i = 0; i < 5; i++) {
		double t0 = clock_now();
		spin_countdown(n);
		double t = clock_now() - t0;
		if (t < best)
			best = t;
	}
	return (double)n / (best * 1e3);
}

static int stall_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct stall_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "stall");
	c->sleep_ms = params_ms(p, "sleep_ms");
	c->iterations = (uint64_t)(params_ms(p, "compute_ms") * stall_calibrate());
	c->sleep_step = (struct step){.kind = STEP_SLEEP,
				      .sleep.ns = (int64_t)llround(c->sleep_ms * 1e6)};
	c->compute_step = (struct step){.kind = STEP_COMPUTE,
					.compute = {.fn = stall_compute, .arg = c}};
	*cfg = c;
	return CB_OK;
}

static int stall_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		       struct cb_err *err)
{
	(void)workers;
	const struct stall_cfg *c = cfg;
	int rc = taskset_alloc(ts, ntasks, &c->sleep_step, 1, err);
	if (rc == CB_OK)
		ts->tasks[ntasks - 1].steps = &c->compute_step;
	return rc;
}

static int stall_check(const void *cfg, struct taskset *ts, const struct task_result *res,
		       double *metric, struct cb_err *err)
{
	const struct stall_cfg *c = cfg;
	int n = ts->ntasks - 1;
	double *late = malloc(sizeof *late * (size_t)(n > 0 ? n : 1));
	if (!late)
		return cb_fail_errno(err, CB_ESYS, "stall");
	for (int i = 0; i < n; i++)
		late[i] = (double)res[i].end_s - c->sleep_ms * 1e-3;
	metric[0] = stats_median(late, n);
	free(late);
	return CB_OK;
}

const struct workload stall_workload = {
	.name = "stall",
	.summary = "N-1 tasks sleep while one computes: do the sleepers end late?",
	.params = stall_params,
	.metrics = stall_metrics,
	.configure = stall_configure,
	.config_free = free,
	.build = stall_build,
	.check = stall_check,
	.release = taskset_free,
};
