/* A trial child as such (its record whole, or why none came), and one cell's trial
 * through the driver's own trialcell_run: whatever becomes of it (ok, crashed,
 * killed by its timeout), nothing it started lives on when its row is written, not
 * even a process in a session of its own; the same for a peer's grandchild; and a
 * trial the OOM killer took says so. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "plan.h"
#include "trial.h"
#include "trialcell.h"

/* ---- a trial child as such ---- */

enum body_end { BODY_REPORTS, BODY_EXITS, BODY_CRASHES, BODY_HANGS };

/* A record of nearly PIPE_BUF bytes, so that it may come in more than one read. */
struct body_rec {
	char bytes[PIPE_BUF - 16];
};

static void body_of(void *arg, void *rec)
{
	struct body_rec *r = rec;
	switch (*(const enum body_end *)arg) {
	case BODY_REPORTS:
		for (size_t i = 0; i < sizeof r->bytes; i++)
			r->bytes[i] = (char)(i % 251);
		return;
	case BODY_EXITS:
		_exit(3);
	case BODY_CRASHES:
		signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would exit instead */
		raise(SIGSEGV);
		return;
	case BODY_HANGS:
		sleep(30);
		return;
	}
}

/* Whatever the body does, trial_spawn comes back, says whether its record came, and
 * why not; a record too big for one pipe write is refused before any fork. */
