/* A scratch folder per test under /tmp, for files the tests write and read back. */
#ifndef CB_SCRATCH_H
#define CB_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

extern char scratch[64]; /* the folder's path */

/* Makes /tmp/cb-test-<tag>-XXXXXX, readable by everyone (an unprivileged child may
 * have to reach into it). */
void scratch_make(const char *tag);
void scratch_path(char *buf, size_t len, const char *name);
/* Writes text to the file name in the folder. */
void scratch_file(const char *name, const char *text);
/* The names in the folder in name order, joined by spaces; *tmp_left (if not NULL)
 * says whether a temporary file (".tmp.") is among them. */
void scratch_list(char *buf, size_t len, bool *tmp_left);
void scratch_remove(void);
/* Makes name in the folder as kind says: "fifo", "chardev" (/dev/null's numbers: root
 * only), "symlink" (to a results file ours.csv beside it), "dir", "file" (text, then
 * mode), or "none" (nothing). false when it could not. */
bool scratch_make_kind(const char *name, const char *kind, const char *text, int mode);

#endif
