/* The plugin loader (workloads/pluginload.h) and -w plugin: every refusal of a library
 * as one line naming it; the example library run in every C runner, its wrong answer
 * failing tasks and the page it renders checked by hand; the harness's books on
 * FN_init/FN_free and the check's failure; and the binary end to end: a run, bad
 * input (exit 2, one line, nothing written), a relative path, and the peers refused. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellrun.h"
#include "pluginload.h"
#include "runner.h"
#include "scratch.h"
#include "teststeps.h"
#include "workload.h"

#define FOR_EACH_C_RUNNER(rn)                                                             \
	for (const struct runner *const *it_ = runner_table; ((rn) = *it_) != NULL; it_++) \
		if ((rn)->run && !(rn)->waits_skipped)

/* ---- the loader's refusals ---- */

struct refusal {
	const char *so;   /* a path; "@dir" and "@text" stand for scratch's folder and file */
	const char *fn;
	const char *want; /* in the message */
};

static const struct refusal refusals[] = {
	{"/nonexistent/libnone.so", "render", "/nonexistent/libnone.so: no such file"},
	{"@dir", "render", "a directory, not a file"},
	{"@text", "render", "does not load as a shared library"},
	{"", "render", "no library given"},
	{CB_PLUGIN_BADABI, "render", "built for plugin ABI 2 (allowed: ABI 1"},
	{CB_PLUGIN_NOABI, "render", "no symbol concbench_plugin_abi"},
	{CB_PLUGIN_EXAMPLE, "nosuch", "no function 'nosuch'"},
	{CB_PLUGIN_EXAMPLE, "printf", "no function 'printf'"}, /* libc's, not the library's */
	{CB_PLUGIN_EXAMPLE, "a-b", "function 'a-b' (allowed: a C identifier"},
	{CB_PLUGIN_EXAMPLE, "", "function '' (allowed: a C identifier"},
};

Test(plugin, every_refusal_is_one_line_naming_what_is_wrong)
{
	scratch_make("plugin");
	char dir[256], text[256];
	scratch_path(dir, sizeof dir, "lib.so");
	cr_assert_eq(mkdir(dir, 0755), 0);
	scratch_file("notelf.so", "not a shared object\n");
	scratch_path(text, sizeof text, "notelf.so");
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		const struct refusal *r = &refusals[i];
		const char *so = strcmp(r->so, "@dir") == 0 ? dir : strcmp(r->so, "@text") == 0 ? text
												: r->so;
		struct plugin *pl = (struct plugin *)1;
		struct cb_err err = {0};
		cr_expect_eq(plugin_open(&pl, so, r->fn, &err), CB_EINVAL, "%s %s", so, r->fn);
		cr_expect_null(pl, "%s %s", so, r->fn);
		cr_expect(strstr(err.msg, r->want), "%s %s: '%s' lacks '%s'", so, r->fn, err.msg,
			  r->want);
		cr_expect_null(strchr(err.msg, '\n'), "%s: '%s' is not one line", so, err.msg);
	}
	scratch_remove();
}

Test(plugin, the_example_opens_with_its_optional_parts)
{
	struct plugin *pl;
	struct cb_err err = {0};
	cr_assert_eq(plugin_open(&pl, CB_PLUGIN_EXAMPLE, "render", &err), CB_OK, "%s", err.msg);
	cr_expect_eq(pl->path[0], '/');
	cr_expect(pl->fn && pl->init && pl->check);
	cr_expect_null(pl->free_fn, "render has no render_free");
	cr_expect_gt(pl->state_size, 0);
	struct plugin_call *call;
	cr_expect_eq(plugin_call_new(&call, pl, "rows=0", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "render_init refused arg 'rows=0' for task 0: rows=0 "
			 "(allowed: 1..1000000)"), "%s", err.msg);
	cr_expect_eq(plugin_call_new(&call, pl, "colour=red", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "unknown key 'colour'"), "%s", err.msg);
	plugin_close(pl);
}

/* ---- the example under every runner ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

/* The example's page, written out here by hand from its documented template. */
static uint64_t page_digest(int rows, const char *name)
{
	char line[256];
	snprintf(line, sizeof line, "<html><body><h1>Hello, %s!</h1><table>\n", name);
	uint64_t h = fnv1a(FNV_OFFSET, line);
	for (int i = 0; i < rows; i++) {
		snprintf(line, sizeof line, "<tr><td>%d</td><td>%s</td><td>%d</td></tr>\n", i, name,
			 i * i % 97);
		h = fnv1a(h, line);
	}
	return fnv1a(h, "</table></body></html>\n");
}

