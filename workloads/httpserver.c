/* Running concbench-httpd beside the driver: fork and exec it in a group of its own,
 * read the port it prints, check that it answers, and stop it in order. */
#include "httpserver.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define HTTPSERVER_START_TIMEOUT_S 5.0
#define HTTPSERVER_STOP_TIMEOUT_S 2.0

void httpserver_path(char *buf, size_t len)
{
	const char *env = getenv("CONCBENCH_HTTPD");
	if (env && *env) {
		cb_copy(buf, env, len);
		return;
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/../workloads/httpd/concbench-httpd", self);
	if (access(buf, X_OK) != 0)
		snprintf(buf, len, "%s/concbench-httpd", self);
}

/* Reads the server's first line, its port, within the start time-out. */
static int httpserver_read_port(int fd, int *port, struct cb_err *err)
{
	char line[32];
	size_t got = 0;
	double until = clock_now() + HTTPSERVER_START_TIMEOUT_S;
	while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int left = (int)((until - clock_now()) * 1000);
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return cb_fail(err, CB_ESYS, "concbench-httpd did not report its port "
				       "within %.0f s", HTTPSERVER_START_TIMEOUT_S);
		ssize_t n = read(fd, line + got, sizeof line - 1 - got);
		if (n <= 0)
			return cb_fail(err, CB_ESYS, "concbench-httpd exited before it listened "
				       "(see its message above)");
		got += (size_t)n;
	}
	line[got] = '\0';
	*port = atoi(line);
	if (*port <= 0 || *port > 65535)
		return cb_fail(err, CB_ESYS, "concbench-httpd reported port '%s'", line);
	return CB_OK;
}

/* The port line comes after listen(), so one connect normally settles it; a few
 * tries cover a server that printed and then failed. */
static int httpserver_wait_answering(int port, struct cb_err *err)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	for (int tries = 0; tries < 50; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return cb_fail_errno(err, CB_ESYS, "socket");
		int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
		close(fd);
		if (rc == 0)
			return CB_OK;
		nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
	}
	return cb_fail(err, CB_ESYS, "concbench-httpd reported port %d but does not accept "
		       "connections on 127.0.0.1:%d", port, port);
}

/* The child's side: never returns. */
static void httpserver_exec(const char *path, int out, pid_t parent)
{
	/* Its own group, so Ctrl-C reaches the driver, which then stops it in order. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* exec keeps the mask: the server must see the SIGTERM that stops it. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (getppid() != parent || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	execl(path, "concbench-httpd", "-p", "0", (char *)NULL);
	_exit(127);
}

int httpserver_start(struct httpserver *s, struct cb_err *err)
{
	if (s->pid > 0)
		return CB_OK;
	char path[4200];
	httpserver_path(path, sizeof path);
	if (access(path, X_OK) != 0)
		return cb_fail_errno(err, CB_ESYS, "cannot run the delay server '%s' (build it, "
				     "or set CONCBENCH_HTTPD)", path);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cb_fail_errno(err, CB_ESYS, "pipe");
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return cb_fail_errno(err, CB_ESYS, "fork of the delay server");
	}
	if (pid == 0)
		httpserver_exec(path, fds[1], parent);
	close(fds[1]);
	s->pid = pid;
	int rc = httpserver_read_port(fds[0], &s->port, err);
	close(fds[0]);
	if (rc || (rc = httpserver_wait_answering(s->port, err)))
		httpserver_stop(s);
	return rc;
}

void httpserver_stop(struct httpserver *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	double until = clock_now() + HTTPSERVER_STOP_TIMEOUT_S;
	while (waitpid(s->pid, NULL, WNOHANG) == 0) {
		if (clock_now() > until) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	*s = (struct httpserver){0};
}
