/* Ending whatever a process leaves behind. The process is a child subreaper, so an
 * orphan anywhere below it (even one in a session of its own, out of reach of a
 * group kill) becomes its child rather than init's; killing every child, then every
 * orphan that comes up meanwhile, until none is left, ends the whole tree.
 * Async-signal-safe: a signal handler may call reaper_kill_all. */
#ifndef CB_REAPER_H
#define CB_REAPER_H

#include <sys/types.h>

/* The most children one listing holds; more are ended over several rounds. */
#define REAPER_MAX 256

/* Makes the caller a child subreaper; 0, or -1 with errno. */
int reaper_adopt(void);
/* The caller's children (every thread's), up to max, zombies too; -1 when /proc
 * cannot tell. */
int reaper_children(pid_t *pids, int max);
/* SIGKILLs and reaps every child but the nkeep in keep, and every orphan that becomes
 * one meanwhile, until none is left or timeout_s has passed (a process in an
 * uninterruptible sleep dies only when it wakes). Returns how many it reaped. */
int reaper_kill_all(const pid_t *keep, int nkeep, double timeout_s);

#endif
