/* A cell's trial: one run of its work (cellrun_once) in a trial child (trial.h),
 * and the row of trials.csv made of what the child reported and what the driver saw
 * of it. */
#ifndef CB_TRIALCELL_H
#define CB_TRIALCELL_H

#include <stdbool.h>

#include "err.h"
#include "plan.h"

struct trial_row {
	int cell, index;
	bool warmup;
	char outcome[24]; /* ok, failed, timeout (or the workload's name for it), crashed, limit, error */
	double wall_s;    /* the run alone, measured in the child (or a peer's own figure) */
	double trial_s;   /* fork to reap, as the driver saw it: includes the harness's cost */
	double user_s, sys_s;
	double cpu_s;     /* user + system CPU inside the run alone, with reaped workers */
	double cores;     /* cores the run kept busy: cpu_s over the run's wall time */
	long maxrss_kib, minflt, majflt, vcsw, ivcsw;
	int tasks_ok, tasks_failed;
	int fail[FAIL_REASONS];
	double task_p50_s, task_max_s; /* task latencies, start to end */
	double metric[WL_METRICS_MAX];
	char note[256];
};

/* Runs cell c once in a trial child; fills row. CB_EINTR when the user stopped the
 * run (the child is killed and reaped; the row is not valid). */
int trialcell_run(const struct cell *c, double timeout_s, struct trial_row *row,
		  struct cb_err *err);

#endif
