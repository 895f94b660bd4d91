/* Memory the tasks of one trial share whatever runs them: an anonymous MAP_SHARED
 * mapping made in a workload's build, before procs forks its workers, so threads
 * and processes alike read and write the same bytes. */
#ifndef CB_SHM_H
#define CB_SHM_H

#include <stddef.h>

#include "err.h"

/* bytes of zeroed shared memory, aligned for any type (atomics included). */
void *shm_new(size_t bytes, struct cb_err *err);
/* Unmaps what shm_new gave; NULL is fine. */
void shm_free(void *p);

#endif
