/* Formatting results for the terminal. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
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

/* Whether parameter k of inst differs from its default, or from the same workload's
 * (runner's) other instances among the cells. */
static bool param_tells(const struct params *mine, int k, const struct plan *p, bool runner)
{
	if (mine->set[k] || strcmp(mine->val[k], mine->spec[k].defval) != 0)
		return true;
	for (int c = 0; c < p->ncells; c++) {
		const struct cell *o = &p->cells[c];
		const struct params *other = runner ? &o->ri->params : &o->wi->params;
		if (other->spec == mine->spec && strcmp(other->val[k], mine->val[k]) != 0)
			return true;
	}
	return false;
}

static size_t params_short_of(const struct params *pr, const struct plan *p, bool runner,
			      const char *prefix, char *buf, size_t len, size_t off)
{
	for (int k = 0; pr->spec && pr->spec[k].name && off < len; k++)
		if (param_tells(pr, k, p, runner))
			off += (size_t)snprintf(buf + off, len - off, "%s%s%s=%s", off ? ";" : "",
						prefix, pr->spec[k].name, pr->val[k]);
	return off;
}

void report_params_short(const struct plan *p, int cell, char *buf, size_t len)
{
	const struct cell *c = &p->cells[cell];
	buf[0] = '\0';
	size_t off = params_short_of(&c->wi->params, p, false, "", buf, len, 0);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s.", c->ri->rn->name);
	params_short_of(&c->ri->params, p, true, prefix, buf, len, off);
}

void report_cell_name(const struct plan *p, int cell, char *buf, size_t len)
{
	const struct cell *c = &p->cells[cell];
	char params[1024];
	report_params_short(p, cell, params, sizeof params);
	snprintf(buf, len, "%s%s%s %s n=%d W=%d", c->wi->wl->name, params[0] ? " " : "", params,
		 c->ri->rn->name, c->tasks, c->workers);
}

/* Two durations in the unit of the larger: "301 … 304 ms". */
static void report_duration_pair(char *buf, size_t len, double lo, double hi)
{
	char a[24], b[24];
	if (!isfinite(lo) || !isfinite(hi)) {
		snprintf(buf, len, "-");
		return;
	}
	double m = fabs(hi) > fabs(lo) ? fabs(hi) : fabs(lo);
	double scale = m >= 1 ? 1 : m >= 1e-3 ? 1e3 : m >= 1e-6 ? 1e6 : 1e9;
	const char *unit = m >= 1 ? "s" : m >= 1e-3 ? "ms" : m >= 1e-6 ? "us" : "ns";
	snprintf(a, sizeof a, "%.3g", lo * scale);
	snprintf(b, sizeof b, "%.3g", hi * scale);
	snprintf(buf, len, "%s … %s %s", a, b, unit);
}

/* The table is made in memory, then printed with each column as wide as its widest
 * cell, so nothing is cut to fit. */
enum { TABLE_CELL = 1024 };

/* Display columns of UTF-8 text: its bytes less the continuation bytes. */
static int text_width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

enum col {
	COL_WORKLOAD, COL_PARAMS, COL_RUNNER, COL_RPARAMS, COL_TASKS, COL_W, COL_MEDIAN, COL_CI,
	COL_RANGE, COL_CV, COL_SPEEDUP, COL_IDEAL, COL_OVERHEAD, COL_FLOOR, COL_RSS, COL_FAIL,
	COL_FLAGS, COL_N
};

static const struct {
	const char *name;
	bool right, wide_only;
} table_cols[COL_N] = {
	[COL_WORKLOAD] = {"workload", false, false}, [COL_PARAMS] = {"params", false, false},
	[COL_RUNNER] = {"runner", false, false},     [COL_RPARAMS] = {"runner params", false, true},
	[COL_TASKS] = {"N", true, false},            [COL_W] = {"W", true, false},
	[COL_MEDIAN] = {"median", true, false},      [COL_CI] = {"95% CI", true, false},
	[COL_RANGE] = {"min … max", true, true},     [COL_CV] = {"cv", true, true},
	[COL_SPEEDUP] = {"speed-up [95%]", true, false}, [COL_IDEAL] = {"ideal", true, false},
	[COL_OVERHEAD] = {"overhead", true, false},  [COL_FLOOR] = {"×floor", true, false},
	[COL_RSS] = {"RSS/task", true, false},       [COL_FAIL] = {"fail", false, false},
	[COL_FLAGS] = {"flags", false, false},
};

#define SGR_RED "31"
#define SGR_YELLOW "33"
#define SGR_CYAN "36"

/* The flags cell: "noisy (cv 7.2%)" says how noisy, "partial (3 of 10 trials)" how
 * partial; coloured by the worst flag. */
