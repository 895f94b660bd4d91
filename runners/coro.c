/* Coroutines on fcontext, with a shared copied stack or a separate pooled stack each.
 * A saved stack goes to a buffer of its size class, carved from big arena chunks and
 * kept on a free list when the coroutine resumes: no malloc/free per switch. Once
 * the arena outgrows its first chunks, new ones are huge pages (hugemem.h). */
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
	struct coro_conf conf;
	fcontext_t main_ctx;   /* where the running coroutine yields to */
	struct coro *current;  /* the running coroutine; NULL on the host */
	/* CORO_COPY */
	char *map;             /* the shared stack with its guard under it */
	size_t map_len;
	char *top;             /* the shared stack's highest address */
	struct coro *owner;    /* whose frames are on the shared stack right now */
	struct coro_free *free[CORO_CLASSES];
	char *cur, *end;       /* the unused rest of the newest chunk */
	struct coro_chunk *chunks;
	/* CORO_SEPARATE */
	struct stackpool *pool;
	struct coro_stats stats;
	/* ASan's view of the host's stack while a coroutine runs (unused without ASan) */
	void *main_fake;
	const void *main_bottom;
	size_t main_size;
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

static void *coro_buf_get(struct coro_host *h, size_t len, uint8_t *cls)
{
	unsigned c = coro_class(len);
	size_t size = coro_class_size(c);
	char *b;
	*cls = (uint8_t)c;
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

static void coro_buf_put(struct coro_host *h, void *b, uint8_t cls)
{
	struct coro_free *f = b;
	f->next = h->free[cls];
	h->free[cls] = f;
	h->stats.buf_live--;
}

static int coro_shared_stack(struct coro_host *h, struct cb_err *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (h->conf.stack_size + page - 1) / page * page;
	size_t guard = (STACKPOOL_GUARD + page - 1) / page * page;
	h->map_len = size + guard;
	h->map = mmap(NULL, h->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (h->map == MAP_FAILED) {
		h->map = NULL;
		return cb_fail_errno(err, CB_ESYS, "mmap of a %zu KiB shared stack", size / 1024);
	}
	if (mprotect(h->map, guard, PROT_NONE) != 0) {
		munmap(h->map, h->map_len);
		h->map = NULL;
		return cb_fail_errno(err, CB_ESYS, "mprotect of the shared stack's guard");
	}
	h->top = h->map + h->map_len;
	return CB_OK;
}

int coro_host_new(struct coro_host **hp, const struct coro_conf *conf, struct cb_err *err)
{
	struct coro_host *h = calloc(1, sizeof *h);
	if (!h)
		return cb_fail(err, CB_ELIMIT, "no memory for a coroutine host");
	h->conf = *conf;
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
		return h->top - h->conf.stack_size;
	}
	*size = stackpool_size(h->pool);
	return c->mem;
}

int coro_open(struct coro_host *h, struct coro *c, struct cb_err *err)
{
	*c = (struct coro){.state = CORO_READY};
	if (h->conf.stack == CORO_COPY)
		return CB_OK;
	bool guarded;
	if (!(c->mem = stackpool_get(h->pool, &guarded))) {
		c->state = CORO_CLOSED;
		return cb_fail_errno(err, CB_ELIMIT, "no memory for another %zu KiB stack",
				     stackpool_size(h->pool) / 1024);
	}
	c->tag = guarded;
#ifdef CORO_ASAN
	ASAN_UNPOISON_MEMORY_REGION(c->mem, stackpool_size(h->pool));
#endif
	return CB_OK;
}

void coro_close(struct coro_host *h, struct coro *c)
{
	if (c->state == CORO_CLOSED)
		return;
	if (h->conf.stack == CORO_SEPARATE) {
		stackpool_put(h->pool, c->mem, c->tag);
	} else {
		if (c->mem)
			coro_buf_put(h, c->mem, c->tag);
		if (h->owner == c)
			h->owner = NULL;
	}
	*c = (struct coro){.state = CORO_CLOSED};
}

/* Copies the frames of the shared stack's owner out to the heap. */
static bool coro_save(struct coro_host *h, struct coro *c)
{
	size_t len = (size_t)(h->top - (char *)c->ctx);
	uint8_t cls;
	void *b = coro_buf_get(h, len, &cls);
	if (!b)
		return false;
#ifdef CORO_ASAN
	ASAN_UNPOISON_MEMORY_REGION(c->ctx, len);
#endif
	memcpy(b, c->ctx, len);
	c->mem = b;
	c->len = (uint32_t)len;
	c->tag = cls;
	h->stats.saves++;
	if (len > h->stats.saved_max)
		h->stats.saved_max = len;
	return true;
}

/* No memory for a buffer to save the owner in: it takes c's instead, once c's frames
 * are on the shared stack, through a bounce on the host's stack. Else, once memory ran
 * out, the next coroutine to switch in would fail though it had started, when its own
 * buffer holds the owner too: coroutines waiting at one place save alike. */
__attribute__((noinline)) static bool coro_swap_saved(struct coro_host *h, struct coro *c)
{
	struct coro *o = h->owner;
	size_t len = (size_t)(h->top - (char *)o->ctx);
	if (!c->mem || len > coro_class_size(c->tag) || len > CORO_BOUNCE)
		return false;
	char bounce[len];
	memcpy(bounce, o->ctx, len);
	memcpy(h->top - c->len, c->mem, c->len);
	memcpy(c->mem, bounce, len);
	o->mem = c->mem;
	o->len = (uint32_t)len;
	o->tag = c->tag;
	c->mem = NULL;
	h->stats.saves++;
	return true;
}

/* Puts c's frames on the shared stack, saving whoever was there. */
static bool coro_take_stack(struct coro_host *h, struct coro *c)
{
#ifdef CORO_ASAN
	/* The last owner's redzones are stale now; c's frames set their own. */
	ASAN_UNPOISON_MEMORY_REGION(h->top - h->conf.stack_size, h->conf.stack_size);
#endif
	if (h->owner && !coro_save(h, h->owner) && !coro_swap_saved(h, c))
		return false;
	h->owner = c;
	if (c->mem) {
		memcpy(h->top - c->len, c->mem, c->len);
		coro_buf_put(h, c->mem, c->tag);
		c->mem = NULL;
	}
	return true;
}

static void coro_asan_start(void **fake, const void *bottom, size_t size)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

static void coro_asan_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

/* The first frame of every coroutine. Its jump back carries the host as data,
 * which tells the host the body returned (a yield carries NULL). */
static void coro_entry(transfer_t t)
{
	struct coro_host *h = t.data;
	h->main_ctx = t.fctx;
	coro_asan_finish(NULL, &h->main_bottom, &h->main_size);
	h->conf.fn(h->current, h->conf.ud);
	coro_asan_start(NULL, h->main_bottom, h->main_size); /* NULL: its fake frames die */
	jump_fcontext(h->main_ctx, h);
}

static void coro_overflowed(const struct coro_host *h, const struct coro *c)
{
	fprintf(stderr, "green: a coroutine overflowed its %zu KiB stack at %p "
		"(no guard left under the map count); raise green.stack_kib\n",
		stackpool_size(h->pool) / 1024, c->mem);
	abort();
}

bool coro_resume(struct coro_host *h, struct coro *c)
{
	if (h->conf.stack == CORO_COPY && h->owner != c && !coro_take_stack(h, c))
		return false;
	size_t size;
	char *base = coro_stack_base(h, c, &size);
	if (!c->ctx)
		c->ctx = make_fcontext(base + size, size, coro_entry);
	h->current = c;
	c->state = CORO_RUNNING;
	coro_asan_start(&h->main_fake, base, size);
	transfer_t t = jump_fcontext(c->ctx, h);
	coro_asan_finish(h->main_fake, NULL, NULL);
	h->current = NULL;
	h->stats.resumes++;
	c->ctx = t.fctx;
	c->state = t.data ? CORO_FINISHED : CORO_SUSPENDED;
	if (h->conf.stack == CORO_SEPARATE && !c->tag && !stackpool_intact(c->mem))
		coro_overflowed(h, c);
	if (c->state == CORO_FINISHED && h->owner == c)
		h->owner = NULL;
	return true;
}

void coro_yield(struct coro_host *h)
{
	struct coro *c = h->current;
#ifdef CORO_ASAN
	coro_asan_start(&c->fake_stack, h->main_bottom, h->main_size);
#endif
	transfer_t t = jump_fcontext(h->main_ctx, NULL);
	h->main_ctx = t.fctx;
#ifdef CORO_ASAN
	coro_asan_finish(c->fake_stack, &h->main_bottom, &h->main_size);
#else
	(void)c;
#endif
}
