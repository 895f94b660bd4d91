/* Per-cell statistics: medians of what wait4 saw, the ideal, overhead, floors. */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The median of one field over a cell's measured rows. */
static double median_of(const struct trial_row *const *r, int n, size_t off, bool is_long)
{
	double *v = malloc(sizeof *v * (size_t)(n ? n : 1));
	if (!v)
		return NAN;
	for (int i = 0; i < n; i++) {
		const char *base = (const char *)r[i] + off;
		v[i] = is_long ? (double)*(const long *)base : *(const double *)base;
	}
	double m = stats_median(v, n);
	free(v);
	return m;
}

#define MEDIAN_D(rows, n, field) median_of(rows, n, offsetof(struct trial_row, field), false)
#define MEDIAN_L(rows, n, field) median_of(rows, n, offsetof(struct trial_row, field), true)

static void count_outcomes(struct summary *s, const struct trial_row *const *r, int n)
{
	char names[8][24];
	int counts[8] = {0}, k = 0;
	for (int i = 0; i < n; i++) {
		int j = 0;
		while (j < k && strcmp(names[j], r[i]->outcome) != 0)
			j++;
		if (j == k && k < 8)
			snprintf(names[k++], sizeof names[0], "%s", r[i]->outcome);
		if (j < k)
			counts[j]++;
	}
	size_t off = 0;
	for (int j = 0; j < k && off < sizeof s->outcomes; j++)
		off += (size_t)snprintf(s->outcomes + off, sizeof s->outcomes - off, "%s%s:%d",
					j ? ";" : "", names[j], counts[j]);
}

/* The first note of a failed trial: what went wrong, in the trial's words. */
static void first_failure(struct summary *s, const struct trial_row *const *r, int n)
{
	for (int i = 0; i < n && !s->note[0]; i++)
		if (strcmp(r[i]->outcome, "ok") != 0 || r[i]->tasks_failed)
			snprintf(s->note, sizeof s->note, "%s", r[i]->note);
}

/* What the trials alone say: their times, outcomes, failures and flags. */
static void summarise_trials(struct summary *s, const struct trial_row *const *r, int n)
{
	double *wall = malloc(sizeof *wall * (size_t)(n ? n : 1));
	s->trials = n;
	s->trials_planned = s->cell->repeat;
	for (int i = 0; i < n; i++) {
		s->tasks_failed += r[i]->tasks_failed;
		for (int k = 0; k < FAIL_REASONS; k++)
			s->fail[k] += r[i]->fail[k];
		/* Only completed trials time the model: a killed or failed one times its failure. */
		if (wall && strcmp(r[i]->outcome, "ok") == 0)
			wall[s->trials_ok++] = r[i]->wall_s;
	}
	stats_summarise(wall ? wall : (double[]){0}, wall ? s->trials_ok : 0, &s->wall);
	s->median_cover = stats_median_interval(wall ? wall : (double[]){0}, wall ? s->trials_ok : 0,
						0.95, &s->median_lo, &s->median_hi);
	if (s->wall.cv > 0.05)
		s->flags |= FLAG_NOISY;
	if (wall && stats_first_is_outlier(wall, s->trials_ok))
		s->flags |= FLAG_FIRST_SLOW;
	if (s->trials_ok < n || s->tasks_failed)
		s->flags |= FLAG_FAILED;
	if (n < s->trials_planned)
		s->flags |= FLAG_PARTIAL;
	count_outcomes(s, r, n);
	first_failure(s, r, n);
	free(wall);
}

