/* The http workload through every C runner: the local server started and stopped by
 * the workload, a server that is not there, one that stalls, bad parameters, the
 * receive buffer the runners choose from its steps, and which side of the connections
 * keeps their TIME_WAITs. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cellrun.h"
#include "clock.h"
#include "fetch.h"
#include "httpserver.h"
#include "runner.h"
#include "teststeps.h"
#include "workload.h"

struct outcome {
	double wall_s;
	int ok;
	int fail[FAIL_REASONS];
};

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int configure(const char *const *kv, void **cfg, struct cb_err *err)
{
	const struct workload *wl = workload_find("http");
	struct params p;
	int rc = test_params(&p, "http", wl->params, kv, err);
	if (rc == CB_OK)
		rc = wl->configure(&p, cfg, err);
	params_free(&p);
	return rc;
}

/* n tasks at most w at a time through the driver's own cell body, the local server
 * started and stopped around them. */
static struct outcome run_http(const struct runner *rn, const char *const *kv, int n, int w)
{
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, "http", kv, rn, NULL, &err), CB_OK, "%s", err.msg);
	struct cellrun_out c;
	cr_assert_eq(testcell_run(&tc, n, w, &c), CB_OK, "%s: %s", rn->name, c.note);
	testcell_close(&tc);
	struct outcome o = {.wall_s = c.wall_s, .ok = c.tasks_ok};
	memcpy(o.fail, c.fail, sizeof o.fail);
	return o;
}

#define FOR_EACH_C_RUNNER(rn)                                                             \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if ((rn)->run && !(rn)->waits_skipped)

Test(http, twenty_tasks_on_every_runner, .init = setup)
{
	static const char *const kv[] = {"delay_ms", "50", "bytes", "2000", "fetches", "2", NULL};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		int w = rn->one_at_a_time ? 1 : 0;
		struct outcome o = run_http(rn, kv, 20, w);
		cr_expect_eq(o.ok, 20, "%s: %d ok", rn->name, o.ok);
		double ideal = (w ? 20 : 1) * 2 * 0.050;
		cr_expect_geq(o.wall_s, ideal, "%s: %.3f s below the ideal %.3f", rn->name, o.wall_s,
			      ideal);
		cr_expect_lt(o.wall_s, 2 * ideal + 0.300, "%s: %.3f s", rn->name, o.wall_s);
	}
}

Test(http, a_server_that_is_not_there_fails_every_task_at_once, .init = setup)
{
	static const char *const kv[] = {"url", "http://127.0.0.1:1/", NULL};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct outcome o = run_http(rn, kv, 5, 2);
		cr_expect_eq(o.ok, 0, "%s", rn->name);
		cr_expect_eq(o.fail[FAIL_CONNECT], 5, "%s: %d connect failures", rn->name,
			     o.fail[FAIL_CONNECT]);
		cr_expect_lt(o.wall_s, 2.0, "%s: %.3f s", rn->name, o.wall_s);
	}
}

Test(http, a_stalling_server_times_out, .init = setup)
{
	static const char *const kv[] = {"delay_ms", "3000", "timeout_ms", "200", NULL};
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct outcome o = run_http(rn, kv, 3, 0);
		cr_expect_eq(o.fail[FAIL_TIMEOUT], 3, "%s: %d timeouts", rn->name,
			     o.fail[FAIL_TIMEOUT]);
		cr_expect_lt(o.wall_s, rn->one_at_a_time ? 2.0 : 1.0, "%s: %.3f s", rn->name,
			     o.wall_s);
	}
}

Test(http, bad_parameters_are_refused, .init = setup)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{"url", "not a url"},         {"url", "ftp://127.0.0.1/x"},
		{"url", "http://"},           {"delay_ms", "-1"},
		{"fetches", "0"},             {"fetches", "abc"},
		{"bytes", "99999999999999"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *kv[] = {bad[i].key, bad[i].value, NULL};
		struct cb_err err = {0};
		void *cfg = NULL;
		int rc = configure(kv, &cfg, &err);
		cr_expect_eq(rc, CB_EINVAL, "%s=%s accepted", bad[i].key, bad[i].value);
		cr_expect(err.msg[0] != '\0', "%s=%s: no message", bad[i].key, bad[i].value);
		if (cfg)
			workload_find("http")->config_free(cfg);
	}
}

