/* Running one trial child, and measuring it from outside: fork, pipe, pidfd, poll,
 * the timeout, wait4, ending what it left. */
#include "trial.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "reaper.h"

/* How long ending what a trial left may take: SIGKILL is quick, but a process in an
 * uninterruptible sleep dies only when it wakes. */
#define TRIAL_REAP_S 5.0

static volatile sig_atomic_t trial_stop;

/* Called about every TRIAL_TICK_S while the driver waits for a trial child. */
static void (*tick_fn)(void *arg);
static void *tick_arg;

void trial_on_tick(void (*fn)(void *arg), void *arg)
{
	tick_fn = fn;
	tick_arg = arg;
}

void trial_request_stop(void)
{
	trial_stop = 1;
}

bool trial_stop_requested(void)
{
	return trial_stop != 0;
}

/* The kernel's count of OOM kills since boot (any cgroup's), or -1 without one. */
static long oom_kills_now(void)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char line[128];
	long n = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "oom_kill %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* The driver died (PR_SET_PDEATHSIG): the trial ends, and everything below it with
 * it, so that nothing the run started keeps running. */
static void child_orphaned(int sig)
{
	(void)sig;
	reaper_kill_all(NULL, 0, TRIAL_REAP_S);
	_exit(1);
}

/* Orphans below the trial, even in sessions of their own, become this child's; and
 * the driver's death reaches it as a SIGTERM it cannot miss. */
static void child_tie_to(pid_t parent)
{
	reaper_adopt();
	struct sigaction sa = {.sa_handler = child_orphaned};
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL); /* a mask is inherited */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* it died before the prctl */
		child_orphaned(SIGTERM);
}

