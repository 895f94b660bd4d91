/* Every C runner in the registry, through the runner interface: sleeping tasks for
 * several (N, W), CPU tasks, and tasks that fail or kill their worker. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellrun.h"
#include "clock.h"
#include "spin.h"
#include "runner.h"
#include "semset.h"
#include "teststeps.h"
#include "workload.h"

/* Configures a workload from "key", "value" pairs and runs it once under rn, through
 * the driver's own cell body, with W as the driver gives it. */
static struct cellrun_out run_workload(const struct runner *rn, const char *wl_name,
				       const char *const *kv, int ntasks, int workers)
{
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, wl_name, kv, rn, NULL, &err), CB_OK, "%s %s: %s",
		     rn->name, wl_name, err.msg);
	struct cellrun_out o;
	testcell_run(&tc, ntasks, workers, &o);
	testcell_close(&tc);
	cr_assert_eq(o.code, CB_OK, "%s %s: stage %d: %s", rn->name, wl_name, o.stage, o.note);
	return o;
}

/* The step runners of a model; peers (external runners) have their own suite, and
 * bookkeeping (no model) its own test below. */
#define FOR_EACH_C_RUNNER(rn)                                                             \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if ((rn)->run && !(rn)->waits_skipped)

/* Each (N, W) is chosen so that a runner off by one worker, or one that ran
 * all-at-once tasks one by one, takes at least a round more than asked: N=3 W=2 is
 * W=2 run as W=1 (3 rounds, not 2), N=20 W=7 and W=10 take 4 and 3 rounds with a
 * worker fewer, W=0 takes N rounds serialised. W=1 and W above N are the edges.
 * N=20 W=1 or W=2 would add 20 and 10 rounds to the suite and tell nothing N=3 does
 * not; serial gets W=1 whatever is asked, so N=3 already shows it runs in order. */
Test(runners, sleep_all_sizes_and_limits, .timeout = 60)
{
	static const char *const kv[] = {"ms", "150", NULL};
	const double nap = 0.150;
	static const struct {
		int n, limits[4];
	} cases[] = {{1, {0, 1, 2, 6}}, {3, {0, 1, 2, 8}}, {20, {0, 7, 10, 25}}};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
			int n = cases[s].n;
			if (rn->one_at_a_time && n > 3)
				continue;
			for (size_t l = 0; l < 4; l++) {
				if (rn->one_at_a_time && l > 0)
					continue; /* W means nothing to it: one case is enough */
				int w = rn->one_at_a_time ? 1 : cases[s].limits[l];
				int rounds = rounds_of(n, w);
				struct cellrun_out o = run_workload(rn, "sleep", kv, n, w);
				cr_expect_eq(o.tasks_ok, n, "%s n=%d w=%d: %d ok", rn->name, n, w,
					     o.tasks_ok);
				cr_expect_geq(o.wall_s, rounds_lower_s(rounds, nap),
					      "%s n=%d w=%d: %.3f s, fewer than %d rounds", rn->name, n,
					      w, o.wall_s, rounds);
				cr_expect_lt(o.wall_s, rounds_upper_s(rounds, nap),
					     "%s n=%d w=%d: %.3f s, more than %d rounds", rn->name, n, w,
					     o.wall_s, rounds);
			}
		}
	}
}

Test(runners, cpu_tasks_are_correct)
{
	static const char *const power_kv[] = {"exp", "20000", NULL};
	static const char *const countdown_kv[] = {"n", "1000000", NULL};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct cellrun_out o = run_workload(rn, "power", power_kv, 5, 2);
		cr_expect_eq(o.tasks_ok, 5, "%s power: %d ok", rn->name, o.tasks_ok);
		o = run_workload(rn, "countdown", countdown_kv, 7, 3);
		cr_expect_eq(o.tasks_ok, 7, "%s countdown: %d ok", rn->name, o.tasks_ok);
	}
}

/* A workload-less taskset: steps built here, run straight through a runner. */
static enum step_status step_fails(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_FAIL;
}

static enum step_status step_ok(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_OK;
}

static enum step_status step_kills_worker(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	raise(SIGKILL);
	return STEP_OK;
}

static struct cellrun_out run_steps(const struct runner *rn, struct task *tasks, int n,
				    int workers, struct task_result *res)
{
	struct taskset ts = {.tasks = tasks, .ntasks = n};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
	struct cellrun_out o;
	handmade_run(rn, &rp, &ts, workers, res, &o);
	params_free(&rp);
	cr_assert_eq(o.code, CB_OK, "%s: stage %d: %s", rn->name, o.stage, o.note);
	return o;
}

