/* Building the plan a command line asks for: its own cells, or its presets' narrowed
 * or added to; then --filter; then the order of trials. Nothing here prints. */
#ifndef CB_PLANBUILD_H
#define CB_PLANBUILD_H

#include "cli.h"
#include "err.h"
#include "plan.h"
#include "preset.h"

/* Fills p (and pl with the presets read); CB_EINVAL names the bad input in one line,
 * and a plan left with no cell is bad input. argv0: for parsing a preset's words.
 * Free p and pl afterwards whatever it returned. */
int planbuild(struct plan *p, struct preset_list *pl, const struct cli *c, const char *argv0,
	      struct cb_err *err);

#endif
