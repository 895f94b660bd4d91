/* Coroutine stacks of one size carved out of large slabs, reused when a coroutine
 * ends: one mmap per stack would cost 8-23 us each. Every stack gets a guard region
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

/* The guard under every stack (and under green's shared one). A frame that outgrows
 * its stack must touch the guard before anything below it. The project's own code
 * is built with -fstack-clash-protection, which touches every 4 KiB of a big frame,
 * alloca or VLA on the way down, so one page would do for it; the libraries a step
 * calls were built without, and allocate up to 32,512 B unprobed (GMP's alloca'd
 * temporaries) or 33,312 B (glibc's largest frame). 64 KiB holds twice the first,
 * costs address space only (no memory, no mapping of its own), and a few hundred ns
 * per fresh stack to install. */
#define STACKPOOL_GUARD (64 * 1024)

struct stackpool;

struct stackpool_stats {
	long slabs;   /* mappings made */
	long fresh;   /* stacks carved from a slab */
	long reused;  /* stacks handed out again from the free list */
	long live;    /* stacks handed out and not yet put back */
	long guarded; /* stacks with a guard region */
};

/* Stacks of `size` bytes (rounded up to pages); at most max_guards of them guarded
 * (< 0: no limit but the kernel's: without guard regions, what the room left under
 * /proc/sys/vm/max_map_count allows). */
int stackpool_new(struct stackpool **sp, size_t size, long max_guards, struct cb_err *err);
/* The base (lowest usable address) of a free stack, or NULL (errno set) when no
 * memory is left; *guarded says whether a guard sits under it (guarded ones go first). */
void *stackpool_get(struct stackpool *p, bool *guarded);
void stackpool_put(struct stackpool *p, void *base, bool guarded);
/* False when an unguarded stack overflowed into its canary. */
bool stackpool_intact(const void *base);
size_t stackpool_size(const struct stackpool *p);
const struct stackpool_stats *stackpool_stats(const struct stackpool *p);
/* Unmaps every slab, stacks still handed out included. */
void stackpool_free(struct stackpool *p);

#endif
