/* Progress on stderr: a live line on a terminal, whole lines in a log. */
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "summary.h"

/* In a log, a line at least this often even while no cell ends (interleaved trials end
 * every cell in the last round). */
#define PROGRESS_LOG_EVERY_S 30.0
#define PROGRESS_BAR 20

enum progress_mode progress_mode_for(bool quiet)
{
	return quiet ? PROGRESS_OFF : isatty(STDERR_FILENO) ? PROGRESS_LIVE : PROGRESS_LOG;
}

int progress_start(struct progress *pg, FILE *f, enum progress_mode mode, const struct plan *p)
{
	*pg = (struct progress){.f = f, .mode = mode, .p = p, .k = -1, .t0 = clock_now()};
	pg->last_log = pg->t0;
	if (mode == PROGRESS_OFF)
		return 0;
	pg->cell_trials = calloc((size_t)p->ncells + 1, sizeof *pg->cell_trials);
	pg->cell_time = calloc((size_t)p->ncells + 1, sizeof *pg->cell_time);
	if (!pg->cell_trials || !pg->cell_time) {
		progress_stop(pg);
		pg->mode = PROGRESS_OFF;
		return -1;
	}
	return 0;
}

static void live_clear(struct progress *pg)
{
	if (pg->shown) {
		fputs("\r\033[K", pg->f);
		fflush(pg->f);
		pg->shown = false;
	}
}

void progress_stop(struct progress *pg)
{
	if (pg->mode == PROGRESS_LIVE)
		live_clear(pg);
	free(pg->cell_trials);
	free(pg->cell_time);
	pg->cell_trials = NULL;
	pg->cell_time = NULL;
}

double progress_eta(const struct plan *p, const int *cell_trials, const double *cell_time,
		    double elapsed_s, double current_s, int current_cell)
{
	int done = 0;
	double spent = 0;
	for (int c = 0; c < p->ncells; c++) {
		done += cell_trials[c];
		spent += cell_time[c];
	}
	if (done == 0 || spent <= 0)
		return NAN;
	double mean = spent / done, left = 0;
	for (int c = 0; c < p->ncells; c++) {
		int todo = p->cells[c].warmup + p->cells[c].repeat - cell_trials[c];
		double each = cell_trials[c] ? cell_time[c] / cell_trials[c] : mean;
		if (c == current_cell && todo > 0) {
			/* The one under way has run current_s already (and takes at least that). */
			left += each > current_s ? each - current_s : 0;
			todo--;
		}
		left += todo * each;
	}
	/* What the run spends beside its trials (the floors between them), in proportion. */
	double ratio = elapsed_s - current_s > spent ? (elapsed_s - current_s) / spent : 1;
	return left * ratio;
}

/* "12 s", "3.5 min", "1.2 h"; "?" when unknown. */
static void span_text(char *buf, size_t len, double s)
{
	if (!isfinite(s))
		snprintf(buf, len, "?");
	else if (s < 10)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 60)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