Test(trial, a_child_reports_or_its_end_is_named)
{
	static const struct {
		enum body_end end;
		bool got, timed_out;
		const char *note;
	} cases[] = {
		{BODY_REPORTS, true, false, ""},
		{BODY_EXITS, false, false, "trial child exited with status 3 before reporting"},
		{BODY_CRASHES, false, false, "trial child killed by signal 11 (Segmentation fault)"},
		{BODY_HANGS, false, true, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct body_rec rec;
		struct trial_seen s;
		struct cb_err err = {0};
		double t0 = clock_now();
		cr_assert_eq(trial_spawn(body_of, (void *)&cases[i].end, &rec, sizeof rec, 0.5, &s,
					 &err), CB_OK, "case %zu: %s", i, err.msg);
		cr_expect_eq(s.got, cases[i].got, "case %zu", i);
		cr_expect_eq(s.timed_out, cases[i].timed_out, "case %zu", i);
		cr_expect_lt(clock_now() - t0, 5.0, "case %zu: the timeout was 0.5 s", i);
		char note[128] = "";
		if (!s.got && !s.timed_out)
			trial_exit_note(&s, note, sizeof note);
		cr_expect_str_eq(note, cases[i].note, "case %zu", i);
		int wrong = 0;
		for (size_t k = 0; s.got && k < sizeof rec.bytes; k++)
			wrong += rec.bytes[k] != (char)(k % 251);
		cr_expect_eq(wrong, 0, "case %zu: %d bytes of the record wrong", i, wrong);
	}
	static char big[PIPE_BUF + 1];
	struct trial_seen s;
	struct cb_err err = {0};
	enum body_end end = BODY_REPORTS;
	cr_expect_eq(trial_spawn(body_of, &end, big, sizeof big, 1.0, &s, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "at most"), "%s", err.msg);
}

/* ---- running one trial ---- */

/* Runs a cell of one task of wl (configured as cfg) under the runner named; returns
 * trialcell_run's code, the row filled. No Criterion assertion: it also runs in helpers. */
static int trial_once(const struct workload *wl, void *cfg, const char *runner, double timeout_s,
		      struct trial_row *row, struct cb_err *err)
{
	struct wl_inst wi = {.wl = wl, .cfg = cfg};
	struct rn_inst ri = {.rn = runner_find(runner)};
	if (!ri.rn)
		return cb_fail(err, CB_EINVAL, "no runner %s", runner);
	int rc = params_init(&ri.params, ri.rn->name, ri.rn->params, err);
	if (rc)
		return rc;
	struct cell c = {.wi = &wi, .ri = &ri, .tasks = 1, .workers = 1, .repeat = 1,
			 .timeout_s = timeout_s};
	*row = (struct trial_row){0};
	rc = trialcell_run(&c, timeout_s, row, err);
	params_free(&ri.params);
	return rc;
}

/* Whether pid is a live process (a zombie is not). */
static bool alive(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *end = strrchr(buf, ')');
	return end && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

/* The test's own clean-up of what a failing check left running. */
static void expect_gone(pid_t pid, const char *what)
{
	cr_assert_gt(pid, 0, "%s: no pid came back", what);
	bool live = alive(pid);
	cr_expect(!live, "%s: process %d outlived its trial", what, (int)pid);
	if (live)
		kill(pid, SIGKILL);
}

/* ---- a C task that leaves a process behind ---- */

/* Where the escaped process's pid comes back: a page the trial child shares. */
static pid_t *escaped;

enum escape_end { ESCAPE_OK, ESCAPE_CRASH, ESCAPE_HANG };

/* Leaves a grandchild in a session of its own (out of reach of a group kill), which
 * lost its parent (so it is nobody's child), then ends as arg says. */
static enum step_status step_escape(void *state, const void *arg)
{
	(void)state;
	pid_t mid = fork();
	if (mid == 0) {
		setsid();
		pid_t g = fork();
		if (g == 0)
			for (;;)
				pause();
		*escaped = g;
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	if (*(const enum escape_end *)arg == ESCAPE_CRASH)
		raise(SIGKILL);
	if (*(const enum escape_end *)arg == ESCAPE_HANG)
		sleep(30);
	return STEP_OK;
}

static const enum escape_end escape_ends[] = {ESCAPE_OK, ESCAPE_CRASH, ESCAPE_HANG};
static const struct step escape_steps[] = {
	{.kind = STEP_COMPUTE, .compute = {step_escape, &escape_ends[0]}},
	{.kind = STEP_COMPUTE, .compute = {step_escape, &escape_ends[1]}},
	{.kind = STEP_COMPUTE, .compute = {step_escape, &escape_ends[2]}},
};

static int escape_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			struct cb_err *err)
{
	(void)workers;
	return taskset_alloc(ts, ntasks, cfg, 1, err);
}

static const struct workload escape_workload = {
	.name = "escape",
	.build = escape_build,
	.release = taskset_free,
};

Test(trial, nothing_a_task_started_outlives_its_trial)
{
	static const struct {
		int end;
		const char *outcome;
	} cases[] = {{ESCAPE_OK, "ok"}, {ESCAPE_CRASH, "crashed"}, {ESCAPE_HANG, "timeout"}};
	escaped = mmap(NULL, sizeof *escaped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	cr_assert_neq(escaped, MAP_FAILED);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		*escaped = 0;
		struct trial_row row;
		struct cb_err err = {0};
		cr_assert_eq(trial_once(&escape_workload, (void *)&escape_steps[cases[i].end],
					"serial", 1.0, &row, &err), CB_OK, "%s", err.msg);
		cr_expect_str_eq(row.outcome, cases[i].outcome, "note: %s", row.note);
		expect_gone(*escaped, cases[i].outcome);
	}
	munmap(escaped, sizeof *escaped);
}

/* ---- a peer that leaves a process behind ---- */

/* A stand-in py-serial: a grandchild in its own session, its pid in $CB_TEST_PIDFILE,
 * holding the peer's stdout and stderr when $CB_TEST_KEEP_FDS is 1; then a result. */
static const char escaping_peer[] =
	"import os, sys, time\n"
	"mid = os.fork()\n"
	"if mid == 0:\n"
	"    os.setsid()\n"
	"    g = os.fork()\n"
	"    if g == 0:\n"
	"        if os.environ.get('CB_TEST_KEEP_FDS') != '1':\n"
	"            null = os.open('/dev/null', os.O_RDWR)\n"
	"            for fd in (0, 1, 2):\n"
	"                os.dup2(null, fd)\n"
	"        while True:\n"
	"            time.sleep(100)\n"
	"    with open(os.environ['CB_TEST_PIDFILE'], 'w') as f:\n"
	"        f.write(str(g))\n"
	"    os._exit(0)\n"
	"os.waitpid(mid, 0)\n"
	"n = sys.argv[sys.argv.index('--tasks') + 1]\n"
	"print('concbench-peer wall_s=0.01 ok=%s failed=0' % n, flush=True)\n";

static const struct step nap_step = {.kind = STEP_SLEEP, .sleep.ns = 1000000};

static int nap_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		     struct cb_err *err)
{
	(void)cfg, (void)workers;
	return taskset_alloc(ts, ntasks, &nap_step, 1, err);
}

/* The peers run the sleep workload by name; its tasks are what a peer's argv needs. */
static const struct workload sleep_named = {
	.name = "sleep",
	.build = nap_build,
	.release = taskset_free,
};

static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

Test(trial, nothing_a_peer_started_outlives_its_trial)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3 for the stand-in peer");
	char dir[] = "/tmp/cb-test-trial-XXXXXX", path[256], pidfile[256];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/python", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/python/peer_serial.py", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(escaping_peer, f);
	fclose(f);
	snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
	setenv("CONCBENCH_PEERS_DIR", dir, 1);
	setenv("CB_TEST_PIDFILE", pidfile, 1);
	static const char *const keep[] = {"0", "1"};
	for (size_t i = 0; i < 2; i++) {
		setenv("CB_TEST_KEEP_FDS", keep[i], 1);
		unlink(pidfile);
		struct trial_row row;
		struct cb_err err = {0};
		/* The grandchild holding the peer's output must not hold the trial until its
		 * timeout: the peer's exit ends it. */
		cr_assert_eq(trial_once(&sleep_named, NULL, "py-serial", 20.0, &row, &err), CB_OK,
			     "%s", err.msg);
		cr_expect_str_eq(row.outcome, "ok", "keep fds %s: note: %s", keep[i], row.note);
		cr_expect_lt(row.trial_s, 10, "keep fds %s: %.1f s", keep[i], row.trial_s);
		expect_gone(read_pid(pidfile), keep[i][0] == '1' ? "holding the output" : "detached");
	}
	unsetenv("CONCBENCH_PEERS_DIR");
	unsetenv("CB_TEST_PIDFILE");
	unsetenv("CB_TEST_KEEP_FDS");
	unlink(pidfile);
	unlink(path);
	snprintf(path, sizeof path, "%s/python", dir);
	rmdir(path);
	rmdir(dir);
}

