/* The green runner on hand-built tasks, under both stack designs: sleeps overlap
 * within W, compute does not yield, semaphores hand units over and block, fetches
 * are judged, and the stack parameters are checked. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"
#include "teststeps.h"
#include "testsrv.h"
#include "workload.h"

static const char *const gr_stacks[] = {"copy", "separate"};

static const struct runner *gr_runner(void)
{
	const struct runner *rn = runner_find("green");
	cr_assert_not_null(rn, "green is not in the registry");
	return rn;
}

/* Runs tasks under green with the given stack design, as the driver runs a cell;
 * returns the wall time the driver would record. */
static double gr_run(const char *stack, struct task *tasks, int n, int workers,
		     const struct sem_decl *sems, int nsems, struct task_result *res)
{
	const struct runner *rn = gr_runner();
	struct taskset ts = {.tasks = tasks, .ntasks = n, .sems = sems, .nsems = nsems};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(params_set(&rp, "stack", stack, &err), CB_OK, "%s", err.msg);
	struct cellrun_out o;
	handmade_run(rn, &rp, &ts, workers, res, &o);
	params_free(&rp);
	cr_assert_eq(o.code, CB_OK, "green %s: stage %d: %s", stack, o.stage, o.note);
	for (int i = 0; i < n; i++)
		cr_assert(res[i].done, "%s: task %d not done", stack, i);
	return o.wall_s;
}

/* The cases and bounds of runners::sleep_all_sizes_and_limits (teststeps.h), for
 * each stack design: each fails a runner off by one worker, or one at a time. */
Test(green, sleeps_overlap_within_the_worker_limit, .timeout = 60)
{
	const double nap_s = 0.150;
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 150000000};
	static const struct {
		int n, limits[4];
	} cases[] = {{1, {0, 1, 2, 6}}, {3, {0, 1, 2, 8}}, {20, {0, 7, 10, 25}}};
	struct task tasks[20];
	struct task_result res[20];
	for (int i = 0; i < 20; i++)
		tasks[i] = (struct task){.steps = &nap, .nsteps = 1};
	for (size_t d = 0; d < 2; d++) {
		for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
			int n = cases[k].n;
			for (size_t l = 0; l < 4; l++) {
				int w = cases[k].limits[l], rounds = rounds_of(n, w);
				double wall = gr_run(gr_stacks[d], tasks, n, w, NULL, 0, res);
				cr_expect_eq(tasks_ok(res, n), n, "%s n=%d w=%d", gr_stacks[d], n, w);
				cr_expect_geq(wall, rounds_lower_s(rounds, nap_s),
					      "%s n=%d w=%d: %.3f s, fewer than %d rounds",
					      gr_stacks[d], n, w, wall, rounds);
				cr_expect_lt(wall, rounds_upper_s(rounds, nap_s),
					     "%s n=%d w=%d: %.3f s, more than %d rounds", gr_stacks[d],
					     n, w, wall, rounds);
				for (int i = 0; i < n; i++)
					cr_expect_geq(res[i].end_s - res[i].start_s, nap_s - 1e-4,
						      "%s n=%d w=%d: task %d slept %.4f s", gr_stacks[d],
						      n, w, i, res[i].end_s - res[i].start_s);
			}
		}
	}
}

Test(green, two_workers_take_three_tasks_in_two_sleeps)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 100000000};
	struct task tasks[3];
	struct task_result res[3];
	for (int i = 0; i < 3; i++)
		tasks[i] = (struct task){.steps = &nap, .nsteps = 1};
	for (size_t d = 0; d < 2; d++) {
		double wall = gr_run(gr_stacks[d], tasks, 3, 2, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 3), 3);
		cr_expect(wall >= 0.200 && wall < 0.290, "%s: %.3f s for two rounds of 0.1 s",
			  gr_stacks[d], wall);
		cr_expect_geq(res[2].start_s, 0.100 - 1e-3, "%s: the third began at %.3f s",
			      gr_stacks[d], res[2].start_s);
	}
}

