/* The evloop runner on hand-built tasks (sleep, compute, wait/post), and the two
 * loop-side modules it shares with the green runner: loopsem and curl_ev. */
#include <criterion/criterion.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "curl_ev.h"
#include "fetch.h"
#include "httpd_client.h"
#include "loopsem.h"
#include "runner.h"
#include "teststeps.h"
#include "testsrv.h"
#include "workload.h"

static const struct runner *ev_runner(void)
{
	const struct runner *rn = runner_find("evloop");
	cr_assert_not_null(rn, "evloop is not in the registry");
	return rn;
}

/* Runs tasks under evloop with W workers, as the driver runs a cell; returns the
 * wall time the driver would record. */
static double ev_run_tasks(struct task *tasks, int n, int workers, const struct sem_decl *sems,
			   int nsems, struct task_result *res)
{
	const struct runner *rn = ev_runner();
	struct taskset ts = {.tasks = tasks, .ntasks = n, .sems = sems, .nsems = nsems};
	struct params rp;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK, "%s", err.msg);
	struct cellrun_out o;
	handmade_run(rn, &rp, &ts, workers, res, &o);
	params_free(&rp);
	cr_assert_eq(o.code, CB_OK, "evloop: stage %d: %s", o.stage, o.note);
	for (int i = 0; i < n; i++)
		cr_assert(res[i].done, "task %d not done", i);
	return o.wall_s;
}

/* The cases and bounds of runners::sleep_all_sizes_and_limits (teststeps.h): each
 * fails a loop that runs a worker fewer than asked, or one at a time. */
Test(evloop, sleep_all_sizes_and_limits)
{
	const double nap_s = 0.150;
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 150000000};
	static const struct {
		int n, limits[4];
	} cases[] = {{1, {0, 1, 2, 6}}, {3, {0, 1, 2, 8}}, {20, {0, 7, 10, 25}}};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int n = cases[k].n;
		for (size_t l = 0; l < 4; l++) {
			struct task tasks[20];
			struct task_result res[20] = {0};
			for (int i = 0; i < n; i++)
				tasks[i] = (struct task){.steps = &nap, .nsteps = 1};
			int w = cases[k].limits[l], rounds = rounds_of(n, w);
			double wall = ev_run_tasks(tasks, n, w, NULL, 0, res);
			cr_expect_eq(tasks_ok(res, n), n, "n=%d w=%d", n, w);
			cr_expect_geq(wall, rounds_lower_s(rounds, nap_s),
				      "n=%d w=%d: %.3f s, fewer than %d rounds", n, w, wall, rounds);
			cr_expect_lt(wall, rounds_upper_s(rounds, nap_s),
				     "n=%d w=%d: %.3f s, more than %d rounds", n, w, wall, rounds);
			for (int i = 0; i < n; i++)
				cr_expect_geq(res[i].end_s - res[i].start_s, nap_s - 1e-4,
					      "n=%d w=%d task %d slept %.4f s", n, w, i,
					      res[i].end_s - res[i].start_s);
		}
	}
}

/* Sleeps of many different lengths (more than the shared timer lists hold). */
Test(evloop, sleeps_of_many_lengths_end_in_time)
{
	enum { N = 600 };
	static struct step steps[N];
	struct task tasks[N];
	static struct task_result res[N];
	for (int i = 0; i < N; i++) {
		steps[i] = (struct step){.kind = STEP_SLEEP, .sleep.ns = 50000000 + 10007 * i};
		tasks[i] = (struct task){.steps = &steps[i], .nsteps = 1};
	}
	double wall = ev_run_tasks(tasks, N, 0, NULL, 0, res);
	cr_expect_eq(tasks_ok(res, N), N);
	for (int i = 0; i < N; i++)
		cr_expect_geq(res[i].end_s - res[i].start_s, steps[i].sleep.ns * 1e-9 - 1e-4,
			      "task %d", i);
	cr_expect_lt(wall, 0.5, "%.3f s", wall);
}

static enum step_status ev_spin_100ms(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	double until = clock_now() + 0.100;
	while (clock_now() < until)
		;
	return STEP_OK;
}