/* ---- the OOM killer ---- */

/* Touches a GiB, page by page: far more than the cgroup the test gives it. */
static enum step_status step_hog(void *state, const void *arg)
{
	(void)state, (void)arg;
	size_t n = (size_t)1 << 30;
	volatile char *p = malloc(n);
	if (!p)
		return STEP_FAIL;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	free((void *)p);
	return STEP_OK;
}

static const struct step hog_step = {.kind = STEP_COMPUTE, .compute.fn = step_hog};

static int hog_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		     struct cb_err *err)
{
	(void)cfg, (void)workers;
	return taskset_alloc(ts, ntasks, &hog_step, 1, err);
}

static const struct workload hog_workload = {
	.name = "hog",
	.build = hog_build,
	.release = taskset_free,
};

static bool write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* The mount point of a cgroup hierarchy: cgroup2, or the v1 one with controller
 * `ctl`; only a mount of the hierarchy's root, so our path below it is whole. */
static bool cgroup_mount(bool v2, char *mnt, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f)) {
		char root[256], point[256], type[64], opts[512];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %255s %255s", root, point) != 2 ||
		    sscanf(dash, " - %63s %*s %511s", type, opts) != 2 || strcmp(root, "/") != 0)
			continue;
		found = v2 ? strcmp(type, "cgroup2") == 0
			   : strcmp(type, "cgroup") == 0 && strstr(opts, "memory") != NULL;
		if (found)
			snprintf(mnt, len, "%s", point);
	}
	if (f)
		fclose(f);
	return found;
}