static enum step_status gr_spin_100ms(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	double until = clock_now() + 0.100;
	while (clock_now() < until)
		;
	return STEP_OK;
}

/* Which task ran a compute step last: a yield inside a compute would let another in. */
static int gr_last;

static enum step_status gr_claim(void *state, const void *arg)
{
	(void)arg;
	gr_last = *(int *)state;
	return STEP_OK;
}

static enum step_status gr_still_mine(void *state, const void *arg)
{
	(void)arg;
	return gr_last == *(int *)state ? STEP_OK : STEP_FAIL;
}

Test(green, compute_does_not_yield)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 50000000};
	static const struct step spin = {.kind = STEP_COMPUTE, .compute.fn = gr_spin_100ms};
	static const struct step pair[] = {
		{.kind = STEP_COMPUTE, .compute.fn = gr_claim},
		{.kind = STEP_COMPUTE, .compute.fn = gr_still_mine},
		{.kind = STEP_SLEEP, .sleep.ns = 0},
		{.kind = STEP_COMPUTE, .compute.fn = gr_claim},
		{.kind = STEP_COMPUTE, .compute.fn = gr_still_mine},
	};
	for (size_t d = 0; d < 2; d++) {
		struct task tasks[2] = {{.steps = &nap, .nsteps = 1}, {.steps = &spin, .nsteps = 1}};
		struct task_result res[50];
		gr_run(gr_stacks[d], tasks, 2, 0, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 2), 2);
		cr_expect_geq(res[0].end_s, 0.100, "%s: the sleeper ended at %.3f s, during the "
			      "compute", gr_stacks[d], res[0].end_s);
		struct task many[50];
		int ids[50];
		for (int i = 0; i < 50; i++) {
			ids[i] = i;
			many[i] = (struct task){.steps = pair, .nsteps = 5, .state = &ids[i]};
		}
		gr_run(gr_stacks[d], many, 50, 0, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 50), 50, "%s: a compute step was interleaved", gr_stacks[d]);
	}
}

/* A counter read, a yield, a write: only the lock keeps the increments apart. */
static int gr_mx_count(const char *stack, const struct step *steps, int nsteps, int workers)
{
	enum { N = 500 };
	static const struct sem_decl lock = {"lock", 1};
	static struct mx_state mx[N];
	static struct task tasks[N];
	static struct task_result res[N];
	int counter = 0;
	for (int i = 0; i < N; i++) {
		mx[i] = (struct mx_state){.counter = &counter};
		tasks[i] = (struct task){.steps = steps, .nsteps = nsteps, .state = &mx[i]};
	}
	gr_run(stack, tasks, N, workers, &lock, 1, res);
	cr_expect_eq(tasks_ok(res, N), N);
	return counter;
}

Test(green, a_lock_of_one_excludes)
{
	static const struct step locked[] = {
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_COMPUTE, .compute.fn = mx_read},
		{.kind = STEP_SLEEP, .sleep.ns = 0},
		{.kind = STEP_COMPUTE, .compute.fn = mx_write},
		{.kind = STEP_POST, .post.sem = 0},
	};
	for (size_t d = 0; d < 2; d++) {
		cr_expect_eq(gr_mx_count(gr_stacks[d], locked, 5, 0), 500, "%s W=0", gr_stacks[d]);
		cr_expect_eq(gr_mx_count(gr_stacks[d], locked, 5, 7), 500, "%s W=7", gr_stacks[d]);
		int racy = gr_mx_count(gr_stacks[d], &locked[1], 3, 0);
		cr_expect_lt(racy, 500, "%s: no lock, yet %d increments all survived",
			     gr_stacks[d], racy);
	}
}

