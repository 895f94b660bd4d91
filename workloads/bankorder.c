/* The bank race's yardstick, shared by the bank workload and the task file's account:
 * the balances some one-at-a-time order of the withdrawals can end at, and the one of
 * them nearest to a run's final balance (the distance is the run's lost_updates). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bankorder.h"

/* The amounts, amount[i] used weight[i] times, as distinct ascending values v[]
 * used n[] times; returns how many values. */
static int bankorder_distinct(const int64_t *amount, const int64_t *weight, int count,
			      int64_t *v, int64_t *n)
{
	int m = 0;
	for (int i = 0; i < count; i++) {
		int k = 0;
		while (k < m && v[k] < amount[i])
			k++;
		if (k == m || v[k] != amount[i]) {
			memmove(v + k + 1, v + k, sizeof *v * (size_t)(m - k));
			memmove(n + k + 1, n + k, sizeof *n * (size_t)(m - k));
			v[k] = amount[i];
			n[k] = 0;
			m++;
		}
		n[k] += weight[i];
	}
	return m;
}

/* sums[] |= sums[] shifted by `count` copies of v: bounded knapsack by doubling. */
static void bankorder_add_value(bool *sums, int64_t top, int64_t v, int64_t count)
{
	for (int64_t chunk = 1; count > 0; chunk *= 2) {
		int64_t take = chunk < count ? chunk : count;
		int64_t shift = take * v;
		count -= take;
		if (shift > top)
			break;
		for (int64_t t = top; t >= shift; t--)
			sums[t] = sums[t] || sums[t - shift];
	}
}

/* final[f] = whether some serial order of the withdrawals ends at balance f.
 * A serial order grants a set S exactly when sum(S) <= B and every withdrawal
 * outside S exceeds what is left, B - sum(S) (put the refused ones last: they
 * see the lowest balance). With values sorted, let j be the smallest value not
 * wholly granted: every smaller one is granted, s < n[j] copies of v[j] are,
 * any number of larger ones, and what is left is below v[j]. sums[] holds the
 * subset sums of the values above j, built up as j walks down. */
static void bankorder_finals(int64_t B, const int64_t *v, const int64_t *n, int m,
			     bool *final, bool *sums)
{
	int64_t prefix[BANKORDER_AMOUNTS_MAX + 1] = {0};
	for (int j = 0; j < m; j++)
		prefix[j + 1] = prefix[j] + v[j] * n[j];
	memset(final, 0, (size_t)(B + 1));
	memset(sums, 0, (size_t)(B + 1));
	sums[0] = true;
	if (prefix[m] <= B)
		final[B - prefix[m]] = true; /* every withdrawal granted */
	for (int j = m - 1; j >= 0; j--) {
		for (int64_t s = 0; s < n[j] && prefix[j] <= B; s++) {
			int64_t room = B - prefix[j] - s * v[j]; /* left for values above j */
			if (room < 0)
				break;
			for (int64_t t = room > v[j] - 1 ? room - v[j] + 1 : 0; t <= room; t++)
				if (sums[t])
					final[room - t] = true;
		}
		bankorder_add_value(sums, B, v[j], n[j]);
	}
}

int64_t bankorder_nearest(int64_t balance, const int64_t *amounts, int namounts, int ntasks,
			  int64_t x, struct cb_err *err)
{
	int64_t v[BANKORDER_AMOUNTS_MAX], n[BANKORDER_AMOUNTS_MAX], weight[BANKORDER_AMOUNTS_MAX];
	int count = ntasks < namounts ? ntasks : namounts;
	/* amounts[i] is withdrawn by tasks i, i + namounts, ... below ntasks */
	for (int i = 0; i < count; i++)
		weight[i] = (ntasks - i + namounts - 1) / namounts;
	int m = bankorder_distinct(amounts, weight, count, v, n);
	bool *final = malloc((size_t)(balance + 1) * 2);
	if (!final) {
		cb_fail(err, CB_ELIMIT, "bank: no memory for the serial-order check");
		return x;
	}
	bankorder_finals(balance, v, n, m, final, final + balance + 1);
	int64_t best = x, dist = -1;
	for (int64_t f = 0; f <= balance; f++) {
		int64_t d = f > x ? f - x : x - f;
		if (final[f] && (dist < 0 || d < dist)) {
			best = f;
			dist = d;
		}
	}
	free(final);
	return best;
}

