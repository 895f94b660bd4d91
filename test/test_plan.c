/* plan: the cells of a sweep, one-at-a-time runners collapsing W, bad names and
 * parameters, the order of trials, and presets sharing workload instances. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "plan.h"

/* Parses args (split at spaces) into c. */
static void parse(struct cli *c, const char *args)
{
	char words[512], *argv[32];
	snprintf(words, sizeof words, "%s", args);
	int n = 0;
	argv[n++] = "concbench";
	char *save, *tok = strtok_r(words, " ", &save);
	for (; tok && n < 31; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	struct cb_err err = {0};
	cr_assert_eq(cli_parse(c, n, argv, &err), CB_OK, "'%s': %s", args, err.msg);
}

/* "workload{params}/runner/N/W" per cell, joined by spaces. */
static void describe_cells(const struct plan *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < p->ncells && off < len; i++) {
		const struct cell *c = &p->cells[i];
		off += (size_t)snprintf(buf + off, len - off, "%s%s{%s}/%s/%d/%d", i ? " " : "",
					c->wi->wl->name, c->wi->params_str, c->ri->rn->name,
					c->tasks, c->workers);
	}
}

/* "cell:index" per trial, 'w' after a warm-up, joined by spaces. */
static void describe_order(const struct plan *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < p->norder && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%d:%d%s", i ? " " : "",
					p->order[i].cell, p->order[i].index,
					p->order[i].warmup ? "w" : "");
}

struct add_case {
	const char *args;
	int rc;
	const char *want; /* CB_OK: the cells; otherwise: in the message */
};

static const struct add_case add_cases[] = {
	/* serial runs one at a time: any W is W = 1, and one cell */
	{"-w sleep -r serial,threads -n 2 -j 0,1,2", CB_OK,
	 "sleep{ms=100;steps=1}/serial/2/1 sleep{ms=100;steps=1}/threads/2/0 "
	 "sleep{ms=100;steps=1}/threads/2/1 sleep{ms=100;steps=1}/threads/2/2"},
	{"-w sleep,countdown -r threads -n 1,3 -p countdown.n=7", CB_OK,
	 "sleep{ms=100;steps=1}/threads/1/0 sleep{ms=100;steps=1}/threads/3/0 "
	 "countdown{n=7}/threads/1/0 countdown{n=7}/threads/3/0"},
	{"-w sleep,sleep -r serial,serial -n 2,2", CB_OK, "sleep{ms=100;steps=1}/serial/2/1"},
	{"-w sleep -r procs -p sleep.ms=5 -p sleep.steps=3", CB_OK,
	 "sleep{ms=5;steps=3}/procs/10/0"},
	{"-w sleep -r serial --scale 0.5", CB_OK, "sleep{ms=50;steps=1}/serial/10/1"},
	{"-w sleep -r serial -p sleep.ms=40 --scale 0.001", CB_OK,
	 "sleep{ms=0.04;steps=1}/serial/10/1"},
	{"-w countdown -r serial -p countdown.n=100 --scale 0.001", CB_OK,
	 "countdown{n=1}/serial/10/1"},
	/* the defaults: countdown and power under serial, threads, procs; N = 10, W = 0 */
	{"-p countdown.n=5 -p power.exp=10", CB_OK,
	 "countdown{n=5}/serial/10/1 countdown{n=5}/threads/10/0 countdown{n=5}/procs/10/0 "
	 "power{"},

	/* -p lists and ranges sweep like -n, the first -p varying slowest */
	{"-w sleep -r threads -n 2 -p sleep.ms=5,10 -p sleep.steps=1,2", CB_OK,
	 "sleep{ms=5;steps=1}/threads/2/0 sleep{ms=5;steps=2}/threads/2/0 "
	 "sleep{ms=10;steps=1}/threads/2/0 sleep{ms=10;steps=2}/threads/2/0"},
	{"-w sleep -r threads -n 1,2 -p sleep.ms=1..4:x2", CB_OK,
	 "sleep{ms=1;steps=1}/threads/1/0 sleep{ms=1;steps=1}/threads/2/0 "
	 "sleep{ms=2;steps=1}/threads/1/0 sleep{ms=2;steps=1}/threads/2/0 "
	 "sleep{ms=4;steps=1}/threads/1/0 sleep{ms=4;steps=1}/threads/2/0"},
	{"-w sleep -r threads -n 1 -p sleep.ms=5 -p sleep.ms=7", CB_OK,
	 "sleep{ms=5;steps=1}/threads/1/0 sleep{ms=7;steps=1}/threads/1/0"},
	{"-w sleep -r evloop,green -n 1 -p green.stack=copy,separate", CB_OK,
	 "sleep{ms=100;steps=1}/evloop/1/0 sleep{ms=100;steps=1}/green/1/0 "
	 "sleep{ms=100;steps=1}/green/1/0"},
	{"-w sleep -r serial -p sleep.ms=5,-1", CB_EINVAL, "sleep.ms: -1 is out of range"},
	{"-w nope", CB_EINVAL, "unknown workload 'nope' (allowed: countdown, power, sleep"},
	{"-w sleep,nope -r serial", CB_EINVAL, "unknown workload 'nope'"},
	{"-w sleep -r nope", CB_EINVAL, "unknown runner 'nope' (allowed: serial, threads, procs"},
	{"-w sleep -r serial -p sleep.bogus=1", CB_EINVAL,
	 "unknown parameter 'sleep.bogus' (allowed: sleep.ms, sleep.steps)"},
	{"-w sleep -r serial -p sleep.ms=-1", CB_EINVAL, "sleep.ms: -1 is out of range"},
	{"-w sleep -r serial -p sleep.steps=x", CB_EINVAL, "sleep.steps: 'x' is not a whole number"},
	{"-w sleep -r serial -p countdown.n=5", CB_EINVAL,
	 "-p countdown.n: module 'countdown' is not in this run (add it with -w or -r)"},
	{"-w sleep -r serial -p threads.stack_kib=64", CB_EINVAL,
	 "-p threads.stack_kib: module 'threads' is not in this run"},
	{"-w sleep -r serial -p nomod.k=1", CB_EINVAL,
	 "-p nomod.k: no workload or runner is named 'nomod'"},
	{"-w power -r serial -p power.exp=200000 --scale 1000", CB_EINVAL,
	 "power.exp: --scale 1000 makes 200000 into 2e+08, above its maximum 100000000"},
};

