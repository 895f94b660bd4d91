/* Semaphores for the blocking runners. */
#include "semset.h"

#include <errno.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <time.h>

struct semset {
	size_t bytes; /* of the whole mapping, this header included */
	int n;
	sem_t sem[];
};

int semset_open(struct semset **out, const struct sem_decl *decl, int n, struct cb_err *err)
{
	*out = NULL;
	if (n <= 0)
		return CB_OK;
	size_t bytes = sizeof(struct semset) + sizeof(sem_t) * (size_t)n;
	struct semset *ss = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	if (ss == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap of %d semaphores", n);
	ss->bytes = bytes;
	ss->n = n;
	for (int i = 0; i < n; i++)
		if (sem_init(&ss->sem[i], 1, (unsigned)decl[i].init) < 0) {
			munmap(ss, bytes);
			return cb_fail_errno(err, CB_ESYS, "sem_init of '%s'", decl[i].name);
		}
	*out = ss;
	return CB_OK;
}

void semset_close(struct semset *ss)
{
	if (!ss)
		return;
	for (int i = 0; i < ss->n; i++)
		sem_destroy(&ss->sem[i]);
	munmap(ss, ss->bytes);
}

enum step_status semset_wait(struct semset *ss, int sem, int64_t timeout_ns, bool alone,
			     enum task_fail *why)
{
	sem_t *s = &ss->sem[sem];
	int rc;
	if (timeout_ns < 0) {
		if (alone) {
			if (sem_trywait(s) == 0)
				return STEP_OK;
			*why = FAIL_BLOCKED;
			return STEP_FAIL;
		}
		while ((rc = sem_wait(s)) < 0 && errno == EINTR)
			;
		return STEP_OK;
	}
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ns / 1000000000;
	until.tv_nsec += timeout_ns % 1000000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while ((rc = sem_clockwait(s, CLOCK_MONOTONIC, &until)) < 0 && errno == EINTR)
		;
	return rc == 0 ? STEP_OK : STEP_ALT;
}

enum step_status semset_post(struct semset *ss, int sem)
{
	sem_post(&ss->sem[sem]);
	return STEP_OK;
}

int semset_value(struct semset *ss, int sem)
{
	int v = 0;
	sem_getvalue(&ss->sem[sem], &v);
	return v;
}
