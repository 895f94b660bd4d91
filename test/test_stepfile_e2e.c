/* Task files through the concbench binary: a file and the built-in workload it
 * restates (sleep, http with the local server, bank with and without its lock) give
 * the same outcomes, failures, metrics and ideal under every model; a bad file exits 2
 * with one file:line line and writes nothing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csvdoc.h"
#include "scratch.h"

extern char **environ;

static const char models[] = "serial,threads,procs,evloop,green";

/* Runs concbench with args (split at spaces, '@' the scratch folder), stderr to the
 * scratch file err.txt; returns its exit status. */
static int concbench(const char *args)
{
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	char words[2048], *argv[48];
	size_t o = 0;
	for (const char *c = args; *c && o + sizeof scratch < sizeof words; c++)
		o += *c == '@' ? (size_t)snprintf(words + o, sizeof words - o, "%s", scratch)
			       : (size_t)(words[o] = *c, 1);
	words[o] = '\0';
	int n = 0;
	argv[n++] = (char *)bin;
	char *save, *tok = strtok_r(words, " ", &save);
	for (; tok && n < 47; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	char errpath[256];
	scratch_path(errpath, sizeof errpath, "err.txt");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errpath,
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void read_err(char *buf, size_t len)
{
	char path[256];
	scratch_path(path, sizeof path, "err.txt");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static struct doc *load(const char *name)
{
	char path[256];
	scratch_path(path, sizeof path, name);
	struct doc *d = doc_load(path);
	cr_assert(d && d->ok, "%s was not written whole", name);
	return d;
}

static const char *field(const struct doc *d, int row, const char *col)
{
	int k = doc_col(d, col);
	cr_assert_geq(k, 0, "no column %s", col);
	return k < d->nf[row] ? d->f[row][k] : "";
}

/* What must agree, row by row (the runs have the same cells and trials in order). */
static const char *const trial_cols[] = {
	"runner", "tasks", "workers", "warmup", "outcome", "tasks_ok", "tasks_failed",
	"fail_check", "fail_spawn", "fail_died", "fail_connect", "fail_timeout", "fail_status",
	"fail_body", "fail_fetch", "fail_blocked", "granted", "refused",
};
/* The balance is the race's result, and in threads and procs the race has two ways to
 * go: the four subtractions come at once after the think, so on two cores one may
 * overwrite another (a torn read-then-write: -70 instead of -120), in the built-in
 * workload as in the file. The balance is compared where one thread runs every task
 * (serial, evloop, green), where the outcome is certain. A locked account ends where
 * the order the tasks took the lock leaves it (0 or 10), so there only lost_updates
 * (0: some serial order's) is compared, in every model. */
static const char *const balance_cols[] = {"final_balance", "lost_updates", "serial_balance"};
static const char *const locked_cols[] = {"lost_updates"};
static const char *const summary_cols[] = {"runner", "tasks", "workers", "ideal_s"};

struct compare {
	const char *const *cols;
	size_t ncols;
	bool one_thread_only; /* only on rows of serial, evloop and green */
};

static bool one_thread(const char *runner)
{
	return strcmp(runner, "serial") == 0 || strcmp(runner, "evloop") == 0 ||
	       strcmp(runner, "green") == 0;
}

static void expect_same(const char *a, const char *b, const struct compare *cmp, int ncmp)
{
	struct doc *x = load(a), *y = load(b);
	cr_expect_eq(x->n, y->n, "%s has %d rows, %s %d", a, x->n, b, y->n);
	for (int r = 1; r < x->n && r < y->n; r++)
		for (int c = 0; c < ncmp; c++) {
			if (cmp[c].one_thread_only && !one_thread(field(x, r, "runner")))
				continue;
			for (size_t k = 0; k < cmp[c].ncols; k++) {
				const char *col = cmp[c].cols[k];
				cr_expect_str_eq(field(x, r, col), field(y, r, col),
						 "row %d, %s: %s gives '%s', %s '%s'", r, col, a,
						 field(x, r, col), b, field(y, r, col));
			}
		}
	free(x);
	free(y);
}

#define COMPARE(cols, one) {cols, sizeof cols / sizeof cols[0], one}

/* Runs the built-in workload and the file, both under every model, and compares. */
static void expect_equivalent_in(const char *builtin, const char *text,
				 const struct compare *cmp, int ncmp)
{
	scratch_make("stepfile-e2e");
	scratch_file("t.steps", text);
	char args[1024];
	snprintf(args, sizeof args, "-q --no-floors %s -n 4 -r %s --repeat 1 --warmup 0 "
		 "-o @/a.csv", builtin, models);
	cr_assert_eq(concbench(args), 0, "%s", args);
	snprintf(args, sizeof args, "-q --no-floors -w steps -p steps.file=@/t.steps -n 4 -r %s "
		 "--repeat 1 --warmup 0 -o @/b.csv", models);
	cr_assert_eq(concbench(args), 0, "%s", args);
	expect_same("a.csv", "b.csv", cmp, ncmp);
	const struct compare sum[] = {COMPARE(summary_cols, false)};
	expect_same("a.summary.csv", "b.summary.csv", sum, 1);
	scratch_remove();
}

static void expect_equivalent(const char *builtin, const char *text)
{
	const struct compare cmp[] = {COMPARE(trial_cols, false), COMPARE(balance_cols, true)};
	expect_equivalent_in(builtin, text, cmp, 2);
}

Test(stepfile_e2e, sleep_as_a_file)
{
	expect_equivalent("-w sleep -p sleep.ms=20 -p sleep.steps=2",
			  "sleep ms=20\nsleep ms=20\n");
}

Test(stepfile_e2e, http_as_a_file)
{
	expect_equivalent("-w http -p http.fetches=2 -p http.delay_ms=10 -p http.bytes=4096",
			  "repeat 2\n  fetch delay_ms=10 bytes=4096\nend\n");
}

/* The race: every check passes before any subtraction (granted 4 but serial's 2), and
 * -120 where one thread runs them all. The think is long enough that all four checks
 * come before the first subtraction even when a busy machine starts a worker late. */
Test(stepfile_e2e, bank_as_a_file)
{
	expect_equivalent("-w bank -p bank.think_ms=250",
			  "account savings balance=100\n"
			  "check savings amounts=80,70,50,20\n"
			  "  sleep ms=250\n"
			  "  subtract savings\n"
			  "end\n");
}

Test(stepfile_e2e, locked_bank_as_a_file)
{
	const struct compare locked[] = {COMPARE(trial_cols, false), COMPARE(locked_cols, false)};
	expect_equivalent_in("-w bank -p bank.think_ms=20 -p bank.lock=1",
			  "account savings balance=100\n"
			  "sem lock init=1\n"
			  "wait lock\n"
			  "check savings amounts=80,70,50,20\n"
			  "  sleep ms=20\n"
			  "  subtract savings\n"
			  "end\n"
			  "post lock\n", locked, 2);
}

struct bad_file {
	const char *text; /* NULL: the path is a directory */
	const char *says; /* after "PATH" */
};

static const struct bad_file bad_files[] = {
	{"sleep ms=1\nfrobnicate\n", ":2: unknown step 'frobnicate'"},
	{"sleep ms\n", ":1: sleep: 'ms' has no '='"},
	{"# lock\nwait lock\n", ":2: semaphore 'lock' is not declared"},
	{"repeat 2\n  sleep ms=1\n", ":1: repeat with no end"},
	{"sleep ms=1\nend\n", ":2: end: no repeat or check to end"},
	{"fetch bytes=5\n", ":1: fetch: neither url= nor delay_ms="},
	{"sleep ms=1\ncompute plugin so=/tmp fn=render\n",
	 ":2: compute plugin: /tmp: a directory, not a file"},
	{"compute plugin so=" CB_PLUGIN_BADABI " fn=bad\n", ":1: compute plugin: "},
	{NULL, "' is a directory (allowed: a task file)"},
};

Test(stepfile_e2e, bad_file_exits_2_and_writes_nothing)
{
	for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		scratch_make("stepfile-e2e");
		char path[256];
		scratch_path(path, sizeof path, "t.steps");
		if (bad_files[i].text)
			scratch_file("t.steps", bad_files[i].text);
		else
			cr_assert_eq(mkdir(path, 0755), 0);
		int rc = concbench("-q -w steps -p steps.file=@/t.steps -n 2 -r serial,evloop "
				   "-o @/out.csv");
		char err[2048], want[512];
		read_err(err, sizeof err);
		snprintf(want, sizeof want, "%s%s%s", bad_files[i].text ? "" : "steps.file: '", path,
			 bad_files[i].says);
		cr_expect_eq(rc, 2, "case %zu: exit %d", i, rc);
		cr_expect(strstr(err, want), "case %zu: '%s' does not say '%s'", i, err, want);
		cr_expect_eq(strchr(err, '\n'), strrchr(err, '\n'), "case %zu: more than one line: "
			     "%s", i, err);
		scratch_path(path, sizeof path, "out.csv");
		cr_expect_neq(access(path, F_OK), 0, "case %zu: out.csv was written", i);
		char names[512];
		scratch_list(names, sizeof names, NULL);
		cr_expect(strstr(names, "out.") == NULL, "case %zu: wrote %s", i, names);
		scratch_remove();
	}
}

/* The example plugin (workloads/plugin/example.c) between two local fetches, the
 * request handler with a real render: every task ok in every model. */
Test(stepfile_e2e, example_plugin_in_a_file)
{
	scratch_make("stepfile-e2e");
	scratch_file("t.steps", "fetch delay_ms=2 bytes=1024\n"
				"compute plugin so=" CB_PLUGIN_EXAMPLE " fn=render "
				"arg=\"rows=100 name=world\"\n"
				"fetch delay_ms=2 bytes=1024\n");
	char args[512];
	snprintf(args, sizeof args, "-q --no-floors -w steps -p steps.file=@/t.steps -n 4 -r %s "
		 "--repeat 1 --warmup 0 -o @/p.csv", models);
	cr_assert_eq(concbench(args), 0, "%s", args);
	struct doc *d = load("p.csv");
	cr_expect_eq(d->n, 6, "a row per model");
	for (int r = 1; r < d->n; r++) {
		cr_expect_str_eq(field(d, r, "outcome"), "ok", "%s", field(d, r, "runner"));
		cr_expect_str_eq(field(d, r, "tasks_ok"), "4", "%s", field(d, r, "runner"));
	}
	free(d);
	scratch_remove();
}
