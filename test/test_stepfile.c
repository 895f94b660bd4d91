/* The task file: the parser on every line kind, nested repeats, comments and each
 * error with its line (tables); the ideal time from the steps; and the steps workload
 * under every model, its repeats, checks and waits counted by its metrics. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellrun.h"
#include "runner.h"
#include "scratch.h"
#include "stepfile.h"
#include "teststeps.h"
#include "workload.h"

static const char *const models[] = {"serial", "threads", "procs", "evloop", "green"};
#define NMODELS (sizeof models / sizeof models[0])

/* The program's ops, space separated. */
static void ops_of(const struct stepfile *sf, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < sf->nsteps && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
				      sf_op_name(sf->steps[i].op));
}

/* ---- what parses ---- */

struct parse_case {
	const char *text;
	const char *ops;
};

static const struct parse_case parse_cases[] = {
	{"compute countdown n=5\ncompute power base=3 exp=7\ncompute memwalk bytes=4096\n"
	 "compute spin us=2.5\n", "countdown power memwalk spin"},
	{"sleep ms=1.5\nfetch delay_ms=5\nfetch url=http://example.com/x status=404 bytes=-1 "
	 "timeout_ms=100\n", "sleep fetch fetch"},
	{"sem s init=1\nwait s\npost s\nwait s timeout_ms=10\npost s\n",
	 "wait post wait post end fail"},
	{"account a balance=10\ncheck a amounts=1,2\n  subtract a\nend\n", "check subtract end"},
	{"repeat 2\n sleep ms=1\n repeat 3\n  compute spin us=1\n end\nend\n",
	 "sleep spin again again"},
	{"# a comment\n\n   \nsleep ms=1 # after a step\n\t# indented\n", "sleep"},
	{"account a balance=5\nrepeat 2\ncheck a amounts=1\nsubtract a\nend\nend",
	 "check subtract again"},
	{"sleep ms=1\r\nsleep ms=2\r\n", "sleep sleep"},
	{"sem lock init=1\naccount a balance=100\nwait lock\ncheck a amounts=80,70\nsleep ms=1\n"
	 "subtract a\nend\npost lock\n", "wait check sleep subtract post"},
};

Test(stepfile, every_kind_parses)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		struct stepfile sf;
		struct cb_err err = {0};
		int rc = stepfile_parse(&sf, "t.steps", parse_cases[i].text, &err);
		cr_assert_eq(rc, CB_OK, "case %zu: %s", i, err.msg);
		char ops[256];
		ops_of(&sf, ops, sizeof ops);
		cr_expect_str_eq(ops, parse_cases[i].ops, "case %zu", i);
		stepfile_free(&sf);
	}
}

Test(stepfile, values_are_kept)
{
	struct stepfile sf;
	struct cb_err err = {0};
	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[0].text, &err), CB_OK);
	cr_expect_eq(sf.steps[0].n, 5);
	cr_expect_eq(sf.steps[1].base, 3);
	cr_expect_eq(sf.steps[1].exp, 7);
	cr_expect_eq(sf.steps[1].expect, 2187, "3^7 mod 2^61-1");
	cr_expect_eq(sf.steps[2].n, 4096);
	cr_expect_eq(sf.walk_max, 4096);
	cr_expect_eq(sf.steps[3].n, 2500, "2.5 us in ns");
	cr_expect(stepfile_per_task(&sf), "a memwalk keeps a buffer per task");
	stepfile_free(&sf);

	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[1].text, &err), CB_OK);
	cr_expect_eq(sf.steps[0].n, 1500000);
	cr_expect_null(sf.steps[1].fetch.url);
	cr_expect_eq(sf.steps[1].fetch.delay_ms, 5);
	cr_expect_eq(sf.steps[1].fetch.bytes, 16384, "the http workload's default size");
	cr_expect_eq(sf.steps[1].fetch.status, 200);
	cr_expect_eq(sf.steps[1].fetch.timeout_ms, 30000);
	cr_expect_str_eq(sf.steps[2].fetch.url, "http://example.com/x");
	cr_expect_eq(sf.steps[2].fetch.status, 404);
	cr_expect_eq(sf.steps[2].fetch.bytes, -1);
	cr_expect_eq(sf.steps[2].fetch.timeout_ms, 100);
	cr_expect_not(stepfile_per_task(&sf), "sleeps and fetches need no state");
	stepfile_free(&sf);

	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[2].text, &err), CB_OK);
	cr_expect_eq(sf.nsems, 1);
	cr_expect_str_eq(sf.sems[0].name, "s");
	cr_expect_eq(sf.sems[0].init, 1);
	cr_expect_eq(sf.steps[0].n, -1, "no time-out: for ever");
	cr_expect_eq(sf.steps[2].n, 10000000);
	cr_expect_eq(sf.steps[2].alt, 5, "a timed-out wait goes to the fail step");
	stepfile_free(&sf);

	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[3].text, &err), CB_OK);
	cr_expect(sf.has_account);
	cr_expect_eq(sf.account.balance, 10);
	cr_expect_eq(sf.steps[0].namounts, 2);
	cr_expect_eq(sf.steps[0].amounts[1], 2);
	cr_expect_eq(sf.steps[0].alt, 2, "refused: past the block, to the end step");
	cr_expect_eq(sf.steps[1].namounts, 2, "subtract takes its check's amounts");
	stepfile_free(&sf);
}

