/* Floors: the machine's bare primitives, measured in the same run as the cells,
 * each in a trial child like any cell. A cell's overhead is then reported as a
 * multiple of its model's floor, which holds across machines where absolute
 * kernel-heavy times (fork, page faults) differ several-fold. */
#ifndef CB_FLOORS_H
#define CB_FLOORS_H

#include "plan.h"

struct floor_entry {
	const struct rn_inst *ri;
	int tasks, workers;
	double seconds; /* median over the repetitions; NAN when it could not be measured */
	char note[160];
};

struct floors {
	double fork_wait_s;   /* fork + waitpid of one child that exits at once */
	double page_touch_s;  /* first touch of one fresh 4 KiB page */
	long base_rss_kib;    /* peak RSS of a trial child that does nothing; -1: unknown */
	double countdown_ns;  /* one countdown iteration */
	double core_ghz;      /* core clock, from a chain of dependent multiplies; NAN off x86-64 */
	double parallel_cores; /* cores' worth of CPU the host gives: cores x t1 / t(cores at
				* once), each the fastest measured before and after the trials */
	double cap_one_s, cap_all_s; /* those fastest times so far */
	struct floor_entry *e;
	int n;
};

/* Measures the harness floors and the floor of every (runner, tasks, workers) of the plan. */
int floors_measure(struct floors *f, const struct plan *p, double timeout_s, struct cb_err *err);
/* Measures parallel_cores again and keeps the best figure: the run calls it after its
 * trials too, so a burst of noise at the start cannot stand for the whole run. */
int floors_capacity(struct floors *f, double timeout_s, struct cb_err *err);
/* No floors: every figure unknown (NAN), as --no-floors asks. */
void floors_none(struct floors *f);
/* The floor of cell c, NAN when its runner has none. */
double floors_of(const struct floors *f, const struct cell *c);
void floors_free(struct floors *f);

#endif
