/* concbench-httpd: delays, sizes, keep-alive, many clients, bad requests, SIGTERM. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "clock.h"
#include "httpd_client.h"

Test(httpd, delay_and_size_are_honoured)
{
	struct test_server s = test_server_start();
	static const struct {
		long ms, bytes;
	} cases[] = {{0, 0}, {0, 16}, {50, 16384}, {120, 1}, {60, 1 << 20}};
	int fd = test_connect(s.port);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char req[128];
		snprintf(req, sizeof req, "GET /delay/%ld/bytes/%ld HTTP/1.1\r\nHost: x\r\n\r\n",
			 cases[i].ms, cases[i].bytes);
		double t0 = clock_now();
		test_send(fd, req); /* the same connection each time: keep-alive */
		long body;
		cr_assert_eq(test_response(fd, &body), 200, "case %zu", i);
		double took = clock_now() - t0;
		cr_expect_eq(body, cases[i].bytes, "case %zu: %ld bytes", i, body);
		cr_expect_geq(took, cases[i].ms * 1e-3, "case %zu: %.4f s", i, took);
		cr_expect_lt(took, cases[i].ms * 1e-3 + 0.050, "case %zu: %.4f s", i, took);
	}
	close(fd);
	cr_expect_eq(test_server_stop(&s), 0, "SIGTERM ends it cleanly");
}

Test(httpd, root_answers_at_once)
{
	struct test_server s = test_server_start();
	int fd = test_connect(s.port);
	test_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	long body;
	cr_expect_eq(test_response(fd, &body), 200);
	cr_expect_eq(body, 16);
	close(fd);
	test_server_stop(&s);
}

Test(httpd, bad_requests_get_400_or_a_close_and_the_server_lives_on)
{
	struct test_server s = test_server_start();
	static const char *const bad[] = {
		"GET /delay/abc HTTP/1.1\r\n\r\n",
		"GET /delay/-5 HTTP/1.1\r\n\r\n",
		"GET /delay/99999999999999999999 HTTP/1.1\r\n\r\n",
		"GET /delay/10/bytes/999999999999 HTTP/1.1\r\n\r\n",
		"GET /nothing HTTP/1.1\r\n\r\n",
		"POST /delay/0 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		"this is not http\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = test_connect(s.port);
		test_send(fd, bad[i]);
		long body;
		int status = test_response(fd, &body);
		cr_expect(status == 400 || status == 0, "request %zu: status %d", i, status);
		close(fd);
	}
	/* Only HTTP/1.0 and 1.1 are spoken: others get 505 and the connection closes. */
	static const char *const versions[] = {"GET /delay/0 HTTP/9.9\r\n\r\n",
					       "GET /delay/0 HTTP/2.0\r\n\r\n",
					       "GET /delay/0 HTTP/1.2\r\n\r\n"};
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		int fd = test_connect(s.port);
		test_send(fd, versions[i]);
		long body;
		cr_expect_eq(test_response(fd, &body), 505, "'%.21s' was served", versions[i]);
		close(fd);
	}
	int fd10 = test_connect(s.port);
	test_send(fd10, "GET /delay/0/bytes/2 HTTP/1.0\r\n\r\n");
	long body10;
	cr_expect_eq(test_response(fd10, &body10), 200, "HTTP/1.0 is served");
	close(fd10);
	/* A request line of 100 KiB. */
	int fd = test_connect(s.port);
	char *huge = malloc(100 << 10);
	memset(huge, 'a', 100 << 10);
	memcpy(huge, "GET /", 5);
	huge[(100 << 10) - 1] = '\0';
	signal(SIGPIPE, SIG_IGN);
	(void)!write(fd, huge, strlen(huge));
	long body;
	int status = test_response(fd, &body);
	cr_expect(status == 400 || status == 0, "huge request line: status %d", status);
	free(huge);
	close(fd);
	/* A client that leaves mid-wait. */
	fd = test_connect(s.port);
	test_send(fd, "GET /delay/200 HTTP/1.1\r\n\r\n");
	close(fd);
	usleep(250000);
	fd = test_connect(s.port);
	test_send(fd, "GET /delay/0/bytes/3 HTTP/1.1\r\n\r\n");
	cr_expect_eq(test_response(fd, &body), 200, "still answering");
	cr_expect_eq(body, 3);
	close(fd);
	cr_expect_eq(test_server_stop(&s), 0);
}

Test(httpd, pipelined_requests_are_answered_in_order)
{
	struct test_server s = test_server_start();
	int fd = test_connect(s.port);
	test_send(fd, "GET /delay/30/bytes/5 HTTP/1.1\r\n\r\nGET /delay/0/bytes/7 HTTP/1.1\r\n\r\n");
	long body;
	cr_expect_eq(test_response(fd, &body), 200);
	cr_expect_eq(body, 5);
	cr_expect_eq(test_response(fd, &body), 200);
	cr_expect_eq(body, 7);
	close(fd);
	test_server_stop(&s);
}