Test(stepfile, repeats_nest)
{
	struct stepfile sf;
	struct cb_err err = {0};
	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[4].text, &err), CB_OK);
	/* sleep spin again(inner) again(outer) */
	cr_expect_eq(sf.steps[2].n, 3);
	cr_expect_eq(sf.steps[2].alt, 1, "the inner repeat goes back to the spin");
	cr_expect_eq(sf.steps[3].n, 2);
	cr_expect_eq(sf.steps[3].alt, 0, "the outer one to the sleep");
	cr_expect_neq(sf.steps[2].counter, sf.steps[3].counter);
	cr_expect_eq(sf.ncounters, 2);
	stepfile_free(&sf);

	cr_assert_eq(stepfile_parse(&sf, "t.steps", parse_cases[6].text, &err), CB_OK);
	cr_expect_eq(sf.steps[0].alt, 2, "a refused check inside a repeat skips to its end");
	stepfile_free(&sf);
}

/* ---- what does not ---- */

struct bad_case {
	const char *text;
	int line; /* 0: the file as a whole */
	const char *says;
};

static const struct bad_case bad_cases[] = {
	{"sleep ms=1\nfrobnicate x=1\n", 2, "unknown step 'frobnicate' (allowed: compute,"},
	{"compute bogus n=1\n", 1, "compute bogus: unknown kernel (allowed: countdown,"},
	{"compute\n", 1, "which kernel?"},
	{"sleep ms\n", 1, "sleep: 'ms' has no '=' (allowed: ms=)"},
	{"sleep ms=abc\n", 1, "sleep ms: 'abc' is not a number (allowed: 0..8.64e+07)"},
	{"compute countdown n=1.5\n", 1, "'1.5' is not a whole number"},
	{"sleep ms=1 extra=2\n", 1, "sleep: unknown key 'extra' (allowed: ms=)"},
	{"sleep ms=1 ms=2\n", 1, "ms= given twice"},
	{"sleep\n", 1, "sleep: ms= is missing"},
	{"compute power base=3\n", 1, "exp= is missing"},
	{"wait s\n", 1, "semaphore 's' is not declared (declare it above its first use"},
	{"sleep ms=1\npost s\n", 2, "semaphore 's' is not declared"},
	{"wait\n", 1, "wait: a name is missing"},
	{"sem s init=1\nsem s init=2\n", 2, "'s' is declared twice"},
	{"sem a/b init=1\n", 1, "'a/b' is not a name"},
	{"sleep ms=1\nrepeat 3\nsleep ms=1\n", 2, "repeat with no end (allowed: close it"},
	{"repeat 2\nrepeat 2\nsleep ms=1\nend\n", 1, "repeat with no end"},
	{"sleep ms=1\nend\n", 2, "end: no repeat or check to end"},
	{"repeat 0\nsleep ms=1\nend\n", 1, "repeat: 0 is out of range (allowed: 1..1000000000)"},
	{"repeat\nsleep ms=1\nend\n", 1, "repeat: the count is missing"},
	{"repeat 2\nend\n", 2, "the repeat of line 1 has no steps"},
	{"fetch bytes=10\n", 1, "fetch: neither url= nor delay_ms="},
	{"fetch\n", 1, "fetch: neither url= nor delay_ms="},
	{"fetch url=ftp://x/y\n", 1, "scheme 'ftp' is not supported"},
	{"fetch url=http://x/ delay_ms=3\n", 1, "url= and delay_ms= together"},
	{"fetch delay_ms=5 status=200\n", 1, "status= with the local server"},
	{"check a amounts=1\nend\n", 1, "account 'a' is not declared"},
	{"account a balance=1\nsubtract a\n", 2, "subtract a: outside a check block"},
	{"account a balance=1\naccount b balance=1\n", 2, "a second account 'b'"},
	{"account a balance=1\ncheck a amounts=1,x\nsubtract a\nend\n", 2,
	 "check amounts: 'x' is not a whole number"},
	{"compute spin us=0\n", 1, "compute spin us: 0 is out of range (allowed: above 0"},
	{"# only a comment\n\n", 0, "t.steps: no steps (allowed: one step a line"},
	{"", 0, "t.steps: no steps"},
};