static void summarise_cell(struct summary *s, const struct trial_row *const *r, int n,
			   const struct floors *f)
{
	const struct cell *c = s->cell;
	const struct trial_row **ok = malloc(sizeof *ok * (size_t)(n ? n : 1));
	summarise_trials(s, r, n);
	int nok = 0;
	for (int i = 0; ok && i < n; i++)
		if (strcmp(r[i]->outcome, "ok") == 0)
			ok[nok++] = r[i];
	int m = nok;
	const struct trial_row *const *use = ok;
	if (m == 0) { /* resource figures still tell something when every trial failed */
		m = n;
		use = r;
	}
	s->maxrss_kib = MEDIAN_L(use, m, maxrss_kib);
	s->minflt = MEDIAN_L(use, m, minflt);
	s->user_s = MEDIAN_D(use, m, user_s);
	s->sys_s = MEDIAN_D(use, m, sys_s);
	s->vcsw = MEDIAN_L(use, m, vcsw);
	s->ivcsw = MEDIAN_L(use, m, ivcsw);
	s->trial_s = MEDIAN_D(use, m, trial_s);
	s->cores = MEDIAN_D(use, m, cores);
	s->task_p50_s = MEDIAN_D(use, m, task_p50_s);
	s->task_max_s = MEDIAN_D(use, m, task_max_s);
	for (int k = 0; k < WL_METRICS_MAX; k++)
		s->metric[k] = median_of(use, m, offsetof(struct trial_row, metric) +
						     sizeof(double) * (size_t)k, false);
	/* Above a run of one task, a runtime of its own (an external runner's) counts the
	 * tasks after the first. */
	long base = floors_base_rss(f, c);
	int counted = c->ri->rn->external ? c->tasks - 1 : c->tasks;
	s->rss_per_task_b = base < 0 || counted < 1 ? NAN
			  : (s->maxrss_kib - (double)base) * 1024.0 / counted;
	s->minflt_per_task = s->minflt / c->tasks;
	s->floor_s = floors_of(f, c);
	s->floor_fastest_s = floors_fastest_of(f, c);
	free(ok);
}

/* The baseline: the serial cell of the same family, work and N (the same preset's
 * when there are several). Never another family's. */
static const struct summary *serial_peer(const struct summary *sums, int n,
					 const struct summary *s)
{
	const struct summary *best = NULL;
	const struct cell *me = s->cell;
	for (int i = 0; i < n; i++) {
		const struct cell *c = sums[i].cell;
		if (c->ri->rn->one_at_a_time && strcmp(c->ri->rn->family, me->ri->rn->family) == 0 &&
		    c->wi == me->wi && c->tasks == me->tasks &&
		    (!best || strcmp(c->preset, me->preset) == 0))
			best = &sums[i];
	}
	return best;
}

static void derive(struct summary *s, const struct summary *serial, double capacity)
{
	const struct cell *c = s->cell;
	const struct workload *wl = c->wi->wl;
	s->baseline = serial ? serial->cell->ri->rn->name : NULL;
	s->speedup = serial ? serial->wall.median / s->wall.median : NAN;
	s->ideal_s = NAN;
	if (c->ri->rn->waits_skipped) {
		s->ideal_s = wl->cpu_bound ? NAN : 0;
	} else if (wl->ideal_s) {
		s->ideal_s = wl->ideal_s(c->wi->cfg, c->tasks, c->workers);
	} else if (wl->cpu_bound && serial) {
		/* The cores the host gave in this run, not the ones it lists. */
		double w = runner_workers(c->tasks, c->workers);
		double par = w < capacity ? w : capacity;
		s->ideal_s = serial->wall.median / (par > 1 ? par : 1);
	}
	if (wl->cpu_s && s->ideal_s >= 0) {
		double w = runner_workers(c->tasks, c->workers);
		double par = w < capacity ? w : capacity;
		double cpu = wl->cpu_s(c->wi->cfg, c->tasks) / (par > 1 ? par : 1);
		s->ideal_s = cpu > s->ideal_s ? cpu : s->ideal_s;
	}
	if (s->ideal_s < 0)
		s->ideal_s = NAN;
	s->overhead_s = s->wall.median - s->ideal_s;
	s->overhead_per_task_s = s->overhead_s / c->tasks;
	s->overhead_vs_floor = s->floor_s > 0 ? s->overhead_s / s->floor_s : NAN;
	/* The same work by hand cannot cost more than the model's way: when even the slowest
	 * trial beats the floor's fastest run clearly, the floor is wrong. Anything less is
	 * noise: one trial may beat it, the floor's runs spread as the trials do (thread
	 * creation ±15% here from run to run), and a wait may end a timer tick early or late
	 * whoever waits. */
	double floor = s->floor_fastest_s;
	double beaten = floor - (s->wall.max - s->ideal_s);
	if (floor > 0 && beaten > (1 - SUMMARY_BELOW_FLOOR) * floor && beaten > SUMMARY_TICK_S)
		s->flags |= FLAG_BELOW_FLOOR;
}

/* The speed-up's interval from the interleaved trials: trial i of the baseline (cell
 * base) and trial i of ours (cell me) ran one round apart, so their ratio pairs off the
 * host's drift between rounds. */
