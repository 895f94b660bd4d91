/* Re-executing the driver with glibc's huge-page heap (see heap.h). */
#include "heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* hugetlb=1: malloc madvises its memory for huge pages. The top pad (64 MiB, a thread
 * arena's whole reservation) makes a thread's arena writable at once rather than a few
 * pages at a time, so its 2 MiB spans qualify too: without it only the main thread's heap
 * got huge pages, and serial GMP ran 35% faster while threads did not. Untouched pad
 * costs no memory. */
#define HEAP_TUNABLE "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864"

static char heap_why[160] = "small";

/* The kernel's THP mode, the bracketed word of "always [madvise] never". */
static void thp_mode(char *out, size_t len)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
	snprintf(out, len, "%.*s", a && b ? (int)(b - a - 1) : 7, a && b ? a + 1 : "unknown");
}

void heap_apply(bool huge, char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	if (old && strstr(old, HEAP_TUNABLE)) { /* re-executed, or the user's own setting */
		char mode[32];
		thp_mode(mode, sizeof mode);
		snprintf(heap_why, sizeof heap_why, "huge (%s, THP %s)", HEAP_TUNABLE, mode);
		return;
	}
	if (!huge)
		return;
	char tunables[1024];
	int n = snprintf(tunables, sizeof tunables, "%s%s%s", old && *old ? old : "",
			 old && *old ? ":" : "", HEAP_TUNABLE);
	if (n < 0 || (size_t)n >= sizeof tunables) {
		snprintf(heap_why, sizeof heap_why, "small (GLIBC_TUNABLES is too long to add to)");
		return;
	}
	/* Peers and servers inherit it: one heap for every model of the run. */
	if (setenv("GLIBC_TUNABLES", tunables, 1)) {
		snprintf(heap_why, sizeof heap_why, "small (setenv: %s)", strerror(errno));
		return;
	}
	fflush(NULL);
	execv("/proc/self/exe", argv);
	snprintf(heap_why, sizeof heap_why, "small (re-exec failed: %s)", strerror(errno));
	if (old)
		setenv("GLIBC_TUNABLES", old, 1);
	else
		unsetenv("GLIBC_TUNABLES");
}

const char *heap_state(void)
{
	return heap_why;
}