Test(runners, a_failing_task_is_a_result)
{
	static const struct step good = {.kind = STEP_COMPUTE, .compute.fn = step_ok};
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fails};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct task tasks[6];
		struct task_result res[6] = {0};
		for (int i = 0; i < 6; i++)
			tasks[i] = (struct task){.steps = i % 3 == 1 ? &bad : &good, .nsteps = 1};
		handmade_wall(rn->name, NULL, tasks, 6, 2, NULL, 0, res);
		for (int i = 0; i < 6; i++)
			cr_expect_eq(res[i].fail, i % 3 == 1 ? FAIL_CHECK : FAIL_NONE,
				     "%s task %d: fail %d", rn->name, i, res[i].fail);
	}
}

/* bookkeeping does a task's stamps, step walk and record and no model: computes are
 * called once each, every wait is done at once (a sleep of a minute, a wait nothing
 * posts, a fetch of nowhere), and a failing compute still fails its task. */
static enum step_status step_count(void *state, const void *arg)
{
	(void)arg;
	++*(int *)state;
	return STEP_OK;
}

Test(runners, bookkeeping_takes_every_wait_as_done)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step steps[] = {
		{.kind = STEP_COMPUTE, .compute.fn = step_count},
		{.kind = STEP_SLEEP, .sleep.ns = 60000000000},
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_FETCH, .fetch = {.url = "http://127.0.0.1:9/", .status = 200}},
		{.kind = STEP_POST, .post.sem = 0},
		{.kind = STEP_COMPUTE, .compute.fn = step_count},
	};
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fails};
	static const char *const stamps[][3] = {{"stamps", "each", NULL},
						{"stamps", "shared", NULL}};
	for (int k = 0; k < 2; k++) {
		enum { N = 50 };
		int counts[N] = {0};
		struct task tasks[N];
		struct task_result res[N] = {0};
		for (int i = 0; i < N; i++)
			tasks[i] = i == 7 ? (struct task){.steps = &bad, .nsteps = 1}
					  : (struct task){.steps = steps, .nsteps = 6, .state = &counts[i]};
		double wall = handmade_wall("bookkeeping", stamps[k], tasks, N, 0, &never, 1, res);
		cr_expect_lt(wall, 10.0, "%s: %.3f s: a wait was waited", stamps[k][1], wall);
		for (int i = 0; i < N; i++) {
			cr_expect_eq(res[i].fail, i == 7 ? FAIL_CHECK : FAIL_NONE, "%s task %d: fail %d",
				     stamps[k][1], i, res[i].fail);
			cr_expect_eq(counts[i], i == 7 ? 0 : 2, "%s task %d: %d computes",
				     stamps[k][1], i, counts[i]);
			cr_expect_geq(res[i].end_s, res[i].start_s, "%s task %d", stamps[k][1], i);
			if (i)
				cr_expect_geq(res[i].start_s, res[i - 1].end_s, "%s task %d",
					      stamps[k][1], i);
		}
	}
}

Test(runners, procs_counts_a_killed_worker_and_goes_on)
{
	static const struct step good = {.kind = STEP_COMPUTE, .compute.fn = step_ok};
	static const struct step kill = {.kind = STEP_COMPUTE, .compute.fn = step_kills_worker};
	const struct runner *rn = runner_find("procs");
	cr_assert_not_null(rn);
	for (int workers = 0; workers <= 2; workers += 2) {
		struct task tasks[8];
		struct task_result res[8] = {0};
		for (int i = 0; i < 8; i++)
			tasks[i] = (struct task){.steps = i == 3 ? &kill : &good, .nsteps = 1};
		struct cellrun_out o = run_steps(rn, tasks, 8, workers, res);
		int died = 0, ok = 0;
		for (int i = 0; i < 8; i++) {
			died += res[i].fail == FAIL_DIED;
			ok += res[i].fail == FAIL_NONE;
		}
		cr_expect_eq(res[3].fail, FAIL_DIED, "W=%d: the killed task", workers);
		cr_expect_eq(died, 1, "W=%d: %d died", workers, died);
		cr_expect_eq(ok, 7, "W=%d: %d ok", workers, ok);
		/* With a process per task, worker 4 is the one that ran task 3. */
		const char *want = workers ? "killed by signal 9 (Killed)"
					   : "worker 4 of 8 was killed by signal 9 (Killed)";
		cr_expect(strstr(o.note, want), "W=%d: note '%s' lacks '%s'", workers, o.note, want);
	}
}