static struct cellrun_out run_example(const struct runner *rn, const char *arg, int n, int w)
{
	const char *kv[] = {"so", CB_PLUGIN_EXAMPLE, "fn", "render", "arg", arg, NULL};
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, "plugin", kv, rn, NULL, &err), CB_OK, "%s: %s",
		     rn->name, err.msg);
	struct cellrun_out o;
	testcell_run(&tc, n, w, &o);
	testcell_close(&tc);
	return o;
}

Test(plugin, the_example_runs_in_every_runner, .timeout = 60)
{
	char right[128], wrong[128];
	snprintf(right, sizeof right, "rows=200 name=tester expect=%016" PRIx64,
		 page_digest(200, "tester"));
	snprintf(wrong, sizeof wrong, "rows=200 name=tester expect=%016" PRIx64,
		 page_digest(200, "tester") ^ 1);
	static const int sizes[][2] = {{1, 0}, {12, 0}, {12, 5}};
	const struct runner *rn;
	int runners = 0;
	FOR_EACH_C_RUNNER(rn) {
		runners++;
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			int n = sizes[k][0], w = sizes[k][1];
			/* the check (every task rendered once, all pages alike) sees each
			 * task's state, procs's forked workers' included */
			struct cellrun_out o = run_example(rn, right, n, w);
			cr_expect_eq(o.code, CB_OK, "%s N=%d W=%d: stage %d: %s", rn->name, n, w,
				     o.stage, o.note);
			cr_expect_eq(o.tasks_ok, n, "%s N=%d W=%d", rn->name, n, w);
			o = run_example(rn, wrong, n, w);
			cr_expect_eq(o.code, CB_OK, "%s: a wrong answer is a result: %s", rn->name,
				     o.note);
			cr_expect_eq(o.tasks_failed, n, "%s N=%d W=%d", rn->name, n, w);
			cr_expect_eq(o.fail[FAIL_CHECK], n, "%s N=%d W=%d", rn->name, n, w);
		}
	}
	cr_expect_eq(runners, 5, "serial, threads, procs, evloop, green");
}

/* ---- the harness's books: init and free paired, the check's verdict ---- */

static int *count_live(void)
{
	void *h = dlopen(CB_PLUGIN_COUNT, RTLD_NOW | RTLD_NOLOAD);
	cr_assert_not_null(h, "the count plugin is not loaded");
	int *live = dlsym(h, "count_live");
	dlclose(h); /* still held by the open cell */
	cr_assert_not_null(live);
	return live;
}

static struct cellrun_out run_count(const struct runner *rn, const char *fn, const char *arg,
				    int n, int w)
{
	const char *kv[] = {"so", CB_PLUGIN_COUNT, "fn", fn, "arg", arg, NULL};
	struct testcell tc;
	struct cb_err err = {0};
	cr_assert_eq(testcell_open(&tc, "plugin", kv, rn, NULL, &err), CB_OK, "%s: %s",
		     rn->name, err.msg);
	int *live = count_live();
	cr_expect_eq(*live, 0, "%s: the plan's trial init was not freed", rn->name);
	struct cellrun_out o;
	testcell_run(&tc, n, w, &o);
	cr_expect_eq(*live, 0, "%s: %d states not freed", rn->name, *live);
	testcell_close(&tc);
	return o;
}

Test(plugin, init_free_and_check_in_every_runner, .timeout = 60)
{
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn) {
		struct cellrun_out o = run_count(rn, "count", "", 9, 4);
		cr_expect_eq(o.code, CB_OK, "%s: %s", rn->name, o.note);
		cr_expect_eq(o.tasks_ok, 9, "%s", rn->name);

		o = run_count(rn, "count", "fail-check", 9, 0);
		cr_expect_eq(o.code, CB_EFAIL, "%s: the check failed, yet %d", rn->name, o.code);
		cr_expect_eq(o.stage, 3, "%s", rn->name);
		cr_expect(strstr(o.note, "count_check failed: failed on purpose over 9 tasks"),
			  "%s: %s", rn->name, o.note);

		o = run_count(rn, "count", "odd-wrong", 9, 0);
		cr_expect_eq(o.code, CB_OK, "%s: failed tasks skip the check: %s", rn->name, o.note);
		cr_expect_eq(o.fail[FAIL_CHECK], 4, "%s", rn->name);
		cr_expect_eq(o.tasks_ok, 5, "%s", rn->name);

		o = run_count(rn, "nostate", "", 5, 0);
		cr_expect_eq(o.code, CB_OK, "%s: %s", rn->name, o.note);
		cr_expect_eq(o.tasks_ok, 5, "%s", rn->name);
	}
}