Test(plan, add_table)
{
	for (size_t i = 0; i < sizeof add_cases / sizeof add_cases[0]; i++) {
		const struct add_case *t = &add_cases[i];
		struct cli c;
		parse(&c, t->args);
		struct plan p = {0};
		struct cb_err err = {0};
		int rc = plan_add(&p, &c, NULL, &err);
		char got[2048];
		if (rc == CB_OK)
			describe_cells(&p, got, sizeof got);
		else
			cb_copy(got, err.msg, sizeof got);
		cr_expect_eq(rc, t->rc, "'%s': rc %d (%s)", t->args, rc, got);
		if (t->rc == CB_OK)
			cr_expect(strncmp(got, t->want, strlen(t->want)) == 0, "'%s':\n  got  %s\n  want %s",
				  t->args, got, t->want);
		else
			cr_expect(strstr(got, t->want), "'%s': '%s' lacks '%s'", t->args, got, t->want);
		plan_free(&p);
		cli_free(&c);
	}
}

/* "workload{params}/runner{params}/N/W" per cell, joined by spaces. */
static void describe_cells_full(const struct plan *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < p->ncells && off < len; i++) {
		const struct cell *c = &p->cells[i];
		off += (size_t)snprintf(buf + off, len - off, "%s%s{%s}/%s{%s}/%d/%d", i ? " " : "",
					c->wi->wl->name, c->wi->params_str, c->ri->rn->name,
					c->ri->params_str, c->tasks, c->workers);
	}
}

struct filter_case {
	const char *args, *expr;
	const char *want; /* the cells, as describe_cells_full gives them; "" for none */
};

