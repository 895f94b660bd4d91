/* What a person reads: --list, progress on stderr, the summary table, the floors. */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "floors.h"
#include "plan.h"
#include "summary.h"

void report_list(FILE *f);

/* How the table looks: --wide, and colour (--color, NO_COLOR, a terminal). */
struct report_style {
	bool wide;  /* every parameter, the runner's, min … max and cv */
	bool color; /* SGR colours on the verdict columns */
};

/* The summary table, its legend and the failed cells' first failures; sums as
 * summary_compute fills them for p. */
void report_table(FILE *f, const struct plan *p, const struct summary *sums, int n,
		  const struct report_style *st);
/* A cell's parameters that tell it apart: those given or off their defaults, and those
 * that differ between the plan's cells ("ms=300;url=..."; a runner's as
 * "runner.key=value"); "" for none. Whole values, never shortened: only len bounds it. */
void report_params_short(const struct plan *p, int cell, char *buf, size_t len);
/* "sleep ms=300 threads n=4 W=0". */
void report_cell_name(const struct plan *p, int cell, char *buf, size_t len);
void report_floors(FILE *f, const struct floors *fl);

/* "1.23 s", "45.6 ms", "789 µs", "12.0 ns"; "-" for NAN. */
void report_duration(char *buf, size_t len, double s);

/* One line when the host gave fewer cores' worth of CPU than it has: the ideals and
 * the claims use the smaller figure. */
void report_capacity_short(FILE *f, const struct floors *fl);

#endif
