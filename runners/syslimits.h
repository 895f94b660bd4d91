/* Naming the machine limit a runner ran into, for its error note. */
#ifndef CB_SYSLIMITS_H
#define CB_SYSLIMITS_H

#include <stddef.h>

#include "err.h"

/* "limits: RLIMIT_NPROC 96365, kernel.threads-max 192730, ..., RLIMIT_AS 512 MiB
 * (-1: unlimited)", RLIMIT_AS only when it is set. */
void syslimits_describe(char *buf, size_t len);
/* Fills err with "<what> refused worker i of n: <strerror(e)> (limits: ...)";
 * returns code (CB_OK for a note beside recorded results). */
int syslimits_refused(struct cb_err *err, int code, int e, const char *what, int i, int n);

#endif
