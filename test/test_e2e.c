/* End to end through the concbench binary ($CONCBENCH): the informational options,
 * bad input (exit 2, nothing written), where the results go (-o: regular files of
 * ours only, written as one set; -o -; a stdout that is closed or full), a small run
 * and its three files, a trial killed by --timeout, SIGINT in the middle of a run, and
 * presets. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "csvdoc.h"
#include "runner.h"
#include "scratch.h"
#include "workload.h"

/* ---- running the binary ---- */

struct proc {
	pid_t pid;
	int out_fd, err_fd; /* memfds holding its stdout and stderr */
	int stdout_to;      /* when above 0, its stdout instead (a pipe, /dev/full) */
	int status;         /* the exit status, 128 + signal when killed, -1 if hung */
	double elapsed_s;
	char out[65536], err[16384];
};

/* Splits args at spaces, an '@' standing for the scratch folder. */
static int make_argv(const char *args, char *words, size_t len, char **argv, int max)
{
	size_t o = 0;
	for (const char *c = args; *c && o + sizeof scratch < len; c++) {
		if (*c == '@')
			o += (size_t)snprintf(words + o, len - o, "%s", scratch);
		else
			words[o++] = *c;
	}
	words[o] = '\0';
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	int n = 0;
	argv[n++] = (char *)bin;
	char *save, *tok = strtok_r(words, " ", &save);
	for (; tok && n < max - 1; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	return n;
}

/* Starts concbench in its own process group; env is "NAME=value" or NULL. */
static void proc_start(struct proc *p, const char *args, const char *env, uid_t uid)
{
	char words[2048], *argv[64];
	make_argv(args, words, sizeof words, argv, 64);
	p->out_fd = memfd_create("stdout", 0);
	p->err_fd = memfd_create("stderr", 0);
	cr_assert(p->out_fd >= 0 && p->err_fd >= 0);
	fflush(NULL);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		setpgid(0, 0);
		dup2(p->stdout_to > 0 ? p->stdout_to : p->out_fd, STDOUT_FILENO);
		dup2(p->err_fd, STDERR_FILENO);
		if (env)
			putenv((char *)env);
		if (uid && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0))
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(p->pid, p->pid);
}

