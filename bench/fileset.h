/* Files written as one set, whole or not at all: each is made in memory and written to
 * a temporary file beside its target (fsync'd, closed and checked); only when every one
 * is complete are they renamed over their targets, so a failure on any of them (a full
 * disk, an I/O error) leaves the old set as it was and no temporary file behind. */
#ifndef CB_FILESET_H
#define CB_FILESET_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef void (*fileset_body_fn)(FILE *f, const void *arg);

struct fileset_file {
	const char *path;
	fileset_body_fn body; /* writes the file's contents to f */
	const void *arg;
};

/* Checks before a run that path can be ours: its directory exists and is writable, and
 * the path is absent, empty, or a regular file whose contents begin with `ours` (a
 * file this program wrote; several beginnings may be given, '|' between them). A
 * directory, FIFO, device, socket or symbolic link there, or a file of other contents,
 * is refused: CB_EINVAL, naming the path and what it is. */
int fileset_check_target(const char *path, const char *ours, struct cb_err *err);

/* Writes the n files as one set. On failure none of the targets is changed, the
 * temporaries are removed, and err names the file and the cause. */
int fileset_write(const struct fileset_file *files, int n, struct cb_err *err);

/* Writes len bytes to fd, through short writes and EINTR: 0, or the errno that
 * stopped it. */
int fileset_write_fd(int fd, const char *buf, size_t len);

#endif
