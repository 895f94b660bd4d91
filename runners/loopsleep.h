/* Sleeps for the loop runners (evloop, green). Sleeps of one duration end in the order
 * they began, so each duration gets a FIFO of sleepers with one ev_timer on its head,
 * instead of a timer and a heap entry per task (libev's manual: "be smart about
 * timeouts"). A sleeper is a record of the runner's, found by its index in one array
 * (base + index * stride); the link and the deadline live in it, so a sleep costs
 * the runner 12 bytes per record and no allocation. Durations get lists as they come,
 * as many as there are. Everything runs on the loop's thread. */
#ifndef CB_LOOPSLEEP_H
#define CB_LOOPSLEEP_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "err.h"
#include "loopclock.h"

/* Embedded in the runner's record; packed to 12 bytes, so the record may put an int
 * beside it in the 16 (at a million records, 4 MB of fresh pages). */
struct loopsleeper {
	double deadline; /* clock_now() when its sleep ends */
	int32_t next;    /* the next sleeper of its list; -1: none */
} __attribute__((packed));

/* Sleeper `who` is due. Called from the loop. */
typedef void (*loopsleep_due_fn)(void *ud, int32_t who);

struct loopsleep;

/* The records: base + who * stride, their loopsleeper at offset `off`. */
struct loopsleep_conf {
	struct ev_loop *loop;
	struct loopclock *clock; /* the runner's: the lists read and re-read it */
	void *base;
	size_t stride, off;
	loopsleep_due_fn due;
	void *ud;
};

int loopsleep_open(struct loopsleep **ls, const struct loopsleep_conf *conf, struct cb_err *err);
/* Sleeper who sleeps ns from now (the loop clock's time): due(who) once it ended.
 * CB_ELIMIT when a new duration found no memory for its list (who is not queued). */
int loopsleep_add(struct loopsleep *ls, int32_t who, int64_t ns, double now);
/* Durations with a list, for tests. */
int loopsleep_lists(const struct loopsleep *ls);
/* Stops every timer; the sleepers still queued are dropped. NULL is fine. */
void loopsleep_close(struct loopsleep *ls);

#endif
