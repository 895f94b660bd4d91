/* The peers (Python, Go, Node programs run as external runners): every available peer
 * on countdown, power and sleep through the driver's own cell body; the workloads each
 * program declares, asked at plan time; broken peer programs that exit, crash or print
 * garbage; and the concbench binary running peers. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#include "cellrun.h"
#include "external.h"
#include "runner.h"
#include "workload.h"

struct peer_outcome {
	int rc;
	int ok, failed;
	int fail[FAIL_REASONS];
	double wall_s;  /* what the driver records: the peer's own figure when it gives one */
	bool own_wall;  /* whether it gave one */
	struct cb_err err;
};

/* Configures a workload from "key=value" pairs and runs it once under rn, with
 * every workload parameter passed on, through the driver's own cell body. */
static struct peer_outcome peer_try(const struct runner *rn, const char *wl_name,
				    const char *const *kv, int ntasks, int workers)
{
	const struct workload *wl = workload_find(wl_name);
	cr_assert_not_null(wl, "workload %s", wl_name);
	struct peer_outcome o = {0};
	struct params wp = {0}, rp = {0};
	cr_assert_eq(params_init(&wp, wl->name, wl->params, &o.err), CB_OK, "%s", o.err.msg);
	for (int i = 0; kv && kv[i]; i += 2)
		cr_assert_eq(params_set(&wp, kv[i], kv[i + 1], &o.err), CB_OK, "%s", o.err.msg);
	cr_assert_eq(params_init(&rp, rn->name, rn->params, &o.err), CB_OK, "%s", o.err.msg);
	char *wparams = params_format(&wp);
	cr_assert_not_null(wparams);
	void *cfg = NULL;
	cr_assert_eq(wl->configure(&wp, &cfg, &o.err), CB_OK, "%s", o.err.msg);
	if (wl->start)
		cr_assert_eq(wl->start(cfg, &o.err), CB_OK, "%s", o.err.msg);
	struct cellrun_in in = {.wl = wl, .cfg = cfg, .wparams = wparams, .rn = rn,
				.rparams = &rp, .ntasks = ntasks,
				.workers = rn->one_at_a_time ? 1 : workers};
	struct cellrun_out c;
	o.rc = cellrun_once(&in, &c);
	cr_assert_neq(c.stage, 1, "%s %s: build: %s", rn->name, wl_name, c.note);
	o.ok = c.tasks_ok;
	o.failed = c.tasks_failed;
	memcpy(o.fail, c.fail, sizeof o.fail);
	o.wall_s = c.wall_s;
	/* Without a figure of the peer's, cellrun_once copies the window it timed. */
	o.own_wall = c.wall_s != c.window_s;
	cb_copy(o.err.msg, c.note, sizeof o.err.msg);
	if (wl->finish)
		wl->finish(cfg);
	wl->config_free(cfg);
	params_free(&wp);
	params_free(&rp);
	free(wparams);
	return o;
}

/* Peers are the external runners. */
#define FOR_EACH_PEER(rn)                                                                \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if ((rn)->external)

static bool peer_ready(const struct runner *rn)
{
	struct cb_err err = {0};
	if (external_available(rn->external, &err) == CB_OK)
		return true;
	cr_expect(strstr(err.msg, "apt-get install") || strstr(err.msg, "CONCBENCH_PEERS_DIR"),
		  "%s: '%s' says nothing to do about it", rn->name, err.msg);
	cr_log_warn("%s skipped: %s", rn->name, err.msg);
	return false;
}

Test(peers, every_peer_is_registered)
{
	static const char *const names[] = {"py-serial", "py-threads", "py-procs", "py-asyncio",
					    "py-gevent", "go", "node"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct runner *rn = runner_find(names[i]);
		cr_assert_not_null(rn, "%s is not in the registry", names[i]);
		cr_expect_not_null(rn->external, "%s is not an external runner", names[i]);
	}
}

