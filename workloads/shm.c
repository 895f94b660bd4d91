/* Shared anonymous mappings for the shared-state workloads. */
#include "shm.h"

#include <stdalign.h>
#include <sys/mman.h>

/* The mapping's size sits in front of what the caller gets, so freeing needs only p. */
struct shm_head {
	alignas(64) size_t bytes;
};

void *shm_new(size_t bytes, struct cb_err *err)
{
	size_t total = sizeof(struct shm_head) + bytes;
	struct shm_head *h = mmap(NULL, total, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED) {
		cb_fail_errno(err, CB_ELIMIT, "mmap of %zu shared bytes", bytes);
		return NULL;
	}
	h->bytes = total;
	return h + 1;
}

void shm_free(void *p)
{
	if (!p)
		return;
	struct shm_head *h = (struct shm_head *)p - 1;
	munmap(h, h->bytes);
}
