/* Running a cell's work once, in the calling process: build the tasks, start the
 * clock, let the runner carry them out, stop the clock, check the answers. The
 * trial child does exactly this, and so does every test that runs a runner, so a
 * test of a runner measures what the driver measures. */
#ifndef CB_CELLRUN_H
#define CB_CELLRUN_H

#include "err.h"
#include "params.h"
#include "runner.h"
#include "workload.h"

struct cellrun_in {
	const struct workload *wl;
	const void *cfg;              /* from wl->configure */
	const char *wparams;          /* "k=v;k=v", for an external runner; may be NULL */
	const struct runner *rn;
	const struct params *rparams; /* the runner's, validated */
	int ntasks, workers;          /* workers as the runner gets them */
	struct task_result *res;      /* ntasks entries to keep, or NULL: made and freed here */
};

struct cellrun_out {
	int code;            /* CB_OK, or the first failure of build, run or check */
	int stage;           /* where code came from: 0 none, 1 build, 2 run, 3 check */
	double wall_s;       /* the run alone (a peer's own figure when it gives one) */
	double window_s;     /* the run alone as this process saw it, even for a peer */
	double cpu_s;        /* user + system CPU inside the window, with reaped children */
	int tasks_ok, tasks_failed;
	int fail[FAIL_REASONS];
	double task_p50_s, task_max_s; /* NAN when no task reported a time */
	double metric[WL_METRICS_MAX];
	char note[256];
};

/* Fills *out; returns out->code. Nothing of the run outlives the call. */
int cellrun_once(const struct cellrun_in *in, struct cellrun_out *out);

/* Cores the run kept busy: CPU time over its wall time. */
static inline double cellrun_cores(const struct cellrun_out *o)
{
	return o->window_s > 0 ? o->cpu_s / o->window_s : 0;
}

#endif
