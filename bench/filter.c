/* Parsing --filter's clauses and testing cells against them. */
#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "runner.h"
#include "workload.h"

#define KEYS_ALLOWED "workload, runner, tasks (n), workers (j), preset, or a parameter such " \
		     "as sleep.ms (see --list)"

static void clause_free(struct filter_clause *c)
{
	for (int i = 0; i < c->nvalues; i++)
		free(c->values[i]);
	free(c->module);
	free(c->name);
	free(c->text);
}

void filter_free(struct filter *f)
{
	for (int i = 0; i < f->n; i++)
		clause_free(&f->v[i]);
	free(f->v);
	*f = (struct filter){0};
}

/* The operator at s, and its length; -1 when s holds none it knows. */
static int op_at(const char *s, enum filter_op *op)
{
	static const struct {
		const char *text;
		enum filter_op op;
	} ops[] = {{"!=", FILTER_NE}, {"<=", FILTER_LE}, {">=", FILTER_GE},
		   {"=", FILTER_EQ},  {"<", FILTER_LT},  {">", FILTER_GT}};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strncmp(s, ops[i].text, strlen(ops[i].text)) == 0) {
			*op = ops[i].op;
			return (int)strlen(ops[i].text);
		}
	return -1;
}

static const struct param_spec *spec_find(const struct param_spec *s, const char *name)
{
	for (int i = 0; s && s[i].name; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

/* Sets the clause's key from its text; numeric and list-valued say how values read. */
static int clause_key(struct filter_clause *c, const char *key, bool *list, struct cb_err *err)
{
	static const struct {
		const char *name;
		enum filter_key key;
		bool numeric;
	} keys[] = {{"workload", FILTER_WORKLOAD, false}, {"runner", FILTER_RUNNER, false},
		    {"tasks", FILTER_TASKS, true},        {"n", FILTER_TASKS, true},
		    {"N", FILTER_TASKS, true},            {"workers", FILTER_WORKERS, true},
		    {"j", FILTER_WORKERS, true},          {"W", FILTER_WORKERS, true},
		    {"preset", FILTER_PRESET, false}};
	*list = false;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i].name) == 0) {
			c->key = keys[i].key;
			c->numeric = keys[i].numeric;
			return CB_OK;
		}
	const char *dot = strchr(key, '.');
	if (!dot)
		return cb_fail(err, CB_EINVAL, "--filter '%s': unknown key '%s' (allowed: %s)",
			       c->text, key, KEYS_ALLOWED);
	c->key = FILTER_PARAM;
	if (!(c->module = strndup(key, (size_t)(dot - key))) || !(c->name = strdup(dot + 1)))
		return cb_fail_errno(err, CB_ESYS, "--filter");
	const struct workload *wl = workload_find(c->module);
	const struct runner *rn = wl ? NULL : runner_find(c->module);
	if (!wl && !rn)
		return cb_fail(err, CB_EINVAL, "--filter '%s': no workload or runner is named '%s' "
			       "(allowed: %s)", c->text, c->module, KEYS_ALLOWED);
	const struct param_spec *all = wl ? wl->params : rn->params, *s = spec_find(all, c->name);
	if (!s) {
		char known[512] = "";
		size_t off = 0;
		for (int k = 0; all && all[k].name && off < sizeof known; k++)
			off += (size_t)snprintf(known + off, sizeof known - off, "%s%s.%s",
						k ? ", " : "", c->module, all[k].name);
		return cb_fail(err, CB_EINVAL, "--filter '%s': %s has no parameter '%s' (allowed: "
			       "%s)", c->text, c->module, c->name, off ? known : "none");
	}
	c->numeric = s->type == PARAM_INT || s->type == PARAM_MS;
	*list = s->type == PARAM_INTS || s->type == PARAM_STRS;
	return CB_OK;
}

/* A workload or runner named in a clause must exist: a typo would match nothing. */
static int check_name(const struct filter_clause *c, const char *v, struct cb_err *err)
{
	bool wl = c->key == FILTER_WORKLOAD;
	if (c->key != FILTER_WORKLOAD && c->key != FILTER_RUNNER)
		return CB_OK;
	if (wl ? workload_find(v) != NULL : runner_find(v) != NULL)
		return CB_OK;
	char all[512] = "";
	size_t off = 0;
	for (int i = 0;
	     off < sizeof all && (wl ? workload_table[i] != NULL : runner_table[i] != NULL); i++)
		off += (size_t)snprintf(all + off, sizeof all - off, "%s%s", i ? ", " : "",
					wl ? workload_table[i]->name : runner_table[i]->name);
	return cb_fail(err, CB_EINVAL, "--filter '%s': unknown %s '%s' (allowed: %s)", c->text,
		       wl ? "workload" : "runner", v, all);
}

static int clause_values(struct filter_clause *c, const char *v, bool list, struct cb_err *err)
{
	bool many = (c->op == FILTER_EQ || c->op == FILTER_NE) && !list;
	while (true) {
		size_t len = many ? strcspn(v, ",") : strlen(v);
		if (len == 0)
			return cb_fail(err, CB_EINVAL, "--filter '%s': an empty value (allowed: KEY OP "
				       "VALUE, e.g. tasks<=1000 or runner=evloop,green)", c->text);
		if (c->nvalues >= FILTER_VALUES_MAX)
			return cb_fail(err, CB_EINVAL, "--filter '%s': more than %d values", c->text,
				       FILTER_VALUES_MAX);
		char *item = strndup(v, len);
		if (!item)
			return cb_fail_errno(err, CB_ESYS, "--filter");
		c->values[c->nvalues++] = item;
		struct cb_err why = {0};
		if (c->numeric && parse_double(item, -1e18, 1e18, &c->nums[c->nvalues - 1], "",
					       &why))
			return cb_fail(err, CB_EINVAL, "--filter '%s': '%s' is not a number (allowed: "
				       "a number such as 1000, 0.5 or 1e6)", c->text, item);
		if (check_name(c, item, err))
			return CB_EINVAL;
		v += len;
		if (*v == '\0')
			return CB_OK;
		v++; /* the comma */
	}
}

