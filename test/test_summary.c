/* summary: speedup against the serial cell, the ideal time (CPU work: serial over
 * min(W, N, cores); waiting work: the workload's own), flags, outcomes, resources. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "summary.h"

#define CELLS_MAX 6
#define ROWS_MAX 64

/* A hand-made plan: cells over shared instances, and rows as a run would give them. */
struct run {
	struct wl_inst wi;
	struct rn_inst serial, threads, py_serial, py_threads, go;
	struct cell cells[CELLS_MAX];
	struct plan plan;
	struct trial_row rows[ROWS_MAX];
	int nrows;
	struct summary sums[CELLS_MAX];
	struct floor_entry fe[CELLS_MAX];
	struct floors fl;
};

static void run_init(struct run *r, const char *workload)
{
	memset(r, 0, sizeof *r);
	r->wi.wl = workload_find(workload);
	cr_assert_not_null(r->wi.wl, "%s", workload);
	r->serial.rn = runner_find("serial");
	r->threads.rn = runner_find("threads");
	r->py_serial.rn = runner_find("py-serial");
	r->py_threads.rn = runner_find("py-threads");
	r->go.rn = runner_find("go");
	r->wi.params_str = r->serial.params_str = r->threads.params_str = (char *)"";
	r->py_serial.params_str = r->py_threads.params_str = r->go.params_str = (char *)"";
	cr_assert(r->serial.rn && r->threads.rn && r->serial.rn->one_at_a_time);
	cr_assert(r->py_serial.rn && r->py_threads.rn && r->go.rn);
	r->plan.cells = r->cells;
	r->fl = (struct floors){.base_rss_kib = 1000, .e = r->fe};
}

static int add_cell(struct run *r, bool serial, int tasks, int workers)
{
	int i = r->plan.ncells++;
	r->cells[i] = (struct cell){.wi = &r->wi, .ri = serial ? &r->serial : &r->threads,
				    .tasks = tasks, .workers = serial ? 1 : workers, .repeat = 3};
	return i;
}

static int add_cell_of(struct run *r, struct rn_inst *ri, int tasks, int workers)
{
	int i = r->plan.ncells++;
	r->cells[i] = (struct cell){.wi = &r->wi, .ri = ri, .tasks = tasks,
				    .workers = ri->rn->one_at_a_time ? 1 : workers, .repeat = 3};
	return i;
}

static struct trial_row *add_row(struct run *r, int cell, double wall, const char *outcome)
{
	struct trial_row *row = &r->rows[r->nrows++];
	*row = (struct trial_row){.cell = cell, .wall_s = wall, .maxrss_kib = 3000, .minflt = 400,
				  .trial_s = wall + 0.01};
	snprintf(row->outcome, sizeof row->outcome, "%s", outcome);
	row->tasks_ok = strcmp(outcome, "ok") == 0 ? r->cells[cell].tasks : 0;
	row->tasks_failed = r->cells[cell].tasks - row->tasks_ok;
	return row;
}

static void add_rows(struct run *r, int cell, double wall, int n)
{
	for (int i = 0; i < n; i++)
		add_row(r, cell, wall, "ok");
}

static void expect_near(double got, double want, const char *what, size_t i)
{
	if (isnan(want))
		cr_expect(isnan(got), "case %zu: %s = %g, expected NAN", i, what, got);
	else
		cr_expect(fabs(got - want) < 1e-9, "case %zu: %s = %.12g, expected %.12g", i, what,
			  got, want);
}

struct ideal_case {
	int tasks, workers, cores;
	double wall;       /* of the threads cell; serial takes 4 s */
	double ideal, speedup;
};