/* A worker that dies between its wait and its post: its partner, waiting for that post
 * in another process, fails as blocked at once instead of waiting until the trial's
 * timeout, whether the dead side's task comes first or second. Without it the run would
 * hang: the test's own timeout fails it. */
Test(runners, procs_partner_of_a_dead_worker_fails_blocked, .timeout = 60)
{
	static const struct sem_decl sems[] = {{"a", 0}, {"b", 0}};
	static const struct step killer[] = {
		{.kind = STEP_COMPUTE, .compute.fn = step_kills_worker},
		{.kind = STEP_POST, .post.sem = 0},
	};
	static const struct step waiter[] = {
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_POST, .post.sem = 1},
	};
	const struct runner *rn = runner_find("procs");
	cr_assert_not_null(rn);
	for (int order = 0; order < 2; order++) {
			struct task tasks[2];
			struct task_result res[2] = {0};
			tasks[order] = (struct task){.steps = killer, .nsteps = 2};
			tasks[!order] = (struct task){.steps = waiter, .nsteps = 2};
			struct taskset ts = {.tasks = tasks, .ntasks = 2, .sems = sems, .nsems = 2};
			struct params rp;
			struct cb_err err = {0};
			cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
			struct cellrun_out o;
			double t0 = clock_now();
			handmade_run(rn, &rp, &ts, 0, res, &o);
			double wall = clock_now() - t0;
			params_free(&rp);
			cr_assert_eq(o.code, CB_OK, "stage %d: %s", o.stage, o.note);
			cr_expect_eq(res[order].fail, FAIL_DIED, "order %d: killer %d", order,
				     res[order].fail);
			cr_expect_eq(res[!order].fail, FAIL_BLOCKED, "order %d: waiter %d", order,
				     res[!order].fail);
			cr_expect_lt(wall, 10.0, "order %d: %.1f s", order, wall);
		}
}

/* ---- notes that name the cause ---- */

/* What a cell run in a child process under a lowered limit came to. */
struct limited {
	int code, ok;
	int fail[FAIL_REASONS];
	char note[256];
};

/* Runs a cell of wl (its "key", "value" pairs wkv, the runner's rkv) in a child process
 * whose `resource` is lowered to `limit` after the workload started (so the local
 * server keeps its own). No Criterion assertion in the child: its result comes back
 * over a pipe, and code -1 says the child could not set it up. */
static struct limited run_limited(const struct runner *rn, const char *wl_name,
				  const char *const *wkv, const char *const *rkv, int ntasks,
				  int workers, int resource, rlim_t limit)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct limited l = {.code = -1};
		struct cb_err err = {0};
		struct testcell tc;
		int rc = testcell_open(&tc, wl_name, wkv, rn, rkv, &err);
		struct rlimit rl = {limit, limit};
		if (rc == CB_OK && setrlimit(resource, &rl) == 0) {
			struct cellrun_out o;
			l.code = testcell_run(&tc, ntasks, workers, &o);
			l.ok = o.tasks_ok;
			memcpy(l.fail, o.fail, sizeof l.fail);
			cb_copy(l.note, o.note, sizeof l.note);
		} else {
			cb_copy(l.note, err.msg[0] ? err.msg : "setrlimit refused", sizeof l.note);
		}
		if (rc == CB_OK)
			testcell_close(&tc);
		_exit(write(fds[1], &l, sizeof l) == sizeof l ? 0 : 1);
	}
	close(fds[1]);
	struct limited l = {.code = -1};
	ssize_t got = read(fds[0], &l, sizeof l);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	cr_assert_eq(got, (ssize_t)sizeof l, "%s: the child sent nothing", rn->name);
	cr_assert_neq(l.code, -1, "%s: %s", rn->name, l.note);
	return l;
}

/* This process's address space now, in bytes. */
static rlim_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (rlim_t)kib * 1024;
}

/* Threads of 64 MiB stacks in 256 MiB more than the process has: a few fit, the
 * rest are refused, and the note names the limit that refused them. */
Test(runners, an_address_space_limit_is_named)
{
	static const char *const wkv[] = {"ms", "50", NULL};
	static const char *const rkv[] = {"stack_kib", "65536", NULL};
	const struct runner *rn = runner_find("threads");
	cr_assert_not_null(rn);
	rlim_t limit = vm_size() + ((rlim_t)256 << 20);
	struct limited l = run_limited(rn, "sleep", wkv, rkv, 20, 0, RLIMIT_AS, limit);
	cr_expect_gt(l.fail[FAIL_SPAWN], 0, "no thread was refused: %s", l.note);
	char want[64];
	if (limit >= (rlim_t)1 << 30)
		snprintf(want, sizeof want, "RLIMIT_AS %.1f GiB", (double)limit / (1 << 30));
	else
		snprintf(want, sizeof want, "RLIMIT_AS %.1f MiB", (double)limit / (1 << 20));
	cr_expect(strstr(l.note, want), "note '%s' lacks '%s'", l.note, want);
}