static int parse_clause(struct filter_clause *c, const char *tok, struct cb_err *err)
{
	if (!(c->text = strdup(tok)))
		return cb_fail_errno(err, CB_ESYS, "--filter");
	size_t at = strcspn(tok, "=!<>");
	int oplen = tok[at] ? op_at(tok + at, &c->op) : -1;
	if (at == 0 || oplen < 0)
		return cb_fail(err, CB_EINVAL, "--filter '%s': not KEY OP VALUE (OP: =, !=, <, <=, "
			       ">, >=; e.g. tasks<=1000 runner=evloop,green)", tok);
	char key[128];
	if (at >= sizeof key)
		return cb_fail(err, CB_EINVAL, "--filter '%s': the key is too long", tok);
	memcpy(key, tok, at);
	key[at] = '\0';
	bool list;
	if (clause_key(c, key, &list, err))
		return CB_EINVAL;
	if (!c->numeric && c->op != FILTER_EQ && c->op != FILTER_NE)
		return cb_fail(err, CB_EINVAL, "--filter '%s': %s is not a number, so it takes = "
			       "or != only (allowed: <, <=, >, >= on tasks, workers and numeric "
			       "parameters)", tok, key);
	return clause_values(c, tok + at + oplen, list, err);
}

int filter_parse(struct filter *f, const char *expr, struct cb_err *err)
{
	const char *space = " \t\n";
	const char *s = expr + strspn(expr, space);
	if (*s == '\0')
		return cb_fail(err, CB_EINVAL, "--filter: an empty expression (allowed: clauses "
			       "KEY OP VALUE, e.g. 'runner=evloop tasks<=1000')");
	while (*s) {
		size_t len = strcspn(s, space);
		char *tok = strndup(s, len);
		struct filter_clause *v = realloc(f->v, sizeof *v * (size_t)(f->n + 1));
		if (!tok || !v) {
			free(tok);
			if (v)
				f->v = v;
			return cb_fail_errno(err, CB_ESYS, "--filter");
		}
		f->v = v;
		f->v[f->n] = (struct filter_clause){0};
		int rc = parse_clause(&f->v[f->n++], tok, err);
		free(tok);
		if (rc)
			return rc;
		s += len;
		s += strspn(s, space);
	}
	return CB_OK;
}

static bool match_num(const struct filter_clause *c, double x)
{
	switch (c->op) {
	case FILTER_EQ:
	case FILTER_NE: {
		bool any = false;
		for (int i = 0; i < c->nvalues && !any; i++)
			any = x == c->nums[i];
		return any == (c->op == FILTER_EQ);
	}
	case FILTER_LT:
		return x < c->nums[0];
	case FILTER_LE:
		return x <= c->nums[0];
	case FILTER_GT:
		return x > c->nums[0];
	case FILTER_GE:
		return x >= c->nums[0];
	}
	return false;
}

static bool match_word(const struct filter_clause *c, const char *s)
{
	bool any = false;
	for (int i = 0; i < c->nvalues && !any; i++)
		any = strcmp(s, c->values[i]) == 0;
	return any == (c->op == FILTER_EQ);
}

static bool match_text(const struct filter_clause *c, const char *s)
{
	return c->numeric ? match_num(c, strtod(s, NULL)) : match_word(c, s);
}

/* A module's parameter, or NULL when p is another module's. */
static const char *param_of(const struct filter_clause *c, const struct params *p)
{
	if (strcmp(p->module, c->module) != 0)
		return NULL;
	for (int i = 0; p->spec && p->spec[i].name; i++)
		if (strcmp(p->spec[i].name, c->name) == 0)
			return p->val[i];
	return NULL;
}

static bool clause_cell(const struct filter_clause *c, const struct cell *cell)
{
	switch (c->key) {
	case FILTER_WORKLOAD:
		return match_word(c, cell->wi->wl->name);
	case FILTER_RUNNER:
		return match_word(c, cell->ri->rn->name);
	case FILTER_TASKS:
		return match_num(c, cell->tasks);
	case FILTER_WORKERS:
		return match_num(c, cell->workers);
	case FILTER_PRESET:
		return match_word(c, cell->preset);
	case FILTER_PARAM: {
		const char *v = param_of(c, &cell->wi->params);
		if (!v)
			v = param_of(c, &cell->ri->params);
		return v && match_text(c, v);
	}
	}
	return false;
}

bool filter_cell(const struct filter *f, const struct cell *c)
{
	for (int i = 0; f && i < f->n; i++)
		if (!clause_cell(&f->v[i], c))
			return false;
	return true;
}

bool filter_name(const struct filter *f, enum filter_key key, const char *name)
{
	for (int i = 0; f && i < f->n; i++)
		if (f->v[i].key == key && !match_word(&f->v[i], name))
			return false;
	return true;
}

bool filter_params(const struct filter *f, const struct params *p)
{
	for (int i = 0; f && i < f->n; i++) {
		const struct filter_clause *c = &f->v[i];
		const char *v = c->key == FILTER_PARAM ? param_of(c, p) : NULL;
		if (v && !match_text(c, v))
			return false;
	}
	return true;
}
