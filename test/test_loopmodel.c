/* What the two loop models do alike (runners/loopmodel.c and the step walks on it), each
 * case run under evloop and under green with both stack designs: sleeps overlap within
 * W, compute blocks the loop, semaphores exclude, time out and wake in order, the tasks
 * left when the loop ends are blocked, fetches are judged and keep their connections. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "runner.h"
#include "teststeps.h"
#include "testsrv.h"
#include "workload.h"

static const char *const lm_copy[] = {"stack", "copy", NULL};
static const char *const lm_separate[] = {"stack", "separate", NULL};

/* A loop model as the tests run it: a runner and its -p values. */
static const struct lm_model {
	const char *name; /* for the messages */
	const char *runner;
	const char *const *kv;
} lm_models[] = {
	{"evloop", "evloop", NULL},
	{"green copy", "green", lm_copy},
	{"green separate", "green", lm_separate},
};

#define LM_MODELS (sizeof lm_models / sizeof lm_models[0])
#define FOR_EACH_MODEL(m) \
	for (const struct lm_model *m = lm_models; m < lm_models + LM_MODELS; m++)

static double lm_run(const struct lm_model *m, struct task *tasks, int n, int workers,
		     const struct sem_decl *sems, int nsems, struct task_result *res)
{
	return handmade_wall(m->runner, m->kv, tasks, n, workers, sems, nsems, res);
}

/* The cases and bounds of runners::sleep_all_sizes_and_limits (teststeps.h): each
 * fails a model that runs a worker fewer than asked, or one at a time. */
Test(loopmodel, sleeps_overlap_within_the_worker_limit, .timeout = 60)
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
	FOR_EACH_MODEL(m)
	{
		for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
			int n = cases[k].n;
			for (size_t l = 0; l < 4; l++) {
				int w = cases[k].limits[l], rounds = rounds_of(n, w);
				memset(res, 0, sizeof res);
				double wall = lm_run(m, tasks, n, w, NULL, 0, res);
				cr_expect_eq(tasks_ok(res, n), n, "%s n=%d w=%d", m->name, n, w);
				cr_expect_geq(wall, rounds_lower_s(rounds, nap_s),
					      "%s n=%d w=%d: %.3f s, fewer than %d rounds", m->name,
					      n, w, wall, rounds);
				cr_expect_lt(wall, rounds_upper_s(rounds, nap_s),
					     "%s n=%d w=%d: %.3f s, more than %d rounds", m->name, n,
					     w, wall, rounds);
				for (int i = 0; i < n; i++)
					cr_expect_geq(res[i].end_s - res[i].start_s, nap_s - 1e-4,
						      "%s n=%d w=%d: task %d slept %.4f s", m->name,
						      n, w, i, res[i].end_s - res[i].start_s);
			}
		}
	}
}

static enum step_status lm_spin_100ms(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	double until = clock_now() + 0.100;
	while (clock_now() < until)
		;
	return STEP_OK;
}

Test(loopmodel, compute_blocks_the_loop)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 50000000};
	static const struct step spin = {.kind = STEP_COMPUTE, .compute.fn = lm_spin_100ms};
	FOR_EACH_MODEL(m)
	{
		struct task tasks[2] = {{.steps = &nap, .nsteps = 1}, {.steps = &spin, .nsteps = 1}};
		struct task_result res[2] = {0};
		lm_run(m, tasks, 2, 0, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 2), 2, "%s", m->name);
		cr_expect_geq(res[0].end_s, 0.100, "%s: the sleeper ended at %.3f s, during the "
			      "compute", m->name, res[0].end_s);
	}
}

/* A counter read, a yield, a write: only the lock keeps the increments apart. */
static int lm_mx_count(const struct lm_model *m, const struct step *steps, int nsteps,
		       int workers)
{
	enum { N = 500 };
	static const struct sem_decl lock = {"lock", 1};
	static struct mx_state mx[N];
	static struct task tasks[N];
	static struct task_result res[N];
	int counter = 0;
	memset(res, 0, sizeof res);
	for (int i = 0; i < N; i++) {
		mx[i] = (struct mx_state){.counter = &counter};
		tasks[i] = (struct task){.steps = steps, .nsteps = nsteps, .state = &mx[i]};
	}
	lm_run(m, tasks, N, workers, &lock, 1, res);
	cr_expect_eq(tasks_ok(res, N), N, "%s", m->name);
	return counter;
}