/* 60 GETs at once with 32 descriptors: the runners that hold them at once run out,
 * and their note says so, not just a connection that failed. */
Test(runners, too_many_open_files_are_named)
{
	static const char *const wkv[] = {"delay_ms", "300", NULL};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct runner *rn;
	int short_of_fds = 0;
	FOR_EACH_C_RUNNER(rn)
	{
		if (rn->one_at_a_time)
			continue; /* one connection at a time: 60 of them would take 18 s */
		struct limited l = run_limited(rn, "http", wkv, NULL, 60, 0, RLIMIT_NOFILE, 32);
		if (l.ok == 60)
			continue; /* a connection per process, or one at a time: enough */
		short_of_fds++;
		cr_expect(strstr(l.note, "too many open files (RLIMIT_NOFILE 32)"),
			  "%s: %d ok, note '%s'", rn->name, l.ok, l.note);
	}
	cr_expect_geq(short_of_fds, 2, "the threads and the loops hold 60 connections at once");
}

/* A path the local server does not serve: it answers 400, and the note says so. */
Test(runners, a_wrong_http_status_is_named)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct testcell server;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&server, "http", NULL, runner_find("serial"), NULL, &err),
		     CB_OK, "%s", err.msg);
	struct taskset local;
	cr_assert_eq(server.wl->build(server.cfg, 1, 1, &local, &err), CB_OK, "%s", err.msg);
	char url[256];
	snprintf(url, sizeof url, "%s", local.tasks[0].steps[0].fetch.url);
	server.wl->release(&local);
	char *path = strstr(url + strlen("http://"), "/");
	cr_assert_not_null(path, "%s", url);
	strcpy(path, "/nope");
	const struct step get = {.kind = STEP_FETCH, .fetch = {.url = url, .status = 200,
							      .bytes = -1, .timeout_ms = 10000}};
	char want[300];
	snprintf(want, sizeof want, "HTTP 400 from %s", url);
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct task tasks[3];
		struct task_result res[3] = {0};
		for (int i = 0; i < 3; i++)
			tasks[i] = (struct task){.steps = &get, .nsteps = 1};
		struct cellrun_out o = run_steps(rn, tasks, 3, 0, res);
		cr_expect_eq(o.fail[FAIL_STATUS], 3, "%s: %d wrong statuses", rn->name,
			     o.fail[FAIL_STATUS]);
		cr_expect(strstr(o.note, want), "%s: note '%s' lacks '%s'", rn->name, o.note, want);
		cr_expect(strstr(o.note, "3 failed fetches"), "%s: note '%s' lacks the count",
			  rn->name, o.note);
	}
	testcell_close(&server);
}

/* The countdown must really count: 4x the iterations take about 4x the time. */
Test(runners, countdown_time_grows_linearly)
{
	const uint64_t n = 40000000;
	double best[2] = {INFINITY, INFINITY};
	for (int rep = 0; rep < 9; rep++)
		for (int k = 0; k < 2; k++) {
			double t0 = clock_now();
			cr_assert_eq(spin_countdown(k ? 4 * n : n), 0);
			double t = clock_now() - t0;
			if (t < best[k])
				best[k] = t;
		}
	double ratio = best[1] / best[0];
	/* Wide: the host's noise moves single runs; a removed loop would give about 1. */
	cr_expect(ratio > 2 && ratio < 8, "4x iterations took %.2fx the time (%.4f s vs %.4f s)",
		  ratio, best[1], best[0]);
	/* A loop the compiler removed would take no time at all. */
	cr_expect_gt(best[0], n * 0.1e-9, "%.0f iterations in %.6f s", (double)n, best[0]);
}

/* ---- what a cell's clock holds ---- */

/* A workload whose build or check keeps the CPU busy for a known time and whose
 * tasks do nothing: a clock or CPU count that took either in would show it. Busy,
 * not asleep, so that the CPU figure is tested along with the wall. */
struct slow_cfg {
	double build_s, check_s;
};

static void slow_spin(double s)
{
	double until = clock_now() + s;
	while (clock_now() < until)
		;
}

static const struct step slow_nothing = {.kind = STEP_COMPUTE, .compute.fn = step_ok};

