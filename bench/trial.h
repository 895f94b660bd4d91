/* A trial child: one piece of work in a fresh child process of the driver, watched
 * from outside.
 *
 * The child runs a body that fills a fixed-size record, ends every process it left
 * (it is a subreaper, so they are its children by then) and writes the record to a
 * pipe. The parent waits for it (poll on the pipe and a pidfd, bounded by the
 * timeout), reaps it with wait4 for its CPU time, peak RSS, page faults and context
 * switches, and kills its whole process group if it overstays; the driver is a
 * subreaper too and ends what a killed or crashed child left. Should the driver die,
 * the child ends everything below it and itself. A crash or hang of one trial never
 * takes the run down, and nothing of a trial outlives it. A cell's trial
 * (trialcell.h) and each floor's function (trialtime.h) run in one. */
#ifndef CB_TRIAL_H
#define CB_TRIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "err.h"

/* What the driver saw of one trial child. */
struct trial_seen {
	bool got;         /* the whole record arrived */
	bool timed_out;   /* killed at the timeout */
	bool stopped;     /* the user interrupted */
	int status;       /* from wait4 */
	struct rusage ru; /* the child's and its reaped descendants' */
	double elapsed_s; /* fork to reap */
	long oom_kills;   /* the kernel's OOM kills while it ran, or -1 if unknown */
};

/* The child's work: fills rec (zeroed before), which the parent gets whole. */
typedef void (*trial_body_fn)(void *arg, void *rec);

/* Runs body(arg, rec) in a trial child and fills *seen; rec (len bytes, at most
 * PIPE_BUF) holds the child's record when seen->got. CB_EINTR when the user stopped
 * the run (the child is killed and reaped), CB_ESYS when no child could be made. */
int trial_spawn(trial_body_fn body, void *arg, void *rec, size_t len, double timeout_s,
		struct trial_seen *seen, struct cb_err *err);

/* Why a child ended without its record: a signal (the OOM killer's when the
 * kernel's count rose), or an exit before it wrote. */
void trial_exit_note(const struct trial_seen *s, char *buf, size_t len);
/* Appends to note that the OOM killer took processes while the child ran, if it did. */
void trial_oom_note(const struct trial_seen *s, char *note, size_t len);

/* How often the wait for a trial child calls the tick function: a live progress line
 * moves at least twice a second. */
#define TRIAL_TICK_S 0.25
/* fn(arg) every TRIAL_TICK_S while a trial child runs (NULL: none); it runs in the
 * driver between polls, so it may print. */
void trial_on_tick(void (*fn)(void *arg), void *arg);

/* Async-signal-safe: makes the trial under way stop and trial_spawn return CB_EINTR. */
void trial_request_stop(void);
bool trial_stop_requested(void);

#endif