/* The serial median 4 s over min(W, N, cores), W = 0 or W > N meaning N. */
static const struct ideal_case ideal_cases[] = {
	{4, 0, 2, 2.0, 2.0, 2.0},
	{4, 1, 2, 4.0, 4.0, 1.0},
	{4, 3, 2, 2.5, 2.0, 1.6},
	{4, 3, 8, 2.0, 4.0 / 3, 2.0},
	{4, 0, 8, 1.0, 1.0, 4.0},
	{4, 8, 8, 1.0, 1.0, 4.0},
	{4, 0, 1, 4.0, 4.0, 1.0},
	{4, 2, 8, 2.0, 2.0, 2.0},
	{1, 0, 8, 4.0, 4.0, 1.0},
};

Test(summary, cpu_ideal_and_speedup_table)
{
	static struct run r;
	for (size_t i = 0; i < sizeof ideal_cases / sizeof ideal_cases[0]; i++) {
		const struct ideal_case *t = &ideal_cases[i];
		run_init(&r, "countdown");
		cr_assert(r.wi.wl->cpu_bound && !r.wi.wl->ideal_s);
		int s = add_cell(&r, true, t->tasks, 0), c = add_cell(&r, false, t->tasks, t->workers);
		add_rows(&r, s, 4.0, 3);
		add_rows(&r, c, t->wall, 3);
		summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, t->cores);
		expect_near(r.sums[c].ideal_s, t->ideal, "ideal_s", i);
		expect_near(r.sums[c].speedup, t->speedup, "speedup", i);
		expect_near(r.sums[c].overhead_s, t->wall - t->ideal, "overhead_s", i);
		expect_near(r.sums[c].overhead_per_task_s, (t->wall - t->ideal) / t->tasks,
			    "overhead_per_task_s", i);
		expect_near(r.sums[s].speedup, 1.0, "serial speedup", i);
		expect_near(r.sums[s].ideal_s, 4.0, "serial ideal", i);
	}
}

/* Without a serial cell of the same workload and N, neither can be known. */
Test(summary, no_serial_peer)
{
	static struct run r;
	run_init(&r, "countdown");
	int s = add_cell(&r, true, 4, 0), c = add_cell(&r, false, 2, 0);
	add_rows(&r, s, 4.0, 3);
	add_rows(&r, c, 1.0, 3);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	expect_near(r.sums[c].speedup, NAN, "speedup", 0);
	expect_near(r.sums[c].ideal_s, NAN, "ideal_s", 0);
	expect_near(r.sums[c].overhead_s, NAN, "overhead_s", 0);
}

/* A waiting workload knows its ideal: ceil(N / W) x steps x ms. */
Test(summary, sleep_ideal_from_the_workload)
{
	static struct run r;
	run_init(&r, "sleep");
	struct cb_err err = {0};
	cr_assert_eq(params_init(&r.wi.params, "sleep", r.wi.wl->params, &err), CB_OK);
	cr_assert_eq(params_set(&r.wi.params, "steps", "2", &err), CB_OK);
	cr_assert_eq(r.wi.wl->configure(&r.wi.params, &r.wi.cfg, &err), CB_OK, "%s", err.msg);
	static const struct {
		int tasks, workers;
		double ideal;
	} cases[] = {{4, 2, 0.4}, {5, 2, 0.6}, {4, 0, 0.2}, {4, 9, 0.2}, {3, 1, 0.6}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r.plan.ncells = r.nrows = 0;
		int c = add_cell(&r, false, cases[i].tasks, cases[i].workers);
		add_rows(&r, c, cases[i].ideal + 0.05, 3);
		summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
		expect_near(r.sums[c].ideal_s, cases[i].ideal, "ideal_s", i);
		expect_near(r.sums[c].overhead_s, 0.05, "overhead_s", i);
	}
	r.wi.wl->config_free(r.wi.cfg);
	params_free(&r.wi.params);
}

struct flags_case {
	double first, rest; /* the first measured wall, and every other */
	double jitter;      /* the others alternate rest * (1 -+ jitter) */
	int n;
	const char *last_outcome; /* of one more trial after them */
	const char *flags, *outcomes;
};