static int slow_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		      struct cb_err *err)
{
	(void)workers;
	slow_spin(((const struct slow_cfg *)cfg)->build_s);
	return taskset_alloc(ts, ntasks, &slow_nothing, 1, err);
}

static int slow_check(const void *cfg, struct taskset *ts, const struct task_result *res,
		      double *metric, struct cb_err *err)
{
	(void)ts, (void)res, (void)err;
	slow_spin(((const struct slow_cfg *)cfg)->check_s);
	metric[0] = 1; /* proof that check ran */
	return CB_OK;
}

static const struct workload slow_workload = {
	.name = "slow",
	.build = slow_build,
	.check = slow_check,
	.release = taskset_free,
};

/* 300 ms in build, then in check, against 4 empty tasks that take well under a
 * millisecond: a clock started before build or stopped after check reads 300 ms
 * and more, three times the bound; so does the CPU. The call as a whole must still
 * take the 300 ms, or the bound would prove nothing. */
Test(cellrun, build_and_check_are_outside_the_clock)
{
	static const char *const names[] = {"serial", "threads"};
	static const struct slow_cfg cases[] = {{.build_s = 0.300}, {.check_s = 0.300}};
	static const char *const where[] = {"build", "check"};
	for (size_t r = 0; r < sizeof names / sizeof names[0]; r++) {
		const struct runner *rn = runner_find(names[r]);
		cr_assert_not_null(rn, "%s", names[r]);
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			struct cellrun_in in = {.wl = &slow_workload, .cfg = &cases[c], .rn = rn,
						.rparams = &rp, .ntasks = 4,
						.workers = rn->one_at_a_time ? 1 : 0};
			struct cellrun_out o;
			double t0 = clock_now();
			int rc = cellrun_once(&in, &o);
			double call_s = clock_now() - t0;
			cr_assert_eq(rc, CB_OK, "%s, slow %s: stage %d: %s", rn->name, where[c],
				     o.stage, o.note);
			cr_expect_eq(o.tasks_ok, 4, "%s, slow %s", rn->name, where[c]);
			cr_expect_eq(o.metric[0], 1, "%s, slow %s: check did not run", rn->name,
				     where[c]);
			cr_expect_geq(call_s, 0.300, "%s, slow %s: the call took %.3f s", rn->name,
				      where[c], call_s);
			cr_expect_lt(o.wall_s, 0.100, "%s: slow %s inside the clock: wall %.3f s",
				     rn->name, where[c], o.wall_s);
			cr_expect_lt(o.window_s, 0.100, "%s: slow %s inside the clock: window %.3f s",
				     rn->name, where[c], o.window_s);
			cr_expect_lt(o.cpu_s, 0.100, "%s: slow %s inside the CPU count: %.3f s",
				     rn->name, where[c], o.cpu_s);
		}
		params_free(&rp);
	}
}

/* A cell whose workers cannot all be made: the tasks no worker started fail as
 * `spawn`, so the cell fails, whatever W is (fewer workers would be another cell),
 * and the note says how many started and names the limit. Each row runs in a child
 * under a limit that stops it after a few workers: so many bytes above what the child
 * maps already (threads' 8 MiB stacks, green's pooled stacks, green's saved-stack
 * arena), or processes for fork (as root, in a uid of its own, where the limit
 * applies and counts only this child). The copy design's arena is on the heap, which
 * RLIMIT_AS cannot stop while glibc has an arena of another thread's reserved (it
 * grows there); RLIMIT_DATA stops that too. */
struct refused_row {
	const char *runner, *stack; /* green.stack, or NULL */
	int n, workers;
	int resource;               /* RLIMIT_AS, RLIMIT_DATA or RLIMIT_NPROC */
	long headroom;              /* bytes above VmSize or VmData, or processes */
};

/* How the note says how many workers started: a scanf format for the worker refused
 * (or the count started) and W, and what to add to the first to get the count. */
struct refused_note {
	const char *runner, *fmt;
	int add;
};

static const struct refused_note refused_notes[] = {
	{"threads", "pthread_create refused worker %d of %d", -1},
	{"procs", "fork refused worker %d of %d", -1},
	{"green", "%d of %d coroutines started", 0},
};

