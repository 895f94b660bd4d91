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

void syslimits_describe(char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "limits: RLIMIT_NPROC %ld, kernel.threads-max %ld, kernel.pid_max %ld, "
			 "vm.max_map_count %ld, RLIMIT_NOFILE %ld",
			 soft_limit(RLIMIT_NPROC), read_proc_long("/proc/sys/kernel/threads-max"),
			 read_proc_long("/proc/sys/kernel/pid_max"),
			 read_proc_long("/proc/sys/vm/max_map_count"), soft_limit(RLIMIT_NOFILE));
	/* An address-space cap (ulimit -v) refuses stacks and mappings as if memory ran
	 * out; named only when there is one, as it seldom is. */
	long as = soft_limit(RLIMIT_AS);
	if (n >= 0 && (size_t)n < len && as >= 0)
		n += snprintf(buf + n, len - (size_t)n, ", RLIMIT_AS %ld MiB", as >> 20);
	if (n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (-1: unlimited)");
}

int syslimits_refused(struct cb_err *err, int code, int e, const char *what, int i, int n)
{
	char lim[256];
	syslimits_describe(lim, sizeof lim);
	return cb_fail(err, code, "%s refused worker %d of %d: %s (%s)", what, i, n, strerror(e),
		       lim);
}
