/* concbench: runs workloads under concurrency models and measures every trial.
 * The only place that prints errors and decides the exit status. */
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "csv.h"
#include "dryrun.h"
#include "fileset.h"
#include "floors.h"
#include "heap.h"
#include "plan.h"
#include "planbuild.h"
#include "preset.h"
#include "progress.h"
#include "report.h"
#include "summary.h"
#include "sysinfo.h"
#include "trial.h"
#include "trialcell.h"

enum { EXIT_ALL_OK = 0, EXIT_SOME_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* The first stop signal: the run exits 128 + it, as a shell reports a process it killed
 * (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
	trial_request_stop();
}

static void catch_stop_signals(void)
{
	/* No SA_RESTART: the trial's poll must wake up and kill its child. */
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int start_workloads(struct plan *p, struct cb_err *err)
{
	for (int i = 0; i < p->nwls; i++) {
		struct wl_inst *wi = p->wls[i];
		if (!wi->wl->start)
			continue;
		if (wi->wl->start(wi->cfg, err))
			return err->code ? err->code : CB_ESYS;
		wi->started = true;
	}
	return CB_OK;
}

static void finish_workloads(struct plan *p)
{
	for (int i = 0; i < p->nwls; i++)
		if (p->wls[i]->wl->finish)
			p->wls[i]->wl->finish(p->wls[i]->cfg);
}

/* A floor run beside trial t of a cell, before it on even trials and after it on odd
 * ones, so neither sits always next to the other's cold start. */
static bool floor_beside(struct floors *fl, const struct plan *p, const struct plan_trial *t,
			 bool before)
{
	const struct cell *cell = &p->cells[t->cell];
	int j = t->index - cell->warmup;
	if (t->warmup || (j % 2 == 0) != before)
		return true;
	struct cb_err err = {0};
	return floors_step(fl, cell, j, cell->timeout_s, &err) != CB_EINTR;
}

/* Runs every trial of the plan in order, the floors' runs between them; returns how
 * many rows it filled. */
static int run_trials(const struct plan *p, struct floors *fl, struct trial_row *rows,
		      struct progress *pg, bool *interrupted)
{
	int n = 0;
	for (int k = 0; k < p->norder && !trial_stop_requested(); k++) {
		const struct plan_trial *t = &p->order[k];
		struct trial_row *r = &rows[n];
		*r = (struct trial_row){.cell = t->cell, .index = t->index, .warmup = t->warmup};
		struct cb_err err = {0};
		if (!floor_beside(fl, p, t, true))
			break;
		progress_trial_begin(pg, k, rows, n);
		int rc = trialcell_run(&p->cells[t->cell], p->cells[t->cell].timeout_s, r, &err);
		if (rc == CB_EINTR)
			break;
		if (rc) { /* the trial child itself could not be made: a failed trial */
			snprintf(r->outcome, sizeof r->outcome, "error");
			cb_copy(r->note, err.msg, sizeof r->note);
			r->tasks_failed = p->cells[t->cell].tasks;
		}
		n++;
		progress_trial_end(pg, rows, n);
		if (!floor_beside(fl, p, t, false))
			break;
	}
	*interrupted = trial_stop_requested();
	return n;
}

/* The results files (-o, --json) as one set; with - for either, that one onto what
 * goes to stdout. */
static int results_paths(const struct cli *c, struct csv_paths *cp, struct cb_err *err)
{
	int rc = csv_paths_for(cp, c->output, err);
	return rc || !c->json ? rc : csv_paths_add_json(cp, c->json, err);
}

/* Writes them; *wrote says which files, for a line after the table. */
static int write_results(const struct cli *c, const struct csv_results *res, FILE *out,
			 char *wrote, size_t len, struct cb_err *err)
{
	struct csv_paths cp;
	int rc = results_paths(c, &cp, err);
	if (rc)
		return rc;
	if (cp.to_stdout)
		csv_print_trials(out, res);
	if (cp.json_to_stdout)
		csv_print_json(out, res);
	if ((rc = csv_write_set(&cp, res, err)))
		return rc;
	wrote[0] = '\0';
	int off = 0;
	if (c->output && !cp.to_stdout)
		off = snprintf(wrote, len, "wrote %s, %s, %s, %s", cp.trials, cp.summary, cp.meta,
			       cp.json);
	if (cp.json_only[0] && off >= 0 && (size_t)off < len)
		snprintf(wrote + off, len - (size_t)off, "%s%s", off ? ", " : "wrote ", cp.json_only);
	return CB_OK;
}

static bool stdout_carries_results(const struct cli *c)
{
	return (c->output && strcmp(c->output, "-") == 0) || (c->json && strcmp(c->json, "-") == 0);
}

/* Colour for the table: asked for, or on a terminal that can show it and a user who
 * has not said NO_COLOR (any value, as no-color.org asks). */
static bool table_color(enum cli_color when, FILE *human)
{
	if (when != COLOR_AUTO)
		return when == COLOR_ALWAYS;
	const char *term = getenv("TERM");
	return !getenv("NO_COLOR") && isatty(human == stderr ? STDERR_FILENO : STDOUT_FILENO) &&
	       !(term && strcmp(term, "dumb") == 0);
}

/* From here on the driver starts no child (which would inherit this): a closed pipe or a file-size limit makes a write
 * fail with EPIPE or EFBIG, an error handled where it happens, not a death that loses
 * the results or leaves temporary files behind. */
static void ignore_output_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/* What goes to stdout is made in memory and written once, after the results files,
 * with write(2), so its fate is known with its errno. */
struct out {
	FILE *f;
	char *buf;
	size_t len;
};

/* Writes it out; false when stdout failed (said on stderr). A reader that is gone
 * (EPIPE: `| head`) wanted no more: that ends the output quietly. */
static bool out_flush(struct out *o)
{
	int e = fclose(o->f) != 0 ? ENOMEM : 0;
	ignore_output_signals();
	if (!e)
		e = fileset_write_fd(STDOUT_FILENO, o->buf, o->len);
	free(o->buf);
	if (e == 0 || e == EPIPE)
		return true;
	fprintf(stderr, "concbench: cannot write to stdout: %s\n", strerror(e));
	return false;
}

static int run(const struct cli *c, struct plan *p, struct sysinfo *si)
{
	struct out out = {0};
	out.f = open_memstream(&out.buf, &out.len);
	if (!out.f) {
		fprintf(stderr, "concbench: no memory for the output\n");
		return EXIT_SOME_FAILED;
	}
	/* With -o - or --json -, stdout carries that alone and the table goes to stderr. */
	FILE *human = stdout_carries_results(c) ? stderr : out.f;
	struct cb_err err = {0};
	struct floors fl = {0};
	struct trial_row *rows = NULL;
	struct summary *sums = NULL;
	bool interrupted = false;
	int nrows = 0, status = EXIT_SOME_FAILED;
	char wrote[5 * 4096 + 64] = "";
	bool capacity_line = false; /* the floors were measured and the run went through */
	bool nothing_written = false; /* stopped before a measured trial ended */
	struct progress pg;
	if (progress_start(&pg, stderr, progress_mode_for(c->quiet), p))
		fprintf(stderr, "concbench: no memory for progress; running without it\n");
	if (pg.mode == PROGRESS_LIVE)
		trial_on_tick(progress_tick, &pg);

	/* Before anything starts: a plan too big for memory is bad input. */
	rows = calloc((size_t)p->norder + 1, sizeof *rows);
	sums = calloc((size_t)p->ncells + 1, sizeof *sums);
	if (!rows || !sums) {
		cb_fail(&err, CB_EINVAL, "the plan's %d cells make %d trials: too many rows to hold "
			"in memory (allowed: fewer cells, or a smaller --repeat)", p->ncells,
			p->norder);
		status = EXIT_BAD_INPUT;
		goto out;
	}
	if (start_workloads(p, &err))
		goto out;
	if (!c->no_floors || c->floors)
		progress_floors_begin(&pg, &fl);
	if (c->no_floors && !c->floors)
		floors_none(&fl);
	else if (floors_measure(&fl, p, c->timeout_s, &err)) {
		interrupted = nothing_written = err.code == CB_EINTR;
		goto out;
	}
	if (c->floors) {
		if (floors_measure_all(&fl, p, c->timeout_s, &err)) {
			interrupted = err.code == CB_EINTR;
			goto out;
		}
		progress_stop(&pg);
		ignore_output_signals();
		report_floors(human, &fl);
		capacity_line = true;
		status = EXIT_ALL_OK;
		goto out;
	}
	if (!c->no_floors)
		progress_floors_end(&pg);
	nrows = run_trials(p, &fl, rows, &pg, &interrupted);
	floors_settle(&fl);
	if (!interrupted && isfinite(fl.parallel_cores) && pg.mode == PROGRESS_LIVE)
		progress_floors_begin(&pg, &fl); /* the capacity pairs after the trials: a few seconds */
	if (!interrupted && isfinite(fl.parallel_cores) && floors_capacity(&fl, c->timeout_s, &err)) {
		interrupted = err.code == CB_EINTR;
		err = (struct cb_err){0}; /* the figure from before the trials stands */
	}
	progress_stop(&pg);
	ignore_output_signals();
	int measured = 0;
	for (int i = 0; i < nrows; i++)
		measured += !rows[i].warmup;
	if (interrupted && measured == 0) {
		/* Files without a measured trial over an earlier run's would lose it for nothing. */
		nothing_written = true;
		status = EXIT_SOME_FAILED;
		goto out;
	}
	sysinfo_add(si, "interrupted", "%d", interrupted ? 1 : 0);
	sysinfo_add(si, "trials_done", "%d", nrows);
	sysinfo_add(si, "trials_planned", "%d", p->norder);
	double capacity = isfinite(fl.parallel_cores) ? fl.parallel_cores : sysinfo_cores();
	summary_compute(sums, p, rows, nrows, &fl, capacity);
	status = EXIT_ALL_OK;
	for (int i = 0; i < p->ncells; i++)
		if (sums[i].flags & FLAG_FAILED)
			status = EXIT_SOME_FAILED;
	/* The files first: whatever becomes of the terminal, the results are kept. */
	struct csv_results res = {p, rows, nrows, sums, p->ncells, si, &fl};
	if ((c->output || c->json) && write_results(c, &res, out.f, wrote, sizeof wrote, &err))
		status = EXIT_SOME_FAILED;
	struct report_style style = {.wide = c->wide, .color = table_color(c->color, human)};
	report_table(human, p, sums, p->ncells, &style);
	report_floors(human, &fl);
	capacity_line = true;
out:
	progress_stop(&pg);
	trial_on_tick(NULL, NULL);
	finish_workloads(p);
	/* The table first, then what goes to stderr on lines of its own: whether stdout is
	 * a terminal or a file, a "wrote" never lands inside the table. */
	fflush(human);
	if (!out_flush(&out) && status == EXIT_ALL_OK)
		status = EXIT_SOME_FAILED;
	if (err.code && err.code != CB_EINTR)
		fprintf(stderr, "concbench: %s\n", err.msg);
	if (wrote[0] && !c->quiet)
		fprintf(stderr, "%s\n", wrote);
	if (capacity_line)
		report_capacity_short(stderr, &fl);
	if (nothing_written && c->output && strcmp(c->output, "-") != 0)
		fprintf(stderr, "concbench: no measured trial finished: nothing written; %s and "
			"the files beside it are as they were\n", c->output);
	if (interrupted) {
		fprintf(stderr, "concbench: interrupted (%s) after %d of %d trials\n",
			strsignal(stop_signal ? stop_signal : SIGINT), nrows, p->norder);
		status = 128 + (stop_signal ? stop_signal : SIGINT);
	}
	floors_free(&fl);
	free(rows);
	free(sums);
	return status;
}

/* The plan on stdout, nothing run; a reader that went away (EPIPE) wanted no more. */
static int dry_run(const struct plan *p)
{
	ignore_output_signals();
	dryrun_print(stdout, p);
	if (fflush(stdout) == 0 || errno == EPIPE)
		return EXIT_ALL_OK;
	fprintf(stderr, "concbench: cannot write to stdout: %s\n", strerror(errno));
	return EXIT_SOME_FAILED;
}

static void list_presets(FILE *f)
{
	struct preset_list pl = {0};
	struct cb_err err = {0};
	if (preset_load_dir(&pl, preset_dir(), &err) == CB_OK) {
		fprintf(f, "\npresets (--preset NAME, or all; from %s):\n", preset_dir());
		for (int i = 0; i < pl.n; i++)
			fprintf(f, "  %-22s %s\n", pl.v[i].name, pl.v[i].title ? pl.v[i].title : "");
	} else {
		fprintf(f, "\npresets: %s\n", err.msg);
	}
	preset_list_free(&pl);
}

int main(int argc, char **argv)
{
	struct preset_list pl = {0};
	struct cli c;
	struct plan p = {0};
	struct cb_err err = {0};
	static struct sysinfo si;
	int status = EXIT_BAD_INPUT;

	if (cli_parse(&c, argc, argv, &err))
		goto fail;
	if (c.help || c.version || c.list) {
		if (c.help)
			fputs(cli_usage(), stdout);
		else if (c.version)
			printf("concbench %s\n", CB_VERSION);
		else {
			report_list(stdout);
			list_presets(stdout);
		}
		cli_free(&c);
		return EXIT_ALL_OK;
	}
	if (planbuild(&p, &pl, &c, argv[0], &err))
		goto fail;
	struct csv_paths cp;
	if (results_paths(&c, &cp, &err) || csv_check_writable(&cp, &err))
		goto fail;
	if (c.dry_run) {
		if (p.skipped[0])
			fprintf(stderr, "%s\n", p.skipped);
		status = dry_run(&p);
		preset_list_free(&pl);
		plan_free(&p);
		cli_free(&c);
		return status;
	}
	/* --heap huge: the driver starts again on that heap, and that one goes on from here. */
	heap_apply(c.heap == HEAP_HUGE, argv);
	if (p.skipped[0])
		fprintf(stderr, "%s\n", p.skipped);
	/* Once, before any thread or fork, as libcurl requires. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	catch_stop_signals();
	sysinfo_collect(&si, argc, argv);
	sysinfo_add(&si, "heap", "%s", heap_state());
	status = run(&c, &p, &si);
	curl_global_cleanup();
	preset_list_free(&pl);
	plan_free(&p);
	cli_free(&c);
	return status;
fail:
	fprintf(stderr, "concbench: %s\n", err.msg);
	preset_list_free(&pl);
	plan_free(&p);
	cli_free(&c);
	return err.code == CB_EINVAL ? EXIT_BAD_INPUT : EXIT_SOME_FAILED;
}
