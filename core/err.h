/* One error type for every layer: a code and a sentence naming the bad value.
 * Library code fills it and returns the code; only main turns it into an exit. */
#ifndef CB_ERR_H
#define CB_ERR_H

#include <stddef.h>

enum cb_code {
	CB_OK = 0,
	CB_EINVAL,  /* bad input from the user: exit 2, nothing written */
	CB_ESYS,    /* the system refused (fork, mmap, open, ...) */
	CB_ELIMIT,  /* a machine limit stops this cell (RLIMIT, map count, memory) */
	CB_EFAIL,   /* the work ran and failed (a task, a trial) */
	CB_EINTR,   /* the user interrupted the run */
};

struct cb_err {
	int code;
	char msg[512];
};

/* Fills err (if not NULL) and returns code, so callers write `return cb_fail(...)`. */
int cb_fail(struct cb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like cb_fail, with ": strerror(errno)" appended. */
int cb_fail_errno(struct cb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copies src into dst[0..n), cutting it short if needed; always terminates. */
void cb_copy(char *dst, const char *src, size_t n);

#endif
