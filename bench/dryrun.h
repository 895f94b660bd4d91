/* --dry-run: the plan's cells, their trials and an estimated time, one cell a line. */
#ifndef CB_DRYRUN_H
#define CB_DRYRUN_H

#include <stdio.h>

#include "plan.h"

/* Prints the plan to f: a header, a line per cell, and the totals. */
void dryrun_print(FILE *f, const struct plan *p);

#endif
