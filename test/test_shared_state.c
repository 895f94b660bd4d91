/* The shared-state workloads (bank, deadlock, queue, pingpong) under every
 * registered runner: races where the model allows them, none under a lock. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellrun.h"
#include "runner.h"
#include "teststeps.h"
#include "workload.h"

extern char **environ;

/* What one run of a cell gave. */
struct sh_out {
	int rc;    /* the first code other than CB_OK, from configure to check */
	int stage; /* where it came from: 1 parameters or configure, 2 build, 3 run, 4 check */
	int ok, failed;
	int fail[FAIL_REASONS];
	double metric[WL_METRICS_MAX];
	const struct workload *wl;
	char msg[512];
};

/* "k=v;k=v" as the pairs test_params takes, in buf; cr_asserts on a bad one. */
static void sh_pairs(const char *kv, char *buf, size_t len, const char **pairs)
{
	int n = 0;
	snprintf(buf, len, "%s", kv ? kv : "");
	char *save, *tok = strtok_r(buf, ";", &save);
	for (; tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');
		cr_assert(eq, "bad test parameter '%s'", tok);
		cr_assert_lt(n, 2 * PARAMS_MAX, "too many test parameters: %s", kv);
		*eq = '\0';
		pairs[n++] = tok;
		pairs[n++] = eq + 1;
	}
	pairs[n] = NULL;
}

/* One trial in this process through the driver's own cell body, W as the driver
 * gives it: configure, build, clock, run, clock, check. */
static struct sh_out sh_run(const char *wname, const char *kv, const struct runner *rn,
			    int ntasks, int workers)
{
	struct sh_out o = {.wl = workload_find(wname), .stage = 1};
	cr_assert(o.wl, "workload %s is not registered", wname);
	for (int k = 0; k < WL_METRICS_MAX; k++)
		o.metric[k] = NAN;
	char buf[512];
	const char *pairs[2 * PARAMS_MAX + 1];
	sh_pairs(kv, buf, sizeof buf, pairs);
	struct cb_err err = {0};
	struct testcell tc;
	if ((o.rc = testcell_open(&tc, wname, pairs, rn, NULL, &err))) {
		cb_copy(o.msg, err.msg, sizeof o.msg);
		return o;
	}
	struct cellrun_out c;
	o.rc = testcell_run(&tc, ntasks, workers, &c);
	testcell_close(&tc);
	o.stage = c.stage ? c.stage + 1 : 4; /* build, run, check come after configure */
	o.ok = c.tasks_ok;
	o.failed = c.tasks_failed;
	memcpy(o.fail, c.fail, sizeof o.fail);
	if (c.stage == 0 || c.stage == 3) /* check ran: the metrics are its */
		memcpy(o.metric, c.metric, sizeof o.metric);
	cb_copy(o.msg, c.note, sizeof o.msg);
	return o;
}

static double sh_metric(const struct sh_out *o, const char *name)
{
	for (int k = 0; o->wl->metrics[k]; k++)
		if (strcmp(o->wl->metrics[k], name) == 0)
			return o->metric[k];
	cr_assert_fail("%s has no metric %s", o->wl->name, name);
	return NAN;
}

/* The C runners of a model: peers run the shared-state workloads in no shared memory of
 * ours, and bookkeeping waits for nothing. */
static bool sh_usable(const struct runner *rn)
{
	return rn->run != NULL && !rn->waits_skipped;
}

/* Runners that run tasks side by side, so tasks can race and hand off. */
static bool sh_concurrent(const struct runner *rn)
{
	return sh_usable(rn) && !rn->one_at_a_time;
}

static bool sh_blocking(const struct runner *rn)
{
	return strcmp(rn->name, "serial") == 0 || strcmp(rn->name, "threads") == 0 ||
	       strcmp(rn->name, "procs") == 0;
}

static void sh_expect_ok(const struct sh_out *o, const char *what, const struct runner *rn)
{
	cr_assert_eq(o->rc, CB_OK, "%s on %s: stage %d code %d: %s", what, rn->name, o->stage,
		     o->rc, o->msg);
	cr_assert_eq(o->failed, 0, "%s on %s: %d tasks failed (blocked %d, check %d)", what,
		     rn->name, o->failed, o->fail[FAIL_BLOCKED], o->fail[FAIL_CHECK]);
}

/* ---- bank ---- */

