/* Semaphores for the blocking runners.
 *
 * The mapping: a byte a semaphore saying it is orphaned (nothing can post it any
 * more), then the header, then the semaphores, then one more as the lock of the
 * orphans' bookkeeping. The flags sit before the header, on lines of their own, so a
 * waiter reads its flag without touching the header or a line the posts write:
 * semaphore i's flag is the byte i + 1 below the header. */
#include "semset.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

struct semset {
	size_t bytes; /* of the whole mapping */
	int n;
	sem_t sem[]; /* n of them, then the lock */
};

/* The flags' bytes, below the header. */
static size_t semset_flag_bytes(int n)
{
	return ((size_t)n * sizeof(atomic_bool) + 63) / 64 * 64;
}

static atomic_bool *semset_orphaned(struct semset *ss, int sem)
{
	return (atomic_bool *)ss - 1 - sem;
}

static sem_t *semset_lock(struct semset *ss)
{
	return &ss->sem[ss->n];
}

static void sem_take(sem_t *s)
{
	while (sem_wait(s) < 0 && errno == EINTR)
		;
}

int semset_open(struct semset **out, const struct sem_decl *decl, int n, struct cb_err *err)
{
	*out = NULL;
	if (n <= 0)
		return CB_OK;
	size_t flags = semset_flag_bytes(n);
	size_t bytes = flags + sizeof(struct semset) + sizeof(sem_t) * ((size_t)n + 1);
	char *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap of %d semaphores", n);
	struct semset *ss = (struct semset *)(base + flags);
	ss->bytes = bytes;
	ss->n = n;
	for (int i = 0; i <= n; i++) {
		if (i < n)
			atomic_init(semset_orphaned(ss, i), false);
		if (sem_init(&ss->sem[i], 1, i < n ? (unsigned)decl[i].init : 1) < 0) {
			cb_fail_errno(err, CB_ESYS, "sem_init of '%s'",
				      i < n ? decl[i].name : "the orphans' lock");
			while (i-- > 0)
				sem_destroy(&ss->sem[i]);
			munmap(base, bytes);
			return err->code;
		}
	}
	*out = ss;
	return CB_OK;
}

void semset_close(struct semset *ss)
{
	if (!ss)
		return;
	for (int i = 0; i <= ss->n; i++)
		sem_destroy(&ss->sem[i]);
	munmap((char *)ss - semset_flag_bytes(ss->n), ss->bytes);
}

/* An orphaned semaphore holds one unit more than its count, the wake: it lets every
 * waiter through, one after another, to settle here. Under the lock exactly one wake
 * exists, in the semaphore or held by a waiter not yet settled; units are alike, so the
 * one this waiter holds is taken to be the wake, and it keeps a unit only if another is
 * left. The wake goes back either way, for the next waiter. */
static bool semset_settle(struct semset *ss, int sem)
{
	sem_take(semset_lock(ss));
	bool got = sem_trywait(&ss->sem[sem]) == 0;
	sem_post(&ss->sem[sem]);
	sem_post(semset_lock(ss));
	return got;
}

void semset_orphan(struct semset *ss, int sem)
{
	if (!ss)
		return;
	sem_take(semset_lock(ss));
	if (!atomic_load(semset_orphaned(ss, sem))) {
		/* Before the wake's post: whoever takes the wake sees the flag. */
		atomic_store(semset_orphaned(ss, sem), true);
		sem_post(&ss->sem[sem]);
	}
	sem_post(semset_lock(ss));
}

static void semset_deadline(struct timespec *until, int64_t timeout_ns)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += timeout_ns / 1000000000;
	until->tv_nsec += timeout_ns % 1000000000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

enum step_status semset_wait(struct semset *ss, int sem, int64_t timeout_ns, bool alone,
			     enum task_fail *why)
{
	sem_t *s = &ss->sem[sem];
	if (timeout_ns < 0) {
		if (alone) {
			if (sem_trywait(s) == 0)
				return STEP_OK;
			*why = FAIL_BLOCKED;
			return STEP_FAIL;
		}
		sem_take(s);
		if (!atomic_load_explicit(semset_orphaned(ss, sem), memory_order_relaxed) ||
		    semset_settle(ss, sem))
			return STEP_OK;
		/* Blocked, as serial's wait is: what would post it never started. */
		*why = FAIL_BLOCKED;
		return STEP_FAIL;
	}
	struct timespec until;
	int rc;
	semset_deadline(&until, timeout_ns);
	while ((rc = sem_clockwait(s, CLOCK_MONOTONIC, &until)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return STEP_ALT;
	if (!atomic_load_explicit(semset_orphaned(ss, sem), memory_order_relaxed) ||
	    semset_settle(ss, sem))
		return STEP_OK;
	/* Nothing will post it: the wait times out, when it would have. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
	return STEP_ALT;
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
