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
#include "filter.h"
#include "floors.h"
#include "heap.h"
#include "plan.h"
#include "preset.h"
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
static int run_trials(const struct plan *p, const struct cli *c, struct floors *fl,
		      struct trial_row *rows, bool *interrupted)
{
	bool progress = !c->quiet && isatty(STDERR_FILENO);
	double t0 = clock_now();
	int n = 0;
	for (int k = 0; k < p->norder && !trial_stop_requested(); k++) {
		const struct plan_trial *t = &p->order[k];
		if (progress)
			report_progress(stderr, p, t, k, clock_now() - t0);
		struct trial_row *r = &rows[n];
		*r = (struct trial_row){.cell = t->cell, .index = t->index, .warmup = t->warmup};
		struct cb_err err = {0};
		if (!floor_beside(fl, p, t, true))
			break;
		int rc = trialcell_run(&p->cells[t->cell], p->cells[t->cell].timeout_s, r, &err);
		if (rc == CB_EINTR)
			break;
		if (rc) { /* the trial child itself could not be made: a failed trial */
			snprintf(r->outcome, sizeof r->outcome, "error");
			cb_copy(r->note, err.msg, sizeof r->note);
			r->tasks_failed = p->cells[t->cell].tasks;
		}
		n++;
		if (!floor_beside(fl, p, t, false))
			break;
	}
	if (progress)
		report_progress_clear(stderr);
	*interrupted = trial_stop_requested();
	return n;
}

/* The three files as one set, or with -o - the trials onto what goes to stdout. */
static int write_results(const struct cli *c, const struct csv_results *res, FILE *out,
			 struct cb_err *err)
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
	if (!c->quiet)
		fprintf(stderr, "wrote %s, %s, %s, %s\n", cp.trials, cp.summary, cp.meta, cp.json);
	return CB_OK;
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

static int run(const struct cli *c, struct plan *p, const struct sysinfo *si)
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
	if (c->no_floors && !c->floors)
		floors_none(&fl);
	else if (floors_measure(&fl, p, c->timeout_s, &err)) {
		interrupted = err.code == CB_EINTR;
		goto out;
	}
	if (c->floors) {
		if (floors_measure_all(&fl, p, c->timeout_s, &err)) {
			interrupted = err.code == CB_EINTR;
			goto out;
		}
		ignore_output_signals();
		report_floors(human, &fl);
		report_capacity_short(stderr, &fl);
		status = EXIT_ALL_OK;
		goto out;
	}
	nrows = run_trials(p, c, &fl, rows, &interrupted);
	floors_settle(&fl);
	if (!interrupted && isfinite(fl.parallel_cores) && floors_capacity(&fl, c->timeout_s, &err)) {
		interrupted = err.code == CB_EINTR;
		err = (struct cb_err){0}; /* the figure from before the trials stands */
	}
	ignore_output_signals();
	double capacity = isfinite(fl.parallel_cores) ? fl.parallel_cores : sysinfo_cores();
	summary_compute(sums, p, rows, nrows, &fl, capacity);
	status = EXIT_ALL_OK;
	for (int i = 0; i < p->ncells; i++)
		if (sums[i].flags & FLAG_FAILED)
			status = EXIT_SOME_FAILED;
	/* The files first: whatever becomes of the terminal, the results are kept. */
	struct csv_results res = {p, rows, nrows, sums, p->ncells, si, &fl};
	if (c->output && write_results(c, &res, out.f, &err))
		status = EXIT_SOME_FAILED;
	report_table(human, sums, p->ncells);
	report_floors(human, &fl);
	report_capacity_short(stderr, &fl);
out:
	finish_workloads(p);
	if (err.code && err.code != CB_EINTR)
		fprintf(stderr, "concbench: %s\n", err.msg);
	if (interrupted) {
		fprintf(stderr, "concbench: interrupted (%s) after %d trials\n",
			strsignal(stop_signal ? stop_signal : SIGINT), nrows);
		status = 128 + (stop_signal ? stop_signal : SIGINT);
	}
	if (!out_flush(&out) && status == EXIT_ALL_OK)
		status = EXIT_SOME_FAILED;
	floors_free(&fl);
	free(rows);
	free(sums);
	return status;
}

/* Options that choose how the whole run goes, not which cells it has: a preset holding
 * one would be ignored, or would decide for every other preset. */
