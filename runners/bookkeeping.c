/* bookkeeping: the harness's own cost per task and no model at all. Each task gets what
 * every runner gives it — a start stamp, the walk through its steps, an end stamp, its
 * result record — with compute steps called as serial calls them and every sleep,
 * fetch, wait and post taken as done at once. Its wall over N is what the bookkeeping
 * alone costs a task, the part of every model's overhead that is not the model's. */
#include "clock.h"
#include "loopclock.h"
#include "runner.h"

/* The stamps as the blocking runners take them (a clock read each) or as the loop
 * runners do (one read shared by a burst of stamps). */
static int bookkeeping_run(struct run_args *a, struct cb_err *err)
{
	(void)err;
	bool shared = params_str(a->params, "stamps")[0] == 's';
	struct loopclock lc = {0};
	double t0 = a->t0;
	for (int i = 0; i < a->ts->ntasks; i++) {
		const struct task *t = taskset_task(a->ts, i);
		struct task_result *r = &a->res[i];
		r->start_s = (float)((shared ? loopclock_stamp(&lc) : clock_now()) - t0);
		int pc = 0;
		while (pc >= 0) {
			const struct step *s = &t->steps[pc];
			enum step_status st = STEP_OK;
			if (s->kind == STEP_COMPUTE) {
				st = s->compute.fn(t->state, s->compute.arg);
				loopclock_stale(&lc);
			}
			pc = task_next(t, pc, st);
		}
		r->end_s = (float)((shared ? loopclock_stamp(&lc) : clock_now()) - t0);
		r->fail = pc == TASK_FAILED ? FAIL_CHECK : FAIL_NONE;
		r->done = 1;
	}
	return CB_OK;
}

static const struct param_spec bookkeeping_params[] = {
	{"stamps", PARAM_CHOICE, "each", 0, 0, "each|shared",
	 "a clock read per stamp, as serial, threads and procs take them (each), or one read "
	 "shared by a burst of 16, as evloop and green do (shared)", false},
	{0},
};

const struct runner bookkeeping_runner = {
	.name = "bookkeeping",
	.summary = "no model: the harness's stamps, step walk and result records alone, every "
		   "wait taken as done at once (its wall over N: the bookkeeping per task)",
	.family = "harness",
	.params = bookkeeping_params,
	.waits_skipped = true,
	.run = bookkeeping_run,
};