/* VmSize (what RLIMIT_AS counts) or VmData (RLIMIT_DATA), in bytes. */
static long refused_vm(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	size_t len = strlen(field);
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, len) == 0 && sscanf(line + len, ": %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

static void refused_limit(const struct refused_row *row)
{
	struct rlimit rl;
	if (row->resource == RLIMIT_NPROC) {
		bool root = geteuid() == 0;
		if (root && (setgid(2000000000u + (unsigned)getpid()) != 0 ||
			     setuid(2000000000u + (unsigned)getpid()) != 0))
			_exit(4);
		/* Not root: no fork at all, as this uid's own count is unknown. */
		rl.rlim_cur = rl.rlim_max = root ? 1 + (rlim_t)row->headroom : 0;
	} else {
		/* Blocks from 64 KiB up are mapped, so they count against the limit as they
		 * come, not against free heap the parent left behind. */
		mallopt(M_MMAP_THRESHOLD, 64 * 1024);
		malloc_trim(0);
		const char *vm = row->resource == RLIMIT_AS ? "VmSize" : "VmData";
		rl.rlim_cur = rl.rlim_max = (rlim_t)(refused_vm(vm) + row->headroom);
	}
	if (setrlimit(row->resource, &rl) != 0)
		_exit(5);
}

static struct cellrun_out refused_run(const struct refused_row *row)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 100000000};
	const struct runner *rn = runner_find(row->runner);
	cr_assert_not_null(rn, "%s", row->runner);
	struct task *tasks = calloc((size_t)row->n, sizeof *tasks);
	struct task_result *res = calloc((size_t)row->n, sizeof *res);
	cr_assert(tasks && res);
	for (int i = 0; i < row->n; i++)
		tasks[i] = (struct task){.steps = &nap, .nsteps = 1};
	struct taskset ts = {.tasks = tasks, .ntasks = row->n};
	const char *const stack[] = {"stack", row->stack, NULL};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(test_params(&rp, rn->name, rn->params, row->stack ? stack : NULL, &err),
		     CB_OK, "%s", err.msg);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	struct cellrun_out o = {0};
	if (pid == 0) {
		close(fds[0]);
		refused_limit(row);
		handmade_run(rn, &rp, &ts, row->workers, res, &o);
		_exit(write(fds[1], &o, sizeof o) == sizeof o ? 0 : 6);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], &o, sizeof o);
	close(fds[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(got == sizeof o && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s %s W=%d: the child ended with status %#x", row->runner,
		  row->stack ? row->stack : "", row->workers, status);
	params_free(&rp);
	free(tasks);
	free(res);
	return o;
}

static const char *refused_limit_name(int resource)
{
	return resource == RLIMIT_AS ? "RLIMIT_AS" : resource == RLIMIT_DATA ? "RLIMIT_DATA"
									   : "RLIMIT_NPROC";
}

Test(runners, a_worker_refused_fails_the_tasks_it_did_not_start, .timeout = 60)
{
	static const struct refused_row rows[] = {
		{"threads", NULL, 40, 0, RLIMIT_AS, 40 << 20},
		{"threads", NULL, 40, 20, RLIMIT_AS, 40 << 20},
		{"procs", NULL, 40, 0, RLIMIT_NPROC, 5},
		{"procs", NULL, 40, 20, RLIMIT_NPROC, 5},
		{"green", "separate", 3000, 0, RLIMIT_AS, 6 << 20},
		{"green", "separate", 3000, 1500, RLIMIT_AS, 6 << 20},
		{"green", "copy", 30000, 0, RLIMIT_DATA, 3 << 20},
		{"green", "copy", 30000, 15000, RLIMIT_DATA, 3 << 20},
	};
	for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
		const struct refused_row *row = &rows[k];
#ifdef __SANITIZE_ADDRESS__
		/* ASan's allocator aborts when a memory limit refuses it, before any runner can. */
		if (row->resource != RLIMIT_NPROC)
			continue;
#endif
		const struct refused_note *how = refused_notes;
		while (strcmp(how->runner, row->runner) != 0)
			how++;
		/* Threads and processes take tasks from a counter as they start: those made
		 * before the refusal need not have taken one yet. Coroutines start in turn. */
		bool exact = row->workers == 0 || how->add == 0;
		struct cellrun_out o = refused_run(row);
		const char *what = row->stack ? row->stack : row->runner;
		int nw = runner_workers(row->n, row->workers), refused = -1, of = -1;
		cr_expect_eq(o.code, CB_OK, "%s W=%d: %s", what, row->workers, o.note);
		cr_expect_gt(o.tasks_failed, 0, "%s W=%d: no task failed (%d ok): %s", what,
			     row->workers, o.tasks_ok, o.note);
		cr_expect_eq(o.fail[FAIL_SPAWN], row->n - o.tasks_ok, "%s W=%d: %d spawn, %d ok "
			     "of %d", what, row->workers, o.fail[FAIL_SPAWN], o.tasks_ok, row->n);
		cr_expect_eq(o.tasks_failed, o.fail[FAIL_SPAWN], "%s W=%d", what, row->workers);
		cr_expect(sscanf(o.note, how->fmt, &refused, &of) == 2 && of == nw,
			  "%s W=%d: the note does not say how many of %d started: %s", what,
			  row->workers, nw, o.note);
		int started = refused + how->add;
		if (exact)
			cr_expect_eq(o.tasks_ok, started, "%s W=%d: %d ok, %d started", what,
				     row->workers, o.tasks_ok, started);
		else
			cr_expect_leq(o.tasks_ok, started, "%s W=%d: %d ok, %d started", what,
				      row->workers, o.tasks_ok, started);
		const char *limit = refused_limit_name(row->resource);
		cr_expect(strstr(o.note, limit), "%s W=%d: the note does not name %s: %s", what,
			  row->workers, limit, o.note);
	}
}

