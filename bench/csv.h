/* The results files: tidy CSV, one row per trial or per cell, written whole or not
 * at all (a temporary file beside the target, renamed over it). Columns are
 * documented in results/README.md; later versions add columns, never rename. */
#ifndef CB_CSV_H
#define CB_CSV_H

#include <stdio.h>

#include "err.h"
#include "floors.h"
#include "plan.h"
#include "summary.h"
#include "sysinfo.h"
#include "trial.h"

/* The three files of one run: FILE, FILE.summary.csv and FILE.meta.csv, where a
 * trailing ".csv" of FILE is dropped before adding the suffixes. */
struct csv_paths {
	char trials[4096], summary[4096], meta[4096];
};

int csv_paths_for(struct csv_paths *cp, const char *output, struct cb_err *err);
/* Checks that the files can be written (the directory exists and is writable). */
int csv_check_writable(const struct csv_paths *cp, struct cb_err *err);

int csv_write_trials(const char *path, const struct plan *p, const struct trial_row *rows,
		     int nrows, struct cb_err *err);
int csv_write_summary(const char *path, const struct summary *sums, int n, struct cb_err *err);
int csv_write_meta(const char *path, const struct sysinfo *si, const struct floors *f,
		   struct cb_err *err);

/* Writes s as one CSV field, quoted when it holds a comma, quote or line break. */
void csv_field(FILE *f, const char *s);
/* Writes a number as %.9g; NAN or an infinity is an empty field. The file writers
 * below hold the C locale while they call it, so the decimal point is '.'. */
void csv_number(FILE *f, double v);

#endif