Test(loopmodel, a_lock_of_one_excludes)
{
	static const struct step locked[] = {
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_COMPUTE, .compute.fn = mx_read},
		{.kind = STEP_SLEEP, .sleep.ns = 0},
		{.kind = STEP_COMPUTE, .compute.fn = mx_write},
		{.kind = STEP_POST, .post.sem = 0},
	};
	FOR_EACH_MODEL(m)
	{
		cr_expect_eq(lm_mx_count(m, locked, 5, 0), 500, "%s W=0", m->name);
		cr_expect_eq(lm_mx_count(m, locked, 5, 7), 500, "%s W=7", m->name);
		/* Without it the sleep really yields, and increments are lost. */
		int racy = lm_mx_count(m, &locked[1], 3, 0);
		cr_expect_lt(racy, 500, "%s: no lock, yet %d increments all survived", m->name,
			     racy);
	}
}

Test(loopmodel, a_timed_wait_takes_the_alt_branch)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step steps[] = {
		{.kind = STEP_WAIT, .alt = 2, .wait = {.sem = 0, .timeout_ns = 50000000}},
		{.kind = STEP_COMPUTE, .compute.fn = step_fail},
		{.kind = STEP_COMPUTE, .compute.fn = step_mark},
	};
	FOR_EACH_MODEL(m)
	{
		int marked = 0;
		struct task t = {.steps = steps, .nsteps = 3, .state = &marked};
		struct task_result res = {0};
		lm_run(m, &t, 1, 0, &never, 1, &res);
		cr_expect_eq(res.fail, FAIL_NONE, "%s", m->name);
		cr_expect_eq(marked, 1, "%s: the alt step ran %d times", m->name, marked);
		cr_expect_geq(res.end_s - res.start_s, 0.050 - 1e-4, "%s: timed out after %.4f s",
			      m->name, res.end_s - res.start_s);
	}
}

struct lm_order {
	int *log, *len;
	int id;
};

static enum step_status lm_log(void *state, const void *arg)
{
	(void)arg;
	struct lm_order *o = state;
	o->log[(*o->len)++] = o->id;
	return STEP_OK;
}

Test(loopmodel, waiters_wake_in_arrival_order)
{
	enum { N = 6 };
	static const struct sem_decl gate = {"gate", 0};
	static const struct step poster[] = {
		{.kind = STEP_SLEEP, .sleep.ns = 50000000},
		{.kind = STEP_POST, .post.sem = 0}, {.kind = STEP_POST, .post.sem = 0},
		{.kind = STEP_POST, .post.sem = 0}, {.kind = STEP_POST, .post.sem = 0},
		{.kind = STEP_POST, .post.sem = 0},
	};
	static const struct step waiter[] = {
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_COMPUTE, .compute.fn = lm_log},
	};
	FOR_EACH_MODEL(m)
	{
		int log[N] = {0}, len = 0;
		struct lm_order ord[N];
		struct task tasks[N] = {{.steps = poster, .nsteps = 6}};
		struct task_result res[N] = {0};
		for (int i = 1; i < N; i++) {
			ord[i] = (struct lm_order){.log = log, .len = &len, .id = i};
			tasks[i] = (struct task){.steps = waiter, .nsteps = 2, .state = &ord[i]};
		}
		lm_run(m, tasks, N, 0, &gate, 1, res);
		cr_expect_eq(tasks_ok(res, N), N, "%s", m->name);
		cr_assert_eq(len, N - 1, "%s", m->name);
		for (int i = 0; i < N - 1; i++)
			cr_expect_eq(log[i], i + 1, "%s: wake %d went to task %d", m->name, i, log[i]);
	}
}

