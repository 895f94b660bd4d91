/* Writing a set of files whole or not at all. */
#include "fileset.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FILESET_MAX = 8 };

/* What a file that is not a regular one is, for the error; NULL for a regular file. */
static const char *kind_of(mode_t m)
{
	if (S_ISREG(m))
		return NULL;
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

/* ours: the beginnings a file of ours may have, '|' between them (today's first). */
static int check_ours(const char *path, const char *ours, struct cb_err *err)
{
	char head[64] = "";
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cb_fail_errno(err, CB_EINVAL, "'%s' cannot be read to see whose it is", path);
	ssize_t n = read(fd, head, sizeof head - 1);
	close(fd);
	size_t first = strcspn(ours, "|");
	for (const char *o = ours; n > 0;) {
		size_t len = strcspn(o, "|");
		if (len <= (size_t)n && len < sizeof head && memcmp(head, o, len) == 0)
			return CB_OK;
		if (!o[len])
			break;
		o += len + 1;
	}
	return cb_fail(err, CB_EINVAL, "'%s' is not a results file of ours (it does not "
		       "begin with '%.*s'): remove it or choose another name", path, (int)first,
		       ours);
}

int fileset_check_target(const char *path, const char *ours, struct cb_err *err)
{
	char copy[4096];
	cb_copy(copy, path, sizeof copy);
	const char *dir = dirname(copy);
	struct stat st;
	if (stat(dir, &st) != 0)
		return cb_fail(err, CB_EINVAL, "directory '%s' does not exist", dir);
	if (!S_ISDIR(st.st_mode))
		return cb_fail(err, CB_EINVAL, "'%s' is not a directory", dir);
	if (access(dir, W_OK) != 0)
		return cb_fail(err, CB_EINVAL, "directory '%s' is not writable", dir);
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return CB_OK;
		return cb_fail_errno(err, CB_EINVAL, "'%s' cannot be checked", path);
	}
	/* A symbolic link too: what it points at may not be ours, and the rename would
	 * replace the link, not its target. */
	const char *kind = kind_of(st.st_mode);
	if (kind)
		return cb_fail(err, CB_EINVAL, "'%s' is %s, not a regular file", path, kind);
	if (access(path, W_OK) != 0)
		return cb_fail(err, CB_EINVAL, "'%s' is not writable", path);
	return st.st_size == 0 ? CB_OK : check_ours(path, ours, err);
}

int fileset_write_fd(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One file of the set on its way: its temporary, then where it went. */
struct pending {
	char tmp[4200];
	bool tmp_exists;
	enum { TMP_ONLY, PLACED_NEW, SWAPPED, REPLACED } state;
};

/* The body in memory, so the file is then written with write(2) and every error is
 * seen with its errno. Returns 0 or an errno. */
static int render(const struct fileset_file *f, char **buf, size_t *len)
{
	FILE *m = open_memstream(buf, len);
	if (!m)
		return errno;
	f->body(m, f->arg);
	bool bad = ferror(m) != 0;
	if (fclose(m) != 0 || bad) {
		free(*buf);
		*buf = NULL;
		return ENOMEM;
	}
	return 0;
}

static int write_tmp(const struct fileset_file *f, struct pending *pd, struct cb_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int e = render(f, &buf, &len);
	if (e) {
		errno = e;
		return cb_fail_errno(err, CB_ESYS, "cannot write '%s'", f->path);
	}
	snprintf(pd->tmp, sizeof pd->tmp, "%s.tmp.XXXXXX", f->path);
	int fd = mkstemp(pd->tmp);
	if (fd < 0) {
		free(buf);
		return cb_fail_errno(err, CB_ESYS, "cannot write '%s'", f->path);
	}
	pd->tmp_exists = true;
	/* mkstemp makes the file 0600; a results file gets what the umask allows. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	e = fileset_write_fd(fd, buf, len);
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	free(buf);
	if (e) {
		errno = e;
		return cb_fail_errno(err, CB_ESYS, "cannot write '%s'", f->path);
	}
	return CB_OK;
}

/* Puts the temporary at path. Over an old file it exchanges the two names, so the old
 * file stays under the temporary's name until the whole set is in place and can be
 * put back if a later file fails; a file system without the exchange gets a plain
 * rename. */
static int place(const char *path, struct pending *pd, struct cb_err *err)
{
	struct stat st;
	int state = PLACED_NEW;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return cb_fail(err, CB_ESYS, "cannot replace '%s': it is %s, not a regular file",
				       path, kind_of(st.st_mode));
		if (renameat2(AT_FDCWD, pd->tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
			pd->state = SWAPPED;
			return CB_OK;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != ENOENT)
			return cb_fail_errno(err, CB_ESYS, "cannot replace '%s'", path);
		state = errno == ENOENT ? PLACED_NEW : REPLACED;
	}
	if (rename(pd->tmp, path) != 0)
		return cb_fail_errno(err, CB_ESYS, "cannot replace '%s'", path);
	pd->tmp_exists = false;
	pd->state = state;
	return CB_OK;
}

/* Undoes the first n placements, last first (a plain rename over an old file cannot
 * be undone: only where the file system lacks the exchange). */
static void put_back(const struct fileset_file *files, struct pending *pd, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		if (pd[i].state == SWAPPED)
			renameat2(AT_FDCWD, pd[i].tmp, AT_FDCWD, files[i].path, RENAME_EXCHANGE);
		else if (pd[i].state == PLACED_NEW)
			unlink(files[i].path); /* the old set had no such file */
	}
}

/* Once the names are in place, so the renames outlive a crash; a directory that
 * refuses fsync (some file systems do) still has them. */
static void sync_dir(const char *path)
{
	char copy[4096];
	cb_copy(copy, path, sizeof copy);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int fileset_write(const struct fileset_file *files, int n, struct cb_err *err)
{
	struct pending pd[FILESET_MAX];
	if (n > FILESET_MAX)
		return cb_fail(err, CB_ESYS, "a set of %d files (at most %d)", n, FILESET_MAX);
	memset(pd, 0, sizeof pd);
	int rc = CB_OK, placed = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = write_tmp(&files[i], &pd[i], err);
	while (!rc && placed < n && !(rc = place(files[placed].path, &pd[placed], err)))
		placed++;
	if (rc)
		put_back(files, pd, placed);
	for (int i = 0; i < n; i++)
		if (pd[i].tmp_exists)
			unlink(pd[i].tmp); /* unwritten, or the old file it replaced */
	if (!rc)
		for (int i = 0; i < n; i++)
			sync_dir(files[i].path);
	return rc;
}
