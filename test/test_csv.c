/* csv: field quoting, numbers in the C locale whatever LC_NUMERIC says, the three
 * file names, the check of what -o may replace, and files written whole or not at all,
 * the three of a run as one set. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "csv.h"
#include "csvdoc.h"
#include "fileset.h"
#include "scratch.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char text[32768];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* ---- fields and numbers ---- */

struct field_case {
	const char *in, *out;
};

static const struct field_case field_cases[] = {
	{"plain", "plain"},
	{"", ""},
	{"n=1;m=2", "n=1;m=2"},
	{" spaced ", " spaced "},
	{"a,b", "\"a,b\""},
	{"say \"hi\"", "\"say \"\"hi\"\"\""},
	{"\"", "\"\"\"\""},
	{"two\nlines", "\"two\nlines\""},
	{"cr\r", "\"cr\r\""},
	{"all, \"of\"\nit", "\"all, \"\"of\"\"\nit\""},
};

static void capture(char *buf, size_t len, void (*put)(FILE *, const void *), const void *arg)
{
	FILE *f = fmemopen(buf, len, "w");
	cr_assert_not_null(f);
	put(f, arg);
	fclose(f);
}

static void put_field(FILE *f, const void *arg)
{
	csv_field(f, arg);
}

static void put_number(FILE *f, const void *arg)
{
	csv_number(f, *(const double *)arg);
}

Test(csv, field_table)
{
	for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
		char buf[128] = "";
		capture(buf, sizeof buf, put_field, field_cases[i].in);
		cr_expect_str_eq(buf, field_cases[i].out, "case %zu", i);
		/* and the reader gets the text back */
		char rec[160];
		snprintf(rec, sizeof rec, "%s\n", buf);
		struct doc *d = malloc(sizeof *d);
		doc_parse(d, rec);
		cr_expect(d->ok && d->n == 1 && d->nf[0] == 1 &&
				  strcmp(d->f[0][0], field_cases[i].in) == 0,
			  "case %zu does not read back", i);
		free(d);
	}
}

struct number_case {
	double v;
	const char *out;
};

static const struct number_case number_cases[] = {
	{1.5, "1.5"},
	{0, "0"},
	{-2, "-2"},
	{0.1 + 0.2, "0.3"},
	{1e-7, "1e-07"},
	{123456789012.0, "1.23456789e+11"},
	{2.826000131e-06, "2.82600013e-06"},
	{NAN, ""},
	{INFINITY, ""},
	{-INFINITY, ""},
};

Test(csv, number_table)
{
	for (size_t i = 0; i < sizeof number_cases / sizeof number_cases[0]; i++) {
		char buf[64] = "";
		capture(buf, sizeof buf, put_number, &number_cases[i].v);
		cr_expect_str_eq(buf, number_cases[i].out, "case %zu (%g)", i, number_cases[i].v);
	}
}

/* ---- file names ---- */

struct paths_case {
	const char *output, *trials, *summary, *meta;
};

static const struct paths_case paths_cases[] = {
	{"run.csv", "run.csv", "run.summary.csv", "run.meta.csv"},
	{"run", "run", "run.summary.csv", "run.meta.csv"},
	{"results/a.csv", "results/a.csv", "results/a.summary.csv", "results/a.meta.csv"},
	{"dir.csv/run", "dir.csv/run", "dir.csv/run.summary.csv", "dir.csv/run.meta.csv"},
	{"r.csv.csv", "r.csv.csv", "r.csv.summary.csv", "r.csv.meta.csv"},
	{"x.CSV", "x.CSV", "x.CSV.summary.csv", "x.CSV.meta.csv"},
	{".csv", ".csv", ".csv.summary.csv", ".csv.meta.csv"}, /* no stem to keep */
};

Test(csv, paths_table)
{
	for (size_t i = 0; i < sizeof paths_cases / sizeof paths_cases[0]; i++) {
		const struct paths_case *t = &paths_cases[i];
		struct csv_paths cp;
		struct cb_err err = {0};
		cr_assert_eq(csv_paths_for(&cp, t->output, &err), CB_OK, "%s", err.msg);
		cr_expect_str_eq(cp.trials, t->trials, "%s", t->output);
		cr_expect_str_eq(cp.summary, t->summary, "%s", t->output);
		cr_expect_str_eq(cp.meta, t->meta, "%s", t->output);
	}
}

