/* Printing the plan without running it. The estimate is the workloads' own ideal time
 * (what a perfect scheduler needs), so it is a lower bound: process start-up, the
 * models' overhead and the floors come on top, and CPU work has no ideal until a run. */
#include "dryrun.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLS 9

/* Seconds in the unit that reads best; "?" when not known. */
static void duration(char *buf, size_t len, double s)
{
	if (!isfinite(s))
		snprintf(buf, len, "?");
	else if (s == 0)
		snprintf(buf, len, "0");
	else if (s < 1e-3)
		snprintf(buf, len, "%.3g µs", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3g ms", s * 1e3);
	else if (s < 120)
		snprintf(buf, len, "%.3g s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.3g min", s / 60);
	else
		snprintf(buf, len, "%.3g h", s / 3600);
}

/* The cell's columns, each in its own buffer of 256. */
static void cell_cols(const struct cell *c, char col[COLS][256])
{
	double ideal = plan_ideal_s(c);
	int trials = c->warmup + c->repeat;
	snprintf(col[0], 256, "%s", *c->preset ? c->preset : "-");
	snprintf(col[1], 256, "%s", c->wi->wl->name);
	snprintf(col[2], 256, "%s", *c->wi->params_str ? c->wi->params_str : "-");
	snprintf(col[3], 256, "%s%s%s", c->ri->rn->name, *c->ri->params_str ? " " : "",
		 c->ri->params_str);
	snprintf(col[4], 256, "%d", c->tasks);
	snprintf(col[5], 256, "%d", c->workers);
	snprintf(col[6], 256, "%d+%d", c->warmup, c->repeat);
	duration(col[7], 256, ideal);
	duration(col[8], 256, ideal * trials);
}

/* Columns of text in UTF-8 line up by characters, not bytes ("µs"). */
static int width(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void row(FILE *f, char col[COLS][256], const int *w)
{
	static const bool right[COLS] = {false, false, false, false, true, true, true, true, true};
	for (int i = 0; i < COLS; i++) {
		int pad = w[i] - width(col[i]);
		fprintf(f, "%s%*s%s%*s", i ? "  " : "", right[i] ? pad : 0, "", col[i],
			right[i] || i == COLS - 1 ? 0 : pad, "");
	}
	fputc('\n', f);
}

void dryrun_print(FILE *f, const struct plan *p)
{
	static const char *const head[COLS] = {"preset", "workload", "params", "runner", "N",
					       "W", "trials", "ideal", "estimate"};
	char col[COLS][256];
	int w[COLS];
	for (int i = 0; i < COLS; i++)
		w[i] = width(head[i]);
	for (int i = 0; i < p->ncells; i++) {
		cell_cols(&p->cells[i], col);
		for (int j = 0; j < COLS; j++)
			if (width(col[j]) > w[j])
				w[j] = width(col[j]);
	}
	for (int i = 0; i < COLS; i++)
		snprintf(col[i], sizeof col[i], "%s", head[i]);
	row(f, col, w);
	long warm = 0, measured = 0;
	int unknown = 0;
	double total = 0;
	for (int i = 0; i < p->ncells; i++) {
		const struct cell *c = &p->cells[i];
		cell_cols(c, col);
		row(f, col, w);
		warm += c->warmup;
		measured += c->repeat;
		double ideal = plan_ideal_s(c);
		if (isfinite(ideal))
			total += ideal * (c->warmup + c->repeat);
		else
			unknown++;
	}
	char t[64];
	duration(t, sizeof t, total);
	fprintf(f, "\n%d cell%s, %ld trials (%ld warm-up + %ld measured)", p->ncells,
		p->ncells == 1 ? "" : "s", warm + measured, warm, measured);
	if (unknown == p->ncells)
		fprintf(f, "; no estimate of the time:\nno cell's workload knows its ideal time "
			   "(CPU work, real URLs: '?' above).\n");
	else if (unknown)
		fprintf(f, "; estimated at least %s of trials,\nplus %d cell%s whose workload "
			   "knows no ideal time (CPU work, real URLs: '?' above),\nplus ", t, unknown,
			unknown == 1 ? "" : "s");
	else
		fprintf(f, "; estimated at least %s of trials,\nplus ", t);
	if (unknown < p->ncells)
		fprintf(f, "start-up, each model's overhead, and measuring the floors\n"
			   "(several seconds; --no-floors skips it).\n");
	fprintf(f, "W 0 = all at once; trials = warm-up + measured; ideal = one trial at best.\n");
}
