/* Parsing concbench's options. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "runner.h"
#include "workload.h"

#define TASKS_MAX 100000000
#define WORKERS_MAX 10000000

enum { OPT_REPEAT = 256, OPT_WARMUP, OPT_TIMEOUT, OPT_ORDER, OPT_LIST, OPT_FLOORS, OPT_SCALE,
       OPT_VERSION, OPT_PRESET, OPT_NO_FLOORS, OPT_HEAP, OPT_FILTER, OPT_DRY_RUN, OPT_ADD,
       OPT_JSON, OPT_COLOR, OPT_WIDE };

/* The one table of options: the parser's getopt tables and --help are made from it. */
struct cli_opt {
	const char *name; /* the long name */
	int key;          /* its letter, or an OPT_ code for a long one only */
	const char *arg;  /* what its value is called; NULL: it takes none */
	const char *help; /* the default, when it has one, is added from CLI_DEFAULTS */
};

static const struct cli_opt cli_opts[] = {
	{"workload", 'w', "LIST", "workloads to run (see --list)"},
	{"runner", 'r', "LIST", "concurrency models to run them under (see --list)"},
	{"tasks", 'n', "LIST", "tasks per trial"},
	{"workers", 'j', "LIST", "at most this many in flight, 0 = all at once"},
	{"param", 'p', "M.K=LIST", "a workload or runner parameter, e.g. -p countdown.n=1000000; "
	 "a list or range sweeps it like -n: -p sleep.ms=5,10,20, -p countdown.n=1e6..1e9:x10"},
	{"repeat", OPT_REPEAT, "N", "measured trials per cell"},
	{"warmup", OPT_WARMUP, "N", "unmeasured trials first"},
	{"timeout", OPT_TIMEOUT, "SEC", "a trial running longer is killed and failed"},
	{"order", OPT_ORDER, "ORDER", "interleaved (round-robin over cells, so drift hits every "
	 "cell alike) or sequential"},
	{"scale", OPT_SCALE, "F", "multiply every duration and amount of work by F"},
	{"preset", OPT_PRESET, "LIST", "run named experiments (see --list); 'all' runs every one. "
	 "-w, -r, -n and -j narrow a preset's cells to those values; -p, --repeat, --warmup, "
	 "--timeout and --scale replace the preset's own"},
	{"add", OPT_ADD, NULL, "with --preset: -w, -r, -n, -j and -p add to each of the preset's "
	 "sweeps instead of narrowing it"},
	{"filter", OPT_FILTER, "EXPR", "run only the cells that meet every clause of EXPR, e.g. "
	 "'runner=evloop,green tasks<=1000 workload=sleep' (below); may be repeated"},
	{"dry-run", OPT_DRY_RUN, NULL, "print the cells, their trials and an estimated time; run "
	 "nothing, write nothing"},
	{"output", 'o', "FILE", "write trials to FILE and FILE's .summary.csv and .meta.csv "
	 "beside it, as one set, whole or not at all; - writes the trials to stdout (and the "
	 "table to stderr)"},
	{"json", OPT_JSON, "FILE", "also write the run as one JSON document (context, each cell's "
	 "summary and raw trials; results/run.schema.json) to FILE; - writes it to stdout (and "
	 "the table to stderr)"},
	{"floors", OPT_FLOORS, NULL, "measure the machine's primitives only, and print them"},
	{"no-floors", OPT_NO_FLOORS, NULL, "skip them (the floor columns stay empty)"},
	{"heap", OPT_HEAP, "PAGES", "malloc's pages, for every model alike: small (glibc's own) "
	 "or huge (2 MiB transparent huge pages, glibc.malloc.hugetlb=1, for when page faults "
	 "dominate)"},
	{"list", OPT_LIST, NULL, "list workloads, runners and their parameters"},
	{"quiet", 'q', NULL, "no progress on stderr"},
	{"color", OPT_COLOR, "WHEN", "colour the table's verdicts: auto (on a terminal, unless "
	 "NO_COLOR is set), always or never"},
	{"wide", OPT_WIDE, NULL, "the table with every parameter, the runner's, min … max and cv"},
	{"help", 'h', NULL, "this text"},
	{"version", OPT_VERSION, NULL, "the version"},
};

