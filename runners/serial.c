/* serial: one task after another on the calling thread, the baseline of every ratio. */
#include "bare.h"
#include "blocking.h"
#include "clock.h"
#include "runner.h"

static int serial_run(struct run_args *a, struct cb_err *err)
{
	/* Read by the fetches: the last task's last GET closes its connection. */
	atomic_int next = 0;
	struct blocking_worker w = {.alone = true, .workers = 1, .ntasks = a->ts->ntasks,
				    .next = &next};
	int rc = semset_open(&w.sems, a->ts->sems, a->ts->nsems, err);
	if (rc)
		return rc;
	for (int i = 0; i < a->ts->ntasks; i++) {
		atomic_store_explicit(&next, i + 1, memory_order_relaxed);
		blocking_run_task(&w, taskset_task(a->ts, i), &a->res[i], a->t0);
	}
	blocking_worker_close(&w);
	semset_close(w.sems);
	return CB_OK;
}

/* By hand: every task's sleeps, one task after another. */
static int serial_floor(const struct params *p, const struct floor_work *fw, int ntasks,
			int workers, struct cb_err *err)
{
	(void)p;
	(void)workers;
	int rc = bare_supported(fw, "serial", err);
	for (int i = 0; rc == CB_OK && i < ntasks; i++)
		bare_sleeps(fw);
	return rc;
}

const struct runner serial_runner = {
	.name = "serial",
	.in_default = true,
	.summary = "one task after another, one thread (the baseline)",
	.family = "C",
	.one_at_a_time = true,
	.floor_what = "the tasks' sleeps in a loop",
	.run = serial_run,
	.floor = serial_floor,
};