Test(peers, cpu_tasks_are_correct)
{
	static const char *const countdown_kv[] = {"n", "1000000", NULL};
	static const char *const power_kv[] = {"exp", "20000", NULL};
	const struct runner *rn;
	FOR_EACH_PEER(rn)
	{
		if (!peer_ready(rn))
			continue;
		struct peer_outcome o = peer_try(rn, "countdown", countdown_kv, 4, 2);
		cr_expect_eq(o.rc, CB_OK, "%s countdown: %s", rn->name, o.err.msg);
		cr_expect_eq(o.ok, 4, "%s countdown: %d ok (%s)", rn->name, o.ok, o.err.msg);
		cr_expect(o.own_wall, "%s countdown: no inner wall time", rn->name);
		o = peer_try(rn, "power", power_kv, 4, 2);
		cr_expect_eq(o.ok, 4, "%s power: %d ok (%s)", rn->name, o.ok, o.err.msg);
		cr_expect(o.own_wall, "%s power: no inner wall time", rn->name);
	}
}

Test(peers, sleep_is_concurrent_and_timed_inside)
{
	static const char *const kv[] = {"ms", "50", NULL};
	static const int limits[] = {0, 5}; /* all at once; 4 rounds of 5 */
	const int n = 20;
	const struct runner *rn;
	FOR_EACH_PEER(rn)
	{
		if (!peer_ready(rn))
			continue;
		for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
			int w = rn->one_at_a_time ? 1 : runner_workers(n, limits[l]);
			double ideal = (n + w - 1) / w * 0.050;
			struct peer_outcome o = peer_try(rn, "sleep", kv, n, limits[l]);
			cr_expect_eq(o.ok, n, "%s w=%d: %d ok (%s)", rn->name, w, o.ok, o.err.msg);
			cr_expect(o.own_wall, "%s w=%d: no inner wall time", rn->name, w);
			cr_expect_geq(o.wall_s, ideal - 0.002, "%s w=%d: %.3f s < ideal %.3f",
				      rn->name, w, o.wall_s, ideal);
			/* Wide: a pool of 20 forked Pythons takes a second on a busy 2-core box. */
			cr_expect_lt(o.wall_s, 3 * ideal + 3.0, "%s w=%d: %.3f s, ideal %.3f",
				     rn->name, w, o.wall_s, ideal);
		}
	}
}

/* mix: 4 tasks of 3 rounds of (5 ms of CPU, 20 ms of waiting), all at once and 2 at a
 * time; a task is its rounds in a row, and a worker's tasks follow each other. */
Test(peers, mix_computes_and_waits)
{
	static const char *const kv[] = {"cpu_us", "5000", "wait_ms", "20", "steps", "3", NULL};
	static const int limits[] = {0, 2};
	const int n = 4;
	const struct runner *rn;
	FOR_EACH_PEER(rn)
	{
		if (!peer_ready(rn))
			continue;
		for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
			int w = rn->one_at_a_time ? 1 : runner_workers(n, limits[l]);
			double ideal = (n + w - 1) / w * 3 * 0.025;
			struct peer_outcome o = peer_try(rn, "mix", kv, n, limits[l]);
			cr_expect_eq(o.ok, n, "%s w=%d: %d ok (%s)", rn->name, w, o.ok, o.err.msg);
			cr_expect_geq(o.wall_s, ideal - 0.002, "%s w=%d: %.3f s < ideal %.3f",
				      rn->name, w, o.wall_s, ideal);
			cr_expect_lt(o.wall_s, 3 * ideal + 3.0, "%s w=%d: %.3f s, ideal %.3f",
				     rn->name, w, o.wall_s, ideal);
		}
	}
}