#define CLI_NOPTS (sizeof cli_opts / sizeof cli_opts[0])

/* The names a registry marks in_default, comma separated. */
static void defaults_of(const char *(*name)(int, bool *), char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	bool in;
	for (int i = 0; name(i, &in) && off < len; i++)
		if (in)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						name(i, &in));
}

static const char *workload_at(int i, bool *in_default)
{
	*in_default = workload_table[i] && workload_table[i]->in_default;
	return workload_table[i] ? workload_table[i]->name : NULL;
}

static const char *runner_at(int i, bool *in_default)
{
	*in_default = runner_table[i] && runner_table[i]->in_default;
	return runner_table[i] ? runner_table[i]->name : NULL;
}

/* The default an option has when not given, as --help says it; "" for none. */
static void default_text(int key, char *buf, size_t len)
{
	const struct cli d = CLI_DEFAULTS;
	buf[0] = '\0';
	switch (key) {
	case 'w':
		defaults_of(workload_at, buf, len);
		break;
	case 'r':
		defaults_of(runner_at, buf, len);
		break;
	case 'n':
		snprintf(buf, len, "%d", CLI_DEFAULT_TASKS);
		break;
	case 'j':
		snprintf(buf, len, "0");
		break;
	case OPT_REPEAT:
		snprintf(buf, len, "%" PRId64, d.repeat);
		break;
	case OPT_WARMUP:
		snprintf(buf, len, "%" PRId64, d.warmup);
		break;
	case OPT_TIMEOUT:
		snprintf(buf, len, "%g", d.timeout_s);
		break;
	case OPT_SCALE:
		snprintf(buf, len, "%g", d.scale);
		break;
	case OPT_ORDER:
		snprintf(buf, len, "%s", d.order == ORDER_INTERLEAVED ? "interleaved" : "sequential");
		break;
	case OPT_HEAP:
		snprintf(buf, len, "%s", d.heap == HEAP_SMALL ? "small" : "huge");
		break;
	}
}

/* Appends text to *off in buf from column 24, wrapped at 80 columns under that hang. */
static void wrap(char *buf, size_t len, size_t *off, const char *text)
{
	const size_t hang = 24, width = 80;
	size_t col = hang;
	for (const char *w = text; *w && *off < len;) {
		size_t n = strcspn(w, " ");
		if (col > hang && col + 1 + n > width) {
			*off += (size_t)snprintf(buf + *off, len - *off, "\n%*s", (int)hang, "");
			col = hang;
		} else if (col > hang) {
			*off += (size_t)snprintf(buf + *off, len - *off, " ");
			col++;
		}
		*off += (size_t)snprintf(buf + *off, len - *off, "%.*s", (int)n, w);
		col += n;
		w += n + (w[n] == ' ');
	}
}

