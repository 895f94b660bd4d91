/* Big zeroed arrays on transparent huge pages when the run's heap is huge (--heap
 * huge): one fault per 2 MiB instead of 512. Whether that wins depends on the host (a
 * fresh 4 KiB page costs 2-17 us on machines of this kind, and zeroing a 2 MiB page
 * can cost more than faulting 512 small ones), so it is the heap's choice for every
 * model alike, never this module's. Otherwise, and for small arrays, calloc. */
#ifndef CB_HUGEMEM_H
#define CB_HUGEMEM_H

#include <stddef.h>

/* n zeroed elements of size bytes, or NULL. */
void *hugemem_calloc(size_t n, size_t size);
/* Frees what hugemem_calloc(n, size) returned; n and size must be the same. */
void hugemem_free(void *p, size_t n, size_t size);

#endif
