/* The workload interface: a workload makes the tasks (core/task.h) of one cell,
 * checks their results and says what a perfect scheduler would take. It knows no
 * runner: the same tasks run under every model. */
#ifndef CB_WORKLOAD_H
#define CB_WORKLOAD_H

#include <stdbool.h>

#include "err.h"
#include "params.h"
#include "task.h"

#define WL_METRICS_MAX 8

struct workload {
	const char *name;
	bool in_default; /* run when the command line names no workload */
	const char *summary;
	const struct param_spec *params;
	/* Extra per-trial result columns (NULL-terminated), filled by check. */
	const char *const *metrics;
	/* The outcome of a trial the timeout killed (e.g. "deadlocked"); NULL: "timeout". */
	const char *timeout_outcome;
	/* The ideal time is the serial time over min(W, N, cores): CPU work. */
	bool cpu_bound;

	/* At plan time, in the driver: validate what params cannot (cross-field rules). */
	int (*configure)(const struct params *p, void **cfg, struct cb_err *err);
	void (*config_free)(void *cfg);
	/* At plan time: whether it can run with ntasks and workers (pairs, say). Optional. */
	int (*check_cell)(const void *cfg, int ntasks, int workers, struct cb_err *err);
	/* In the driver, once before the first trial and once after the last (or on
	 * any stop): start and stop what the tasks need, e.g. the local HTTP server.
	 * Optional; finish must be safe to call after a failed or missing start. */
	int (*start)(void *cfg, struct cb_err *err);
	void (*finish)(void *cfg);
	/* In the trial child, before the clock starts. */
	int (*build)(const void *cfg, int ntasks, int workers, struct taskset *ts,
		     struct cb_err *err);
	/* After the run, clock stopped: verify shared results, fill metric[]. Optional. */
	int (*check)(const void *cfg, struct taskset *ts, const struct task_result *res,
		     double *metric, struct cb_err *err);
	void (*release)(struct taskset *ts);
	/* Seconds a perfect scheduler needs, or < 0 when not known. Optional. */
	double (*ideal_s)(const void *cfg, int ntasks, int workers);
	/* The CPU seconds all ntasks compute, which no scheduler spreads over more than
	 * min(W, the cores the host gives): the ideal is at least that over those cores
	 * (the driver takes the larger of it and ideal_s). For work that both computes and
	 * waits. Optional. */
	double (*cpu_s)(const void *cfg, int ntasks);

	/* Floors: the same work done by hand, which a cell's overhead is a multiple of.
	 * Either the runners do it in their model (floor_work says what the tasks are, when
	 * they are all one kind of step), or the workload has a floor of its own, the same
	 * for every model (floor: the bare HTTP client); neither, and the cells have none.
	 * floor runs in the driver after start: CB_OK with *overhead_s its wall time over
	 * the ideal, or NAN (and a reason in err->msg) when it has none for this N and W. */
	bool (*floor_work)(const void *cfg, struct floor_work *fw);
	int (*floor)(const void *cfg, int ntasks, int workers, double *overhead_s,
		     struct cb_err *err);
	const char *floor_what; /* what its own floor is, for --list */
};

/* The registry: the one place that lists workloads (workloads/registry.c). */
extern const struct workload *const workload_table[];
const struct workload *workload_find(const char *name);

#endif
