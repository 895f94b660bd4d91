/* What the hand-written counterparts share (bench/hand/): strict parsing of the sizes
 * on their command lines, the clock, and the process's peak resident memory. They use
 * nothing of concbench's own code but fcontext's prototypes: each is a program a
 * person would write for its model, so a runner can be measured against it. */
#ifndef CB_HAND_H
#define CB_HAND_H

#include <semaphore.h>
#include <stdbool.h>

/* The most tasks a sleep program takes: 10 M sleepers fit in a few GiB. */
#define HAND_MAX_TASKS 10000000L
#define HAND_MAX_MS 60000L
#define HAND_MAX_ROUNDS 1000000000L
/* How long a semaphore hand-off may take before the program gives up: every wait is
 * bounded, so a lost post is a failed run, not a hang. */
#define HAND_WAIT_S 10

/* s as a plain decimal (digits only: no sign, space, hex) in lo..hi. */
bool hand_number(const char *s, long lo, long hi, long *out);
/* The one line for a bad value on stderr, "PROG: NAME 'S': allowed a whole number
 * from LO to HI"; returns 2, the exit status main gives for it. */
int hand_refuse(const char *prog, const char *name, const char *s, long lo, long hi);
/* "usage: ..." on stderr; returns 2. */
int hand_usage(const char *usage);
/* sem_wait for at most HAND_WAIT_S; false when that passed first. */
bool hand_sem_wait(sem_t *s);
/* CLOCK_MONOTONIC in seconds. */
double hand_now(void);
/* The time a task's sleep counts from, as the loop runners stamp theirs (see
 * runners/loopclock.h): one reading shared by HAND_STAMP_EVERY stamps. */
#define HAND_STAMP_EVERY 16
double hand_stamp(void);
/* This program's peak resident set so far, in bytes: VmHWM of /proc/self/status, the
 * high-water mark of its own image (getrusage's ru_maxrss would hold the peak of the
 * process that exec'd it, a Python's when a script starts it); -1 when unreadable. */
double hand_peak_rss(void);
/* The result: one line of key=value pairs on stdout, written and flushed; false (and
 * a line on stderr naming prog) when stdout could not take it: main then exits 1. */
bool hand_report(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