Test(http, ideal_time_is_rounds_times_fetches_times_delay)
{
	static const struct {
		int n, w;
		double ideal_s;
	} cases[] = {{10, 0, 0.2}, {10, 10, 0.2}, {10, 20, 0.2}, {10, 3, 0.8}, {10, 1, 2.0}};
	static const char *const kv[] = {"delay_ms", "100", "fetches", "2", NULL};
	const struct workload *wl = workload_find("http");
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = wl->ideal_s(cfg, cases[i].n, cases[i].w);
		cr_expect_float_eq(got, cases[i].ideal_s, 1e-9, "N=%d W=%d: %g", cases[i].n,
				   cases[i].w, got);
	}
	wl->config_free(cfg);
	static const char *const real[] = {"url", "http://127.0.0.1:1/", NULL};
	cr_assert_eq(configure(real, &cfg, &err), CB_OK, "%s", err.msg);
	cr_expect_lt(wl->ideal_s(cfg, 10, 0), 0, "unknown for real URLs");
	wl->config_free(cfg);
}

/* The local server's URL, and whether anything still listens on its port. */
static bool listening(const char *url)
{
	int port = 0;
	cr_assert_eq(sscanf(url, "http://127.0.0.1:%d/delay/", &port), 1, "url %s", url);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

Test(http, start_builds_the_local_url_and_finish_stops_the_server, .init = setup)
{
	static const char *const kv[] = {"delay_ms", "250", "bytes", "77", "fetches", "3", NULL};
	const struct workload *wl = workload_find("http");
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(wl->start(cfg, &err), CB_OK, "%s", err.msg);
	struct taskset ts;
	cr_assert_eq(wl->build(cfg, 2, 0, &ts, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(ts.tasks[1].nsteps, 3);
	const struct step *s = &ts.tasks[1].steps[2];
	cr_expect_eq(s->kind, STEP_FETCH);
	cr_expect(strstr(s->fetch.url, "/delay/250/bytes/77") != NULL, "url %s", s->fetch.url);
	cr_expect_eq(s->fetch.status, 200);
	cr_expect_eq(s->fetch.bytes, 77);
	cr_expect_eq(s->fetch.timeout_ms, 30000);
	char url[128];
	snprintf(url, sizeof url, "%s", s->fetch.url);
	wl->release(&ts);
	cr_expect(listening(url), "the server answers at %s", url);
	wl->finish(cfg);
	cr_expect(!listening(url), "the server still answers after finish");
	wl->finish(cfg); /* twice is harmless */
	wl->config_free(cfg);
}

Test(http, a_missing_server_binary_is_an_error_and_finish_is_safe)
{
	const struct workload *wl = workload_find("http");
	struct cb_err err = {0};
	void *cfg = NULL;
	static const char *const none[] = {NULL};
	cr_assert_eq(configure(none, &cfg, &err), CB_OK, "%s", err.msg);
	wl->finish(cfg); /* before any start */
	setenv("CONCBENCH_HTTPD", "/nonexistent/concbench-httpd", 1);
	cr_expect_eq(wl->start(cfg, &err), CB_ESYS);
	cr_expect(strstr(err.msg, "/nonexistent/concbench-httpd") != NULL, "%s", err.msg);
	wl->finish(cfg);
	wl->config_free(cfg);
}

Test(http, tasks_walk_the_given_urls_in_turn)
{
	static const char *const kv[] = {"url", "http://127.0.0.1:1/a,http://127.0.0.1:1/b",
					 "url", "https://127.0.0.1:1/c", "fetches", "2", NULL};
	static const char *const want[] = {"/a", "/b", "/c"};
	const struct workload *wl = workload_find("http");
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(wl->start(cfg, &err), CB_OK, "%s", err.msg); /* nothing to start */
	struct taskset ts;
	cr_assert_eq(wl->build(cfg, 4, 0, &ts, &err), CB_OK, "%s", err.msg);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(ts.tasks[k].nsteps, 2);
		for (int j = 0; j < 2; j++) {
			const struct step *s = &ts.tasks[k].steps[j];
			const char *url = s->fetch.url, *end = want[(2 * k + j) % 3];
			cr_expect(strcmp(url + strlen(url) - 2, end) == 0, "task %d fetch %d: %s", k,
				  j, url);
			cr_expect_eq(s->fetch.bytes, -1, "any size from a real URL");
		}
	}
	wl->release(&ts);
	wl->finish(cfg);
	wl->config_free(cfg);
}

Test(http, more_urls_than_it_holds_are_refused)
{
	char list[65 * 24] = "";
	for (int i = 0; i < 65; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%shttp://h%d/",
			 i ? "," : "", i);
	const char *kv[] = {"url", list, NULL};
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_expect_eq(configure(kv, &cfg, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "more than 64") != NULL, "%s", err.msg);
}

/* The receive buffer: the workload's step says what it expects (the size asked for,
 * the body's size) and the runner's fetch code sizes the buffer from it and the
 * connections at once: at least curl's 16 KiB for a few, 4 KiB for many (pages per
 * connection cost more than recv calls), or what the user asks. Real URLs' sizes are
 * unknown: 16 KiB. */
Test(http, the_receive_buffer_follows_the_connections_at_once)
{
	static const struct {
		const char *kib;
		int n, w;
		long want;
	} cases[] = {
		{"0", 10, 0, 16384},   {"0", 256, 0, 16384}, {"0", 257, 0, 4096},
		{"0", 10000, 0, 4096}, {"0", 10000, 100, 16384}, {"0", 1, 1, 16384},
		{"8", 10000, 0, 8192}, {"64", 3, 0, 65536},
	};
	const struct workload *wl = workload_find("http");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *const kv[] = {"url", "http://127.0.0.1:1/x", "fetches", "2",
					  "buffer_kib", cases[i].kib, NULL};
		struct cb_err err = {0};
		void *cfg = NULL;
		cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
		struct taskset ts;
		cr_assert_eq(wl->build(cfg, cases[i].n, cases[i].w, &ts, &err), CB_OK, "%s",
			     err.msg);
		int conns = runner_workers(cases[i].n, cases[i].w);
		for (int k = 0; k < ts.ntasks; k += ts.ntasks - 1 > 0 ? ts.ntasks - 1 : 1)
			for (int j = 0; j < 2; j++) {
				long got = fetch_buffer_bytes(&ts.tasks[k].steps[j], conns);
				cr_expect_eq(got, cases[i].want, "buffer_kib=%s N=%d W=%d: %ld",
					     cases[i].kib, cases[i].n, cases[i].w, got);
			}
		wl->release(&ts);
		wl->config_free(cfg);
	}
	static const char *const bad[] = {"buffer_kib", "513", NULL};
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_expect_neq(configure(bad, &cfg, &err), CB_OK, "buffer_kib=513 accepted");
	cr_expect(strstr(err.msg, "buffer_kib") != NULL, "%s", err.msg);
}

/* Against the local server a few connections get a buffer that holds its whole response
 * (one recv a fetch), up to 512 KiB. */
Test(http, a_few_connections_read_the_local_response_at_once, .init = setup)
{
	static const struct {
		const char *bytes;
		int n;
		long want;
	} cases[] = {
		{"20000", 10, 21 * 1024}, {"2000", 10, 16384},     {"0", 1, 16384},
		{"20000", 1000, 4096},    {"2000000", 2, 512 * 1024},
	};
	const struct workload *wl = workload_find("http");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *const kv[] = {"bytes", cases[i].bytes, NULL};
		struct cb_err err = {0};
		void *cfg = NULL;
		cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(wl->start(cfg, &err), CB_OK, "%s", err.msg);
		struct taskset ts;
		cr_assert_eq(wl->build(cfg, cases[i].n, 0, &ts, &err), CB_OK, "%s", err.msg);
		long got = fetch_buffer_bytes(&ts.tasks[0].steps[0], cases[i].n);
		cr_expect_eq(got, cases[i].want, "bytes=%s N=%d: %ld", cases[i].bytes, cases[i].n,
			     got);
		wl->release(&ts);
		wl->finish(cfg);
		wl->config_free(cfg);
	}
}