/* Against the local delay server (CONCBENCH_HTTPD), then a port nobody listens on. */
Test(peers, http_fetches_are_checked)
{
	static const char *const local_kv[] = {"delay_ms", "50", "bytes", "2000", "fetches", "2",
					       NULL};
	static const char *const closed_kv[] = {"url", "http://127.0.0.1:1/", "timeout_ms", "2000",
						NULL};
	const struct runner *rn;
	FOR_EACH_PEER(rn)
	{
		if (!peer_ready(rn))
			continue;
		struct peer_outcome o = peer_try(rn, "http", local_kv, 10, 5);
		cr_expect_eq(o.ok, 10, "%s: %d ok (%s)", rn->name, o.ok, o.err.msg);
		double ideal = (rn->one_at_a_time ? 10 : 2) * 2 * 0.050;
		cr_expect(o.own_wall, "%s: no inner wall time", rn->name);
		cr_expect_geq(o.wall_s, ideal - 0.002, "%s: %.3f s < ideal %.3f", rn->name,
			      o.wall_s, ideal);
		o = peer_try(rn, "http", closed_kv, 3, 0);
		cr_expect_eq(o.fail[FAIL_FETCH], 3, "%s: %d of 3 failed fetching (%s)", rn->name,
			     o.fail[FAIL_FETCH], o.err.msg);
	}
}

/* Each program answers --list with the workloads it runs; one it lacks is refused with
 * that list. */
Test(peers, every_peer_declares_its_workloads)
{
	static const char *const runs[] = {"countdown", "power", "sleep", "http", "mix"};
	const struct runner *rn;
	FOR_EACH_PEER(rn)
	{
		if (!peer_ready(rn))
			continue;
		struct cb_err err = {0};
		for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
			cr_expect_eq(external_check_workload(rn->external, runs[i], &err), CB_OK,
				     "%s %s: %s", rn->name, runs[i], err.msg);
		cr_expect_eq(external_check_workload(rn->external, "bank", &err), CB_EINVAL,
			     "%s runs bank", rn->name);
		cr_expect(strstr(err.msg, "not 'bank' (allowed: countdown, power, sleep, http, mix)"),
			  "%s: %s", rn->name, err.msg);
	}
}