Test(httpd, a_thousand_concurrent_delayed_connections)
{
	enum { N = 1000 };
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	struct test_server s = test_server_start();
	static int fds[N];
	double t0 = clock_now();
	for (int i = 0; i < N; i++) {
		fds[i] = test_connect(s.port);
		test_send(fds[i], "GET /delay/300/bytes/100 HTTP/1.1\r\n\r\n");
	}
	int ok = 0;
	for (int i = 0; i < N; i++) {
		long body;
		ok += test_response(fds[i], &body) == 200 && body == 100;
		close(fds[i]);
	}
	double took = clock_now() - t0;
	cr_expect_eq(ok, N, "%d of %d answered", ok, N);
	/* All waited at once: far less than two delays, never N of them. */
	cr_expect_lt(took, 2 * 0.300 + 0.5, "%.3f s", took);
	test_server_stop(&s);
}

static int open_fds(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	cr_assert(d, "%s", dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(httpd, clients_that_leave_mid_wait_are_dropped_at_once)
{
	enum { N = 50 };
	struct test_server s = test_server_start();
	int before = open_fds(s.pid), fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = test_connect(s.port);
		test_send(fds[i], "GET /delay/60000 HTTP/1.1\r\n\r\n");
	}
	usleep(200000);
	cr_expect_geq(open_fds(s.pid), before + N, "every client has a descriptor");
	for (int i = 0; i < N; i++)
		close(fds[i]);
	usleep(200000);
	cr_expect_eq(open_fds(s.pid), before, "not freed before the 60 s delay ends");
	cr_expect_eq(test_server_stop(&s), 0);
}

/* concbench-burst, the bare client the burst table uses as its floor: its status and
 * its one line. */
struct burst_out {
	int status;
	long fetches, ok, failed;
	double wall_s;
};

static struct burst_out burst(const char *args)
{
	const char *bin = getenv("CONCBENCH_BURST");
	cr_assert(bin && *bin, "CONCBENCH_BURST is not set");
	char cmd[512], line[256] = "";
	snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin, args);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	int st = pclose(f);
	struct burst_out o = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1};
	sscanf(line, "fetches %ld ok %ld failed %ld wall_s %lf", &o.fetches, &o.ok, &o.failed,
	       &o.wall_s);
	return o;
}

Test(httpd, burst_fetches_at_once_and_checks_every_answer)
{
	struct test_server s = test_server_start();
	char args[160];
	snprintf(args, sizeof args, "-n 200 http://127.0.0.1:%d/delay/100/bytes/3000", s.port);
	struct burst_out o = burst(args);
	cr_expect_eq(o.status, 0);
	cr_expect_eq(o.ok, 200, "%ld of 200 ok", o.ok);
	/* At once: 200 waits of 100 ms end together, nowhere near 200 in a row. */
	cr_expect(o.wall_s >= 0.1 && o.wall_s < 2.0, "%.3f s", o.wall_s);
	snprintf(args, sizeof args, "-n 5 http://127.0.0.1:%d/delay/abc", s.port);
	o = burst(args); /* a 400 is a failed fetch */
	cr_expect_eq(o.status, 1);
	cr_expect_eq(o.failed, 5, "%ld failed", o.failed);
	snprintf(args, sizeof args, "-n 3 -t 1 http://127.0.0.1:%d/delay/5000/bytes/1", s.port);
	o = burst(args); /* the deadline ends what is left */
	cr_expect_eq(o.status, 1);
	cr_expect_eq(o.failed, 3);
	cr_expect(o.wall_s < 2.0, "%.3f s past a 1 s deadline", o.wall_s);
	cr_expect_eq(test_server_stop(&s), 0);
}

Test(httpd, burst_counts_a_refused_server_and_refuses_bad_input)
{
	/* A port bound and let go again: nothing listens there. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	int port = ntohs(a.sin_port);
	char args[160];
	snprintf(args, sizeof args, "-n 4 http://127.0.0.1:%d/", port);
	struct burst_out o = burst(args);
	cr_expect_eq(o.status, 1);
	cr_expect_eq(o.failed, 4);
	static const char *const bad[] = {"-n 0 http://127.0.0.1:1/", "-n 100001 http://127.0.0.1:1/",
					  "http://localhost:1/", "https://127.0.0.1:1/",
					  "http://127.0.0.1:99999/", "-t 0 http://127.0.0.1:1/", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(burst(bad[i]).status, 2, "'%s' accepted", bad[i]);
}

/* A stray argument is refused (exit 2), not ignored. */
Test(httpd, refuses_stray_arguments)
{
	const char *path = getenv("CONCBENCH_HTTPD");
	cr_assert(path && *path, "CONCBENCH_HTTPD is not set");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(path, "concbench-httpd", "-p", "0", "8080", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	pid_t r = 0;
	/* Accepting it, the server would serve until killed: give it 5 s, then kill it. */
	for (int i = 0; i < 500 && (r = waitpid(pid, &st, WNOHANG)) == 0; i++)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %x", st);
}
