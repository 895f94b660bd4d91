/* What a person reads: --list, progress on stderr, the summary table, the floors. */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <stdio.h>

#include "floors.h"
#include "plan.h"
#include "summary.h"

void report_list(FILE *f);
void report_progress(FILE *f, const struct plan *p, const struct plan_trial *t, int done,
		     double elapsed_s);
void report_progress_clear(FILE *f);
void report_table(FILE *f, const struct summary *sums, int n);
void report_floors(FILE *f, const struct floors *fl);

/* "1.23 s", "45.6 ms", "789 µs", "12.0 ns"; "-" for NAN. */
void report_duration(char *buf, size_t len, double s);

/* One line when the host gave fewer cores' worth of CPU than it has: the ideals and
 * the claims use the smaller figure. */
void report_capacity_short(FILE *f, const struct floors *fl);

#endif