const char *cli_usage(void)
{
	static char text[12288];
	if (text[0])
		return text;
	size_t off = (size_t)snprintf(text, sizeof text, "usage: concbench [options]\n"
				      "Runs workloads under concurrency models and measures each "
				      "trial.\n\n");
	for (size_t i = 0; i < CLI_NOPTS && off < sizeof text; i++) {
		const struct cli_opt *o = &cli_opts[i];
		char head[48], def[128], help[640];
		snprintf(head, sizeof head, "  %c%c%s --%s%s%s", o->key < 256 ? '-' : ' ',
			 o->key < 256 ? o->key : ' ', o->key < 256 ? "," : " ", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		default_text(o->key, def, sizeof def);
		snprintf(help, sizeof help, "%s%s%s%s", o->help, *def ? " (default " : "", def,
			 *def ? ")" : "");
		off += (size_t)snprintf(text + off, sizeof text - off, "%-24s", head);
		if (strlen(head) >= 24)
			off += (size_t)snprintf(text + off, sizeof text - off, "\n%24s", "");
		wrap(text, sizeof text, &off, help);
		off += (size_t)snprintf(text + off, sizeof text - off, "\n");
	}
	snprintf(text + off, sizeof text - off, "\n"
		 "Lists: -w, -r, -n, -j, -p and --preset take a comma list, and an option given\n"
		 "again adds to its list (-n 1 -n 10 is -n 1,10); each combination of the lists'\n"
		 "values is one cell. A number may be a range: A..B:xF multiplies by F\n"
		 "(1..1000:x10 is 1,10,100,1000), A..B:+S adds S, A..B adds 1. A parameter whose\n"
		 "value is itself a list (bank.amounts, http.url) keeps its commas as one value,\n"
		 "and a repeat extends it; write a comma inside one URL as \\,.\n"
		 "\n"
		 "--filter EXPR: clauses separated by spaces, each KEY OP VALUE. KEY: workload,\n"
		 "runner, tasks (or n), workers (or j), preset, or a parameter such as sleep.ms.\n"
		 "OP: = and != (VALUE may be a comma list: any of them, none of them), and <, <=,\n"
		 ">, >= for numbers. A clause on a parameter keeps only cells whose workload or\n"
		 "runner has that parameter.\n"
		 "\n"
		 "Exit status: 0 all tasks ok, 1 some task or trial failed or the results or\n"
		 "stdout could not be written, 2 bad input,\n"
		 "128 + the signal when stopped by one: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP\n"
		 "(the finished trials are still written).\n");
	return text;
}

static int split_strings(const char *arg, char **out, int *n, const char *what,
			 struct cb_err *err)
{
	const char *c = arg;
	if (*c == '\0')
		return cb_fail(err, CB_EINVAL, "%s: empty list", what);
	while (*c) {
		size_t len = strcspn(c, ",");
		if (len == 0)
			return cb_fail(err, CB_EINVAL, "%s: '%s' has an empty item", what, arg);
		if (*n >= CLI_LIST_MAX)
			return cb_fail(err, CB_EINVAL, "%s: more than %d items", what, CLI_LIST_MAX);
		if (!(out[(*n)++] = strndup(c, len)))
			return cb_fail_errno(err, CB_ESYS, "%s", what);
		c += len;
		if (*c == ',' && *++c == '\0')
			return cb_fail(err, CB_EINVAL, "%s: '%s' has an empty item", what, arg);
	}
	return CB_OK;
}

/* The substring [s, s + n) into buf, or false when it does not fit. */
static bool copy_part(char *buf, size_t len, const char *s, size_t n)
{
	if (n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

int cli_range(const char *item, double *out, int *n, int max, bool whole, const char *what,
	      struct cb_err *err)
{
	const char *dots = strstr(item, ".."), *colon = strchr(item, ':');
	char a_s[64], b_s[64], what2[160];
	char op = '+';
	double a, b, step = 1;
	snprintf(what2, sizeof what2, "%s: range '%s'", what, item);
	if (!dots || dots == item || (colon && colon < dots) ||
	    !copy_part(a_s, sizeof a_s, item, (size_t)(dots - item)) ||
	    !copy_part(b_s, sizeof b_s, dots + 2,
		       colon ? (size_t)(colon - dots - 2) : strlen(dots + 2)) ||
	    !*b_s || (colon && colon[1] != 'x' && colon[1] != '+'))
		return cb_fail(err, CB_EINVAL, "%s: '%s' is not a range (allowed: A..B:xF, "
			       "A..B:+S, A..B)", what, item);
	if (parse_double(a_s, -1e18, 1e18, &a, what2, err) ||
	    parse_double(b_s, -1e18, 1e18, &b, what2, err))
		return CB_EINVAL;
	if (colon) {
		op = colon[1];
		if (parse_double(colon + 2, -1e18, 1e18, &step, what2, err))
			return CB_EINVAL;
		if (step <= (op == 'x' ? 1 : 0))
			return cb_fail(err, CB_EINVAL, "%s: the %s must be above %d", what2,
				       op == 'x' ? "factor" : "step", op == 'x' ? 1 : 0);
	}
	if (a > b)
		return cb_fail(err, CB_EINVAL, "%s goes down (allowed: A <= B)", what2);
	if (op == 'x' && a <= 0)
		return cb_fail(err, CB_EINVAL, "%s: a range that multiplies starts above 0", what2);
	/* Computed from A each time, not added up, so no rounding error piles up. */
	for (int i = 0;; i++) {
		double v = op == 'x' ? a * pow(step, i) : a + i * step;
		if (v > b + fabs(b) * 1e-9)
			break;
		if (whole) {
			double r = round(v);
			if (fabs(v - r) > 1e-6 * fmax(1, fabs(v)))
				return cb_fail(err, CB_EINVAL, "%s gives %g, not a whole number", what2,
					       v);
			v = r;
		}
		if (*n >= max)
			return cb_fail(err, CB_EINVAL, "%s: more than %d items", what, max);
		out[(*n)++] = v;
	}
	return CB_OK;
}

/* One item of -n or -j: a number, or a range of them. */
static int number_item(const char *item, int64_t *out, int *n, int64_t min, int64_t max,
		       const char *what, struct cb_err *err)
{
	if (!strstr(item, "..")) {
		if (*n >= CLI_LIST_MAX)
			return cb_fail(err, CB_EINVAL, "%s: more than %d items", what, CLI_LIST_MAX);
		return parse_i64(item, min, max, &out[(*n)++], what, err);
	}
	double v[CLI_LIST_MAX];
	int k = 0;
	if (cli_range(item, v, &k, CLI_LIST_MAX - *n, true, what, err))
		return CB_EINVAL;
	for (int i = 0; i < k; i++) {
		if (v[i] < (double)min || v[i] > (double)max)
			return cb_fail(err, CB_EINVAL, "%s: range '%s' gives %.0f, out of range "
				       "(allowed: %" PRId64 "..%" PRId64 ")", what, item, v[i], min,
				       max);
		out[(*n)++] = (int64_t)v[i];
	}
	return CB_OK;
}

static int split_numbers(const char *arg, int64_t *out, int *n, int64_t min, int64_t max,
			 const char *what, struct cb_err *err)
{
	char *items[CLI_LIST_MAX];
	int k = 0, rc = split_strings(arg, items, &k, what, err);
	for (int i = 0; i < k; i++) {
		if (rc == CB_OK)
			rc = number_item(items[i], out, n, min, max, what, err);
		free(items[i]);
	}
	return rc;
}

/* The spec of module.key, from the registries; NULL when there is none (the plan
 * says so, naming what is allowed). */
static const struct param_spec *spec_of(const char *module, const char *key)
{
	const struct workload *wl = workload_find(module);
	const struct runner *rn = wl ? NULL : runner_find(module);
	const struct param_spec *s = wl ? wl->params : rn ? rn->params : NULL;
	for (int i = 0; s && s[i].name; i++)
		if (strcmp(s[i].name, key) == 0)
			return &s[i];
	return NULL;
}

/* A parameter whose one value is a comma list. */
static bool spec_is_list(const struct param_spec *s)
{
	return s && (s->type == PARAM_INTS || s->type == PARAM_STRS);
}

static struct cli_param *param_entry(struct cli *c, const char *module, size_t mlen,
				     const char *key, size_t klen, struct cb_err *err)
{
	for (int i = 0; i < c->nparams; i++)
		if (strlen(c->params[i].module) == mlen &&
		    strncmp(c->params[i].module, module, mlen) == 0 &&
		    strlen(c->params[i].key) == klen && strncmp(c->params[i].key, key, klen) == 0)
			return &c->params[i];
	if (c->nparams >= CLI_LIST_MAX) {
		cb_fail(err, CB_EINVAL, "-p: more than %d parameters", CLI_LIST_MAX);
		return NULL;
	}
	struct cli_param *p = &c->params[c->nparams++];
	*p = (struct cli_param){strndup(module, mlen), strndup(key, klen), {0}, 0};
	if (!p->module || !p->key) {
		cb_fail_errno(err, CB_ESYS, "-p");
		return NULL;
	}
	return p;
}

static int push_value(struct cli_param *p, const char *v, size_t len, struct cb_err *err)
{
	if (p->nvalues >= CLI_LIST_MAX)
		return cb_fail(err, CB_EINVAL, "-p %s.%s: more than %d values", p->module, p->key,
			       CLI_LIST_MAX);
	if (!(p->values[p->nvalues] = strndup(v, len)))
		return cb_fail_errno(err, CB_ESYS, "-p");
	p->nvalues++;
	return CB_OK;
}

/* A list parameter's one value, extended by ",more". */
static int extend_value(struct cli_param *p, const char *more, struct cb_err *err)
{
	if (p->nvalues == 0)
		return push_value(p, more, strlen(more), err);
	size_t len = strlen(p->values[0]) + strlen(more) + 2;
	char *v = malloc(len);
	if (!v)
		return cb_fail_errno(err, CB_ESYS, "-p");
	snprintf(v, len, "%s%s%s", p->values[0], *p->values[0] ? "," : "", more);
	free(p->values[0]);
	p->values[0] = v;
	return CB_OK;
}

/* The items of one -p value: numbers and ranges of them, or any words. */
static int add_values(struct cli_param *p, const struct param_spec *s, const char *value,
		      struct cb_err *err)
{
	char what[160], *items[CLI_LIST_MAX];
	snprintf(what, sizeof what, "-p %s.%s", p->module, p->key);
	if (*value == '\0') /* one empty value, which the parameter's own check refuses */
		return push_value(p, "", 0, err);
	int k = 0, rc = split_strings(value, items, &k, what, err);
	bool numeric = s && (s->type == PARAM_INT || s->type == PARAM_MS);
	for (int i = 0; i < k; i++) {
		if (rc == CB_OK && numeric && strstr(items[i], "..")) {
			double v[CLI_LIST_MAX];
			int n = 0;
			rc = cli_range(items[i], v, &n, CLI_LIST_MAX - p->nvalues, s->type == PARAM_INT,
				       what, err);
			for (int j = 0; rc == CB_OK && j < n; j++) {
				char buf[64];
				snprintf(buf, sizeof buf, s->type == PARAM_INT ? "%.0f" : "%.10g", v[j]);
				rc = push_value(p, buf, strlen(buf), err);
			}
		} else if (rc == CB_OK) {
			rc = push_value(p, items[i], strlen(items[i]), err);
		}
		free(items[i]);
	}
	return rc;
}

static int parse_param(struct cli *c, const char *arg, struct cb_err *err)
{
	const char *eq = strchr(arg, '='), *dot = strchr(arg, '.');
	if (!eq || !dot || dot > eq || dot == arg || dot + 1 == eq)
		return cb_fail(err, CB_EINVAL, "-p: '%s' is not of the form module.key=value "
			       "(e.g. countdown.n=1000)", arg);
	struct cli_param *p = param_entry(c, arg, (size_t)(dot - arg), dot + 1,
					  (size_t)(eq - dot - 1), err);
	if (!p)
		return err->code;
	const struct param_spec *s = spec_of(p->module, p->key);
	return spec_is_list(s) ? extend_value(p, eq + 1, err) : add_values(p, s, eq + 1, err);
}

static int parse_one(struct cli *c, int opt, const char *arg, struct cb_err *err)
{
	double d;
	switch (opt) {
	case 'w':
		return split_strings(arg, c->workloads, &c->nworkloads, "--workload", err);
	case 'r':
		return split_strings(arg, c->runners, &c->nrunners, "--runner", err);
	case 'n':
		return split_numbers(arg, c->tasks, &c->ntasks, 1, TASKS_MAX, "--tasks", err);
	case 'j':
		return split_numbers(arg, c->workers, &c->nworkers, 0, WORKERS_MAX, "--workers",
				     err);
	case 'p':
		return parse_param(c, arg, err);
	case 'o':
		if (*arg == '\0')
			return cb_fail(err, CB_EINVAL, "--output: empty file name");
		c->output = arg;
		return CB_OK;
	case OPT_JSON:
		if (*arg == '\0')
			return cb_fail(err, CB_EINVAL, "--json: empty file name");
		c->json = arg;
		return CB_OK;
	case 'q':
		c->quiet = true;
		return CB_OK;
	case 'h':
		c->help = true;
		return CB_OK;
	case OPT_REPEAT:
		c->given.repeat = true;
		return parse_i64(arg, 1, 1000000, &c->repeat, "--repeat", err);
	case OPT_WARMUP:
		c->given.warmup = true;
		return parse_i64(arg, 0, 1000000, &c->warmup, "--warmup", err);
	case OPT_TIMEOUT:
		if (parse_positive(arg, 7 * 86400, &d, "--timeout", err))
			return CB_EINVAL;
		c->timeout_s = d;
		c->given.timeout = true;
		return CB_OK;
	case OPT_SCALE:
		if (parse_positive(arg, 1e6, &d, "--scale", err))
			return CB_EINVAL;
		c->scale = d;
		c->given.scale = true;
		return CB_OK;
	case OPT_FILTER:
		if (c->nfilters >= CLI_LIST_MAX)
			return cb_fail(err, CB_EINVAL, "--filter: more than %d", CLI_LIST_MAX);
		if (!(c->filters[c->nfilters] = strdup(arg)))
			return cb_fail_errno(err, CB_ESYS, "--filter");
		c->nfilters++;
		return CB_OK;
	case OPT_DRY_RUN:
		c->dry_run = true;
		return CB_OK;
	case OPT_ADD:
		c->add = true;
		return CB_OK;
	case OPT_ORDER:
		if (strcmp(arg, "interleaved") == 0)
			c->order = ORDER_INTERLEAVED;
		else if (strcmp(arg, "sequential") == 0)
			c->order = ORDER_SEQUENTIAL;
		else
			return cb_fail(err, CB_EINVAL, "--order: '%s' is not allowed (allowed: "
				       "interleaved, sequential)", arg);
		return CB_OK;
	case OPT_HEAP:
		if (strcmp(arg, "huge") == 0)
			c->heap = HEAP_HUGE;
		else if (strcmp(arg, "small") == 0)
			c->heap = HEAP_SMALL;
		else
			return cb_fail(err, CB_EINVAL, "--heap: '%s' is not allowed (allowed: small, "
				       "huge)", arg);
		return CB_OK;
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			c->color = COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			c->color = COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			c->color = COLOR_NEVER;
		else
			return cb_fail(err, CB_EINVAL, "--color: '%s' is not allowed (allowed: auto, "
				       "always, never)", arg);
		return CB_OK;
	case OPT_WIDE:
		c->wide = true;
		return CB_OK;
	case OPT_LIST:
		c->list = true;
		return CB_OK;
	case OPT_FLOORS:
		c->floors = true;
		return CB_OK;
	case OPT_NO_FLOORS:
		c->no_floors = true;
		return CB_OK;
	case OPT_VERSION:
		c->version = true;
		return CB_OK;
	case OPT_PRESET:
		return split_strings(arg, c->presets, &c->npresets, "--preset", err);
	}
	return cb_fail(err, CB_EINVAL, "unknown option");
}

int cli_parse(struct cli *c, int argc, char **argv, struct cb_err *err)
{
	*c = (struct cli)CLI_DEFAULTS;
	struct option longs[CLI_NOPTS + 1] = {{0}};
	char shorts[2 * CLI_NOPTS + 2] = ":";
	for (size_t i = 0, k = 1; i < CLI_NOPTS; i++) {
		longs[i] = (struct option){cli_opts[i].name,
					   cli_opts[i].arg ? required_argument : no_argument, NULL,
					   cli_opts[i].key};
		if (cli_opts[i].key < 256) {
			shorts[k++] = (char)cli_opts[i].key;
			if (cli_opts[i].arg)
				shorts[k++] = ':';
		}
	}
	opterr = 0;
	optind = 0; /* GNU: start afresh, so tests can parse many command lines */
	int opt;
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (opt == '?') {
			/* A long option given a value sets optopt to its code, not a letter. */
			const char *bad = argv[optind - 1];
			bool is_long = strncmp(bad, "--", 2) == 0;
			return cb_fail(err, CB_EINVAL, "unknown option '%s' (see --help)",
				       optopt && !is_long ? (char[]){'-', (char)optopt, 0} : bad);
		}
		if (opt == ':')
			return cb_fail(err, CB_EINVAL, "option '%s' needs a value",
				       argv[optind - 1]);
		if (parse_one(c, opt, optarg, err))
			return CB_EINVAL;
	}
	if (optind < argc)
		return cb_fail(err, CB_EINVAL, "unexpected argument '%s' (see --help)",
			       argv[optind]);
	return CB_OK;
}

bool cli_shapes_cells(const struct cli *c)
{
	const struct cli d = CLI_DEFAULTS;
	return c->nworkloads || c->nrunners || c->ntasks || c->nworkers || c->nparams ||
	       c->repeat != d.repeat || c->warmup != d.warmup || c->timeout_s != d.timeout_s ||
	       c->scale != d.scale;
}

static int copy_strs(char **dst, int *n, char *const *src, int nsrc, struct cb_err *err)
{
	for (int i = 0; i < nsrc; i++) {
		if (*n >= CLI_LIST_MAX)
			return cb_fail(err, CB_EINVAL, "more than %d items in a list", CLI_LIST_MAX);
		if (!(dst[*n] = strdup(src[i])))
			return cb_fail_errno(err, CB_ESYS, "presets");
		(*n)++;
	}
	return CB_OK;
}

static int copy_nums(int64_t *dst, int *n, const int64_t *src, int nsrc, struct cb_err *err)
{
	for (int i = 0; i < nsrc; i++) {
		if (*n >= CLI_LIST_MAX)
			return cb_fail(err, CB_EINVAL, "more than %d items in a list", CLI_LIST_MAX);
		dst[(*n)++] = src[i];
	}
	return CB_OK;
}

static void param_clear(struct cli_param *p)
{
	for (int i = 0; i < p->nvalues; i++)
		free(p->values[i]);
	p->nvalues = 0;
}

int cli_merge(struct cli *dst, const struct cli *user, struct cb_err *err)
{
	int rc;
	if (user->add &&
	    ((rc = copy_strs(dst->workloads, &dst->nworkloads, user->workloads, user->nworkloads,
			     err)) ||
	     (rc = copy_strs(dst->runners, &dst->nrunners, user->runners, user->nrunners, err)) ||
	     (rc = copy_nums(dst->tasks, &dst->ntasks, user->tasks, user->ntasks, err)) ||
	     (rc = copy_nums(dst->workers, &dst->nworkers, user->workers, user->nworkers, err))))
		return rc;
	for (int i = 0; i < user->nparams; i++) {
		const struct cli_param *u = &user->params[i];
		struct cli_param *d = param_entry(dst, u->module, strlen(u->module), u->key,
						  strlen(u->key), err);
		if (!d)
			return err->code;
		bool list = spec_is_list(spec_of(u->module, u->key));
		if (!user->add)
			param_clear(d);
		for (int j = 0; j < u->nvalues; j++)
			if ((rc = list && d->nvalues ? extend_value(d, u->values[j], err)
						     : push_value(d, u->values[j], strlen(u->values[j]), err)))
				return rc;
	}
	if (user->given.repeat)
		dst->repeat = user->repeat;
	if (user->given.warmup)
		dst->warmup = user->warmup;
	if (user->given.timeout)
		dst->timeout_s = user->timeout_s;
	if (user->given.scale)
		dst->scale = user->scale;
	return CB_OK;
}

void cli_free(struct cli *c)
{
	for (int i = 0; i < c->nworkloads; i++)
		free(c->workloads[i]);
	for (int i = 0; i < c->nrunners; i++)
		free(c->runners[i]);
	for (int i = 0; i < c->npresets; i++)
		free(c->presets[i]);
	for (int i = 0; i < c->nfilters; i++)
		free(c->filters[i]);
	for (int i = 0; i < c->nparams; i++) {
		free(c->params[i].module);
		free(c->params[i].key);
		param_clear(&c->params[i]);
	}
	c->nworkloads = c->nrunners = c->nparams = c->npresets = c->nfilters = 0;
}
