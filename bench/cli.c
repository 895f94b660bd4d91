/* Parsing concbench's options. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"

#define TASKS_MAX 100000000
#define WORKERS_MAX 10000000

enum { OPT_REPEAT = 256, OPT_WARMUP, OPT_TIMEOUT, OPT_ORDER, OPT_LIST, OPT_FLOORS, OPT_SCALE,
       OPT_VERSION, OPT_PRESET, OPT_NO_FLOORS, OPT_HEAP };

static const struct option cli_options[] = {
	{"workload", required_argument, NULL, 'w'}, {"runner", required_argument, NULL, 'r'},
	{"tasks", required_argument, NULL, 'n'},    {"workers", required_argument, NULL, 'j'},
	{"param", required_argument, NULL, 'p'},    {"output", required_argument, NULL, 'o'},
	{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
	{"repeat", required_argument, NULL, OPT_REPEAT},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"order", required_argument, NULL, OPT_ORDER},
	{"list", no_argument, NULL, OPT_LIST},
	{"floors", no_argument, NULL, OPT_FLOORS},
	{"no-floors", no_argument, NULL, OPT_NO_FLOORS},
	{"scale", required_argument, NULL, OPT_SCALE},
	{"version", no_argument, NULL, OPT_VERSION},
	{"preset", required_argument, NULL, OPT_PRESET},
	{"heap", required_argument, NULL, OPT_HEAP},
	{0},
};

const char *cli_usage(void)
{
	return "usage: concbench [options]\n"
	       "Runs workloads under concurrency models and measures each trial.\n"
	       "\n"
	       "  -w, --workload LIST   workloads to run, comma separated (see --list)\n"
	       "  -r, --runner LIST     concurrency models to run them under (see --list)\n"
	       "  -n, --tasks LIST      tasks per trial; a list sweeps (default 10)\n"
	       "  -j, --workers LIST    at most this many in flight, 0 = all at once; a list\n"
	       "                        sweeps (default 0)\n"
	       "  -p, --param M.K=V     a workload or runner parameter, e.g. -p countdown.n=1000000\n"
	       "      --repeat N        measured trials per cell (default 10)\n"
	       "      --warmup N        unmeasured trials first (default 1)\n"
	       "      --timeout SEC     a trial running longer is killed and failed (default 300)\n"
	       "      --order ORDER     interleaved (default: round-robin over cells, so drift\n"
	       "                        hits every cell alike) or sequential\n"
	       "      --scale F         multiply every duration and amount of work by F\n"
	       "      --preset LIST     run named experiments (see --list); 'all' runs every\n"
	       "                        one; other options add to or override the preset's\n"
	       "  -o, --output FILE     write trials to FILE and FILE's .summary.csv and\n"
	       "                        .meta.csv beside it, as one set, whole or not at all;\n"
	       "                        - writes the trials to stdout (and the table to stderr)\n"
	       "      --floors          measure the machine's primitives only, and print them\n"
	       "      --no-floors       skip them (the floor columns stay empty)\n"
	       "      --heap PAGES      malloc's pages, for every model alike: small (default:\n"
	       "                        glibc's own) or huge (2 MiB transparent huge pages,\n"
	       "                        glibc.malloc.hugetlb=1, for when page faults dominate)\n"
	       "      --list            list workloads, runners and their parameters\n"
	       "  -q, --quiet           no progress on stderr\n"
	       "  -h, --help            this text\n"
	       "      --version         the version\n"
	       "\n"
	       "Exit status: 0 all tasks ok, 1 some task or trial failed or the results or\n"
	       "stdout could not be written, 2 bad input,\n"
	       "128 + the signal when stopped by one: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP\n"
	       "(the finished trials are still written).\n";
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
	opterr = 0;
	optind = 0; /* GNU: start afresh, so tests can parse many command lines */
	int opt;
	while ((opt = getopt_long(argc, argv, ":w:r:n:j:p:o:qh", cli_options, NULL)) != -1) {
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