static const char *flags_text(const struct summary *s, char *buf, size_t len)
{
	char names[96];
	summary_flag_names(s->flags, names, sizeof names);
	char cv[32] = "", part[48] = "";
	bool noisy = (s->flags & FLAG_NOISY) && isfinite(s->wall.cv);
	if (noisy)
		snprintf(cv, sizeof cv, "cv %.1f%%", s->wall.cv * 100);
	if (s->flags & FLAG_PARTIAL)
		snprintf(part, sizeof part, "%s%d of %d trials", noisy ? "; " : "", s->trials,
			 s->trials_planned);
	if (cv[0] || part[0])
		snprintf(buf, len, "%s (%s%s)", names, cv, part);
	else
		snprintf(buf, len, "%s", names);
	return s->flags & FLAG_FAILED ? SGR_RED
	       : s->flags & (FLAG_PARTIAL | FLAG_NOISY | FLAG_FIRST_SLOW) ? SGR_YELLOW
	       : s->flags & FLAG_BELOW_FLOOR ? SGR_CYAN : NULL;
}

/* "4 status (404)": the failed tasks by reason, and an HTTP status where the first
 * failure names one. */
static void fail_text(const struct summary *s, char *buf, size_t len)
{
	long code;
	summary_fail_reasons(s, buf, len);
	if (!buf[0]) {
		snprintf(buf, len, s->trials_ok < s->trials ? "%d trials" : "-",
			 s->trials - s->trials_ok);
		return;
	}
	size_t used = strlen(buf);
	if (s->fail[FAIL_STATUS] && sscanf(s->note, "HTTP %ld from", &code) == 1)
		snprintf(buf + used, len - used, " (%ld)", code);
}

/* The median's 95% interval (the sign test); under 6 trials it cannot reach 95%, and
 * [min, max] stands with the coverage it has ("(75%)" for 3): never an interval of the
 * mean, which for 2 or 3 trials reaches below zero. */
static void ci_text(const struct summary *s, char *buf, size_t len)
{
	if (s->trials_ok < 2 || !isfinite(s->median_cover)) {
		snprintf(buf, len, "-");
		return;
	}
	report_duration_pair(buf, len, s->median_lo, s->median_hi);
	if (s->median_cover < 0.95) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, " (%.0f%%)", floor(s->median_cover * 100));
	}
}

static void row_cells(char (*cell)[TABLE_CELL], const char **color, const struct plan *p,
		      const struct summary *s, int i, bool wide)
{
	const struct cell *c = s->cell;
	char lo[24], hi[24];
	snprintf(cell[COL_WORKLOAD], TABLE_CELL, "%s", c->wi->wl->name);
	if (wide)
		snprintf(cell[COL_PARAMS], TABLE_CELL, "%s", c->wi->params_str);
	else
		report_params_short(p, i, cell[COL_PARAMS], TABLE_CELL);
	snprintf(cell[COL_RUNNER], TABLE_CELL, "%s", c->ri->rn->name);
	snprintf(cell[COL_RPARAMS], TABLE_CELL, "%s", c->ri->params_str);
	snprintf(cell[COL_TASKS], TABLE_CELL, "%d", c->tasks);
	snprintf(cell[COL_W], TABLE_CELL, "%d", c->workers);
	report_duration(cell[COL_MEDIAN], TABLE_CELL, s->wall.median);
	ci_text(s, cell[COL_CI], TABLE_CELL);
	report_duration(lo, sizeof lo, s->wall.min);
	report_duration(hi, sizeof hi, s->wall.max);
	snprintf(cell[COL_RANGE], TABLE_CELL, "%s … %s", lo, hi);
	snprintf(cell[COL_CV], TABLE_CELL, isfinite(s->wall.cv) ? "%.1f%%" : "-", s->wall.cv * 100);
	if (isfinite(s->speedup) && isfinite(s->speedup_lo))
		snprintf(cell[COL_SPEEDUP], TABLE_CELL, "%.2fx [%.2f, %.2f]", s->speedup,
			 s->speedup_lo, s->speedup_hi);
	else
		snprintf(cell[COL_SPEEDUP], TABLE_CELL, isfinite(s->speedup) ? "%.2fx" : "-",
			 s->speedup);
	report_duration(cell[COL_IDEAL], TABLE_CELL, s->ideal_s);
	report_duration(cell[COL_OVERHEAD], TABLE_CELL, s->overhead_s);
	snprintf(cell[COL_FLOOR], TABLE_CELL, isfinite(s->overhead_vs_floor) ? "%.2f" : "",
		 s->overhead_vs_floor);
	report_bytes(cell[COL_RSS], TABLE_CELL, s->rss_per_task_b);
	fail_text(s, cell[COL_FAIL], TABLE_CELL);
	color[COL_FAIL] = strcmp(cell[COL_FAIL], "-") != 0 ? SGR_RED : NULL;
	color[COL_FLAGS] = flags_text(s, cell[COL_FLAGS], TABLE_CELL);
	if (s->flags & FLAG_FAILED)
		color[COL_MEDIAN] = SGR_RED;
}