/* A stand-in py-serial below a fresh CONCBENCH_PEERS_DIR (dir, at least 64 bytes). */
static void standin_write(char *dir, const char *script)
{
	strcpy(dir, "/tmp/concbench-peers-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char path[512];
	snprintf(path, sizeof path, "%s/python", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/python/peer_serial.py", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(script, f);
	fclose(f);
	setenv("CONCBENCH_PEERS_DIR", dir, 1);
}

static void standin_remove(const char *dir)
{
	char path[512];
	static const char *const files[] = {"python/peer_serial.py", "asked", "python", ""};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	unsetenv("CONCBENCH_PEERS_DIR");
}

/* The list is the program's own, not one of ours, and it is asked once per process. */
Test(peers, the_list_is_the_programs_own_asked_once)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	static const char script[] =
		"import os, sys\n"
		"here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
		"open(os.path.join(here, 'asked'), 'a').write('x')\n"
		"if sys.argv[1:] == ['--list']:\n"
		"    print('hello')\n"
		"    print('concbench-peer workloads=sleep,stall')\n";
	char dir[64], asked[128];
	standin_write(dir, script);
	const struct external *x = runner_find("py-serial")->external;
	struct cb_err err = {0};
	cr_expect_eq(external_check_workload(x, "sleep", &err), CB_OK, "%s", err.msg);
	cr_expect_eq(external_check_workload(x, "stall", &err), CB_OK, "%s", err.msg);
	cr_expect_eq(external_check_workload(x, "countdown", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "not 'countdown' (allowed: sleep, stall)"), "%s", err.msg);
	snprintf(asked, sizeof asked, "%s/asked", dir);
	struct stat st;
	cr_expect(stat(asked, &st) == 0 && st.st_size == 1, "asked %ld times",
		  (long)(stat(asked, &st) == 0 ? st.st_size : 0));
	standin_remove(dir);
}

/* A program that gives no list: refused at plan time, saying why. */
Test(peers, a_program_without_a_list_is_refused_saying_why)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	static const struct {
		const char *script, *why;
	} cases[] = {
		{"import sys\nsys.stderr.write('boom\\n')\nsys.exit(1)\n",
		 "python/peer_serial.py --list exited with status 1: boom"},
		{"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
		 "python/peer_serial.py --list was killed by signal 9"},
		{"print('countdown')\n", "python/peer_serial.py --list printed no line "
		 "'concbench-peer workloads=<name>,<name>...'"},
		{"print('concbench-peer workloads=')\n", "printed no line"},
		{"print('concbench-peer workloads=a,,b')\n", "printed no line"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char dir[64];
		standin_write(dir, cases[i].script);
		struct cb_err err = {0};
		cr_expect_eq(external_check_workload(runner_find("py-serial")->external, "sleep",
						     &err), CB_EINVAL, "case %zu", i);
		cr_expect(strstr(err.msg, cases[i].why), "case %zu: '%s' lacks '%s'", i, err.msg,
			  cases[i].why);
		standin_remove(dir);
	}
}

/* The driver asks the program at plan time: exit 2, the program's own list. */
Test(peers, concbench_refuses_what_the_peer_does_not_declare)
{
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	char dir[64], cmd[1024];
	standin_write(dir, "print('concbench-peer workloads=sleep')\n");
	snprintf(cmd, sizeof cmd, "'%s' -w countdown -r py-serial -o %s/x.csv 2>%s/asked",
		 bin, dir, dir);
	int st = system(cmd);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d", cmd, st);
	char path[128], msg[1024] = "";
	snprintf(path, sizeof path, "%s/asked", dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(msg, sizeof msg, f));
	fclose(f);
	cr_expect(strstr(msg, "runner py-serial: the peers run only some workloads, each "
		  "re-implemented, not 'countdown' (allowed: sleep)"), "%s", msg);
	snprintf(path, sizeof path, "%s/x.csv", dir);
	cr_expect_neq(access(path, F_OK), 0, "%s was written", path);
	standin_remove(dir);
}

/* A stand-in py-serial program, and what the runner must make of it. */
struct broken_case {
	const char *script;
	int ok;              /* tasks of 5 reported ok */
	enum task_fail fail; /* the reason of the others */
	const char *note;    /* in err.msg; NULL: no note */
};

static const struct broken_case broken_cases[] = {
	{"import sys\nsys.stderr.write('boom\\n')\nsys.exit(1)\n", 0, FAIL_DIED,
	 "exited with status 1: boom"},
	{"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", 0, FAIL_DIED,
	 "killed by signal 9"},
	{"print('hello')\nprint('concbench-peer wall_s=x ok=banana')\n", 0, FAIL_DIED,
	 "result line"},
	{"print('no result at all')\n", 0, FAIL_DIED, "result line ''"},
	{"print('concbench-peer wall_s=0.1 ok=2 failed=0')\n", 0, FAIL_DIED, "summing to 5"},
	{"print('concbench-peer wall_s=nan ok=5 failed=0')\n", 0, FAIL_DIED, "result line"},
	{"print('noise')\nprint('concbench-peer wall_s=0.25 ok=3 failed=2')\n", 3, FAIL_CHECK,
	 NULL},
};

static void broken_write(const char *dir, const char *script)
{
	char path[512];
	snprintf(path, sizeof path, "%s/python", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/python/peer_serial.py", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(script, f);
	fclose(f);
}

static void broken_remove(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/python/peer_serial.py", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/python", dir);
	rmdir(path);
	rmdir(dir);
}

Test(peers, broken_peer_fails_every_task_with_a_reason)
{
	static const char *const kv[] = {"ms", "1", NULL};
	const struct runner *rn = runner_find("py-serial");
	cr_assert_not_null(rn);
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	char dir[] = "/tmp/concbench-peers-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	setenv("CONCBENCH_PEERS_DIR", dir, 1);
	for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
		const struct broken_case *c = &broken_cases[i];
		broken_write(dir, c->script);
		struct peer_outcome o = peer_try(rn, "sleep", kv, 5, 1);
		cr_expect_eq(o.rc, CB_OK, "case %zu: %s", i, o.err.msg);
		cr_expect_eq(o.ok, c->ok, "case %zu: %d ok", i, o.ok);
		cr_expect_eq(o.fail[c->fail], 5 - c->ok, "case %zu: %d %s", i, o.fail[c->fail],
			     task_fail_name(c->fail));
		if (c->note)
			cr_expect(strstr(o.err.msg, c->note), "case %zu: note '%s' lacks '%s'", i,
				  o.err.msg, c->note);
		else
			cr_expect(o.own_wall && fabs(o.wall_s - 0.25) < 1e-9, "case %zu: wall %.3f",
				  i, o.wall_s);
	}
	unsetenv("CONCBENCH_PEERS_DIR");
	broken_remove(dir);
}

