/* One summary per cell, from its measured trials: pure arithmetic over rows. */
#ifndef CB_SUMMARY_H
#define CB_SUMMARY_H

#include "floors.h"
#include "plan.h"
#include "stats.h"
#include "trialcell.h"

enum {
	FLAG_NOISY = 1,      /* coefficient of variation above 5% */
	FLAG_FIRST_SLOW = 2, /* the first measured trial was far slower than the rest */
	FLAG_FAILED = 4,     /* some trial or task failed */
	FLAG_BELOW_FLOOR = 8, /* even the slowest trial's overhead is under SUMMARY_BELOW_FLOOR
			       * x its floor: the floor is not the same work */
	FLAG_PARTIAL = 16,   /* fewer measured trials than planned: the run was interrupted */
};

/* Noise lets a model that does exactly the floor's work come out a little under it. */
#define SUMMARY_BELOW_FLOOR 0.9
/* epoll and libev wait in whole milliseconds: a wait's end moves by that much. */
#define SUMMARY_TICK_S 0.001
/* The fewest pairs whose order statistics reach a 95% interval of their median. */
#define SUMMARY_PAIRS_MIN 6

struct summary {
	const struct cell *cell;
	struct stats wall;      /* over the measured trials that completed */
	int trials, trials_ok;  /* measured trials, and those whose outcome was ok */
	int trials_planned;     /* the cell's --repeat */
	double median_lo, median_hi; /* interval of the median (stats_median_interval) */
	double median_cover;    /* its coverage: below 0.95 under 6 trials */
	long tasks_failed;
	long fail[FAIL_REASONS]; /* failed tasks by reason, over the measured trials */
	const char *baseline;   /* the runner speedup is against: its family's serial; NULL */
	double speedup;         /* the baseline's median of the same work and N, over ours */
	double speedup_lo, speedup_hi; /* 95% interval of the median of paired ratios (trial i
					* of the baseline over ours); NAN below SUMMARY_PAIRS_MIN */
	double ideal_s, overhead_s, overhead_per_task_s;
	double floor_s, overhead_vs_floor;
	double floor_fastest_s; /* the floor's fastest repetition (not a column) */
	double maxrss_kib, rss_per_task_b;      /* medians; per task above the empty child */
	double minflt, minflt_per_task;
	double cores;           /* median cores the run kept busy (CPU / wall) */
	double user_s, sys_s, vcsw, ivcsw, trial_s, task_p50_s, task_max_s;
	double metric[WL_METRICS_MAX];
	char outcomes[64];      /* e.g. "ok" or "deadlocked:10" */
	char note[256];         /* the first failed trial's note: why it failed */
	int flags;
};

/* Fills sums[0..p->ncells) from the rows of the run (warm-ups are skipped). */
void summary_compute(struct summary *sums, const struct plan *p, const struct trial_row *rows,
		     int nrows, const struct floors *f, double capacity);
/* A summary of the trials of one cell finished so far (times, outcomes, failures,
 * flags; nothing that needs the floors or other cells): for progress lines. */
void summary_so_far(struct summary *s, const struct plan *p, const struct trial_row *rows,
		    int nrows, int cell);
/* "4 status, 1 timeout": the failed tasks by reason; "" when none failed. */
void summary_fail_reasons(const struct summary *s, char *buf, size_t len);
/* "noisy,first-slow" for the flags that are set, "" for none. */
void summary_flag_names(int flags, char *buf, size_t len);

#endif