Test(csv, paths_too_long)
{
	char *longp = malloc(5000);
	memset(longp, 'a', 4999);
	longp[4999] = '\0';
	struct csv_paths cp;
	struct cb_err err = {0};
	cr_expect_eq(csv_paths_for(&cp, longp, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "path too long"), "%s", err.msg);
	free(longp);
}

/* ---- the check before a run ---- */

struct writable_case {
	const char *output; /* under the scratch folder */
	int rc;
	const char *want;
	bool as_user;       /* root may write anywhere: only checked for others */
};

static const struct writable_case writable_cases[] = {
	{"run.csv", CB_OK, "", false},
	{"missing/run.csv", CB_EINVAL, "missing' does not exist", false},
	{"afile/run.csv", CB_EINVAL, "afile' is not a directory", false},
	{"adir", CB_EINVAL, "adir' is a directory", false},
	{"sum.csv", CB_EINVAL, "sum.summary.csv' is a directory", false},
	{"ro/run.csv", CB_EINVAL, "ro' is not writable", true},
};

Test(csv, check_writable_table)
{
	scratch_make("csv");
	char p[256];
	scratch_path(p, sizeof p, "afile");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fclose(f);
	scratch_path(p, sizeof p, "adir");
	cr_assert_eq(mkdir(p, 0755), 0);
	scratch_path(p, sizeof p, "sum.summary.csv");
	cr_assert_eq(mkdir(p, 0755), 0);
	scratch_path(p, sizeof p, "ro");
	cr_assert_eq(mkdir(p, 0555), 0);
	for (size_t i = 0; i < sizeof writable_cases / sizeof writable_cases[0]; i++) {
		const struct writable_case *t = &writable_cases[i];
		if (t->as_user && geteuid() == 0)
			continue;
		struct csv_paths cp;
		struct cb_err err = {0};
		scratch_path(p, sizeof p, t->output);
		cr_assert_eq(csv_paths_for(&cp, p, &err), CB_OK);
		int rc = csv_check_writable(&cp, &err);
		cr_expect_eq(rc, t->rc, "%s: rc %d (%s)", t->output, rc, err.msg);
		if (t->rc)
			cr_expect(strstr(err.msg, t->want), "%s: '%s' lacks '%s'", t->output, err.msg,
				  t->want);
	}
	scratch_remove();
}

/* ---- whole files ---- */

/* One cell of sleep under serial, with awkward strings in every text column. */
struct fixture {
	struct wl_inst wi;
	struct rn_inst ri;
	struct cell cell;
	struct plan plan;
	struct trial_row rows[3];
	struct summary sum;
	struct sysinfo si;
	struct floor_entry fe[2];
	struct floors fl;
};

static void fixture_init(struct fixture *x)
{
	memset(x, 0, sizeof *x);
	x->wi.wl = workload_find("sleep");
	cr_assert_not_null(x->wi.wl);
	x->wi.params_str = (char *)"ms=1,5;label=\"q\"";
	x->ri.params_str = (char *)"";
	x->ri.rn = runner_find("serial");
	cr_assert_not_null(x->ri.rn);
	x->cell = (struct cell){.wi = &x->wi, .ri = &x->ri, .tasks = 3, .workers = 1,
				.repeat = 2, .warmup = 1};
	snprintf(x->cell.preset, sizeof x->cell.preset, "p,1");
	x->plan = (struct plan){.cells = &x->cell, .ncells = 1};
	for (int i = 0; i < 3; i++) {
		struct trial_row *r = &x->rows[i];
		*r = (struct trial_row){.cell = 0, .index = i, .warmup = i == 0, .wall_s = 0.5 + i,
					.trial_s = 1.25, .user_s = 0.001, .maxrss_kib = 2048,
					.tasks_ok = 3, .task_p50_s = 0.5, .task_max_s = 0.75};
		snprintf(r->outcome, sizeof r->outcome, "ok");
	}
	x->rows[2].wall_s = NAN;
	x->rows[2].tasks_ok = 1;
	x->rows[2].tasks_failed = 2;
	x->rows[2].fail[FAIL_DIED] = 2;
	snprintf(x->rows[2].outcome, sizeof x->rows[2].outcome, "crashed");
	snprintf(x->rows[2].note, sizeof x->rows[2].note, "killed, by \"signal\" 9\nsecond line");
	x->sum = (struct summary){.cell = &x->cell, .trials = 2, .trials_ok = 1,
				  .tasks_failed = 2, .speedup = 1, .ideal_s = NAN, .flags = 4};
	stats_summarise((const double[]){1.5}, 1, &x->sum.wall);
	snprintf(x->sum.outcomes, sizeof x->sum.outcomes, "ok:1;crashed:1");
	sysinfo_add(&x->si, "cpu", "Model, with a comma");
	sysinfo_add(&x->si, "cores", "%d", 2);
	x->fe[0] = (struct floor_entry){.wi = &x->wi, .ri = &x->ri, .tasks = 3, .workers = 1,
					.seconds = 0.25};
	x->fe[1] = (struct floor_entry){.wi = &x->wi, .ri = &x->ri, .tasks = 9, .workers = 1,
					.seconds = NAN};
	x->fl = (struct floors){.fork_wait_s = 0.001, .page_touch_s = 1.5e-5, .base_rss_kib = 2260,
				.countdown_ns = 0.28, .core_ghz = 3.5, .e = x->fe, .n = 2};
}

