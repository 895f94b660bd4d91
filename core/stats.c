/* Mean, median, spread and a confidence interval, as wrk's stats.c: plain arithmetic. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The k-th smallest of v[0..n), v left partitioned around it (Wirth's selection,
 * Hoare's partition about a median of three): linear on average, where a sort of a
 * million tasks' latencies took most of a big trial's time after its clock stopped.
 * Runs of equal values, and values already in order, stay linear. */
static double select_kth(double *v, int n, int k)
{
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
		double p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		int i = lo, j = hi;
		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

double stats_median(const double *x, int n)
{
	if (n <= 0)
		return NAN;
	double *v = malloc(sizeof *v * (size_t)n);
	if (!v)
		return NAN;
	memcpy(v, x, sizeof *v * (size_t)n);
	int k = n / 2;
	double m = select_kth(v, n, k);
	if (n % 2 == 0) { /* the middle two: the largest of those below k as well */
		double below = v[0];
		for (int i = 1; i < k; i++)
			if (v[i] > below)
				below = v[i];
		m = (below + m) / 2;
	}
	free(v);
	return m;
}

double stats_median_interval(const double *x, int n, double level, double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (n < 1)
		return NAN;
	double *v = malloc(sizeof *v * (size_t)n);
	if (!v)
		return NAN;
	memcpy(v, x, sizeof *v * (size_t)n);
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	/* coverage(j) = 1 - 2 P(B < j), B ~ binomial(n, 1/2), for [x_(j), x_(n+1-j)] */
	double term = ldexp(1.0, -n); /* P(B = j - 1) */
	double tail = term;           /* P(B < j) */
	int j = 1;
	while (j + 1 <= n / 2) {
		double pj = term * (n - j + 1) / j;
		if (1 - 2 * (tail + pj) < level)
			break;
		term = pj;
		tail += pj;
		j++;
	}
	*lo = v[j - 1];
	*hi = v[n - j];
	free(v);
	return 1 - 2 * tail;
}

double stats_t975(int df)
{
	static const double t[] = {
		NAN,    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080,  2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};
	if (df <= 0)
		return NAN;
	if (df < (int)(sizeof t / sizeof t[0]))
		return t[df];
	if (df <= 40)
		return 2.021;
	if (df <= 60)
		return 2.000;
	if (df <= 120)
		return 1.980;
	return 1.960;
}

void stats_summarise(const double *x, int n, struct stats *s)
{
	*s = (struct stats){.n = n, .mean = NAN, .median = NAN, .stddev = NAN, .min = NAN,
			    .max = NAN, .ci95_lo = NAN, .ci95_hi = NAN, .cv = NAN, .mad = NAN};
	if (n <= 0)
		return;
	double *v = malloc(sizeof *v * (size_t)n);
	if (!v)
		return;
	memcpy(v, x, sizeof *v * (size_t)n);
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / n;
	s->median = median_sorted(v, n);
	s->min = v[0];
	s->max = v[n - 1];
	if (n > 1) {
		double ss = 0;
		for (int i = 0; i < n; i++)
			ss += (v[i] - s->mean) * (v[i] - s->mean);
		s->stddev = sqrt(ss / (n - 1));
		double half = stats_t975(n - 1) * s->stddev / sqrt(n);
		s->ci95_lo = s->mean - half;
		s->ci95_hi = s->mean + half;
		s->cv = s->mean > 0 ? s->stddev / s->mean : NAN;
	}
	for (int i = 0; i < n; i++)
		v[i] = fabs(v[i] - s->median);
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	s->mad = median_sorted(v, n);
	free(v);
}

int stats_first_is_outlier(const double *x, int n)
{
	if (n < 3)
		return 0;
	double rest = stats_median(x + 1, n - 1);
	/* Slower than the rest by a quarter, beyond what their own spread explains. */
	double *dev = malloc(sizeof *dev * (size_t)(n - 1));
	if (!dev)
		return 0;
	for (int i = 1; i < n; i++)
		dev[i - 1] = fabs(x[i] - rest);
	double mad = stats_median(dev, n - 1);
	free(dev);
	return x[0] > rest * 1.25 && x[0] - rest > 5 * mad;
}
