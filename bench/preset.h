/* Presets: named concbench command lines kept as data, one file per article in
 * bench/presets/ (override the folder with CONCBENCH_PRESETS). The format:
 *
 *   # a comment
 *   [burgers]
 *   title = 3 burgers of 5 s: serial, all at once, two staff (seed 001)
 *   args = -w sleep -p sleep.ms=5000 -n 3 -j 0,2 -r serial,threads
 *
 * `args` are concbench options, split at spaces; "double quotes" keep spaces. A preset
 * may have several `args` lines: each adds one more sweep under the preset's name, for
 * sizes that differ by model (threads to 10 000, the event loop to 1 000 000).
 * `in_all = no` leaves a preset out of --preset all (the articles' experiments).
 * Lines may be of any length; names are at most PRESET_NAME_MAX characters. */
#ifndef CB_PRESET_H
#define CB_PRESET_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PRESET_ARGS_MAX 64
#define PRESET_SWEEPS_MAX 16 /* the crossover sweeps 7 shares at two sizes of N */
#define PRESET_NAME_MAX 63

struct preset_sweep {
	char *args; /* owned */
	int line;   /* of its `args` line, for messages */
};

struct preset {
	char name[PRESET_NAME_MAX + 1];
	char *title; /* owned; NULL: none */
	struct preset_sweep sweep[PRESET_SWEEPS_MAX];
	int nsweeps;
	bool in_all;
	char *file; /* owned: where it was read, for messages */
	int line;   /* of its [name] header */
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
/* Splits ps->sweep[sweep].args into *n words, kept in buf (len > the args' length). */
int preset_words(const struct preset *ps, int sweep, char **words, int max, int *n, char *buf,
		 size_t len, struct cb_err *err);
/* The folder presets are read from. */
const char *preset_dir(void);

#endif