static const struct flags_case flags_cases[] = {
	{1, 1, 0, 5, NULL, "", "ok:5"},
	{1, 1, 0.1, 6, NULL, "noisy", "ok:6"},
	{1.3, 1, 0, 40, NULL, "first-slow", "ok:40"}, /* cv 4.7%: slow first, not noisy */
	{3, 1, 0, 5, NULL, "noisy,first-slow", "ok:5"},
	{1, 1, 0, 5, "timeout", "failed", "ok:5;timeout:1"},
	{1, 1, 0, 2, "crashed", "failed", "ok:2;crashed:1"},
	{3, 1, 0, 5, "deadlocked", "noisy,first-slow,failed", "ok:5;deadlocked:1"},
	{1.1, 1, 0.2, 3, "limit", "noisy,failed", "ok:3;limit:1"},
	{1, 1, 0, 2, NULL, "partial", "ok:2"}, /* 3 planned: the run was stopped */
	{1, 1, 0, 1, "timeout", "failed,partial", "ok:1;timeout:1"},
};

Test(summary, flags_table)
{
	static struct run r;
	for (size_t i = 0; i < sizeof flags_cases / sizeof flags_cases[0]; i++) {
		const struct flags_case *t = &flags_cases[i];
		run_init(&r, "countdown");
		int c = add_cell(&r, false, 4, 0);
		add_row(&r, c, 50, "ok")->warmup = true; /* never counted */
		add_row(&r, c, t->first, "ok");
		for (int k = 1; k < t->n; k++)
			add_row(&r, c, t->rest * (1 + (k % 2 ? -t->jitter : t->jitter)), "ok");
		if (t->last_outcome)
			add_row(&r, c, 99, t->last_outcome);
		summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
		char flags[64];
		summary_flag_names(r.sums[c].flags, flags, sizeof flags);
		cr_expect_str_eq(flags, t->flags, "case %zu", i);
		cr_expect_str_eq(r.sums[c].outcomes, t->outcomes, "case %zu", i);
		cr_expect_eq(r.sums[c].trials, t->n + (t->last_outcome != NULL), "case %zu", i);
		cr_expect_eq(r.sums[c].trials_ok, t->n, "case %zu", i);
		cr_expect_eq(r.sums[c].wall.n, t->n, "case %zu: only ok trials are timed", i);
		cr_expect_lt(r.sums[c].wall.max, 50, "case %zu: a warm-up or failure was timed", i);
	}
}

struct names_case {
	int flags;
	const char *want;
};

static const struct names_case names_cases[] = {
	{0, ""},
	{FLAG_NOISY, "noisy"},
	{FLAG_FIRST_SLOW, "first-slow"},
	{FLAG_FAILED, "failed"},
	{FLAG_NOISY | FLAG_FIRST_SLOW, "noisy,first-slow"},
	{FLAG_NOISY | FLAG_FAILED, "noisy,failed"},
	{FLAG_FIRST_SLOW | FLAG_FAILED, "first-slow,failed"},
	{FLAG_NOISY | FLAG_FIRST_SLOW | FLAG_FAILED, "noisy,first-slow,failed"},
	{FLAG_PARTIAL, "partial"},
	{FLAG_FAILED | FLAG_PARTIAL | FLAG_BELOW_FLOOR, "failed,below-floor,partial"},
};

Test(summary, flag_names_table)
{
	for (size_t i = 0; i < sizeof names_cases / sizeof names_cases[0]; i++) {
		char buf[64];
		summary_flag_names(names_cases[i].flags, buf, sizeof buf);
		cr_expect_str_eq(buf, names_cases[i].want, "flags %d", names_cases[i].flags);
	}
}

