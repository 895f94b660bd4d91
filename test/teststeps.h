/* What the loop-runner tests share: compute steps (a counter read and written around
 * a yield, which only a lock keeps apart; a step that fails, one that counts) and a
 * count of the tasks that ended ok. */
#ifndef CB_TESTSTEPS_H
#define CB_TESTSTEPS_H

#include "workload.h"

struct mx_state {
	int *counter;
	int seen;
};

enum step_status mx_read(void *state, const void *arg);  /* seen = *counter */
enum step_status mx_write(void *state, const void *arg); /* *counter = seen + 1 */
enum step_status step_fail(void *state, const void *arg);
enum step_status step_mark(void *state, const void *arg); /* ++*(int *)state, done */
/* How many of n results ended ok. */
int tasks_ok(const struct task_result *res, int n);

#endif
