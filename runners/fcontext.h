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

#endif
