"""The statistics of comparing two runs: the Mann-Whitney U test (exact for small samples
without ties, the normal approximation with the tie correction otherwise), Holm's
step-down correction across many comparisons, and a bootstrap interval of a ratio of
medians. Plain Python: the samples are a few dozen trials."""

import functools
import math
import random
import statistics

# Exact U distribution up to this many trials in all (C(40, 20) paths fit a float).
EXACT_MAX = 40


@functools.lru_cache(maxsize=256)
def _u_counts(n, m):
    """How many of the C(n+m, n) orderings of two samples give each U (U of the first:
    the pairs where its value is the larger), for U = 0 .. n*m."""
    # counts[j][u] for the first i values of the first sample and j of the second.
    prev = [[1] + [0] * (n * m) for _ in range(m + 1)]  # i = 0: U = 0 only
    for i in range(1, n + 1):
        cur = [[0] * (n * m + 1) for _ in range(m + 1)]
        cur[0][0] = 1
        for j in range(1, m + 1):
            a, b, c = cur[j], cur[j - 1], prev[j]
            # the largest of the i + j values is from the first sample (it beats all j)
            # or from the second (it adds nothing)
            for u in range(n * m + 1):
                a[u] = b[u] + (c[u - j] if u >= j else 0)
        prev = cur
    return prev[m]


def mann_whitney(a, b):
    """(U of a, two-sided p) of samples a and b: exact when there are no ties and at most
    EXACT_MAX values, else the normal approximation with continuity and tie corrections."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        raise ValueError('an empty sample')
    u = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)
    values = list(a) + list(b)
    tied = len(set(values)) < len(values)
    if not tied and n + m <= EXACT_MAX:
        counts = _u_counts(n, m)
        total = sum(counts)
        k = int(round(u))
        low = sum(counts[:k + 1]) / total
        high = sum(counts[k:]) / total
        return u, min(1.0, 2 * min(low, high))
    mu = n * m / 2
    groups = {}
    for v in values:
        groups[v] = groups.get(v, 0) + 1
    big = n + m
    ties = sum(t ** 3 - t for t in groups.values())
    var = n * m / 12 * ((big + 1) - ties / (big * (big - 1)))
    if var <= 0:
        return u, 1.0  # every value the same
    z = (abs(u - mu) - 0.5) / math.sqrt(var)
    return u, min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))


def min_p(n, m):
    """The smallest two-sided p samples of n and m values can give at all (exact test)."""
    if n + m > EXACT_MAX:
        return 0.0
    return min(1.0, 2 / math.comb(n + m, n))


def holm(ps):
    """Holm's adjusted p-values, in the order given: the k-th smallest p times the number
    of those not yet rejected, kept monotone and at most 1."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    adj = [1.0] * len(ps)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adj[i] = running
    return adj


def ratio_interval(a, b, resamples=2000, seed=1, level=0.95):
    """median(b) / median(a) and its percentile bootstrap interval (each sample resampled
    with replacement, a fixed seed so that a comparison prints the same twice)."""
    rng = random.Random(seed)
    point = statistics.median(b) / statistics.median(a)
    rs = []
    for _ in range(resamples):
        ma = statistics.median(rng.choices(a, k=len(a)))
        mb = statistics.median(rng.choices(b, k=len(b)))
        if ma > 0:
            rs.append(mb / ma)
    rs.sort()
    if not rs:
        return point, math.nan, math.nan
    lo = rs[int((1 - level) / 2 * (len(rs) - 1))]
    hi = rs[int((1 + level) / 2 * (len(rs) - 1))]
    return point, lo, hi
