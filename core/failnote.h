/* The first failure of a run in words, and how many there were, from whichever
 * worker had it: a thread, a coroutine, or a forked process (the note lives in a
 * shared page, mapped before the workers are made). A runner's step tables call
 * failnote_add where a task fails for a cause its reason alone does not name (which
 * status, which URL, which limit); the run's owner opens it before the clock starts
 * and reads it after the clock stops (only when a task failed: its page is touched
 * only by a failure). Without an open note, an add does nothing. */
#ifndef CB_FAILNOTE_H
#define CB_FAILNOTE_H

#include <stddef.h>

/* Maps and clears the note; 0, or -1 (then the run has no such notes). */
int failnote_open(void);
/* Counts a failure of one of a kind ("fetch", "fetches"); the first one's words are
 * kept. */
void failnote_add(const char *one, const char *many, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends "<first> (the first of <n> failed <many>)" to note ("the one failed <one>"
 * for one), after "; " when it holds something already; nothing without a failure. */
void failnote_append(char *note, size_t len);
void failnote_close(void);

#endif
