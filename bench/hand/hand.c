/* The helpers of hand.h. */
#include "hand.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool hand_number(const char *s, long lo, long hi, long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9' || p - s > 18)
			return false;
	errno = 0;
	long v = strtol(s, NULL, 10);
	if (errno || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int hand_refuse(const char *prog, const char *name, const char *s, long lo, long hi)
{
	fprintf(stderr, "%s: %s '%s': allowed a whole number from %ld to %ld\n", prog, name, s,
		lo, hi);
	return 2;
}

int hand_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return 2;
}

bool hand_sem_wait(sem_t *s)
{
	struct timespec until;
	int rc;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += HAND_WAIT_S;
	while ((rc = sem_clockwait(s, CLOCK_MONOTONIC, &until)) < 0 && errno == EINTR)
		;
	return rc == 0;
}

double hand_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double hand_peak_rss(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	const char *hwm = strstr(buf, "\nVmHWM:");
	return hwm ? strtod(hwm + 7, NULL) * 1024 : -1;
}

bool hand_report(const char *prog, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = vprintf(fmt, ap) >= 0 && putchar('\n') != EOF && fflush(stdout) == 0;
	va_end(ap);
	if (!ok)
		fprintf(stderr, "%s: stdout: %s\n", prog, strerror(errno));
	return ok;
}

double hand_stamp(void)
{
	static double now;
	static int left;
	if (left-- > 0)
		return now;
	left = HAND_STAMP_EVERY - 1;
	return now = hand_now();
}