Test(green, a_timed_wait_takes_the_alt_branch)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step steps[] = {
		{.kind = STEP_WAIT, .alt = 2, .wait = {.sem = 0, .timeout_ns = 50000000}},
		{.kind = STEP_COMPUTE, .compute.fn = step_fail},
		{.kind = STEP_COMPUTE, .compute.fn = step_mark},
	};
	for (size_t d = 0; d < 2; d++) {
		int marked = 0;
		struct task t = {.steps = steps, .nsteps = 3, .state = &marked};
		struct task_result res;
		gr_run(gr_stacks[d], &t, 1, 0, &never, 1, &res);
		cr_expect_eq(res.fail, FAIL_NONE);
		cr_expect_eq(marked, 1, "%s: the alt step ran %d times", gr_stacks[d], marked);
		cr_expect_geq(res.end_s - res.start_s, 0.050 - 1e-4, "timed out after %.4f s",
			      res.end_s - res.start_s);
	}
}

Test(green, waiters_left_when_the_loop_ends_are_blocked)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step stuck = {.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}};
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 1000000};
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fail};
	struct task tasks[5] = {{.steps = &stuck, .nsteps = 1}, {.steps = &nap, .nsteps = 1},
				{.steps = &stuck, .nsteps = 1}, {.steps = &bad, .nsteps = 1},
				{.steps = &stuck, .nsteps = 1}};
	static const enum task_fail want[] = {FAIL_BLOCKED, FAIL_NONE, FAIL_BLOCKED, FAIL_CHECK,
					      FAIL_BLOCKED};
	struct task_result res[5];
	for (size_t d = 0; d < 2; d++) {
		gr_run(gr_stacks[d], tasks, 5, 0, &never, 1, res);
		for (int i = 0; i < 5; i++)
			cr_expect_eq(res[i].fail, want[i], "%s W=0 task %d: %s", gr_stacks[d], i,
				     task_fail_name(res[i].fail));
		/* One worker, stuck at once: the rest never start, and cannot either. */
		gr_run(gr_stacks[d], tasks, 5, 1, &never, 1, res);
		for (int i = 0; i < 5; i++)
			cr_expect_eq(res[i].fail, FAIL_BLOCKED, "%s W=1 task %d: %s", gr_stacks[d],
				     i, task_fail_name(res[i].fail));
	}
}

Test(green, fetch_judges_each_transfer_and_keeps_connections)
{
	struct srv s;
	srv_start(&s);
	int dead_fd, dead = srv_port(&dead_fd, true);
	char url[64], dead_url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", s.port);
	snprintf(dead_url, sizeof dead_url, "http://127.0.0.1:%d/x", dead);
	const struct step steps[] = {
		{.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}},
		{.kind = STEP_FETCH, .fetch = {url, 404, -1, 5000}},
		{.kind = STEP_FETCH, .fetch = {url, 200, 6, 5000}},
		{.kind = STEP_FETCH, .fetch = {dead_url, 200, -1, 5000}},
	};
	static const enum task_fail want[] = {FAIL_NONE, FAIL_STATUS, FAIL_BODY, FAIL_CONNECT};
	for (size_t d = 0; d < 2; d++) {
		struct task tasks[8];
		struct task_result res[8];
		for (int i = 0; i < 8; i++)
			tasks[i] = (struct task){.steps = &steps[i % 4], .nsteps = 1};
		gr_run(gr_stacks[d], tasks, 8, 0, NULL, 0, res);
		for (int i = 0; i < 8; i++)
			cr_expect_eq(res[i].fail, want[i % 4], "%s task %d: %s", gr_stacks[d], i,
				     task_fail_name(res[i].fail));
		/* Six tasks on two workers: each worker keeps its one connection. */
		int before = atomic_load(&s.accepted);
		for (int i = 0; i < 6; i++)
			tasks[i] = (struct task){.steps = steps, .nsteps = 1};
		gr_run(gr_stacks[d], tasks, 6, 2, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 6), 6);
		cr_expect_eq(atomic_load(&s.accepted) - before, 2, "%s: 2 workers opened %d "
			     "connections", gr_stacks[d], atomic_load(&s.accepted) - before);
	}
	srv_stop(&s);
}

