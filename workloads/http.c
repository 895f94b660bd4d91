/* http: each task makes `fetches` GETs in a row (the luminousmen article's io_bound
 * task: four sites one after another). With no http.url the workload's start runs the
 * local delay server (concbench-httpd, workloads/httpserver.c) before the run and its
 * finish stops it after, and every GET asks it for `bytes` bytes after `delay_ms`: a
 * remote site without the internet, and with a known ideal time. Each response is
 * checked: status 200 and, against the local server, exactly `bytes` bytes. The
 * runners size their receive buffers from that expected size (runners/fetch.c). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fdlimit.h"
#include "httpserver.h"
#include "workload.h"

#define HTTP_URLS_MAX 64
#define HTTP_FETCHES_MAX 1000

struct http_cfg {
	int fetches;
	double delay_ms;
	long bytes, timeout_ms;
	long buffer;               /* the receive buffer asked for, in bytes; 0: the runner's */
	char *urls[HTTP_URLS_MAX]; /* given by the user, or the local server's one */
	int nurls;
	bool local;                /* no URL given: the workload runs the server */
	struct httpserver server;  /* the local server while it runs */
	/* nurls rows of `fetches` steps; row r starts at URL r, so the tasks walk the
	 * URLs in turn (task k's fetch j goes to URL (k * fetches + j) mod nurls). */
	struct step *steps;
};

static const struct param_spec http_params[] = {
	{"fetches", PARAM_INT, "1", 1, HTTP_FETCHES_MAX, NULL, "GETs in a row per task", false},
	{"delay_ms", PARAM_MS, "100", 0, 3600000, NULL,
	 "how long the local server waits before it answers", true},
	{"bytes", PARAM_INT, "16384", 0, 64 << 20, NULL, "body size the local server sends",
	 false},
	{"timeout_ms", PARAM_MS, "30000", 1, 3600000, NULL, "a GET taking longer fails", false},
	{"buffer_kib", PARAM_INT, "0", 0, 512, NULL,
	 "the client's receive buffer per connection in KiB; 0: up to 256 connections at "
	 "once the whole local response (16 at least, curl's default), 4 above, where the "
	 "pages cost more than the recv calls",
	 false},
	{"url", PARAM_STRS, "", 0, 0, NULL,
	 "real URLs instead of the local server (http:// or https://); the tasks' fetches "
	 "go through them in turn", false},
	{0},
};

static void http_free(void *cfg)
{
	struct http_cfg *c = cfg;
	if (!c)
		return;
	for (int i = 0; i < c->nurls; i++)
		free(c->urls[i]);
	free(c->steps);
	free(c);
}

/* Only a whole http(s) URL with a host gets through: curl's own parser decides. */
static int http_check_url(const char *url, struct cb_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = CB_OK;
	if (!u)
		return cb_fail(err, CB_ESYS, "http.url: no memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		rc = cb_fail(err, CB_EINVAL, "http.url: '%s' is not a valid URL "
			     "(allowed: http://host/... or https://host/...)", url);
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		rc = cb_fail(err, CB_EINVAL, "http.url: '%s': scheme '%s' is not supported "
			     "(allowed: http, https)", url, scheme ? scheme : "");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int http_make_steps(struct http_cfg *c, struct cb_err *err)
{
	struct step *s = malloc(sizeof *s * (size_t)c->nurls * (size_t)c->fetches);
	if (!s)
		return cb_fail(err, CB_ESYS, "http: no memory for %d x %d steps", c->nurls,
			       c->fetches);
	for (int r = 0; r < c->nurls; r++)
		for (int j = 0; j < c->fetches; j++)
			s[r * c->fetches + j] = (struct step){
				.kind = STEP_FETCH,
				.fetch = {.url = c->urls[(r + j) % c->nurls], .status = 200,
					  .bytes = c->local ? c->bytes : -1,
					  .timeout_ms = c->timeout_ms, .buffer = c->buffer}};
	free(c->steps);
	c->steps = s;
	return CB_OK;
}

/* Splits http.url and checks every URL; a list cut short would go unnoticed. */
static int http_take_urls(struct http_cfg *c, const struct params *p, struct cb_err *err)
{
	char buf[8192], *urls[HTTP_URLS_MAX + 1];
	if (strlen(params_str(p, "url")) >= sizeof buf)
		return cb_fail(err, CB_EINVAL, "http.url: the list is longer than %zu characters",
			       sizeof buf - 1);
	int n = params_strs(p, "url", urls, HTTP_URLS_MAX + 1, buf, sizeof buf);
	if (n > HTTP_URLS_MAX)
		return cb_fail(err, CB_EINVAL, "http.url: more than %d URLs", HTTP_URLS_MAX);
	for (int i = 0; i < n; i++) {
		int rc = http_check_url(urls[i], err);
		if (rc)
			return rc;
		if (!(c->urls[c->nurls] = strdup(urls[i])))
			return cb_fail_errno(err, CB_ESYS, "http");
		c->nurls++;
	}
	return CB_OK;
}

static int http_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct http_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "http");
	c->fetches = (int)params_int(p, "fetches");
	c->delay_ms = params_ms(p, "delay_ms");
	c->bytes = (long)params_int(p, "bytes");
	c->timeout_ms = (long)ceil(params_ms(p, "timeout_ms"));
	c->buffer = (long)params_int(p, "buffer_kib") * 1024;
	int rc = http_take_urls(c, p, err);
	c->local = c->nurls == 0;
	if (rc == CB_OK && !c->local)
		rc = http_make_steps(c, err);
	if (rc) {
		http_free(c);
		return rc;
	}
	*cfg = c;
	return CB_OK;
}

