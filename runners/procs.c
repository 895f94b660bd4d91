/* procs: W forked worker processes pulling tasks from a counter in shared memory;
 * W = 0: a process per task. Each result comes back over one pipe as a fixed-size
 * record (smaller than PIPE_BUF, so writes from many children never interleave).
 * A task whose worker died without reporting it is failed as FAIL_DIED. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bare.h"
#include "bare_pingpong.h"
#include "blocking.h"
#include "syslimits.h"
#include "runner.h"

struct procs_record {
	int32_t task;
	uint8_t fail;
	double start_s, end_s;
};

_Static_assert(sizeof(struct procs_record) < PIPE_BUF, "records must be written atomically");

/* How often the runner looks for workers that ended while it waits for results. */
#define PROCS_REAP_MS 20

/* What the workers share with the runner: the counter they take tasks from, and the
 * task each is running (-1: none), so that when one dies the runner knows whose
 * partners would wait for it. */
struct procs_shared {
	atomic_int next;
	atomic_int running[]; /* one per worker */
};

static void procs_worker(const struct run_args *a, struct semset *sems,
			 struct procs_shared *sh, int slot, int only, int fd)
{
	atomic_int *next = &sh->next;
	/* A worker must not outlive the trial child, even if that is killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct blocking_worker w = {.sems = sems, .ntasks = a->ts->ntasks, .next = next,
				    .workers = runner_workers(a->ts->ntasks, a->workers)};
	for (;;) {
		int i = only >= 0 ? only : atomic_fetch_add(next, 1);
		if (i >= a->ts->ntasks)
			break;
		atomic_store_explicit(&sh->running[slot], i, memory_order_relaxed);
		struct task_result r = {0};
		blocking_run_task(&w, taskset_task(a->ts, i), &r, a->t0);
		struct procs_record rec = {.task = i, .fail = r.fail, .start_s = r.start_s,
					   .end_s = r.end_s};
		if (write(fd, &rec, sizeof rec) != sizeof rec)
			_exit(3);
		atomic_store_explicit(&sh->running[slot], -1, memory_order_relaxed);
		if (only >= 0)
			break;
	}
	blocking_worker_close(&w);
	_exit(0);
}

/* Takes every whole record waiting in the pipe; returns 0 at end of file. */
static ssize_t procs_drain(int fd, struct task_result *res, int n)
{
	struct procs_record recs[128];
	ssize_t got = read(fd, recs, sizeof recs);
	for (ssize_t k = 0; got > 0 && k < got / (ssize_t)sizeof recs[0]; k++) {
		int i = recs[k].task;
		if (i >= 0 && i < n)
			res[i] = (struct task_result){.done = 1, .fail = recs[k].fail,
						      .start_s = recs[k].start_s,
						      .end_s = recs[k].end_s};
	}
	return got;
}

/* A worker died in the middle of task i: what it would have posted never comes, so
 * whoever waits for it goes on only with what is left, then fails as blocked, rather
 * than waiting until the trial's timeout. */
static void procs_lost(const struct run_args *a, struct semset *sems, int i)
{
	if (!sems || i < 0 || i >= a->ts->ntasks)
		return;
	const struct task *t = taskset_task(a->ts, i);
	for (int k = 0; k < t->nsteps; k++)
		if (t->steps[k].kind == STEP_POST)
			semset_orphan(sems, t->steps[k].post.sem);
}

/* Reaps the workers that ended (block: wait for one at least); one that died
 * abnormally has its task's posts orphaned. Returns how many it reaped. */
static int procs_reap(const struct run_args *a, struct semset *sems, struct procs_shared *sh,
		      const pid_t *pids, int *status, bool *reaped, int forked, int *hint,
		      bool block)
{
	int k = 0, st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, block && k == 0 ? 0 : WNOHANG)) != 0) {
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < forked; j++) {
			int w = (*hint + j) % forked;
			if (pids[w] != pid || reaped[w])
				continue;
			*hint = w + 1;
			reaped[w] = true;
			status[w] = st;
			k++;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				procs_lost(a, sems, atomic_load(&sh->running[w]));
			break;
		}
	}
	return k;
}

/* "procs: worker 4 of 8 was killed by signal 11 (Segmentation fault); 1 of 8 workers
 * died": the first that died, by number (1-based, as forked), and how. */
static void procs_died_note(struct cb_err *err, int worker, int forked, int status, int died)
{
	char how[96];
	if (WIFSIGNALED(status))
		snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
	cb_fail(err, CB_OK, "procs: worker %d of %d %s; %d of %d workers died", worker, forked,
		how, died, forked);
}

