/* Running an external program to its end (see extproc.h). It is our child, so whoever
 * reaps us (the trial child, through wait4) counts its CPU time and memory. */
#include "extproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

/* One of its output streams, cut into lines. */
struct stream {
	int fd;
	const char *prefix;  /* stdout: keep the lines beginning with it; stderr: NULL */
	bool out;
	bool pass;           /* copy what it reads to our stderr */
	char line[EXTPROC_LINE_MAX]; /* the line being read */
	size_t len;
	char *kept;          /* the last line worth keeping, EXTPROC_LINE_MAX bytes */
};

/* In the child: stdout and stderr to the pipes, stdin from /dev/null, then exec. */
static void child_exec(char *const argv[], int out, int errfd, pid_t parent)
{
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(errfd, STDERR_FILENO) < 0)
		_exit(127);
	/* Should its parent be killed (the trial's time-out), it goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int spawn(char *const argv[], int fds[2], pid_t *pid, struct cb_err *err)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return cb_fail_errno(err, CB_ESYS, "pipe for %s", argv[0]);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return cb_fail_errno(err, CB_ESYS, "pipe for %s", argv[0]);
	}
	fflush(NULL);
	pid_t parent = getpid();
	*pid = fork();
	if (*pid == 0)
		child_exec(argv, out[1], errp[1], parent);
	int e = errno;
	close(out[1]);
	close(errp[1]);
	if (*pid < 0) {
		close(out[0]);
		close(errp[0]);
		errno = e;
		return cb_fail_errno(err, CB_ESYS, "fork of %s", argv[0]);
	}
	fds[0] = out[0];
	fds[1] = errp[0];
	return CB_OK;
}

static void stream_end_line(struct stream *s)
{
	s->line[s->len] = '\0';
	bool keep = s->out ? s->prefix && strncmp(s->line, s->prefix, strlen(s->prefix)) == 0
			   : s->len > 0;
	if (keep)
		cb_copy(s->kept, s->line, EXTPROC_LINE_MAX);
	s->len = 0;
}

/* Reads what is there; returns false at end of file. Lines too long for the buffer are
 * cut: no protocol line is that long. */
static bool stream_read(struct stream *s)
{
	char buf[4096];
	ssize_t n = read(s->fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		if (s->len > 0)
			stream_end_line(s);
		return false;
	}
	if (s->pass && write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* our stderr is gone: the line is still kept for the note */
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			stream_end_line(s);
		else if (s->len < sizeof s->line - 1)
			s->line[s->len++] = buf[i];
	}
	return true;
}

/* Takes what it left in the pipes, without waiting for an end of file that a process
 * it left behind, holding them, could withhold for ever. */
static void stream_rest(struct stream *s)
{
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	/* Two pipefuls at most: such a process may go on writing. */
	for (int reads = 0; reads < 32 && stream_read(s); reads++)
		;
}

/* Milliseconds to the deadline for poll; -1 with none. */
static int ms_left(double deadline)
{
	if (deadline <= 0)
		return -1;
	double left = deadline - clock_now();
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* Until both streams end, or it exits (pidfd, -1 if none: then the caller's time-out
 * bounds this, such as the trial's, which kills the trial's whole process group), or
 * the deadline passes: then it is killed. */
static void drain(struct stream s[2], pid_t pid, int pidfd, struct extproc *p)
{
	bool open[2] = {true, true};
	double deadline = p->timeout_s > 0 ? clock_now() + p->timeout_s : 0;
	while (open[0] || open[1]) {
		struct pollfd pf[3] = {{.fd = open[0] ? s[0].fd : -1, .events = POLLIN},
				       {.fd = open[1] ? s[1].fd : -1, .events = POLLIN},
				       {.fd = pidfd, .events = POLLIN}};
		int n = poll(pf, 3, ms_left(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0 && deadline > 0 && clock_now() >= deadline) {
			kill(pid, SIGKILL);
			p->timed_out = true;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (open[i] && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				open[i] = stream_read(&s[i]);
		/* Everything it wrote is in the pipes by now: nothing can block a writer that
		 * has exited. */
		if (pf[2].revents & POLLIN)
			break;
	}
	for (int i = 0; i < 2; i++)
		if (open[i])
			stream_rest(&s[i]);
	close(s[0].fd);
	close(s[1].fd);
}

int extproc_run(char *const argv[], struct extproc *p, struct cb_err *err)
{
	p->status = 0;
	p->timed_out = false;
	p->line[0] = p->errline[0] = '\0';
	int fds[2] = {-1, -1};
	pid_t pid = -1;
	int rc = spawn(argv, fds, &pid, err);
	if (rc)
		return rc;
	struct stream s[2] = {{.fd = fds[0], .prefix = p->prefix, .out = true, .kept = p->line},
			      {.fd = fds[1], .pass = !p->quiet, .kept = p->errline}};
#ifdef SYS_pidfd_open
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	int pidfd = -1;
#endif
	drain(s, pid, pidfd, p);
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &p->status, 0) < 0 && errno == EINTR)
		;
	return CB_OK;
}

void extproc_end(const struct extproc *p, char *buf, size_t len)
{
	const char *why = p->errline[0] ? p->errline : "it printed nothing on stderr";
	if (p->timed_out)
		snprintf(buf, len, "gave no answer in %g s", p->timeout_s);
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(p->status),
			 strsignal(WTERMSIG(p->status)));
	else if (WEXITSTATUS(p->status) != 0)
		snprintf(buf, len, "exited with status %d: %s", WEXITSTATUS(p->status), why);
	else if (len > 0)
		buf[0] = '\0';
}
