/* The ping-pong floor's pairs, by hand. */
#include "bare_pingpong.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

struct bare_pair {
	sem_t sem[2];      /* [0]: ping's, holding the token at the start; [1]: pong's */
	atomic_int got[2]; /* each side's receipts so far */
};

struct bare_pingpong {
	size_t bytes; /* of the whole mapping */
	int ntasks, rounds;
	atomic_int next;  /* the first task no worker has taken */
	atomic_int late;  /* receipts that came out of turn */
	atomic_bool stop; /* abandoned: take no task, end every side */
	struct bare_pair pair[];
};

int bare_pingpong_check(const struct floor_work *fw, int ntasks, int workers,
			const char *runner, struct cb_err *err)
{
	if (fw->kind != STEP_WAIT)
		return cb_fail(err, CB_EINVAL, "%s: no ping-pong floor for %s steps", runner,
			       step_kind_name(fw->kind));
	if (ntasks < 2 || ntasks % 2)
		return cb_fail(err, CB_EINVAL, "%s: no ping-pong floor for %d tasks (pairs: an "
			       "even number, 2 or more)", runner, ntasks);
	if (fw->rounds < 1)
		return cb_fail(err, CB_EINVAL, "%s: no ping-pong floor for %d rounds (1 or more)",
			       runner, fw->rounds);
	if (runner_workers(ntasks, workers) < 2 && fw->rounds > 1)
		return cb_fail(err, CB_EINVAL, "%s: no ping-pong floor for W 1 and %d rounds: a "
			       "pair's second task never starts while its first waits for it",
			       runner, fw->rounds);
	return CB_OK;
}

int bare_pingpong_open(struct bare_pingpong **out, const struct floor_work *fw, int ntasks,
		       struct cb_err *err)
{
	*out = NULL;
	int npairs = ntasks / 2;
	size_t bytes = sizeof(struct bare_pingpong) + sizeof(struct bare_pair) * (size_t)npairs;
	struct bare_pingpong *bp = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bp == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap of %d ping-pong pairs", npairs);
	bp->bytes = bytes;
	bp->ntasks = npairs * 2;
	bp->rounds = fw->rounds;
	atomic_init(&bp->next, 0);
	atomic_init(&bp->late, 0);
	atomic_init(&bp->stop, false);
	for (int k = 0; k < npairs; k++) {
		/* Process-shared, as semset_open makes every runner's semaphores. */
		for (int side = 0; side < 2; side++)
			if (sem_init(&bp->pair[k].sem[side], 1, side == 0) < 0) {
				int e = errno;
				for (int j = 0; j < 2 * k + side; j++)
					sem_destroy(&bp->pair[j / 2].sem[j % 2]);
				munmap(bp, bytes);
				errno = e;
				return cb_fail_errno(err, CB_ESYS, "sem_init");
			}
		atomic_init(&bp->pair[k].got[0], 0);
		atomic_init(&bp->pair[k].got[1], 0);
	}
	*out = bp;
	return CB_OK;
}

/* Task i's side: wait for the token, check it came in turn (ping's k-th receipt
 * follows pong's (k-1)-th, pong's k-th ping's k-th, as the workload checks), pass it. */
static void bare_side(struct bare_pingpong *bp, int i)
{
	struct bare_pair *p = &bp->pair[i / 2];
	int side = i % 2;
	for (int k = 0; k < bp->rounds; k++) {
		while (sem_wait(&p->sem[side]) < 0 && errno == EINTR)
			;
		if (atomic_load_explicit(&bp->stop, memory_order_relaxed))
			return;
		int mine = atomic_fetch_add(&p->got[side], 1) + 1;
		int other = atomic_load(&p->got[!side]);
		if (other != (side == 0 ? mine - 1 : mine))
			atomic_fetch_add(&bp->late, 1);
		sem_post(&p->sem[!side]);
	}
}

void bare_pingpong_worker(struct bare_pingpong *bp)
{
	int i;
	while (!atomic_load_explicit(&bp->stop, memory_order_relaxed) &&
	       (i = atomic_fetch_add(&bp->next, 1)) < bp->ntasks)
		bare_side(bp, i);
}

/* Each semaphore has at most one waiter, its own task: one unit more each wakes every
 * waiter there is, and any wait after it returns at once to find stop set. */
void bare_pingpong_abandon(struct bare_pingpong *bp)
{
	atomic_store(&bp->stop, true);
	for (int i = 0; i < bp->ntasks; i++)
		sem_post(&bp->pair[i / 2].sem[i % 2]);
}

int bare_pingpong_verdict(const struct bare_pingpong *bp, const char *runner,
			  struct cb_err *err)
{
	int late = atomic_load(&bp->late);
	if (late)
		return cb_fail(err, CB_EFAIL, "%s: the ping-pong floor's token came out of turn "
			       "%d times", runner, late);
	return CB_OK;
}

void bare_pingpong_close(struct bare_pingpong *bp)
{
	if (!bp)
		return;
	for (int i = 0; i < bp->ntasks; i++)
		sem_destroy(&bp->pair[i / 2].sem[i % 2]);
	munmap(bp, bp->bytes);
}
