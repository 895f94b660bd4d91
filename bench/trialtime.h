/* A function timed in a trial child (trial.h), as the floors are measured: in a
 * fresh process like any cell, its clock inside the child around the function. */
#ifndef CB_TRIALTIME_H
#define CB_TRIALTIME_H

#include "err.h"

/* Runs fn(arg) in a trial child: *seconds is its wall time, measured inside, and
 * *maxrss_kib (unless NULL) the child's peak RSS. A timeout, a child that died or
 * fn's own error is an error naming it. */
int trialtime_fn(int (*fn)(void *arg, struct cb_err *err), void *arg, double timeout_s,
		 double *seconds, long *maxrss_kib, struct cb_err *err);

#endif