#define SL "sleep{ms=100;steps=1}"
#define CD "countdown{n=7}"
static const struct filter_case filter_cases[] = {
	{"-w sleep,countdown -r serial -n 1 -p countdown.n=7", "workload=sleep", SL "/serial{}/1/1"},
	{"-w sleep,countdown -r serial -n 1 -p countdown.n=7", "workload!=sleep",
	 CD "/serial{}/1/1"},
	{"-w sleep -r serial,procs,evloop -n 1", "runner=evloop,procs",
	 SL "/procs{}/1/0 " SL "/evloop{}/1/0"},
	{"-w sleep -r serial,procs,evloop -n 1", "runner!=serial,procs", SL "/evloop{}/1/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks<=10", SL "/procs{}/1/0 " SL "/procs{}/10/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks>10", SL "/procs{}/100/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks<10", SL "/procs{}/1/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks>=10 tasks<100", SL "/procs{}/10/0"},
	{"-w sleep -r procs -n 1,10,100", "n=1,100", SL "/procs{}/1/0 " SL "/procs{}/100/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks!=10", SL "/procs{}/1/0 " SL "/procs{}/100/0"},
	{"-w sleep -r procs -n 1,10,100", "tasks=1e2", SL "/procs{}/100/0"},
	/* W as run: a one-at-a-time runner is W = 1 */
	{"-w sleep -r serial,procs -n 4 -j 0,2", "workers=1", SL "/serial{}/4/1"},
	{"-w sleep -r serial,procs -n 4 -j 0,2", "j>=2", SL "/procs{}/4/2"},
	{"-w sleep -r serial,procs -n 4,8 -j 0,2", "W=2 N=8", SL "/procs{}/8/2"},
	{"-w sleep -r serial,procs -n 4 -j 0,2", "workers<1", SL "/procs{}/4/0"},
	{"-w sleep -r serial -n 1", "preset=burgers", SL "/serial{}/1/1"},
	{"-w sleep -r serial -n 1", "preset!=burgers", ""},
	{"-w sleep -r procs -n 1 -p sleep.ms=5,10,20", "sleep.ms>5",
	 "sleep{ms=10;steps=1}/procs{}/1/0 sleep{ms=20;steps=1}/procs{}/1/0"},
	{"-w sleep -r procs -n 1 -p sleep.ms=5,10,20", "sleep.ms=5,20.0",
	 "sleep{ms=5;steps=1}/procs{}/1/0 sleep{ms=20;steps=1}/procs{}/1/0"},
	{"-w sleep -r procs -n 1 -p sleep.ms=5,10,20", "sleep.ms!=10 sleep.steps=1",
	 "sleep{ms=5;steps=1}/procs{}/1/0 sleep{ms=20;steps=1}/procs{}/1/0"},
	/* a clause on a parameter keeps only cells whose workload or runner has it */
	{"-w sleep -r evloop,green -n 1 -p green.stack=copy,separate", "green.stack=separate",
	 SL "/green{stack=separate;stack_kib=0}/1/0"},
	{"-w sleep,countdown -r serial -n 1 -p countdown.n=7", "countdown.n>=1", CD "/serial{}/1/1"},
	{"-w sleep,countdown -r procs,evloop,green -n 10,10000 -p countdown.n=7",
	 "runner=evloop,green tasks<=1000 workload=sleep",
	 SL "/evloop{}/10/0 " SL "/green{stack=copy;stack_kib=0}/10/0"},
	/* the filter rules out every runner of this line: no cells, not an error */
	{"-w sleep -r serial -n 1", "runner=evloop", ""},
};
#undef SL
#undef CD

/* --filter on every key and operator: the cells a plan keeps. */
Test(plan, filter_table)
{
	for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0]; i++) {
		const struct filter_case *t = &filter_cases[i];
		struct cli c;
		parse(&c, t->args);
		struct filter f = {0};
		struct plan p = {0};
		struct cb_err err = {0};
		cr_assert_eq(filter_parse(&f, t->expr, &err), CB_OK, "'%s': %s", t->expr, err.msg);
		p.filter = &f;
		int rc = plan_add(&p, &c, "burgers", &err);
		cr_expect_eq(rc, CB_OK, "'%s' / '%s': %s", t->args, t->expr, err.msg);
		char got[2048];
		describe_cells_full(&p, got, sizeof got);
		cr_expect_str_eq(got, t->want, "'%s' / '%s'", t->args, t->expr);
		plan_free(&p);
		filter_free(&f);
		cli_free(&c);
	}
}

struct bad_filter_case {
	const char *expr, *want;
};

