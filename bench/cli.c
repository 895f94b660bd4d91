/* Parsing concbench's options. */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
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
       OPT_VERSION, OPT_PRESET, OPT_NO_FLOORS, OPT_HEAP, OPT_COLOR, OPT_WIDE };

/* The one table of options: the parser's getopt tables and --help are made from it. */
struct cli_opt {
	const char *name; /* the long name */
	int key;          /* its letter, or an OPT_ code for a long one only */
	const char *arg;  /* what its value is called; NULL: it takes none */
	const char *help; /* the default, when it has one, is added from CLI_DEFAULTS */
};

static const struct cli_opt cli_opts[] = {
	{"workload", 'w', "LIST", "workloads to run, comma separated (see --list)"},
	{"runner", 'r', "LIST", "concurrency models to run them under (see --list)"},
	{"tasks", 'n', "LIST", "tasks per trial; a list sweeps"},
	{"workers", 'j', "LIST", "at most this many in flight, 0 = all at once; a list sweeps"},
	{"param", 'p', "M.K=V", "a workload or runner parameter, e.g. -p countdown.n=1000000"},
	{"repeat", OPT_REPEAT, "N", "measured trials per cell"},
	{"warmup", OPT_WARMUP, "N", "unmeasured trials first"},
	{"timeout", OPT_TIMEOUT, "SEC", "a trial running longer is killed and failed"},
	{"order", OPT_ORDER, "ORDER", "interleaved (round-robin over cells, so drift hits every "
	 "cell alike) or sequential"},
	{"scale", OPT_SCALE, "F", "multiply every duration and amount of work by F"},
	{"preset", OPT_PRESET, "LIST", "run named experiments (see --list); 'all' runs every one; "
	 "other options add to or override the preset's"},
	{"output", 'o', "FILE", "write trials to FILE and FILE's .summary.csv and .meta.csv "
	 "beside it, as one set, whole or not at all; - writes the trials to stdout (and the "
	 "table to stderr)"},
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
	static char text[8192];
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

static int split_numbers(const char *arg, int64_t *out, int *n, int64_t min, int64_t max,
			 const char *what, struct cb_err *err)
{
	char *items[CLI_LIST_MAX];
	int k = 0, rc = split_strings(arg, items, &k, what, err);
	for (int i = 0; i < k; i++) {
		if (rc == CB_OK) {
			if (*n >= CLI_LIST_MAX)
				rc = cb_fail(err, CB_EINVAL, "%s: more than %d items", what,
					     CLI_LIST_MAX);
			else
				rc = parse_i64(items[i], min, max, &out[(*n)++], what, err);
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
	if (c->nparams >= CLI_LIST_MAX)
		return cb_fail(err, CB_EINVAL, "-p: more than %d parameters", CLI_LIST_MAX);
	struct cli_param *p = &c->params[c->nparams++];
	p->module = strndup(arg, (size_t)(dot - arg));
	p->key = strndup(dot + 1, (size_t)(eq - dot - 1));
	p->value = strdup(eq + 1);
	if (!p->module || !p->key || !p->value)
		return cb_fail_errno(err, CB_ESYS, "-p");
	return CB_OK;
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
	case 'q':
		c->quiet = true;
		return CB_OK;
	case 'h':
		c->help = true;
		return CB_OK;
	case OPT_REPEAT:
		return parse_i64(arg, 1, 1000000, &c->repeat, "--repeat", err);
	case OPT_WARMUP:
		return parse_i64(arg, 0, 1000000, &c->warmup, "--warmup", err);
	case OPT_TIMEOUT:
		if (parse_positive(arg, 7 * 86400, &d, "--timeout", err))
			return CB_EINVAL;
		c->timeout_s = d;
		return CB_OK;
	case OPT_SCALE:
		if (parse_positive(arg, 1e6, &d, "--scale", err))
			return CB_EINVAL;
		c->scale = d;
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

void cli_free(struct cli *c)
{
	for (int i = 0; i < c->nworkloads; i++)
		free(c->workloads[i]);
	for (int i = 0; i < c->nrunners; i++)
		free(c->runners[i]);
	for (int i = 0; i < c->npresets; i++)
		free(c->presets[i]);
	for (int i = 0; i < c->nparams; i++) {
		free(c->params[i].module);
		free(c->params[i].key);
		free(c->params[i].value);
	}
	c->nworkloads = c->nrunners = c->nparams = c->npresets = 0;
}