static int term_cols(FILE *f)
{
	struct winsize ws;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static int trials_done(const struct progress *pg)
{
	int n = 0;
	for (int c = 0; c < pg->p->ncells; c++)
		n += pg->cell_trials[c];
	return n;
}

/* Writes the live line, cut to the terminal's width so that \r can rewrite it. */
static void live_draw(struct progress *pg, const char *line)
{
	int cols = term_cols(pg->f) - 1;
	fprintf(pg->f, "\r\033[K%.*s", cols, line);
	fflush(pg->f);
	pg->shown = true;
}

static void live_trial(struct progress *pg)
{
	const struct plan *p = pg->p;
	const struct plan_trial *t = &p->order[pg->k];
	const struct cell *c = &p->cells[t->cell];
	double now = clock_now(), cur = now - pg->trial_t0, el = now - pg->t0;
	double eta = progress_eta(p, pg->cell_trials, pg->cell_time, el, cur, t->cell);
	int done = trials_done(pg);
	char bar[PROGRESS_BAR + 1], name[256], med[48], els[24], etas[24], line[1024];
	int fill = p->norder ? done * PROGRESS_BAR / p->norder : 0;
	for (int i = 0; i < PROGRESS_BAR; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[PROGRESS_BAR] = '\0';
	struct summary s;
	summary_so_far(&s, p, pg->rows, pg->nrows, t->cell);
	report_duration(med, sizeof med, s.wall.median);
	if (s.trials > s.trials_ok) { /* failures so far are news */
		size_t used = strlen(med);
		snprintf(med + used, sizeof med - used, " (%d failed)", s.trials - s.trials_ok);
	}
	span_text(els, sizeof els, el);
	span_text(etas, sizeof etas, eta);
	report_cell_name(p, t->cell, name, sizeof name);
	snprintf(line, sizeof line, "[%s] cells %d/%d  %s  %s %d/%d (%.1f s)  median %s  "
		 "%s elapsed, ETA %s", bar, pg->cells_done, p->ncells, name,
		 t->warmup ? "warm-up" : "trial", t->warmup ? t->index + 1 : t->index - c->warmup + 1,
		 t->warmup ? c->warmup : c->repeat, cur, med, els, etas);
	live_draw(pg, line);
}

static void live_floors(struct progress *pg)
{
	char line[256];
	const char *phase = pg->fl && pg->fl->phase ? pg->fl->phase : "";
	char steps[32] = "";
	if (phase[0] && pg->fl->phase_steps > 0)
		snprintf(steps, sizeof steps, " %d/%d", pg->fl->phase_done + 1, pg->fl->phase_steps);
	snprintf(line, sizeof line, "measuring the floors%s%s%s  %.1f s", phase[0] ? ": " : "",
		 phase, steps, clock_now() - pg->floors_t0);
	live_draw(pg, line);
}

void progress_tick(void *arg)
{
	struct progress *pg = arg;
	if (pg->mode != PROGRESS_LIVE)
		return;
	if (pg->floors_t0 > 0)
		live_floors(pg);
	else if (pg->k >= 0)
		live_trial(pg);
}

void progress_floors_begin(struct progress *pg, const struct floors *fl)
{
	pg->floors_t0 = clock_now();
	pg->fl = fl;
	if (pg->mode == PROGRESS_LIVE)
		live_floors(pg);
	else if (pg->mode == PROGRESS_LOG)
		fprintf(pg->f, "concbench: measuring the floors\n");
}

void progress_floors_end(struct progress *pg)
{
	double took = clock_now() - pg->floors_t0;
	pg->floors_t0 = 0;
	if (pg->mode == PROGRESS_LIVE)
		live_clear(pg);
	else if (pg->mode == PROGRESS_LOG)
		fprintf(pg->f, "concbench: floors measured in %.1f s; %d cells, %d trials\n", took,
			pg->p->ncells, pg->p->norder);
	pg->t0 = pg->last_log = clock_now();
}

void progress_trial_begin(struct progress *pg, int k, const struct trial_row *rows, int nrows)
{
	pg->k = k;
	pg->rows = rows;
	pg->nrows = nrows;
	pg->trial_t0 = clock_now();
	if (pg->mode == PROGRESS_LIVE)
		live_trial(pg);
}

/* "[2/6] sleep ms=300 threads n=4 W=0: median 302 ms, ok:3 (…elapsed, ETA …)" and, for
 * a failed cell, its failed tasks by reason and the first failure's words. */
static void log_cell(struct progress *pg, int cell)
{
	const struct plan *p = pg->p;
	struct summary s;
	char name[256], med[24], reasons[128], els[24], etas[24];
	summary_so_far(&s, p, pg->rows, pg->nrows, cell);
	report_cell_name(p, cell, name, sizeof name);
	report_duration(med, sizeof med, s.wall.median);
	summary_fail_reasons(&s, reasons, sizeof reasons);
	double el = clock_now() - pg->t0;
	span_text(els, sizeof els, el);
	span_text(etas, sizeof etas,
		  progress_eta(p, pg->cell_trials, pg->cell_time, el, 0, -1));
	fprintf(pg->f, "concbench: [%d/%d] %s: median %s, %s%s%s%s%s (%s elapsed, ETA %s)\n",
		pg->cells_done, p->ncells, name, med, s.outcomes, reasons[0] ? "; failed tasks: " : "",
		reasons, s.note[0] ? "; first: " : "", s.note, els, etas);
	pg->last_log = clock_now();
}

void progress_trial_end(struct progress *pg, const struct trial_row *rows, int nrows)
{
	if (pg->mode == PROGRESS_OFF || pg->k < 0)
		return;
	const struct trial_row *r = &rows[nrows - 1];
	const struct cell *c = &pg->p->cells[r->cell];
	pg->rows = rows;
	pg->nrows = nrows;
	pg->cell_trials[r->cell]++;
	pg->cell_time[r->cell] += isfinite(r->trial_s) ? r->trial_s : 0;
	bool cell_done = pg->cell_trials[r->cell] == c->warmup + c->repeat;
	if (cell_done)
		pg->cells_done++;
	pg->k = -1;
	if (pg->mode != PROGRESS_LOG)
		return;
	if (cell_done) {
		log_cell(pg, r->cell);
	} else if (clock_now() - pg->last_log >= PROGRESS_LOG_EVERY_S) {
		char els[24], etas[24];
		double el = clock_now() - pg->t0;
		span_text(els, sizeof els, el);
		span_text(etas, sizeof etas,
			  progress_eta(pg->p, pg->cell_trials, pg->cell_time, el, 0, -1));
		fprintf(pg->f, "concbench: %d/%d trials, %d/%d cells done (%s elapsed, ETA %s)\n",
			trials_done(pg), pg->p->norder, pg->cells_done, pg->p->ncells, els, etas);
		pg->last_log = clock_now();
	}
}