static const struct bad_filter_case bad_filter_cases[] = {
	{"", "--filter: an empty expression (allowed: clauses KEY OP VALUE"},
	{"   ", "--filter: an empty expression"},
	{"foo=1", "--filter 'foo=1': unknown key 'foo' (allowed: workload, runner, tasks (n), "
		  "workers (j), preset, or a parameter such as sleep.ms"},
	{"tasks", "--filter 'tasks': not KEY OP VALUE (OP: =, !=, <, <=, >, >="},
	{"=5", "--filter '=5': not KEY OP VALUE"},
	{"tasks!5", "--filter 'tasks!5': not KEY OP VALUE"},
	{"tasks<", "--filter 'tasks<': an empty value"},
	{"tasks=1,,2", "--filter 'tasks=1,,2': an empty value"},
	{"tasks<=x", "--filter 'tasks<=x': 'x' is not a number (allowed: a number"},
	{"tasks<=1,2", "--filter 'tasks<=1,2': '1,2' is not a number"},
	{"runner<evloop", "--filter 'runner<evloop': runner is not a number, so it takes = or != "
			  "only"},
	{"green.stack>=copy", "green.stack is not a number, so it takes = or != only"},
	{"runner=evlop", "--filter 'runner=evlop': unknown runner 'evlop' (allowed: serial, "},
	{"workload=sleep,nope", "--filter 'workload=sleep,nope': unknown workload 'nope' (allowed: "},
	{"nomod.k=1", "--filter 'nomod.k=1': no workload or runner is named 'nomod'"},
	{"sleep.bogus=1", "--filter 'sleep.bogus=1': sleep has no parameter 'bogus' (allowed: "
			  "sleep.ms, sleep.steps)"},
	{"tasks=1 runner<x", "--filter 'runner<x': runner is not a number"},
};

Test(plan, bad_filters_name_the_clause)
{
	for (size_t i = 0; i < sizeof bad_filter_cases / sizeof bad_filter_cases[0]; i++) {
		const struct bad_filter_case *t = &bad_filter_cases[i];
		struct filter f = {0};
		struct cb_err err = {0};
		cr_expect_eq(filter_parse(&f, t->expr, &err), CB_EINVAL, "'%s' accepted", t->expr);
		cr_expect(strstr(err.msg, t->want), "'%s': '%s' lacks '%s'", t->expr, err.msg,
			  t->want);
		cr_expect(!strchr(err.msg, '\n'), "'%s': not one line", t->expr);
		filter_free(&f);
	}
}

/* What the filter rules out by name is never picked: an unavailable peer it leaves
 * out is not reported as skipped, and a -p for a module it leaves out is no error. */
Test(plan, filter_prunes_before_picking)
{
	struct cli c;
	struct filter f = {0};
	struct plan p = {0};
	struct cb_err err = {0};
	parse(&c, "-w sleep,countdown -r evloop,go,node,py-gevent -n 1 -p countdown.n=5 "
		  "-p go.bogus=1");
	cr_assert_eq(filter_parse(&f, "runner=evloop workload=sleep", &err), CB_OK);
	p.filter = &f;
	cr_assert_eq(plan_add(&p, &c, NULL, &err), CB_OK, "%s", err.msg);
	cr_expect_str_empty(p.skipped, "%s", p.skipped);
	cr_expect_eq(p.nwls, 1);
	cr_expect_eq(p.nrns, 1);
	cr_expect_eq(p.ncells, 1);
	plan_free(&p);
	filter_free(&f);
	cli_free(&c);
}

