/* stats: summaries of known samples against hand-computed figures, the t table,
 * the first-trial outlier rule and the empty and single-value edges. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

#define EPS 1e-9
#define NA NAN

struct summary_case {
	const char *name;
	double x[12];
	int n;
	/* mean, median, stddev, min, max, ci95 lo and hi, cv, mad; NA where not defined */
	double want[9];
};

/* The figures by hand: stddev with n - 1, half-width t975(n - 1) * sd / sqrt(n). */
static const struct summary_case summary_cases[] = {
	{"empty", {0}, 0, {NA, NA, NA, NA, NA, NA, NA, NA, NA}},
	{"one value", {7}, 1, {7, 7, NA, 7, 7, NA, NA, NA, 0}},
	/* sd sqrt(2); t(1) = 12.706, sd / sqrt(2) = 1: mean -+ 12.706 */
	{"two values", {2, 4}, 2,
	 {3, 3, 1.4142135623730951, 2, 4, -9.706, 15.706, 0.47140452079103173, 1}},
	/* sd sqrt(10/4); t(4) = 2.776; |x - 3| = 2,1,0,1,2 */
	{"five unsorted", {5, 1, 4, 2, 3}, 5,
	 {3, 3, 1.5811388300841898, 1, 5, 1.0370715754261441, 4.962928424573856,
	  0.5270462766947299, 1}},
	/* an even count: the median is the mean of the middle two; sd sqrt(5/3); t(3) = 3.182 */
	{"four unsorted", {4, 1, 3, 2}, 4,
	 {2.5, 2.5, 1.2909944487358056, 1, 4, 0.4460278320613331, 4.553972167938667,
	  0.5163977794943222, 1}},
	/* 1..11: sd sqrt(11), so the half-width is t(10) = 2.228 itself */
	{"eleven", {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 11,
	 {6, 6, 3.3166247903554, 1, 11, 3.772, 8.228, 0.5527707983925666, 3}},
	{"all equal", {10, 10, 10, 10}, 4, {10, 10, 0, 10, 10, 10, 10, 0, 0}},
	/* cv is only defined for a positive mean */
	{"negative", {-1, -3}, 2, {-2, -2, 1.4142135623730951, -3, -1, -14.706, 10.706, NA, 1}},
};

static void expect_near(const char *name, const char *field, double got, double want)
{
	if (isnan(want))
		cr_expect(isnan(got), "%s: %s = %.17g, expected NAN", name, field, got);
	else
		cr_expect(fabs(got - want) <= EPS * fmax(1, fabs(want)),
			  "%s: %s = %.17g, expected %.17g", name, field, got, want);
}

Test(stats, summarise_table)
{
	for (size_t i = 0; i < sizeof summary_cases / sizeof summary_cases[0]; i++) {
		const struct summary_case *t = &summary_cases[i];
		double copy[12];
		memcpy(copy, t->x, sizeof copy);
		struct stats s;
		stats_summarise(copy, t->n, &s);
		cr_expect_eq(s.n, t->n, "%s", t->name);
		const double got[9] = {s.mean, s.median, s.stddev, s.min, s.max,
				       s.ci95_lo, s.ci95_hi, s.cv, s.mad};
		static const char *const fields[9] = {"mean", "median", "stddev", "min", "max",
						      "ci95_lo", "ci95_hi", "cv", "mad"};
		for (int k = 0; k < 9; k++)
			expect_near(t->name, fields[k], got[k], t->want[k]);
		cr_expect(memcmp(copy, t->x, sizeof copy) == 0, "%s: input changed", t->name);
	}
}

struct median_case {
	double x[6];
	int n;
	double want;
};

static const struct median_case median_cases[] = {
	{{0}, 0, NA},       {{3}, 1, 3},        {{3, 1, 2}, 3, 2},      {{4, 1, 3, 2}, 4, 2.5},
	{{-1, -1}, 2, -1},  {{1, 1e9}, 2, 5e8 + 0.5}, {{2, 2, 9, 2, 9}, 5, 2},
};

Test(stats, median_table)
{
	for (size_t i = 0; i < sizeof median_cases / sizeof median_cases[0]; i++) {
		const struct median_case *t = &median_cases[i];
		double copy[6];
		memcpy(copy, t->x, sizeof copy);
		expect_near("median", "value", stats_median(copy, t->n), t->want);
		cr_expect(memcmp(copy, t->x, sizeof copy) == 0, "case %zu: input changed", i);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median found by selection is a sort's, on the shapes task latencies take: in
 * order, reversed, all equal, a few values repeated, random; odd and even counts. */
Test(stats, median_by_selection_is_the_sorted_median)
{
	enum { MAX = 1001 };
	static double x[MAX], sorted[MAX];
	unsigned seed = 12345;
	for (int shape = 0; shape < 5; shape++)
		for (int n = 1; n <= MAX; n += n < 40 ? 1 : 97) {
			for (int i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				double r = (double)(seed >> 8);
				x[i] = shape == 0 ? i : shape == 1 ? n - i : shape == 2 ? 7.5
				       : shape == 3 ? (double)((seed >> 8) % 3) : r;
			}
			memcpy(sorted, x, sizeof x[0] * (size_t)n);
			qsort(sorted, (size_t)n, sizeof sorted[0], cmp_d);
			double want = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
			double got = stats_median(x, n);
			cr_expect_eq(got, want, "shape %d n=%d: %g, not %g", shape, n, got, want);
		}
}

/* The sign test's interval: n = 10 gives [x_(2), x_(9)] at 97.85% (the next, [x_(3),
 * x_(8)], covers 89.06%); 5 and 6 values reach only [min, max], at 93.75% and 96.88%. */
Test(stats, median_interval_by_order_statistics)
{
	double x[10] = {7, 3, 10, 1, 9, 2, 8, 4, 6, 5}, lo, hi;
	double cov = stats_median_interval(x, 10, 0.95, &lo, &hi);
	cr_expect(lo == 2 && hi == 9, "n=10: [%g, %g]", lo, hi);
	cr_expect(fabs(cov - (1 - 2.0 * 11 / 1024)) < 1e-12, "n=10: coverage %g", cov);
	cov = stats_median_interval(x, 5, 0.95, &lo, &hi);
	cr_expect(lo == 1 && hi == 10 && fabs(cov - 0.9375) < 1e-12, "n=5: [%g, %g] %g", lo, hi,
		  cov);
	cov = stats_median_interval(x, 6, 0.95, &lo, &hi);
	cr_expect(lo == 1 && hi == 10 && fabs(cov - (1 - 2.0 / 64)) < 1e-12, "n=6: %g", cov);
	cov = stats_median_interval(x, 0, 0.95, &lo, &hi);
	cr_expect(isnan(cov) && isnan(lo) && isnan(hi));
}

struct t_case {
	int df;
	double want;
};

/* Two-sided 95%: the table to 30 degrees of freedom, then 40, 60, 120 and the normal. */
static const struct t_case t_cases[] = {
	{-1, NA},     {0, NA},      {1, 12.706},  {2, 4.303},    {3, 3.182},   {4, 2.776},
	{5, 2.571},   {9, 2.262},   {10, 2.228},  {20, 2.086},   {29, 2.045},  {30, 2.042},
	{31, 2.021},  {40, 2.021},  {41, 2.000},  {60, 2.000},   {61, 1.980},  {120, 1.980},
	{121, 1.960}, {100000, 1.960},
};

Test(stats, t975_table)
{
	for (size_t i = 0; i < sizeof t_cases / sizeof t_cases[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "df=%d", t_cases[i].df);
		expect_near(name, "t975", stats_t975(t_cases[i].df), t_cases[i].want);
	}
}

/* More data never widens the quantile. */
Test(stats, t975_never_rises)
{
	for (int df = 2; df < 500; df++)
		cr_expect(stats_t975(df) <= stats_t975(df - 1), "df %d", df);
}

struct outlier_case {
	double x[6];
	int n;
	int want;
};

/* Flagged when the first is over 25% slower than the median of the rest and further
 * from it than 5 median absolute deviations of the rest. */
static const struct outlier_case outlier_cases[] = {
	{{0}, 0, 0},
	{{5, 1}, 2, 0},                 /* too few to tell */
	{{2, 1, 1}, 3, 1},
	{{1.3, 1, 1, 1}, 4, 1},
	{{1.2, 1, 1, 1}, 4, 0},         /* slower, but by less than a quarter */
	{{1.25, 1, 1, 1}, 4, 0},        /* exactly a quarter is not above it */
	{{3, 1, 2, 1, 2}, 5, 0},        /* 1.5 above a median of 1.5, within 5 x MAD 0.5 */
	{{10, 1, 2, 1, 2}, 5, 1},
	{{1, 2, 2, 2}, 4, 0},           /* faster is never an outlier here */
	{{2, 2, 2, 2}, 4, 0},
};

Test(stats, first_outlier_table)
{
	for (size_t i = 0; i < sizeof outlier_cases / sizeof outlier_cases[0]; i++) {
		const struct outlier_case *t = &outlier_cases[i];
		cr_expect_eq(stats_first_is_outlier(t->x, t->n), t->want,
			     "case %zu (first %g, n %d)", i, t->x[0], t->n);
	}
}