/* Memory and faults per task above the empty child, the floor and overhead against it. */
Test(summary, resources_and_floor)
{
	static struct run r;
	run_init(&r, "countdown");
	int s = add_cell(&r, true, 4, 0), c = add_cell(&r, false, 4, 0);
	add_rows(&r, s, 4.0, 3);
	add_rows(&r, c, 2.5, 3);
	r.fe[0] = (struct floor_entry){.wi = &r.wi, .ri = &r.threads, .tasks = 4, .workers = 0,
				       .seconds = 0.25};
	r.fl.n = 1;
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	const struct summary *t = &r.sums[c];
	expect_near(t->maxrss_kib, 3000, "maxrss_kib", 0);
	expect_near(t->rss_per_task_b, (3000 - 1000) * 1024.0 / 4, "rss_per_task_b", 0);
	expect_near(t->minflt_per_task, 100, "minflt_per_task", 0);
	expect_near(t->trial_s, 2.51, "trial_s", 0);
	expect_near(t->floor_s, 0.25, "floor_s", 0);
	expect_near(t->overhead_s, 0.5, "overhead_s", 0);
	expect_near(t->overhead_vs_floor, 2.0, "overhead_vs_floor", 0);
	expect_near(r.sums[s].floor_s, NAN, "serial floor_s", 0);
	expect_near(r.sums[s].overhead_vs_floor, NAN, "serial overhead_vs_floor", 0);
}

/* When every trial failed, resources still come from all of them; no time does. */
Test(summary, all_failed_and_none_run)
{
	static struct run r;
	run_init(&r, "countdown");
	int c = add_cell(&r, false, 4, 0), idle = add_cell(&r, false, 8, 0);
	add_row(&r, c, 9, "timeout");
	add_row(&r, c, 9, "timeout");
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	cr_expect_eq(r.sums[c].trials, 2);
	cr_expect_eq(r.sums[c].trials_ok, 0);
	cr_expect_eq(r.sums[c].tasks_failed, 8);
	expect_near(r.sums[c].wall.median, NAN, "median", 0);
	expect_near(r.sums[c].maxrss_kib, 3000, "maxrss_kib", 0);
	cr_expect_str_eq(r.sums[c].outcomes, "timeout:2");
	cr_expect(r.sums[c].flags & FLAG_FAILED);
	/* a cell an interrupt never reached: partial, nothing else */
	cr_expect_eq(r.sums[idle].trials, 0);
	cr_expect_eq(r.sums[idle].trials_planned, 3);
	cr_expect_str_eq(r.sums[idle].outcomes, "");
	expect_near(r.sums[idle].wall.median, NAN, "idle median", 0);
	cr_expect_eq(r.sums[idle].flags, FLAG_PARTIAL);
}

struct reasons_case {
	int status, connect; /* failed tasks by reason in the first trial */
	const char *outcome; /* of a second trial, which reports no reasons */
	const char *reasons, *note;
};

static const struct reasons_case reasons_cases[] = {
	{0, 0, "ok", "", ""},
	{2, 0, "ok", "2 status", "HTTP 404 from http://x/, not 200"},
	{2, 1, "failed", "1 connect, 2 status", "HTTP 404 from http://x/, not 200"},
	{0, 0, "timeout", "4 lost", "killed after the 1 s trial timeout"},
	{1, 0, "crashed", "1 status, 4 lost", "HTTP 404 from http://x/, not 200"},
};

/* A failed cell's tasks by reason (those of a trial that never reported are lost), and
 * the first failed trial's note. */
Test(summary, fail_reasons_and_note_table)
{
	static struct run r;
	for (size_t i = 0; i < sizeof reasons_cases / sizeof reasons_cases[0]; i++) {
		const struct reasons_case *t = &reasons_cases[i];
		run_init(&r, "countdown");
		int c = add_cell(&r, false, 4, 0);
		struct trial_row *a = add_row(&r, c, 1, t->status + t->connect ? "failed" : "ok");
		a->fail[FAIL_STATUS] = t->status;
		a->fail[FAIL_CONNECT] = t->connect;
		a->tasks_failed = t->status + t->connect;
		a->tasks_ok = 4 - a->tasks_failed;
		if (a->tasks_failed)
			snprintf(a->note, sizeof a->note, "HTTP 404 from http://x/, not 200");
		struct trial_row *b = add_row(&r, c, 1, t->outcome);
		if (strcmp(t->outcome, "timeout") == 0)
			snprintf(b->note, sizeof b->note, "killed after the 1 s trial timeout");
		if (strcmp(t->outcome, "failed") == 0) /* its tasks were counted in a */
			b->tasks_failed = 0, b->tasks_ok = 4;
		add_rows(&r, c, 1, 1);
		summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
		char buf[128];
		summary_fail_reasons(&r.sums[c], buf, sizeof buf);
		cr_expect_str_eq(buf, t->reasons, "case %zu", i);
		cr_expect_str_eq(r.sums[c].note, t->note, "case %zu", i);
	}
}