Test(bank, serial_is_the_article_one_after_another)
{
	struct sh_out o = sh_run("bank", "think_ms=1", runner_find("serial"), 4, 1);
	sh_expect_ok(&o, "bank", runner_find("serial"));
	cr_expect_eq(sh_metric(&o, "final_balance"), 0);
	cr_expect_eq(sh_metric(&o, "granted"), 2);
	cr_expect_eq(sh_metric(&o, "refused"), 2);
	cr_expect_eq(sh_metric(&o, "lost_updates"), 0);
}

/* A serial run is a serial order, so whatever the amounts it loses nothing:
 * this checks the search for reachable balances against the real thing. */
Test(bank, serial_runs_are_always_serialisable)
{
	static const struct {
		const char *kv;
		int ntasks;
		double final;
	} cases[] = {
		{"think_ms=0", 4, 0},
		{"think_ms=0;balance=100;amounts=30", 4, 10},
		{"think_ms=0;balance=100;amounts=40,70", 2, 60},
		{"think_ms=0;balance=100;amounts=70,40", 2, 30},
		{"think_ms=0;balance=0;amounts=5", 3, 0},
		{"think_ms=0;balance=1000;amounts=7,300,2,2,999", 23, 47},
		{"think_ms=0;balance=5;amounts=10,20", 1, 5},
		{"think_ms=0;balance=100000;amounts=1", 100, 99900},
	};
	const struct runner *rn = runner_find("serial");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sh_out o = sh_run("bank", cases[i].kv, rn, cases[i].ntasks, 1);
		sh_expect_ok(&o, cases[i].kv, rn);
		cr_expect_eq(sh_metric(&o, "final_balance"), cases[i].final, "%s: final %g",
			     cases[i].kv, sh_metric(&o, "final_balance"));
		cr_expect_eq(sh_metric(&o, "lost_updates"), 0, "%s", cases[i].kv);
	}
}

Test(bank, locked_ends_where_a_serial_order_would, .timeout = 60)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_usable(rn))
			continue;
		for (int k = 0; k < 20; k++) {
			struct sh_out o = sh_run("bank", "lock=1;think_ms=5", rn, 4, 0);
			sh_expect_ok(&o, "locked bank", rn);
			cr_assert_eq(sh_metric(&o, "lost_updates"), 0, "%s: final %g", rn->name,
				     sh_metric(&o, "final_balance"));
			cr_assert_eq(sh_metric(&o, "granted") + sh_metric(&o, "refused"), 4);
		}
	}
}

/* Sixteen withdrawals of 60 from 100, all at once. A serial order grants one and
 * ends at 40. Run together without the lock, every check passes during the others'
 * 100 ms think (granted 16), and the balance ends where no serial order reaches:
 * 100 - 60k for the k subtractions that landed. Only k = 1 would look serial, and
 * that needs 15 of the 16 read-then-writes torn at once, which no host interleaves
 * (on a loop runner none tear: -860). The article's four amounts would not do:
 * two torn pairs can leave only the 80 and the 20 landed, at 0, a serial balance,
 * and threads woken together tear a pair often on some hosts (the queue's did one
 * run in two). With the lock the same cell is exactly one serial order. */
Test(bank, unlocked_all_at_once_loses_updates, .timeout = 60)
{
	static const char *const racy = "think_ms=100;amounts=60";
	static const char *const locked = "think_ms=100;amounts=60;lock=1";
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_concurrent(rn))
			continue;
		struct sh_out o = sh_run("bank", racy, rn, 16, 0);
		sh_expect_ok(&o, "unlocked bank", rn);
		cr_expect_eq(sh_metric(&o, "granted"), 16, "%s: %g granted: the checks did not all "
			     "see the balance before a subtraction", rn->name, sh_metric(&o, "granted"));
		cr_expect_gt(sh_metric(&o, "lost_updates"), 0, "%s: final %g, a serial balance",
			     rn->name, sh_metric(&o, "final_balance"));
		cr_expect_lt(sh_metric(&o, "final_balance"), sh_metric(&o, "serial_balance"),
			     "%s: final %g", rn->name, sh_metric(&o, "final_balance"));
		o = sh_run("bank", locked, rn, 16, 0);
		sh_expect_ok(&o, "locked bank", rn);
		cr_expect_eq(sh_metric(&o, "lost_updates"), 0, "%s: locked, final %g", rn->name,
			     sh_metric(&o, "final_balance"));
		cr_expect_eq(sh_metric(&o, "granted"), 1, "%s: locked", rn->name);
		cr_expect_eq(sh_metric(&o, "final_balance"), 40, "%s: locked", rn->name);
	}
}

