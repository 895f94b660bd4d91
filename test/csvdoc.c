/* The tests' RFC 4180 reader. */
#include "csvdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *read_field(const char *c, char **o, bool *ok)
{
	if (*c != '"') {
		while (*c && *c != ',' && *c != '\n')
			*(*o)++ = *c++;
		return c;
	}
	for (c++; *c && !(c[0] == '"' && c[1] != '"'); c++) {
		if (*c == '"')
			c++; /* a doubled quote stands for one */
		*(*o)++ = *c;
	}
	if (*c != '"')
		*ok = false;
	return *c ? c + 1 : c;
}

void doc_parse(struct doc *d, const char *text)
{
	char *o = d->buf;
	d->n = 0;
	d->ok = text && strlen(text) < sizeof d->buf;
	for (const char *c = text; d->ok && *c && d->n < DOC_RECS; d->n++) {
		int k = 0;
		for (;;) {
			char *start = o;
			c = read_field(c, &o, &d->ok);
			*o++ = '\0';
			if (k < DOC_FIELDS)
				d->f[d->n][k++] = start;
			if (*c == ',') {
				c++;
				continue;
			}
			d->ok &= *c == '\n';
			c += *c == '\n';
			break;
		}
		d->nf[d->n] = k;
	}
}

struct doc *doc_load(const char *path)
{
	struct doc *d = calloc(1, sizeof *d);
	char *text = malloc(sizeof d->buf);
	if (!d || !text) {
		free(text);
		return d;
	}
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(text, 1, sizeof d->buf - 1, f) : 0;
	text[len] = '\0';
	doc_parse(d, text);
	d->ok &= f && len < sizeof d->buf - 1;
	if (f)
		fclose(f);
	free(text);
	return d;
}

int doc_col(const struct doc *d, const char *name)
{
	for (int k = 0; k < d->nf[0]; k++)
		if (strcmp(d->f[0][k], name) == 0)
			return k;
	return -1;
}
