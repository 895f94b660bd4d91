/* The first failure of a run, shared by every worker of it. */
#include "failnote.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct failnote_page {
	atomic_int count;  /* failures so far; the one that made it 1 writes the words */
	atomic_int ready;  /* the words are whole */
	char one[24], many[24]; /* what failed: "fetch", "fetches" */
	char text[208];
};

/* The run's note; one run at a time per process, as a trial child has. */
static struct failnote_page *failnote;

int failnote_open(void)
{
	failnote_close();
	void *p = mmap(NULL, sizeof *failnote, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* Zeroed, and left untouched: a run without failures pays no page for it. */
	failnote = p;
	return 0;
}

void failnote_add(const char *one, const char *many, const char *fmt, ...)
{
	struct failnote_page *f = failnote;
	if (!f || atomic_fetch_add(&f->count, 1) != 0)
		return;
	snprintf(f->one, sizeof f->one, "%s", one);
	snprintf(f->many, sizeof f->many, "%s", many);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof f->text, fmt, ap);
	va_end(ap);
	atomic_store(&f->ready, 1);
}

void failnote_append(char *note, size_t len)
{
	struct failnote_page *f = failnote;
	if (!f || !atomic_load(&f->ready) || len == 0)
		return;
	size_t used = strnlen(note, len - 1);
	int n = atomic_load(&f->count);
	if (n == 1)
		snprintf(note + used, len - used, "%s%s (the one failed %s)", used ? "; " : "",
			 f->text, f->one);
	else
		snprintf(note + used, len - used, "%s%s (the first of %d failed %s)",
			 used ? "; " : "", f->text, n, f->many);
}

void failnote_close(void)
{
	if (failnote)
		munmap(failnote, sizeof *failnote);
	failnote = NULL;
}
