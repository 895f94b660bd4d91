/* hand-timers N MS: the hand-written counterpart of concbench's evloop and green
 * runners on N sleepers at once (-w sleep -p sleep.ms=MS -n N -j 0). One raw libev
 * loop, one ev_timer per task, all started at once, each of MS ms from its own start
 * (ev_now_update every 16, as fresh as the runners' stamps), the loop run until every
 * timer fired: what a heap entry per sleeper costs, with nothing else around it.
 *
 * Timed as a concbench trial is: the clock starts before the loop and the timers
 * are allocated and stops when the last one fired; freeing them is timed apart
 * (free_s). bytes_per_task is the growth of the peak RSS over N. Prints one line:
 *   wall_s=0.131 tasks=1000000 bytes_per_task=75 arm_s=0.030 free_s=0.004 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>

#include "hand.h"

#define PROG "hand-timers"

static void hand_fired(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	long *fired = ev_userdata(loop);
	++*fired; /* a one-shot timer stops itself: the loop ends when the last has fired */
}

int main(int argc, char **argv)
{
	long n, ms, fired = 0;
	if (argc != 3)
		return hand_usage(PROG " N MS");
	if (!hand_number(argv[1], 1, HAND_MAX_TASKS, &n))
		return hand_refuse(PROG, "N", argv[1], 1, HAND_MAX_TASKS);
	if (!hand_number(argv[2], 0, HAND_MAX_MS, &ms))
		return hand_refuse(PROG, "MS", argv[2], 0, HAND_MAX_MS);

	double rss0 = hand_peak_rss(), t0 = hand_now();
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ev_timer *timers = loop ? malloc(sizeof *timers * (size_t)n) : NULL;
	if (!timers) {
		fprintf(stderr, PROG ": %s\n", loop ? "no memory for the timers" : "ev_loop_new failed");
		if (loop)
			ev_loop_destroy(loop);
		return 1;
	}
	ev_set_userdata(loop, &fired);
	for (long i = 0; i < n; i++) {
		if (i % HAND_STAMP_EVERY == 0) /* the loop's time, as fresh as the runners' stamps */
			ev_now_update(loop);
		ev_timer_init(&timers[i], hand_fired, (double)ms * 1e-3, 0);
		ev_timer_start(loop, &timers[i]);
	}
	double armed = hand_now();
	ev_run(loop, 0);
	double t1 = hand_now(), rss1 = hand_peak_rss();
	free(timers);
	ev_loop_destroy(loop);
	double t2 = hand_now();

	if (fired != n) {
		fprintf(stderr, PROG ": %ld of %ld timers fired\n", fired, n);
		return 1;
	}
	return hand_report(PROG, "wall_s=%.6f tasks=%ld bytes_per_task=%.0f arm_s=%.6f free_s=%.6f",
			   t1 - t0, n, (rss1 - rss0) / (double)n, armed - t0, t2 - t1) ? 0 : 1;
}