/* Our own cgroup's path in the v2 hierarchy, or in the v1 memory one. */
static bool cgroup_path(bool v2, char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[1024];
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f)) {
		char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		found = v2 ? strcmp(ctl + 1, "") == 0 : strstr(ctl + 1, "memory") != NULL;
		if (found)
			snprintf(path, len, "%s", p);
	}
	if (f)
		fclose(f);
	return found;
}

/* Makes a cgroup below ours whose memory is limited to `limit` ("64M"): cgroup v2's
 * memory.max where its memory controller is ours, else v1's memory.limit_in_bytes.
 * False, with why, where neither can be made. */
static bool memcg_make(char *dir, size_t len, char *why, size_t wlen)
{
	static const struct {
		bool v2;
		const char *file, *limit;
	} kinds[] = {{true, "memory.max", "67108864"}, {false, "memory.limit_in_bytes", "67108864"}};
	snprintf(why, wlen, "no cgroup hierarchy with a memory controller");
	for (size_t k = 0; k < 2; k++) {
		char mnt[256], path[256];
		if (!cgroup_mount(kinds[k].v2, mnt, sizeof mnt) ||
		    !cgroup_path(kinds[k].v2, path, sizeof path))
			continue;
		snprintf(dir, len, "%s%s/cb-test-oom-%d", mnt, strcmp(path, "/") ? path : "",
			 (int)getpid());
		if (mkdir(dir, 0755) != 0) {
			snprintf(why, wlen, "cannot make %s: %s", dir, strerror(errno));
			continue;
		}
		if (write_file(dir, kinds[k].file, kinds[k].limit))
			return true;
		snprintf(why, wlen, "cannot write %s/%s: %s", dir, kinds[k].file, strerror(errno));
		rmdir(dir);
	}
	return false;
}

Test(trial, an_oom_kill_is_named)
{
	char cg[600], why[700];
	if (!memcg_make(cg, sizeof cg, why, sizeof why))
		cr_skip_test("cannot limit a trial's memory here: %s", why);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t helper = fork();
	cr_assert_geq(helper, 0);
	if (helper == 0) {
		/* The helper is the driver, inside the limit with its trial child; the child's
		 * oom_score_adj of 1000 makes it the one the OOM killer takes. */
		struct trial_row row = {0};
		struct cb_err err = {0};
		char pid[16];
		snprintf(pid, sizeof pid, "%d", (int)getpid());
		if (!write_file(cg, "cgroup.procs", pid))
			snprintf(row.outcome, sizeof row.outcome, "unjoined");
		else if (trial_once(&hog_workload, NULL, "serial", 60, &row, &err) != CB_OK)
			cb_copy(row.note, err.msg, sizeof row.note);
		_exit(write(fds[1], &row, sizeof row) == sizeof row ? 0 : 1);
	}
	close(fds[1]);
	struct trial_row row = {0};
	ssize_t got = read(fds[0], &row, sizeof row);
	close(fds[0]);
	waitpid(helper, NULL, 0);
	rmdir(cg);
	cr_assert_eq(got, (ssize_t)sizeof row, "the helper sent no row");
	cr_assert_str_neq(row.outcome, "unjoined", "cannot join %s", cg);
	cr_expect_str_eq(row.outcome, "crashed", "note: %s", row.note);
	cr_expect(strstr(row.note, "killed by the OOM killer"), "note: %s", row.note);
	cr_expect(strstr(row.note, "peak RSS"), "note: %s", row.note);
}