Test(loopmodel, waiters_left_when_the_loop_ends_are_blocked)
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
	FOR_EACH_MODEL(m)
	{
		struct task_result res[5] = {0};
		lm_run(m, tasks, 5, 0, &never, 1, res);
		for (int i = 0; i < 5; i++)
			cr_expect_eq(res[i].fail, want[i], "%s W=0 task %d: %s", m->name, i,
				     task_fail_name(res[i].fail));
		/* One worker, stuck at once: the rest never start, and cannot either. */
		memset(res, 0, sizeof res);
		lm_run(m, tasks, 5, 1, &never, 1, res);
		for (int i = 0; i < 5; i++)
			cr_expect_eq(res[i].fail, FAIL_BLOCKED, "%s W=1 task %d: %s", m->name, i,
				     task_fail_name(res[i].fail));
	}
}

/* Right answers, wrong expectations, a refused port; all at once and two at a time. */
Test(loopmodel, fetch_judges_each_transfer)
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
	FOR_EACH_MODEL(m)
	{
		for (int w = 0; w <= 2; w += 2) {
			struct task tasks[8];
			struct task_result res[8] = {0};
			for (int i = 0; i < 8; i++)
				tasks[i] = (struct task){.steps = &steps[i % 4], .nsteps = 1};
			lm_run(m, tasks, 8, w, NULL, 0, res);
			for (int i = 0; i < 8; i++)
				cr_expect_eq(res[i].fail, want[i % 4], "%s W=%d task %d: %s", m->name,
					     w, i, task_fail_name(res[i].fail));
		}
	}
	srv_stop(&s);
}

/* A server that closes each kept-alive connection after one answer: the loop models
 * park a finished fetch's socket rather than stop watching it, so a socket that the
 * server closes while parked, and a new socket curl opens under the same number, must
 * neither hang a task nor lose a fetch. Four fetches a task, each on a new connection. */
Test(loopmodel, fetches_survive_a_server_closing_idle_connections)
{
	struct srv s;
	srv_start_hanging_up(&s);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", s.port);
	struct step steps[8];
	for (int i = 0; i < 8; i += 2) {
		steps[i] = (struct step){.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}};
		steps[i + 1] = (struct step){.kind = STEP_SLEEP, .sleep = {.ns = 5000000}};
	}
	FOR_EACH_MODEL(m)
	{
		for (int w = 0; w <= 1; w++) {
			struct task tasks[3];
			struct task_result res[3] = {0};
			for (int i = 0; i < 3; i++)
				tasks[i] = (struct task){.steps = steps, .nsteps = 7};
			int before = atomic_load(&s.accepted);
			double wall = lm_run(m, tasks, 3, w, NULL, 0, res);
			cr_expect_eq(tasks_ok(res, 3), 3, "%s W=%d: %d of 3 ok (%s)", m->name, w,
				     tasks_ok(res, 3), task_fail_name(res[0].fail));
			cr_expect_eq(atomic_load(&s.accepted) - before, 12, "%s W=%d: %d connections "
				     "for 12 fetches", m->name, w, atomic_load(&s.accepted) - before);
			cr_expect_lt(wall, 3.0, "%s W=%d: %.2f s", m->name, w, wall);
		}
	}
	srv_stop(&s);
}

/* Ten tasks of two fetches on two workers: each worker keeps its one connection. */
Test(loopmodel, a_worker_keeps_its_connection)
{
	struct srv s;
	srv_start(&s);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", s.port);
	const struct step steps[] = {
		{.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}},
		{.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}},
	};
	FOR_EACH_MODEL(m)
	{
		struct task tasks[10];
		struct task_result res[10] = {0};
		for (int i = 0; i < 10; i++)
			tasks[i] = (struct task){.steps = steps, .nsteps = 2};
		int before = atomic_load(&s.accepted);
		lm_run(m, tasks, 10, 2, NULL, 0, res);
		cr_expect_eq(tasks_ok(res, 10), 10, "%s", m->name);
		cr_expect_eq(atomic_load(&s.accepted) - before, 2, "%s: 2 workers opened %d "
			     "connections", m->name, atomic_load(&s.accepted) - before);
	}
	srv_stop(&s);
}
