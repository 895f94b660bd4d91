/* Coroutines for the green runner: a host (the hub's thread) resumes a coroutine,
 * which runs until it yields back or its body returns. Switching is Boost.Context's
 * fcontext (a few ns, no syscall); where a coroutine's frames live is a choice:
 *
 *   CORO_SEPARATE  each coroutine owns a stack from a slab pool (stackpool.h);
 *   CORO_COPY      all run on one shared stack; a suspended coroutine keeps only the
 *                  bytes its stack really used, copied to the heap and back on resume
 *                  (greenlet's and libaco's design), so a sleeping task costs ~100 B.
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

struct coro;
struct coro_host;

/* Every coroutine of a host runs this body; self is embedded in the caller's struct. */
typedef void (*coro_fn)(struct coro *self, void *ud);

struct coro_conf {
	enum coro_stack stack;
	size_t stack_size; /* copy: the shared stack; separate: each stack (bytes) */
	long max_guards;   /* separate: guarded stacks at most; < 0: as many as the kernel allows */
	coro_fn fn;
	void *ud;          /* handed to fn */
};

enum coro_state { CORO_CLOSED, CORO_READY, CORO_SUSPENDED, CORO_RUNNING, CORO_FINISHED };

/* Embed one in a larger struct; its fields belong to this module. Zeroed = closed. */
struct coro {
	fcontext_t ctx; /* where it resumes; NULL until first resumed */
	void *mem;      /* copy: its saved stack bytes, if saved; separate: its stack's base */
	uint32_t len;   /* copy: bytes saved */
	uint8_t state;  /* enum coro_state */
	uint8_t tag;    /* copy: size class of mem; separate: 1 when the stack has a guard */
#ifdef CORO_ASAN
	void *fake_stack; /* ASan's fake frames while it is switched out */
#endif
};

/* What the tests count: buffers and stacks made, reused and still held. */
struct coro_stats {
	long resumes;
	long saves;       /* copy: stacks copied out to the heap */
	long buf_fresh;   /* copy: saved-stack buffers carved from the arena */
	long buf_reused;  /* copy: buffers taken back from a free list */
	long buf_live;    /* copy: buffers held by suspended coroutines */
	long chunks;      /* copy: arena chunks malloc'd */
	size_t saved_max; /* copy: the most bytes one save held */
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
bool coro_resume(struct coro_host *h, struct coro *c);
/* Back to the host; only the running coroutine calls it. */
void coro_yield(struct coro_host *h);
/* Releases c's stack or saved bytes, whether it finished or is suspended for good. */
void coro_close(struct coro_host *h, struct coro *c);

static inline bool coro_finished(const struct coro *c)
{
	return c->state == CORO_FINISHED;
}

#endif