static const char *run_wide_option(const struct cli *own)
{
	return own->npresets ? "--preset" : own->nfilters ? "--filter" : own->dry_run ? "--dry-run"
	       : own->add ? "--add" : own->output ? "-o/--output" : own->heap != HEAP_SMALL ? "--heap"
	       : own->order != ORDER_INTERLEAVED ? "--order" : own->quiet ? "-q/--quiet"
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

/* The command line, as the presets it names take it. */
struct preset_user {
	const struct cli *c;
	const char *argv0;
	bool used[CLI_LIST_MAX]; /* the -p that some sweep ran */
};

static bool named_in(char *const *names, int n, const char *m)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], m) == 0)
			return true;
	return false;
}

/* Whether a preset's sweep (with the user's --add lists) runs module m: its -w and -r,
 * or the registries' defaults when it names none. */
static bool sweep_runs(const struct cli *sub, const struct cli *user, const char *m)
{
	const struct workload *wl = workload_find(m);
	const struct runner *rn = runner_find(m);
	if (named_in(sub->workloads, sub->nworkloads, m) ||
	    named_in(sub->runners, sub->nrunners, m))
		return true;
	if (user->add && (named_in(user->workloads, user->nworkloads, m) ||
			  named_in(user->runners, user->nrunners, m)))
		return true;
	return (wl && wl->in_default && sub->nworkloads == 0 && !(user->add && user->nworkloads)) ||
	       (rn && rn->in_default && sub->nrunners == 0 && !(user->add && user->nrunners));
}

/* A preset's words, parsed alone first so an error in them names their line, then the
 * user's options merged in (cli_merge: they replace the preset's, or add with --add);
 * a -p goes to the sweeps that run its module, so one -p fits a preset of several. */
static int preset_cli(struct cli *sub, const struct preset *ps, int sweep,
		      struct preset_user *pu, struct cb_err *err)
{
	size_t len = strlen(ps->sweep[sweep].args) + 1;
	char *buf = malloc(len), *words[PRESET_ARGS_MAX + 2];
	int nw, rc = CB_OK;
	*sub = (struct cli){0};
	if (!buf) {
		rc = cb_fail_errno(err, CB_ESYS, "presets");
		goto out;
	}
	if ((rc = preset_words(ps, sweep, words + 1, PRESET_ARGS_MAX, &nw, buf, len, err)))
		goto out;
	words[0] = (char *)pu->argv0;
	words[nw + 1] = NULL;
	rc = cli_parse(sub, nw + 1, words, err);
	const char *wide = rc ? NULL : run_wide_option(sub);
	if (rc || wide) {
		char why[200];
		if (wide)
			snprintf(why, sizeof why, "%s is an option of the whole run, not of a preset "
				 "(allowed in args: -w, -r, -n, -j, -p, --repeat, --warmup, --timeout, "
				 "--scale)", wide);
		rc = preset_fail(err, ps, sweep, false, wide ? why : err->msg);
		goto out;
	}
	struct cli mine = *pu->c; /* a shallow copy: cli_merge only reads it */
	mine.nparams = 0;
	for (int i = 0; i < pu->c->nparams; i++)
		if (sweep_runs(sub, pu->c, pu->c->params[i].module)) {
			mine.params[mine.nparams++] = pu->c->params[i];
			pu->used[i] = true;
		}
	if ((rc = cli_merge(sub, &mine, err)))
		rc = preset_fail(err, ps, sweep, true, err->msg);
out:
	free(buf);
	return rc;
}

/* user: the command line's own options; an error a preset's words meet with them
 * says so, since the preset alone may be fine. */
static int add_preset(struct plan *p, const struct preset *ps, struct preset_user *pu,
		      struct cb_err *err)
{
	int rc = CB_OK;
	for (int i = 0; rc == CB_OK && i < ps->nsweeps; i++) {
		struct cli sub;
		rc = preset_cli(&sub, ps, i, pu, err);
		if (rc == CB_OK && (rc = plan_add(p, &sub, ps->name, err)) == CB_EINVAL)
			preset_fail(err, ps, i, cli_shapes_cells(pu->c), err->msg);
		cli_free(&sub);
	}
	return rc;
}