static int procs_run(struct run_args *a, struct cb_err *err)
{
	int n = a->ts->ntasks, nw = runner_workers(n, a->workers), forked = 0, died = 0;
	int untaken = n; /* the first task no worker may take */
	int fds[2] = {-1, -1}, rc;
	size_t nwz = (size_t)(nw > 0 ? nw : 1);
	pid_t *pids = calloc(nwz, sizeof *pids);
	int *status = calloc(nwz, sizeof *status);
	bool *reaped = calloc(nwz, sizeof *reaped);
	size_t shlen = sizeof(struct procs_shared) + nwz * sizeof(atomic_int);
	struct procs_shared *sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct semset *sems = NULL;
	if (!pids || !status || !reaped || sh == MAP_FAILED) {
		rc = cb_fail_errno(err, CB_ELIMIT, "procs: no memory for %d workers", nw);
		goto out;
	}
	atomic_init(&sh->next, 0);
	for (int w = 0; w < nw; w++)
		atomic_init(&sh->running[w], -1);
	atomic_int *next = &sh->next;
	if ((rc = semset_open(&sems, a->ts->sems, a->ts->nsems, err)))
		goto out;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = cb_fail_errno(err, CB_ESYS, "procs: pipe");
		goto out;
	}
	/* Read while forking, so early finishers never block on a full pipe. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	fflush(NULL);
	for (; forked < nw; forked++) {
		pid_t pid = fork();
		if (pid < 0) {
			syslimits_refused(err, CB_OK, errno, "fork", forked + 1, nw);
			/* The workers made take no more: fewer workers would be another cell. */
			untaken = nw == n ? forked : atomic_exchange(next, n);
			untaken = untaken < n ? untaken : n;
			blocking_orphan_unposted(sems, a->ts, untaken);
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			procs_worker(a, sems, sh, forked, nw == n ? forked : -1, fds[1]);
		}
		pids[forked] = pid;
		procs_drain(fds[0], a->res, n);
	}
	close(fds[1]);
	fds[1] = -1;
	/* The results as they come, and the workers as they end: a poll that wakes now and
	 * then to reap, so a worker's death is seen while its partners still wait. */
	int left = forked, hint = 0; /* workers mostly end in the order they were forked */
	for (;;) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int ready = poll(&pfd, 1, PROCS_REAP_MS);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready > 0) {
			ssize_t got = procs_drain(fds[0], a->res, n);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
				break;
		}
		left -= procs_reap(a, sems, sh, pids, status, reaped, forked, &hint, false);
	}
	while (left > 0) {
		int k = procs_reap(a, sems, sh, pids, status, reaped, forked, &hint, true);
		if (k == 0)
			break;
		left -= k;
	}
	int first = -1, first_status = 0;
	for (int i = 0; i < forked; i++)
		if (reaped[i] && (!WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0))
			if (died++ == 0) {
				first = i;
				first_status = status[i];
			}
	/* Unreported tasks: never given a worker (fork refused), or lost with one. Those
	 * that did start and waited for a task never given one failed as blocked
	 * (blocking_orphan_unposted). */
	for (int i = 0; i < n; i++)
		if (!a->res[i].done)
			a->res[i] = (struct task_result){.done = 1,
							 .fail = i >= untaken ? FAIL_SPAWN : FAIL_DIED};
	if (died && err->msg[0] == '\0')
		procs_died_note(err, first + 1, forked, first_status, died);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	semset_close(sems);
	if (sh != MAP_FAILED)
		munmap(sh, shlen);
	free(pids);
	free(status);
	free(reaped);
	return rc;
}

struct procs_bare {
	const struct floor_work *fw;
	atomic_int *next; /* in a shared mapping */
	int ntasks;
};

static void procs_bare_sleeps(void *arg)
{
	struct procs_bare *b = arg;
	while (atomic_fetch_add(b->next, 1) < b->ntasks)
		bare_sleeps(b->fw);
}

static void procs_bare_pingpong(void *arg)
{
	bare_pingpong_worker(arg);
}

static void procs_bare_abandon(void *arg)
{
	bare_pingpong_abandon(arg);
}

/* W forked children, each running fn(arg) and exiting (bound to the parent's life as
 * the runner's workers are), then every one reaped. When a fork is refused,
 * abandon(arg) (if any) first lets those forked end: a side whose partner never
 * starts would wait for ever. */
static int procs_bare_all(int nw, void (*fn)(void *), void *arg, void (*abandon)(void *),
			  struct cb_err *err)
{
	int forked = 0, rc = CB_OK;
	fflush(NULL);
	for (; forked < nw; forked++) {
		pid_t pid = fork();
		if (pid < 0) {
			rc = syslimits_refused(err, CB_ELIMIT, errno, "fork", forked + 1, nw);
			if (abandon)
				abandon(arg);
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			fn(arg);
			_exit(0);
		}
	}
	for (int i = 0; i < forked; i++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	return rc;
}

/* By hand: W forked children pulling tasks from one counter in shared memory, each
 * task its sleeps in a row, or its side of a ping-pong (runners/bare_pingpong.h, on
 * process-shared sem_t in a shared mapping, as the runner's semaphores are); then every
 * child reaped. */
static int procs_floor(const struct params *p, const struct floor_work *fw, int ntasks,
		       int workers, struct cb_err *err)
{
	(void)p;
	int nw = runner_workers(ntasks, workers), rc;
	if (fw->kind == STEP_WAIT) {
		struct bare_pingpong *bp;
		if ((rc = bare_pingpong_check(fw, ntasks, workers, "procs", err)) ||
		    (rc = bare_pingpong_open(&bp, fw, ntasks, err)))
			return rc;
		rc = procs_bare_all(nw, procs_bare_pingpong, bp, procs_bare_abandon, err);
		if (rc == CB_OK)
			rc = bare_pingpong_verdict(bp, "procs", err);
		bare_pingpong_close(bp);
		return rc;
	}
	if ((rc = bare_supported(fw, "procs", err)))
		return rc;
	struct procs_bare b = {.fw = fw, .ntasks = ntasks,
			       .next = mmap(NULL, sizeof *b.next, PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_ANONYMOUS, -1, 0)};
	if (b.next == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap");
	atomic_init(b.next, 0);
	rc = procs_bare_all(nw, procs_bare_sleeps, &b, NULL, err);
	munmap(b.next, sizeof *b.next);
	return rc;
}

const struct runner procs_runner = {
	.name = "procs",
	.in_default = true,
	.summary = "W forked processes, results over a pipe (W=0: one per task)",
	.family = "C",
	.floor_what = "W bare forked children taking the tasks from one shared counter: sleeping by "
		      "hand, or ping-ponging through two process-shared sem_t a pair",
	.run = procs_run,
	.floor = procs_floor,
};
