/* The plan: every cell (workload + parameters, runner, tasks, workers) and the
 * order of its trials. Built from one command line, or from several presets
 * added one after another, and validated whole before anything runs, so bad
 * input stops the program with nothing measured or written. */
#ifndef CB_PLAN_H
#define CB_PLAN_H

#include <stdbool.h>

#include "cli.h"
#include "err.h"
#include "params.h"
#include "runner.h"
#include "workload.h"

struct filter;

#define PLAN_INST_MAX 256
/* Counts a trial's index and the order hold (int). */
#define PLAN_CELLS_MAX 100000000
#define PLAN_TRIALS_MAX 2000000000

/* A workload with one set of parameters; cells share it (and e.g. its server). */
struct wl_inst {
	const struct workload *wl;
	struct params params;
	void *cfg;
	bool started;
	char *params_str; /* params_format's, owned */
};

struct rn_inst {
	const struct runner *rn;
	struct params params;
	char *params_str; /* params_format's, owned */
};

struct cell {
	struct wl_inst *wi;
	struct rn_inst *ri;
	int tasks;
	int workers; /* as run: 1 for a one-at-a-time runner */
	int repeat, warmup;
	double timeout_s;  /* a trial running longer is killed */
	char preset[64]; /* the preset it came from, "" for none */
};

struct plan_trial {
	int cell;
	int index;   /* 0-based among this cell's trials, warm-ups first */
	bool warmup;
};

struct plan {
	struct wl_inst *wls[PLAN_INST_MAX];
	int nwls;
	struct rn_inst *rns[PLAN_INST_MAX];
	int nrns;
	struct cell *cells;
	int ncells;
	struct plan_trial *order;
	int norder;
	char skipped[1024]; /* runners left out as unavailable, with what to install */
	/* Set before plan_add: the cells it keeps (NULL: all); not owned. Workloads,
	 * runners and parameter sets it rules out are never configured or checked. */
	const struct filter *filter;
};

/* When the command line names no workload or runner, the plan takes those their
 * registries mark in_default; no -n is CLI_DEFAULT_TASKS. */

/* Adds the cells of one command line (preset: its name, or NULL): every workload
 * crossed with each combination of its -p values, every runner likewise, every -n and
 * every -j, less those p->filter rules out. */
int plan_add(struct plan *p, const struct cli *c, const char *preset, struct cb_err *err);
/* Orders every cell's trials, once all are added. */
int plan_order(struct plan *p, enum cli_order order, struct cb_err *err);
void plan_free(struct plan *p);
/* Seconds one trial of the cell takes at best (the workload's ideal), or NAN when the
 * workload knows none (CPU work, whose time only a run shows). */
double plan_ideal_s(const struct cell *c);

#endif
