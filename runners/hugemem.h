/* Big zeroed arrays on transparent huge pages. On machines of this kind a fresh
 * 4 KiB page costs 10-14 us to fault in, so a million small records cost seconds;
 * one 2 MiB huge page is one fault. Small arrays stay on calloc, where a huge page
 * would only waste memory. */
#ifndef CB_HUGEMEM_H
#define CB_HUGEMEM_H

#include <stddef.h>

/* n zeroed elements of size bytes, or NULL. */
void *hugemem_calloc(size_t n, size_t size);
/* Frees what hugemem_calloc(n, size) returned; n and size must be the same. */
void hugemem_free(void *p, size_t n, size_t size);

#endif
