/* What every runner shares about tasks: where a step leads, and the names of things. */
#include <stdlib.h>

#include "task.h"

bool task_may_fetch_after(const struct task *t, int pc)
{
	for (int i = pc; i < t->nsteps; i++) {
		const struct step *s = &t->steps[i];
		if (i > pc && s->kind == STEP_FETCH)
			return true;
		if ((s->kind == STEP_COMPUTE || s->kind == STEP_WAIT) && s->alt <= pc)
			return true;
	}
	return false;
}

const char *task_fail_name(enum task_fail f)
{
	static const char *const names[FAIL_REASONS] = {
		[FAIL_NONE] = "none",       [FAIL_CHECK] = "check",     [FAIL_SPAWN] = "spawn",
		[FAIL_DIED] = "died",       [FAIL_CONNECT] = "connect", [FAIL_TIMEOUT] = "timeout",
		[FAIL_STATUS] = "status",   [FAIL_BODY] = "body",       [FAIL_FETCH] = "fetch",
		[FAIL_BLOCKED] = "blocked",
	};
	return (unsigned)f < FAIL_REASONS ? names[f] : "unknown";
}

const char *step_kind_name(enum step_kind k)
{
	static const char *const names[STEP_KINDS] = {
		[STEP_COMPUTE] = "compute", [STEP_SLEEP] = "sleep", [STEP_FETCH] = "fetch",
		[STEP_WAIT] = "wait",       [STEP_POST] = "post",
	};
	return (unsigned)k < STEP_KINDS ? names[k] : "unknown";
}

int taskset_alloc(struct taskset *ts, int ntasks, const struct step *steps, int nsteps,
		  struct cb_err *err)
{
	*ts = (struct taskset){0};
	ts->tasks = malloc(sizeof *ts->tasks * (size_t)(ntasks > 0 ? ntasks : 1));
	if (!ts->tasks)
		return cb_fail(err, CB_ELIMIT, "no memory for %d tasks", ntasks);
	ts->ntasks = ntasks;
	for (int i = 0; i < ntasks; i++)
		ts->tasks[i] = (struct task){.steps = steps, .nsteps = nsteps};
	return CB_OK;
}

int taskset_alloc_alike(struct taskset *ts, int ntasks, const struct step *steps, int nsteps,
			struct cb_err *err)
{
	int rc = taskset_alloc(ts, 1, steps, nsteps, err);
	if (rc == CB_OK) {
		ts->ntasks = ntasks;
		ts->alike = true;
	}
	return rc;
}

void taskset_free(struct taskset *ts)
{
	free(ts->tasks);
	ts->tasks = NULL;
}