static void speedup_interval(struct summary *s, const struct summary *serial, int me, int base,
			     const struct trial_row *rows, int nrows)
{
	s->speedup_lo = s->speedup_hi = NAN;
	if (!serial || s->trials_ok < SUMMARY_PAIRS_MIN)
		return;
	int slots = serial->cell->warmup + serial->cell->repeat;
	double *bw = calloc((size_t)slots, sizeof *bw); /* the baseline's wall by trial index */
	double *r = malloc(sizeof *r * (size_t)s->trials_ok);
	int n = 0;
	for (int i = 0; bw && r && i < nrows; i++)
		if (rows[i].cell == base && !rows[i].warmup && rows[i].index < slots &&
		    strcmp(rows[i].outcome, "ok") == 0)
			bw[rows[i].index] = rows[i].wall_s;
	for (int i = 0; bw && r && i < nrows && n < s->trials_ok; i++) {
		const struct trial_row *t = &rows[i];
		if (t->cell == me && !t->warmup && strcmp(t->outcome, "ok") == 0 && t->wall_s > 0 &&
		    t->index < slots && bw[t->index] > 0)
			r[n++] = bw[t->index] / t->wall_s;
	}
	double lo, hi;
	if (n >= SUMMARY_PAIRS_MIN && stats_median_interval(r, n, 0.95, &lo, &hi) >= 0.95) {
		s->speedup_lo = lo;
		s->speedup_hi = hi;
	}
	free(bw);
	free(r);
}

void summary_compute(struct summary *sums, const struct plan *p, const struct trial_row *rows,
		     int nrows, const struct floors *f, double capacity)
{
	const struct trial_row **mine = malloc(sizeof *mine * (size_t)(nrows ? nrows : 1));
	for (int c = 0; c < p->ncells; c++) {
		int n = 0;
		for (int i = 0; mine && i < nrows; i++)
			if (rows[i].cell == c && !rows[i].warmup)
				mine[n++] = &rows[i];
		sums[c] = (struct summary){.cell = &p->cells[c]};
		summarise_cell(&sums[c], mine ? mine : (const struct trial_row *[]){0},
			       mine ? n : 0, f);
	}
	free(mine);
	for (int c = 0; c < p->ncells; c++) {
		const struct summary *serial = serial_peer(sums, p->ncells, &sums[c]);
		derive(&sums[c], serial, capacity);
		speedup_interval(&sums[c], serial, c, serial ? (int)(serial - sums) : -1, rows, nrows);
	}
}

void summary_so_far(struct summary *s, const struct plan *p, const struct trial_row *rows,
		    int nrows, int cell)
{
	const struct trial_row **mine = malloc(sizeof *mine * (size_t)(nrows ? nrows : 1));
	int n = 0;
	for (int i = 0; mine && i < nrows; i++)
		if (rows[i].cell == cell && !rows[i].warmup)
			mine[n++] = &rows[i];
	*s = (struct summary){.cell = &p->cells[cell]};
	summarise_trials(s, mine ? mine : (const struct trial_row *[]){0}, n);
	free(mine);
}

void summary_fail_reasons(const struct summary *s, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int k = 1; k < FAIL_REASONS && off < len; k++)
		if (s->fail[k])
			off += (size_t)snprintf(buf + off, len - off, "%s%ld %s", off ? ", " : "",
						s->fail[k], task_fail_name(k));
	/* Tasks of a trial that never reported (killed, crashed) have no reason of their own. */
	long named = 0;
	for (int k = 1; k < FAIL_REASONS; k++)
		named += s->fail[k];
	if (s->tasks_failed > named && off < len)
		snprintf(buf + off, len - off, "%s%ld lost", off ? ", " : "", s->tasks_failed - named);
}

void summary_flag_names(int flags, char *buf, size_t len)
{
	static const struct {
		int flag;
		const char *name;
	} names[] = {{FLAG_NOISY, "noisy"}, {FLAG_FIRST_SLOW, "first-slow"},
		     {FLAG_FAILED, "failed"}, {FLAG_BELOW_FLOOR, "below-floor"},
		     {FLAG_PARTIAL, "partial"}};
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0] && off < len; i++)
		if (flags & names[i].flag)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						names[i].name);
}
