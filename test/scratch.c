/* The tests' scratch folder. */
#include "scratch.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

char scratch[64];

void scratch_make(const char *tag)
{
	snprintf(scratch, sizeof scratch, "/tmp/cb-test-%s-XXXXXX", tag);
	cr_assert_not_null(mkdtemp(scratch));
	chmod(scratch, 0755);
}

void scratch_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", scratch, name);
}

void scratch_file(const char *name, const char *text)
{
	char path[256];
	scratch_path(path, sizeof path, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

void scratch_list(char *buf, size_t len, bool *tmp_left)
{
	struct dirent **names;
	int n = scandir(scratch, &names, NULL, alphasort);
	bool tmp = false;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			size_t off = strlen(buf);
			snprintf(buf + off, len - off, "%s%s", off ? " " : "", names[i]->d_name);
			tmp |= strstr(names[i]->d_name, ".tmp.") != NULL;
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (tmp_left)
		*tmp_left = tmp;
}

void scratch_remove(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
	cr_expect_eq(system(cmd), 0);
}

bool scratch_make_kind(const char *name, const char *kind, const char *text, int mode)
{
	char path[256];
	scratch_path(path, sizeof path, name);
	if (strcmp(kind, "fifo") == 0)
		return mkfifo(path, 0644) == 0;
	if (strcmp(kind, "chardev") == 0)
		return mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0;
	if (strcmp(kind, "symlink") == 0) {
		scratch_file("ours.csv", "workload,params\n");
		return symlink("ours.csv", path) == 0;
	}
	if (strcmp(kind, "dir") == 0)
		return mkdir(path, 0755) == 0;
	if (strcmp(kind, "file") == 0) {
		scratch_file(name, text);
		return chmod(path, (mode_t)mode) == 0;
	}
	return true;
}