/* The median's interval: from 6 ok trials it reaches 95% ([min, max] at 6), below not;
 * summary_so_far agrees with the whole summary on the trials so far. */
Test(summary, median_interval_and_so_far)
{
	static struct run r;
	run_init(&r, "countdown");
	int c = add_cell(&r, false, 4, 0), d = add_cell(&r, false, 8, 0);
	const double walls[] = {1.0, 1.2, 0.9, 1.1, 1.05, 0.95};
	for (int k = 0; k < 6; k++)
		add_row(&r, c, walls[k], "ok");
	add_rows(&r, d, 2.0, 2);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	cr_expect_geq(r.sums[c].median_cover, 0.95);
	expect_near(r.sums[c].median_lo, 0.9, "median_lo", 0);
	expect_near(r.sums[c].median_hi, 1.2, "median_hi", 0);
	cr_expect_lt(r.sums[d].median_cover, 0.95, "2 trials cannot reach 95%%");
	struct summary s;
	summary_so_far(&s, &r.plan, r.rows, 4, c);
	cr_expect_eq(s.trials, 4);
	expect_near(s.wall.median, 1.05, "median of the first 4", 0);
	cr_expect_str_eq(s.outcomes, "ok:4");
	summary_so_far(&s, &r.plan, r.rows, r.nrows, d);
	expect_near(s.wall.median, 2.0, "d's median", 0);
	cr_expect(s.flags & FLAG_PARTIAL, "2 of 3");
}

/* --no-floors: nothing to subtract or compare against, so those stay unknown. */
Test(summary, without_floors)
{
	static struct run r;
	run_init(&r, "countdown");
	floors_none(&r.fl);
	int s = add_cell(&r, true, 4, 0), c = add_cell(&r, false, 4, 0);
	add_rows(&r, s, 4.0, 3);
	add_rows(&r, c, 2.5, 3);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	expect_near(r.sums[c].rss_per_task_b, NAN, "rss_per_task_b", 0);
	expect_near(r.sums[c].floor_s, NAN, "floor_s", 0);
	expect_near(r.sums[c].overhead_vs_floor, NAN, "overhead_vs_floor", 0);
	expect_near(r.sums[c].maxrss_kib, 3000, "maxrss_kib", 0);
	expect_near(r.sums[c].overhead_s, 0.5, "overhead_s", 0);
}

/* Each family against its own serial runner, whatever order -r named them in; a family
 * without one gets no speed-up at all, never another family's. */
Test(summary, one_baseline_per_family)
{
	static struct run r;
	run_init(&r, "countdown");
	int py = add_cell_of(&r, &r.py_serial, 2, 0), pyt = add_cell_of(&r, &r.py_threads, 2, 0);
	int s = add_cell_of(&r, &r.serial, 2, 0), t = add_cell_of(&r, &r.threads, 2, 0);
	int g = add_cell_of(&r, &r.go, 2, 0);
	add_rows(&r, py, 8.0, 3);
	add_rows(&r, pyt, 8.0, 3);
	add_rows(&r, s, 0.4, 3);
	add_rows(&r, t, 0.2, 3);
	add_rows(&r, g, 0.2, 3);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	expect_near(r.sums[s].speedup, 1.0, "C serial speedup", 0);
	expect_near(r.sums[t].speedup, 2.0, "C threads speedup", 0);
	expect_near(r.sums[t].ideal_s, 0.2, "C threads ideal", 0);
	expect_near(r.sums[pyt].speedup, 1.0, "Python threads speedup", 0);
	expect_near(r.sums[pyt].ideal_s, 4.0, "Python threads ideal", 0);
	cr_expect_str_eq(r.sums[t].baseline, "serial");
	cr_expect_str_eq(r.sums[pyt].baseline, "py-serial");
	cr_expect_null(r.sums[g].baseline, "go has no serial runner");
	expect_near(r.sums[g].speedup, NAN, "go speedup", 0);
	expect_near(r.sums[g].ideal_s, NAN, "go ideal", 0);
}

