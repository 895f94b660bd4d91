/* Reading preset files. */
#include "preset.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CB_PRESETS_DIR
#define CB_PRESETS_DIR "bench/presets"
#endif

const char *preset_dir(void)
{
	const char *env = getenv("CONCBENCH_PRESETS");
	return env && *env ? env : CB_PRESETS_DIR;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int grow(struct preset_list *pl, struct cb_err *err)
{
	struct preset *v = realloc(pl->v, sizeof *v * (size_t)(pl->n + 1));
	if (!v)
		return cb_fail_errno(err, CB_ESYS, "presets");
	pl->v = v;
	memset(&pl->v[pl->n], 0, sizeof pl->v[0]);
	pl->n++;
	return CB_OK;
}

static int header(struct preset_list *pl, char *s, const char *path, int ln,
		  struct cb_err *err)
{
	char *end = strchr(s, ']');
	if (!end || end[1] != '\0' || end == s + 1)
		return cb_fail(err, CB_EINVAL, "%s:%d: a preset header is [name]", path, ln);
	*end = '\0';
	for (char *c = s + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return cb_fail(err, CB_EINVAL, "%s:%d: preset name '%s' may hold letters, "
				       "digits, '-' and '_' only", path, ln, s + 1);
	if (strlen(s + 1) > PRESET_NAME_MAX)
		return cb_fail(err, CB_EINVAL, "%s:%d: preset name '%s' is longer than %d "
			       "characters", path, ln, s + 1, PRESET_NAME_MAX);
	if (preset_find(pl, s + 1))
		return cb_fail(err, CB_EINVAL, "%s:%d: preset '%s' is defined twice", path, ln,
			       s + 1);
	if (grow(pl, err))
		return CB_ESYS;
	struct preset *p = &pl->v[pl->n - 1];
	cb_copy(p->name, s + 1, sizeof p->name);
	if (!(p->file = strdup(path)))
		return cb_fail_errno(err, CB_ESYS, "presets");
	p->line = ln;
	p->in_all = true;
	return CB_OK;
}

/* first: the index of this file's first preset, so keys before it are refused. */
static int parse_line(struct preset_list *pl, char *s, const char *path, int ln, int first,
		      struct cb_err *err)
{
	if (*s == '\0' || *s == '#')
		return CB_OK;
	if (*s == '[')
		return header(pl, s, path, ln, err);
	char *eq = strchr(s, '=');
	if (!eq)
		return cb_fail(err, CB_EINVAL, "%s:%d: expected 'key = value' or '[name]'", path, ln);
	if (pl->n == first)
		return cb_fail(err, CB_EINVAL, "%s:%d: '%s' before any [preset]", path, ln, s);
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	struct preset *p = &pl->v[pl->n - 1];
	if (strcmp(key, "title") == 0) {
		free(p->title);
		if (!(p->title = strdup(val)))
			return cb_fail_errno(err, CB_ESYS, "presets");
	} else if (strcmp(key, "args") == 0) {
		if (!*val)
			return CB_OK; /* nothing to run; a preset left with none is refused below */
		if (p->nsweeps == PRESET_SWEEPS_MAX)
			return cb_fail(err, CB_EINVAL, "%s:%d: more than %d args lines in preset '%s'",
				       path, ln, PRESET_SWEEPS_MAX, p->name);
		struct preset_sweep *sw = &p->sweep[p->nsweeps];
		if (!(sw->args = strdup(val)))
			return cb_fail_errno(err, CB_ESYS, "presets");
		sw->line = ln;
		p->nsweeps++;
	} else if (strcmp(key, "in_all") == 0) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return cb_fail(err, CB_EINVAL, "%s:%d: in_all = '%s' (allowed: yes, no)", path,
				       ln, val);
		p->in_all = strcmp(val, "yes") == 0;
	} else
		return cb_fail(err, CB_EINVAL, "%s:%d: unknown key '%s' (allowed: title, args, "
			       "in_all)", path, ln, key);
	return CB_OK;
}

int preset_load_file(struct preset_list *pl, const char *path, struct cb_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cb_fail_errno(err, CB_EINVAL, "cannot read preset file '%s'", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ln = 0, rc = CB_OK, first = pl->n;
	while (rc == CB_OK && (len = getline(&line, &cap, f)) >= 0) {
		ln++;
		const char *nul = memchr(line, '\0', (size_t)len);
		if (nul)
			rc = cb_fail(err, CB_EINVAL, "%s:%d: a NUL byte at column %td (a preset file "
				     "is text)", path, ln, nul - line + 1);
		else
			rc = parse_line(pl, trim(line), path, ln, first, err);
	}
	if (rc == CB_OK && ferror(f))
		rc = cb_fail_errno(err, CB_EINVAL, "cannot read preset file '%s'", path);
	free(line);
	fclose(f);
	for (int i = first; rc == CB_OK && i < pl->n; i++)
		if (!pl->v[i].nsweeps)
			rc = cb_fail(err, CB_EINVAL, "%s:%d: preset '%s' has no args", path,
				     pl->v[i].line, pl->v[i].name);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int preset_load_dir(struct preset_list *pl, const char *dir, struct cb_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return cb_fail_errno(err, CB_EINVAL, "cannot open the presets folder '%s'", dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = CB_OK;
	for (struct dirent *e; rc == CB_OK && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len <= 7 || strcmp(e->d_name + len - 7, ".preset") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **more = realloc(names, cap * sizeof *names);
			if (!more) {
				rc = cb_fail_errno(err, CB_ESYS, "presets");
				break;
			}
			names = more;
		}
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			rc = cb_fail_errno(err, CB_ESYS, "presets");
		else
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof names[0], by_name);
	for (size_t i = 0; i < n; i++) {
		if (rc == CB_OK)
			rc = preset_load_file(pl, names[i], err);
		free(names[i]);
	}
	free(names);
	return rc;
}

void preset_list_free(struct preset_list *pl)
{
	for (int i = 0; i < pl->n; i++) {
		free(pl->v[i].title);
		free(pl->v[i].file);
		for (int k = 0; k < pl->v[i].nsweeps; k++)
			free(pl->v[i].sweep[k].args);
	}
	free(pl->v);
	*pl = (struct preset_list){0};
}

const struct preset *preset_find(const struct preset_list *pl, const char *name)
{
	for (int i = 0; i < pl->n; i++)
		if (strcmp(pl->v[i].name, name) == 0)
			return &pl->v[i];
	return NULL;
}

int preset_words(const struct preset *ps, int sweep, char **words, int max, int *nwords,
		 char *buf, size_t len, struct cb_err *err)
{
	const struct preset_sweep *sw = &ps->sweep[sweep];
	if (strlen(sw->args) >= len)
		return cb_fail(err, CB_EINVAL, "%s:%d: args longer than %zu characters", ps->file,
			       sw->line, len - 1);
	memcpy(buf, sw->args, strlen(sw->args) + 1);
	int n = 0;
	*nwords = 0;
	char *c = buf;
	while (*c) {
		while (isspace((unsigned char)*c))
			c++;
		if (!*c)
			break;
		if (n >= max)
			return cb_fail(err, CB_EINVAL, "%s:%d: more than %d words in args", ps->file,
				       sw->line, max);
		char *out = c;
		words[n++] = out;
		bool quoted = false;
		for (; *c && (quoted || !isspace((unsigned char)*c)); c++) {
			if (*c == '"')
				quoted = !quoted;
			else
				*out++ = *c;
		}
		if (quoted)
			return cb_fail(err, CB_EINVAL, "%s:%d: unclosed quote in args", ps->file,
				       sw->line);
		bool end = *c == '\0';
		*out = '\0';
		if (end)
			break;
		c++;
	}
	*nwords = n;
	return CB_OK;
}