/* The distance to the nearest serial balance, for races whose outcome is known: on
 * one loop thread no read-then-write tears, so every check passes before any
 * subtraction and every subtraction lands (threads may tear one, and land on
 * another balance). */
Test(bank, lost_updates_is_the_distance_to_a_serial_balance)
{
	static const struct {
		const char *kv;
		int ntasks;
		double final, serial;
	} cases[] = {
		{"think_ms=50;amounts=30", 4, -20, 10},
		{"think_ms=50;amounts=40,70", 2, -10, 30},
		{"think_ms=50;balance=10;amounts=10", 3, -20, 0},
	};
	const struct runner *rn = runner_find("evloop");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sh_out o = sh_run("bank", cases[i].kv, rn, cases[i].ntasks, 0);
		sh_expect_ok(&o, cases[i].kv, rn);
		cr_expect_eq(sh_metric(&o, "final_balance"), cases[i].final, "%s", cases[i].kv);
		cr_expect_eq(sh_metric(&o, "serial_balance"), cases[i].serial, "%s", cases[i].kv);
		cr_expect_eq(sh_metric(&o, "lost_updates"), cases[i].serial - cases[i].final, "%s",
			     cases[i].kv);
	}
}

/* Processes without the shared mapping each subtract from their own copy. */
Test(bank, procs_without_shared_memory_never_touch_the_account)
{
	const struct runner *rn = runner_find("procs");
	struct sh_out o = sh_run("bank", "think_ms=5;shared=0", rn, 4, 0);
	sh_expect_ok(&o, "private bank", rn);
	cr_expect_eq(sh_metric(&o, "final_balance"), 100);
	cr_expect_eq(sh_metric(&o, "granted"), 4, "the counts are shared even so");
	cr_expect_eq(sh_metric(&o, "lost_updates"), 70, "nearest serial balance is 30");
}

/* ---- deadlock ---- */

Test(deadlock, timeout_backs_off_and_completes, .timeout = 60)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_concurrent(rn))
			continue;
		struct sh_out o = sh_run("deadlock", "think_ms=50;timeout_ms=100;backoff_ms=10",
					 rn, 2, 0);
		sh_expect_ok(&o, "deadlock with a timeout", rn);
		cr_expect_geq(sh_metric(&o, "backoffs"), 1, "%s", rn->name);
		cr_expect_geq(sh_metric(&o, "rounds"), 2, "%s", rn->name);
		/* more tasks than locks: those queued for their first lock give up too */
		o = sh_run("deadlock", "think_ms=20;timeout_ms=40;backoff_ms=5", rn, 6, 0);
		sh_expect_ok(&o, "six tasks, two locks", rn);
	}
}

/* One task at a time never holds a lock another wants: no deadlock at all. */
Test(deadlock, one_at_a_time_never_deadlocks)
{
	struct sh_out o = sh_run("deadlock", "think_ms=5", runner_find("serial"), 2, 1);
	sh_expect_ok(&o, "deadlock", runner_find("serial"));
	cr_expect_eq(sh_metric(&o, "backoffs"), 0);
	cr_expect_eq(sh_metric(&o, "rounds"), 1);
	o = sh_run("deadlock", "think_ms=5", runner_find("threads"), 2, 1);
	sh_expect_ok(&o, "deadlock, one worker", runner_find("threads"));
}

/* A loop runner sees that nothing can post any more and fails the waits. */
Test(deadlock, loop_runners_find_the_deadlock, .timeout = 30)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_concurrent(rn) || sh_blocking(rn))
			continue;
		struct sh_out o = sh_run("deadlock", "think_ms=20", rn, 2, 0);
		cr_expect_eq(o.rc, CB_OK, "%s: %s", rn->name, o.msg);
		cr_expect_eq(o.ok, 0, "%s", rn->name);
		cr_expect_gt(o.fail[FAIL_BLOCKED], 0, "%s", rn->name);
	}
}