/* The documented trial columns, in order (results/README.md); metrics follow, then note. */
static const char *const trial_columns[] = {
	"run_id", "host_id", "workload", "params", "runner", "runner_params", "tasks", "workers",
	"preset", "trial",
	"wall_s", "user_s", "sys_s", "maxrss_kib", "minflt", "vcsw", "ivcsw", "tasks_ok",
	"tasks_failed", "warmup", "outcome", "trial_s", "majflt", "task_p50_s", "task_max_s",
	"fail_check", "fail_spawn", "fail_died", "fail_connect", "fail_timeout", "fail_status",
	"fail_body", "fail_fetch", "fail_blocked", "cpu_s", "cores_used",
};

Test(csv, trials_file)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	char path[256];
	scratch_path(path, sizeof path, "run.csv");
	struct cb_err err = {0};
	cr_assert_eq(csv_write_trials(path, &x->plan, x->rows, 3, &err), CB_OK, "%s", err.msg);
	struct doc *d = malloc(sizeof *d);
	doc_parse(d, slurp(path));
	cr_assert(d->ok, "not well-formed CSV");
	cr_assert_eq(d->n, 4, "a header and a row per trial");
	size_t ncols = sizeof trial_columns / sizeof trial_columns[0];
	for (size_t k = 0; k < ncols; k++)
		cr_expect_str_eq(d->f[0][k], trial_columns[k], "column %zu", k);
	cr_expect_str_eq(d->f[0][d->nf[0] - 1], "note");
	for (int r = 1; r < d->n; r++)
		cr_expect_eq(d->nf[r], d->nf[0], "row %d has %d fields of %d", r, d->nf[r], d->nf[0]);
	cr_expect_str_eq(d->f[1][doc_col(d, "params")], "ms=1,5;label=\"q\"");
	cr_expect_str_eq(d->f[1][doc_col(d, "preset")], "p,1");
	cr_expect_str_eq(d->f[1][doc_col(d, "warmup")], "1");
	cr_expect_str_eq(d->f[2][doc_col(d, "warmup")], "0");
	cr_expect_str_eq(d->f[2][doc_col(d, "wall_s")], "1.5");
	cr_expect_str_eq(d->f[3][doc_col(d, "wall_s")], "", "NAN is an empty field");
	cr_expect_str_eq(d->f[3][doc_col(d, "outcome")], "crashed");
	cr_expect_str_eq(d->f[3][doc_col(d, "fail_died")], "2");
	cr_expect_str_eq(d->f[3][doc_col(d, "note")], "killed, by \"signal\" 9\nsecond line");
	cr_expect(!strcasestr(slurp(path), "nan"), "a NAN was written as text");
	char names[512];
	bool tmp_left;
	scratch_list(names, sizeof names, &tmp_left);
	cr_expect_str_eq(names, "run.csv");
	free(d);
	free(x);
	scratch_remove();
}

