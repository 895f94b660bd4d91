/* Reading the limits that cap how many threads, processes and mappings one can make. */
#include "syslimits.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static long read_proc_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long soft_limit(int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return -1;
	return (long)rl.rlim_cur;
}

/* "RLIMIT_AS 15.3 GiB", or "RLIMIT_AS unlimited": what every stack and heap counts against. */
static void syslimits_address_space(char *buf, size_t len)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		snprintf(buf, len, "RLIMIT_AS unlimited");
	else if (rl.rlim_cur >= (rlim_t)1 << 30)
		snprintf(buf, len, "RLIMIT_AS %.1f GiB", (double)rl.rlim_cur / (1 << 30));
	else
		snprintf(buf, len, "RLIMIT_AS %.1f MiB", (double)rl.rlim_cur / (1 << 20));
}

void syslimits_memory(char *buf, size_t len)
{
	char as[48];
	syslimits_address_space(as, sizeof as);
	long data = soft_limit(RLIMIT_DATA);
	if (data < 0)
		snprintf(buf, len, "%s, RLIMIT_DATA unlimited, vm.max_map_count %ld", as,
			 read_proc_long("/proc/sys/vm/max_map_count"));
	else
		snprintf(buf, len, "%s, RLIMIT_DATA %.1f MiB, vm.max_map_count %ld", as,
			 (double)data / (1 << 20), read_proc_long("/proc/sys/vm/max_map_count"));
}

void syslimits_describe(char *buf, size_t len)
{
	char as[48];
	syslimits_address_space(as, sizeof as);
	snprintf(buf, len,
		 "limits: %s, RLIMIT_NPROC %ld, kernel.threads-max %ld, kernel.pid_max %ld, "
		 "vm.max_map_count %ld, RLIMIT_NOFILE %ld (-1: unlimited)", as,
		 soft_limit(RLIMIT_NPROC), read_proc_long("/proc/sys/kernel/threads-max"),
		 read_proc_long("/proc/sys/kernel/pid_max"),
		 read_proc_long("/proc/sys/vm/max_map_count"), soft_limit(RLIMIT_NOFILE));
}

int syslimits_refused(struct cb_err *err, int code, int e, const char *what, int i, int n)
{
	char lim[256];
	syslimits_describe(lim, sizeof lim);
	return cb_fail(err, code, "%s refused worker %d of %d: %s (%s)", what, i, n, strerror(e),
		       lim);
}
