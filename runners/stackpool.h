/* Coroutine stacks of one size carved out of large slabs, reused when a coroutine
 * ends: one mmap per stack would cost 8-23 us each. Every stack gets a guard page
 * under it where the kernel has guard regions (Linux 6.13), else while the map
 * count allows mprotect'ed ones; past that, its lowest bytes must stay zero, which
 * the caller checks with stackpool_intact at every switch. */
#ifndef CB_STACKPOOL_H
#define CB_STACKPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Bytes at a stack's bottom that legitimate use never reaches: the canary. */
#define STACKPOOL_CANARY 64

struct stackpool;

struct stackpool_stats {
	long slabs;   /* mappings made */
	long fresh;   /* stacks carved from a slab */
	long reused;  /* stacks handed out again from the free list */
	long live;    /* stacks handed out and not yet put back */
	long guarded; /* stacks with a guard page */
};

/* Stacks of `size` bytes (rounded up to pages); at most max_guards of them guarded
 * (< 0: no limit but the kernel's: without guard regions, what the room left under
 * /proc/sys/vm/max_map_count allows). */
int stackpool_new(struct stackpool **sp, size_t size, long max_guards, struct cb_err *err);
/* The base (lowest usable address) of a free stack, or NULL when no memory is left;
 * *guarded says whether a guard page sits under it (guarded stacks go out first). */
void *stackpool_get(struct stackpool *p, bool *guarded);
void stackpool_put(struct stackpool *p, void *base, bool guarded);
/* False when an unguarded stack overflowed into its canary. */
bool stackpool_intact(const void *base);
size_t stackpool_size(const struct stackpool *p);
const struct stackpool_stats *stackpool_stats(const struct stackpool *p);
/* Unmaps every slab, stacks still handed out included. */
void stackpool_free(struct stackpool *p);

#endif