/* ---- a run cut short, in tasks that wait on each other ---- */

/* What a pingpong cell of 8 came to in a child allowed `headroom` workers: the run as
 * the driver runs it, and what was left of it once it returned. */
struct short_out {
	struct cellrun_out o;
	int threads_left;  /* besides the child's own */
	bool child_left;   /* some child not reaped */
};

struct short_row {
	const char *runner;
	int workers, headroom;
};

static int short_threads(void)
{
	int n = -1;
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* In a child under RLIMIT_NPROC (refused_limit), its result back over a pipe; a child
 * that has not answered in 30 s is killed, and the test fails rather than hangs. */
static struct short_out short_run(const struct short_row *row, double *wall_s)
{
	static const char *const wkv[] = {"rounds", "2000", NULL};
	const struct runner *rn = runner_find(row->runner);
	cr_assert_not_null(rn, "%s", row->runner);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	double t0 = clock_now();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		struct short_out s = {.o.code = -1};
		struct testcell tc;
		struct cb_err err = {0};
		if (testcell_open(&tc, "pingpong", wkv, rn, NULL, &err) != CB_OK) {
			cb_copy(s.o.note, err.msg, sizeof s.o.note);
			_exit(write(fds[1], &s, sizeof s) == sizeof s ? 0 : 6);
		}
		refused_limit(&(struct refused_row){.runner = row->runner, .n = 8,
						   .workers = row->workers,
						   .resource = RLIMIT_NPROC,
						   .headroom = row->headroom});
		testcell_run(&tc, 8, row->workers, &s.o);
		testcell_close(&tc);
		s.threads_left = short_threads();
		s.child_left = waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD;
		_exit(write(fds[1], &s, sizeof s) == sizeof s ? 0 : 6);
	}
	close(fds[1]);
	struct short_out s = {0};
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	ssize_t got = poll(&pfd, 1, 30000) == 1 ? read(fds[0], &s, sizeof s) : -1;
	*wall_s = clock_now() - t0;
	if (got < 0)
		kill(pid, SIGKILL);
	close(fds[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(got, (ssize_t)sizeof s, "%s W=%d: no answer in %.1f s (status %#x)",
		     row->runner, row->workers, *wall_s, status);
	cr_assert_neq(s.o.code, -1, "%s: %s", row->runner, s.o.note);
	return s;
}

/* Ping-pong sides whose partner's worker was refused: the run ends at once, not at the
 * trial's timeout. The tasks no worker started fail as `spawn`; a started side whose
 * partner never started fails as `blocked` (nothing can post its semaphore: the same
 * rule serial's waits and the loops' dry runs follow); started pairs play out. With a
 * worker per task the tasks that started are exactly the first ones made; with W < N
 * a prefix of them, as many as were taken before the refusal, so at most its last
 * task lacks a partner. Every thread is joined and every child reaped. */
Test(runners, a_refused_worker_never_leaves_its_partner_waiting, .timeout = 120)
{
	static const struct short_row rows[] = {
		{"threads", 0, 3}, {"procs", 0, 3},
		{"threads", 2, 3}, {"procs", 2, 3}, /* both workers fit: every pair plays */
		{"threads", 2, 1}, {"procs", 2, 1},
		{"threads", 4, 3}, {"procs", 4, 3},
	};
	for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
		const struct short_row *row = &rows[k];
		const struct refused_note *how = refused_notes;
		while (strcmp(how->runner, row->runner) != 0)
			how++;
		double wall;
		struct short_out s = short_run(row, &wall);
		const struct cellrun_out *o = &s.o;
		const char *rn = row->runner;
		int w = row->workers, nw = runner_workers(8, w), refused = -1, of = -1;
		int ok = o->tasks_ok, spawn = o->fail[FAIL_SPAWN], blocked = o->fail[FAIL_BLOCKED];
		cr_expect_lt(wall, 10.0, "%s W=%d: %.1f s", rn, w, wall);
		cr_expect_eq(o->code, CB_OK, "%s W=%d: %s", rn, w, o->note);
		cr_expect_eq(ok + spawn + blocked, 8, "%s W=%d: %d ok, %d spawn, %d blocked: %s",
			     rn, w, ok, spawn, blocked, o->note);
		cr_expect_eq(s.threads_left, 0, "%s W=%d: %d threads left", rn, w, s.threads_left);
		cr_expect(!s.child_left, "%s W=%d: a child left unreaped", rn, w);
		if (nw <= row->headroom || geteuid() != 0) {
			if (geteuid() == 0)
				cr_expect_eq(ok, 8, "%s W=%d: %d ok: %s", rn, w, ok, o->note);
			continue;
		}
		cr_expect(sscanf(o->note, how->fmt, &refused, &of) == 2 && of == nw,
			  "%s W=%d: the note does not say where spawning was refused: %s", rn, w,
			  o->note);
		cr_expect(strstr(o->note, "RLIMIT_NPROC"), "%s W=%d: %s", rn, w, o->note);
		int started = refused + how->add;
		cr_expect_eq(started, row->headroom, "%s W=%d: %s", rn, w, o->note);
		if (w == 0) {
			cr_expect_eq(spawn, 8 - started, "%s W=0: %d spawn", rn, spawn);
			cr_expect_eq(blocked, started % 2, "%s W=0: %d blocked", rn, blocked);
			cr_expect_eq(ok, started / 2 * 2, "%s W=0: %d ok", rn, ok);
		} else {
			cr_expect_leq(blocked, 1, "%s W=%d: %d blocked", rn, w, blocked);
			cr_expect_eq(ok % 2, 0, "%s W=%d: %d ok, half a pair", rn, w, ok);
			cr_expect_geq(spawn, 8 - nw, "%s W=%d: %d spawn", rn, w, spawn);
		}
	}
}

/* ---- an orphaned semaphore ---- */

struct orphan_waiter {
	struct semset *ss;
	enum step_status st;
	enum task_fail why;
};

static void *orphan_wait(void *arg)
{
	struct orphan_waiter *w = arg;
	w->st = semset_wait(w->ss, 0, -1, false, &w->why);
	return NULL;
}

/* Waiters blocked on it when it is orphaned fail, each one; so do later waits once the
 * units left are gone; a unit left over still goes to a waiter; a timed wait with none
 * left times out, no sooner than asked. */
Test(semset, an_orphaned_semaphore_gives_what_is_left_then_fails, .timeout = 30)
{
	static const struct sem_decl decl[] = {{"s", 0}, {"t", 2}};
	struct semset *ss;
	struct cb_err err = {0};
	cr_assert_eq(semset_open(&ss, decl, 2, &err), CB_OK, "%s", err.msg);
	struct orphan_waiter w[3];
	pthread_t tid[3];
	for (int i = 0; i < 3; i++) {
		w[i] = (struct orphan_waiter){.ss = ss, .st = STEP_OK, .why = FAIL_NONE};
		cr_assert_eq(pthread_create(&tid[i], NULL, orphan_wait, &w[i]), 0);
	}
	usleep(50000); /* let them block; one that has not yet is as good */
	semset_post(ss, 0); /* one unit for one of them */
	semset_orphan(ss, 0);
	semset_orphan(ss, 0); /* twice is once */
	int ok = 0, blocked = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(tid[i], NULL);
		ok += w[i].st == STEP_OK;
		blocked += w[i].st == STEP_FAIL && w[i].why == FAIL_BLOCKED;
	}
	cr_expect_eq(ok, 1, "%d waiters got the one unit", ok);
	cr_expect_eq(blocked, 2, "%d waiters failed as blocked", blocked);
	enum task_fail why = FAIL_NONE;
	cr_expect_eq(semset_wait(ss, 0, -1, false, &why), STEP_FAIL);
	cr_expect_eq(why, FAIL_BLOCKED);

	semset_orphan(ss, 1);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(semset_wait(ss, 1, -1, false, &why), STEP_OK, "unit %d left over", i);
	cr_expect_eq(semset_wait(ss, 1, -1, false, &why), STEP_FAIL);
	double t0 = clock_now();
	cr_expect_eq(semset_wait(ss, 1, 100000000, false, &why), STEP_ALT);
	cr_expect_geq(clock_now() - t0, 0.099, "timed out after %.3f s", clock_now() - t0);
	semset_close(ss);
}
