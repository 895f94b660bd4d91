/* Formatting results for the terminal. */
#include "report.h"

#include <math.h>
#include <string.h>

#include "external.h"
#include "sysinfo.h"

void report_duration(char *buf, size_t len, double s)
{
	double a = fabs(s);
	if (!isfinite(s))
		snprintf(buf, len, "-");
	else if (a >= 1)
		snprintf(buf, len, "%.3g s", s);
	else if (a >= 1e-3)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else if (a >= 1e-6)
		snprintf(buf, len, "%.3g us", s * 1e6);
	else
		snprintf(buf, len, "%.3g ns", s * 1e9);
}

static void report_bytes(char *buf, size_t len, double b)
{
	if (!isfinite(b))
		snprintf(buf, len, "-");
	else if (fabs(b) >= 1024 * 1024)
		snprintf(buf, len, "%.3g MiB", b / (1024 * 1024));
	else if (fabs(b) >= 1024)
		snprintf(buf, len, "%.3g KiB", b / 1024);
	else
		snprintf(buf, len, "%.0f B", b);
}

static void list_params(FILE *f, const struct param_spec *spec)
{
	char line[512];
	for (int i = 0; spec && spec[i].name; i++) {
		params_describe(&spec[i], line, sizeof line);
		fprintf(f, "      %s\n", line);
	}
}

void report_list(FILE *f)
{
	fprintf(f, "workloads (-w; parameters as -p workload.key=value):\n");
	for (int i = 0; workload_table[i]; i++) {
		const struct workload *wl = workload_table[i];
		fprintf(f, "  %-10s %s\n", wl->name, wl->summary);
		if (wl->floor_what)
			fprintf(f, "      floor: %s\n", wl->floor_what);
		list_params(f, wl->params);
	}
	fprintf(f, "\nrunners (-r; parameters as -p runner.key=value):\n");
	for (int i = 0; runner_table[i]; i++) {
		const struct runner *rn = runner_table[i];
		struct cb_err why = {0};
		bool ok = !rn->external || external_available(rn->external, &why) == CB_OK;
		fprintf(f, "  %-10s %s%s%s\n", rn->name, rn->summary, ok ? "" : " — unavailable: ",
			ok ? "" : why.msg);
		if (rn->floor_what)
			fprintf(f, "      floor of waiting work: %s\n", rn->floor_what);
		list_params(f, rn->params);
	}
}

void report_progress(FILE *f, const struct plan *p, const struct plan_trial *t, int done,
		     double elapsed_s)
{
	const struct cell *c = &p->cells[t->cell];
	fprintf(f, "\r\033[K[%d/%d] cell %d/%d %s/%s n=%d j=%d  %s %d/%d  %.1f s", done + 1,
		p->norder, t->cell + 1, p->ncells, c->wi->wl->name, c->ri->rn->name, c->tasks,
		c->workers, t->warmup ? "warm-up" : "trial",
		t->warmup ? t->index + 1 : t->index - c->warmup + 1,
		t->warmup ? c->warmup : c->repeat, elapsed_s);
	fflush(f);
}

void report_progress_clear(FILE *f)
{
	fprintf(f, "\r\033[K");
	fflush(f);
}

/* Which baseline each family's speed-ups are over, once per family in the table. */
static void report_baselines(FILE *f, const struct summary *sums, int n)
{
	const char *fam[16], *base[16];
	int nf = 0;
	for (int i = 0; i < n; i++) {
		const char *family = sums[i].cell->ri->rn->family;
		int k = 0;
		while (k < nf && strcmp(fam[k], family) != 0)
			k++;
		if (k == nf && nf < 16) {
			fam[nf] = family;
			base[nf++] = NULL;
		}
		if (k < nf && sums[i].baseline)
			base[k] = sums[i].baseline;
	}
	fprintf(f, "speedup over:");
	for (int k = 0; k < nf; k++)
		fprintf(f, "%s %s runners: %s", k ? ";" : "", fam[k], base[k] ? base[k] : "none in this run");
	fprintf(f, "\n");
}

