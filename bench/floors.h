/* Floors: the machine's bare primitives, measured in the same run as the cells,
 * each in a trial child like any cell. A cell's overhead is then reported as a
 * multiple of its model's floor, which holds across machines where absolute
 * kernel-heavy times (fork, page faults) differ several-fold. */
#ifndef CB_FLOORS_H
#define CB_FLOORS_H

#include "plan.h"

#define FLOOR_REPS_MAX 5

/* The floor of the cells of one workload setting, runner, N and W: the overhead
 * over the ideal of the same work done by hand (see workload.h). Its runs are taken
 * between the cell's trials, so that a burst of noise falls on both alike. */
struct floor_entry {
	const struct wl_inst *wi;
	const struct rn_inst *ri;
	int tasks, workers;
	double seconds; /* median over the repetitions; NAN when there is none */
	double fastest_s; /* the fastest repetition: what the flag below-floor judges by */
	const char *what; /* what did the work by hand: the runner's or the workload's */
	char note[160];   /* why there is none, or what went wrong */
	double v[FLOOR_REPS_MAX]; /* the runs so far */
	int k, target;
	int leader; /* the entry that measures this one (a workload's own floor, the same for
		     * every runner); -1: itself */
	bool failed;
};

/* The memory of a runner with a runtime of its own running one task of a workload. */
struct base_entry {
	const struct wl_inst *wi;
	const struct rn_inst *ri;
	long rss_kib; /* median peak RSS; -1: unknown */
};

#define CAPACITY_PAIRS_MAX 32

struct floors {
	double fork_wait_s;   /* fork + waitpid of one child that exits at once */
	double page_touch_s;  /* first touch of one fresh 4 KiB page */
	double page_touch_huge_s; /* the same 4 KiB as part of a fresh 2 MiB huge page */
	long base_rss_kib;    /* peak RSS of a trial child that does nothing; -1: unknown */
	double countdown_ns;  /* one countdown iteration */
	double core_ghz;      /* core clock, from a chain of dependent multiplies; NAN off x86-64 */
	double parallel_cores; /* cores' worth of CPU the host gives: the median over pairs
				* of runs (one countdown alone, one on every core at once) of
				* cores x t1 / t(cores), before and after the trials, at most
				* the cores there are */
	double cap_ratio[CAPACITY_PAIRS_MAX]; /* each pair's ratio */
	int cap_pairs;
	struct floor_entry *e;
	int n;
	struct base_entry *b;
	int nb;
	const char *phase;    /* what is being measured now, for a progress line; NULL: none */
	int phase_done, phase_steps; /* how far it is, when it counts its steps */
};

/* Measures the harness floors and sets up the floor of every (runner, tasks, workers) of
 * the plan, to be measured by floors_step between the trials. */
int floors_measure(struct floors *f, const struct plan *p, double timeout_s, struct cb_err *err);
/* Runs of cell c's floor due by the end of its trial `index` (warm-ups not counted). */
int floors_step(struct floors *f, const struct cell *c, int index, double timeout_s,
		struct cb_err *err);
/* Every floor's runs at once, for a run that has no trials (--floors); settles them. */
int floors_measure_all(struct floors *f, const struct plan *p, double timeout_s,
		       struct cb_err *err);
/* The figures from the runs taken: medians, fastest, shared floors copied. */
void floors_settle(struct floors *f);
/* Measures more pairs for parallel_cores: the run calls it after its trials too, so a
 * burst of noise at the start cannot stand for the whole run. */
int floors_capacity(struct floors *f, double timeout_s, struct cb_err *err);
/* No floors: every figure unknown (NAN), as --no-floors asks. */
void floors_none(struct floors *f);
/* The floor entry of cell c; NULL when none was measured. */
const struct floor_entry *floors_entry(const struct floors *f, const struct cell *c);
/* The floor of cell c, NAN when there is none; and its fastest repetition. */
double floors_of(const struct floors *f, const struct cell *c);
double floors_fastest_of(const struct floors *f, const struct cell *c);
/* The peak RSS to count cell c's memory per task above: the empty trial child, or for a
 * runner with a runtime of its own that runtime running one task. -1: unknown. */
long floors_base_rss(const struct floors *f, const struct cell *c);
/* The spread of the capacity pairs, lowest and highest. */
void floors_capacity_range(const struct floors *f, double *lo, double *hi);
void floors_free(struct floors *f);

#endif
