/* Presets: named concbench command lines kept as data, one file per article in
 * bench/presets/ (override the folder with CONCBENCH_PRESETS). The format:
 *
 *   # a comment
 *   [burgers]
 *   title = 3 burgers of 5 s: serial, all at once, two staff (seed 001)
 *   args = -w sleep -p sleep.ms=5000 -n 3 -j 0,2 -r serial,threads
 *
 * `args` are concbench options, split at spaces; "double quotes" keep spaces. */
#ifndef CB_PRESET_H
#define CB_PRESET_H

#include "err.h"

#define PRESET_ARGS_MAX 64

struct preset {
	char name[64];
	char title[256];
	char args[1024];
	char file[256]; /* where it was read, for messages */
	int line;
};

struct preset_list {
	struct preset *v;
	int n;
};

/* Reads every *.preset file of dir, in name order; CB_EINVAL names file:line. */
int preset_load_dir(struct preset_list *pl, const char *dir, struct cb_err *err);
int preset_load_file(struct preset_list *pl, const char *path, struct cb_err *err);
void preset_list_free(struct preset_list *pl);
const struct preset *preset_find(const struct preset_list *pl, const char *name);
/* Splits ps->args into *n words, kept in buf. */
int preset_words(const struct preset *ps, char **words, int max, int *n, char *buf, size_t len,
		 struct cb_err *err);
/* The folder presets are read from. */
const char *preset_dir(void);

#endif
