/* Naming the machine limit a runner ran into, for its error note. */
#ifndef CB_SYSLIMITS_H
#define CB_SYSLIMITS_H

#include <stddef.h>

#include "err.h"

/* "RLIMIT_AS 15.3 GiB, RLIMIT_DATA unlimited, vm.max_map_count 65530": what limits
 * the memory one can map. */
void syslimits_memory(char *buf, size_t len);
/* "limits: RLIMIT_AS unlimited, RLIMIT_NPROC 96365, kernel.threads-max 192730, ..." */
void syslimits_describe(char *buf, size_t len);
/* Fills err with "<what> refused worker i of n: <strerror(e)> (limits: ...)";
 * returns code (CB_OK for a note beside recorded results). */
int syslimits_refused(struct cb_err *err, int code, int e, const char *what, int i, int n);

#endif
