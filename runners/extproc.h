/* Running a program of our own making to its end, for the external runners: stdin from
 * /dev/null, its stdout scanned for the protocol's lines, its stderr passed on, and it
 * dies with its caller. */
#ifndef CB_EXTPROC_H
#define CB_EXTPROC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define EXTPROC_LINE_MAX 512

struct extproc {
	/* in */
	const char *prefix; /* keep the last stdout line beginning with it; NULL: none */
	bool quiet;         /* drop its stderr instead of passing it on to ours */
	double timeout_s;   /* SIGKILL it after this long; <= 0: no limit of its own */
	/* out */
	int status;                     /* as waitpid gives it */
	bool timed_out;                 /* killed at timeout_s */
	char line[EXTPROC_LINE_MAX];    /* the last stdout line beginning with prefix, or "" */
	char errline[EXTPROC_LINE_MAX]; /* its last non-empty stderr line, or "" */
};

/* Runs argv (argv[0] a path) and waits for its exit, reading its output until then, not
 * until the pipes close: a process it left holding them cannot hold us. CB_ESYS when it
 * could not be started (a pipe or fork refused); an exec that fails is an exit with
 * status 127 and a line on its stderr. */
int extproc_run(char *const argv[], struct extproc *p, struct cb_err *err);

/* When it did not end well (a signal, a time-out, a status other than 0), how it ended,
 * as the rest of a sentence ("exited with status 1: boom"); "" when it exited 0. */
void extproc_end(const struct extproc *p, char *buf, size_t len);

#endif