/* The step says what the workload knows, never a size chosen for a trial's shape: the
 * same steps whatever N and W, the size the user asked for or 0 (the runner's choice). */
Test(http, the_steps_carry_what_is_expected_not_the_trials_buffer)
{
	static const struct {
		const char *kib;
		long buffer;
	} cases[] = {{"0", 0}, {"8", 8192}};
	const struct workload *wl = workload_find("http");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *const kv[] = {"url", "http://127.0.0.1:1/x", "buffer_kib", cases[i].kib,
					  NULL};
		struct cb_err err = {0};
		void *cfg = NULL;
		cr_assert_eq(configure(kv, &cfg, &err), CB_OK, "%s", err.msg);
		static const int shapes[][2] = {{3, 0}, {10000, 0}, {10000, 100}};
		for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
			struct taskset ts;
			cr_assert_eq(wl->build(cfg, shapes[k][0], shapes[k][1], &ts, &err), CB_OK,
				     "%s", err.msg);
			const struct step *s = &ts.tasks[0].steps[0];
			cr_expect_eq(s->fetch.buffer, cases[i].buffer, "buffer_kib=%s N=%d W=%d: %ld",
				     cases[i].kib, shapes[k][0], shapes[k][1], s->fetch.buffer);
			cr_expect_eq(s->fetch.bytes, -1);
			wl->release(&ts);
		}
		wl->config_free(cfg);
	}
}