/* Threads really hang: the driver's trial timeout ends it and names the outcome. */
Test(deadlock, driver_records_deadlocked, .timeout = 30)
{
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	char dir[] = "/tmp/cb-deadlock-XXXXXX", out[64], path[96];
	cr_assert(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/x.csv", dir);
	char *argv[] = {(char *)bin, "-w", "deadlock", "-r", "threads", "-n", "2", "--repeat",
			"1", "--warmup", "0", "--timeout", "1", "-q", "-o", out, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int status = 0;
	cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);

	FILE *f = fopen(out, "r");
	cr_assert(f, "no %s", out);
	char head[4096], row[4096];
	cr_assert(fgets(head, sizeof head, f) && fgets(row, sizeof row, f));
	fclose(f);
	/* strsep, not strtok: empty fields count */
	int col = -1, k = 0;
	for (char *h = head, *t; (t = strsep(&h, ",\n")); k++)
		if (strcmp(t, "outcome") == 0)
			col = k;
	cr_assert_geq(col, 0, "no outcome column");
	char *r = row, *t = NULL;
	for (int i = 0; i <= col; i++)
		t = strsep(&r, ",");
	cr_expect(t && strcmp(t, "deadlocked") == 0, "outcome '%s'", t ? t : "");
	static const char *const files[] = {"x.csv", "x.summary.csv", "x.meta.csv"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- queue ---- */

Test(queue, locked_takes_each_order_once, .timeout = 60)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_usable(rn))
			continue;
		for (int k = 0; k < 5; k++) {
			struct sh_out o = sh_run("queue", "lock=1;think_ms=5;cook_ms=5;orders=5",
						 rn, 3, 0);
			sh_expect_ok(&o, "locked queue", rn);
			cr_assert_eq(sh_metric(&o, "taken"), 5, "%s", rn->name);
			cr_assert_eq(sh_metric(&o, "taken_twice"), 0, "%s", rn->name);
			cr_assert_eq(sh_metric(&o, "missing"), 0, "%s", rn->name);
		}
	}
}

/* 3 orders, 2 staff, thinking as long as they cook: both see the last order (or
 * both read the same top in one instant and take one order twice, as threads do on
 * some hosts), so a race shows as a take that found the list empty or an order taken
 * twice, whichever it was. It needs the two staff within a think (50 ms) of each
 * other, which starting two workers always is. The same cell under the lock: none. */
Test(queue, unlocked_staff_find_an_empty_list, .timeout = 60)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_concurrent(rn))
			continue;
		struct sh_out o = sh_run("queue", "think_ms=50;cook_ms=50", rn, 2, 0);
		sh_expect_ok(&o, "unlocked queue", rn);
		double twice = sh_metric(&o, "taken_twice"), missing = sh_metric(&o, "missing");
		cr_expect_geq(twice + missing, 1, "%s: taken twice %g, missing %g", rn->name, twice,
			      missing);
		cr_expect_geq(sh_metric(&o, "taken"), 3, "%s", rn->name);
		o = sh_run("queue", "think_ms=50;cook_ms=50;lock=1", rn, 2, 0);
		sh_expect_ok(&o, "locked queue", rn);
		cr_expect_eq(sh_metric(&o, "taken"), 3, "%s: locked", rn->name);
		cr_expect_eq(sh_metric(&o, "taken_twice"), 0, "%s: locked", rn->name);
		cr_expect_eq(sh_metric(&o, "missing"), 0, "%s: locked", rn->name);
	}
}

Test(queue, ideal_is_rounds_of_think_and_cook)
{
	static const char *const kv[] = {"think_ms", "10", "cook_ms", "5000", NULL};
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, "queue", kv, runner_find("serial"), NULL, &err), CB_OK,
		     "%s", err.msg);
	cr_expect_float_eq(tc.wl->ideal_s(tc.cfg, 2, 0), 10.02, 1e-9, "3 burgers, 2 staff");
	cr_expect_float_eq(tc.wl->ideal_s(tc.cfg, 3, 0), 5.01, 1e-9, "3 burgers, 3 staff");
	cr_expect_float_eq(tc.wl->ideal_s(tc.cfg, 2, 1), 15.03, 1e-9, "one at a time");
	testcell_close(&tc);
}

/* ---- pingpong ---- */

