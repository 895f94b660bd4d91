/* Huge-page arrays: zeroed, writable end to end, 2 MiB aligned when big, refused
 * when n x size overflows, and returned to the system (the map count goes back). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"

static long maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	long n = 0;
	for (int c; (c = fgetc(f)) != EOF;)
		n += c == '\n';
	fclose(f);
	return n;
}

static void check_zeroed_and_writable(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		cr_assert_eq(p[i], 0, "byte %zu not zero", i);
	cr_assert_eq(p[len - 1], 0);
	memset(p, 0xab, len);
	cr_assert_eq(p[len - 1], 0xab);
}

Test(hugemem, small_arrays_come_from_calloc)
{
	unsigned char *p = hugemem_calloc(1000, 24);
	cr_assert_not_null(p);
	check_zeroed_and_writable(p, 1000 * 24);
	hugemem_free(p, 1000, 24);
	hugemem_free(NULL, 1000, 24);
}

/* Only on the huge-page heap: every model of a run gets the same pages. */
Test(hugemem, big_arrays_are_small_pages_on_the_small_heap)
{
	unsetenv("GLIBC_TUNABLES");
	size_t n = 1000000, size = 40;
	unsigned char *p = hugemem_calloc(n, size);
	cr_assert_not_null(p);
	cr_expect_neq((uintptr_t)p % (2u << 20), 0, "%p is 2 MiB aligned: a huge-page map",
		      (void *)p);
	check_zeroed_and_writable(p, n * size);
	hugemem_free(p, n, size);
}

Test(hugemem, big_arrays_are_aligned_and_unmapped)
{
	setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864", 1);
	long before = maps();
	for (int round = 0; round < 3; round++) {
		size_t n = 1000000 + (size_t)round * 12345, size = 40;
		unsigned char *p = hugemem_calloc(n, size);
		cr_assert_not_null(p);
		cr_expect_eq((uintptr_t)p % (2u << 20), 0, "%p is not 2 MiB aligned", (void *)p);
		check_zeroed_and_writable(p, n * size);
		hugemem_free(p, n, size);
	}
	cr_expect_eq(maps(), before, "mappings left behind");
}

Test(hugemem, overflow_is_refused)
{
	cr_expect_null(hugemem_calloc(SIZE_MAX / 8, 16));
}