static const char *const summary_columns[] = {
	"run_id", "host_id", "workload", "params", "runner", "runner_params", "tasks", "workers",
	"preset", "trials",
	"trials_ok", "tasks_failed", "mean_s", "median_s", "stddev_s", "min_s", "max_s",
	"ci95_lo_s", "ci95_hi_s", "cv", "speedup", "speedup_lo", "speedup_hi", "ideal_s", "overhead_s",
	"overhead_per_task_s", "floor_s", "overhead_vs_floor", "maxrss_kib", "rss_per_task_b",
	"minflt", "minflt_per_task", "user_s", "sys_s", "vcsw", "ivcsw", "trial_s",
	"task_p50_s", "task_max_s", "baseline", "cores_used", "outcomes", "median_lo_s",
	"median_hi_s", "trials_planned", "note", "flags",
};

Test(csv, summary_file)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	char path[256];
	scratch_path(path, sizeof path, "run.summary.csv");
	struct cb_err err = {0};
	cr_assert_eq(csv_write_summary(path, &x->sum, 1, &err), CB_OK, "%s", err.msg);
	struct doc *d = malloc(sizeof *d);
	doc_parse(d, slurp(path));
	cr_assert(d->ok && d->n == 2, "a header and a row per cell");
	for (size_t k = 0; k < sizeof summary_columns / sizeof summary_columns[0]; k++)
		cr_expect_str_eq(d->f[0][k], summary_columns[k], "column %zu", k);
	cr_expect_eq(d->nf[1], d->nf[0]);
	cr_expect_str_eq(d->f[1][doc_col(d, "median_s")], "1.5");
	cr_expect_str_eq(d->f[1][doc_col(d, "stddev_s")], "", "NAN with one trial");
	cr_expect_str_eq(d->f[1][doc_col(d, "ideal_s")], "");
	cr_expect_str_eq(d->f[1][doc_col(d, "outcomes")], "ok:1;crashed:1");
	cr_expect_str_eq(d->f[1][doc_col(d, "flags")], "failed");
	cr_expect(!strcasestr(slurp(path), "nan"), "a NAN was written as text");
	free(d);
	free(x);
	scratch_remove();
}

Test(csv, meta_file)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	char path[256];
	scratch_path(path, sizeof path, "run.meta.csv");
	struct cb_err err = {0};
	cr_assert_eq(csv_write_meta(path, &x->si, &x->fl, &err), CB_OK, "%s", err.msg);
	struct doc *d = malloc(sizeof *d);
	doc_parse(d, slurp(path));
	cr_assert(d->ok);
	cr_expect(strcmp(d->f[0][0], "key") == 0 && strcmp(d->f[0][1], "value") == 0);
	static const char *const want[][2] = {
		{"cpu", "Model, with a comma"},
		{"cores", "2"},
		{"floor_fork_wait_s", "0.001"},
		{"floor_page_touch_s", "1.5e-05"},
		{"base_rss_kib", "2260"},
		{"floor_s:serial:tasks=3:workers=1:sleep:ms=1,5;label=\"q\"", "0.25"},
		{"floor_s:serial:tasks=9:workers=1:sleep:ms=1,5;label=\"q\"", ""},
	};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		bool found = false;
		for (int r = 1; r < d->n; r++)
			if (d->nf[r] == 2 && strcmp(d->f[r][0], want[k][0]) == 0) {
				found = true;
				cr_expect_str_eq(d->f[r][1], want[k][1], "%s", want[k][0]);
			}
		cr_expect(found, "no row %s", want[k][0]);
	}
	cr_expect(!strcasestr(slurp(path), "nan") && !strcasestr(slurp(path), "inf"));
	free(d);
	free(x);
	scratch_remove();
}

/* --no-floors: every floor figure is unknown, an empty field, never "nan". */
Test(csv, meta_without_floors)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	floors_none(&x->fl);
	scratch_make("csv");
	char path[256];
	scratch_path(path, sizeof path, "run.meta.csv");
	struct cb_err err = {0};
	cr_assert_eq(csv_write_meta(path, &x->si, &x->fl, &err), CB_OK, "%s", err.msg);
	const char *text = slurp(path);
	cr_expect(strstr(text, "\nfloor_fork_wait_s,\n"), "%s", text);
	cr_expect(strstr(text, "\nbase_rss_kib,\n"), "%s", text);
	cr_expect(strstr(text, "\ncore_ghz_est,\n"), "%s", text);
	cr_expect(!strcasestr(text, "nan") && !strcasestr(text, "inf"), "%s", text);
	free(x);
	scratch_remove();
}