/* The ideal a dry run estimates from: the workload's own, NAN for CPU work. */
Test(plan, ideal_of_a_cell)
{
	struct cli c;
	struct plan p = {0};
	struct cb_err err = {0};
	parse(&c, "-w sleep,countdown -r serial,threads -n 4 -j 2 -p sleep.ms=50");
	cr_assert_eq(plan_add(&p, &c, NULL, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(p.ncells, 4);
	cr_expect_float_eq(plan_ideal_s(&p.cells[0]), 0.2, 1e-9); /* serial: 4 x 50 ms */
	cr_expect_float_eq(plan_ideal_s(&p.cells[1]), 0.1, 1e-9); /* 2 at a time */
	cr_expect(isnan(plan_ideal_s(&p.cells[2])));
	plan_free(&p);
	cli_free(&c);
}

/* An unknown name is answered with every valid one. */
Test(plan, unknown_names_list_every_valid_one)
{
	struct cli c;
	struct plan p = {0};
	struct cb_err err = {0};
	parse(&c, "-w nope -r serial");
	cr_assert_eq(plan_add(&p, &c, NULL, &err), CB_EINVAL);
	for (int i = 0; workload_table[i]; i++)
		cr_expect(strstr(err.msg, workload_table[i]->name), "'%s' lacks %s", err.msg,
			  workload_table[i]->name);
	plan_free(&p);
	cli_free(&c);
	parse(&c, "-w sleep -r nope");
	cr_assert_eq(plan_add(&p, &c, NULL, &err), CB_EINVAL);
	for (int i = 0; runner_table[i]; i++)
		cr_expect(strstr(err.msg, runner_table[i]->name), "'%s' lacks %s", err.msg,
			  runner_table[i]->name);
	plan_free(&p);
	cli_free(&c);
}

struct order_case {
	const char *first, *second; /* one or two command lines (presets "a", "b") */
	enum cli_order order;
	const char *want;
};

static const struct order_case order_cases[] = {
	{"-w sleep -r threads -j 1,2 --repeat 2 --warmup 1", NULL, ORDER_INTERLEAVED,
	 "0:0w 1:0w 0:1 1:1 0:2 1:2"},
	{"-w sleep -r threads -j 1,2 --repeat 2 --warmup 1", NULL, ORDER_SEQUENTIAL,
	 "0:0w 0:1 0:2 1:0w 1:1 1:2"},
	{"-w sleep -r serial --repeat 1 --warmup 0", NULL, ORDER_INTERLEAVED, "0:0"},
	{"-w sleep -r serial --repeat 3 --warmup 2", NULL, ORDER_SEQUENTIAL, "0:0w 0:1w 0:2 0:3 0:4"},
	/* cells of unequal length: the short one drops out of later rounds */
	{"-w sleep -r serial --repeat 1 --warmup 0", "-w sleep -r threads --repeat 3 --warmup 1",
	 ORDER_INTERLEAVED, "0:0 1:0w 1:1 1:2 1:3"},
	{"-w sleep -r serial --repeat 1 --warmup 0", "-w sleep -r threads --repeat 3 --warmup 1",
	 ORDER_SEQUENTIAL, "0:0 1:0w 1:1 1:2 1:3"},
	{"-w sleep -r serial --repeat 2 --warmup 0", "-w sleep -r threads --repeat 1 --warmup 1",
	 ORDER_INTERLEAVED, "0:0 1:0w 0:1 1:1"},
};

Test(plan, order_table)
{
	for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
		const struct order_case *t = &order_cases[i];
		struct plan p = {0};
		struct cb_err err = {0};
		struct cli c;
		parse(&c, t->first);
		cr_assert_eq(plan_add(&p, &c, t->second ? "a" : NULL, &err), CB_OK, "%s", err.msg);
		cli_free(&c);
		if (t->second) {
			parse(&c, t->second);
			cr_assert_eq(plan_add(&p, &c, "b", &err), CB_OK, "%s", err.msg);
			cli_free(&c);
		}
		cr_assert_eq(plan_order(&p, t->order, &err), CB_OK);
		char got[512];
		describe_order(&p, got, sizeof got);
		cr_expect_str_eq(got, t->want, "case %zu", i);
		plan_free(&p);
	}
}

struct share_case {
	const char *a, *b; /* two presets' command lines */
	int nwls, nrns, ncells;
};

static const struct share_case share_cases[] = {
	/* identical workload settings: one instance (one config, one server) */
	{"-w sleep -p sleep.ms=5 -r serial", "-w sleep -p sleep.ms=5 -r threads", 1, 2, 2},
	/* the same settings reached differently are still the same */
	{"-w sleep -r serial", "-w sleep -p sleep.ms=100 -r serial", 1, 1, 2},
	{"-w sleep -p sleep.ms=50 --scale 2 -r serial", "-w sleep -r threads", 1, 2, 2},
	{"-w sleep -p sleep.ms=5 -r serial", "-w sleep -p sleep.ms=6 -r serial", 2, 1, 2},
	{"-w sleep,countdown -r serial", "-w countdown,sleep -r serial", 2, 1, 4},
	{"-w sleep -r threads -p threads.stack_kib=64", "-w sleep -r threads", 1, 2, 2},
};

Test(plan, presets_share_instances)
{
	for (size_t i = 0; i < sizeof share_cases / sizeof share_cases[0]; i++) {
		const struct share_case *t = &share_cases[i];
		struct plan p = {0};
		struct cb_err err = {0};
		struct cli c;
		parse(&c, t->a);
		cr_assert_eq(plan_add(&p, &c, "a", &err), CB_OK, "%s", err.msg);
		cli_free(&c);
		parse(&c, t->b);
		cr_assert_eq(plan_add(&p, &c, "b", &err), CB_OK, "%s", err.msg);
		cli_free(&c);
		cr_expect_eq(p.nwls, t->nwls, "case %zu: %d workload instances", i, p.nwls);
		cr_expect_eq(p.nrns, t->nrns, "case %zu: %d runner instances", i, p.nrns);
		cr_expect_eq(p.ncells, t->ncells, "case %zu: %d cells", i, p.ncells);
		for (int k = 0; k < p.ncells; k++) {
			bool in_plan = false;
			for (int j = 0; j < p.nwls; j++)
				in_plan |= p.cells[k].wi == p.wls[j];
			cr_expect(in_plan, "case %zu: cell %d has a workload the plan does not own", i, k);
		}
		cr_expect_str_eq(p.cells[0].preset, "a");
		cr_expect_str_eq(p.cells[p.ncells - 1].preset, "b");
		plan_free(&p);
	}
}

/* The same cell from two presets is two cells; from one preset added twice, one. */
Test(plan, cells_keep_their_preset)
{
	struct plan p = {0};
	struct cb_err err = {0};
	struct cli c;
	parse(&c, "-w sleep -r serial");
	cr_assert_eq(plan_add(&p, &c, "a", &err), CB_OK);
	cr_assert_eq(plan_add(&p, &c, "a", &err), CB_OK);
	cr_expect_eq(p.ncells, 1);
	cr_assert_eq(plan_add(&p, &c, "b", &err), CB_OK);
	cr_expect_eq(p.ncells, 2);
	cr_expect_eq(p.cells[0].wi, p.cells[1].wi);
	cli_free(&c);
	plan_free(&p);
}

/* A failed add leaves what was there intact and usable. */
Test(plan, failed_add_keeps_the_plan)
{
	struct plan p = {0};
	struct cb_err err = {0};
	struct cli c;
	parse(&c, "-w sleep -r serial --repeat 2 --warmup 0");
	cr_assert_eq(plan_add(&p, &c, "a", &err), CB_OK);
	cli_free(&c);
	parse(&c, "-w sleep,countdown -r threads -p countdown.n=0");
	cr_expect_eq(plan_add(&p, &c, "b", &err), CB_EINVAL);
	cli_free(&c);
	cr_expect_eq(p.ncells, 1);
	cr_expect_eq(p.nwls, 1);
	cr_assert_eq(plan_order(&p, ORDER_INTERLEAVED, &err), CB_OK);
	cr_expect_eq(p.norder, 2);
	plan_free(&p);
	cr_expect_eq(p.ncells, 0);
}

/* Each command line's --timeout stays with its own cells. */
Test(plan, cells_keep_their_timeout)
{
	struct plan p = {0};
	struct cb_err err = {0};
	struct cli c;
	parse(&c, "-w sleep -r serial --timeout 5");
	cr_assert_eq(plan_add(&p, &c, "a", &err), CB_OK);
	cli_free(&c);
	parse(&c, "-w sleep -r serial");
	cr_assert_eq(plan_add(&p, &c, "b", &err), CB_OK);
	cli_free(&c);
	cr_assert_eq(p.ncells, 2);
	cr_expect_float_eq(p.cells[0].timeout_s, 5, 1e-12);
	cr_expect_float_eq(p.cells[1].timeout_s, 300, 1e-12);
	plan_free(&p);
}

/* Two serial runners of one family (here: serial under two settings) would make every
 * speed-up ambiguous: the plan is refused, naming both. */
Test(plan, two_serial_runners_of_one_family_are_refused)
{
	struct plan p = {0};
	struct rn_inst a = {.rn = runner_find("serial"), .params_str = (char *)""}, b = a;
	b.params_str = (char *)"x=1";
	struct rn_inst *keep[] = {&a, &b};
	memcpy(p.rns, keep, sizeof keep);
	p.nrns = 2;
	struct cb_err err = {0};
	cr_expect_eq(plan_order(&p, ORDER_INTERLEAVED, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "'serial' and 'serial x=1'") && strstr(err.msg, "C"), "%s",
		  err.msg);
	free(p.order);
	p.nrns = 1;
	cr_expect_eq(plan_order(&p, ORDER_INTERLEAVED, &err), CB_OK, "%s", err.msg);
	free(p.order);
}

/* Two settings that differ only past the 1,023rd character are two settings, and each
 * keeps its text whole (once, both ran the first URL). */
Test(plan, long_parameters_are_neither_cut_nor_shared)
{
	char url_a[1100], url_b[1100], arg[1200];
	memset(url_a, 'a', sizeof url_a);
	memcpy(url_a, "http://127.0.0.1:9/", 19);
	url_a[sizeof url_a - 1] = '\0';
	memcpy(url_b, url_a, sizeof url_b);
	url_b[sizeof url_b - 2] = 'b';
	struct plan p = {0};
	struct cb_err err = {0};
	const char *urls[] = {url_a, url_b};
	for (int i = 0; i < 2; i++) {
		snprintf(arg, sizeof arg, "http.url=%s", urls[i]);
		char *argv[] = {"concbench", "-w", "http", "-r", "serial", "-p", arg, NULL};
		struct cli c;
		cr_assert_eq(cli_parse(&c, 7, argv, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(plan_add(&p, &c, NULL, &err), CB_OK, "%s", err.msg);
		cli_free(&c);
	}
	cr_assert_eq(p.nwls, 2, "the two URLs share one workload setting");
	for (int i = 0; i < 2; i++)
		cr_expect(strstr(p.wls[i]->params_str, urls[i]) != NULL, "setting %d lost its URL", i);
	plan_free(&p);
}

/* A plan too large is bad input that says how large, not "Cannot allocate memory". */
static void plan_of(struct plan *p, const char *repeat, int *rc, struct cb_err *err)
{
	char tasks[400] = "", workers[400] = "";
	for (int i = 1; i <= 64; i++) {
		snprintf(tasks + strlen(tasks), sizeof tasks - strlen(tasks), "%s%d", i > 1 ? "," : "", i);
		snprintf(workers + strlen(workers), sizeof workers - strlen(workers), "%s%d",
			 i > 1 ? "," : "", i - 1);
	}
	char *argv[] = {"concbench", "-w", "sleep,countdown", "-r", "serial,threads,procs", "-n",
			tasks, "-j", workers, "--repeat", (char *)repeat, NULL};
	struct cli c;
	cr_assert_eq(cli_parse(&c, 11, argv, err), CB_OK, "%s", err->msg);
	*rc = plan_add(p, &c, NULL, err);
	if (*rc == CB_OK)
		*rc = plan_order(p, ORDER_INTERLEAVED, err);
	cli_free(&c);
}

Test(plan, too_large_is_bad_input_naming_its_size)
{
	struct plan p = {0};
	struct cb_err err = {0};
	int rc;
	plan_of(&p, "1000000", &rc, &err);
	cr_expect_eq(rc, CB_EINVAL);
	cr_expect(strstr(err.msg, "the plan's 16512 cells make 16512016512 trials (allowed: at "
			 "most 2000000000"), "%s", err.msg);
	plan_free(&p);

	/* Within the count but not within memory: a child with 300 MB of address space.
	 * ASan's allocator aborts on a failed calloc before the plan can say so. */
#ifdef __SANITIZE_ADDRESS__
	return;
#endif
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setrlimit(RLIMIT_AS, &(struct rlimit){300 << 20, 300 << 20});
		plan_of(&p, "50000", &rc, &err);
		_exit(rc == CB_EINVAL && strstr(err.msg, "825616512 trials: too many to hold in memory")
			      ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %x", st);
}
