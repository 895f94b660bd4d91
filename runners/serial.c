/* serial: one task after another on the calling thread, the baseline of every ratio. */
#include "blocking.h"
#include "clock.h"
#include "runner.h"

static int serial_run(struct run_args *a, struct cb_err *err)
{
	struct blocking_worker w = {.alone = true};
	int rc = semset_open(&w.sems, a->ts->sems, a->ts->nsems, err);
	if (rc)
		return rc;
	for (int i = 0; i < a->ts->ntasks; i++)
		blocking_run_task(&w, &a->ts->tasks[i], &a->res[i], a->t0);
	blocking_worker_close(&w);
	semset_close(w.sems);
	return CB_OK;
}

const struct runner serial_runner = {
	.name = "serial",
	.summary = "one task after another, one thread (the baseline)",
	.one_at_a_time = true,
	.run = serial_run,
};
