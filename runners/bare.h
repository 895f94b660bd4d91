/* What the blocking models' floors do by hand: a task's sleeps with nothing around
 * them, the same nanosleep the step table calls. */
#ifndef CB_BARE_H
#define CB_BARE_H

#include <errno.h>
#include <time.h>

#include "err.h"
#include "task.h"

static inline void bare_sleeps(const struct floor_work *fw)
{
	for (int k = 0; k < fw->steps; k++) {
		struct timespec ts = {.tv_sec = fw->sleep_ns / 1000000000,
				      .tv_nsec = fw->sleep_ns % 1000000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* Whether the sleeps above are fw's work: anything else has no such floor (threads and
 * procs do a ping-pong too, runners/bare_pingpong.h). */
static inline int bare_supported(const struct floor_work *fw, const char *runner,
				 struct cb_err *err)
{
	if (fw->kind == STEP_SLEEP)
		return CB_OK;
	return cb_fail(err, CB_EINVAL, "%s: no floor for %s steps", runner,
		       step_kind_name(fw->kind));
}

#endif