/* The columns this table shows: --wide ones only with it, the runner's parameters and
 * ×floor only where some cell has them. */
static int table_pick(int *pick, const struct summary *sums, int n, bool wide)
{
	bool rparams = false, floor = false;
	for (int i = 0; i < n; i++) {
		rparams |= sums[i].cell->ri->params_str[0] != '\0';
		floor |= isfinite(sums[i].overhead_vs_floor);
	}
	int k = 0;
	for (int c = 0; c < COL_N; c++) {
		if ((table_cols[c].wide_only && !wide) || (c == COL_RPARAMS && !rparams) ||
		    (c == COL_FLOOR && !floor))
			continue;
		pick[k++] = c;
	}
	return k;
}

/* Rows of COL_N cells (row 0 the header), the columns in pick shown. */
static void table_print(FILE *f, char (*const *rows)[TABLE_CELL],
			const char *const (*const *color), int nrows, const int *pick, int ncols,
			bool use_color)
{
	int width[COL_N] = {0};
	for (int r = 0; r < nrows; r++)
		for (int k = 0; k < ncols; k++) {
			int w = text_width(rows[r][pick[k]]);
			if (w > width[k])
				width[k] = w;
		}
	for (int r = 0; r < nrows; r++) {
		for (int k = 0; k < ncols; k++) {
			int c = pick[k];
			const char *text = rows[r][c], *sgr = r == 0 ? "1" : color[r][c];
			int pad = width[k] - text_width(text);
			bool right = table_cols[c].right, last = k == ncols - 1;
			fprintf(f, "%s%*s", k ? "  " : "", right ? pad : 0, "");
			if (use_color && sgr)
				fprintf(f, "\033[%sm%s\033[0m", sgr, text);
			else
				fputs(text, f);
			if (!right && !last)
				fprintf(f, "%*s", pad, "");
		}
		fputc('\n', f);
	}
}

static void report_legend(FILE *f, const int *pick, int ncols, bool color)
{
	bool floor = false;
	for (int k = 0; k < ncols; k++)
		floor |= pick[k] == COL_FLOOR;
	const char *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
	fprintf(f, "%smedian: of the trials that completed; 95%% CI: of the median (sign test); "
		"under 6 trials min … max, with the coverage it has (75%% for 3)%s\n", dim, off);
	fprintf(f, "%sspeed-up: the baseline's median over this cell's [95%% CI of paired "
		"trials]; overhead: the median less the ideal%s\n", dim, off);
	if (floor)
		fprintf(f, "%s×floor: the overhead over the floor, the same work done by hand with "
			"the bare primitive (empty: no floor for that cell)%s\n", dim, off);
	fprintf(f, "%sfail: failed tasks by reason; flags: noisy (cv above 5%%), first-slow, "
		"failed, partial (fewer trials than planned), below-floor%s\n", dim, off);
}

/* A failed cell's first failure in words, under the table. */
static void report_failures(FILE *f, const struct plan *p, const struct summary *sums, int n,
			    bool color)
{
	bool head = false;
	for (int i = 0; i < n; i++) {
		if (!(sums[i].flags & FLAG_FAILED) || !sums[i].note[0])
			continue;
		char name[1200];
		report_cell_name(p, i, name, sizeof name);
		if (!head)
			fprintf(f, "%sfailures:%s\n", color ? "\033[31m" : "", color ? "\033[0m" : "");
		head = true;
		fprintf(f, "  %s: %s\n", name, sums[i].note);
	}
}

void report_table(FILE *f, const struct plan *p, const struct summary *sums, int n,
		  const struct report_style *st)
{
	int pick[COL_N], ncols = table_pick(pick, sums, n, st->wide);
	char (*cells)[COL_N][TABLE_CELL] = calloc((size_t)n + 1, sizeof *cells);
	const char *(*color)[COL_N] = calloc((size_t)n + 1, sizeof *color);
	char (**rows)[TABLE_CELL] = calloc((size_t)n + 1, sizeof *rows);
	const char *const **crow = calloc((size_t)n + 1, sizeof *crow);
	if (!cells || !color || !rows || !crow) {
		fprintf(f, "(no memory for the table)\n");
		goto out;
	}
	for (int c = 0; c < COL_N; c++)
		snprintf(cells[0][c], TABLE_CELL, "%s", table_cols[c].name);
	for (int i = 0; i <= n; i++) {
		if (i)
			row_cells(cells[i], color[i], p, &sums[i - 1], i - 1, st->wide);
		rows[i] = cells[i];
		crow[i] = color[i];
	}
	table_print(f, rows, crow, n + 1, pick, ncols, st->color);
	report_baselines(f, sums, n);
	report_legend(f, pick, ncols, st->color);
	report_failures(f, p, sums, n, st->color);
out:
	free(cells);
	free(color);
	free(rows);
	free(crow);
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
