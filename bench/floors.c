/* Measuring the floors. */
#include "floors.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "countdown.h"
#include "stats.h"
#include "sysinfo.h"
#include "trial.h"

#define FLOOR_REPS 3
#define FORK_WAIT_REPS 50
#define CAPACITY_REPS 5
#define CAPACITY_WORK_S 0.02
#define TOUCH_BYTES (64u << 20)
/* The harness floors take about a second; a short --timeout meant for the trials
 * must not stop the run before its first trial. */
#define HARNESS_TIMEOUT_MIN_S 60.0

static int fork_wait_fn(void *arg, struct cb_err *err)
{
	double *out = &((struct floors *)arg)->fork_wait_s;
	double t0 = clock_now();
	for (int i = 0; i < FORK_WAIT_REPS; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return cb_fail_errno(err, CB_ESYS, "fork");
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	*out = (clock_now() - t0) / FORK_WAIT_REPS;
	return CB_OK;
}

static int page_touch_fn(void *arg, struct cb_err *err)
{
	(void)arg;
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (m == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap");
	/* No huge pages: the floor is the 4 KiB fault every small allocation pays. */
	madvise(m, TOUCH_BYTES, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < TOUCH_BYTES; off += (size_t)page)
		((volatile char *)m)[off] = 1;
	munmap(m, TOUCH_BYTES);
	return CB_OK;
}

/* perf's cycle counter is often missing in VMs, so the core clock is estimated
 * from a chain of dependent 64-bit multiplies: 3 cycles each on every x86-64 core
 * of the last decade. The countdown's cycles per iteration follow from it. */
static int cpu_clock_fn(void *arg, struct cb_err *err)
{
	(void)err;
	struct floors *f = arg;
	const uint64_t n = 30000000;
	double t0 = clock_now();
	countdown_spin(n);
	f->countdown_ns = (clock_now() - t0) / (double)n * 1e9;
	f->core_ghz = NAN;
#if defined(__x86_64__)
	uint64_t x = 3;
	t0 = clock_now();
	for (uint64_t i = 0; i < n / 3; i++)
		__asm__ volatile("imul %0, %0" : "+r"(x));
	f->core_ghz = 3.0 * (double)(n / 3) / (clock_now() - t0) * 1e-9;
#endif
	return CB_OK;
}

static void *spin_thread(void *arg)
{
	countdown_spin(*(const uint64_t *)arg);
	return NULL;
}

/* How many cores' worth of CPU the host gives: nproc counts the cores a process may
 * use, not what a cgroup quota or a busy neighbour leaves of them. One countdown
 * alone, then one on each core at once: cores x t1 / tk, each time the fastest seen
 * so far (noise only slows either, and a slowed t1 alone would inflate the ratio). */
static int capacity_fn(void *arg, struct cb_err *err)
{
	struct floors *f = arg;
	int k = sysinfo_cores();
	uint64_t n = (uint64_t)(CAPACITY_WORK_S / (f->countdown_ns * 1e-9));
	pthread_t *t = calloc((size_t)k, sizeof *t);
	if (!t)
		return cb_fail_errno(err, CB_ESYS, "capacity");
	double t0 = clock_now();
	countdown_spin(n);
	double one = clock_now() - t0;
	int started = 0, rc = CB_OK;
	t0 = clock_now();
	for (; started < k; started++)
		if ((errno = pthread_create(&t[started], NULL, spin_thread, &n))) {
			rc = cb_fail_errno(err, CB_ESYS, "pthread_create");
			break;
		}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	double all = clock_now() - t0;
	free(t);
	f->cap_one_s = fmin(f->cap_one_s, one);
	f->cap_all_s = fmin(f->cap_all_s, all);
	f->parallel_cores = k * f->cap_one_s / f->cap_all_s;
	return rc;
}

static int nothing_fn(void *arg, struct cb_err *err)
{
	(void)arg;
	(void)err;
	return CB_OK;
}

static int runner_floor_fn(void *arg, struct cb_err *err)
{
	const struct floor_entry *e = arg;
	return e->ri->rn->floor(&e->ri->params, e->tasks, e->workers, err);
}

/* Runs fn in a trial child on a copy of *f it shares with the driver, for figures
 * taken inside the child: a fork of that child, threads the driver must not have. */
static int in_child(int (*fn)(void *, struct cb_err *), struct floors *f, double timeout_s,
		    struct cb_err *err)
{
	struct floors *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap");
	*shared = *f;
	double s;
	int rc = trial_time_fn(fn, shared, timeout_s, &s, NULL, err);
	if (rc == CB_OK)
		*f = *shared;
	munmap(shared, sizeof *shared);
	return rc;
}

static int harness_floors(struct floors *f, double timeout_s, struct cb_err *err)
{
	double s, v[FLOOR_REPS];
	int rc;
	if (timeout_s < HARNESS_TIMEOUT_MIN_S)
		timeout_s = HARNESS_TIMEOUT_MIN_S;
	for (int i = 0; i < FLOOR_REPS; i++) {
		if ((rc = in_child(fork_wait_fn, f, timeout_s, err)))
			return rc;
		v[i] = f->fork_wait_s;
	}
	f->fork_wait_s = stats_median(v, FLOOR_REPS);
	for (int i = 0; i < FLOOR_REPS; i++) {
		if ((rc = trial_time_fn(page_touch_fn, NULL, timeout_s, &s, NULL, err)))
			return rc;
		v[i] = s / (TOUCH_BYTES / (double)sysconf(_SC_PAGESIZE));
	}
	f->page_touch_s = stats_median(v, FLOOR_REPS);
	/* In the driver itself: it touches no memory and forks nothing. */
	if ((rc = cpu_clock_fn(f, err)))
		return rc;
	f->parallel_cores = NAN;
	f->cap_one_s = f->cap_all_s = INFINITY;
	if ((rc = floors_capacity(f, timeout_s, err)))
		return rc;
	return trial_time_fn(nothing_fn, NULL, timeout_s, &s, &f->base_rss_kib, err);
}

/* CAPACITY_REPS more measurements, on top of those before: a busy neighbour only
 * ever slows a run, so the fastest runs say what the host can give, and a quota
 * keeps every one of them slow. */
int floors_capacity(struct floors *f, double timeout_s, struct cb_err *err)
{
	if (timeout_s < HARNESS_TIMEOUT_MIN_S)
		timeout_s = HARNESS_TIMEOUT_MIN_S;
	for (int i = 0; i < CAPACITY_REPS; i++) {
		int rc = in_child(capacity_fn, f, timeout_s, err);
		if (rc)
			return rc;
	}
	return CB_OK;
}

static bool have_entry(const struct floors *f, const struct rn_inst *ri, int tasks, int workers)
{
	for (int i = 0; i < f->n; i++)
		if (f->e[i].ri == ri && f->e[i].tasks == tasks && f->e[i].workers == workers)
			return true;
	return false;
}

int floors_measure(struct floors *f, const struct plan *p, double timeout_s, struct cb_err *err)
{
	floors_none(f);
	int rc = harness_floors(f, timeout_s, err);
	if (rc)
		return rc;
	f->e = calloc((size_t)p->ncells + 1, sizeof *f->e);
	if (!f->e)
		return cb_fail_errno(err, CB_ESYS, "floors");
	for (int c = 0; c < p->ncells; c++) {
		const struct cell *cell = &p->cells[c];
		if (!cell->ri->rn->floor || have_entry(f, cell->ri, cell->tasks, cell->workers))
			continue;
		struct floor_entry *e = &f->e[f->n++];
		*e = (struct floor_entry){.ri = cell->ri, .tasks = cell->tasks,
					  .workers = cell->workers, .seconds = NAN};
		double v[FLOOR_REPS];
		int k = 0;
		for (int i = 0; i < FLOOR_REPS; i++) {
			struct cb_err ferr = {0};
			if ((rc = trial_time_fn(runner_floor_fn, e, timeout_s, &v[k], NULL, &ferr))) {
				if (rc == CB_EINTR)
					return cb_fail(err, rc, "interrupted");
				cb_copy(e->note, ferr.msg, sizeof e->note);
				break;
			}
			k++;
		}
		if (k == FLOOR_REPS)
			e->seconds = stats_median(v, k);
	}
	return CB_OK;
}

void floors_none(struct floors *f)
{
	*f = (struct floors){.fork_wait_s = NAN, .page_touch_s = NAN, .countdown_ns = NAN,
			     .core_ghz = NAN, .parallel_cores = NAN, .cap_one_s = INFINITY,
			     .cap_all_s = INFINITY, .base_rss_kib = -1};
}

double floors_of(const struct floors *f, const struct cell *c)
{
	for (int i = 0; i < f->n; i++)
		if (f->e[i].ri == c->ri && f->e[i].tasks == c->tasks && f->e[i].workers == c->workers)
			return f->e[i].seconds;
	return NAN;
}

void floors_free(struct floors *f)
{
	free(f->e);
	f->e = NULL;
	f->n = 0;
}
