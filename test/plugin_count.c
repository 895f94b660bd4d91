/* A test plugin that keeps books on the harness: FN_init allocates (FN_free must
 * release it, counted in count_live), count increments its state's calls, and
 * count_check fails when arg is "fail-check" or a task was not called exactly once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concbench_plugin.h>

CONCBENCH_PLUGIN_DECLARE;

struct count_state {
	int task;
	int calls;
	int *owned; /* what init allocates: private to each process under procs */
};

CONCBENCH_STATE(count, struct count_state);

/* States initialised and not yet freed, in the process that made them. */
CONCBENCH_EXPORT int count_live;

CONCBENCH_EXPORT int count_init(void *state, const char *arg, int task, int ntasks, char *msg,
				size_t msglen)
{
	(void)ntasks;
	struct count_state *s = state;
	if (strcmp(arg, "refuse") == 0) {
		snprintf(msg, msglen, "the argument 'refuse' is refused");
		return CONCBENCH_FAIL;
	}
	/* "refuse-task-3": only in a trial of 4 tasks or more, not the plan's task 0 of 1 */
	if (strcmp(arg, "refuse-task-3") == 0 && task == 3) {
		snprintf(msg, msglen, "task 3 is refused");
		return CONCBENCH_FAIL;
	}
	if (!(s->owned = malloc(sizeof *s->owned)))
		return CONCBENCH_FAIL;
	*s->owned = task;
	s->task = task;
	count_live++;
	return CONCBENCH_OK;
}

CONCBENCH_EXPORT void count_free(void *state)
{
	struct count_state *s = state;
	free(s->owned);
	s->owned = NULL;
	count_live--;
}

CONCBENCH_EXPORT int count(void *state, const char *arg)
{
	struct count_state *s = state;
	s->calls++;
	/* "odd-wrong": the odd tasks give a wrong answer */
	if (strcmp(arg, "odd-wrong") == 0 && s->task % 2 == 1)
		return CONCBENCH_FAIL;
	return *s->owned == s->task ? CONCBENCH_OK : CONCBENCH_FAIL;
}

CONCBENCH_EXPORT int count_check(const void *states, int ntasks, const char *arg, char *msg,
				 size_t msglen)
{
	const struct count_state *s = states;
	for (int i = 0; i < ntasks; i++)
		if (s[i].calls != 1 || s[i].task != i) {
			snprintf(msg, msglen, "task %d: %d calls", i, s[i].calls);
			return CONCBENCH_FAIL;
		}
	if (strcmp(arg, "fail-check") == 0) {
		snprintf(msg, msglen, "failed on purpose over %d tasks", ntasks);
		return CONCBENCH_FAIL;
	}
	return CONCBENCH_OK;
}

/* A function with no state: arg says how many times to spin. */
CONCBENCH_EXPORT int nostate(void *state, const char *arg)
{
	return state == NULL && arg != NULL ? CONCBENCH_OK : CONCBENCH_FAIL;
}
