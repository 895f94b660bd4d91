/* Reading what machine this is. */
#include "sysinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "version.h"

void sysinfo_add(struct sysinfo *si, const char *key, const char *fmt, ...)
{
	if (si->n >= SYSINFO_MAX)
		return;
	snprintf(si->kv[si->n].key, sizeof si->kv[0].key, "%s", key);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(si->kv[si->n].value, sizeof si->kv[0].value, fmt, ap);
	va_end(ap);
	si->n++;
}

const char *sysinfo_get(const struct sysinfo *si, const char *key)
{
	for (int i = 0; i < si->n; i++)
		if (strcmp(si->kv[i].key, key) == 0)
			return si->kv[i].value;
	return NULL;
}

int sysinfo_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon && strncmp(line, "model name", 10) == 0) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

void sysinfo_collect(struct sysinfo *si, int argc, char **argv)
{
	char buf[480];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sysinfo_add(si, "date", "%s", buf);
	sysinfo_add(si, "version", "%s", CB_VERSION);
	sysinfo_add(si, "commit", "%s", CB_COMMIT);
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < argc && off < sizeof buf; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", i ? " " : "", argv[i]);
	sysinfo_add(si, "command", "%s", buf);
	cpu_model(buf, sizeof buf);
	sysinfo_add(si, "cpu", "%s", buf);
	sysinfo_add(si, "cores", "%d", sysinfo_cores());
	struct utsname u;
	if (uname(&u) == 0) {
		sysinfo_add(si, "kernel", "%s %s", u.sysname, u.release);
		sysinfo_add(si, "arch", "%s", u.machine);
		sysinfo_add(si, "host", "%s", u.nodename);
	}
	sysinfo_add(si, "compiler", "%s", __VERSION__);
	sysinfo_add(si, "build", "%s", CB_BUILD);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	sysinfo_add(si, "memory_mib", "%ld", pages > 0 ? pages / 1024 * page / 1024 : 0);
	sysinfo_add(si, "page_bytes", "%ld", page);
}