Test(pingpong, hands_the_token_exactly, .timeout = 60)
{
	for (int r = 0; runner_table[r]; r++) {
		const struct runner *rn = runner_table[r];
		if (!sh_concurrent(rn))
			continue;
		struct sh_out o = sh_run("pingpong", "rounds=2000", rn, 2, 0);
		sh_expect_ok(&o, "pingpong", rn);
		cr_expect_eq(sh_metric(&o, "switches"), 3999, "%s", rn->name);
		cr_expect_gt(sh_metric(&o, "ns_per_switch"), 0, "%s", rn->name);
		o = sh_run("pingpong", "rounds=500", rn, 6, 0);
		sh_expect_ok(&o, "three pairs", rn);
		cr_expect_eq(sh_metric(&o, "switches"), 3 * 999, "%s", rn->name);
	}
}

/* The same hand-offs in every concurrent model, named so none can drop out unseen: each
 * pair's 2 x rounds - 1 switches, every task ok, from one round (no wait blocks) up. */
Test(pingpong, the_same_result_in_every_runner, .timeout = 60)
{
	static const char *const names[] = {"threads", "procs", "evloop", "green"};
	static const int rounds[] = {1, 2, 1000}, sizes[] = {2, 4};
	for (size_t r = 0; r < sizeof names / sizeof names[0]; r++) {
		const struct runner *rn = runner_find(names[r]);
		cr_assert(rn, "%s is not registered", names[r]);
		for (size_t k = 0; k < 3; k++)
			for (size_t n = 0; n < 2; n++) {
				char kv[32];
				snprintf(kv, sizeof kv, "rounds=%d", rounds[k]);
				struct sh_out o = sh_run("pingpong", kv, rn, sizes[n], 0);
				sh_expect_ok(&o, kv, rn);
				cr_expect_eq(o.ok, sizes[n], "%s %s N=%d", rn->name, kv, sizes[n]);
				cr_expect_eq(sh_metric(&o, "switches"), (2 * rounds[k] - 1) * sizes[n] / 2,
					     "%s %s N=%d: %g switches", rn->name, kv, sizes[n],
					     sh_metric(&o, "switches"));
			}
	}
}

Test(pingpong, serial_cannot_wait_for_the_other)
{
	const struct runner *rn = runner_find("serial");
	struct sh_out o = sh_run("pingpong", "rounds=3", rn, 2, 1);
	cr_assert_eq(o.rc, CB_OK, "%s", o.msg);
	cr_expect_eq(o.fail[FAIL_BLOCKED], 2);
	cr_expect(isnan(sh_metric(&o, "ns_per_switch")));
	o = sh_run("pingpong", "rounds=1", rn, 2, 1);
	sh_expect_ok(&o, "one round", rn);
	cr_expect_eq(sh_metric(&o, "switches"), 1);
}

Test(pingpong, needs_pairs)
{
	struct sh_out o = sh_run("pingpong", "rounds=1", runner_find("threads"), 3, 0);
	cr_expect_eq(o.rc, CB_EINVAL);
	cr_expect_eq(o.stage, 2);
	cr_expect(strstr(o.msg, "pairs"), "%s", o.msg);
}

/* ---- bad input ---- */

Test(shared_state, bad_parameters_are_refused)
{
	static const struct {
		const char *workload, *kv, *says;
	} cases[] = {
		{"bank", "amounts=", "empty"},
		{"bank", "amounts=-5", "bank.amounts"},
		{"bank", "amounts=80,-1", "bank.amounts"},
		{"bank", "amounts=80,,20", "bank.amounts"},
		{"bank", "amounts=0", "bank.amounts"},
		{"bank", "balance=abc", "bank.balance"},
		{"bank", "balance=-1", "bank.balance"},
		{"bank", "lock=2", "bank.lock"},
		{"deadlock", "timeout_ms=-1", "deadlock.timeout_ms"},
		{"queue", "orders=0", "queue.orders"},
		{"pingpong", "rounds=0", "pingpong.rounds"},
		{"pingpong", "rounds=x", "pingpong.rounds"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sh_out o = sh_run(cases[i].workload, cases[i].kv, runner_find("serial"), 2, 1);
		cr_expect_eq(o.rc, CB_EINVAL, "%s %s: %d", cases[i].workload, cases[i].kv, o.rc);
		cr_expect(strstr(o.msg, cases[i].says) && !strchr(o.msg, '\n'), "%s %s: '%s'",
			  cases[i].workload, cases[i].kv, o.msg);
	}
}
