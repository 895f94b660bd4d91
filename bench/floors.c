/* Measuring the floors. */
#include "floors.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "spin.h"
#include "stats.h"
#include "sysinfo.h"
#include "trial.h"
#include "trialcell.h"
#include "trialtime.h"

#define FLOOR_REPS 3 /* of each harness floor */
#define FLOOR_REPS_MIN 3
#define FLOOR_ONCE_ABOVE_S 0.25
#define FORK_WAIT_REPS 50
#define CAPACITY_PAIRS 9
#define CAPACITY_WORK_S 0.2 /* per run: long enough that a scheduler tick or a page
			     * fault is lost in it */
#define TOUCH_BYTES (64u << 20)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)
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

/* The first touch of fresh memory, one write per page: small pages (arg NULL), the
 * 4 KiB fault every small allocation pays, or 2 MiB transparent huge pages, the
 * pages --heap huge gives (one fault, the whole page zeroed). */
static int page_touch_fn(void *arg, struct cb_err *err)
{
	bool huge = arg != NULL;
	size_t step = huge ? HUGE_PAGE_BYTES : (size_t)sysconf(_SC_PAGESIZE);
	size_t len = TOUCH_BYTES + (huge ? HUGE_PAGE_BYTES : 0);
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap");
	char *p = huge ? (char *)(((uintptr_t)m + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1))
		       : m;
	madvise(p, TOUCH_BYTES, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (size_t off = 0; off < TOUCH_BYTES; off += step)
		((volatile char *)p)[off] = 1;
	munmap(m, len);
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
	/* The fastest of three: noise only adds time, and the capacity pairs size their
	 * 200 ms of work from this figure. */
	f->countdown_ns = INFINITY;
	for (int i = 0; i < 3; i++) {
		double t0 = clock_now();
		spin_countdown(n);
		f->countdown_ns = fmin(f->countdown_ns, (clock_now() - t0) / (double)n * 1e9);
	}
	f->core_ghz = NAN;
#if defined(__x86_64__)
	uint64_t x = 3;
	double t0 = clock_now();
	for (uint64_t i = 0; i < n / 3; i++)
		__asm__ volatile("imul %0, %0" : "+r"(x));
	f->core_ghz = 3.0 * (double)(n / 3) / (clock_now() - t0) * 1e-9;
#endif
	return CB_OK;
}

static void *spin_thread(void *arg)
{
	spin_countdown(*(const uint64_t *)arg);
	return NULL;
}

static int spin_all(int k, uint64_t n, double *seconds, struct cb_err *err)
{
	pthread_t *t = calloc((size_t)k, sizeof *t);
	if (!t)
		return cb_fail_errno(err, CB_ESYS, "capacity");
	int started = 0, rc = CB_OK;
	double t0 = clock_now();
	for (; started < k; started++)
		if ((errno = pthread_create(&t[started], NULL, spin_thread, &n))) {
			rc = cb_fail_errno(err, CB_ESYS, "pthread_create");
			break;
		}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	*seconds = clock_now() - t0;
	free(t);
	return rc;
}

/* How many cores' worth of CPU the host gives: nproc counts the cores a process may
 * use, not what a cgroup quota or a busy neighbour leaves of them. One pair: a
 * countdown alone and one on every core at once, back to back (in turn first, so a
 * drift in speed does not favour either), and cores x t1 / tk of the two. */
static int capacity_fn(void *arg, struct cb_err *err)
{
	struct floors *f = arg;
	int k = sysinfo_cores(), rc = CB_OK;
	uint64_t n = (uint64_t)(CAPACITY_WORK_S / (f->countdown_ns * 1e-9));
	double one = 0, all = 0;
	bool solo_first = f->cap_pairs % 2 == 0;
	for (int turn = 0; turn < 2 && rc == CB_OK; turn++) {
		if ((turn == 0) == solo_first) {
			double t0 = clock_now();
			spin_countdown(n);
			one = clock_now() - t0;
		} else {
			rc = spin_all(k, n, &all, err);
		}
	}
	if (rc == CB_OK && all > 0 && f->cap_pairs < CAPACITY_PAIRS_MAX)
		f->cap_ratio[f->cap_pairs++] = k * one / all;
	return rc;
}

static void capacity_settle(struct floors *f)
{
	double v[CAPACITY_PAIRS_MAX];
	memcpy(v, f->cap_ratio, sizeof v[0] * (size_t)f->cap_pairs);
	double m = stats_median(v, f->cap_pairs);
	int cores = sysinfo_cores();
	f->parallel_cores = m > cores ? cores : m;
}

void floors_capacity_range(const struct floors *f, double *lo, double *hi)
{
	*lo = *hi = NAN;
	for (int i = 0; i < f->cap_pairs; i++) {
		if (!(f->cap_ratio[i] >= *lo))
			*lo = f->cap_ratio[i];
		if (!(f->cap_ratio[i] <= *hi))
			*hi = f->cap_ratio[i];
	}
}

static int nothing_fn(void *arg, struct cb_err *err)
{
	(void)arg;
	(void)err;
	return CB_OK;
}

struct runner_floor_arg {
	const struct rn_inst *ri;
	struct floor_work fw;
	int tasks, workers;
};

static int runner_floor_fn(void *arg, struct cb_err *err)
{
	const struct runner_floor_arg *a = arg;
	return a->ri->rn->floor(&a->ri->params, &a->fw, a->tasks, a->workers, err);
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
	int rc = trialtime_fn(fn, shared, timeout_s, &s, NULL, err);
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
	f->phase = "fork+wait";
	for (int i = 0; i < FLOOR_REPS; i++) {
		if ((rc = in_child(fork_wait_fn, f, timeout_s, err)))
			return rc;
		v[i] = f->fork_wait_s;
	}
	f->fork_wait_s = stats_median(v, FLOOR_REPS);
	f->phase = "first touch of a page";
	for (int i = 0; i < FLOOR_REPS; i++) {
		if ((rc = trialtime_fn(page_touch_fn, NULL, timeout_s, &s, NULL, err)))
			return rc;
		v[i] = s / (TOUCH_BYTES / (double)sysconf(_SC_PAGESIZE));
	}
	f->page_touch_s = stats_median(v, FLOOR_REPS);
	f->phase = "first touch in a huge page";
	for (int i = 0; i < FLOOR_REPS; i++) {
		if ((rc = trialtime_fn(page_touch_fn, f, timeout_s, &s, NULL, err)))
			return rc;
		v[i] = s / (TOUCH_BYTES / (double)sysconf(_SC_PAGESIZE));
	}
	f->page_touch_huge_s = stats_median(v, FLOOR_REPS);
	/* In the driver itself: it touches no memory and forks nothing. */
	f->phase = "the countdown's speed";
	if ((rc = cpu_clock_fn(f, err)))
		return rc;
	f->parallel_cores = NAN;
	f->cap_pairs = 0;
	if ((rc = floors_capacity(f, timeout_s, err)))
		return rc;
	f->phase = "an empty trial child's memory";
	return trialtime_fn(nothing_fn, NULL, timeout_s, &s, &f->base_rss_kib, err);
}

/* CAPACITY_PAIRS more pairs, on top of those before; the figure is their median. */
int floors_capacity(struct floors *f, double timeout_s, struct cb_err *err)
{
	if (timeout_s < HARNESS_TIMEOUT_MIN_S)
		timeout_s = HARNESS_TIMEOUT_MIN_S;
	f->phase = "the CPU the host gives (countdowns alone and on every core)";
	f->phase_steps = CAPACITY_PAIRS;
	for (int i = 0; i < CAPACITY_PAIRS; i++) {
		f->phase_done = i;
		int rc = in_child(capacity_fn, f, timeout_s, err);
		if (rc)
			return rc;
	}
	capacity_settle(f);
	f->phase_steps = 0;
	return CB_OK;
}

static struct floor_entry *find_entry(const struct floors *f, const struct wl_inst *wi,
				       const struct rn_inst *ri, int tasks, int workers)
{
	for (int i = 0; i < f->n; i++)
		if (f->e[i].wi == wi && f->e[i].ri == ri && f->e[i].tasks == tasks &&
		    f->e[i].workers == workers)
			return &f->e[i];
	return NULL;
}

/* The workload's own floor is the same for every runner: measured once per size, by
 * the entry of the first cell that has it. */
static struct floor_entry *workload_floor_leader(const struct floors *f, const struct cell *c)
{
	for (int i = 0; i < f->n; i++)
		if (f->e[i].wi == c->wi && f->e[i].tasks == c->tasks &&
		    f->e[i].workers == c->workers && f->e[i].what == c->wi->wl->floor_what)
			return &f->e[i];
	return NULL;
}

/* How many runs a floor gets: as many as its cell's trials, within FLOOR_REPS_MIN and
 * FLOOR_REPS_MAX; one when it mostly waits (the wait itself being no noise). */
static int floor_target(const struct cell *c)
{
	const struct workload *wl = c->wi->wl;
	double ideal = wl->ideal_s ? wl->ideal_s(c->wi->cfg, c->tasks, c->workers) : 0;
	if (ideal > FLOOR_ONCE_ABOVE_S)
		return 1;
	return c->repeat < FLOOR_REPS_MIN ? FLOOR_REPS_MIN
	       : c->repeat > FLOOR_REPS_MAX ? FLOOR_REPS_MAX : c->repeat;
}

/* One run of a floor into e; a floor that fails keeps its reason and runs no more.
 * Returns CB_EINTR when the user stopped the run, else CB_OK. */
static int floor_rep(struct floor_entry *e, const struct cell *c, double timeout_s)
{
	const struct workload *wl = c->wi->wl;
	struct cb_err ferr = {0};
	double v = NAN;
	int rc;
	if (wl->floor) {
		rc = wl->floor(c->wi->cfg, c->tasks, c->workers, &v, &ferr);
	} else {
		struct runner_floor_arg a = {.ri = c->ri, .tasks = c->tasks, .workers = c->workers};
		wl->floor_work(c->wi->cfg, &a.fw);
		double wall;
		rc = trialtime_fn(runner_floor_fn, &a, timeout_s, &wall, NULL, &ferr);
		v = wall - wl->ideal_s(c->wi->cfg, c->tasks, c->workers);
	}
	if (trial_stop_requested())
		return CB_EINTR;
	if (rc || !isfinite(v)) {
		cb_copy(e->note, ferr.msg[0] ? ferr.msg : "no figure", sizeof e->note);
		e->failed = true;
		return CB_OK;
	}
	e->v[e->k++] = v;
	return CB_OK;
}

/* Which floor a cell has, if any: the workload's own, or its runner doing the
 * workload's steps by hand. The latter's figure is its wall over the ideal, as the
 * cell's overhead is: a workload that knows no ideal for the cell gives none. */
static const char *floor_source(const struct cell *c)
{
	const struct workload *wl = c->wi->wl;
	struct floor_work fw;
	if (wl->floor)
		return wl->floor_what;
	if (wl->floor_work && wl->ideal_s && c->ri->rn->floor &&
	    wl->ideal_s(c->wi->cfg, c->tasks, c->workers) >= 0 &&
	    wl->floor_work(c->wi->cfg, &fw))
		return c->ri->rn->floor_what;
	return NULL;
}

static void add_entry(struct floors *f, const struct cell *c)
{
	const char *what = floor_source(c);
	if (!what || find_entry(f, c->wi, c->ri, c->tasks, c->workers))
		return;
	struct floor_entry *leader = c->wi->wl->floor ? workload_floor_leader(f, c) : NULL;
	struct floor_entry *e = &f->e[f->n++];
	*e = (struct floor_entry){.wi = c->wi, .ri = c->ri, .tasks = c->tasks,
				  .workers = c->workers, .seconds = NAN, .fastest_s = NAN,
				  .what = what, .target = floor_target(c)};
	e->leader = leader ? (int)(leader - f->e) : -1;
	if (leader && e->target > leader->target)
		leader->target = e->target;
}

/* The entry that runs cell c's floor: its own, or the one its workload's floor is
 * measured by. */
static struct floor_entry *measuring_entry(const struct floors *f, const struct cell *c)
{
	struct floor_entry *e = find_entry(f, c->wi, c->ri, c->tasks, c->workers);
	return e && e->leader >= 0 ? &f->e[e->leader] : e;
}

int floors_step(struct floors *f, const struct cell *c, int index, double timeout_s,
		struct cb_err *err)
{
	struct floor_entry *e = measuring_entry(f, c);
	if (!e)
		return CB_OK;
	/* Spread over the cell's trials: by the end of trial `index`, its share. */
	int due = (e->target * (index + 1) + c->repeat - 1) / c->repeat;
	while (!e->failed && e->k < due && e->k < e->target)
		if (floor_rep(e, c, timeout_s) == CB_EINTR)
			return cb_fail(err, CB_EINTR, "interrupted");
	return CB_OK;
}

int floors_measure_all(struct floors *f, const struct plan *p, double timeout_s,
		       struct cb_err *err)
{
	f->phase = "each cell's floor";
	for (int c = 0; c < p->ncells; c++) {
		int rc = floors_step(f, &p->cells[c], p->cells[c].repeat - 1, timeout_s, err);
		if (rc)
			return rc;
	}
	floors_settle(f);
	return CB_OK;
}

void floors_settle(struct floors *f)
{
	for (int i = 0; i < f->n; i++) {
		struct floor_entry *e = &f->e[i];
		if (e->leader >= 0)
			continue;
		if (e->k == 0 && !e->note[0])
			cb_copy(e->note, "not measured: the run stopped first", sizeof e->note);
		if (e->k == 0)
			continue;
		e->seconds = stats_median(e->v, e->k);
		e->fastest_s = e->v[0];
		for (int j = 1; j < e->k; j++)
			e->fastest_s = fmin(e->fastest_s, e->v[j]);
	}
	for (int i = 0; i < f->n; i++) {
		struct floor_entry *e = &f->e[i];
		if (e->leader < 0)
			continue;
		const struct floor_entry *l = &f->e[e->leader];
		e->seconds = l->seconds;
		e->fastest_s = l->fastest_s;
		e->k = l->k;
		cb_copy(e->note, l->note, sizeof e->note);
	}
}

/* A runtime of its own (a peer's interpreter): its peak RSS running one task of the
 * workload, the median of FLOOR_REPS trials. */
static int measure_base(struct floors *f, const struct cell *c, struct cb_err *err)
{
	for (int i = 0; i < f->nb; i++)
		if (f->b[i].wi == c->wi && f->b[i].ri == c->ri)
			return CB_OK;
	f->phase = "a peer's own memory running one task";
	struct base_entry *b = &f->b[f->nb++];
	*b = (struct base_entry){.wi = c->wi, .ri = c->ri, .rss_kib = -1};
	struct cell one = *c;
	one.tasks = one.workers = 1;
	double v[FLOOR_REPS];
	int k = 0;
	for (int i = 0; i < FLOOR_REPS; i++) {
		struct trial_row row = {0};
		struct cb_err terr = {0};
		int rc = trialcell_run(&one, c->timeout_s, &row, &terr);
		if (rc == CB_EINTR)
			return cb_fail(err, CB_EINTR, "interrupted");
		if (rc == CB_OK && strcmp(row.outcome, "ok") == 0)
			v[k++] = (double)row.maxrss_kib;
	}
	if (k)
		b->rss_kib = (long)stats_median(v, k);
	return CB_OK;
}

int floors_measure(struct floors *f, const struct plan *p, double timeout_s, struct cb_err *err)
{
	floors_none(f);
	int rc = harness_floors(f, timeout_s, err);
	if (rc)
		return rc;
	f->e = calloc((size_t)p->ncells + 1, sizeof *f->e);
	f->b = calloc((size_t)p->ncells + 1, sizeof *f->b);
	if (!f->e || !f->b)
		return cb_fail_errno(err, CB_ESYS, "floors");
	for (int c = 0; c < p->ncells; c++) {
		const struct cell *cell = &p->cells[c];
		add_entry(f, cell);
		if (cell->ri->rn->external && (rc = measure_base(f, cell, err)))
			return rc;
	}
	f->phase = NULL;
	return CB_OK;
}

void floors_none(struct floors *f)
{
	*f = (struct floors){.fork_wait_s = NAN, .page_touch_s = NAN, .page_touch_huge_s = NAN,
			     .countdown_ns = NAN,
			     .core_ghz = NAN, .parallel_cores = NAN, .base_rss_kib = -1};
}

const struct floor_entry *floors_entry(const struct floors *f, const struct cell *c)
{
	return find_entry(f, c->wi, c->ri, c->tasks, c->workers);
}

double floors_of(const struct floors *f, const struct cell *c)
{
	const struct floor_entry *e = floors_entry(f, c);
	return e ? e->seconds : NAN;
}

double floors_fastest_of(const struct floors *f, const struct cell *c)
{
	const struct floor_entry *e = floors_entry(f, c);
	return e ? e->fastest_s : NAN;
}

long floors_base_rss(const struct floors *f, const struct cell *c)
{
	if (!c->ri->rn->external) /* no runtime of its own: above an empty trial child */
		return f->base_rss_kib;
	for (int i = 0; i < f->nb; i++)
		if (f->b[i].wi == c->wi && f->b[i].ri == c->ri)
			return f->b[i].rss_kib;
	return -1;
}

void floors_free(struct floors *f)
{
	free(f->e);
	free(f->b);
	f->e = NULL;
	f->b = NULL;
	f->n = f->nb = 0;
}
