/* What the blocking models' floors do by hand for a ping-pong (floor_work STEP_WAIT):
 * tasks 2k and 2k+1 hand a token back and forth through two POSIX semaphores, each
 * receiving it `rounds` times and checking it came in turn, as the pingpong workload's
 * steps do, but a plain loop of sem_wait, check, sem_post. The semaphores are the
 * runners' own primitive (runners/semset.c): sem_t initialised process-shared in one
 * shared anonymous mapping, so one set serves threads and forked children alike. The
 * workers take the tasks in order from a counter in the same mapping, as the runners'
 * workers do, so W < N shares the workers between pairs as the cell does. */
#ifndef CB_BARE_PINGPONG_H
#define CB_BARE_PINGPONG_H

#include "err.h"
#include "task.h"

struct bare_pingpong;

/* Whether fw can be done for ntasks with `workers`: CB_OK, or CB_EINVAL naming the
 * runner and why (odd N; one worker and more than one round, where the cell waits
 * for ever: the pair's second task never starts while its first waits for it). */
int bare_pingpong_check(const struct floor_work *fw, int ntasks, int workers,
			const char *runner, struct cb_err *err);
int bare_pingpong_open(struct bare_pingpong **bp, const struct floor_work *fw, int ntasks,
		       struct cb_err *err);
/* A worker: takes tasks until none is left and plays each one's side to its end. */
void bare_pingpong_worker(struct bare_pingpong *bp);
/* When a worker could not be made: no task is taken any more, and every side waiting
 * for a partner that will never come wakes and ends, so the workers can be reaped. */
void bare_pingpong_abandon(struct bare_pingpong *bp);
/* After the workers: CB_OK, or CB_EFAIL when a token came out of turn. */
int bare_pingpong_verdict(const struct bare_pingpong *bp, const char *runner,
			  struct cb_err *err);
void bare_pingpong_close(struct bare_pingpong *bp);

#endif
