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

struct cli_param {
	char *module, *key, *value; /* from "-p module.key=value"; owned */
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
	char *presets[CLI_LIST_MAX]; /* --preset names; "all" for every one */
	int npresets;
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
/* The --help text. */
const char *cli_usage(void);

#endif
