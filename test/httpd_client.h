/* Test helpers shared by the HTTP suites: start concbench-httpd, talk to it raw. */
#ifndef CB_TEST_HTTPD_CLIENT_H
#define CB_TEST_HTTPD_CLIENT_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct test_server {
	pid_t pid;
	int port;
};

/* Starts the built server (CONCBENCH_HTTPD) on a free port. */
static inline struct test_server test_server_start(void)
{
	const char *path = getenv("CONCBENCH_HTTPD");
	cr_assert(path && *path, "CONCBENCH_HTTPD is not set");
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execl(path, "concbench-httpd", "-p", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[32] = {0};
	struct pollfd pf = {.fd = fds[0], .events = POLLIN};
	cr_assert_eq(poll(&pf, 1, 5000), 1, "the server did not print its port");
	cr_assert_gt(read(fds[0], line, sizeof line - 1), 0);
	close(fds[0]);
	struct test_server s = {.pid = pid, .port = atoi(line)};
	cr_assert_gt(s.port, 0, "port line '%s'", line);
	return s;
}

/* Stops it with SIGTERM; returns its exit status (0 when it stopped cleanly). */
static inline int test_server_stop(struct test_server *s)
{
	int status = -1;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline int test_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
	return fd;
}

static inline void test_send(int fd, const char *req)
{
	size_t n = strlen(req), off = 0;
	while (off < n) {
		ssize_t w = write(fd, req + off, n - off);
		cr_assert_gt(w, 0);
		off += (size_t)w;
	}
}

/* Waits for fd to be readable; false after 10 s or on a closed connection. */
static inline bool test_readable(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	return poll(&pf, 1, 10000) == 1;
}

/* Reads exactly one response (so pipelined ones stay apart): its status, 0 if the
 * connection closed first, and its body size. */
static inline int test_response(int fd, long *body)
{
	char head[4096];
	size_t got = 0;
	*body = 0;
	while (got < sizeof head - 1) { /* the head, a byte at a time, to stop at its end */
		if (!test_readable(fd) || read(fd, head + got, 1) != 1)
			return 0;
		got++;
		if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[got] = '\0';
	char *cl = strstr(head, "Content-Length: ");
	long want = cl ? atol(cl + 16) : 0;
	static char scratch[1 << 16];
	while (*body < want) {
		size_t n = (size_t)(want - *body) < sizeof scratch ? (size_t)(want - *body)
								   : sizeof scratch;
		ssize_t r = test_readable(fd) ? read(fd, scratch, n) : -1;
		if (r <= 0)
			return 0;
		*body += r;
	}
	return atoi(head + 9);
}

#endif
