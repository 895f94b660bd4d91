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
#include "fileset.h"
#include "floors.h"
#include "heap.h"
#include "plan.h"
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

/* The files as one set, or with -o - the trials onto what goes to stdout; *wrote says
 * which files, for a line after the table. */
static int write_results(const struct cli *c, const struct csv_results *res, FILE *out,
			 char *wrote, size_t len, struct cb_err *err)
{
	struct csv_paths cp;
	int rc = csv_paths_for(&cp, c->output, err);
	if (rc)
		return rc;
	if (cp.to_stdout) {
		csv_print_trials(out, res);
		return CB_OK;
	}
	if ((rc = csv_write_set(&cp, res, err)))
		return rc;
	snprintf(wrote, len, "wrote %s, %s, %s, %s", cp.trials, cp.summary, cp.meta, cp.json);
	return CB_OK;
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
	/* With -o -, stdout carries the trials CSV alone and the table goes to stderr. */
	FILE *human = c->output && strcmp(c->output, "-") == 0 ? stderr : out.f;
	struct cb_err err = {0};
	struct floors fl = {0};
	struct trial_row *rows = NULL;
	struct summary *sums = NULL;
	bool interrupted = false;
	int nrows = 0, status = EXIT_SOME_FAILED;
	char wrote[4 * 4096 + 64] = "";
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
	if (c->output && write_results(c, &res, out.f, wrote, sizeof wrote, &err))
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

/* Options that choose how the whole run goes, not which cells it has: a preset holding
 * one would be ignored, or would decide for every other preset. */
static const char *run_wide_option(const struct cli *own)
{
	return own->npresets ? "--preset" : own->output ? "-o/--output" : own->heap != HEAP_SMALL ? "--heap"
	       : own->order != ORDER_INTERLEAVED ? "--order" : own->quiet ? "-q/--quiet"
	       : own->color != COLOR_AUTO ? "--color" : own->wide ? "--wide"
	       : own->floors ? "--floors" : own->no_floors ? "--no-floors" : own->list ? "--list"
	       : own->help ? "-h/--help" : own->version ? "--version" : NULL;
}

static int preset_fail(struct cb_err *err, const struct preset *ps, int sweep, bool with_user,
		       const char *msg)
{
	char copy[sizeof err->msg];
	cb_copy(copy, msg, sizeof copy);
	return cb_fail(err, CB_EINVAL, "%s:%d: preset %s%s: %s", ps->file, ps->sweep[sweep].line,
		       ps->name, with_user ? " (with the command line's options)" : "", copy);
}

/* The user's own words, less --preset, go after a preset's so they add or override.
 * The preset's words are parsed alone first, so an error in them names their line. */
static int preset_cli(struct cli *sub, const struct preset *ps, int sweep, int argc,
		      char **argv, struct cb_err *err)
{
	size_t len = strlen(ps->sweep[sweep].args) + 1;
	char *buf = malloc(len), *words[PRESET_ARGS_MAX];
	char **args = calloc((size_t)argc + PRESET_ARGS_MAX + 2, sizeof *args);
	int nw, n = 0, rc = CB_OK;
	*sub = (struct cli){0};
	if (!buf || !args) {
		rc = cb_fail_errno(err, CB_ESYS, "presets");
		goto out;
	}
	if ((rc = preset_words(ps, sweep, words, PRESET_ARGS_MAX, &nw, buf, len, err)))
		goto out;
	args[n++] = argv[0];
	for (int i = 0; i < nw; i++)
		args[n++] = words[i];
	args[n] = NULL;
	struct cli own;
	rc = cli_parse(&own, n, args, err);
	const char *wide = rc ? NULL : run_wide_option(&own);
	cli_free(&own);
	if (rc || wide) {
		char why[200];
		if (wide)
			snprintf(why, sizeof why, "%s is an option of the whole run, not of a preset "
				 "(allowed in args: -w, -r, -n, -j, -p, --repeat, --warmup, --timeout, "
				 "--scale)", wide);
		rc = preset_fail(err, ps, sweep, false, wide ? why : err->msg);
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--preset") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--preset=", 9) != 0)
			args[n++] = argv[i];
	}
	args[n] = NULL;
	if ((rc = cli_parse(sub, n, args, err)))
		rc = preset_fail(err, ps, sweep, true, err->msg);
out:
	free(buf);
	free(args);
	return rc;
}

/* user: the command line's own options; an error a preset's words meet with them
 * says so, since the preset alone may be fine. */
static int add_preset(struct plan *p, const struct preset *ps, const struct cli *user,
		      int argc, char **argv, struct cb_err *err)
{
	int rc = CB_OK;
	for (int i = 0; rc == CB_OK && i < ps->nsweeps; i++) {
		struct cli sub;
		rc = preset_cli(&sub, ps, i, argc, argv, err);
		if (rc == CB_OK && (rc = plan_add(p, &sub, ps->name, err)) == CB_EINVAL)
			preset_fail(err, ps, i, cli_shapes_cells(user), err->msg);
		cli_free(&sub);
	}
	return rc;
}

static int build_plan(struct plan *p, struct preset_list *pl, const struct cli *c, int argc,
		      char **argv, struct cb_err *err)
{
	int rc;
	if (c->npresets == 0) {
		if ((rc = plan_add(p, c, NULL, err)))
			return rc;
		return plan_order(p, c->order, err);
	}
	if ((rc = preset_load_dir(pl, preset_dir(), err)))
		return rc;
	for (int i = 0; i < c->npresets; i++) {
		bool all = strcmp(c->presets[i], "all") == 0;
		const struct preset *ps = all ? NULL : preset_find(pl, c->presets[i]);
		if (!all && !ps) {
			char names[2048] = "all";
			size_t off = 3;
			for (int k = 0; k < pl->n && off < sizeof names; k++)
				off += (size_t)snprintf(names + off, sizeof names - off, ", %s",
							pl->v[k].name);
			return cb_fail(err, CB_EINVAL, "unknown preset '%s' (allowed: %s)",
				       c->presets[i], names);
		}
		for (int k = 0; k < pl->n; k++) {
			bool take = all ? pl->v[k].in_all : ps == &pl->v[k];
			if (take && (rc = add_preset(p, &pl->v[k], c, argc, argv, err)))
				return rc;
		}
	}
	return plan_order(p, c->order, err);
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
	if (build_plan(&p, &pl, &c, argc, argv, &err))
		goto fail;
	struct csv_paths cp;
	if (c.output && (csv_paths_for(&cp, c.output, &err) || csv_check_writable(&cp, &err)))
		goto fail;
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
