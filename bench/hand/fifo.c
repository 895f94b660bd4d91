/* hand-fifo N MS: the hand-written counterpart of concbench's evloop runner on N
 * sleepers at once (-w sleep -p sleep.ms=MS -n N -j 0 -r evloop). One raw libev loop;
 * sleeps of one length end in the order they began, so the N deadlines wait in a FIFO
 * (an array: each task sleeps once, so it never wraps) under ONE ev_timer armed for
 * the oldest (libev's manual, "be smart about timeouts"), as the runner keeps them.
 * Each sleep counts from its own start (a clock reading shared by 16 tasks, as the
 * runner's).
 *
 * Timed as a concbench trial is: the clock starts before the loop and the FIFO are
 * allocated and stops when the last sleep ended; freeing is timed apart (free_s).
 * bytes_per_task is the growth of the peak RSS over N. Prints one line:
 *   wall_s=0.112 tasks=1000000 bytes_per_task=8 arm_s=0.020 free_s=0.001 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>

#include "hand.h"

#define PROG "hand-fifo"

struct hand_fifo {
	double *due; /* the deadlines, oldest first */
	long head;   /* the oldest still asleep */
	long len;    /* deadlines pushed */
	long ended;  /* sleeps that ended */
	ev_timer timer;
};

/* Arms the one timer for deadline (a CLOCK_MONOTONIC time). */
static void hand_arm(struct ev_loop *loop, ev_timer *t, double deadline)
{
	ev_now_update(loop);
	double after = deadline - hand_now();
	ev_timer_set(t, after > 0 ? after : 0, 0);
	ev_timer_start(loop, t);
}

/* Ends every sleep that is due, oldest first, then waits for the next. */
static void hand_due(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct hand_fifo *f = ev_userdata(loop);
	double now = hand_now();
	for (; f->head < f->len && f->due[f->head] <= now; f->head++)
		f->ended++;
	if (f->head < f->len)
		hand_arm(loop, t, f->due[f->head]);
}

int main(int argc, char **argv)
{
	long n, ms;
	if (argc != 3)
		return hand_usage(PROG " N MS");
	if (!hand_number(argv[1], 1, HAND_MAX_TASKS, &n))
		return hand_refuse(PROG, "N", argv[1], 1, HAND_MAX_TASKS);
	if (!hand_number(argv[2], 0, HAND_MAX_MS, &ms))
		return hand_refuse(PROG, "MS", argv[2], 0, HAND_MAX_MS);

	double rss0 = hand_peak_rss(), t0 = hand_now(), d = (double)ms * 1e-3;
	struct hand_fifo f = {0};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop || !(f.due = malloc(sizeof *f.due * (size_t)n))) {
		fprintf(stderr, PROG ": %s\n", loop ? "no memory for the deadlines" : "ev_loop_new failed");
		if (loop)
			ev_loop_destroy(loop);
		return 1;
	}
	ev_set_userdata(loop, &f);
	ev_timer_init(&f.timer, hand_due, 0, 0);
	for (; f.len < n; f.len++) {
		f.due[f.len] = hand_stamp() + d;
		if (!ev_is_active(&f.timer))
			hand_arm(loop, &f.timer, f.due[f.len]);
	}
	double armed = hand_now();
	ev_run(loop, 0);
	double t1 = hand_now(), rss1 = hand_peak_rss();
	ev_timer_stop(loop, &f.timer);
	free(f.due);
	ev_loop_destroy(loop);
	double t2 = hand_now();

	if (f.ended != n) {
		fprintf(stderr, PROG ": %ld of %ld sleeps ended\n", f.ended, n);
		return 1;
	}
	return hand_report(PROG, "wall_s=%.6f tasks=%ld bytes_per_task=%.0f arm_s=%.6f free_s=%.6f",
			   t1 - t0, n, (rss1 - rss0) / (double)n, armed - t0, t2 - t1) ? 0 : 1;
}