/* A comma as the decimal point in the caller's locale never reaches the file. */
Test(csv, c_locale_whatever_lc_numeric)
{
	locale_t de = newlocale(LC_NUMERIC_MASK, "de_DE.UTF-8", (locale_t)0);
	if (!de)
		cr_skip_test("locale de_DE.UTF-8 is not installed");
	locale_t old = uselocale(de);
	char probe[16];
	snprintf(probe, sizeof probe, "%.1f", 1.5);
	if (strcmp(probe, "1,5") != 0) {
		uselocale(old);
		freelocale(de);
		cr_skip_test("de_DE.UTF-8 does not use a decimal comma here");
	}
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	char tpath[256], spath[256], mpath[256];
	scratch_path(tpath, sizeof tpath, "run.csv");
	scratch_path(spath, sizeof spath, "run.summary.csv");
	scratch_path(mpath, sizeof mpath, "run.meta.csv");
	struct cb_err err = {0};
	int rc = csv_write_trials(tpath, &x->plan, x->rows, 3, &err) ||
		 csv_write_summary(spath, &x->sum, 1, &err) ||
		 csv_write_meta(mpath, &x->si, &x->fl, &err);
	snprintf(probe, sizeof probe, "%.1f", 1.5);
	uselocale(old);
	freelocale(de);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(probe, "1,5", "the writer restores the caller's locale");

	struct doc *d = malloc(sizeof *d);
	doc_parse(d, slurp(tpath));
	cr_assert(d->ok && d->n == 4);
	cr_expect_eq(d->nf[2], d->nf[0], "a comma inside a number would add a field");
	cr_expect_str_eq(d->f[2][doc_col(d, "wall_s")], "1.5");
	cr_expect_str_eq(d->f[2][doc_col(d, "trial_s")], "1.25");
	doc_parse(d, slurp(spath));
	cr_assert(d->ok && d->n == 2);
	cr_expect_str_eq(d->f[1][doc_col(d, "mean_s")], "1.5");
	cr_expect(strstr(slurp(mpath), "floor_s:serial:tasks=3:workers=1:sleep:"));
	cr_expect(strstr(slurp(mpath), "floor_page_touch_s,1.5e-05\n"));
	free(d);
	free(x);
	scratch_remove();
}

/* An old file is replaced whole; a target that cannot take the file leaves nothing. */
Test(csv, written_whole_or_not_at_all)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	char path[256], names[512];
	bool tmp_left;
	struct cb_err err = {0};

	scratch_path(path, sizeof path, "old.csv");
	FILE *f = fopen(path, "w");
	fputs("stale contents that are longer than nothing at all\n", f);
	fclose(f);
	cr_assert_eq(csv_write_trials(path, &x->plan, x->rows, 3, &err), CB_OK, "%s", err.msg);
	cr_expect(strncmp(slurp(path), "run_id,host_id,workload,params,", 31) == 0);
	cr_expect(strstr(slurp(path), "stale") == NULL);

	scratch_path(path, sizeof path, "missing/run.csv");
	cr_expect_eq(csv_write_trials(path, &x->plan, x->rows, 3, &err), CB_ESYS);
	cr_expect(strstr(err.msg, "missing/run.csv"), "%s", err.msg);

	/* a folder where the file should go: refused after the data was written */
	scratch_path(path, sizeof path, "taken");
	cr_assert_eq(mkdir(path, 0755), 0);
	cr_expect_eq(csv_write_summary(path, &x->sum, 1, &err), CB_ESYS);
	cr_expect(strstr(err.msg, "cannot replace '") && strstr(err.msg, "taken': it is a directory"),
		  "%s", err.msg);

	scratch_list(names, sizeof names, &tmp_left);
	cr_expect_str_eq(names, "old.csv taken");
	cr_expect_not(tmp_left, "a temporary file was left behind");
	free(x);
	scratch_remove();
}

/* ---- what -o may replace ---- */

struct target_case {
	const char *name; /* made in the scratch folder as `kind` */
	const char *kind; /* fifo, chardev, symlink, dir, file (with `text`), none */
	const char *text;
	const char *output;
	int rc;
	const char *want;
};