static void read_all(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Waits at most limit_s for it to end; a hung one is killed and marked -1. */
static void proc_wait(struct proc *p, double t0, double limit_s)
{
	int st;
	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid)
			break;
		if (clock_now() - t0 > limit_s) {
			kill(-p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			st = -1;
			break;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	p->elapsed_s = clock_now() - t0;
	p->status = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	read_all(p->out_fd, p->out, sizeof p->out);
	read_all(p->err_fd, p->err, sizeof p->err);
}

static struct proc *run_as(const char *args, const char *env, uid_t uid)
{
	struct proc *p = calloc(1, sizeof *p);
	double t0 = clock_now();
	proc_start(p, args, env, uid);
	proc_wait(p, t0, 120);
	return p;
}

static struct proc *run(const char *args)
{
	return run_as(args, NULL, 0);
}

static struct doc *doc_of(const char *name)
{
	char path[256];
	scratch_path(path, sizeof path, name);
	return doc_load(path);
}

static const char *cell(const struct doc *d, int row, const char *col)
{
	for (int k = 0; k < d->nf[0]; k++)
		if (strcmp(d->f[0][k], col) == 0)
			return k < d->nf[row] ? d->f[row][k] : "";
	cr_assert_fail("no column %s", col);
	return "";
}

/* Every record has the header's fields. */
static void expect_rectangular(const struct doc *d, const char *what)
{
	cr_expect(d->ok, "%s: not well-formed", what);
	for (int r = 1; r < d->n; r++)
		cr_expect_eq(d->nf[r], d->nf[0], "%s: row %d has %d fields of %d", what, r, d->nf[r],
			     d->nf[0]);
}

/* ---- informational options ---- */

struct info_case {
	const char *args, *want;
};

static const struct info_case info_cases[] = {
	{"--help", "usage: concbench [options]"},
	{"-h", "Exit status: 0 all tasks ok, 1 some task or trial failed or the results or"},
	{"--version", "concbench 0."},
	{"--list", "workloads (-w; parameters as -p workload.key=value):"},
	{"--list", "runners (-r; parameters as -p runner.key=value):"},
	{"--list", "presets (--preset NAME, or all"},
	{"--list", "n — iterations each task counts down"},
	{"--floors -w sleep -r threads -n 2", "floors: fork+wait"},
};

Test(e2e, info_options)
{
	for (size_t i = 0; i < sizeof info_cases / sizeof info_cases[0]; i++) {
		struct proc *p = run(info_cases[i].args);
		cr_expect_eq(p->status, 0, "%s: exit %d (%s)", info_cases[i].args, p->status, p->err);
		cr_expect(strstr(p->out, info_cases[i].want), "%s: stdout lacks '%s'",
			  info_cases[i].args, info_cases[i].want);
		free(p);
	}
}

/* --list names every workload and runner in the registries. */
Test(e2e, list_names_everything)
{
	struct proc *p = run("--list");
	cr_assert_eq(p->status, 0);
	char name[64];
	for (int i = 0; workload_table[i]; i++) {
		snprintf(name, sizeof name, "\n  %s ", workload_table[i]->name);
		cr_expect(strstr(p->out, name), "--list lacks workload %s", workload_table[i]->name);
	}
	for (int i = 0; runner_table[i]; i++) {
		snprintf(name, sizeof name, "\n  %s ", runner_table[i]->name);
		cr_expect(strstr(p->out, name), "--list lacks runner %s", runner_table[i]->name);
	}
	free(p);
}

/* ---- bad input: exit 2, one line on stderr, nothing written ---- */

struct bad_case {
	const char *args; /* "-q -o @/out.csv" goes first; a later -o replaces it */
	const char *want;
	bool unprivileged; /* run as nobody (when root), for permissions to count */
};

static const struct bad_case bad_cases[] = {
	{"-w nope", "unknown workload 'nope' (allowed: countdown, power, sleep", false},
	{"-w sleep -r nope", "unknown runner 'nope' (allowed: serial, threads, procs", false},
	{"-n 0", "--tasks: 0 is out of range", false},
	{"-n -5", "--tasks: -5 is out of range", false},
	{"-n x", "--tasks: 'x' is not a whole number", false},
	{"-n 99999999999999999999", "--tasks: 99999999999999999999 is out of range", false},
	{"-j -1", "--workers: -1 is out of range", false},
	{"-j 1,y", "--workers: 'y' is not a whole number", false},
	{"--repeat 0", "--repeat: 0 is out of range", false},
	{"--repeat 99999999999999999999", "--repeat: 99999999999999999999 is out of range", false},
	{"--warmup -1", "--warmup: -1 is out of range", false},
	{"--timeout 0", "--timeout: 0 is out of range (allowed: above 0, up to 604800)", false},
	{"--timeout 1e400", "--timeout: 1e400 is out of range", false},
	{"-n +5", "--tasks: '+5' is not a whole number", false},
	{"-w sleep -r serial -p sleep.ms=0x10", "sleep.ms: '0x10' is not a number", false},
	{"--timeout x", "--timeout: 'x' is not a number", false},
	{"--scale 0", "--scale: 0 is out of range (allowed: above 0, up to 1e+06)", false},
	{"--scale -1", "--scale: -1 is out of range", false},
	{"--order fastest", "--order: 'fastest' is not allowed", false},
	{"--heap big", "--heap: 'big' is not allowed (allowed: small, huge)", false},
	{"-w sleep -r serial -p sleep.nope=1", "unknown parameter 'sleep.nope' (allowed: sleep.ms", false},
	{"-w sleep -r serial -p sleep.ms=-1", "sleep.ms: -1 is out of range", false},
	{"-w sleep -r serial -p sleep", "-p: 'sleep' is not of the form module.key=value", false},
	{"-w sleep -r serial -p ms=5", "-p: 'ms=5' is not of the form module.key=value", false},
	{"-w sleep -r serial -p countdown.n=5", "module 'countdown' is not in this run", false},
	{"-w power -r serial -p power.exp=200000 --scale 1000", "above its maximum 100000000", false},
	{"-w mix -r serial -p mix.cpu_us=0 -p mix.wait_ms=0", "mix.cpu_us=0 with mix.wait_ms=0: a "
	 "round does nothing (allowed: either above 0)", false},
	{"-w mix -r serial -p mix.steps=0", "mix.steps: 0 is out of range", false},
	{"-w mix -r serial -p mix.cpu_us=-5", "mix.cpu_us: -5 is out of range", false},
	{"-w mix -r serial -p mix.cpu_us=1.5", "mix.cpu_us: '1.5' is not a whole number", false},
	{"--bogus", "unknown option '--bogus' (see --help)", false},
	{"-w pingpong -r threads -n 3", "pingpong: -n 3: the tasks play in pairs", false},
	{"-w bank -r serial,py-serial", "runner py-serial: the peers run only some workloads, "
	 "each re-implemented, not 'bank' (allowed: countdown, power, sleep, http, mix)", false},
	{"-w sleep -n", "option '-n' needs a value", false},
	{"-w sleep stray", "unexpected argument 'stray'", false},
	{"--preset nope", "unknown preset 'nope' (allowed: all, ", false},
	{"-w sleep -r serial -o @/missing/out.csv", "--output: directory '", false},
	{"-w sleep -r serial -o @/afile/out.csv", "afile' is not a directory", false},
	{"-w sleep -r serial -o @/adir", "adir' is a directory", false},
	{"-w sleep -r serial -o @/ro/out.csv", "ro' is not writable", true},
	/* narrowing, --filter, sweeps and ranges */
	{"--preset waiting -r py-gevent -n 50", "no cell to run: -w/-r/-n/-j rule out every cell "
	 "(allowed: values the plan has, which --dry-run without them lists; --add", false},
	{"--preset waiting -r evlop", "concbench: unknown runner 'evlop' (allowed: serial,", false},
	{"-w sleep -r serial --filter runner=evloop", "no cell to run: --filter rules out every "
	 "cell", false},
	{"-w sleep -r serial --filter tasks<=x", "--filter 'tasks<=x': 'x' is not a number", false},
	{"-w sleep -r serial --filter bogus=1", "--filter 'bogus=1': unknown key 'bogus'", false},
	{"-w sleep -r serial --filter runner<evloop", "runner is not a number, so it takes = or "
	 "!= only", false},
	{"-w sleep -r serial --dry-run --filter sleep.nope=1", "sleep has no parameter 'nope'",
	 false},
	{"-w sleep -r serial -p sleep.ms=5..1", "-p sleep.ms: range '5..1' goes down", false},
	{"-w sleep -r serial -n 1..10:x0.5", "--tasks: range '1..10:x0.5': the factor must be "
	 "above 1", false},
	{"-w sleep -r serial -p sleep.ms=5,x", "sleep.ms: 'x' is not a number", false},
	{"--add -w sleep", "--add goes with --preset", false},
	{"--preset cpu -p sleep.ms=5", "-p sleep.ms: no preset named runs sleep", false},
	{"-w sleep -r serial -p sleep.ms=5 --dry-run -p sleep.ms=-1", "sleep.ms: -1 is out of "
	 "range", false},
};

Test(e2e, bad_input_exits_2_and_writes_nothing)
{
	scratch_make("e2e");
	scratch_file("afile", "");
	char path[256], listing[512];
	snprintf(path, sizeof path, "%s/adir", scratch);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/ro", scratch);
	cr_assert_eq(mkdir(path, 0555), 0);
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *t = &bad_cases[i];
		char args[512];
		snprintf(args, sizeof args, "-q -o @/out.csv %s", t->args);
		struct proc *p = run_as(args, NULL, t->unprivileged && geteuid() == 0 ? 65534 : 0);
		if (p->status == 125) {
			free(p);
			continue; /* could not drop privileges here */
		}
		cr_expect_eq(p->status, 2, "'%s': exit %d (%s)", t->args, p->status, p->err);
		cr_expect(strstr(p->err, t->want), "'%s': stderr '%s' lacks '%s'", t->args, p->err,
			  t->want);
		cr_expect(strncmp(p->err, "concbench: ", 11) == 0 && strchr(p->err, '\n') ==
			  p->err + strlen(p->err) - 1, "'%s': not one line: '%s'", t->args, p->err);
		cr_expect_str_empty(p->out, "'%s': printed '%s'", t->args, p->out);
		cr_expect_lt(p->elapsed_s, 10, "'%s': bad input should stop at once", t->args);
		scratch_list(listing, sizeof listing, NULL);
		cr_expect_str_eq(listing, "adir afile ro", "'%s' wrote something", t->args);
		static const char *const outs[] = {"out.csv", "out.summary.csv", "out.meta.csv"};
		for (size_t k = 0; k < 3; k++) { /* so one failure does not spill into the next */
			snprintf(path, sizeof path, "%s/%s", scratch, outs[k]);
			unlink(path);
		}
		free(p);
	}
	scratch_remove();
}

/* A bad value leaves an old results file as it was. */
Test(e2e, bad_value_keeps_an_old_file)
{
	scratch_make("e2e");
	scratch_file("keep.csv", "old\n");
	struct proc *p = run("-q -w sleep -n 0 -o @/keep.csv");
	cr_expect_eq(p->status, 2);
	struct doc *d = doc_of("keep.csv");
	cr_expect(d->n == 1 && strcmp(d->f[0][0], "old") == 0, "the old file changed");
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect_str_eq(listing, "keep.csv");
	free(d);
	free(p);
	scratch_remove();
}

/* ---- a small run ---- */

static const char *const trial_columns[] = {
	"run_id", "host_id", "workload", "params", "runner", "runner_params", "tasks", "workers",
	"preset", "trial",
	"wall_s", "user_s", "sys_s", "maxrss_kib", "minflt", "vcsw", "ivcsw", "tasks_ok",
	"tasks_failed", "warmup", "outcome", "trial_s", "majflt", "task_p50_s", "task_max_s",
};

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

static const char *const meta_keys[] = {
	"date", "version", "commit", "command", "cpu", "cores", "kernel", "floor_fork_wait_s",
	"floor_page_touch_s", "floor_page_touch_huge_s", "base_rss_kib", "parallel_cores",
	"parallel_cores_lo", "parallel_cores_hi", "parallel_cores_pairs",
};

static void expect_header(const struct doc *d, const char *const *cols, size_t n,
			  const char *what)
{
	cr_assert_gt(d->n, 0, "%s: empty", what);
	for (size_t k = 0; k < n; k++)
		cr_expect(k < (size_t)d->nf[0] && strcmp(d->f[0][k], cols[k]) == 0,
			  "%s: column %zu is not %s", what, k, cols[k]);
}

Test(e2e, countdown_run_writes_three_files)
{
	scratch_make("e2e");
	struct proc *p = run("-q -w countdown -p countdown.n=1000 -r serial,threads -n 2 -j 0,2 "
			     "--repeat 2 --warmup 1 -o @/run.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	cr_expect(strstr(p->out, "workload"), "no table on stdout");
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect_str_eq(listing, "run.csv run.json run.meta.csv run.summary.csv");

	struct doc *d = doc_of("run.csv");
	expect_header(d, trial_columns, sizeof trial_columns / sizeof trial_columns[0], "trials");
	expect_rectangular(d, "trials");
	cr_expect_str_eq(d->f[0][d->nf[0] - 1], "note");
	/* serial (W collapses to 1), threads W=0, threads W=2: 3 cells x (1 + 2) trials */
	cr_assert_eq(d->n, 1 + 9, "%d trial rows", d->n - 1);
	int warm = 0;
	for (int r = 1; r < d->n; r++) {
		bool is_warm = strcmp(cell(d, r, "warmup"), "1") == 0;
		warm += is_warm;
		cr_expect_eq(is_warm, strcmp(cell(d, r, "trial"), "0") == 0,
			     "row %d: the warm-up is trial 0", r);
		cr_expect_str_eq(cell(d, r, "outcome"), "ok");
		cr_expect_str_eq(cell(d, r, "tasks_ok"), "2");
		cr_expect_gt(atof(cell(d, r, "wall_s")), 0);
		cr_expect_geq(atof(cell(d, r, "trial_s")), atof(cell(d, r, "wall_s")));
		cr_expect_str_eq(cell(d, r, "params"), "n=1000");
		if (strcmp(cell(d, r, "runner"), "serial") == 0)
			cr_expect_str_eq(cell(d, r, "workers"), "1");
	}
	cr_expect_eq(warm, 3, "one warm-up per cell");
	free(d);

	d = doc_of("run.summary.csv");
	expect_header(d, summary_columns, sizeof summary_columns / sizeof summary_columns[0],
		      "summary");
	expect_rectangular(d, "summary");
	cr_assert_eq(d->n, 1 + 3, "%d summary rows", d->n - 1);
	for (int r = 1; r < d->n; r++) {
		cr_expect_str_eq(cell(d, r, "trials"), "2");
		cr_expect_str_eq(cell(d, r, "trials_ok"), "2");
		cr_expect_str_eq(cell(d, r, "outcomes"), "ok:2");
		cr_expect_neq(cell(d, r, "speedup")[0], '\0', "row %d: no speedup", r);
		cr_expect_neq(cell(d, r, "ideal_s")[0], '\0', "row %d: no ideal", r);
		if (strcmp(cell(d, r, "runner"), "serial") == 0)
			cr_expect_str_eq(cell(d, r, "speedup"), "1");
		/* 2 pairs cannot reach a 95% interval: empty, never a made-up one */
		cr_expect_str_eq(cell(d, r, "speedup_lo"), "", "row %d", r);
		cr_expect_str_eq(cell(d, r, "speedup_hi"), "", "row %d", r);
	}
	free(d);

	d = doc_of("run.meta.csv");
	expect_rectangular(d, "meta");
	cr_expect(d->nf[0] == 2 && strcmp(d->f[0][0], "key") == 0);
	for (size_t k = 0; k < sizeof meta_keys / sizeof meta_keys[0]; k++) {
		bool found = false;
		for (int r = 1; r < d->n; r++)
			found |= strcmp(d->f[r][0], meta_keys[k]) == 0;
		cr_expect(found, "meta lacks %s", meta_keys[k]);
	}
	free(d);
	free(p);
	scratch_remove();
}

/* The value of `column` in the summary row of runner (and workload), or NULL. */
static const char *summary_value(const struct doc *d, const char *workload, const char *runner,
				 const char *column)
{
	for (int r = 1; r < d->n; r++)
		if (strcmp(cell(d, r, "runner"), runner) == 0 &&
		    strcmp(cell(d, r, "workload"), workload) == 0)
			return cell(d, r, column);
	return NULL;
}

static const char *meta_value(const struct doc *d, const char *key);

/* Every row names its run and its machine, as the meta does: two runs on this machine
 * share a host id and have run ids of their own. */
Test(e2e, rows_carry_run_and_host_ids)
{
	scratch_make("e2e");
	char run_id[2][96] = {"", ""}, host_id[2][96] = {"", ""};
	for (int k = 0; k < 2; k++) {
		char args[160];
		snprintf(args, sizeof args, "-q --no-floors -w countdown -p countdown.n=1000 -r serial "
			 "-n 1 --repeat 2 --warmup 0 -o @/id%d.csv", k);
		struct proc *p = run(args);
		cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
		free(p);
		char name[32];
		snprintf(name, sizeof name, "id%d.meta.csv", k);
		struct doc *d = doc_of(name);
		snprintf(run_id[k], sizeof run_id[k], "%s", meta_value(d, "run_id"));
		snprintf(host_id[k], sizeof host_id[k], "%s", meta_value(d, "host_id"));
		free(d);
		static const char *const files[] = {"id%d.csv", "id%d.summary.csv"};
		for (int f = 0; f < 2; f++) {
			snprintf(name, sizeof name, files[f], k);
			d = doc_of(name);
			for (int r = 1; r < d->n; r++) {
				cr_expect_str_eq(cell(d, r, "run_id"), run_id[k], "%s row %d", name, r);
				cr_expect_str_eq(cell(d, r, "host_id"), host_id[k], "%s row %d", name, r);
			}
			free(d);
		}
	}
	cr_expect(run_id[0][0] && strcmp(run_id[0], run_id[1]) != 0, "run ids '%s', '%s'",
		  run_id[0], run_id[1]);
	cr_expect(host_id[0][0] && strcmp(host_id[0], host_id[1]) == 0, "host ids '%s', '%s'",
		  host_id[0], host_id[1]);
	cr_expect(strchr(host_id[0], '-') && !strchr(host_id[0], '/'), "'%s'", host_id[0]);
	scratch_remove();
}

/* With 6 pairs or more the speed-up has its interval, and holds it: trial i of serial
 * over trial i of the cell, paired as the interleaved order ran them. */
Test(e2e, speedup_has_its_interval)
{
	scratch_make("e2e");
	struct proc *p = run("-q -w sleep -p sleep.ms=5 -r serial,threads,evloop -n 4 "
			     "--repeat 6 --warmup 0 -o @/si.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	struct doc *d = doc_of("si.summary.csv");
	for (int r = 1; r < d->n; r++) {
		double sp = atof(cell(d, r, "speedup"));
		const char *lo = cell(d, r, "speedup_lo"), *hi = cell(d, r, "speedup_hi");
		cr_expect(lo[0] && hi[0], "%s: no interval", cell(d, r, "runner"));
		/* the interval is of the paired ratios' median, the figure the ratio of the
		 * medians: close, not always inside; both far above 1 for 4 sleeps at once */
		cr_expect(atof(lo) <= atof(hi), "%s: [%s, %s]", cell(d, r, "runner"), lo, hi);
		if (strcmp(cell(d, r, "runner"), "serial") != 0)
			cr_expect(atof(lo) > 1.5 && sp > 1.5, "%s: %g [%s, %s]", cell(d, r, "runner"),
				  sp, lo, hi);
	}
	free(d);
	free(p);
	scratch_remove();
}

/* A floor is the same work done by hand: sleeping cells have one, computing cells have
 * none (an empty field, not a timer's), and the cores a run kept busy are recorded. */
Test(e2e, floors_match_the_work)
{
	scratch_make("e2e");
	struct proc *p = run("-q -w countdown,sleep -p countdown.n=20000000 -p sleep.ms=20 "
			     "-r serial,threads,evloop -n 4 --repeat 2 --warmup 0 -o @/f.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	struct doc *d = doc_of("f.summary.csv");
	for (int r = 1; r < d->n; r++) {
		bool cpu = strcmp(cell(d, r, "workload"), "countdown") == 0;
		const char *fl = cell(d, r, "floor_s");
		cr_expect_eq(fl[0] == '\0', cpu, "%s on %s: floor_s '%s'", cell(d, r, "workload"),
			     cell(d, r, "runner"), fl);
		cr_expect_str_eq(cell(d, r, "baseline"), "serial");
		double cores = atof(cell(d, r, "cores_used"));
		cr_expect(cores > (cpu ? 0.8 : 0) && cores < 2.5 * 2, "%s on %s: cores_used %s",
			  cell(d, r, "workload"), cell(d, r, "runner"), cell(d, r, "cores_used"));
	}
	/* Sleeping takes no CPU; counting on one thread takes one core. */
	cr_expect_lt(atof(summary_value(d, "sleep", "threads", "cores_used")), 0.5);
	cr_expect_gt(atof(summary_value(d, "countdown", "evloop", "cores_used")), 0.8);
	free(d);
	free(p);
	scratch_remove();
}

/* A hand-off has a floor where a bare program of the model does it: threads and procs
 * ping-pong through two semaphores by hand, the loop models have none yet (an empty
 * field, and the reason among the floors). With no time a perfect scheduler needs, the
 * whole wall is overhead, and the floor's is its wall. */
Test(e2e, hand_offs_have_a_floor_in_threads_and_procs)
{
	scratch_make("e2e");
	struct proc *p = run("-w pingpong -p pingpong.rounds=2000 -n 2 -r threads,procs,evloop,green "
			     "--repeat 3 -o @/pp.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	struct doc *d = doc_of("pp.summary.csv");
	int seen = 0;
	for (int r = 1; r < d->n; r++) {
		const char *rn = cell(d, r, "runner");
		bool has = strcmp(rn, "threads") == 0 || strcmp(rn, "procs") == 0;
		seen++;
		cr_expect_eq(cell(d, r, "floor_s")[0] != '\0', has, "%s: floor_s '%s'", rn,
			     cell(d, r, "floor_s"));
		cr_expect_eq(cell(d, r, "overhead_vs_floor")[0] != '\0', has,
			     "%s: overhead_vs_floor '%s'", rn, cell(d, r, "overhead_vs_floor"));
		cr_expect_eq(atof(cell(d, r, "ideal_s")), 0, "%s: ideal_s %s", rn, cell(d, r, "ideal_s"));
		cr_expect_eq(atof(cell(d, r, "overhead_s")), atof(cell(d, r, "median_s")), "%s", rn);
		if (has)
			cr_expect_gt(atof(cell(d, r, "overhead_vs_floor")), 0, "%s", rn);
	}
	cr_expect_eq(seen, 4);
	cr_expect(strstr(p->out, "evloop: no floor for wait steps"), "%s", p->out);
	free(d);
	free(p);
	scratch_remove();
}

/* Floors no model can beat: where the model's own cost is well above noise, no cell is
 * flagged below-floor (its slowest trial clearly under the floor's fastest run), and no
 * median is under half its floor: a floor of more work than the model's, twice the
 * sleeps or a thread per task where the model has W, would be. The median alone may
 * come out a little under: the floor's runs spread as the trials do (thread creation
 * ±15% from run to run here). */
Test(e2e, no_cell_beats_its_floor, .timeout = 240)
{
	static const char *const runs[] = {
		"-w sleep -p sleep.ms=20 -r evloop,green -n 20000",
		"-w sleep -p sleep.ms=20 -r threads -n 500",
		"-w sleep -p sleep.ms=20 -r procs -n 100",
		/* serial is left out: its floor is its very work, so its ratio is 1 give or
		 * take the host's timer noise between the floor's runs and the trials' */
		"-w http -p http.delay_ms=20 -r evloop,green,threads -n 300",
	};
	scratch_make("e2e");
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		char args[512];
		snprintf(args, sizeof args, "-q %s --repeat 3 --warmup 1 -o @/b%zu.csv", runs[i], i);
		struct proc *p = run(args);
		cr_assert_eq(p->status, 0, "%s: exit %d: %s", runs[i], p->status, p->err);
		char name[32];
		snprintf(name, sizeof name, "b%zu.summary.csv", i);
		struct doc *d = doc_of(name);
		for (int r = 1; r < d->n; r++) {
			const char *vs = cell(d, r, "overhead_vs_floor");
			cr_expect(vs[0] != '\0', "%s: %s has no floor", runs[i], cell(d, r, "runner"));
			cr_expect_geq(atof(vs), 0.5, "%s: %s at %s x its floor (%s s over %s s)",
				      runs[i], cell(d, r, "runner"), vs, cell(d, r, "overhead_s"),
				      cell(d, r, "floor_s"));
			cr_expect(!strstr(cell(d, r, "flags"), "below-floor"),
				  "%s: %s flagged %s (overhead %s s, floor %s s)", runs[i],
				  cell(d, r, "runner"), cell(d, r, "flags"), cell(d, r, "overhead_s"),
				  cell(d, r, "floor_s"));
		}
		free(d);
		free(p);
	}
	scratch_remove();
}

/* --no-floors: the floor figures are empty fields, never "nan", and none are printed. */
Test(e2e, no_floors)
{
	scratch_make("e2e");
	struct proc *p = run("-q --no-floors -w countdown -p countdown.n=1000 -r serial,threads "
			     "-n 2 --repeat 1 --warmup 0 -o @/nf.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	cr_expect(!strstr(p->out, "floors:"), "%s", p->out);
	static const char *const files[] = {"nf.csv", "nf.summary.csv", "nf.meta.csv"};
	for (size_t i = 0; i < 3; i++) {
		struct doc *d = doc_of(files[i]);
		expect_rectangular(d, files[i]);
		for (int r = 0; r < d->n; r++)
			for (int k = 0; k < d->nf[r]; k++)
				cr_expect(!strcasestr(d->f[r][k], "nan"), "%s: '%s'", files[i],
					  d->f[r][k]);
		if (i == 1)
			for (int r = 1; r < d->n; r++) {
				cr_expect_str_eq(cell(d, r, "floor_s"), "");
				cr_expect_str_eq(cell(d, r, "rss_per_task_b"), "");
			}
		if (i == 2)
			for (int r = 1; r < d->n; r++)
				if (strcmp(d->f[r][0], "floor_fork_wait_s") == 0)
					cr_expect_str_eq(d->f[r][1], "");
		free(d);
	}
	free(p);
	scratch_remove();
}

/* The heap's pages are recorded: glibc's own by default; huge when asked (the driver
 * re-executed itself with the glibc tunable added to the user's own). */
static const char *meta_value(const struct doc *d, const char *key)
{
	for (int r = 1; r < d->n; r++)
		if (strcmp(d->f[r][0], key) == 0)
			return d->f[r][1];
	return "";
}

Test(e2e, heap_pages_are_recorded)
{
	scratch_make("e2e");
	static const struct {
		const char *args, *env, *want;
	} cases[] = {
		{"--heap huge", NULL, "huge (glibc.malloc.hugetlb=1"},
		{"--heap huge", "GLIBC_TUNABLES=glibc.malloc.tcache_count=7",
		 "huge (glibc.malloc.hugetlb=1"},
		{"", NULL, "small"},
		{"--heap small", NULL, "small"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char args[256];
		snprintf(args, sizeof args, "-q --no-floors -w sleep -p sleep.ms=1 -r serial -n 1 "
			 "--repeat 1 --warmup 0 %s -o @/heap.csv", cases[i].args);
		struct proc *p = run_as(args, cases[i].env, 0);
		cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
		struct doc *d = doc_of("heap.meta.csv");
		const char *v = meta_value(d, "heap");
		cr_expect(strncmp(v, cases[i].want, strlen(cases[i].want)) == 0,
			  "%s %s: heap '%s'", cases[i].args, cases[i].env ? cases[i].env : "", v);
		/* The command line is the user's, once: the re-execution adds nothing to it. */
		cr_expect(strstr(meta_value(d, "command"), "-o") != NULL);
		free(d);
		free(p);
	}
	scratch_remove();
}

/* ---- where the results go ---- */

/* What is at a path: "absent", "file", "dir", "fifo", "chardev", "symlink". */
static const char *kind_at(const char *name)
{
	char path[256];
	struct stat st;
	scratch_path(path, sizeof path, name);
	if (lstat(path, &st) != 0)
		return "absent";
	return S_ISREG(st.st_mode)    ? "file"
	       : S_ISDIR(st.st_mode)  ? "dir"
	       : S_ISFIFO(st.st_mode) ? "fifo"
	       : S_ISCHR(st.st_mode)  ? "chardev"
	       : S_ISLNK(st.st_mode)  ? "symlink"
				      : "other";
}

struct refuse_case {
	const char *name; /* made in the scratch folder as `kind` */
	const char *kind;
	const char *output; /* -o, under the folder */
	const char *want;   /* in the one line on stderr */
};

static const struct refuse_case refuse_cases[] = {
	{"fifo", "fifo", "fifo", "fifo' is a FIFO, not a regular file"},
	{"cdev", "chardev", "cdev", "cdev' is a character device, not a regular file"},
	{"link", "symlink", "link", "link' is a symbolic link, not a regular file"},
	{"s.summary.csv", "symlink", "s.csv", "s.summary.csv' is a symbolic link"},
	{"m.meta.csv", "dir", "m.csv", "m.meta.csv' is a directory, not a regular file"},
	{"m.meta.csv", "fifo", "m", "m.meta.csv' is a FIFO"},
	{"notes.txt", "file", "notes.txt", "notes.txt' is not a results file of ours"},
	{"prog", "file", "prog", "prog' is not a results file of ours"}, /* a program */
};

/* A path that is not a regular file of ours, any of the three: refused before any
 * trial runs (a run would take 3 s), and left as it was. */
Test(e2e, output_refuses_what_is_not_ours)
{
	for (size_t i = 0; i < sizeof refuse_cases / sizeof refuse_cases[0]; i++) {
		const struct refuse_case *t = &refuse_cases[i];
		scratch_make("e2e");
		bool prog = strcmp(t->name, "prog") == 0;
		if (!scratch_make_kind(t->name, t->kind, prog ? "\177ELF\2\1\1" : "my notes\n",
				       prog ? 0755 : 0644)) {
			cr_log_warn("%s: cannot make a %s here, skipped", t->name, t->kind);
			scratch_remove();
			continue;
		}
		char before[512], after[512], args[512];
		scratch_list(before, sizeof before, NULL);
		snprintf(args, sizeof args, "-q --no-floors -w sleep -p sleep.ms=3000 -r serial -n 1 "
			 "--repeat 1 --warmup 0 -o @/%s", t->output);
		struct proc *p = run(args);
		cr_expect_eq(p->status, 2, "%s: exit %d (%s)", t->name, p->status, p->err);
		cr_expect(strstr(p->err, t->want), "%s: stderr '%s' lacks '%s'", t->name, p->err,
			  t->want);
		cr_expect(strncmp(p->err, "concbench: --output: '", 22) == 0 &&
				  strchr(p->err, '\n') == p->err + strlen(p->err) - 1,
			  "%s: not one line naming the path: '%s'", t->name, p->err);
		cr_expect_lt(p->elapsed_s, 2.5, "%s: a trial ran before the refusal", t->name);
		cr_expect_str_empty(p->out, "%s", t->name);
		cr_expect_str_eq(kind_at(t->name), t->kind, "%s was replaced", t->name);
		scratch_list(after, sizeof after, NULL);
		cr_expect_str_eq(after, before, "%s: something was written", t->name);
		free(p);
		scratch_remove();
	}
}

/* -o -: the trials CSV alone on stdout, the table on stderr, no file anywhere. */
Test(e2e, output_dash_is_stdout)
{
	scratch_make("e2e");
	cr_assert_eq(chdir(scratch), 0);
	struct proc *p = run("-q --no-floors -w sleep -p sleep.ms=1 -r serial,threads -n 2 "
			     "--repeat 2 --warmup 0 -o -");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	struct doc *d = malloc(sizeof *d);
	doc_parse(d, p->out);
	expect_header(d, trial_columns, sizeof trial_columns / sizeof trial_columns[0], "stdout");
	expect_rectangular(d, "stdout");
	cr_expect_eq(d->n, 1 + 4, "%d rows on stdout", d->n - 1);
	cr_expect(!strstr(p->out, "speedup over:"), "the table went to stdout");
	cr_expect(strstr(p->err, "speedup over:"), "no table on stderr: '%s'", p->err);
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect_str_empty(listing, "files written: %s", listing);
	free(d);
	free(p);
	scratch_remove();
}

/* Runs it with its stdout on fd. */
static struct proc *run_stdout_to(const char *args, int fd)
{
	struct proc *p = calloc(1, sizeof *p);
	p->stdout_to = fd;
	double t0 = clock_now();
	proc_start(p, args, NULL, 0);
	proc_wait(p, t0, 120);
	return p;
}

static void expect_three_files(const char *stem)
{
	static const char *const suffix[] = {".csv", ".summary.csv", ".meta.csv"};
	for (size_t i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s%s", stem, suffix[i]);
		struct doc *d = doc_of(name);
		cr_expect(d->ok && d->n > 1, "%s was not written whole", name);
		expect_rectangular(d, name);
		free(d);
	}
}

static const char small_run[] = "-q --no-floors -w sleep -p sleep.ms=1 -r serial,threads "
				"-n 1,2 --repeat 1 --warmup 0 -o @/r.csv";

/* A reader gone (`| head -1`): the files were written first; the table ends quietly
 * and the exit status is the run's. */
Test(e2e, closed_stdout_keeps_the_results)
{
	scratch_make("e2e");
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	close(fds[0]); /* before it writes a byte, so every write meets EPIPE */
	struct proc *p = run_stdout_to(small_run, fds[1]);
	close(fds[1]);
	cr_expect_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	cr_expect_str_empty(p->err);
	expect_three_files("r");
	free(p);
	scratch_remove();
}

/* A stdout that cannot take the table: one line on stderr and exit 1; the files are
 * written all the same. */
Test(e2e, full_stdout_is_reported)
{
	scratch_make("e2e");
	int full = open("/dev/full", O_WRONLY);
	if (full < 0)
		cr_skip_test("no /dev/full here");
	struct proc *p = run_stdout_to(small_run, full);
	close(full);
	cr_expect_eq(p->status, 1, "exit %d: %s", p->status, p->err);
	cr_expect_str_eq(p->err, "concbench: cannot write to stdout: No space left on device\n");
	expect_three_files("r");
	free(p);
	scratch_remove();
}

static char *slurp_scratch(const char *name, size_t *len)
{
	char path[256];
	scratch_path(path, sizeof path, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char *text = calloc(1, 1 << 20);
	*len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	return text;
}

/* The old set of r.csv: its three files' contents. */
struct old_set {
	char *text[4];
	size_t len[4];
};

static const char *const set_names[] = {"r.csv", "r.summary.csv", "r.meta.csv", "r.json"};

static void old_set_keep(struct old_set *o)
{
	for (int i = 0; i < 4; i++)
		o->text[i] = slurp_scratch(set_names[i], &o->len[i]);
}

static void old_set_expect_whole(struct old_set *o)
{
	for (int i = 0; i < 4; i++) {
		size_t len;
		char *now = slurp_scratch(set_names[i], &len);
		cr_expect(len == o->len[i] && memcmp(now, o->text[i], len) == 0,
			  "%s is not the old one", set_names[i]);
		free(now);
		free(o->text[i]);
	}
	char listing[256];
	bool tmp_left;
	scratch_list(listing, sizeof listing, &tmp_left);
	cr_expect_not(tmp_left, "a temporary file was left: %s", listing);
}

/* 40 cells of one trial: the summary (a row per cell) is larger than the trials. */
static const char forty_cells[] =
	"-q --no-floors -w sleep -p sleep.ms=0 -r serial --repeat 1 --warmup 0 -o @/r.csv -n "
	"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
	"32,33,34,35,36,37,38,39,40";

/* A write that fails on the second file of the set (a file-size limit between the
 * trials' size and the summary's: EFBIG, what any write error does): the old set is
 * left whole, the error names the file and the cause, no temporary file is left. */
Test(e2e, failed_write_keeps_the_old_set)
{
	scratch_make("e2e");
	struct proc *p = run(forty_cells);
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	free(p);
	struct old_set old;
	old_set_keep(&old);
	cr_assert_gt(old.len[1], old.len[0] + 1000, "the summary is not the larger");
	struct rlimit was, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = (old.len[0] + old.len[1]) / 2;
	/* The child inherits the limit, and SIGXFSZ as the default (death) for concbench
	 * to deal with. Nothing here writes a file meanwhile. */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	p = run(forty_cells);
	setrlimit(RLIMIT_FSIZE, &was);
	cr_expect_eq(p->status, 1, "exit %d: %s", p->status, p->err);
	char want[256];
	snprintf(want, sizeof want, "concbench: cannot write '%s/r.summary.csv': File too large\n",
		 scratch);
	cr_expect(strstr(p->err, want), "stderr '%s' lacks '%s'", p->err, want);
	old_set_expect_whole(&old);
	free(p);
	scratch_remove();
}

/* The same on a full disk, where one can be had (a 64 KiB tmpfs in a mount namespace
 * of this test's own: root only): the new trials would fit, the summary does not. */
Test(e2e, full_disk_keeps_the_old_set)
{
	scratch_make("e2e");
	char dir[128];
	snprintf(dir, sizeof dir, "%s", scratch);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("cb-test", dir, "tmpfs", 0, "size=64k,mode=0755") != 0) {
		scratch_remove();
		cr_skip_test("cannot mount a tmpfs here: %s", strerror(errno));
	}
	struct proc *p = run("-q --no-floors -w sleep -p sleep.ms=0 -r serial -n 1 --repeat 1 "
			     "--warmup 0 -o @/r.csv");
	cr_assert_eq(p->status, 0, "exit %d: %s", p->status, p->err);
	free(p);
	struct old_set old;
	old_set_keep(&old);
	static char filler[30000];
	scratch_file("filler", memset(filler, 'x', sizeof filler - 1));
	p = run(forty_cells);
	cr_expect_eq(p->status, 1, "exit %d: %s", p->status, p->err);
	cr_expect(strstr(p->err, ".csv': No space left on device\n"), "stderr: '%s'", p->err);
	old_set_expect_whole(&old);
	free(p);
	umount(dir);
	scratch_remove();
}

/* ---- a trial past --timeout: recorded, killed, and the run goes on ---- */

/* 0.2 s is shorter than the harness's own floors take (64 MiB of page faults): they
 * must not fall under it. */

Test(e2e, timeout_is_recorded_and_the_run_goes_on)
{
	scratch_make("e2e");
	struct proc *p = run("-q -w sleep,countdown -p sleep.ms=20000 -p countdown.n=1000 -r serial "
			     "-n 1 --repeat 2 --warmup 0 --timeout 0.2 -o @/to.csv");
	cr_expect_eq(p->status, 1, "exit %d: %s", p->status, p->err);
	/* Unkilled, the two sleeping trials alone take 40 s; the floors and the capacity
	 * pairs take ~10 s on a busy machine. */
	cr_expect_lt(p->elapsed_s, 35, "the sleeping trials were not killed (%.1f s)",
		     p->elapsed_s);
	struct doc *d = doc_of("to.csv");
	expect_rectangular(d, "trials");
	cr_assert_eq(d->n, 1 + 4, "%d trial rows", d->n - 1);
	int timeouts = 0, oks = 0;
	for (int r = 1; r < d->n; r++) {
		if (strcmp(cell(d, r, "workload"), "sleep") == 0) {
			timeouts += strcmp(cell(d, r, "outcome"), "timeout") == 0;
			cr_expect_str_eq(cell(d, r, "tasks_failed"), "1");
			cr_expect(strstr(cell(d, r, "note"), "killed after the 0.2 s trial timeout"),
				  "note '%s'", cell(d, r, "note"));
			cr_expect_lt(atof(cell(d, r, "trial_s")), 5);
		} else {
			oks += strcmp(cell(d, r, "outcome"), "ok") == 0;
		}
	}
	cr_expect_eq(timeouts, 2);
	cr_expect_eq(oks, 2, "the trials after a timeout ran");
	free(d);
	d = doc_of("to.summary.csv");
	for (int r = 1; r < d->n; r++)
		if (strcmp(cell(d, r, "workload"), "sleep") == 0) {
			cr_expect_str_eq(cell(d, r, "outcomes"), "timeout:2");
			cr_expect_str_eq(cell(d, r, "flags"), "failed");
			cr_expect_str_eq(cell(d, r, "median_s"), "");
		}
	free(d);
	free(p);
	scratch_remove();
}

/* ---- SIGINT ---- */

/* How many live processes descend from us (zombies do not count), from /proc. */
static int live_descendants(void)
{
	static struct proc_link {
		pid_t pid, ppid;
	} ps[8192];
	int n = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d)) && n < 8192;) {
		char path[300], buf[512], state;
		int ppid;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = '\0';
		const char *end = strrchr(buf, ')');
		if (end && sscanf(end + 1, " %c %d", &state, &ppid) == 2 && state != 'Z')
			ps[n++] = (struct proc_link){(pid_t)atoi(e->d_name), (pid_t)ppid};
	}
	if (d)
		closedir(d);
	int count = 0;
	for (int i = 0; i < n; i++) {
		pid_t up = ps[i].ppid;
		for (int depth = 0; up > 1 && up != getpid() && depth < 64; depth++) {
			pid_t next = 0;
			for (int j = 0; j < n && !next; j++)
				if (ps[j].pid == up)
					next = ps[j].ppid;
			up = next;
		}
		count += up == getpid();
	}
	return count;
}

/* After the driver is gone: reaps what was left to us (we are the subreaper) and
 * fails if any descendant still lives after grace_s; kills what did. */
static void expect_no_descendants(pid_t group, double grace_s)
{
	double t0 = clock_now();
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r < 0 && errno == ECHILD)
			break;
		if (r == 0 && clock_now() - t0 > grace_s) {
			cr_expect_fail("%d processes of the run outlived it by %.1f s",
				       live_descendants(), grace_s);
			/* Ours now: none may run on after the test. */
			for (int round = 0; round < 100 && waitpid(-1, NULL, WNOHANG) >= 0; round++) {
				kill(-group, SIGKILL);
				char line[64];
				snprintf(line, sizeof line, "/proc/%d/task/%d/children", (int)getpid(),
					 (int)getpid());
				FILE *f = fopen(line, "r");
				for (int pid; f && fscanf(f, "%d", &pid) == 1;)
					kill(pid, SIGKILL);
				if (f)
					fclose(f);
				nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
			}
			break;
		}
		if (r == 0)
			nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
	cr_expect(kill(-group, 0) != 0 && errno == ESRCH, "its process group is not empty");
}

/* Sends sig after delay_s; expects exit 128 + sig soon after. */
static struct proc *interrupt_with(const char *args, double delay_s, int sig)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	struct proc *p = calloc(1, sizeof *p);
	double t0 = clock_now();
	proc_start(p, args, NULL, 0);
	nanosleep(&(struct timespec){(time_t)delay_s,
				     (long)((delay_s - (double)(time_t)delay_s) * 1e9)}, NULL);
	double sent = clock_now();
	cr_assert_eq(kill(p->pid, sig), 0);
	proc_wait(p, t0, 60);
	cr_expect_eq(p->status, 128 + sig, "%s: exit %d: %s", strsignal(sig), p->status, p->err);
	cr_expect_lt(clock_now() - sent, 5, "it took %.1f s to stop", clock_now() - sent);
	cr_expect(strstr(p->err, "interrupted"), "stderr: %s", p->err);
	expect_no_descendants(p->pid, 3);
	return p;
}

static struct proc *interrupt(const char *args, double delay_s)
{
	return interrupt_with(args, delay_s, SIGINT);
}

/* SIGTERM and SIGHUP stop the run as Ctrl-C does, and the exit says which (143, 129). */
Test(e2e, sigterm_and_sighup_exit_128_plus_the_signal)
{
	scratch_make("e2e");
	const int sigs[] = {SIGTERM, SIGHUP};
	for (int i = 0; i < 2; i++) {
		struct proc *p = interrupt_with("-q -w sleep -p sleep.ms=150 -r serial -n 1 "
						"--repeat 1000 --warmup 0 --no-floors -o @/t.csv",
						1.5, sigs[i]);
		struct doc *d = doc_of("t.csv");
		cr_expect_gt(d->n, 1, "%s: no finished trial was written", strsignal(sigs[i]));
		free(d);
		free(p);
	}
	scratch_remove();
}

/* Early, while the harness measures its floors: nothing is written, nothing lives on. */
Test(e2e, sigint_early)
{
	scratch_make("e2e");
	struct proc *p = interrupt("-q -w sleep -p sleep.ms=20000 -r procs,threads -n 3 "
				   "--repeat 3 --warmup 0 -o @/int.csv", 0.3);
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect(!strstr(listing, ".tmp"), "left: %s", listing);
	if (listing[0]) { /* trials had begun: then the files are whole */
		struct doc *d = doc_of("int.csv");
		expect_rectangular(d, "trials");
		free(d);
	}
	free(p);
	scratch_remove();
}

/* Later, with trials done and one under way (in worker processes): the finished ones
 * are written whole, the one cut short is not among them. */
Test(e2e, sigint_writes_finished_trials)
{
	scratch_make("e2e");
	/* No floors: on a loaded machine they could outlast the delay before SIGINT. */
	struct proc *p = interrupt("-q -w sleep -p sleep.ms=150 -r serial,procs -n 2 "
				   "--repeat 1000 --warmup 1 --no-floors -o @/int.csv", 3.0);
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect_str_eq(listing, "int.csv int.json int.meta.csv int.summary.csv");
	struct doc *d = doc_of("int.csv");
	expect_header(d, trial_columns, sizeof trial_columns / sizeof trial_columns[0], "trials");
	expect_rectangular(d, "trials");
	cr_expect_gt(d->n, 1, "no finished trial was written");
	for (int r = 1; r < d->n; r++)
		cr_expect_str_eq(cell(d, r, "outcome"), "ok", "row %d", r);
	cr_expect_str_eq(cell(d, 1, "warmup"), "1");
	int rows = d->n - 1;
	free(d);
	d = doc_of("int.summary.csv");
	expect_rectangular(d, "summary");
	cr_expect_eq(d->n, 1 + 2, "a summary row per cell");
	/* 1000 trials planned, a few done: every cell is partial, and says so. */
	for (int r = 1; r < d->n; r++) {
		cr_expect(strstr(cell(d, r, "flags"), "partial"), "row %d flags '%s'", r,
			  cell(d, r, "flags"));
		cr_expect_str_eq(cell(d, r, "trials_planned"), "1000");
	}
	free(d);
	d = doc_of("int.meta.csv");
	char done[16];
	snprintf(done, sizeof done, "%d", rows);
	cr_expect_str_eq(meta_value(d, "interrupted"), "1");
	cr_expect_str_eq(meta_value(d, "trials_done"), done, "the rows of the trials file");
	cr_expect_str_eq(meta_value(d, "trials_planned"), "2002");
	cr_expect(strstr(p->out, " of 1000 trials)"), "the table says how partial: %s", p->out);
	free(d);
	free(p);
	scratch_remove();
}

/* Stopped in its first trial, before any measured trial ended: nothing is written, the
 * earlier set stays byte for byte, and stderr says so. */
Test(e2e, sigint_in_the_first_trial_keeps_the_old_set)
{
	scratch_make("e2e");
	struct proc *p = run("-q --no-floors -w sleep -p sleep.ms=1 -r serial -n 1 --repeat 1 "
			     "--warmup 0 -o @/keep.csv");
	cr_assert_eq(p->status, 0, "%s", p->err);
	free(p);
	const char *names[] = {"keep.csv", "keep.summary.csv", "keep.meta.csv", "keep.json"};
	char *before[4];
	size_t len[4];
	for (int i = 0; i < 4; i++) {
		before[i] = slurp_scratch(names[i], &len[i]);
		cr_assert_gt(len[i], 0, "%s is empty", names[i]);
	}
	p = interrupt("-q --no-floors -w sleep -p sleep.ms=20000 -r serial -n 1 --repeat 3 "
		      "--warmup 1 -o @/keep.csv", 1.0);
	cr_expect(strstr(p->err, "nothing written") && strstr(p->err, "keep.csv"), "%s", p->err);
	cr_expect(strstr(p->err, "after 0 of 4 trials"), "%s", p->err);
	for (int i = 0; i < 4; i++) {
		size_t n;
		char *now = slurp_scratch(names[i], &n);
		cr_expect(n == len[i] && memcmp(now, before[i], n) == 0, "%s changed", names[i]);
		free(now);
		free(before[i]);
	}
	char listing[256];
	scratch_list(listing, sizeof listing, NULL);
	cr_expect_str_eq(listing, "keep.csv keep.json keep.meta.csv keep.summary.csv");
	free(p);
	scratch_remove();
}

/* ---- kill -9 of the driver ---- */

/* A stand-in py-serial for the run below: it declares the sleep workload (asked at plan
 * time); run, it makes a grandchild in a session of its own, then sleeps, so the trial
 * is under way when the driver is killed. */
static const char sleeping_peer[] =
	"import os, sys, time\n"
	"if sys.argv[1:] == ['--list']:\n"
	"    print('concbench-peer workloads=sleep')\n"
	"    sys.exit(0)\n"
	"if os.fork() == 0:\n"
	"    os.setsid()\n"
	"    if os.fork() == 0:\n"
	"        null = os.open('/dev/null', os.O_RDWR)\n"
	"        for fd in (0, 1, 2):\n"
	"            os.dup2(null, fd)\n"
	"        time.sleep(1000)\n"
	"    os._exit(0)\n"
	"time.sleep(1000)\n";

struct sigkill_case {
	const char *args;
	bool python;  /* needs /usr/bin/python3 */
	bool own_peer; /* py-serial is sleeping_peer */
	int procs;    /* our descendants while its trial is under way, the driver among them */
};

static const struct sigkill_case sigkill_cases[] = {
	/* the driver, the trial child, 3 workers */
	{"-w sleep -p sleep.ms=60000 -r procs -n 3", false, false, 5},
	/* the driver, the delay server, the trial child */
	{"-w http -p http.delay_ms=60000 -r threads -n 2", false, false, 3},
	/* the driver, the trial child, Python, its 2 pool workers */
	{"-w countdown -p countdown.n=400000000000 -r py-procs -n 2", true, false, 5},
	/* the driver, the trial child, Python, its grandchild */
	{"-w sleep -p sleep.ms=60000 -r py-serial -n 1", true, true, 4},
};

Test(e2e, sigkill_of_the_driver_leaves_nothing_running, .timeout = 240)
{
	scratch_make("e2e");
	char dir[128], env[192];
	scratch_path(dir, sizeof dir, "peers");
	mkdir(dir, 0755);
	strcat(dir, "/python");
	mkdir(dir, 0755);
	scratch_file("peers/python/peer_serial.py", sleeping_peer);
	scratch_path(dir, sizeof dir, "peers");
	snprintf(env, sizeof env, "CONCBENCH_PEERS_DIR=%s", dir);
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (size_t i = 0; i < sizeof sigkill_cases / sizeof sigkill_cases[0]; i++) {
		const struct sigkill_case *c = &sigkill_cases[i];
		if (c->python && access("/usr/bin/python3", X_OK) != 0) {
			cr_log_warn("'%s' skipped: no /usr/bin/python3", c->args);
			continue;
		}
		char args[512];
		snprintf(args, sizeof args, "-q --no-floors --repeat 1 --warmup 0 -o @/k.csv %s",
			 c->args);
		struct proc *p = calloc(1, sizeof *p);
		proc_start(p, args, c->own_peer ? env : NULL, 0);
		/* Under way: all its processes there for 300 ms, past any passing fork. */
		double t0 = clock_now();
		for (int steady = 0; steady < 6 && clock_now() - t0 < 60;) {
			steady = live_descendants() >= c->procs ? steady + 1 : 0;
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
		}
		cr_expect_geq(live_descendants(), c->procs, "'%s' never got under way", c->args);
		cr_assert_eq(kill(p->pid, SIGKILL), 0);
		expect_no_descendants(p->pid, 1.0);
		cr_expect_eq(live_descendants(), 0, "'%s': left running", c->args);
		close(p->out_fd);
		close(p->err_fd);
		free(p);
	}
	scratch_remove();
}

/* ---- presets through the binary ---- */

static const char tiny_presets[] =
	"# for the tests\n"
	"[tiny]\n"
	"title = one countdown\n"
	"args = -w countdown -p countdown.n=1000 -r serial -n 1 --repeat 1 --warmup 0\n"
	"[tiny-threads]\n"
	"title = the same under threads\n"
	"args = -w countdown -p countdown.n=1000 -r threads -n 1 --repeat 1 --warmup 0\n"
	"[slow]\n"
	"title = a sleep its own timeout cuts short\n"
	"args = -w sleep -p sleep.ms=20000 -r serial -n 1 --repeat 1 --warmup 0 --timeout 0.2\n";

struct preset_case {
	const char *args;
	int status;
	const char *want; /* in stderr when the status is 2, else in the preset column */
};

static const struct preset_case preset_cases[] = {
	{"--preset tiny", 0, "tiny"},
	{"--preset tiny --repeat 2", 0, "tiny"}, /* own options override the preset's */
	{"--preset tiny,tiny-threads", 0, "tiny-threads"},
	/* a preset's --timeout holds for its own cells only */
	{"--preset slow,tiny", 1, "slow"},
	{"--preset nope", 2, "unknown preset 'nope' (allowed: all, tiny, tiny-threads, slow)"},
	{"--preset tiny -n 0", 2, "--tasks: 0 is out of range"},
};

Test(e2e, presets)
{
	scratch_make("e2e");
	char env[128];
	mkdir(strcat(strcpy(env, scratch), "/p"), 0755);
	scratch_file("p/t.preset", tiny_presets);
	snprintf(env, sizeof env, "CONCBENCH_PRESETS=%s/p", scratch);
	for (size_t i = 0; i < sizeof preset_cases / sizeof preset_cases[0]; i++) {
		const struct preset_case *t = &preset_cases[i];
		char args[256];
		snprintf(args, sizeof args, "-q --no-floors -o @/out.csv %s", t->args);
		struct proc *p = run_as(args, env, 0);
		cr_expect_eq(p->status, t->status, "'%s': exit %d (%s)", t->args, p->status, p->err);
		if (t->status == 2) {
			cr_expect(strstr(p->err, t->want), "'%s': '%s'", t->args, p->err);
		} else {
			struct doc *d = doc_of("out.csv");
			bool found = false;
			for (int r = 1; r < d->n; r++) {
				bool mine = strcmp(cell(d, r, "preset"), t->want) == 0;
				found |= mine;
				if (strcmp(cell(d, r, "preset"), "slow") == 0)
					cr_expect_str_eq(cell(d, r, "outcome"), "timeout");
				else
					cr_expect_str_eq(cell(d, r, "outcome"), "ok");
			}
			cr_expect(found, "'%s': no row of preset %s", t->args, t->want);
			if (strstr(t->args, "--repeat 2"))
				cr_expect_eq(d->n, 1 + 2, "'%s': %d rows", t->args, d->n - 1);
			free(d);
		}
		free(p);
	}

	scratch_file("p/t.preset", "[tiny]\nargs = -n 1\nbroken line\n");
	struct proc *p = run_as("-q --preset tiny", env, 0);
	cr_expect_eq(p->status, 2);
	cr_expect(strstr(p->err, "t.preset:3: expected 'key = value' or '[name]'"), "%s", p->err);
	free(p);
	scratch_remove();
}

/* ---- --dry-run: the cells, narrowed presets, sweeps; nothing run or written ---- */

/* The cell lines of a dry run's stdout: those after its header, up to the blank line. */
static int dry_cells(const char *out, char lines[][256], int max)
{
	const char *l = strchr(out, '\n');
	int n = 0;
	cr_assert(l && strncmp(out, "preset ", 7) == 0, "no header: '%s'", out);
	for (l++; *l && *l != '\n'; n++) {
		const char *e = strchr(l, '\n');
		cr_assert(e, "'%s': cut short", out);
		if (n < max)
			snprintf(lines[n], 256, "%.*s", (int)(e - l), l);
		l = e + 1;
	}
	return n;
}

struct dry_case {
	const char *args;
	int ncells;
	const char *each; /* words every cell line holds, space-separated */
};

static const struct dry_case dry_cases[] = {
	/* -w/-r/-n/-j with a preset narrow its cells (they used to add) */
	{"--preset waiting -r evloop -n 10 --scale 0.1 --repeat 3", 1, "waiting sleep evloop 10 1+3"},
	{"--preset cpu -w power -r threads", 1, "cpu power threads"},
	{"--preset waiting -r evloop,green -n 10,100", 4, "waiting sleep"},
	{"--preset waiting --filter runner=evloop --filter tasks<=100", 3, "waiting evloop"},
	{"--preset switch,d-switch -r threads", 2, "pingpong threads"},
	/* a -p goes to the sweeps that run its module, and sweeps there too */
	{"--preset cpu -r threads -w power -p power.exp=10,20 -p countdown.n=5", 2,
	 "cpu power threads"},
	/* -p lists and ranges sweep like -n; a repeated -p adds */
	{"-w sleep -r serial,evloop -p sleep.ms=1,2 -n 1,2", 8, "sleep"},
	{"-w sleep -r evloop -p sleep.ms=1 -p sleep.ms=2..8:x2", 4, "sleep evloop"},
	{"-w countdown -r threads -p countdown.n=1e3..1e6:x10 -n 2", 4, "countdown threads"},
	{"-w sleep -r evloop -n 1..1000:x10 --filter tasks>=10", 3, "sleep evloop"},
};

Test(e2e, dry_run_lists_the_cells_and_writes_nothing)
{
	scratch_make("e2e");
	for (size_t i = 0; i < sizeof dry_cases / sizeof dry_cases[0]; i++) {
		const struct dry_case *t = &dry_cases[i];
		char args[512], lines[64][256], listing[256];
		snprintf(args, sizeof args, "--dry-run -o @/out.csv %s", t->args);
		struct proc *p = run(args);
		cr_expect_eq(p->status, 0, "'%s': exit %d (%s)", t->args, p->status, p->err);
		int n = dry_cells(p->out, lines, 64);
		cr_expect_eq(n, t->ncells, "'%s': %d cells:\n%s", t->args, n, p->out);
		for (int k = 0; k < n && k < 64; k++) {
			char words[128];
			snprintf(words, sizeof words, "%s", t->each);
			char *save, *w = strtok_r(words, " ", &save);
			for (; w; w = strtok_r(NULL, " ", &save)) {
				char pad[64];
				snprintf(pad, sizeof pad, " %s ", w);
				cr_expect(strstr(lines[k], pad) || strncmp(lines[k], pad + 1, strlen(w) + 1) == 0,
					  "'%s': cell '%s' lacks '%s'", t->args, lines[k], w);
			}
		}
		cr_expect(strstr(p->out, "trials ("), "'%s': no totals: %s", t->args, p->out);
		cr_expect_lt(p->elapsed_s, 10, "'%s': a dry run runs nothing", t->args);
		scratch_list(listing, sizeof listing, NULL);
		cr_expect_str_eq(listing, "", "'%s' wrote %s", t->args, listing);
		free(p);
	}
	scratch_remove();
}

/* The estimate is the ideal times the trials: 2 cells of 1 + 3 trials of 100 ms and
 * 1 s (10 tasks one at a time), 4.4 s in all. */
Test(e2e, dry_run_estimates_from_the_ideal)
{
	struct proc *p = run("--dry-run -w sleep -r serial,evloop -n 10 --repeat 3 --warmup 1 "
			     "--filter runner=serial,evloop");
	cr_expect_eq(p->status, 0, "%s", p->err);
	cr_expect(strstr(p->out, "2 cells, 8 trials (2 warm-up + 6 measured); estimated at least "
			 "4.4 s of trials"), "%s", p->out);
	cr_expect(strstr(p->out, "  1+3  100 ms    400 ms\n"), "%s", p->out);
	cr_expect(strstr(p->out, "  1+3     1 s       4 s\n"), "%s", p->out);
	free(p);
	p = run("--dry-run -w countdown -r serial");
	cr_expect(strstr(p->out, "no estimate of the time"), "%s", p->out);
	free(p);
}

/* --add keeps the old way: the command line's lists join each sweep of the preset. */
Test(e2e, add_adds_to_a_preset)
{
	char lines[1][256];
	struct proc *base = run("--dry-run --preset switch");
	struct proc *added = run("--dry-run --preset switch --add -r serial -n 4");
	cr_expect_eq(added->status, 0, "%s", added->err);
	int nb = dry_cells(base->out, lines, 0), na = dry_cells(added->out, lines, 0);
	/* 4 runners x N=2 before; serial joins and N=4 too: 5 runners x 2 sizes */
	cr_expect_eq(nb, 4, "%s", base->out);
	cr_expect_eq(na, 10, "%s", added->out);
	free(base);
	free(added);
}

/* A run narrowed from a preset runs only its cells. */
Test(e2e, narrowed_preset_runs_only_its_cells)
{
	scratch_make("e2e");
	struct proc *p = run("-q --no-floors -o @/out.csv --preset waiting -r evloop -n 10 "
			     "--scale 0.02 --repeat 2 --warmup 0");
	cr_expect_eq(p->status, 0, "%s", p->err);
	struct doc *d = doc_of("out.csv");
	cr_expect_eq(d->n, 1 + 2, "%d rows", d->n - 1);
	for (int r = 1; r < d->n; r++) {
		cr_expect_str_eq(cell(d, r, "runner"), "evloop");
		cr_expect_str_eq(cell(d, r, "tasks"), "10");
		cr_expect_str_eq(cell(d, r, "preset"), "waiting");
	}
	free(d);
	free(p);
	scratch_remove();
}

/* ---- a preset's errors name the file and line of the words at fault ---- */

struct preset_error_case {
	const char *preset;
	const char *want;
};

static const struct preset_error_case preset_error_cases[] = {
	{"bad-value", "t.preset:4: preset bad-value: sleep.ms: -1 is out of range"},
	{"bad-name", "t.preset:6: preset bad-name: unknown workload 'nosuch'"},
	{"nested", "t.preset:8: preset nested: --preset is an option of the whole run, not of "
		   "a preset"},
	{"heap", "t.preset:10: preset heap: --heap is an option of the whole run"},
	{"out", "t.preset:12: preset out: -o/--output is an option of the whole run"},
	{"bad-word", "t.preset:14: preset bad-word: --tasks: 'x' is not a whole number"},
};

Test(e2e, preset_errors_name_their_line_and_long_lines_are_kept_whole)
{
	scratch_make("e2e");
	char env[128], *text = malloc(4096);
	mkdir(strcat(strcpy(env, scratch), "/p"), 0755);
	snprintf(env, sizeof env, "CONCBENCH_PRESETS=%s/p", scratch);
	/* The last args line is 1,600 characters long, its -n at the very end. */
	snprintf(text, 4096,
		 "[bad-value]\ntitle = x\nargs = -w sleep -r serial -n 1\n"
		 "args = -w sleep -r serial -p sleep.ms=-1\n"
		 "[bad-name]\nargs = -w nosuch -r serial\n"
		 "[nested]\nargs = -w sleep -r serial --preset bad-name\n"
		 "[heap]\nargs = -w sleep --heap huge\n"
		 "[out]\nargs = -w sleep -o x.csv\n"
		 "[bad-word]\nargs = -w sleep -n x\n"
		 "[long]\nargs = -w sleep -p sleep.ms=1 -r serial --repeat 1 --warmup 0%1560s-n 2\n",
		 "");
	scratch_file("p/t.preset", text);
	free(text);
	for (size_t i = 0; i < sizeof preset_error_cases / sizeof preset_error_cases[0]; i++) {
		const struct preset_error_case *t = &preset_error_cases[i];
		char args[128];
		snprintf(args, sizeof args, "-q --no-floors -o @/e.csv --preset %s", t->preset);
		struct proc *p = run_as(args, env, 0);
		cr_expect_eq(p->status, 2, "%s: exit %d (%s)", t->preset, p->status, p->err);
		cr_expect(strstr(p->err, t->want), "%s: '%s' lacks '%s'", t->preset, p->err, t->want);
		char out[256];
		scratch_path(out, sizeof out, "e.csv");
		cr_expect(access(out, F_OK) != 0, "%s: wrote a file", t->preset);
		free(p);
	}
	struct proc *p = run_as("-q --no-floors -o @/long.csv --preset long", env, 0);
	cr_expect_eq(p->status, 0, "exit %d (%s)", p->status, p->err);
	struct doc *d = doc_of("long.csv");
	cr_assert_eq(d->n, 1 + 1, "%d rows", d->n - 1);
	cr_expect_str_eq(cell(d, 1, "tasks"), "2", "the -n at the end of the line was dropped");
	free(d);
	free(p);
	scratch_remove();
}
