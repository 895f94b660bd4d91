/* A cell's trial: the child runs the cell's work once and sends its cellrun_out
 * back whole; the driver makes the row of that and of what wait4 saw. */
#include "trialcell.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "cellrun.h"
#include "trial.h"

_Static_assert(sizeof(struct cellrun_out) <= PIPE_BUF, "a trial record fits the pipe");

/* The trial child's body: build, run under the clock, check. */
static void cell_body(void *arg, void *rec)
{
	const struct cell *c = arg;
	struct cellrun_in in = {.wl = c->wi->wl, .cfg = c->wi->cfg, .wparams = c->wi->params_str,
				.rn = c->ri->rn, .rparams = &c->ri->params, .ntasks = c->tasks,
				.workers = c->workers};
	cellrun_once(&in, rec);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

/* What the driver measured of the child, whatever became of it. */
static void row_seen(struct trial_row *row, const struct trial_seen *s)
{
	row->trial_s = s->elapsed_s;
	row->user_s = tv_s(s->ru.ru_utime);
	row->sys_s = tv_s(s->ru.ru_stime);
	row->maxrss_kib = s->ru.ru_maxrss;
	row->minflt = s->ru.ru_minflt;
	row->majflt = s->ru.ru_majflt;
	row->vcsw = s->ru.ru_nvcsw;
	row->ivcsw = s->ru.ru_nivcsw;
	row->cpu_s = row->cores = NAN;
}

/* What the child reported; returns the outcome it makes. */
static const char *row_reported(struct trial_row *row, const struct cellrun_out *o,
				const struct cell *c, const struct trial_seen *s)
{
	row->wall_s = o->wall_s;
	row->cpu_s = o->cpu_s;
	row->cores = cellrun_cores(o);
	row->tasks_ok = o->tasks_ok;
	row->tasks_failed = o->tasks_failed;
	memcpy(row->fail, o->fail, sizeof row->fail);
	memcpy(row->metric, o->metric, sizeof row->metric);
	row->task_p50_s = o->task_p50_s;
	row->task_max_s = o->task_max_s;
	cb_copy(row->note, o->note, sizeof row->note);
	const char *outcome = o->code == CB_ELIMIT ? "limit"
			    : o->code != CB_OK     ? "error"
			    : o->tasks_failed      ? "failed"
						   : "ok";
	if (strcmp(outcome, "ok") != 0)
		trial_oom_note(s, row->note, sizeof row->note);
	if (o->code != CB_OK && o->tasks_ok + o->tasks_failed == 0)
		row->tasks_failed = c->tasks;
	return outcome;
}

int trialcell_run(const struct cell *c, double timeout_s, struct trial_row *row,
		  struct cb_err *err)
{
	struct trial_seen s;
	struct cellrun_out o;
	int rc = trial_spawn(cell_body, (void *)c, &o, sizeof o, timeout_s, &s, err);
	if (rc)
		return rc;
	row_seen(row, &s);
	const char *outcome;
	if (s.timed_out) {
		outcome = c->wi->wl->timeout_outcome ? c->wi->wl->timeout_outcome : "timeout";
		row->wall_s = s.elapsed_s;
		row->tasks_failed = c->tasks;
		snprintf(row->note, sizeof row->note, "killed after the %.3g s trial timeout",
			 timeout_s);
	} else if (!s.got) {
		outcome = "crashed";
		row->wall_s = s.elapsed_s;
		row->tasks_failed = c->tasks;
		row->fail[FAIL_DIED] = c->tasks;
		trial_exit_note(&s, row->note, sizeof row->note);
	} else {
		outcome = row_reported(row, &o, c, &s);
	}
	cb_copy(row->outcome, outcome, sizeof row->outcome);
	return CB_OK;
}
