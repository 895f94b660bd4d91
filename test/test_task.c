/* What every runner shares about tasks: where a step leads, and whether a fetch may
 * follow (which decides if a finished fetch's connection is kept for reuse). */
#include <criterion/criterion.h>

#include "workload.h"

static enum step_status noop(void *state, const void *arg)
{
	(void)state, (void)arg;
	return STEP_OK;
}

#define FETCH {.kind = STEP_FETCH}
#define SLEEP {.kind = STEP_SLEEP}
#define LOOP_TO(pc) {.kind = STEP_COMPUTE, .alt = (pc), .compute = {noop, NULL}}

Test(task, next_follows_the_status)
{
	const struct step steps[] = {SLEEP, LOOP_TO(0), SLEEP};
	const struct task t = {.steps = steps, .nsteps = 3};
	cr_expect_eq(task_next(&t, 0, STEP_OK), 1);
	cr_expect_eq(task_next(&t, 2, STEP_OK), TASK_END);
	cr_expect_eq(task_next(&t, 1, STEP_ALT), 0);
	cr_expect_eq(task_next(&t, 0, STEP_DONE), TASK_END);
	cr_expect_eq(task_next(&t, 1, STEP_FAIL), TASK_FAILED);
}

Test(task, a_fetch_may_follow)
{
	const struct step four[] = {FETCH, FETCH, FETCH, FETCH};
	const struct task t4 = {.steps = four, .nsteps = 4};
	for (int pc = 0; pc < 3; pc++)
		cr_expect(task_may_fetch_after(&t4, pc), "pc %d", pc);
	cr_expect_not(task_may_fetch_after(&t4, 3), "the last of four");

	const struct step tail[] = {FETCH, SLEEP};
	const struct task tt = {.steps = tail, .nsteps = 2};
	cr_expect_not(task_may_fetch_after(&tt, 0), "only a sleep follows");

	/* A loop back over the fetch may run it again; a loop behind it may not. */
	const struct step loop[] = {SLEEP, FETCH, LOOP_TO(1)};
	const struct task tl = {.steps = loop, .nsteps = 3};
	cr_expect(task_may_fetch_after(&tl, 1), "the compute step jumps back to it");
	const struct step ahead[] = {LOOP_TO(0), FETCH, SLEEP};
	const struct task ta = {.steps = ahead, .nsteps = 3};
	cr_expect_not(task_may_fetch_after(&ta, 1), "the loop is before the fetch");
}
