/* The results files: tidy CSV, one row per trial or per cell, the three of a run
 * written as one set, whole or not at all (bench/fileset.h). Columns are documented in
 * results/README.md; later versions add columns, never rename. */
#ifndef CB_CSV_H
#define CB_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "floors.h"
#include "plan.h"
#include "summary.h"
#include "sysinfo.h"
#include "trialcell.h"

/* The files of one run: FILE, FILE.summary.csv, FILE.meta.csv and FILE.json (the run as
 * one document, bench/json.h), where a trailing ".csv" of FILE is dropped before adding
 * the suffixes. FILE "-" is stdout, for the trials alone (the others are empty strings
 * then). */
struct csv_paths {
	char trials[4096], summary[4096], meta[4096], json[4096];
	char json_only[4096]; /* --json FILE: the document again, on its own; "" for none */
	bool to_stdout;       /* -o -: the trials go to stdout */
	bool json_to_stdout;  /* --json -: the document goes to stdout */
};

/* output NULL: no CSV set (the paths stay empty). */
int csv_paths_for(struct csv_paths *cp, const char *output, struct cb_err *err);
/* Adds --json PATH ("-" for stdout) to the set; CB_EINVAL when stdout is taken already. */
int csv_paths_add_json(struct csv_paths *cp, const char *path, struct cb_err *err);
/* Checks before the run that the files can be written and are ours to replace: the
 * directory exists and is writable; each path is absent, empty, or one of our results
 * files (fileset_check_target). Nothing to check for stdout. */
int csv_check_writable(const struct csv_paths *cp, struct cb_err *err);

/* What one run writes. */
struct csv_results {
	const struct plan *p;
	const struct trial_row *rows;
	int nrows;
	const struct summary *sums;
	int nsums;
	const struct sysinfo *si;
	const struct floors *fl;
};

/* The files of cp as one set (the four of -o FILE, and --json FILE): all complete, or
 * none of the old ones changed. */
int csv_write_set(const struct csv_paths *cp, const struct csv_results *r, struct cb_err *err);
/* The trials CSV onto f (for -o -; the caller checks f). */
void csv_print_trials(FILE *f, const struct csv_results *r);
/* The JSON document onto f (for --json -). */
void csv_print_json(FILE *f, const struct csv_results *r);

/* Each file alone, whole or not at all. */
int csv_write_trials(const char *path, const struct plan *p, const struct trial_row *rows,
		     int nrows, struct cb_err *err);
int csv_write_summary(const char *path, const struct summary *sums, int n, struct cb_err *err);
int csv_write_meta(const char *path, const struct sysinfo *si, const struct floors *f,
		   struct cb_err *err);

/* Writes s as one CSV field, quoted when it holds a comma, quote or line break. */
void csv_field(FILE *f, const char *s);
/* Writes a number as %.9g; NAN or an infinity is an empty field. The writers above
 * hold the C locale while they call it, so the decimal point is '.'. */
void csv_number(FILE *f, double v);

#endif
