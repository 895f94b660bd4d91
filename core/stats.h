/* Statistics over a sample of trial times: pure functions, nothing prints. */
#ifndef CB_STATS_H
#define CB_STATS_H

struct stats {
	int n;
	double mean, median, stddev, min, max;
	double ci95_lo, ci95_hi; /* 95% confidence interval of the mean (Student's t) */
	double cv;               /* stddev / mean */
	double mad;              /* median absolute deviation */
};

/* Summarises x[0..n); x is left untouched. n == 0 gives all fields NAN but n. */
void stats_summarise(const double *x, int n, struct stats *s);
/* Median of x[0..n), NAN when n == 0; x is left untouched. */
double stats_median(const double *x, int n);
/* The narrowest [x_(j), x_(n+1-j)] that holds the median with at least `level` (the sign
 * test's binomial(n, 1/2)): distribution-free, as the claims' intervals are. Returns its
 * coverage, which is below level when n is too small to reach it (then [min, max]);
 * NAN and lo = hi = NAN for n < 1. */
double stats_median_interval(const double *x, int n, double level, double *lo, double *hi);
/* Two-sided 97.5% quantile of Student's t with df degrees of freedom. */
double stats_t975(int df);
/* The first value is an outlier against the rest (hyperfine's "first run was slower"). */
int stats_first_is_outlier(const double *x, int n);

#endif
