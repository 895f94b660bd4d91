/* Coroutines for the green runner: a host (the hub's thread) resumes a coroutine,
 * which runs until it yields back or its body returns. Switching is Boost.Context's
 * fcontext (a few ns, no syscall); where a coroutine's frames live is a choice:
 *
 *   CORO_SEPARATE  each coroutine owns a stack from a slab pool (stackpool.h);
 *   CORO_COPY      all run on a few shared stacks (CORO_SHARED_STACKS, a fresh
 *                  coroutine taking them in turn and staying on its own); a suspended
 *                  coroutine keeps only the bytes its stack really used, copied to the
 *                  heap and back when it resumes over another's frames (greenlet's and
 *                  libaco's design), so a sleeping task costs ~100 B, and coroutines
 *                  that hand off to each other on different stacks copy nothing.
 *
 * The rule CORO_COPY imposes on callers: no pointer into a suspended coroutine's
 * stack may be used by anyone else (a watcher, a curl handle, another coroutine),
 * because those bytes are elsewhere until it runs again. Keep task state on the heap.
 *
 * Only the host resumes and only the running coroutine yields (asymmetric), so the
 * copying always happens on the host's own stack. One host per thread. */
#ifndef CB_CORO_H
#define CB_CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fcontext.h"
#include "stackpool.h"

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif

enum coro_stack { CORO_COPY, CORO_SEPARATE };

/* Copy: a ping-pong's two sides, or two pairs, each on a stack of its own; more would
 * only spread a million sleepers' saves over more cold stacks. */
#define CORO_SHARED_STACKS 4

struct coro;
struct coro_host;

/* A body run through a call: it may return, and the host hears it finished. */
typedef void (*coro_fn)(struct coro *self, void *ud);
/* A body the switch itself enters, with no frame of this module's under it: what sits
 * on a copied stack while a coroutine waits is what it pays for, so a runner with a
 * million waiting coroutines writes its own. It begins with coro_begin and ends with
 * coro_exit; it never returns. */
typedef void (*coro_body)(transfer_t t);

struct coro_conf {
	enum coro_stack stack;
	size_t stack_size; /* copy: the shared stack; separate: each stack (bytes) */
	long max_guards;   /* separate: guarded stacks at most; < 0: as many as the kernel allows */
	coro_fn fn;        /* one of fn and body */
	coro_body body;
	void *ud;          /* handed to fn; coro_ud() for a body */
};

enum coro_state { CORO_CLOSED, CORO_READY, CORO_SUSPENDED, CORO_RUNNING, CORO_FINISHED };

/* Embed one in a larger struct; its fields belong to this module. Zeroed = closed.
 * Two words, because at a million coroutines every word is 8 MB of fresh pages: the
 * memory it owns (copy: its saved stack bytes, while saved; separate: its stack's
 * base), 16-byte aligned, carries its state in the low bits. A copied stack's saved
 * length is not kept either: it is the shared stack's top less ctx. */
struct coro {
	fcontext_t ctx; /* where it resumes; NULL until first resumed */
	uintptr_t word; /* memory | CORO_GUARDED | enum coro_state */
#ifdef CORO_ASAN
	void *fake_stack; /* ASan's fake frames while it is switched out */
#endif
};

#define CORO_STATE_BITS 7u
#define CORO_GUARDED 8u /* separate: its stack has a guard page under it */
#define CORO_MEM_MASK (~(uintptr_t)15)

static inline enum coro_state coro_state(const struct coro *c)
{
	return (enum coro_state)(c->word & CORO_STATE_BITS);
}

static inline void *coro_mem(const struct coro *c)
{
	return (void *)(c->word & CORO_MEM_MASK);
}

/* The part of a host a running coroutine switches through; the host begins with it. */
struct coro_switch {
	fcontext_t main_ctx;  /* where the running coroutine yields to */
	struct coro *current; /* the running coroutine; NULL on the host */
	void *ud;             /* the conf's */
#ifdef CORO_ASAN
	void *main_fake; /* ASan's view of the host's stack while a coroutine runs */
	const void *main_bottom;
	size_t main_size;
#endif
};