void report_table(FILE *f, const struct summary *sums, int n)
{
	fprintf(f, "%-10s %-24s %-10s %7s %5s %10s %6s %21s %20s %10s %10s %7s %9s %5s  %s\n",
		"workload", "params", "runner", "tasks", "W", "median", "±cv", "min … max",
		"speedup [95%]", "ideal", "overhead", "×floor", "RSS/task", "fail", "flags");
	for (int i = 0; i < n; i++) {
		const struct summary *s = &sums[i];
		const struct cell *c = s->cell;
		char med[16], lo[16], hi[16], ideal[16], over[16], rss[16], range[40], cv[16],
			speed[48], vsf[16], flags[64], params[25];
		report_duration(med, sizeof med, s->wall.median);
		report_duration(lo, sizeof lo, s->wall.min);
		report_duration(hi, sizeof hi, s->wall.max);
		report_duration(ideal, sizeof ideal, s->ideal_s);
		report_duration(over, sizeof over, s->overhead_s);
		report_bytes(rss, sizeof rss, s->rss_per_task_b);
		snprintf(range, sizeof range, "%s … %s", lo, hi);
		snprintf(cv, sizeof cv, isfinite(s->wall.cv) ? "%.1f%%" : "-", s->wall.cv * 100);
		if (isfinite(s->speedup) && isfinite(s->speedup_lo))
			snprintf(speed, sizeof speed, "%.2fx [%.2f, %.2f]", s->speedup, s->speedup_lo,
				 s->speedup_hi);
		else
			snprintf(speed, sizeof speed, isfinite(s->speedup) ? "%.2fx" : "-", s->speedup);
		snprintf(vsf, sizeof vsf, isfinite(s->overhead_vs_floor) ? "%.2f" : "-",
			 s->overhead_vs_floor);
		cb_copy(params, c->wi->params_str, sizeof params);
		if (strlen(c->wi->params_str) >= sizeof params)
			memcpy(params + sizeof params - 4, "...", 4);
		summary_flag_names(s->flags, flags, sizeof flags);
		fprintf(f, "%-10s %-24s %-10s %7d %5d %10s %6s %21s %20s %10s %10s %7s %9s %5ld  %s\n",
			c->wi->wl->name, params, c->ri->rn->name, c->tasks, c->workers, med, cv,
			range, speed, ideal, over, vsf, rss, s->tasks_failed, flags);
	}
	report_baselines(f, sums, n);
}

void report_floors(FILE *f, const struct floors *fl)
{
	char a[16], b[16];
	if (fl->base_rss_kib < 0)
		return; /* --no-floors */
	report_duration(a, sizeof a, fl->fork_wait_s);
	report_duration(b, sizeof b, fl->page_touch_s);
	char c[16];
	report_duration(c, sizeof c, fl->page_touch_huge_s);
	fprintf(f, "floors: fork+wait %s, first touch of a 4 KiB page %s (%s as part of a 2 MiB "
		"huge page), empty trial child %ld KiB\n", a, b, c, fl->base_rss_kib);
	fprintf(f, "  countdown %.3g ns per iteration, core ~%.3g GHz: %.2f cycles per iteration\n",
		fl->countdown_ns, fl->core_ghz, fl->countdown_ns * fl->core_ghz);
	double lo, hi;
	floors_capacity_range(fl, &lo, &hi);
	fprintf(f, "  CPU the host gives: %.2f cores' worth of %d (median of %d pairs, %.2f … %.2f: "
		"a countdown alone vs one on every core)\n", fl->parallel_cores, sysinfo_cores(),
		fl->cap_pairs, lo, hi);
	for (int i = 0; i < fl->n; i++) {
		const struct floor_entry *e = &fl->e[i];
		report_duration(a, sizeof a, e->seconds);
		fprintf(f, "  %-10s %-10s tasks=%-8d workers=%-8d %10s  (%s)%s%s\n",
			e->wi->wl->name, e->ri->rn->name, e->tasks, e->workers, a, e->what,
			e->note[0] ? " — " : "", e->note);
	}
}

void report_capacity_short(FILE *f, const struct floors *fl)
{
	int cores = sysinfo_cores();
	/* A tenth below: what the pairs' own noise gives on a quiet host. */
	if (isfinite(fl->parallel_cores) && fl->parallel_cores < 0.9 * cores)
		fprintf(f, "concbench: the host gave %.2f cores' worth of CPU of the %d this process "
			"may use (a quota or a busy neighbour); CPU ideals use %.2f\n",
			fl->parallel_cores, cores, fl->parallel_cores);
}