static void child_main(trial_body_fn body, void *arg, void *rec, size_t len, int fd,
		       pid_t parent)
{
	setpgid(0, 0);
	child_tie_to(parent);
	signal(SIGINT, SIG_DFL);
	/* A trial that asks for more memory than the machine has is the one the OOM
	 * killer should take, never the driver holding every other trial's rows. */
	int fd_oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd_oom >= 0) {
		if (write(fd_oom, "1000", 4) < 0) {
			/* not allowed to change it: the trial still runs */
		}
		close(fd_oom);
	}
	body(arg, rec);
	/* Nothing the trial started outlives its record; body has stopped the clock. */
	reaper_kill_all(NULL, 0, TRIAL_REAP_S);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, (char *)rec + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(4);
		off += (size_t)n;
	}
	_exit(0);
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static bool child_exited(pid_t pid)
{
	siginfo_t si = {0};
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* The record as it comes in. */
struct trial_rec {
	void *buf;
	size_t len, off;
};

/* Reads what is there of the record; returns false at end of file. */
static bool read_some(int fd, struct trial_rec *r, struct trial_seen *s)
{
	while (r->off < r->len) {
		ssize_t n = read(fd, (char *)r->buf + r->off, r->len - r->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && errno == EAGAIN;
		r->off += (size_t)n;
	}
	s->got = true;
	return true;
}

/* keep: the driver's children before the trial (a server), which are not the trial's. */
static void parent_wait(pid_t pid, int fd, struct trial_rec *r, double timeout_s, double t0,
			struct trial_seen *s, const pid_t *keep, int nkeep)
{
	int pfd = pidfd_of(pid);
	bool open = true;
	double next_tick = t0 + TRIAL_TICK_S;
	for (;;) {
		if (trial_stop) {
			s->stopped = true;
			break;
		}
		double left = t0 + timeout_s - clock_now();
		if (left <= 0) {
			s->timed_out = true;
			break;
		}
		struct pollfd pf[2] = {{.fd = open ? fd : -1, .events = POLLIN},
				       {.fd = pfd, .events = POLLIN}};
		double wait = tick_fn && next_tick - clock_now() < left ? next_tick - clock_now() : left;
		int ms = pfd >= 0 ? (wait > 0 ? (int)(wait * 1000) + 1 : 0) : 10;
		int n = poll(pf, 2, ms);
		if (tick_fn && clock_now() >= next_tick) {
			tick_fn(tick_arg);
			next_tick = clock_now() + TRIAL_TICK_S;
		}
		if (n < 0 && errno != EINTR)
			break;
		if (open && (pf[0].revents & (POLLIN | POLLHUP)))
			open = read_some(fd, r, s);
		/* The record is the child's last act before _exit: reap it now rather than
		 * wait for one more wake-up. */
		if (s->got)
			break;
		if ((pfd >= 0 && (pf[1].revents & POLLIN)) || (pfd < 0 && child_exited(pid))) {
			read_some(fd, r, s);
			break;
		}
	}
	/* Anything else, and nothing of this trial may outlive it: its whole group goes.
	 * (A child that reported has ended everything below it.) */
	if (!s->got)
		kill(-pid, SIGKILL);
	if (s->timed_out || s->stopped)
		kill(pid, SIGKILL);
	while (wait4(pid, &s->status, 0, &s->ru) < 0 && errno == EINTR)
		;
	s->elapsed_s = clock_now() - t0;
	/* A trial child killed before it could end its descendants (its timeout, a crash,
	 * the OOM killer) left them to the driver, a subreaper: the group kill misses those
	 * in sessions of their own. */
	reaper_kill_all(keep, nkeep, TRIAL_REAP_S);
	long oom = s->oom_kills >= 0 ? oom_kills_now() : -1;
	s->oom_kills = oom >= s->oom_kills ? oom - s->oom_kills : -1;
	if (pfd >= 0)
		close(pfd);
}

int trial_spawn(trial_body_fn body, void *arg, void *rec, size_t len, double timeout_s,
		struct trial_seen *s, struct cb_err *err)
{
	int fds[2];
	*s = (struct trial_seen){0};
	if (len > PIPE_BUF)
		return cb_fail(err, CB_EINVAL, "a trial record of %zu bytes: at most %d", len,
			       PIPE_BUF);
	memset(rec, 0, len);
	struct trial_rec r = {rec, len, 0};
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cb_fail_errno(err, CB_ESYS, "trial pipe");
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	/* Unflushed stdio would be written twice, once by each process. */
	fflush(NULL);
	/* So the orphans of a trial that died come back to the driver, which ends them. */
	reaper_adopt();
	pid_t keep[REAPER_MAX];
	int nkeep = reaper_children(keep, REAPER_MAX);
	pid_t parent = getpid();
	s->oom_kills = oom_kills_now();
	double t0 = clock_now();
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return cb_fail_errno(err, CB_ESYS, "fork of a trial child");
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(body, arg, rec, len, fds[1], parent);
	}
	setpgid(pid, pid); /* both sides set it, so neither can race the other */
	close(fds[1]);
	parent_wait(pid, fds[0], &r, timeout_s, t0, s, keep, nkeep > 0 ? nkeep : 0);
	close(fds[0]);
	return s->stopped ? cb_fail(err, CB_EINTR, "interrupted") : CB_OK;
}

/* Why a trial child ended without its record. A SIGKILL the driver did not send,
 * while the kernel's OOM count rose, is the OOM killer's: nothing else says so. */
void trial_exit_note(const struct trial_seen *s, char *buf, size_t len)
{
	if (WIFSIGNALED(s->status) && WTERMSIG(s->status) == SIGKILL && s->oom_kills > 0)
		snprintf(buf, len, "trial child killed by the OOM killer (signal 9; peak RSS %ld MiB)",
			 s->ru.ru_maxrss / 1024);
	else if (WIFSIGNALED(s->status))
		snprintf(buf, len, "trial child killed by signal %d (%s)", WTERMSIG(s->status),
			 strsignal(WTERMSIG(s->status)));
	else if (WIFEXITED(s->status))
		snprintf(buf, len, "trial child exited with status %d before reporting",
			 WEXITSTATUS(s->status));
}

/* A trial that reported a failure while the OOM killer took processes: one of them
 * was likely its own (a worker, a peer's), which its note alone may not say. */
void trial_oom_note(const struct trial_seen *s, char *note, size_t len)
{
	if (s->oom_kills <= 0)
		return;
	size_t used = strnlen(note, len - 1);
	snprintf(note + used, len - used, "%sthe OOM killer killed %ld process%s during the trial",
		 used ? "; " : "", s->oom_kills, s->oom_kills == 1 ? "" : "es");
}