Test(evloop, compute_blocks_the_loop)
{
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 50000000};
	static const struct step spin = {.kind = STEP_COMPUTE, .compute.fn = ev_spin_100ms};
	struct task tasks[2] = {{.steps = &nap, .nsteps = 1}, {.steps = &spin, .nsteps = 1}};
	struct task_result res[2] = {0};
	ev_run_tasks(tasks, 2, 0, NULL, 0, res);
	cr_expect_eq(tasks_ok(res, 2), 2);
	cr_expect_geq(res[0].end_s, 0.100, "the sleeper ended at %.3f s, during the compute",
		      res[0].end_s);
}

/* A counter read, a yield, a write: only the lock keeps the increments apart. */
static int ev_mx_count(const struct step *steps, int nsteps, int workers)
{
	enum { N = 1000 };
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
	ev_run_tasks(tasks, N, workers, &lock, 1, res);
	cr_expect_eq(tasks_ok(res, N), N);
	return counter;
}

Test(evloop, a_lock_of_one_excludes)
{
	static const struct step locked[] = {
		{.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}},
		{.kind = STEP_COMPUTE, .compute.fn = mx_read},
		{.kind = STEP_SLEEP, .sleep.ns = 0},
		{.kind = STEP_COMPUTE, .compute.fn = mx_write},
		{.kind = STEP_POST, .post.sem = 0},
	};
	cr_expect_eq(ev_mx_count(locked, 5, 0), 1000, "W=0");
	cr_expect_eq(ev_mx_count(locked, 5, 7), 1000, "W=7");
	/* Without it the sleep really yields, and increments are lost. */
	int racy = ev_mx_count(&locked[1], 3, 0);
	cr_expect_lt(racy, 1000, "no lock, yet %d increments all survived", racy);
}

Test(evloop, a_timed_wait_takes_the_alt_branch)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step steps[] = {
		{.kind = STEP_WAIT, .alt = 2, .wait = {.sem = 0, .timeout_ns = 50000000}},
		{.kind = STEP_COMPUTE, .compute.fn = step_fail},
		{.kind = STEP_COMPUTE, .compute.fn = step_mark},
	};
	int marked = 0;
	struct task t = {.steps = steps, .nsteps = 3, .state = &marked};
	struct task_result res = {0};
	ev_run_tasks(&t, 1, 0, &never, 1, &res);
	cr_expect_eq(res.fail, FAIL_NONE);
	cr_expect_eq(marked, 1, "the alt step ran %d times", marked);
	cr_expect_geq(res.end_s - res.start_s, 0.050 - 1e-4, "timed out after %.4f s",
		      res.end_s - res.start_s);
}

struct ev_order {
	int *log, *len;
	int id;
};

static enum step_status ev_log(void *state, const void *arg)
{
	(void)arg;
	struct ev_order *o = state;
	o->log[(*o->len)++] = o->id;
	return STEP_OK;
}

Test(evloop, waiters_wake_in_arrival_order)
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
		{.kind = STEP_COMPUTE, .compute.fn = ev_log},
	};
	int log[N] = {0}, len = 0;
	struct ev_order ord[N];
	struct task tasks[N] = {{.steps = poster, .nsteps = 6}};
	struct task_result res[N] = {0};
	for (int i = 1; i < N; i++) {
		ord[i] = (struct ev_order){.log = log, .len = &len, .id = i};
		tasks[i] = (struct task){.steps = waiter, .nsteps = 2, .state = &ord[i]};
	}
	ev_run_tasks(tasks, N, 0, &gate, 1, res);
	cr_expect_eq(tasks_ok(res, N), N);
	cr_assert_eq(len, N - 1);
	for (int i = 0; i < N - 1; i++)
		cr_expect_eq(log[i], i + 1, "wake %d went to task %d", i, log[i]);
}

Test(evloop, waiters_left_when_the_loop_ends_are_blocked)
{
	static const struct sem_decl never = {"never", 0};
	static const struct step stuck = {.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}};
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 1000000};
	struct task tasks[4] = {{.steps = &stuck, .nsteps = 1}, {.steps = &nap, .nsteps = 1},
				{.steps = &stuck, .nsteps = 1}, {.steps = &stuck, .nsteps = 1}};
	struct task_result res[4] = {0};
	ev_run_tasks(tasks, 4, 0, &never, 1, res);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(res[i].fail, i == 1 ? FAIL_NONE : FAIL_BLOCKED, "W=0 task %d: %s", i,
			     task_fail_name(res[i].fail));
	/* One slot, stuck at once: the rest never start, and cannot either. */
	memset(res, 0, sizeof res);
	ev_run_tasks(tasks, 4, 1, &never, 1, res);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(res[i].fail, FAIL_BLOCKED, "W=1 task %d: %s", i,
			     task_fail_name(res[i].fail));
}

