/* The semaphores of a taskset for the blocking runners (serial, threads, procs):
 * POSIX semaphores in one shared anonymous mapping, so the same set works
 * between threads and between forked processes. */
#ifndef CB_SEMSET_H
#define CB_SEMSET_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "task.h"

struct semset;

int semset_open(struct semset **ss, const struct sem_decl *decl, int n, struct cb_err *err);
void semset_close(struct semset *ss);
/* Takes one unit. `alone`: no other worker can ever post (serial), so a wait that
 * would block for ever fails with FAIL_BLOCKED instead of hanging. On an orphaned
 * semaphore a wait takes a unit left over, or else fails with FAIL_BLOCKED (a timed
 * one times out when it would have): it never blocks for ever. */
enum step_status semset_wait(struct semset *ss, int sem, int64_t timeout_ns, bool alone,
			     enum task_fail *why);
/* Nothing can post sem any more (whatever could never started): its waiters, those
 * there now and those to come, go on only with a unit left over. Idempotent. */
void semset_orphan(struct semset *ss, int sem);
enum step_status semset_post(struct semset *ss, int sem);
/* The current count of a semaphore, for tests. */
int semset_value(struct semset *ss, int sem);

#endif
