/* Ending a process's descendants: list its children in /proc, SIGKILL, reap, again.
 * Only async-signal-safe calls (open, read, getdents64, kill, waitpid, nanosleep,
 * clock_gettime): no stdio, no malloc, no opendir. */
#include "reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* What getdents64 fills in; glibc declares it only under _GNU_SOURCE. */
struct reaper_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

int reaper_adopt(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1);
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static long to_long(const char *s)
{
	long v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* Calls fn for each entry of a /proc folder whose name is a number. */
static bool each_number(const char *dir, void (*fn)(const char *name, void *ud), void *ud)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	long got;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < got;) {
			const struct reaper_dirent *d = (const void *)(buf + off);
			off += d->reclen;
			if (d->name[0] >= '0' && d->name[0] <= '9')
				fn(d->name, ud);
		}
	close(fd);
	return true;
}

struct listing {
	pid_t *pids;
	int n, max;
	bool listed; /* a children file was read */
};

/* Takes the whole numbers of text, each ended by a space (a cut one is not). */
static void take_pids(struct listing *l, const char *text, ssize_t len)
{
	long v = -1;
	for (ssize_t i = 0; i < len && l->n < l->max; i++) {
		if (text[i] >= '0' && text[i] <= '9')
			v = (v < 0 ? 0 : v * 10) + (text[i] - '0');
		else if (v >= 0) {
			l->pids[l->n++] = (pid_t)v;
			v = -1;
		}
	}
}

static void from_task(const char *tid, void *ud)
{
	struct listing *l = ud;
	char path[96], text[4096];
	*put_str(put_str(put_str(path, "/proc/self/task/"), tid), "/children") = '\0';
	ssize_t len = read_small(path, text, sizeof text);
	if (len < 0)
		return;
	l->listed = true;
	take_pids(l, text, len);
}

/* Without /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN): every process's
 * parent, from its stat line ("pid (comm) state ppid ..."; comm may hold ')'). */
static void from_stat(const char *pid, void *ud)
{
	struct listing *l = ud;
	char path[64], text[512];
	*put_str(put_str(put_str(path, "/proc/"), pid), "/stat") = '\0';
	ssize_t len = read_small(path, text, sizeof text - 1);
	if (len < 0)
		return;
	text[len] = '\0';
	const char *close_paren = NULL;
	for (ssize_t i = 0; i < len; i++)
		if (text[i] == ')')
			close_paren = text + i;
	if (!close_paren || close_paren + 4 >= text + len)
		return;
	if (to_long(close_paren + 4) == (long)getpid() && l->n < l->max)
		l->pids[l->n++] = (pid_t)to_long(pid);
}

int reaper_children(pid_t *pids, int max)
{
	struct listing l = {.pids = pids, .max = max};
	if (each_number("/proc/self/task", from_task, &l) && l.listed)
		return l.n;
	l.n = 0;
	return each_number("/proc", from_stat, &l) ? l.n : -1;
}

static bool kept(pid_t pid, const pid_t *keep, int nkeep)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == pid)
			return true;
	return false;
}

int reaper_kill_all(const pid_t *keep, int nkeep, double timeout_s)
{
	double until = clock_now() + timeout_s;
	int reaped = 0;
	while (clock_now() <= until) {
		pid_t kids[REAPER_MAX];
		int n = reaper_children(kids, REAPER_MAX), left = 0;
		for (int i = 0; i < n; i++)
			if (!kept(kids[i], keep, nkeep))
				kids[left++] = kids[i];
		if (left == 0)
			break;
		int m = left;
		for (int i = 0; i < m; i++)
			kill(kids[i], SIGKILL);
		/* A process's orphans are ours before it can be reaped, so once every one
		 * of this round is reaped, the next listing holds all they left. */
		while (left > 0) {
			for (int i = 0; i < m; i++) {
				if (kids[i] <= 0)
					continue;
				pid_t r = waitpid(kids[i], NULL, WNOHANG);
				if (r == kids[i] || (r < 0 && errno != EINTR)) {
					reaped += r > 0;
					kids[i] = 0;
					left--;
				}
			}
			if (left > 0 && clock_now() > until)
				return reaped;
			if (left > 0)
				nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
		}
	}
	return reaped;
}
