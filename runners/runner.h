/* The runner interface: a concurrency model, as the driver sees it. A runner has one
 * engine of two:
 *
 * - a step runner (`run`) gets N tasks and a worker limit W (0: all at once; W > N
 *   means the same) and carries out every step of every task in its own model (see
 *   the table in core/task.h). It runs inside a fresh trial child, so it may fork,
 *   spawn threads or set up a loop freely, but it must release all of it before
 *   returning: the harness measures the child's whole life.
 * - an external runner (`external`, runners/external.h) is a program of its own, a
 *   peer, that re-implements the workloads it declares and reports its own figures.
 *
 * Adding one is a line in runners/list.h. */
#ifndef CB_RUNNER_H
#define CB_RUNNER_H

#include <stdbool.h>

#include "err.h"
#include "params.h"
#include "task.h"

struct external;

struct run_args {
	const struct taskset *ts;
	int workers;                  /* 0: one worker per task */
	const struct params *params;  /* the runner's own -p values, validated */
	struct task_result *res;      /* ts->ntasks entries, zeroed by the caller */
	double t0;                    /* clock_now() when the run began */
};

struct runner {
	const char *name;
	bool in_default; /* run when the command line names no runner */
	const char *summary;
	const struct param_spec *params; /* may be NULL */
	/* What its floor does, for --list and the README. */
	const char *floor_what;
	/* The language it runs in ("C", "Python", ...): speed-ups compare runners of one
	 * family only, against the family's one_at_a_time runner. */
	const char *family;
	/* Runs one task at a time whatever W says (serial): its W is 1, and it is the
	 * baseline of its family. At most one per family. */
	bool one_at_a_time;
	/* Takes every sleep, fetch, wait and post as done at once (bookkeeping): no time a
	 * scheduler needs is in its wall, so the ideal of waiting work is zero for it. */
	bool waits_skipped;

	/* At plan time: cross-field checks of params. Optional. */
	int (*configure)(const struct params *p, struct cb_err *err);

	/* The engine: exactly one of run and external. */
	/* Carries out every task; fills a->res. Returns CB_OK whenever results were
	 * recorded, even if tasks failed: a failed task is a result, not an error.
	 * err->msg may carry a note with CB_OK (e.g. "pthread_create refused at 32001"). */
	int (*run)(struct run_args *a, struct cb_err *err);
	/* A program of its own. It starts a runtime of its own too (an interpreter, a VM):
	 * its memory per task is counted above a run of one task, not above an empty trial
	 * child. */
	const struct external *external;

	/* The floor: the tasks' work (fw) for ntasks with `workers`, written by hand in
	 * the model without the harness's tasks and steps; the caller times it in a
	 * trial child. CB_EINVAL for a kind of work it has no floor for. Optional. */
	int (*floor)(const struct params *p, const struct floor_work *fw, int ntasks,
		     int workers, struct cb_err *err);
};

extern const struct runner *const runner_table[];
const struct runner *runner_find(const char *name);

#endif
