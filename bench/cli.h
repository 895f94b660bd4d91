/* The concbench command line, parsed into plain data; nothing here prints or exits. */
#ifndef CB_CLI_H
#define CB_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define CLI_LIST_MAX 64

enum cli_order { ORDER_INTERLEAVED, ORDER_SEQUENTIAL };
enum cli_heap { HEAP_SMALL, HEAP_HUGE };
enum cli_color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* One -p key and every value given to it: a sweep, one cell per value. A parameter
 * whose value is itself a list (bank.amounts, http.url) has one value, which a repeated
 * -p extends. */
struct cli_param {
	char *module, *key;          /* from "-p module.key=value"; owned */
	char *values[CLI_LIST_MAX]; /* owned */
	int nvalues;
};

struct cli {
	char *workloads[CLI_LIST_MAX];
	int nworkloads;
	char *runners[CLI_LIST_MAX];
	int nrunners;
	int64_t tasks[CLI_LIST_MAX];
	int ntasks;
	int64_t workers[CLI_LIST_MAX];
	int nworkers;
	struct cli_param params[CLI_LIST_MAX];
	int nparams;
	int64_t repeat, warmup;
	double timeout_s;
	double scale; /* multiplies every duration and amount of work */
	enum cli_order order;
	enum cli_heap heap; /* malloc's pages for the run */
	const char *output; /* trials CSV; NULL: none */
	const char *json;   /* --json: the run as one JSON document; NULL: none */
	char *presets[CLI_LIST_MAX]; /* --preset names; "all" for every one */
	int npresets;
	char *filters[CLI_LIST_MAX]; /* --filter expressions, all of which a cell must meet */
	int nfilters;
	bool add;     /* -w/-r/-n/-j/-p add to a preset's cells instead of narrowing them */
	bool dry_run; /* print the cells and an estimate, run nothing */
	/* Which of the run's numbers the command line gave, so they override a preset's. */
	struct {
		bool repeat, warmup, timeout, scale;
	} given;
	enum cli_color color; /* the table's colours */
	bool wide;            /* the table in full */
	bool list, help, version, floors, no_floors, quiet;
};

#define CLI_DEFAULT_TASKS 10 /* -n when none is given */
#define CLI_DEFAULTS {.repeat = 10, .warmup = 1, .timeout_s = 300, .scale = 1}

/* Fills c from argv; CB_EINVAL with one line naming the bad value on bad input.
 * Call cli_free afterwards whatever it returned. */
int cli_parse(struct cli *c, int argc, char **argv, struct cb_err *err);
void cli_free(struct cli *c);
/* Whether it says anything about the cells (workloads, runners, sizes, trials), rather
 * than only about the run (output, order, heap, quiet). */
bool cli_shapes_cells(const struct cli *c);
/* Adds user's options to a preset's command line dst: --repeat, --warmup, --timeout,
 * --scale and each -p key the user gave replace the preset's; with --add the user's
 * -w, -r, -n, -j and -p values are added to the preset's lists instead (without it
 * -w/-r/-n/-j narrow the preset's cells, which is the filter's job, not this). */
int cli_merge(struct cli *dst, const struct cli *user, struct cb_err *err);
/* Expands one range item A..B:xF (times F) or A..B:+S (plus S;
 * A..B alone is +1), into out[*n...] (at most max in all); what names the option in
 * messages, whole: the values must be whole numbers. */
int cli_range(const char *item, double *out, int *n, int max, bool whole, const char *what,
	       struct cb_err *err);
/* The --help text. */
const char *cli_usage(void);

#endif
