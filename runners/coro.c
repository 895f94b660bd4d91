/* Coroutines on fcontext, with a shared copied stack or a separate pooled stack each.
 * A saved stack goes to a buffer of its size class (its length rounded up to 16
 * bytes, for the small ones that every waiting task has), carved from arena chunks
 * and kept on a free list when the coroutine resumes: no malloc/free per switch, no
 * header per save. The chunks come from the run's heap (hugemem.h: huge pages only
 * when the run's --heap is huge, for every model alike). */
#include "coro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hugemem.h"

#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* Size classes of saved stacks: 16-byte steps up to 1 KiB (a sleeping task's stack
 * is a few hundred bytes), then powers of two up to the largest stack allowed (1 GiB). */
#define CORO_STEP 16
#define CORO_SMALL 1024
#define CORO_CLASSES (CORO_SMALL / CORO_STEP + 21)
#define CORO_CHUNK (256 * 1024)
#define CORO_HUGE_CHUNK (2 * 1024 * 1024)
#define CORO_SMALL_CHUNKS 4
/* The most a saved stack may weigh to be swapped through the host's stack. */
#define CORO_BOUNCE (64 * 1024)

/* A saved stack is a few dozen bytes at a time (80 for a waiting task): copied inline
 * in 16-byte moves, the last one overlapping, where libc's memcpy costs a call and its
 * size dispatch at every switch (a tenth of a sleeper's instructions, callgrind). */
#define CORO_INLINE_COPY 256
typedef long long coro_v16 __attribute__((vector_size(16), aligned(1), may_alias));

static inline void coro_copy(void *dst, const void *src, size_t len)
{
	if (len < 16 || len > CORO_INLINE_COPY) {
		memcpy(dst, src, len);
		return;
	}
	char *d = dst;
	const char *s = src;
	coro_v16 last = *(const coro_v16 *)(s + len - 16);
	for (size_t i = 0; i + 16 <= len; i += 16) {
		coro_v16 t = *(const coro_v16 *)(s + i);
		*(coro_v16 *)(d + i) = t;
	}
	*(coro_v16 *)(d + len - 16) = last;
}

/* The arena's chunks, freed together with the host. */
struct coro_chunk {
	struct coro_chunk *next;
	size_t size; /* for hugemem_free; also keeps the buffers after it 16-byte aligned */
};

/* A free buffer of some class; it lives in the buffer itself. */
struct coro_free {
	struct coro_free *next;
};

struct coro_host {
	struct coro_switch sw; /* first: what a running coroutine switches through */
	struct coro_conf conf;
	/* CORO_COPY: CORO_SHARED_STACKS stacks, each over its guard, in spans of a power of
	 * two, so the stack a context lies in is a shift away */
	char *map;
	size_t map_len;
	unsigned span_shift;
	unsigned next_stack;   /* where the next fresh coroutine runs: in turn */
	struct coro *owner[CORO_SHARED_STACKS]; /* whose frames are on each right now */
	struct coro_free *free[CORO_CLASSES];
	char *cur, *end;       /* the unused rest of the newest chunk */
	struct coro_chunk *chunks;
	/* CORO_SEPARATE */
	struct stackpool *pool;
	struct coro_stats stats;
};

static unsigned coro_class(size_t len)
{
	if (len <= CORO_SMALL)
		return (unsigned)((len + CORO_STEP - 1) / CORO_STEP);
	unsigned c = CORO_SMALL / CORO_STEP + 1;
	for (size_t s = 2 * CORO_SMALL; s < len; s *= 2)
		c++;
	return c;
}

static size_t coro_class_size(unsigned c)
{
	if (c <= CORO_SMALL / CORO_STEP)
		return (size_t)c * CORO_STEP;
	return (size_t)CORO_SMALL << (c - CORO_SMALL / CORO_STEP);
}

static char *coro_chunk_new(struct coro_host *h, size_t size)
{
	struct coro_chunk *k = hugemem_calloc(1, sizeof *k + size);
	if (!k)
		return NULL;
	k->size = sizeof *k + size;
	k->next = h->chunks;
	h->chunks = k;
	h->stats.chunks++;
	return (char *)(k + 1);
}

