/* Progress of a run on stderr. On a terminal, one live line rewritten as the run goes
 * (several times a second while a trial runs, from trial_on_tick): a bar, cells done,
 * the trial under way, its cell's running median, elapsed and an ETA from the plan.
 * Elsewhere (a CI log, a pipe), a line per cell as its last trial ends, and a line
 * now and then when no cell has ended for a while. The floors have a line of their own. */
#ifndef CB_PROGRESS_H
#define CB_PROGRESS_H

#include <stdio.h>

#include "floors.h"
#include "plan.h"
#include "trialcell.h"

enum progress_mode {
	PROGRESS_OFF,  /* -q */
	PROGRESS_LIVE, /* a terminal: one line rewritten */
	PROGRESS_LOG,  /* not a terminal: whole lines as cells finish */
};

struct progress {
	FILE *f;
	enum progress_mode mode;
	const struct plan *p;
	const struct trial_row *rows; /* the finished trials, in the order they ran */
	int nrows;
	int *cell_trials;  /* finished trials per cell, warm-ups too */
	double *cell_time; /* their summed fork-to-reap times */
	int cells_done;
	int k;             /* the trial under way: its index in p->order; -1 none */
	double t0;         /* the trials' start */
	double trial_t0;   /* the current trial's start */
	double floors_t0;  /* the floors' start; 0 when not measuring them */
	const struct floors *fl; /* whose phase the floors line shows */
	double last_log;   /* when the last log line was written */
	bool shown;        /* a live line is on the screen */
};

/* The mode for this run: off with quiet, live when stderr is a terminal. */
enum progress_mode progress_mode_for(bool quiet);
/* 0, or -1 out of memory (then progress is off). */
int progress_start(struct progress *pg, FILE *f, enum progress_mode mode, const struct plan *p);
void progress_stop(struct progress *pg);

/* The floors measured before the trials. */
void progress_floors_begin(struct progress *pg, const struct floors *fl);
void progress_floors_end(struct progress *pg);

/* Trial k of the plan is about to run; rows[0..nrows) have finished. */
void progress_trial_begin(struct progress *pg, int k, const struct trial_row *rows, int nrows);
/* The trial begun last has finished as rows[nrows - 1]. */
void progress_trial_end(struct progress *pg, const struct trial_row *rows, int nrows);
/* For trial_on_tick: redraws the live line. */
void progress_tick(void *pg);

/* Seconds the rest of the plan should take, from the times of the trials so far
 * (each cell's own mean once it has one, else the mean of all) scaled by how much
 * longer the run took than its trials (floors, the driver's own work); NAN before
 * any trial has finished. Pure: for the tests too. */
double progress_eta(const struct plan *p, const int *cell_trials, const double *cell_time,
		    double elapsed_s, double current_s, int current_cell);

#endif