void coro_asan_start(void **fake, const void *bottom, size_t size);
void coro_asan_finish(void *fake, const void **bottom, size_t *size);

/* What the tests count: buffers and stacks made, reused and still held. */
struct coro_stats {
	long resumes;
	long saves;       /* copy: stacks copied out to the heap */
	long buf_fresh;   /* copy: saved-stack buffers carved from the arena */
	long buf_reused;  /* copy: buffers taken back from a free list */
	long buf_live;    /* copy: buffers held by suspended coroutines */
	long chunks;      /* copy: arena chunks malloc'd */
	size_t saved_max; /* copy: the most bytes one save held */
	size_t saved_min; /* copy: the fewest (0: none saved) */
	struct stackpool_stats pool; /* separate */
};

int coro_host_new(struct coro_host **h, const struct coro_conf *conf, struct cb_err *err);
/* Frees every stack and buffer, those of coroutines never closed included. */
void coro_host_free(struct coro_host *h);
struct coro_stats coro_host_stats(const struct coro_host *h);

/* Makes c ready to run (separate: takes a stack). CB_ELIMIT when no stack is left. */
int coro_open(struct coro_host *h, struct coro *c, struct cb_err *err);
/* Runs c until it yields or finishes; only the host calls it. False (c untouched)
 * when no memory was left to save the shared stack's owner. A separate stack whose
 * canary was overwritten aborts the process with a message: memory is corrupt. */
static inline bool coro_resume(struct coro_host *h, struct coro *c);
/* Releases c's stack or saved bytes, whether it finished or is suspended for good. */
void coro_close(struct coro_host *h, struct coro *c);

static inline bool coro_finished(const struct coro *c)
{
	return coro_state(c) == CORO_FINISHED;
}

/* A body's first call: the host it runs on (its conf's ud is coro_ud(h)). */
static inline struct coro_host *coro_begin(transfer_t t)
{
	struct coro_switch *sw = t.data;
	sw->main_ctx = t.fctx;
#ifdef CORO_ASAN
	coro_asan_finish(NULL, &sw->main_bottom, &sw->main_size);
#endif
	return t.data;
}

static inline void *coro_ud(struct coro_host *h)
{
	return ((struct coro_switch *)h)->ud;
}

static inline struct coro *coro_self(struct coro_host *h)
{
	return ((struct coro_switch *)h)->current;
}

/* Back to the host; only the running coroutine calls it. Inline, so a body waits
 * in its own frame; the host comes back as the jump's data, so h need not be kept
 * (in a register the switch would save) across it. */
static inline void coro_yield(struct coro_host *h)
{
#ifdef CORO_ASAN
	struct coro_switch *sw = (struct coro_switch *)h;
	struct coro *c = sw->current;
	coro_asan_start(&c->fake_stack, sw->main_bottom, sw->main_size);
#endif
	transfer_t t = fcontext_jump(((struct coro_switch *)h)->main_ctx, NULL);
	((struct coro_switch *)t.data)->main_ctx = t.fctx;
#ifdef CORO_ASAN
	coro_asan_finish(c->fake_stack, &sw->main_bottom, &sw->main_size);
#endif
}

/* A body's end: back to the host for good. */
__attribute__((noreturn)) void coro_exit(struct coro_host *h);

/* coro_resume's halves, around the jump. */
bool coro_switch_in(struct coro_host *h, struct coro *c);
void coro_switched_out(struct coro_host *h, struct coro *c, transfer_t t);

/* Inline, so the jump is made from the caller's own frame: the host comes back to
 * where it jumped from with no return of its own to make, and a hand-off through a
 * caller that loops (the green runner's wake-ups) pays no mispredicted returns. */
static inline bool coro_resume(struct coro_host *h, struct coro *c)
{
	if (!coro_switch_in(h, c))
		return false;
	coro_switched_out(h, c, fcontext_jump(c->ctx, h));
	return true;
}

#endif
