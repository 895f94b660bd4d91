/* What only the evloop runner does (its shared sleep lists, its slots, its floor), and
 * the two loop-side modules it shares with the green runner: loopsem and curl_ev. What
 * both runners do alike is in test_loopmodel.c. */
#include <criterion/criterion.h>
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
static double ev_run_tasks(struct task *tasks, int n, int workers, struct task_result *res)
{
	return handmade_wall("evloop", NULL, tasks, n, workers, NULL, 0, res);
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
	double wall = ev_run_tasks(tasks, N, 0, res);
	cr_expect_eq(tasks_ok(res, N), N);
	for (int i = 0; i < N; i++)
		cr_expect_geq(res[i].end_s - res[i].start_s, steps[i].sleep.ns * 1e-9 - 1e-4,
			      "task %d", i);
	cr_expect_lt(wall, 0.5, "%.3f s", wall);
}

Test(evloop, failures_carry_their_reason)
{
	static const struct step bad = {.kind = STEP_COMPUTE, .compute.fn = step_fail};
	static const struct step nap = {.kind = STEP_SLEEP, .sleep.ns = 1000000};
	struct task tasks[6];
	struct task_result res[6] = {0};
	for (int i = 0; i < 6; i++)
		tasks[i] = (struct task){.steps = i % 3 == 1 ? &bad : &nap, .nsteps = 1};
	ev_run_tasks(tasks, 6, 2, res);
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
	fetch_xfer_close(&x);
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
	fetch_xfer_close(&x);
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
		fetch_xfer_close(&x[i]);
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
	fetch_xfer_close(&x);
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

/* One handle walks URLs in turn: each fetch gets its own URL's body (the parsed URL is
 * kept only while it is the same), a malformed one fails as a fetch and counts, and the
 * handle works again after it. */
Test(fetch, a_handle_follows_its_steps_urls)
{
	struct test_server srv = test_server_start();
	char a[80], b[80], bad[80];
	snprintf(a, sizeof a, "http://127.0.0.1:%d/delay/0/bytes/100", srv.port);
	snprintf(b, sizeof b, "http://127.0.0.1:%d/delay/0/bytes/3000", srv.port);
	snprintf(bad, sizeof bad, "http://127.0.0.1:99999/");
	const struct step steps[] = {
		{.kind = STEP_FETCH, .fetch = {a, 200, 100, 5000}},
		{.kind = STEP_FETCH, .fetch = {b, 200, 3000, 5000}},
		{.kind = STEP_FETCH, .fetch = {b, 200, 3000, 5000}},
		{.kind = STEP_FETCH, .fetch = {bad, 200, 5, 5000}},
		{.kind = STEP_FETCH, .fetch = {a, 200, 100, 5000}},
	};
	const enum task_fail want[] = {FAIL_NONE, FAIL_NONE, FAIL_NONE, FAIL_FETCH, FAIL_NONE};
	struct fetch_xfer x = {.easy = fetch_easy_new()};
	cr_assert_not_null(x.easy);
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		x.step = &steps[i];
		enum task_fail why = FAIL_NONE;
		enum step_status st = fetch_blocking(&x, true, &why);
		cr_expect_eq(st == STEP_OK ? FAIL_NONE : why, want[i], "fetch %zu: %d", i, why);
		if (st == STEP_OK)
			cr_expect_eq(x.body, steps[i].fetch.bytes, "fetch %zu: %ld bytes", i, x.body);
	}
	fetch_xfer_close(&x);
	cr_expect_null(x.easy);
	cr_expect_eq(test_server_stop(&srv), 0);
}

/* A loopback URL never goes through a proxy from the environment: the proxy named
 * here refuses connections, so a fetch through it would fail. */
Test(fetch, a_loopback_url_ignores_the_proxy_variables)
{
	int fd, port = srv_port(&fd, true);
	char proxy[64];
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", port);
	setenv("http_proxy", proxy, 1);
	setenv("all_proxy", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	struct test_server srv = test_server_start();
	char url[80];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/delay/0/bytes/10", srv.port);
	const struct step step = {.kind = STEP_FETCH, .fetch = {url, 200, 10, 5000}};
	struct fetch_xfer x = {.easy = fetch_easy_new(), .step = &step};
	enum task_fail why = FAIL_NONE;
	cr_expect_eq(fetch_blocking(&x, false, &why), STEP_OK, "failed: %d", why);
	fetch_xfer_close(&x);
	cr_expect_eq(test_server_stop(&srv), 0);
}
