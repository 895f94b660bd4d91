/* What only the green runner does, under both stack designs: workers take tasks in
 * turn, compute does not yield, the stack parameters are checked, the floor, the
 * guard under a stack. What it does alike with evloop is in test_loopmodel.c. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "runner.h"
#include "teststeps.h"
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
		     struct task_result *res)
{
	const char *const kv[] = {"stack", stack, NULL};
	return handmade_wall("green", kv, tasks, n, workers, NULL, 0, res);
}

Test(green, two_workers_take_three_tasks_in_two_sleeps)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 100000000};
	struct task tasks[3];
	struct task_result res[3];
	for (int i = 0; i < 3; i++)
		tasks[i] = (struct task){.steps = &nap, .nsteps = 1};
	for (size_t d = 0; d < 2; d++) {
		double wall = gr_run(gr_stacks[d], tasks, 3, 2, res);
		cr_expect_eq(tasks_ok(res, 3), 3);
		cr_expect(wall >= 0.200 && wall < 0.290, "%s: %.3f s for two rounds of 0.1 s",
			  gr_stacks[d], wall);
		cr_expect_geq(res[2].start_s, 0.100 - 1e-3, "%s: the third began at %.3f s",
			      gr_stacks[d], res[2].start_s);
	}
}

/* Which task ran a compute step last: a yield inside a compute would let another in
 * (that compute blocks the loop is loopmodel::compute_blocks_the_loop). */
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
	static const struct step pair[] = {
		{.kind = STEP_COMPUTE, .compute.fn = gr_claim},
		{.kind = STEP_COMPUTE, .compute.fn = gr_still_mine},
		{.kind = STEP_SLEEP, .sleep.ns = 0},
		{.kind = STEP_COMPUTE, .compute.fn = gr_claim},
		{.kind = STEP_COMPUTE, .compute.fn = gr_still_mine},
	};
	for (size_t d = 0; d < 2; d++) {
		struct task_result res[50];
		struct task many[50];
		int ids[50];
		for (int i = 0; i < 50; i++) {
			ids[i] = i;
			many[i] = (struct task){.steps = pair, .nsteps = 5, .state = &ids[i]};
		}
		gr_run(gr_stacks[d], many, 50, 0, res);
		cr_expect_eq(tasks_ok(res, 50), 50, "%s: a compute step was interleaved", gr_stacks[d]);
	}
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

/* The sleep lists and the one-frame wait, in both loop models: every size and W, five
 * durations at once (five lists, each its own FIFO and timer), two sleeps per task
 * with a compute step between (a fresh clock after it) and a semaphore wait that
 * times out: each task ends ok, no earlier than its sleeps add up to, in order. */
static const int64_t gr_ns[] = {1000000, 3000000, 2000000, 5000000, 4000000};

Test(green, mixed_sleeps_every_size_and_limit, .timeout = 120)
{
	enum { MAXN = 100000, KINDS = 5 };
	static const struct sem_decl never = {"never", 0};
	static struct step progs[KINDS][4];
	static struct task tasks[MAXN];
	static struct task_result res[MAXN];
	for (int k = 0; k < KINDS; k++) {
		progs[k][0] = (struct step){.kind = STEP_SLEEP, .sleep.ns = gr_ns[k]};
		progs[k][1] = (struct step){.kind = STEP_COMPUTE, .compute.fn = gr_claim};
		/* Times out (nothing posts "never"), goes on at its alt: the second sleep. */
		progs[k][2] = (struct step){.kind = STEP_WAIT, .alt = 3,
					    .wait = {.sem = 0, .timeout_ns = 1000000}};
		progs[k][3] = (struct step){.kind = STEP_SLEEP, .sleep.ns = gr_ns[KINDS - 1 - k]};
	}
	static int ids[MAXN];
	for (int i = 0; i < MAXN; i++) {
		ids[i] = i;
		tasks[i] = (struct task){.steps = progs[i % KINDS], .nsteps = 4, .state = &ids[i]};
	}
	static const int sizes[] = {1, 3, 20, MAXN}, limits[] = {0, 1, 2};
	static const char *const runners[][2] = {{"green", "copy"}, {"green", "separate"},
						 {"evloop", NULL}};
	for (size_t r = 0; r < 3; r++)
		for (size_t z = 0; z < 4; z++)
			for (size_t l = 0; l < 3; l++) {
				int n = sizes[z], w = limits[l];
				/* One or two workers through 100 000 tasks would take minutes. */
				if (n == MAXN && w)
					continue;
				const char *const kv[] = {"stack", runners[r][1], NULL};
				memset(res, 0, sizeof res[0] * (size_t)n);
				handmade_wall(runners[r][0], runners[r][1] ? kv : NULL, tasks, n, w,
					      &never, 1, res);
				cr_expect_eq(tasks_ok(res, n), n, "%s %s n=%d w=%d", runners[r][0],
					     runners[r][1] ? runners[r][1] : "", n, w);
				for (int i = 0; i < n; i++) {
					int k = i % KINDS;
					double least = (gr_ns[k] + gr_ns[KINDS - 1 - k] + 1000000) * 1e-9;
					if (res[i].end_s - res[i].start_s < least - 2e-5) {
						cr_expect_fail("%s n=%d w=%d: task %d took %.6f s, "
							       "less than its %.6f s", runners[r][0], n,
							       w, i, res[i].end_s - res[i].start_s, least);
						break;
					}
				}
			}
}

/* 300 durations, one each: the lists' table grows past its first size and their
 * chunks past the first, and still every sleep ends on time, in both loop models. */
Test(green, a_list_per_duration_for_hundreds_of_durations)
{
	enum { N = 300 };
	static struct step naps[N];
	static struct task tasks[N];
	static struct task_result res[N];
	for (int i = 0; i < N; i++) {
		naps[i] = (struct step){.kind = STEP_SLEEP, .sleep.ns = 2000000 + 10000 * i};
		tasks[i] = (struct task){.steps = &naps[i], .nsteps = 1};
	}
	static const char *const runners[] = {"green", "evloop"};
	for (size_t r = 0; r < 2; r++) {
		memset(res, 0, sizeof res);
		handmade_wall(runners[r], NULL, tasks, N, 0, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, N), N, "%s", runners[r]);
		for (int i = 0; i < N; i++)
			cr_expect_geq(res[i].end_s - res[i].start_s, naps[i].sleep.ns * 1e-9 - 2e-5,
				      "%s: task %d slept %.6f s", runners[r], i,
				      res[i].end_s - res[i].start_s);
	}
}