Test(evloop, failures_carry_their_reason)
{
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fail};
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 1000000};
	struct task tasks[6];
	struct task_result res[6] = {0};
	for (int i = 0; i < 6; i++)
		tasks[i] = (struct task){.steps = i % 3 == 1 ? &bad : &nap, .nsteps = 1};
	ev_run_tasks(tasks, 6, 2, NULL, 0, res);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(res[i].fail, i % 3 == 1 ? FAIL_CHECK : FAIL_NONE, "task %d", i);
}

/* The floor ends every sleep of every task: all at once, W at a time, several steps. */
Test(evloop, floor_ends_every_sleep)
{
	struct cb_err err = {0};
	struct floor_work fw = {.kind = STEP_SLEEP, .steps = 3, .sleep_ns = 2000000};
	double t0 = clock_now();
	cr_expect_eq(ev_runner()->floor(NULL, &fw, 10000, 0, &err), CB_OK, "%s", err.msg);
	cr_expect_geq(clock_now() - t0, 0.006, "3 sleeps of 2 ms took %.4f s", clock_now() - t0);
	t0 = clock_now();
	cr_expect_eq(ev_runner()->floor(NULL, &fw, 10, 5, &err), CB_OK, "%s", err.msg);
	cr_expect_geq(clock_now() - t0, 0.012, "2 rounds of 3 x 2 ms took %.4f s", clock_now() - t0);
	cr_expect_eq(ev_runner()->floor(NULL, &fw, 0, 0, &err), CB_OK, "%s", err.msg);
	fw.kind = STEP_FETCH;
	cr_expect_eq(ev_runner()->floor(NULL, &fw, 10, 0, &err), CB_EINVAL);
}

/* loopsem on its own loop: what the green runner relies on. */
struct ls_probe {
	struct loopsem_waiter w;
	enum step_status got;
	int woken;
	bool *inside; /* set while the test is inside loopsem_post/wait */
};

static void ls_wake(struct loopsem_waiter *w, enum step_status st, void *ud)
{
	struct ls_probe *p = ud;
	cr_expect_not(*p->inside, "woken from inside loopsem");
	cr_expect_eq(p->w.sem, w->sem);
	p->got = st;
	p->woken++;
}

Test(loopsem, wakes_come_from_the_loop)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static const struct sem_decl decl[] = {{"a", 1}, {"b", 0}};
	struct loopsem *ls;
	struct cb_err err = {0};
	cr_assert_eq(loopsem_open(&ls, loop, decl, 2, &err), CB_OK, "%s", err.msg);
	bool inside = false;
	struct ls_probe p[3];
	for (int i = 0; i < 3; i++)
		p[i] = (struct ls_probe){.w = {.wake = ls_wake, .ud = &p[i]}, .inside = &inside};
	inside = true;
	cr_expect_eq(loopsem_wait(ls, 0, -1, &p[0].w), STEP_OK);
	cr_expect_eq(loopsem_wait(ls, 0, -1, &p[1].w), -1);
	cr_expect_eq(loopsem_wait(ls, 1, 20000000, &p[2].w), -1);
	cr_expect_eq(loopsem_waiting(ls), 2);
	loopsem_post(ls, 0);
	inside = false;
	cr_expect_eq(p[1].woken, 0);
	cr_expect_eq(loopsem_waiting(ls), 1);
	ev_run(loop, 0);
	cr_expect_eq(p[1].woken, 1);
	cr_expect_eq(p[1].got, STEP_OK);
	cr_expect_eq(p[2].woken, 1);
	cr_expect_eq(p[2].got, STEP_ALT);
	cr_expect_eq(loopsem_waiting(ls), 0);
	cr_expect_eq(loopsem_value(ls, 0), 0);
	loopsem_post(ls, 1);
	cr_expect_eq(loopsem_value(ls, 1), 1);
	loopsem_close(ls);
	ev_loop_destroy(loop);
}

/* Fetch tasks through evloop: right answers, wrong expectations, a refused port. */
Test(evloop, fetch_judges_each_transfer)
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
	for (int w = 0; w <= 2; w += 2) {
		struct task tasks[8];
		struct task_result res[8] = {0};
		for (int i = 0; i < 8; i++)
			tasks[i] = (struct task){.steps = &steps[i % 4], .nsteps = 1};
		ev_run_tasks(tasks, 8, w, NULL, 0, res);
		for (int i = 0; i < 8; i++)
			cr_expect_eq(res[i].fail, want[i % 4], "W=%d task %d: %s", w, i,
				     task_fail_name(res[i].fail));
	}
	srv_stop(&s);
}

