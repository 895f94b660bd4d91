/* A small RFC 4180 reader for the tests, to check what concbench wrote. */
#ifndef CB_CSVDOC_H
#define CB_CSVDOC_H

#include <stdbool.h>

#define DOC_RECS 64
#define DOC_FIELDS 96

struct doc {
	char *f[DOC_RECS][DOC_FIELDS];
	int nf[DOC_RECS];
	int n;
	bool ok; /* it was read whole, every quote closed, every record ended by a newline */
	char buf[65536];
};

/* Parses text into d (which must not be on a small stack: it is 100 KiB). */
void doc_parse(struct doc *d, const char *text);
/* A heap doc of the file at path; doc->ok false when it could not be read whole. */
struct doc *doc_load(const char *path);
/* The index of a header column, -1 when there is none. */
int doc_col(const struct doc *d, const char *name);

#endif