Test(stepfile, each_error_names_its_line)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		struct stepfile sf;
		struct cb_err err = {0};
		cr_expect_eq(stepfile_parse(&sf, "t.steps", c->text, &err), CB_EINVAL,
			     "case %zu: '%s' parsed", i, c->text);
		char at[32];
		snprintf(at, sizeof at, c->line ? "t.steps:%d: " : "t.steps: ", c->line);
		cr_expect(strncmp(err.msg, at, strlen(at)) == 0, "case %zu: '%s' does not start "
			  "with '%s'", i, err.msg, at);
		cr_expect(strstr(err.msg, c->says), "case %zu: '%s' does not say '%s'", i, err.msg,
			  c->says);
		cr_expect_null(sf.steps, "case %zu: a failed parse keeps nothing", i);
	}
}

Test(stepfile, too_many_steps)
{
	size_t n = SF_STEPS_MAX + 1, len = n * 12 + 1;
	char *text = malloc(len);
	cr_assert_not_null(text);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(text, "sleep ms=0\n");
	struct stepfile sf;
	struct cb_err err = {0};
	cr_expect_eq(stepfile_parse(&sf, "t.steps", text, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "t.steps:4097: more than 4096 steps"), "%s", err.msg);
	text[SF_STEPS_MAX * 11] = '\0'; /* exactly the most */
	cr_expect_eq(stepfile_parse(&sf, "t.steps", text, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(sf.nsteps, SF_STEPS_MAX);
	stepfile_free(&sf);
	free(text);
}

Test(stepfile, files_that_are_not_task_files)
{
	scratch_make("stepfile");
	struct stepfile sf;
	struct cb_err err = {0};
	cr_expect_eq(stepfile_load(&sf, scratch, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "is a directory (allowed: a task file)"), "%s", err.msg);
	char path[256];
	scratch_path(path, sizeof path, "missing.steps");
	cr_expect_eq(stepfile_load(&sf, path, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "No such file or directory"), "%s", err.msg);
	scratch_file("bad.steps", "sleep ms=1\n\nsleep ms=-1\n");
	scratch_path(path, sizeof path, "bad.steps");
	cr_expect_eq(stepfile_load(&sf, path, &err), CB_EINVAL);
	char want[400];
	snprintf(want, sizeof want, "%s:3: sleep ms: -1 is out of range (allowed: 0..", path);
	cr_expect(strstr(err.msg, want), "'%s' does not say '%s'", err.msg, want);
	scratch_file("good.steps", "sleep ms=1\n");
	scratch_path(path, sizeof path, "good.steps");
	cr_expect_eq(stepfile_load(&sf, path, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(sf.nsteps, 1);
	stepfile_free(&sf);
	scratch_remove();
}

/* ---- the ideal time ---- */

struct ideal_case {
	const char *text;
	double task_s, cpu_s; /* task_s < 0: not known */
};

static const struct ideal_case ideal_cases[] = {
	{"sleep ms=10\nsleep ms=20\n", 0.030, 0},
	{"repeat 2\nsleep ms=10\nrepeat 3\ncompute spin us=1000\nend\nend\nfetch delay_ms=5\n",
	 0.031, 0.006},
	{"fetch delay_ms=5\ncompute spin us=200\nfetch delay_ms=5\ncompute spin us=1000\n",
	 0.0112, 0.0012},
	{"sleep ms=1\ncompute countdown n=10\n", -1, 0},
	{"fetch url=http://example.com/\n", -1, 0},
	{"sem s init=1\nwait s\nsleep ms=1\npost s\n", -1, 0},
	{"account a balance=1\ncheck a amounts=1\nsleep ms=1\nend\n", -1, 0},
};

Test(stepfile, ideal_from_the_steps)
{
	for (size_t i = 0; i < sizeof ideal_cases / sizeof ideal_cases[0]; i++) {
		const struct ideal_case *c = &ideal_cases[i];
		struct stepfile sf;
		struct cb_err err = {0};
		cr_assert_eq(stepfile_parse(&sf, "t.steps", c->text, &err), CB_OK, "%s", err.msg);
		double cpu, t = stepfile_task_s(&sf, &cpu);
		if (c->task_s < 0) {
			cr_expect_lt(t, 0, "case %zu: %g, but its time is not known", i, t);
		} else {
			cr_expect(fabs(t - c->task_s) < 1e-9, "case %zu: %g, expected %g", i, t,
				  c->task_s);
			cr_expect(fabs(cpu - c->cpu_s) < 1e-9, "case %zu: cpu %g, expected %g", i, cpu,
				  c->cpu_s);
		}
		stepfile_free(&sf);
	}
}

/* The workload's ideal: waves of W, and the spins' CPU over the cores. */
Test(stepfile, ideal_per_wave)
{
	scratch_make("stepfile");
	scratch_file("s.steps", "sleep ms=10\nsleep ms=10\n");
	char path[256];
	scratch_path(path, sizeof path, "s.steps");
	const struct workload *wl = workload_find("steps");
	cr_assert_not_null(wl);
	struct params p;
	struct cb_err err = {0};
	const char *kv[] = {"file", path, NULL};
	cr_assert_eq(test_params(&p, "steps", wl->params, kv, &err), CB_OK, "%s", err.msg);
	void *cfg = NULL;
	cr_assert_eq(wl->configure(&p, &cfg, &err), CB_OK, "%s", err.msg);
	cr_expect(fabs(wl->ideal_s(cfg, 5, 2) - 0.060) < 1e-9, "3 waves of 20 ms");
	cr_expect(fabs(wl->ideal_s(cfg, 5, 0) - 0.020) < 1e-9, "one wave");
	cr_expect(fabs(wl->ideal_s(cfg, 5, 1) - 0.100) < 1e-9, "one at a time");
	wl->config_free(cfg);
	params_free(&p);
	scratch_remove();
}

Test(stepfile, no_file_is_refused)
{
	const struct workload *wl = workload_find("steps");
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(test_params(&p, "steps", wl->params, NULL, &err), CB_OK);
	void *cfg = NULL;
	cr_expect_eq(wl->configure(&p, &cfg, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "steps.file: no task file given"), "%s", err.msg);
	params_free(&p);
}

/* ---- under every model ---- */

struct model_out {
	int ok, failed;
	int fail[FAIL_REASONS];
	double metric[WL_METRICS_MAX];
	double wall_s, cpu_s;
};

/* One trial of a task file under the runner so named, as the driver runs a cell. */
static struct model_out run_file(const char *text, const char *model, int ntasks, int workers)
{
	scratch_make("stepfile");
	scratch_file("t.steps", text);
	char path[256];
	scratch_path(path, sizeof path, "t.steps");
	const struct runner *rn = runner_find(model);
	cr_assert_not_null(rn, "no runner %s", model);
	const char *kv[] = {"file", path, NULL};
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, "steps", kv, rn, NULL, &err), CB_OK, "%s", err.msg);
	struct cellrun_out c;
	int rc = testcell_run(&tc, ntasks, workers, &c);
	testcell_close(&tc);
	scratch_remove();
	cr_assert_eq(rc, CB_OK, "%s: %s", model, c.note);
	struct model_out o = {.ok = c.tasks_ok, .failed = c.tasks_failed, .wall_s = c.wall_s,
			      .cpu_s = c.cpu_s};
	memcpy(o.fail, c.fail, sizeof o.fail);
	memcpy(o.metric, c.metric, sizeof o.metric);
	return o;
}

/* final_balance, granted, refused count every pass through the nested repeats; the
 * lock keeps two subtractions from interleaving (a lost update) in threads and procs. */
Test(stepfile, nested_repeats_run_in_every_model)
{
	const char *text = "account a balance=1000\n"
			   "sem lock init=1\n"
			   "repeat 2\n"
			   "  repeat 3\n"
			   "    wait lock\n"
			   "    check a amounts=1,2\n"
			   "      subtract a\n"
			   "    end\n"
			   "    post lock\n"
			   "  end\n"
			   "  sleep ms=1\n"
			   "end\n";
	for (size_t m = 0; m < NMODELS; m++) {
		struct model_out o = run_file(text, models[m], 4, 0);
		cr_expect_eq(o.ok, 4, "%s: %d ok", models[m], o.ok);
		/* tasks 0, 2 take 1; tasks 1, 3 take 2; six times each */
		cr_expect_eq(o.metric[0], 1000 - 6 * (1 + 2 + 1 + 2), "%s: final %g", models[m],
			     o.metric[0]);
		cr_expect_eq(o.metric[1], 24, "%s: granted %g", models[m], o.metric[1]);
		cr_expect_eq(o.metric[2], 0, "%s: refused %g", models[m], o.metric[2]);
		cr_expect(isnan(o.metric[3]) && isnan(o.metric[4]), "%s: a check in a repeat is "
			  "no bank run: no serial yardstick", models[m]);
	}
}

/* Every compute kernel's check passes, whatever runs it. */
Test(stepfile, kernels_run_in_every_model)
{
	const char *text = "compute countdown n=1000\n"
			   "compute power base=7777 exp=2000\n"
			   "repeat 2\n  compute memwalk bytes=65536\nend\n"
			   "compute spin us=100\n";
	for (size_t m = 0; m < NMODELS; m++) {
		struct model_out o = run_file(text, models[m], 3, 0);
		cr_expect_eq(o.ok, 3, "%s: %d ok, %d failed", models[m], o.ok, o.failed);
		cr_expect(isnan(o.metric[0]), "%s: no account, no balance", models[m]);
	}
}

/* A wait that times out fails its task; the semaphore's one unit lets one through. */
Test(stepfile, timed_out_wait_fails_the_task)
{
	const char *text = "sem s init=1\nwait s timeout_ms=20\nsleep ms=60\n";
	for (size_t m = 1; m < NMODELS; m++) { /* serial runs them one after another */
		struct model_out o = run_file(text, models[m], 2, 0);
		cr_expect_eq(o.ok, 1, "%s: %d ok", models[m], o.ok);
		cr_expect_eq(o.fail[FAIL_CHECK], 1, "%s: %d failed as check", models[m],
			     o.fail[FAIL_CHECK]);
	}
}

/* spin counts the thread's CPU time: the trial's CPU is at least the spins'. */
Test(stepfile, spin_uses_its_cpu_time)
{
	for (size_t m = 0; m < NMODELS; m++) {
		struct model_out o = run_file("compute spin us=30000\n", models[m], 2, 0);
		cr_expect_eq(o.ok, 2, "%s", models[m]);
		cr_expect_geq(o.cpu_s, 2 * 0.030 * 0.95, "%s: %g s of CPU for 2 x 30 ms", models[m],
			      o.cpu_s);
		cr_expect_geq(o.wall_s, 0.030 * 0.95, "%s: %g s", models[m], o.wall_s);
	}
}

/* ---- the README's examples ---- */

/* The source tree's examples, found beside the peers (whose folder the build names). */
#define EXAMPLES_DIR CB_PEERS_DIR "/../workloads/examples/"

struct example_case {
	const char *file;
	const char *ops;
	double task_s, cpu_s; /* task_s < 0: not known */
};

static const struct example_case example_cases[] = {
	{"io_bound.steps", "fetch again", 4 * 0.785, 0},
	{"request_handler.steps", "fetch spin fetch spin", 0.0112, 0.0012},
	{"bank.steps", "check sleep subtract end", -1, 0},
	{"bank_locked.steps", "wait check sleep subtract post", -1, 0},
	{"request_handler_plugin.steps", "fetch plugin fetch", -1, 0},
};

Test(stepfile, readme_examples_parse)
{
	for (size_t i = 0; i < sizeof example_cases / sizeof example_cases[0]; i++) {
		const struct example_case *c = &example_cases[i];
		struct stepfile sf;
		struct cb_err err = {0};
		char path[512];
		snprintf(path, sizeof path, "%s%s", EXAMPLES_DIR, c->file);
		cr_assert_eq(stepfile_load(&sf, path, &err), CB_OK, "%s", err.msg);
		char ops[256];
		ops_of(&sf, ops, sizeof ops);
		cr_expect_str_eq(ops, c->ops, "%s", c->file);
		double cpu, t = stepfile_task_s(&sf, &cpu);
		if (c->task_s < 0)
			cr_expect_lt(t, 0, "%s: %g", c->file, t);
		else
			cr_expect(fabs(t - c->task_s) < 1e-9 && fabs(cpu - c->cpu_s) < 1e-9,
				  "%s: %g s, %g s of CPU", c->file, t, cpu);
		stepfile_free(&sf);
	}
}

/* ---- compute plugin: the user's function (test/plugin_count.c, the example) ---- */

Test(stepfile, plugin_line_and_quotes)
{
	const char *text = "compute plugin so=lib/libx.so fn=render arg=\"rows=10 name=w # x\"\n"
			   "compute plugin so=/abs.so fn=count arg=\"say \\\"hi\\\" \\\\ \"\n"
			   "compute plugin so=l.so fn=f\n";
	struct stepfile sf;
	struct cb_err err = {0};
	cr_assert_eq(stepfile_parse(&sf, "t.steps", text, &err), CB_OK, "%s", err.msg);
	char ops[128];
	ops_of(&sf, ops, sizeof ops);
	cr_expect_str_eq(ops, "plugin plugin plugin");
	cr_expect_str_eq(sf.steps[0].plugin.so, "lib/libx.so");
	cr_expect_str_eq(sf.steps[0].plugin.fn, "render");
	cr_expect_str_eq(sf.steps[0].plugin.arg, "rows=10 name=w # x", "blanks and '#' quoted");
	cr_expect_str_eq(sf.steps[1].plugin.arg, "say \"hi\" \\ ");
	cr_expect_str_eq(sf.steps[2].plugin.arg, "", "no arg: empty");
	cr_expect_eq(sf.nplugins, 3);
	cr_expect_eq(sf.steps[2].n, 2, "its index among the plugin steps");
	cr_expect(stepfile_per_task(&sf), "a plugin step has a state per task");
	double cpu;
	cr_expect_lt(stepfile_task_s(&sf, &cpu), 0, "a function's time is not known");
	stepfile_free(&sf);

	static const struct bad_case bad[] = {
		{"compute plugin so=l.so\n", 1, "compute plugin: fn= is missing"},
		{"compute plugin fn=f\n", 1, "compute plugin: so= is missing"},
		{"sleep ms=1\ncompute plugin so=l.so fn=f arg=\"open\n", 2,
		 "a '\"' with no closing '\"'"},
		{"compute plugin so= fn=f\n", 1, "compute plugin: an empty so="},
		{"compute plugins so=l.so fn=f\n", 1, "allowed: countdown, power, memwalk, spin, "
		 "plugin"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_expect_eq(stepfile_parse(&sf, "t.steps", bad[i].text, &err), CB_EINVAL);
		char at[32];
		snprintf(at, sizeof at, "t.steps:%d: ", bad[i].line);
		cr_expect(strncmp(err.msg, at, strlen(at)) == 0 && strstr(err.msg, bad[i].says),
			  "case %zu: '%s', expected %s... '%s'", i, err.msg, at, bad[i].says);
	}
}

/* configure on a file: its code, and err's message in msg. */
static int configure_file(const char *text, char *msg, size_t len)
{
	scratch_make("stepfile");
	scratch_file("t.steps", text);
	char path[256];
	scratch_path(path, sizeof path, "t.steps");
	const struct workload *wl = workload_find("steps");
	struct params p;
	struct cb_err err = {0};
	const char *kv[] = {"file", path, NULL};
	cr_assert_eq(test_params(&p, "steps", wl->params, kv, &err), CB_OK, "%s", err.msg);
	void *cfg = NULL;
	int rc = wl->configure(&p, &cfg, &err);
	if (rc == CB_OK)
		wl->config_free(cfg);
	params_free(&p);
	snprintf(msg, len, "%s", err.msg);
	scratch_remove();
	return rc;
}

Test(stepfile, plugin_errors_name_the_line)
{
	static const struct {
		const char *line2, *says;
	} cases[] = {
		{"compute plugin so=" CB_PLUGIN_BADABI " fn=bad", "ABI"},
		{"compute plugin so=" CB_PLUGIN_COUNT " fn=nosuch", "nosuch"},
		{"compute plugin so=/tmp fn=count", "directory"},
		{"compute plugin so=no-such-lib.so fn=count", "no-such-lib.so"},
		{"compute plugin so=" CB_PLUGIN_COUNT " fn=count arg=refuse",
		 "the argument 'refuse' is refused"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024], msg[600];
		snprintf(text, sizeof text, "sleep ms=1\n%s\n", cases[i].line2);
		cr_expect_eq(configure_file(text, msg, sizeof msg), CB_EINVAL, "case %zu", i);
		cr_expect(strstr(msg, "t.steps:2: compute plugin: ") && strstr(msg, cases[i].says),
			  "case %zu: '%s' does not say line 2 and '%s'", i, msg, cases[i].says);
	}
}

/* Two plugin steps: each its own state per task, each called once (count_check says). */
Test(stepfile, plugin_steps_run_in_every_model)
{
	const char *text = "sleep ms=1\n"
			   "compute plugin so=" CB_PLUGIN_COUNT " fn=count arg=first\n"
			   "sleep ms=1\n"
			   "compute plugin so=" CB_PLUGIN_COUNT " fn=count arg=second\n"
			   "compute plugin so=" CB_PLUGIN_EXAMPLE " fn=render arg=\"rows=50 name=x\"\n";
	for (size_t m = 0; m < NMODELS; m++) {
		struct model_out o = run_file(text, models[m], 4, 0);
		cr_expect_eq(o.ok, 4, "%s: %d ok, %d failed", models[m], o.ok, o.failed);
	}
}

/* The function's wrong answer fails its task, as a built-in kernel's does. */
Test(stepfile, plugin_wrong_answer_fails_the_task)
{
	const char *text = "compute plugin so=" CB_PLUGIN_COUNT " fn=count arg=odd-wrong\n"
			   "sleep ms=1\n";
	for (size_t m = 0; m < NMODELS; m++) {
		struct model_out o = run_file(text, models[m], 4, 0);
		cr_expect_eq(o.ok, 2, "%s: %d ok", models[m], o.ok);
		cr_expect_eq(o.fail[FAIL_CHECK], 2, "%s: %d failed as check", models[m],
			     o.fail[FAIL_CHECK]);
	}
}

/* A relative library is found from the task file's folder, not the current one. */
Test(stepfile, plugin_path_is_from_the_file)
{
	scratch_make("stepfile");
	char lib[256], path[256];
	scratch_path(lib, sizeof lib, "libmine.so");
	cr_assert_eq(symlink(CB_PLUGIN_COUNT, lib), 0);
	scratch_file("t.steps", "compute plugin so=libmine.so fn=count\n");
	scratch_path(path, sizeof path, "t.steps");
	const struct workload *wl = workload_find("steps");
	struct params p;
	struct cb_err err = {0};
	const char *kv[] = {"file", path, NULL};
	cr_assert_eq(test_params(&p, "steps", wl->params, kv, &err), CB_OK, "%s", err.msg);
	void *cfg = NULL;
	cr_expect_eq(wl->configure(&p, &cfg, &err), CB_OK, "%s", err.msg);
	if (cfg)
		wl->config_free(cfg);
	params_free(&p);
	scratch_remove();
}