/* Appends "key=v1,v2" of a list the user gave, as a clause that narrows the presets. */
static int narrow(struct filter *f, const char *key, char *const *names, const int64_t *nums,
		  int n, struct cb_err *err)
{
	if (n == 0)
		return CB_OK;
	char expr[CLI_LIST_MAX * 24 + 32];
	size_t off = (size_t)snprintf(expr, sizeof expr, "%s=", key);
	for (int i = 0; i < n && off < sizeof expr; i++)
		off += names ? (size_t)snprintf(expr + off, sizeof expr - off, "%s%s", i ? "," : "",
						names[i])
			     : (size_t)snprintf(expr + off, sizeof expr - off, "%s%lld", i ? "," : "",
						(long long)nums[i]);
	if (filter_parse(f, expr, err) == CB_OK)
		return CB_OK;
	/* The user wrote -r, not a filter: say what is wrong without the clause. */
	const char *why = strstr(err->msg, "': ");
	char copy[sizeof err->msg];
	cb_copy(copy, why ? why + 3 : err->msg, sizeof copy);
	return cb_fail(err, CB_EINVAL, "%s", copy);
}

/* --filter's clauses, and without --add the -w/-r/-n/-j that narrow the presets. */
static int build_filter(struct filter *f, const struct cli *c, struct cb_err *err)
{
	int rc;
	for (int i = 0; i < c->nfilters; i++)
		if ((rc = filter_parse(f, c->filters[i], err)))
			return rc;
	if (c->npresets == 0 || c->add)
		return CB_OK;
	if ((rc = narrow(f, "workload", c->workloads, NULL, c->nworkloads, err)) ||
	    (rc = narrow(f, "runner", c->runners, NULL, c->nrunners, err)) ||
	    (rc = narrow(f, "tasks", NULL, c->tasks, c->ntasks, err)) ||
	    (rc = narrow(f, "workers", NULL, c->workers, c->nworkers, err)))
		return rc;
	return CB_OK;
}

static int add_presets(struct plan *p, struct preset_list *pl, const struct cli *c,
		       const char *argv0, struct cb_err *err)
{
	struct preset_user pu = {.c = c, .argv0 = argv0};
	int rc;
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
			if (take && (rc = add_preset(p, &pl->v[k], &pu, err)))
				return rc;
		}
	}
	for (int i = 0; i < c->nparams; i++) {
		const struct cli_param *cp = &c->params[i];
		if (pu.used[i] || !filter_name(p->filter, FILTER_WORKLOAD, cp->module) ||
		    !filter_name(p->filter, FILTER_RUNNER, cp->module))
			continue;
		if (!workload_find(cp->module) && !runner_find(cp->module))
			return cb_fail(err, CB_EINVAL, "-p %s.%s: no workload or runner is named '%s' "
				       "(see --list)", cp->module, cp->key, cp->module);
		return cb_fail(err, CB_EINVAL, "-p %s.%s: no preset named runs %s (allowed: a "
			       "parameter of the presets' workloads and runners; --add -w or -r adds "
			       "one)", cp->module, cp->key, cp->module);
	}
	return CB_OK;
}

static int build_plan(struct plan *p, struct preset_list *pl, const struct cli *c,
		      const char *argv0, struct cb_err *err)
{
	struct filter f = {0};
	int rc;
	if (c->add && c->npresets == 0) {
		rc = cb_fail(err, CB_EINVAL, "--add goes with --preset (it adds -w, -r, -n, -j and "
			     "-p to a preset's cells; without one they make the cells)");
		goto out;
	}
	if ((rc = build_filter(&f, c, err)))
		goto out;
	p->filter = f.n ? &f : NULL;
	rc = c->npresets ? add_presets(p, pl, c, argv0, err) : plan_add(p, c, NULL, err);
	p->filter = NULL;
	if (rc == CB_OK && p->ncells == 0) {
		bool narrowed = f.n > 0 && c->npresets && !c->add &&
				(c->nworkloads || c->nrunners || c->ntasks || c->nworkers);
		rc = cb_fail(err, CB_EINVAL, "no cell to run: %s%s%s rule%s out every cell (allowed: "
			     "values the plan has, which --dry-run without them lists%s)",
			     c->nfilters ? "--filter" : "", c->nfilters && narrowed ? " and " : "",
			     narrowed ? "-w/-r/-n/-j" : "", narrowed ? "" : "s",
			     narrowed ? "; --add adds them to a preset instead" : "");
	}
	if (rc == CB_OK)
		rc = plan_order(p, c->order, err);
out:
	filter_free(&f);
	return rc;
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
	if (build_plan(&p, &pl, &c, argv[0], &err))
		goto fail;
	struct csv_paths cp;
	if (c.output && (csv_paths_for(&cp, c.output, &err) || csv_check_writable(&cp, &err)))
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
