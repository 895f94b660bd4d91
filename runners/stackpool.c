/* Coroutine stacks carved out of slabs: each slot is a guard region and the stack
 * above it (stacks grow down, so an overflow runs into its own slot's guard). A slot
 * with no guard keeps the region as slack, then the canary catches what got past. */
#include "stackpool.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux 6.13's guard regions: guard pages marked in the page table, with no mapping
 * of their own, so the map count does not limit them. Older kernels refuse it. */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* Slabs start small (a run of 2 workers maps little) and double up to this many slots. */
#define STACKPOOL_SLAB_MIN 16
#define STACKPOOL_SLAB_MAX 1024

struct stackpool_slab {
	char *base;
	size_t len;
};

/* A free stack; it sits in the stack's own top bytes, a page already touched. */
struct stackpool_node {
	struct stackpool_node *next;
};

struct stackpool {
	size_t size, guard, slot; /* stack bytes, guard bytes, guard + stack */
	long guards_left;         /* guards still allowed (max_guards, the map count) */
	bool madv_guard;         /* MADV_GUARD_INSTALL works: the map count does not matter */
	char *cur, *end;         /* the unused rest of the newest slab */
	size_t next_slots;       /* slots in the next slab */
	struct stackpool_node *free_guarded, *free_bare;
	struct stackpool_slab *slabs;
	long nslabs, capslabs;
	struct stackpool_stats stats;
};

static long stackpool_read_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "r");
	long v = dflt;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static long stackpool_maps_in_use(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Each mprotect'ed guard splits a mapping in two, so costs two maps. An eighth of the
 * limit stays free for everything else the run maps (malloc, libev, curl, slabs). */
static long stackpool_guard_budget(void)
{
	long max = stackpool_read_long("/proc/sys/vm/max_map_count", 65530);
	long left = max - stackpool_maps_in_use() - max / 8;
	return left > 0 ? left / 2 : 0;
}

int stackpool_new(struct stackpool **sp, size_t size, long max_guards, struct cb_err *err)
{
	struct stackpool *p = calloc(1, sizeof *p);
	if (!p)
		return cb_fail(err, CB_ELIMIT, "no memory for a stack pool");
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	p->size = (size + page - 1) / page * page;
	p->guard = (STACKPOOL_GUARD + page - 1) / page * page;
	p->slot = p->size + p->guard;
	p->next_slots = STACKPOOL_SLAB_MIN;
	p->madv_guard = true; /* until the kernel refuses it */
	p->guards_left = max_guards >= 0 ? max_guards : LONG_MAX;
	*sp = p;
	return CB_OK;
}

static bool stackpool_add_slab(struct stackpool *p)
{
	if (p->nslabs == p->capslabs) {
		long cap = p->capslabs ? 2 * p->capslabs : 16;
		struct stackpool_slab *s = realloc(p->slabs, sizeof *s * (size_t)cap);
		if (!s)
			return false;
		p->slabs = s;
		p->capslabs = cap;
	}
	size_t len = p->slot * p->next_slots;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return false;
	p->slabs[p->nslabs++] = (struct stackpool_slab){.base = m, .len = len};
	p->cur = m;
	p->end = m + len;
	if (p->next_slots < STACKPOOL_SLAB_MAX)
		p->next_slots *= 2;
	p->stats.slabs++;
	return true;
}

/* Puts a guard at slot: a guard region where the kernel has them, else mprotect'ed
 * pages, which split a mapping and so count against the map count. */
static bool stackpool_guard(struct stackpool *p, char *slot)
{
	if (p->madv_guard) {
		if (madvise(slot, p->guard, MADV_GUARD_INSTALL) == 0)
			return true;
		p->madv_guard = false;
		long budget = stackpool_guard_budget();
		if (budget < p->guards_left)
			p->guards_left = budget;
		if (p->guards_left <= 0)
			return false;
	}
	return mprotect(slot, p->guard, PROT_NONE) == 0;
}

static void *stackpool_carve(struct stackpool *p, bool *guarded)
{
	if (p->cur == p->end && !stackpool_add_slab(p))
		return NULL;
	char *slot = p->cur;
	p->cur += p->slot;
	*guarded = p->guards_left > 0 && stackpool_guard(p, slot);
	if (*guarded) {
		p->guards_left--;
		p->stats.guarded++;
	}
	p->stats.fresh++;
	return slot + p->guard;
}

static void *stackpool_pop(struct stackpool_node **head, size_t size)
{
	struct stackpool_node *n = *head;
	*head = n->next;
	return (char *)n - (size - sizeof *n);
}

void *stackpool_get(struct stackpool *p, bool *guarded)
{
	void *base;
	if (p->free_guarded || p->free_bare) {
		*guarded = p->free_guarded != NULL;
		base = stackpool_pop(*guarded ? &p->free_guarded : &p->free_bare, p->size);
		p->stats.reused++;
	} else if (!(base = stackpool_carve(p, guarded))) {
		return NULL;
	}
	p->stats.live++;
	return base;
}

void stackpool_put(struct stackpool *p, void *base, bool guarded)
{
	struct stackpool_node *n =
		(struct stackpool_node *)((char *)base + p->size - sizeof *n);
	struct stackpool_node **head = guarded ? &p->free_guarded : &p->free_bare;
	n->next = *head;
	*head = n;
	p->stats.live--;
}

/* The canary is zeros rather than a magic word: writing one would touch the
 * stack's bottom page, a second page of RSS per stack for nothing. */
bool stackpool_intact(const void *base)
{
	const uint64_t *w = base;
	uint64_t any = 0;
	for (size_t i = 0; i < STACKPOOL_CANARY / sizeof *w; i++)
		any |= w[i];
	return any == 0;
}

size_t stackpool_size(const struct stackpool *p)
{
	return p->size;
}

const struct stackpool_stats *stackpool_stats(const struct stackpool *p)
{
	return &p->stats;
}

void stackpool_free(struct stackpool *p)
{
	if (!p)
		return;
	for (long i = 0; i < p->nslabs; i++)
		munmap(p->slabs[i].base, p->slabs[i].len);
	free(p->slabs);
	free(p);
}