/* An init that refuses one task in a trial fails the trial's build; the states made
 * before it are freed. */
Test(plugin, an_init_refused_in_a_trial_fails_it_and_frees_the_rest)
{
	const struct runner *rn;
	FOR_EACH_C_RUNNER(rn) {
		struct cellrun_out o = run_count(rn, "count", "refuse-task-3", 9, 0);
		cr_expect_eq(o.code, CB_EFAIL, "%s: %d", rn->name, o.code);
		cr_expect_eq(o.stage, 1, "%s: stage %d", rn->name, o.stage);
		cr_expect(strstr(o.note, "count_init refused arg 'refuse-task-3' for task 3: task 3 "
				 "is refused"), "%s: %s", rn->name, o.note);
	}
}

Test(plugin, an_argument_init_refuses_stops_the_plan)
{
	const char *kv[] = {"so", CB_PLUGIN_COUNT, "fn", "count", "arg", "refuse", NULL};
	struct testcell tc;
	struct cb_err err = {0};
	cr_expect_eq(testcell_open(&tc, "plugin", kv, &(struct runner){0}, NULL, &err),
		     CB_EINVAL);
	cr_expect(strstr(err.msg, "plugin: count_init refused arg 'refuse' for task 0: the "
			 "argument 'refuse' is refused"), "%s", err.msg);
}