static void *coro_buf_get(struct coro_host *h, size_t len)
{
	unsigned c = coro_class(len);
	size_t size = coro_class_size(c);
	char *b;
	if (h->free[c]) {
		b = (char *)h->free[c];
		h->free[c] = h->free[c]->next;
		h->stats.buf_reused++;
	} else if (size > CORO_CHUNK / 4) {
		if (!(b = coro_chunk_new(h, size)))
			return NULL;
		h->stats.buf_fresh++;
	} else {
		if ((size_t)(h->end - h->cur) < size) {
			size_t chunk = h->stats.chunks < CORO_SMALL_CHUNKS
					       ? CORO_CHUNK
					       : CORO_HUGE_CHUNK - sizeof(struct coro_chunk);
			if (!(h->cur = coro_chunk_new(h, chunk)))
				return h->end = NULL;
			h->end = h->cur + chunk;
		}
		b = h->cur;
		h->cur += size;
		h->stats.buf_fresh++;
	}
	h->stats.buf_live++;
	return b;
}

/* b holds at least len bytes: a buffer goes back to the class of what it held. */
static void coro_buf_put(struct coro_host *h, void *b, size_t len)
{
	unsigned cls = coro_class(len);
	struct coro_free *f = b;
	f->next = h->free[cls];
	h->free[cls] = f;
	h->stats.buf_live--;
}

/* The stacks: each span is a guard and the stack above it, the guard at least
 * STACKPOOL_GUARD and whatever rounds the span up to a power of two. */