static const struct target_case target_cases[] = {
	{"fifo", "fifo", NULL, "fifo", CB_EINVAL, "fifo' is a FIFO, not a regular file"},
	{"cdev", "chardev", NULL, "cdev", CB_EINVAL, "cdev' is a character device"},
	{"link", "symlink", NULL, "link", CB_EINVAL, "link' is a symbolic link"},
	{"l.meta.csv", "symlink", NULL, "l.csv", CB_EINVAL, "l.meta.csv' is a symbolic link"},
	{"notes", "file", "my notes\n", "notes", CB_EINVAL, "notes' is not a results file of ours"},
	{"x.meta.csv", "file", "workload,params\n", "x.csv", CB_EINVAL,
	 "x.meta.csv' is not a results file of ours (it does not begin with 'key,value')"},
	{"empty.csv", "file", "", "empty.csv", CB_OK, ""},
	{"old.csv", "file", "workload,params,runner\n", "old.csv", CB_OK, ""},
	{"old.meta.csv", "file", "key,value\ndate,x\n", "old.csv", CB_OK, ""},
	{"-", "none", NULL, "-", CB_OK, ""}, /* stdout: nothing to check */
};

Test(csv, check_refuses_what_is_not_ours)
{
	for (size_t i = 0; i < sizeof target_cases / sizeof target_cases[0]; i++) {
		const struct target_case *t = &target_cases[i];
		scratch_make("csv");
		if (!scratch_make_kind(t->name, t->kind, t->text, 0644)) {
			cr_log_warn("%s: cannot make a %s here, skipped", t->name, t->kind);
			scratch_remove();
			continue;
		}
		char p[256];
		if (strcmp(t->output, "-") == 0)
			snprintf(p, sizeof p, "-");
		else
			scratch_path(p, sizeof p, t->output);
		struct csv_paths cp;
		struct cb_err err = {0};
		cr_assert_eq(csv_paths_for(&cp, p, &err), CB_OK);
		int rc = csv_check_writable(&cp, &err);
		cr_expect_eq(rc, t->rc, "%s: rc %d (%s)", t->name, rc, err.msg);
		if (t->rc)
			cr_expect(strstr(err.msg, t->want) && strncmp(err.msg, "--output: '", 11) == 0,
				  "%s: '%s' lacks '%s'", t->name, err.msg, t->want);
		scratch_remove();
	}
}

Test(csv, dash_is_stdout)
{
	struct csv_paths cp;
	struct cb_err err = {0};
	cr_assert_eq(csv_paths_for(&cp, "-", &err), CB_OK);
	cr_expect(cp.to_stdout);
	cr_expect_str_empty(cp.summary);
	cr_expect_str_empty(cp.meta);
	cr_assert_eq(csv_paths_for(&cp, "./-", &err), CB_OK);
	cr_expect_not(cp.to_stdout, "only '-' itself is stdout");
}

/* ---- a set of files ---- */

struct sized {
	char ch;
	size_t n;
};

static void sized_body(FILE *f, const void *arg)
{
	const struct sized *s = arg;
	for (size_t i = 0; i < s->n; i++)
		fputc(s->ch, f);
}

static const char *const set_files[] = {"a", "b", "c"};

static void set_paths(char paths[3][256])
{
	for (int i = 0; i < 3; i++)
		scratch_path(paths[i], sizeof paths[i], set_files[i]);
}

/* The old set: "old a", "old b", "old c". */
static void set_old(void)
{
	for (int i = 0; i < 3; i++) {
		char text[16];
		snprintf(text, sizeof text, "old %s", set_files[i]);
		scratch_file(set_files[i], text);
	}
}

static void expect_old(int i)
{
	char path[256], want[16];
	scratch_path(path, sizeof path, set_files[i]);
	snprintf(want, sizeof want, "old %s", set_files[i]);
	const char *text = slurp(path);
	cr_expect(text && strcmp(text, want) == 0, "%s is '%s', not the old one", set_files[i],
		  text ? text : "(gone)");
}

/* The second file's write fails (a file-size limit: EFBIG, as a full disk gives
 * ENOSPC): none of the old files changed, none of the new left about, and the error
 * names the file and the cause. */
