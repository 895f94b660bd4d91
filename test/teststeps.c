/* The loop-runner tests' shared compute steps. */
#include "teststeps.h"

enum step_status mx_read(void *state, const void *arg)
{
	(void)arg;
	struct mx_state *m = state;
	m->seen = *m->counter;
	return STEP_OK;
}

enum step_status mx_write(void *state, const void *arg)
{
	(void)arg;
	struct mx_state *m = state;
	*m->counter = m->seen + 1;
	return STEP_OK;
}

enum step_status step_fail(void *state, const void *arg)
{
	(void)state, (void)arg;
	return STEP_FAIL;
}

enum step_status step_mark(void *state, const void *arg)
{
	(void)arg;
	(*(int *)state)++;
	return STEP_DONE;
}

int tasks_ok(const struct task_result *res, int n)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += res[i].done && res[i].fail == FAIL_NONE;
	return ok;
}