/* Several plugin calls in one task, as a task file makes them: each call its slot. */
Test(plugin, two_calls_in_one_task_through_slots)
{
	struct plugin *pl;
	struct plugin_call *a, *b;
	struct plugin_states *sa, *sb;
	struct cb_err err = {0};
	cr_assert_eq(plugin_open(&pl, CB_PLUGIN_COUNT, "count", &err), CB_OK, "%s", err.msg);
	cr_assert_eq(plugin_call_new(&a, pl, "", &err), CB_OK, "%s", err.msg);
	cr_assert_eq(plugin_call_new(&b, pl, "", &err), CB_OK, "%s", err.msg);
	a->slot = 0;
	b->slot = 1;
	enum { N = 6 };
	cr_assert_eq(plugin_states_new(&sa, a, N, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(plugin_states_new(&sb, b, N, &err), CB_OK, "%s", err.msg);
	struct step steps[2] = {
		{.kind = STEP_COMPUTE, .compute = {.fn = plugin_step, .arg = a}},
		{.kind = STEP_COMPUTE, .compute = {.fn = plugin_step, .arg = b}},
	};
	void *slots[N][2];
	struct task tasks[N];
	for (int i = 0; i < N; i++) {
		slots[i][0] = plugin_states_get(sa, i);
		slots[i][1] = plugin_states_get(sb, i);
		tasks[i] = (struct task){.steps = steps, .nsteps = 2, .state = slots[i]};
	}
	struct task_result res[N];
	handmade_wall("procs", NULL, tasks, N, 0, NULL, 0, res);
	cr_expect_eq(tasks_ok(res, N), N);
	cr_expect_eq(plugin_states_check(sa, res, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(plugin_states_check(sb, res, &err), CB_OK, "%s", err.msg);
	plugin_states_free(sa);
	plugin_states_free(sb);
	plugin_call_free(a);
	plugin_call_free(b);
	plugin_close(pl);
}

/* ---- the binary ---- */

struct binrun {
	int status;
	char out[16384], err[4096];
};

/* Runs $CONCBENCH with argv (NULL-terminated, without the program) in dir (NULL: here). */
static void bin_run(struct binrun *r, const char *dir, const char *const *args)
{
	const char *bin = getenv("CONCBENCH");
	cr_assert(bin && *bin, "CONCBENCH is not set");
	char *argv[64];
	int n = 0;
	argv[n++] = (char *)bin;
	while (args[n - 1] && n < 63) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	FILE *out = tmpfile(), *err = tmpfile();
	cr_assert(out && err);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		if (dir && chdir(dir) != 0)
			_exit(127);
		execv(bin, argv);
		_exit(127);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	rewind(out);
	rewind(err);
	size_t o = fread(r->out, 1, sizeof r->out - 1, out), e = fread(r->err, 1, sizeof r->err - 1, err);
	r->out[o] = r->err[e] = '\0';
	fclose(out);
	fclose(err);
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(plugin, the_binary_runs_it_in_all_five_models, .timeout = 120)
{
	scratch_make("plugin-e2e");
	char csv[256], p_so[300];
	scratch_path(csv, sizeof csv, "run.csv");
	snprintf(p_so, sizeof p_so, "plugin.so=%s", CB_PLUGIN_EXAMPLE);
	const char *args[] = {"-w", "plugin", "-p", p_so, "-p", "plugin.fn=render",
			      "-p", "plugin.arg=rows=100", "-r", "serial,threads,procs,evloop,green",
			      "-n", "8", "--repeat", "1", "--warmup", "0", "--no-floors", "-o", csv,
			      NULL};
	struct binrun r;
	bin_run(&r, NULL, args);
	cr_expect_eq(r.status, 0, "%s", r.err);
	static const char *const models[] = {"serial", "threads", "procs", "evloop", "green"};
	for (size_t i = 0; i < 5; i++)
		cr_expect(strstr(r.out, models[i]), "no %s in:\n%s", models[i], r.out);
	char sum[300];
	scratch_path(sum, sizeof sum, "run.summary.csv");
	cr_expect_eq(access(csv, F_OK), 0, "no %s", csv);
	cr_expect_eq(access(sum, F_OK), 0, "no %s", sum);
	scratch_remove();
}

Test(plugin, a_relative_path_is_from_the_current_directory, .timeout = 60)
{
	char dir[512];
	cr_assert_lt((size_t)snprintf(dir, sizeof dir, "%s", CB_PLUGIN_EXAMPLE), sizeof dir);
	*strrchr(dir, '/') = '\0';
	const char *args[] = {"-w", "plugin", "-p", "plugin.so=./libcbexample.so",
			      "-p", "plugin.fn=render", "-p", "plugin.arg=rows=10", "-r", "procs",
			      "-n", "2", "--repeat", "1", "--warmup", "0", "--no-floors", "-o", "-",
			      NULL};
	struct binrun r;
	bin_run(&r, dir, args);
	cr_expect_eq(r.status, 0, "%s", r.err);
	bin_run(&r, "/", args);
	cr_expect_eq(r.status, 2, "from /: %s", r.err);
	cr_expect(strstr(r.err, "./libcbexample.so: no such file"), "%s", r.err);
}

struct bad_run {
	const char *so, *fn, *runner;
	const char *want;
};

static const struct bad_run bad_runs[] = {
	{"/nonexistent/libx.so", "render", "serial", "/nonexistent/libx.so: no such file"},
	{"@dir", "render", "serial", "a directory, not a file"},
	{CB_PLUGIN_EXAMPLE, "nosuch", "threads", "no function 'nosuch'"},
	{CB_PLUGIN_BADABI, "render", "green", "built for plugin ABI 2"},
	{CB_PLUGIN_EXAMPLE, "render", "go", "the peers run only some workloads"},
	{CB_PLUGIN_EXAMPLE, "render", "py-asyncio", "the peers run only some workloads"},
	{NULL, "render", "serial", "plugin.so: required"},
};

Test(plugin, bad_input_exits_2_with_one_line_and_writes_nothing, .timeout = 60)
{
	scratch_make("plugin-bad");
	char dir[256], csv[256];
	scratch_path(dir, sizeof dir, "lib.so");
	cr_assert_eq(mkdir(dir, 0755), 0);
	scratch_path(csv, sizeof csv, "run.csv");
	for (size_t i = 0; i < sizeof bad_runs / sizeof bad_runs[0]; i++) {
		const struct bad_run *b = &bad_runs[i];
		char p_so[300], p_fn[200];
		snprintf(p_so, sizeof p_so, "plugin.so=%s",
			 b->so && strcmp(b->so, "@dir") == 0 ? dir : b->so ? b->so : "");
		snprintf(p_fn, sizeof p_fn, "plugin.fn=%s", b->fn);
		const char *args[] = {"-w", "plugin", "-p", p_fn, "-r", b->runner, "-n", "2",
				      "--repeat", "1", "-o", csv, "-p", p_so, NULL};
		if (!b->so)
			args[12] = NULL;
		struct binrun r;
		bin_run(&r, NULL, args);
		cr_expect_eq(r.status, 2, "%s %s %s: exit %d: %s", b->so, b->fn, b->runner,
			     r.status, r.err);
		cr_expect(strstr(r.err, b->want), "'%s' lacks '%s'", r.err, b->want);
		cr_expect_eq(lines(r.err), 1, "not one line: %s", r.err);
		char names[512];
		scratch_list(names, sizeof names, NULL);
		cr_expect_str_eq(names, "lib.so", "%s wrote something: %s", b->so, names);
	}
	scratch_remove();
}
