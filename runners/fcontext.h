/* Boost.Context's fcontext switch (C linkage, -lboost_context): the prototypes its
 * library exports, so C code can use it without the C++ headers. */
#ifndef CB_FCONTEXT_H
#define CB_FCONTEXT_H

#include <stddef.h>

typedef void *fcontext_t;
typedef struct {
	fcontext_t fctx; /* the context that jumped here, to jump back to */
	void *data;
} transfer_t;

transfer_t jump_fcontext(fcontext_t const to, void *vp);
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

/* The switch to use: on x86-64 the project's copy of jump_fcontext
 * (fcontext_jump.S, the same frame, the FP control words loaded only when they
 * differ), elsewhere Boost's own. */
#if defined(__x86_64__) && defined(__LP64__) && defined(__ELF__)
#define CB_FCONTEXT_JUMP_S 1
transfer_t cb_jump_fcontext(fcontext_t const to, void *vp);
#define fcontext_jump cb_jump_fcontext
#else
#define fcontext_jump jump_fcontext
#endif

#endif
