/* The page size of malloc's heap for a whole run: glibc's own small pages by default;
 * huge on request. On machines where a fresh 4 KiB page costs 10-14 us, 10,000 fetches at
 * once (curl's 16 KiB each) spend 0.6 s in page faults alone, and glibc (2.35 on) can put
 * malloc's memory on 2 MiB transparent huge pages: the tunable glibc.malloc.hugetlb=1
 * (heap.c adds a top pad, for threads' arenas). glibc reads it once, at process start,
 * so the driver re-executes itself with it, and every trial, server and peer it starts
 * inherits it: all models run on the same heap. The price: a thread's arena starts with a
 * whole 2 MiB page, which a few threads doing little work feel. */
#ifndef CB_HEAP_H
#define CB_HEAP_H

#include <stdbool.h>

/* With huge set and the tunable not yet in this process: re-executes argv through
 * /proc/self/exe with it added. Returns when it did not exec (small asked, the tunable
 * already there, or exec failed; heap_state() then says which). */
void heap_apply(bool huge, char **argv);
/* For the meta file: "huge (glibc.malloc.hugetlb=1:..., THP madvise)", "small", or
 * "small (re-exec failed: ...)". */
const char *heap_state(void);

#endif