static int http_start(void *cfg, struct cb_err *err)
{
	struct http_cfg *c = cfg;
	if (!c->local || c->server.pid > 0)
		return CB_OK;
	int rc = httpserver_start(&c->server, err);
	if (rc)
		return rc;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/delay/%.6g/bytes/%ld", c->server.port,
		 floor(c->delay_ms), c->bytes);
	char *copy = strdup(url);
	if (!copy)
		return cb_fail_errno(err, CB_ESYS, "http");
	free(c->urls[0]); /* a second start after a finish */
	c->urls[0] = copy;
	c->nurls = 1;
	fdlimit_raise(); /* the clients hold a descriptor per connection */
	return http_make_steps(c, err);
}

static void http_finish(void *cfg)
{
	struct http_cfg *c = cfg;
	if (c)
		httpserver_stop(&c->server);
}

static int http_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		      struct cb_err *err)
{
	(void)workers;
	const struct http_cfg *c = cfg;
	if (!c->steps)
		return cb_fail(err, CB_ESYS, "http: the delay server was not started");
	int rc = taskset_alloc(ts, ntasks, c->steps, c->fetches, err);
	if (rc)
		return rc;
	for (int k = 0; k < ntasks; k++)
		ts->tasks[k].steps =
			&c->steps[(int)((int64_t)k * c->fetches % c->nurls) * c->fetches];
	return CB_OK;
}

static double http_ideal(const void *cfg, int ntasks, int workers)
{
	const struct http_cfg *c = cfg;
	if (!c->local)
		return -1;
	int w = runner_workers(ntasks, workers);
	int rounds = w > 0 ? (ntasks + w - 1) / w : 0;
	return rounds * c->fetches * floor(c->delay_ms) * 1e-3;
}

/* The bare client: $CONCBENCH_BURST, else beside the delay server. */
static void http_burst_path(char *buf, size_t len)
{
	const char *env = getenv("CONCBENCH_BURST");
	if (env && *env) {
		cb_copy(buf, env, len);
		return;
	}
	httpserver_path(buf, len);
	char *slash = strrchr(buf, '/');
	size_t at = slash ? (size_t)(slash + 1 - buf) : 0;
	snprintf(buf + at, len - at, "concbench-burst");
}

/* Runs the bare client once; reads its one line within the time-out. */
static int http_burst_once(const char *path, const struct http_cfg *c, int ntasks,
			   double *wall_s, struct cb_err *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cb_fail_errno(err, CB_ESYS, "pipe");
	char n[16], t[16];
	double limit = ntasks * 0.001 + c->delay_ms * 1e-3 + 30;
	snprintf(n, sizeof n, "%d", ntasks);
	snprintf(t, sizeof t, "%.0f", ceil(limit));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return cb_fail_errno(err, CB_ESYS, "fork of concbench-burst");
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(path, "concbench-burst", "-n", n, "-t", t, c->urls[0], (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[256];
	size_t got = 0;
	double until = clock_now() + limit + 5;
	for (;;) {
		struct pollfd pf = {.fd = fds[0], .events = POLLIN};
		int left = (int)((until - clock_now()) * 1000);
		if (left <= 0 || poll(&pf, 1, left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		ssize_t r = read(fds[0], line + got, sizeof line - 1 - got);
		if (r <= 0 || (got += (size_t)r) == sizeof line - 1)
			break;
	}
	line[got] = '\0';
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	long ok = 0, failed = -1;
	if (sscanf(line, "fetches %*d ok %ld failed %ld wall_s %lf", &ok, &failed, wall_s) != 3)
		return cb_fail(err, CB_EFAIL, "concbench-burst (%s) gave no result (exit status "
			       "%d)", path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	if (failed)
		return cb_fail(err, CB_EFAIL, "concbench-burst: %ld of %d fetches failed", failed,
			       ntasks);
	return CB_OK;
}

/* The same GETs by hand: one GET per task, all at once on fresh connections, is what
 * concbench-burst does; other shapes have no bare client here. */
static int http_floor(const void *cfg, int ntasks, int workers, double *overhead_s,
		      struct cb_err *err)
{
	const struct http_cfg *c = cfg;
	*overhead_s = NAN;
	if (!c->local || c->server.pid <= 0)
		return cb_fail(err, CB_OK, "no bare client for URLs of your own");
	if (c->fetches != 1 || runner_workers(ntasks, workers) != ntasks)
		return cb_fail(err, CB_OK, "the bare client does one GET per task, all at once");
	char path[4200];
	http_burst_path(path, sizeof path);
	if (access(path, X_OK) != 0)
		return cb_fail(err, CB_OK, "no bare client at '%s' (build it, or set "
			       "CONCBENCH_BURST)", path);
	double wall = NAN;
	int rc = http_burst_once(path, c, ntasks, &wall, err);
	if (rc == CB_OK)
		*overhead_s = wall - http_ideal(cfg, ntasks, workers);
	return rc;
}

const struct workload http_workload = {
	.name = "http",
	.summary = "fetches GETs in a row per task, from the local delay server or real URLs",
	.params = http_params,
	.configure = http_configure,
	.config_free = http_free,
	.start = http_start,
	.finish = http_finish,
	.build = http_build,
	.release = taskset_free,
	.ideal_s = http_ideal,
	.floor = http_floor,
	.floor_what = "concbench-burst: one GET per task at once on fresh connections, bare epoll",
};