static int coro_shared_stack(struct coro_host *h, struct cb_err *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (h->conf.stack_size + page - 1) / page * page;
	size_t guard = (STACKPOOL_GUARD + page - 1) / page * page;
	h->span_shift = 0;
	while (((size_t)1 << h->span_shift) < size + guard)
		h->span_shift++;
	size_t span = (size_t)1 << h->span_shift;
	/* Aligned to a span, so that the stack of an address is its offset's high bits. */
	size_t len = span * (CORO_SHARED_STACKS + 1);
	char *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return cb_fail_errno(err, CB_ESYS, "mmap of %d shared stacks of %zu KiB",
				     CORO_SHARED_STACKS, size / 1024);
	char *a = (char *)(((uintptr_t)m + span - 1) & ~(uintptr_t)(span - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	munmap(a + span * CORO_SHARED_STACKS, (size_t)(m + len - (a + span * CORO_SHARED_STACKS)));
	h->map = a;
	h->map_len = span * CORO_SHARED_STACKS;
	for (int k = 0; k < CORO_SHARED_STACKS; k++)
		if (mprotect(a + span * (size_t)(k + 1) - size, size, PROT_READ | PROT_WRITE) != 0) {
			munmap(h->map, h->map_len);
			h->map = NULL;
			return cb_fail_errno(err, CB_ESYS, "mprotect of a shared stack");
		}
	return CB_OK;
}

/* Copy: the shared stack an address on one lies in, and that stack's top. */
static inline unsigned coro_stack_of(const struct coro_host *h, const void *p)
{
	return (unsigned)(((uintptr_t)p - (uintptr_t)h->map) >> h->span_shift);
}

static inline char *coro_top(const struct coro_host *h, unsigned k)
{
	return h->map + ((size_t)(k + 1) << h->span_shift);
}

int coro_host_new(struct coro_host **hp, const struct coro_conf *conf, struct cb_err *err)
{
	struct coro_host *h = calloc(1, sizeof *h);
	if (!h)
		return cb_fail(err, CB_ELIMIT, "no memory for a coroutine host");
	h->conf = *conf;
	h->sw.ud = conf->ud;
	int rc = conf->stack == CORO_COPY
			 ? coro_shared_stack(h, err)
			 : stackpool_new(&h->pool, conf->stack_size, conf->max_guards, err);
	if (rc != CB_OK) {
		free(h);
		return rc;
	}
	*hp = h;
	return CB_OK;
}

void coro_host_free(struct coro_host *h)
{
	if (!h)
		return;
	while (h->chunks) {
		struct coro_chunk *k = h->chunks;
		h->chunks = k->next;
		hugemem_free(k, 1, k->size);
	}
	if (h->map)
		munmap(h->map, h->map_len);
	stackpool_free(h->pool);
	free(h);
}

struct coro_stats coro_host_stats(const struct coro_host *h)
{
	struct coro_stats s = h->stats;
	if (h->pool)
		s.pool = *stackpool_stats(h->pool);
	return s;
}

/* The lowest address and size of the stack c runs on. */
static char *coro_stack_base(const struct coro_host *h, const struct coro *c, size_t *size)
{
	if (h->conf.stack == CORO_COPY) {
		*size = h->conf.stack_size;
		return coro_top(h, c->ctx ? coro_stack_of(h, c->ctx) : h->next_stack) -
		       h->conf.stack_size;
	}
	*size = stackpool_size(h->pool);
	return coro_mem(c);
}

static void coro_set(struct coro *c, void *mem, uintptr_t tag, enum coro_state st)
{
	c->word = (uintptr_t)mem | tag | (uintptr_t)st;
}

static void coro_set_state(struct coro *c, enum coro_state st)
{
	c->word = (c->word & ~(uintptr_t)CORO_STATE_BITS) | (uintptr_t)st;
}

/* Copy: the bytes c's frames use on its shared stack, from its last switch. */
static size_t coro_used(const struct coro_host *h, const struct coro *c)
{
	return (size_t)(coro_top(h, coro_stack_of(h, c->ctx)) - (char *)c->ctx);
}

int coro_open(struct coro_host *h, struct coro *c, struct cb_err *err)
{
	*c = (struct coro){0};
	if (h->conf.stack == CORO_COPY) {
		coro_set(c, NULL, 0, CORO_READY);
		return CB_OK;
	}
	bool guarded;
	void *stack = stackpool_get(h->pool, &guarded);
	if (!stack)
		return cb_fail_errno(err, CB_ELIMIT, "no memory for another %zu KiB stack",
				     stackpool_size(h->pool) / 1024);
	coro_set(c, stack, guarded ? CORO_GUARDED : 0, CORO_READY);
#ifdef CORO_ASAN
	ASAN_UNPOISON_MEMORY_REGION(stack, stackpool_size(h->pool));
#endif
	return CB_OK;
}

void coro_close(struct coro_host *h, struct coro *c)
{
	if (coro_state(c) == CORO_CLOSED)
		return;
	if (h->conf.stack == CORO_SEPARATE) {
		stackpool_put(h->pool, coro_mem(c), (c->word & CORO_GUARDED) != 0);
	} else {
		if (coro_mem(c))
			coro_buf_put(h, coro_mem(c), coro_used(h, c));
		if (c->ctx && h->owner[coro_stack_of(h, c->ctx)] == c)
			h->owner[coro_stack_of(h, c->ctx)] = NULL;
	}
	*c = (struct coro){0};
}

/* Copies the frames of the shared stack's owner out to the heap. */
static bool coro_save(struct coro_host *h, struct coro *c)
{
	size_t len = coro_used(h, c);
	void *b = coro_buf_get(h, len);
	if (!b)
		return false;
#ifdef CORO_ASAN
	ASAN_UNPOISON_MEMORY_REGION(c->ctx, len);
#endif
	coro_copy(b, c->ctx, len);
	coro_set(c, b, 0, coro_state(c));
	h->stats.saves++;
	if (len > h->stats.saved_max)
		h->stats.saved_max = len;
	if (len < h->stats.saved_min || !h->stats.saved_min)
		h->stats.saved_min = len;
	return true;
}

/* No memory for a buffer to save the owner in: it takes c's instead, once c's frames
 * are on the shared stack, through a bounce on the host's stack. Else, once memory ran
 * out, the next coroutine to switch in would fail though it had started, when its own
 * buffer holds the owner too: coroutines waiting at one place save alike. */
__attribute__((noinline)) static bool coro_swap_saved(struct coro_host *h, struct coro *c,
						       unsigned k)
{
	struct coro *o = h->owner[k];
	size_t len = coro_used(h, o), clen = coro_used(h, c);
	char *b = coro_mem(c);
	/* Its buffer goes back to the class of o's length, which it fits. */
	if (!b || len > coro_class_size(coro_class(clen)) || len > CORO_BOUNCE)
		return false;
	char bounce[len];
	memcpy(bounce, o->ctx, len);
	memcpy(coro_top(h, k) - clen, b, clen);
	memcpy(b, bounce, len);
	coro_set(o, b, 0, coro_state(o));
	coro_set(c, NULL, 0, coro_state(c));
	h->stats.saves++;
	return true;
}

/* Puts c's frames on its shared stack k, saving whoever was there. */
static bool coro_take_stack(struct coro_host *h, struct coro *c, unsigned k)
{
#ifdef CORO_ASAN
	/* The last owner's redzones are stale now; c's frames set their own. */
	ASAN_UNPOISON_MEMORY_REGION(coro_top(h, k) - h->conf.stack_size, h->conf.stack_size);
#endif
	if (h->owner[k] && !coro_save(h, h->owner[k]) && !coro_swap_saved(h, c, k))
		return false;
	h->owner[k] = c;
	char *b = coro_mem(c);
	if (b) {
		size_t len = coro_used(h, c);
		coro_copy(coro_top(h, k) - len, b, len);
		coro_buf_put(h, b, len);
		coro_set(c, NULL, 0, coro_state(c));
	}
	return true;
}

void coro_asan_start(void **fake, const void *bottom, size_t size)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

void coro_asan_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

/* The first frame of a coroutine run through a call (conf.fn). */
static void coro_entry(transfer_t t)
{
	struct coro_host *h = coro_begin(t);
	h->conf.fn(h->sw.current, h->conf.ud);
	coro_exit(h);
}

/* Its jump back carries the host as data, which tells the host the body ended (a
 * yield carries NULL). */
void coro_exit(struct coro_host *h)
{
#ifdef CORO_ASAN
	coro_asan_start(NULL, h->sw.main_bottom, h->sw.main_size); /* NULL: its fake frames die */
#endif
	fcontext_jump(h->sw.main_ctx, h);
	abort(); /* a finished coroutine is never resumed */
}

static void coro_overflowed(const struct coro_host *h, const struct coro *c)
{
	fprintf(stderr, "green: a coroutine overflowed its %zu KiB stack at %p "
		"(no guard left under the map count); raise green.stack_kib\n",
		stackpool_size(h->pool) / 1024, coro_mem(c));
	abort();
}

bool coro_switch_in(struct coro_host *h, struct coro *c)
{
	if (h->conf.stack == CORO_COPY) {
		/* A fresh coroutine takes the stacks in turn; one that ran stays on its own,
		 * where its frames' addresses are. */
		unsigned k = c->ctx ? coro_stack_of(h, c->ctx) : h->next_stack;
		if (h->owner[k] != c && !coro_take_stack(h, c, k))
			return false;
	}
	if (!c->ctx) {
		size_t size;
		char *base = coro_stack_base(h, c, &size);
		c->ctx = make_fcontext(base + size, size, h->conf.body ? h->conf.body : coro_entry);
		h->next_stack = (h->next_stack + 1) % CORO_SHARED_STACKS;
	}
	h->sw.current = c;
	coro_set_state(c, CORO_RUNNING);
#ifdef CORO_ASAN
	size_t size;
	char *base = coro_stack_base(h, c, &size);
	coro_asan_start(&h->sw.main_fake, base, size);
#endif
	return true;
}

void coro_switched_out(struct coro_host *h, struct coro *c, transfer_t t)
{
#ifdef CORO_ASAN
	coro_asan_finish(h->sw.main_fake, NULL, NULL);
#endif
	h->sw.current = NULL;
	h->stats.resumes++;
	c->ctx = t.fctx;
	coro_set_state(c, t.data ? CORO_FINISHED : CORO_SUSPENDED);
	if (h->conf.stack == CORO_SEPARATE && !(c->word & CORO_GUARDED) &&
	    !stackpool_intact(coro_mem(c)))
		coro_overflowed(h, c);
	if (t.data && h->conf.stack == CORO_COPY && h->owner[coro_stack_of(h, c->ctx)] == c)
		h->owner[coro_stack_of(h, c->ctx)] = NULL;
}