Test(csv, set_fails_on_the_second_file_old_set_whole)
{
	scratch_make("csv");
	set_old();
	char paths[3][256];
	set_paths(paths);
	const struct sized small = {'s', 100}, big = {'b', 20000};
	const struct fileset_file set[] = {
		{paths[0], sized_body, &small}, {paths[1], sized_body, &big}, {paths[2], sized_body, &small}};
	struct rlimit was, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 5000;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct cb_err err = {0};
	int rc = fileset_write(set, 3, &err);
	setrlimit(RLIMIT_FSIZE, &was);
	cr_expect_eq(rc, CB_ESYS);
	char want[300];
	snprintf(want, sizeof want, "cannot write '%s': File too large", paths[1]);
	cr_expect_str_eq(err.msg, want);
	for (int i = 0; i < 3; i++)
		expect_old(i);
	char names[512];
	bool tmp_left;
	scratch_list(names, sizeof names, &tmp_left);
	cr_expect_str_eq(names, "a b c", "left: %s", names);
	cr_expect_not(tmp_left);
	scratch_remove();
}

/* Every file is written, but the third cannot take its place (something not a regular
 * file is there now): the first two are put back as they were, a new one is taken away. */
Test(csv, set_puts_back_what_it_replaced)
{
	scratch_make("csv");
	set_old();
	char paths[3][256];
	set_paths(paths);
	char probe[256];
	scratch_path(probe, sizeof probe, "probe");
	scratch_file("probe", "");
	if (renameat2(AT_FDCWD, probe, AT_FDCWD, paths[0], RENAME_EXCHANGE) != 0) {
		scratch_remove();
		cr_skip_test("this file system cannot exchange two names: no way back from a rename");
	}
	renameat2(AT_FDCWD, probe, AT_FDCWD, paths[0], RENAME_EXCHANGE);
	cr_assert_eq(unlink(probe), 0);
	cr_assert_eq(unlink(paths[1]), 0); /* the old set had no b */
	cr_assert_eq(unlink(paths[2]), 0);
	cr_assert_eq(mkdir(paths[2], 0755), 0);
	const struct sized body = {'n', 10};
	const struct fileset_file set[] = {
		{paths[0], sized_body, &body}, {paths[1], sized_body, &body}, {paths[2], sized_body, &body}};
	struct cb_err err = {0};
	cr_expect_eq(fileset_write(set, 3, &err), CB_ESYS);
	cr_expect(strstr(err.msg, "cannot replace '") && strstr(err.msg, "c': it is a directory"),
		  "%s", err.msg);
	expect_old(0);
	char names[512];
	bool tmp_left;
	scratch_list(names, sizeof names, &tmp_left);
	cr_expect_str_eq(names, "a c", "left: %s", names);
	cr_expect_not(tmp_left);
	scratch_remove();
}

/* A run's three files, over an old set, in one call. */
Test(csv, set_of_a_run)
{
	struct fixture *x = malloc(sizeof *x);
	fixture_init(x);
	scratch_make("csv");
	scratch_file("run.csv", "workload,stale\n");
	char path[256];
	scratch_path(path, sizeof path, "run.csv");
	struct csv_paths cp;
	struct cb_err err = {0};
	cr_assert_eq(csv_paths_for(&cp, path, &err), CB_OK);
	cr_assert_eq(csv_check_writable(&cp, &err), CB_OK, "%s", err.msg);
	struct csv_results r = {&x->plan, x->rows, 3, &x->sum, 1, &x->si, &x->fl};
	cr_assert_eq(csv_write_set(&cp, &r, &err), CB_OK, "%s", err.msg);
	struct doc *d = malloc(sizeof *d);
	doc_parse(d, slurp(cp.trials));
	cr_expect(d->ok && d->n == 4 && strcmp(d->f[0][0], "run_id") == 0 &&
		  strcmp(d->f[0][2], "workload") == 0);
	doc_parse(d, slurp(cp.summary));
	cr_expect(d->ok && d->n == 2 && strcmp(d->f[0][0], "run_id") == 0 &&
		  strcmp(d->f[0][2], "workload") == 0);
	doc_parse(d, slurp(cp.meta));
	cr_expect(d->ok && strcmp(d->f[0][0], "key") == 0);
	char names[512];
	scratch_list(names, sizeof names, NULL);
	cr_expect_str_eq(names, "run.csv run.json run.meta.csv run.summary.csv");
	/* and -o - gives the trials file's very text */
	char buf[32768] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");
	csv_print_trials(f, &r);
	fclose(f);
	cr_expect_str_eq(buf, slurp(cp.trials));
	free(d);
	free(x);
	scratch_remove();
}