Test(green, stack_parameters_are_checked)
{
	const struct runner *rn = gr_runner();
	static const struct {
		const char *stack, *kib;
		int code;
	} cases[] = {
		{"copy", "0", CB_OK},          {"separate", "0", CB_OK},  {"copy", "32", CB_OK},
		{"separate", "31", CB_EINVAL}, {"copy", "1", CB_EINVAL}, {"separate", "256", CB_OK},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(params_set(&rp, "stack", cases[i].stack, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(params_set(&rp, "stack_kib", cases[i].kib, &err), CB_OK, "%s", err.msg);
		int rc = rn->configure(&rp, &err);
		cr_expect_eq(rc, cases[i].code, "%s %s KiB: %s", cases[i].stack, cases[i].kib, err.msg);
		if (rc != CB_OK)
			cr_expect(strstr(err.msg, "32 KiB"), "the message names the minimum: %s",
				  err.msg);
		params_free(&rp);
	}
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
	cr_expect_neq(params_set(&rp, "stack", "shared", &err), CB_OK, "an unknown design passed");
	params_free(&rp);
}

/* The floor ends every sleep of every task, on both stack designs. */
Test(green, floor_ends_every_sleep)
{
	struct floor_work fw = {.kind = STEP_SLEEP, .steps = 2, .sleep_ns = 1000000};
	const struct runner *rn = gr_runner();
	for (size_t d = 0; d < 2; d++) {
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(params_set(&rp, "stack", gr_stacks[d], &err), CB_OK, "%s", err.msg);
		cr_expect_eq(rn->floor(&rp, &fw, 10000, 0, &err), CB_OK, "%s: %s", gr_stacks[d],
			     err.msg);
		cr_expect_eq(rn->floor(&rp, &fw, 30, 3, &err), CB_OK, "%s: %s", gr_stacks[d], err.msg);
		cr_expect_eq(rn->floor(&rp, &fw, 0, 0, &err), CB_OK, "%s: %s", gr_stacks[d], err.msg);
		params_free(&rp);
	}
}

/* A compute step whose frame is bigger than a stack's guard, written at its far end
 * first (a local array filled from index 0): the stack-clash probes the build adds to
 * workload code make it hit the guard, so the trial dies of SIGSEGV rather than
 * write into the stack of the coroutine below (which here waits in a sleep). */
__attribute__((noinline)) static enum step_status gr_big_frame(void *state, const void *arg)
{
	(void)state, (void)arg;
	volatile char a[70 * 1024];
	a[0] = 1;
	return a[0] == 1 ? STEP_OK : STEP_FAIL;
}

Test(green, a_70_kib_frame_dies_on_the_guard)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 20000000};
	static const struct step big = {.kind = STEP_COMPUTE, .compute.fn = gr_big_frame};
	for (size_t d = 0; d < 2; d++) {
		struct task tasks[2] = {{.steps = &nap, .nsteps = 1}, {.steps = &big, .nsteps = 1}};
		struct task_result res[2];
		fflush(NULL);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			signal(SIGSEGV, SIG_DFL); /* ASan's handler would abort instead */
			struct taskset ts = {.tasks = tasks, .ntasks = 2};
			struct params rp;
			struct cellrun_out o;
			if (params_init(&rp, "green", gr_runner()->params, NULL) != CB_OK ||
			    params_set(&rp, "stack", gr_stacks[d], NULL) != CB_OK)
				_exit(3);
			handmade_run(gr_runner(), &rp, &ts, 0, res, &o);
			_exit(o.tasks_ok == 2 ? 0 : 4);
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
			  "%s: the trial %s %d, not SIGSEGV", gr_stacks[d],
			  WIFSIGNALED(status) ? "died of" : "exited with",
			  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
}
