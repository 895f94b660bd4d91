/* Huge-page arrays: mmap, aligned to 2 MiB so the kernel can back them with huge
 * pages, and MADV_HUGEPAGE for kernels in THP "madvise" mode (Debian's default). */
#include "hugemem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_BYTES ((size_t)2 << 20)

/* Every model gets the pages the run's heap has: huge ones only when the driver runs
 * on glibc's huge-page heap (--heap huge sets the tunable for every trial it makes). */
static bool hugemem_wanted(void)
{
	static int wanted = -1;
	if (wanted < 0) {
		const char *t = getenv("GLIBC_TUNABLES");
		wanted = t && strstr(t, "glibc.malloc.hugetlb=") &&
			 !strstr(t, "glibc.malloc.hugetlb=0");
	}
	return wanted;
}

static size_t hugemem_len(size_t n, size_t size)
{
	if (!hugemem_wanted())
		return 0;
	if (size && n > SIZE_MAX / size)
		return 0;
	size_t len = n * size;
	return len < HUGE_BYTES ? 0 : (len + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
}

void *hugemem_calloc(size_t n, size_t size)
{
	size_t len = hugemem_len(n, size);
	if (!len)
		return n && size && n > SIZE_MAX / size ? NULL : calloc(n ? n : 1, size ? size : 1);
	/* One huge page more than asked, then the unaligned ends trimmed off. */
	char *m = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	char *p = (char *)(((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	if (p > m)
		munmap(m, (size_t)(p - m));
	if (p + len < m + len + HUGE_BYTES)
		munmap(p + len, (size_t)(m + len + HUGE_BYTES - (p + len)));
	madvise(p, len, MADV_HUGEPAGE); /* a hint: without THP the pages are small, still zeroed */
	return p;
}

void hugemem_free(void *p, size_t n, size_t size)
{
	size_t len = hugemem_len(n, size);
	if (!p)
		return;
	if (len)
		munmap(p, len);
	else
		free(p);
}