Test(evloop, a_slot_keeps_its_connection)
{
	struct srv s;
	srv_start(&s);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", s.port);
	const struct step steps[] = {
		{.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}},
		{.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}},
	};
	struct task tasks[10];
	struct task_result res[10] = {0};
	for (int i = 0; i < 10; i++)
		tasks[i] = (struct task){.steps = steps, .nsteps = 2};
	ev_run_tasks(tasks, 10, 2, NULL, 0, res);
	cr_expect_eq(tasks_ok(res, 10), 10);
	cr_expect_eq(atomic_load(&s.accepted), 2, "2 slots opened %d connections",
		     atomic_load(&s.accepted));
	srv_stop(&s);
}

/* curl_ev alone: the done callback re-adds the same handle at once. */
struct ce_probe {
	struct curl_ev *ce;
	int left, ok;
	CURLcode last;
};

static void ce_done(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	struct ce_probe *p = ud;
	enum task_fail why = FAIL_NONE;
	p->last = rc;
	p->ok += fetch_verdict(x, rc, &why) == STEP_OK;
	if (--p->left > 0) {
		fetch_prepare(x, true);
		cr_expect_eq(curl_ev_add(p->ce, x), CB_OK);
	}
}

static struct ce_probe ce_fetch(const char *url, int times)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ce_probe p = {.left = times};
	struct cb_err err = {0};
	cr_assert_eq(curl_ev_new(&p.ce, loop, ce_done, &p, &err), CB_OK, "%s", err.msg);
	const struct step step = {.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}};
	struct fetch_xfer x = {.easy = fetch_easy_new(), .step = &step};
	cr_assert_not_null(x.easy);
	fetch_prepare(&x, true);
	cr_assert_eq(curl_ev_add(p.ce, &x), CB_OK);
	ev_run(loop, 0);
	curl_ev_free(p.ce);
	fetch_easy_free(x.easy);
	ev_loop_destroy(loop);
	return p;
}

Test(curl_ev, a_handle_is_reused_from_its_done_callback)
{
	struct srv s;
	srv_start(&s);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
	struct ce_probe p = ce_fetch(url, 5);
	cr_expect_eq(p.ok, 5, "%d of 5 ok (last: %s)", p.ok, curl_easy_strerror(p.last));
	cr_expect_eq(atomic_load(&s.accepted), 1, "%d connections", atomic_load(&s.accepted));
	srv_stop(&s);
}

Test(curl_ev, a_refused_port_is_reported)
{
	int fd, port = srv_port(&fd, true);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	struct ce_probe p = ce_fetch(url, 1);
	cr_expect_eq(p.ok, 0);
	cr_expect_eq(p.last, CURLE_COULDNT_CONNECT, "%s", curl_easy_strerror(p.last));
}

/* Freed with a transfer still running: nothing leaks, nothing is reported. */
Test(curl_ev, free_with_a_transfer_in_flight)
{
	int lfd, port = srv_port(&lfd, false); /* listens, never answers */
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ce_probe p = {.left = 1};
	cr_assert_eq(curl_ev_new(&p.ce, loop, ce_done, &p, NULL), CB_OK);
	const struct step step = {.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}};
	struct fetch_xfer x = {.easy = fetch_easy_new(), .step = &step};
	fetch_prepare(&x, true);
	cr_assert_eq(curl_ev_add(p.ce, &x), CB_OK);
	ev_run(loop, EVRUN_ONCE);
	curl_ev_free(p.ce);
	cr_expect_eq(p.left, 1, "a transfer was reported");
	fetch_easy_free(x.easy);
	ev_loop_destroy(loop);
	close(lfd);
}

/* More transfers than one multi handle takes (curl_ev shards them): every one is
 * reported, and a handle's second fetch reuses its connection, wherever it was cached. */
#define CE_MANY 600

struct ce_many {
	struct curl_ev *ce;
	int done, ok, reused;
};