/* The local server on its own: a port that answers while it runs, nothing after stop. */
Test(http, the_local_server_starts_on_a_port_and_stops)
{
	struct httpserver s = {0};
	struct cb_err err = {0};
	cr_assert_eq(httpserver_start(&s, &err), CB_OK, "%s", err.msg);
	cr_expect_gt(s.pid, 0);
	int port = s.port;
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/delay/0/bytes/0", port);
	cr_expect(listening(url), "nothing answers on port %d", port);
	cr_expect_eq(httpserver_start(&s, &err), CB_OK, "a second start: %s", err.msg);
	cr_expect_eq(s.port, port, "a second start keeps the server");
	httpserver_stop(&s);
	cr_expect_eq(s.pid, 0);
	cr_expect(!listening(url), "the server still answers after stop");
	httpserver_stop(&s); /* twice is harmless */
}

/* A server that exits before it reports its port: an error naming why, and no child
 * left for a stop to reap. */
Test(http, a_server_that_never_listens_leaves_nothing_running)
{
	setenv("CONCBENCH_HTTPD", "/bin/true", 1);
	struct httpserver s = {0};
	struct cb_err err = {0};
	cr_expect_eq(httpserver_start(&s, &err), CB_ESYS);
	cr_expect(strstr(err.msg, "exited before it listened") != NULL, "%s", err.msg);
	cr_expect_eq(s.pid, 0, "pid %d still recorded", (int)s.pid);
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

/* The sockets at either end of port on 127.0.0.1, from /proc/net/tcp and tcp6: both
 * ends of a loopback connection are listed, the client's with the port remote. */
struct tcp_sock {
	char local[64], remote[64];
	unsigned lport, rport, state;
};

struct tcp_table {
	struct tcp_sock *s;
	int n, cap;
};

enum { TCP_TIME_WAIT = 0x06, TCP_LISTEN = 0x0A };

static unsigned tcp_port_of(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	return colon ? (unsigned)strtoul(colon + 1, NULL, 16) : 0;
}

static void tcp_read(unsigned port, struct tcp_table *t)
{
	t->n = 0;
	static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		FILE *fp = fopen(files[f], "r");
		if (!fp)
			continue; /* no IPv6 in this namespace */
		char line[512];
		while (fgets(line, sizeof line, fp)) {
			struct tcp_sock s;
			if (sscanf(line, " %*d: %63s %63s %x", s.local, s.remote, &s.state) != 3)
				continue; /* the heading */
			s.lport = tcp_port_of(s.local);
			s.rport = tcp_port_of(s.remote);
			if (s.lport != port && s.rport != port)
				continue;
			if (t->n == t->cap) {
				t->cap = t->cap ? 2 * t->cap : 64;
				t->s = realloc(t->s, sizeof *t->s * (size_t)t->cap);
				cr_assert(t->s != NULL);
			}
			t->s[t->n++] = s;
		}
		fclose(fp);
	}
}

static bool tcp_had(const struct tcp_table *t, const struct tcp_sock *s)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].local, s->local) && !strcmp(t->s[i].remote, s->remote))
			return true;
	return false;
}

struct time_waits {
	int server, client, unsettled;
};

/* The TIME_WAITs of port's connections that `before` did not list: those of the run.
 * A socket is matched by its addresses, whatever its state was, so the start's probe
 * connection, already listed, is not counted when it reaches TIME_WAIT later. */