/* The children of pid, up to max, from /proc. */
static int children_of(pid_t pid, pid_t *kids, int max)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	int n = 0;
	for (int k; f && n < max && fscanf(f, "%d", &k) == 1;)
		kids[n++] = (pid_t)k;
	if (f)
		fclose(f);
	return n;
}

/* py-procs killed by SIGKILL mid-run (its trial's time-out, the OOM killer): its pool
 * workers die with it rather than compute on until their task ends. */
Test(peers, py_procs_workers_die_with_the_peer)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		cr_skip_test("no /usr/bin/python3");
	/* Orphaned workers come to us, so we can tell when they are gone. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char prog[512];
	snprintf(prog, sizeof prog, "%s/python/peer_procs.py", CB_PEERS_DIR);
	fflush(NULL);
	pid_t peer = fork();
	cr_assert_geq(peer, 0);
	if (peer == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDOUT_FILENO);
		execl("/usr/bin/python3", "python3", prog, "--workload", "countdown", "--params",
		      "n=100000000000", "--tasks", "2", "--workers", "2", (char *)NULL);
		_exit(127);
	}
	pid_t kids[8];
	int n = 0;
	for (double t0 = clock_now(); (n = children_of(peer, kids, 8)) < 2 && clock_now() - t0 < 30;)
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	cr_assert_eq(n, 2, "the pool has %d workers", n);
	kill(peer, SIGKILL);
	waitpid(peer, NULL, 0);
	int gone = 0;
	for (double t0 = clock_now(); gone < n && clock_now() - t0 < 1.0;) {
		gone = 0;
		for (int i = 0; i < n; i++)
			gone += waitpid(kids[i], NULL, WNOHANG) == kids[i] || kill(kids[i], 0) != 0;
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
	cr_expect_eq(gone, n, "%d of %d pool workers outlived the peer by a second", n - gone, n);
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
}

/* The driver end to end: three peers beside serial, exit 0, one row each. */
Test(peers, concbench_runs_peers)
{
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	char runners[128] = "serial";
	static const char *const peers[] = {"py-asyncio", "go", "node"};
	int rows = 1;
	for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
		if (!peer_ready(runner_find(peers[i])))
			continue;
		strcat(runners, ",");
		strcat(runners, peers[i]);
		rows++;
	}
	char dir[] = "/tmp/concbench-peers-XXXXXX", out[128], cmd[1024];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/x.csv", dir);
	snprintf(cmd, sizeof cmd, "'%s' -w sleep -p sleep.ms=50 -r %s -n 20 --repeat 1 "
		 "--warmup 0 -q -o %s >/dev/null", bin, runners, out);
	int st = system(cmd);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
	FILE *f = fopen(out, "r");
	cr_assert_not_null(f, "%s was not written", out);
	char line[4096];
	int lines = 0, ok = 0;
	while (fgets(line, sizeof line, f)) {
		lines++;
		ok += strstr(line, ",ok,") != NULL;
	}
	fclose(f);
	cr_expect_eq(lines, rows + 1, "%d lines for %d runners", lines, rows);
	cr_expect_eq(ok, rows, "%d rows ok of %d", ok, rows);
	static const char *const suffix[] = {"x.csv", "x.summary.csv", "x.meta.csv"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(out, sizeof out, "%s/%s", dir, suffix[i]);
		unlink(out);
	}
	rmdir(dir);
}