static void ce_many_done(struct fetch_xfer *x, CURLcode rc, void *ud)
{
	struct ce_many *m = ud;
	enum task_fail why = FAIL_NONE;
	m->done++;
	m->ok += fetch_verdict(x, rc, &why) == STEP_OK;
	if (x->uses == 1) {
		fetch_prepare(x, false);
		cr_expect_eq(curl_ev_add(m->ce, x), CB_OK);
		return;
	}
	long connects = -1;
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
	m->reused += connects == 0;
}

/* CE_MANY handles at once on `path` of a fresh server (a body of `bytes`), each first
 * fetch prepared with `keep`; the loop runs to the end, or `turns` turns when not 0,
 * then all is freed. */
static struct ce_many ce_many_run(const char *path, long bytes, bool keep, int turns)
{
	struct test_server srv = test_server_start();
	char url[80];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
	const struct step step = {.kind = STEP_FETCH, .fetch = {url, 200, bytes, 10000}};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ce_many m = {0};
	cr_assert_eq(curl_ev_new(&m.ce, loop, ce_many_done, &m, NULL), CB_OK);
	struct fetch_xfer *x = calloc(CE_MANY, sizeof *x);
	for (int i = 0; i < CE_MANY; i++) {
		x[i] = (struct fetch_xfer){.easy = fetch_easy_new(), .step = &step};
		cr_assert_not_null(x[i].easy);
		fetch_prepare(&x[i], keep);
		cr_assert_eq(curl_ev_add(m.ce, &x[i]), CB_OK);
	}
	if (!turns)
		ev_run(loop, 0);
	for (int i = 0; i < turns; i++)
		ev_run(loop, EVRUN_NOWAIT);
	curl_ev_free(m.ce);
	for (int i = 0; i < CE_MANY; i++)
		fetch_easy_free(x[i].easy);
	free(x);
	ev_loop_destroy(loop);
	cr_expect_eq(test_server_stop(&srv), 0);
	return m;
}

Test(curl_ev, many_handles_keep_their_connections)
{
	struct ce_many m = ce_many_run("/delay/20/bytes/100", 100, true, 0);
	cr_expect_eq(m.done, 2 * CE_MANY, "%d transfers reported", m.done);
	cr_expect_eq(m.ok, 2 * CE_MANY, "%d ok", m.ok);
	cr_expect_eq(m.reused, CE_MANY, "%d second fetches reused their connection", m.reused);
}

/* Freed with transfers in flight in several multi handles: none is reported. */
Test(curl_ev, free_with_many_transfers_in_flight)
{
	struct ce_many m = ce_many_run("/delay/5000/bytes/1", 1, false, 20);
	cr_expect_eq(m.done, 0, "%d transfers reported", m.done);
}

/* A GET whose connection no one will reuse asks the server to close it (so the server,
 * not the client, keeps the TIME_WAIT); one that may be reused does not. */
static bool request_says_close(bool keep)
{
	int lfd, port = srv_port(&lfd, false);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	const struct step step = {.kind = STEP_FETCH, .fetch = {url, 200, 5, 5000}};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ce_many m = {0};
	cr_assert_eq(curl_ev_new(&m.ce, loop, ce_many_done, &m, NULL), CB_OK);
	struct fetch_xfer x = {.easy = fetch_easy_new(), .step = &step};
	fetch_prepare(&x, keep);
	cr_assert_eq(curl_ev_add(m.ce, &x), CB_OK);
	char req[2048] = "";
	size_t got = 0;
	int c = -1;
	for (int i = 0; i < 200 && !strstr(req, "\r\n\r\n"); i++) {
		ev_run(loop, EVRUN_NOWAIT);
		struct pollfd pf = {.fd = c >= 0 ? c : lfd, .events = POLLIN};
		if (poll(&pf, 1, 10) != 1)
			continue;
		if (c < 0)
			c = accept(lfd, NULL, NULL);
		else {
			ssize_t r = read(c, req + got, sizeof req - 1 - got);
			got += r > 0 ? (size_t)r : 0;
		}
	}
	curl_ev_free(m.ce);
	fetch_easy_free(x.easy);
	ev_loop_destroy(loop);
	cr_assert(strstr(req, "\r\n\r\n"), "no whole request: '%s'", req);
	if (c >= 0)
		close(c);
	close(lfd);
	return strcasestr(req, "\r\nConnection: close\r\n") != NULL;
}

Test(curl_ev, only_a_connection_no_one_reuses_is_closed_by_the_server)
{
	cr_expect(request_says_close(false), "a last GET does not say Connection: close");
	cr_expect(!request_says_close(true), "a GET whose connection is kept says close");
}
