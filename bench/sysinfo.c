/* Reading what machine this is. */
#include "sysinfo.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>
#include <gmp.h>
#include <gnu/libc-version.h>

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

/* FNV-1a, 32 bits: a short stable digest, not a secret. */
static uint32_t fnv1a(const char *s, uint32_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The host name as it can sit in a file name: letters, digits, '.' and '-' kept. */
static void host_word(const char *host, char *out, size_t len)
{
	size_t k = 0;
	for (; host && *host && k + 1 < len && k < 32; host++)
		out[k++] = isalnum((unsigned char)*host) || *host == '.' || *host == '-' ? *host : '_';
	if (k == 0 && len > 1)
		out[k++] = 'x';
	out[k] = '\0';
}

/* host_id: the host name and a digest of what makes two machines' figures comparable
 * (CPU model, cores, memory, kernel, architecture), the same on every run of one
 * machine as it is; run_id: the run's start, the host name and 32 random bits
 * (16 clashed now and then between runs started in one second). */
static void ids(struct sysinfo *si, const struct tm *tm)
{
	const char *parts[] = {"cpu", "cores", "memory_mib", "kernel", "arch"};
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *v = sysinfo_get(si, parts[i]);
		h = fnv1a(v ? v : "", h);
		h = fnv1a("|", h);
	}
	char host[40], when[32];
	host_word(sysinfo_get(si, "host"), host, sizeof host);
	sysinfo_add(si, "host_id", "%s-%08x", host, h);
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", tm);
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)clock();
	sysinfo_add(si, "run_id", "%s-%s-%08x", when, host, (unsigned)r);
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
	/* The versions running, not the headers built against: a library upgraded under
	 * the binary is what a comparison of two runs must see. */
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	sysinfo_add(si, "libs", "glibc %s, libev %d.%d, libcurl %s (%s), gmp %s",
		    gnu_get_libc_version(), ev_version_major(), ev_version_minor(),
		    cv ? cv->version : "?", cv && cv->ssl_version ? cv->ssl_version : "no TLS",
		    gmp_version);
	ids(si, &tm);
}
