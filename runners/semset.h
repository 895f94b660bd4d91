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
 * would block for ever fails with FAIL_BLOCKED instead of hanging. */
enum step_status semset_wait(struct semset *ss, int sem, int64_t timeout_ns, bool alone,
			     enum task_fail *why);
enum step_status semset_post(struct semset *ss, int sem);
/* The current count of a semaphore, for tests. */
int semset_value(struct semset *ss, int sem);

#endif
