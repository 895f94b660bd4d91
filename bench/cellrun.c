/* One run of a cell's work: build, clock, run, clock, check. */
#include "cellrun.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "external.h"
#include "failnote.h"
#include "stats.h"

/* CPU of this process's threads and of every descendant it has reaped. */
static double cpu_now(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	struct timeval tv[] = {self.ru_utime, self.ru_stime, kids.ru_utime, kids.ru_stime};
	double s = 0;
	for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++)
		s += (double)tv[i].tv_sec + (double)tv[i].tv_usec * 1e-6;
	return s;
}

static void tally(struct cellrun_out *o, const struct task_result *res, int n)
{
	double *lat = malloc(sizeof *lat * (size_t)(n ? n : 1));
	int nl = 0;
	for (int i = 0; i < n; i++) {
		if (res[i].done && res[i].fail == FAIL_NONE) {
			o->tasks_ok++;
		} else {
			o->tasks_failed++;
			o->fail[res[i].done ? res[i].fail : FAIL_DIED]++;
		}
		if (lat && res[i].done && res[i].end_s >= res[i].start_s)
			lat[nl++] = (double)res[i].end_s - res[i].start_s;
	}
	/* A peer reports no task times: then both stay unknown, not 0. */
	o->task_p50_s = stats_median(lat, nl);
	o->task_max_s = NAN;
	for (int i = 0; i < nl; i++)
		if (!(lat[i] <= o->task_max_s))
			o->task_max_s = lat[i];
	free(lat);
}

/* An external runner gets the workload by name, its parameters, and the URLs of task 0's
 * fetch steps (the http workload gives every task the same steps); its own wall time,
 * in *inner_wall, is the figure. It reports counts: its first ok tasks succeeded, the
 * others failed at their work (fetching, where there were fetches), or all were lost. */
static int run_external(const struct cellrun_in *in, const struct taskset *ts,
			struct task_result *res, double *inner_wall, struct cb_err *err)
{
	const struct task *t0 = ts->ntasks > 0 ? &ts->tasks[0] : NULL;
	int nsteps = t0 ? t0->nsteps : 0;
	const char **urls = malloc(sizeof *urls * (size_t)(nsteps ? nsteps : 1));
	if (!urls)
		return cb_fail(err, CB_ELIMIT, "%s: no memory for its arguments", in->rn->name);
	struct external_job job = {.workload = in->wl->name, .params = in->wparams,
				   .ntasks = ts->ntasks, .workers = in->workers, .urls = urls};
	for (int i = 0; i < nsteps; i++)
		if (t0->steps[i].kind == STEP_FETCH)
			urls[job.nurls++] = t0->steps[i].fetch.url;
	struct external_result r;
	int rc = external_run(in->rn->external, &job, &r, err);
	free(urls);
	enum task_fail why = r.lost != FAIL_NONE ? r.lost : job.nurls ? FAIL_FETCH : FAIL_CHECK;
	/* No per-task times: an end before the start keeps its tasks out of the latency
	 * columns instead of inventing figures. */
	for (int i = 0; rc == CB_OK && i < ts->ntasks; i++)
		res[i] = (struct task_result){.done = 1, .fail = i < r.ok ? FAIL_NONE : why,
					      .start_s = 0, .end_s = -1};
	*inner_wall = r.wall_s;
	return rc;
}

int cellrun_once(const struct cellrun_in *in, struct cellrun_out *o)
{
	struct cb_err err = {0};
	struct taskset ts = {0};
	*o = (struct cellrun_out){.task_p50_s = NAN, .task_max_s = NAN};
	if (in->wl->build(in->cfg, in->ntasks, in->workers, &ts, &err)) {
		o->code = err.code ? err.code : CB_EFAIL;
		o->stage = 1;
		cb_copy(o->note, err.msg, sizeof o->note);
		return o->code;
	}
	size_t n = (size_t)ts.ntasks;
	struct task_result *res = in->res ? in->res : malloc(sizeof *res * (n ? n : 1));
	if (!res) {
		o->code = cb_fail(&err, CB_ELIMIT, "no memory for %zu task results", n);
		o->stage = 1;
		cb_copy(o->note, err.msg, sizeof o->note);
		in->wl->release(&ts);
		return o->code;
	}
	/* Touch the results before the clock starts: their page faults are not the model's. */
	memset(res, 0, sizeof *res * n);
	/* Before the workers are made, so that forked ones share it too. */
	failnote_open();
	double cpu0 = cpu_now(), inner_wall = -1;
	struct run_args a = {.ts = &ts, .workers = in->workers, .params = in->rparams,
			     .res = res, .t0 = clock_now()};
	o->code = in->rn->external ? run_external(in, &ts, res, &inner_wall, &err)
				   : in->rn->run(&a, &err);
	o->window_s = clock_now() - a.t0;
	o->cpu_s = cpu_now() - cpu0;
	o->wall_s = inner_wall >= 0 ? inner_wall : o->window_s;
	if (o->code)
		o->stage = 2;
	cb_copy(o->note, err.msg, sizeof o->note);
	tally(o, res, (int)n);
	if (o->tasks_failed)
		failnote_append(o->note, sizeof o->note);
	failnote_close();
	if (in->wl->check && o->code == CB_OK) {
		struct cb_err cerr = {0};
		if (in->wl->check(in->cfg, &ts, res, o->metric, &cerr)) {
			o->code = cerr.code ? cerr.code : CB_EFAIL;
			o->stage = 3;
			cb_copy(o->note, cerr.msg, sizeof o->note);
		}
	}
	in->wl->release(&ts);
	if (!in->res)
		free(res);
	return o->code;
}