static struct time_waits tcp_time_waits(unsigned port, const struct tcp_table *before)
{
	struct time_waits tw = {0};
	struct tcp_table now = {0};
	/* Closing is asynchronous: a close whose peer has not answered yet is in FIN_WAIT
	 * or LAST_ACK for a moment; wait until every one has settled (or 5 s went by). */
	for (int tries = 0; tries < 500; tries++) {
		tcp_read(port, &now);
		tw = (struct time_waits){0};
		for (int i = 0; i < now.n; i++) {
			const struct tcp_sock *s = &now.s[i];
			if (s->state == TCP_LISTEN || tcp_had(before, s))
				continue;
			if (s->state != TCP_TIME_WAIT)
				tw.unsettled++;
			else if (s->lport == port)
				tw.server++;
			else
				tw.client++;
		}
		if (!tw.unsettled)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	free(now.s);
	return tw;
}

/* The started local server's port, read from a task's URL. */
static unsigned local_port(const void *cfg)
{
	const struct workload *wl = workload_find("http");
	struct cb_err err = {0};
	struct taskset ts;
	cr_assert_eq(wl->build(cfg, 1, 0, &ts, &err), CB_OK, "%s", err.msg);
	unsigned port = 0;
	cr_assert_eq(sscanf(ts.tasks[0].steps[0].fetch.url, "http://127.0.0.1:%u/", &port), 1,
		     "url %s", ts.tasks[0].steps[0].fetch.url);
	wl->release(&ts);
	return port;
}

/* The connection policy, seen from the kernel: a GET after which its worker cannot
 * fetch again says `Connection: close`, so the server closes first and the TIME_WAIT
 * is the server's; a client holding them runs out of ephemeral ports to the server.
 * Every worker opens one connection, so the server holds one TIME_WAIT per worker:
 * N for a run of N tasks at once. serial has one worker, so it runs a few times, and
 * keeps its connection from one task to the next within each. */
Test(http, every_runner_leaves_its_time_waits_to_the_server, .init = setup)
{
	static const char *const kv[] = {"delay_ms", "20", "fetches", "1", NULL};
	enum { N = 50, SERIAL_N = 5, SERIAL_RUNS = 10, SLACK = 2 };
	unsigned used[32];
	int nused = 0;
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn)
	{
		struct cb_err err = {0};
		struct testcell tc;
		/* A TIME_WAIT lasts 60 s: each runner gets a port no earlier one used, or
		 * the last one's sockets would count as this one's. */
		unsigned port = 0;
		for (int tries = 0, fresh = 0; !fresh; tries++) {
			cr_assert_lt(tries, 10, "%s: no fresh port for the server", rn->name);
			cr_assert_eq(testcell_open(&tc, "http", kv, rn, NULL, &err), CB_OK, "%s",
				     err.msg);
			port = local_port(tc.cfg);
			fresh = 1;
			for (int i = 0; i < nused; i++)
				fresh &= used[i] != port;
			if (!fresh)
				testcell_close(&tc);
		}
		cr_assert_lt(nused, (int)(sizeof used / sizeof used[0]));
		used[nused++] = port;
		struct tcp_table before = {0};
		tcp_read(port, &before);
		int w = rn->one_at_a_time ? 1 : 0, n = rn->one_at_a_time ? SERIAL_N : N;
		int runs = rn->one_at_a_time ? SERIAL_RUNS : 1;
		for (int r = 0; r < runs; r++) {
			struct cellrun_out o;
			cr_expect_eq(testcell_run(&tc, n, w, &o), CB_OK, "%s: %s", rn->name, o.note);
			cr_expect_eq(o.tasks_ok, n, "%s: %d of %d tasks ok", rn->name, o.tasks_ok,
				     n);
		}
		struct time_waits tw = tcp_time_waits(port, &before);
		int conns = runs * runner_workers(n, w);
		cr_log_info("%s: %d connections, TIME_WAIT server %d client %d unsettled %d",
			    rn->name, conns, tw.server, tw.client, tw.unsettled);
		/* The slack is a race the server cannot close: it holds its last response's
		 * tail back for the FIN, but an ACK coming in between its send and its close
		 * pushes the tail out alone, and then the client may close first. */
		cr_expect_leq(tw.client, SLACK, "%s: the client holds %d TIME_WAITs", rn->name,
			      tw.client);
		/* More than conns: a worker that opened a second connection, or a client of
		 * another process that took this port for a free one (a test's dead port). */
		cr_expect(tw.server >= conns - SLACK && tw.server <= conns,
			  "%s: the server holds %d TIME_WAITs for %d connections", rn->name,
			  tw.server, conns);
		cr_expect_eq(tw.unsettled, 0, "%s: %d connections not closed", rn->name,
			     tw.unsettled);
		free(before.s);
		testcell_close(&tc);
	}
}