/* The ideal of CPU work uses the cores the host gave, not the ones it lists. */
Test(summary, cpu_ideal_uses_the_capacity)
{
	static struct run r;
	run_init(&r, "countdown");
	int s = add_cell(&r, true, 4, 0), c = add_cell(&r, false, 4, 0);
	add_rows(&r, s, 3.0, 3);
	add_rows(&r, c, 2.5, 3);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 1.5);
	expect_near(r.sums[c].ideal_s, 2.0, "ideal_s", 0);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 0.7);
	expect_near(r.sums[c].ideal_s, 3.0, "ideal_s below one core", 0);
}

/* A model that does less than its floor's bare work means the floor is wrong. */
Test(summary, below_its_floor_is_flagged)
{
	static struct run r;
	run_init(&r, "sleep");
	struct cb_err err = {0};
	cr_assert_eq(params_init(&r.wi.params, "sleep", r.wi.wl->params, &err), CB_OK);
	cr_assert_eq(r.wi.wl->configure(&r.wi.params, &r.wi.cfg, &err), CB_OK, "%s", err.msg);
	int c = add_cell(&r, false, 4, 0), d = add_cell(&r, false, 8, 0);
	r.fe[0] = (struct floor_entry){.wi = &r.wi, .ri = &r.threads, .tasks = 4, .seconds = 0.1,
				       .fastest_s = 0.1};
	r.fe[1] = (struct floor_entry){.wi = &r.wi, .ri = &r.threads, .tasks = 8, .seconds = 0.01,
				       .fastest_s = 0.01};
	r.fl.n = 2;
	add_rows(&r, c, 0.15, 3);
	add_rows(&r, d, 0.15, 3);
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	char flags[64];
	summary_flag_names(r.sums[c].flags, flags, sizeof flags);
	expect_near(r.sums[c].overhead_vs_floor, 0.5, "overhead_vs_floor", 0);
	cr_expect_str_eq(flags, "below-floor");
	cr_expect(!(r.sums[d].flags & FLAG_BELOW_FLOOR), "5x its floor flagged");
	/* Under the floor's median but not under its fastest run: noise, not flagged. */
	r.fe[0].fastest_s = 0.045;
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	cr_expect(!(r.sums[c].flags & FLAG_BELOW_FLOOR), "under the median only, flagged");
	expect_near(r.sums[c].overhead_vs_floor, 0.5, "overhead_vs_floor (the median's)", 0);
	r.wi.wl->config_free(r.wi.cfg);
	params_free(&r.wi.params);
}

/* A peer's interpreter is its own base: memory per task counts the tasks after one. */
Test(summary, peer_memory_above_its_own_runtime)
{
	static struct run r;
	run_init(&r, "countdown");
	int g = add_cell_of(&r, &r.go, 5, 0);
	add_rows(&r, g, 1.0, 3);
	struct base_entry b = {.wi = &r.wi, .ri = &r.go, .rss_kib = 2000};
	r.fl.b = &b;
	r.fl.nb = 1;
	summary_compute(r.sums, &r.plan, r.rows, r.nrows, &r.fl, 2);
	expect_near(r.sums[g].rss_per_task_b, (3000 - 2000) * 1024.0 / 4, "rss_per_task_b", 0);
}
