/* The time a loop runner stamps tasks with. A read of CLOCK_MONOTONIC costs ~30 ns on
 * a VM, as much as the rest of a task's bookkeeping, and a loop that starts or ends a
 * million tasks in one burst would spend most of it reading the clock. So a burst
 * shares a read: the time is re-read every LOOPCLOCK_EVERY stamps, and whenever the
 * runner says it may be stale (after a compute step, on every event from the loop).
 * A stamp is then at most LOOPCLOCK_EVERY tasks' bookkeeping old (~1 us), and never
 * goes back, so the sleeps of one duration still end in the order they began. */
#ifndef CB_LOOPCLOCK_H
#define CB_LOOPCLOCK_H

#include <ev.h>

#include "clock.h"

#define LOOPCLOCK_EVERY 16

struct loopclock {
	double now;
	int left; /* stamps before the next read; 0: read at the next one */
};

static inline double loopclock_read(struct loopclock *c)
{
	c->left = LOOPCLOCK_EVERY;
	return c->now = clock_now();
}

/* The time for a stamp: the shared read, or a new one. */
static inline double loopclock_stamp(struct loopclock *c)
{
	return c->left-- > 0 ? c->now : loopclock_read(c);
}

/* Time passed that the count cannot see (a compute step, a wait in the loop). */
static inline void loopclock_stale(struct loopclock *c)
{
	c->left = 0;
}

/* Arms the one-shot t for a deadline (clock_now()). libev counts a timer from its
 * cached time, which a compute step leaves stale: without the update, timers armed
 * after a long step fire early. */
static inline void loopclock_arm(struct ev_loop *loop, ev_timer *t, double deadline)
{
	ev_now_update(loop);
	double after = deadline - clock_now();
	ev_timer_set(t, after > 0 ? after : 0, 0);
	ev_timer_start(loop, t);
}

#endif
