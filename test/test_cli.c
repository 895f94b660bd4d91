/* cli_parse: every option, every bad value, as a table of command lines.
 * A good line is checked against a one-line description of what it parsed to. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_case {
	const char *args; /* split at spaces; '' is an empty argument */
	int rc;
	const char *want; /* CB_OK: in the description; otherwise: in the message */
};

static const struct cli_case cli_cases[] = {
	/* Defaults, and every option once. */
	{"", CB_OK, "w= r= n= j= p= rep=10 wu=1 to=300 sc=1 ord=interleaved o=- pre= "
		    "list=0 help=0 version=0 floors=0 no_floors=0 quiet=0 f= dry=0 add=0"},
	{"-w sleep,countdown", CB_OK, " w=sleep,countdown "},
	{"--workload=sleep -w power", CB_OK, " w=sleep,power "},
	{"-wsleep", CB_OK, " w=sleep "},
	{"-r serial,threads --runner procs", CB_OK, " r=serial,threads,procs "},
	{"-n 1,2,100000000", CB_OK, " n=1,2,100000000 "},
	{"--tasks 5 -n 6", CB_OK, " n=5,6 "},
	{"-j 0,1,10000000", CB_OK, " j=0,1,10000000 "},
	{"--workers=3", CB_OK, " j=3 "},
	{"-p countdown.n=5", CB_OK, " p=[countdown][n][5] "},
	{"--param sleep.ms= -p a.b.c=x=y", CB_OK, " p=[sleep][ms][][a][b.c][x=y] "},
	{"--repeat 1", CB_OK, " rep=1 "},
	{"--repeat 1000000", CB_OK, " rep=1000000 "},
	{"--rep 3", CB_OK, " rep=3 "}, /* getopt_long takes an unambiguous prefix */
	{"--warmup 0", CB_OK, " wu=0 "},
	{"--timeout 0.5", CB_OK, " to=0.5 "},
	{"--timeout 604800", CB_OK, " to=604800 "},
	{"--scale 0.25", CB_OK, " sc=0.25 "},
	{"--order sequential", CB_OK, " ord=sequential "},
	{"--order sequential --order interleaved", CB_OK, " ord=interleaved "},
	{"-o out.csv", CB_OK, " o=out.csv "},
	{"--output=dir/x", CB_OK, " o=dir/x "},
	{"--preset a,b --preset all", CB_OK, " pre=a,b,all "},
	{"--list", CB_OK, " list=1 "},
	{"-h", CB_OK, " help=1 "},
	{"--help", CB_OK, " help=1 "},
	{"--version", CB_OK, " version=1 "},
	{"--floors", CB_OK, " floors=1 "},
	{"--no-floors", CB_OK, " no_floors=1 "},
	{"--no-floors=1", CB_EINVAL, "unknown option '--no-floors=1'"},
	{"-q", CB_OK, " quiet=1"},
	{"--quiet", CB_OK, " quiet=1"},
	{"--dry-run", CB_OK, " dry=1 "},
	{"--add", CB_OK, " add=1"},
	{"--filter tasks<=5 --filter runner=evloop,green", CB_OK, " f=tasks<=5|runner=evloop,green "},

	/* One rule for every list: commas, repeats adding, ranges for numbers. */
	{"-p sleep.ms=5,10,20", CB_OK, " p=[sleep][ms][5|10|20] "},
	{"-p sleep.ms=5 -p sleep.ms=7 -p sleep.steps=2", CB_OK, " p=[sleep][ms][5|7][sleep][steps][2] "},
	{"-p countdown.n=1e6..1e9:x10", CB_OK,
	 " p=[countdown][n][1000000|10000000|100000000|1000000000] "},
	{"-p sleep.ms=1..2:+0.5,7", CB_OK, " p=[sleep][ms][1|1.5|2|7] "},
	{"-p sleep.ms=1..3", CB_OK, " p=[sleep][ms][1|2|3] "},
	{"-p green.stack=copy,separate", CB_OK, " p=[green][stack][copy|separate] "},
	/* a parameter whose value is a list keeps its commas, and a repeat extends it */
	{"-p bank.amounts=80,70 -p bank.amounts=5", CB_OK, " p=[bank][amounts][80,70,5] "},
	{"-p http.url=http://a/x,y..z -p http.url=http://b/", CB_OK,
	 " p=[http][url][http://a/x,y..z,http://b/] "},
	{"-n 1..1000:x10", CB_OK, " n=1,10,100,1000 "},
	{"-n 1 -n 5..15:+5", CB_OK, " n=1,5,10,15 "},
	{"-j 0..4:+2,8", CB_OK, " j=0,2,4,8 "},
	{"-n 2..40:x3", CB_OK, " n=2,6,18 "},
	{"-n 1..10:x1", CB_EINVAL, "--tasks: range '1..10:x1': the factor must be above 1"},
	{"-n 10..1", CB_EINVAL, "--tasks: range '10..1' goes down (allowed: A <= B)"},
	{"-n 1..10:x1.5", CB_EINVAL, "--tasks: range '1..10:x1.5' gives 1.5, not a whole number"},
	{"-n 0..10:+5", CB_EINVAL, "--tasks: range '0..10:+5' gives 0, out of range (allowed: 1.."},
	{"-n 1..x", CB_EINVAL, "--tasks: range '1..x': 'x' is not a number"},
	{"-n 1..10:y2", CB_EINVAL, "--tasks: '1..10:y2' is not a range (allowed: A..B:xF, A..B:+S"},
	{"-n ..10", CB_EINVAL, "--tasks: '..10' is not a range"},
	{"-n 1..", CB_EINVAL, "--tasks: '1..' is not a range"},
	{"-n 1..1e9:+1", CB_EINVAL, "--tasks: more than 64 items"},
	{"-p countdown.n=0.5..2:x2", CB_EINVAL,
	 "-p countdown.n: range '0.5..2:x2' gives 0.5, not a whole number"},
	{"-p sleep.ms=1..2:+0", CB_EINVAL, "-p sleep.ms: range '1..2:+0': the step must be above 0"},
	{"-p sleep.ms=-5..5:x2", CB_EINVAL, "a range that multiplies starts above 0"},
	{"-p sleep.ms=5,,6", CB_EINVAL, "-p sleep.ms: '5,,6' has an empty item"},

	/* Lists. */
	{"-w ''", CB_EINVAL, "--workload: empty list"},
	{"-w sleep,", CB_EINVAL, "--workload: 'sleep,' has an empty item"},
	{"-w ,sleep", CB_EINVAL, "--workload: ',sleep' has an empty item"},
	{"-r serial,,threads", CB_EINVAL, "--runner: 'serial,,threads' has an empty item"},
	{"--preset ''", CB_EINVAL, "--preset: empty list"},

	/* Tasks and workers: negative, zero, not a number, overflowing. */
	{"-n 0", CB_EINVAL, "--tasks: 0 is out of range (allowed: 1..100000000)"},
	{"-n -1", CB_EINVAL, "--tasks: -1 is out of range"},
	{"-n 100000001", CB_EINVAL, "--tasks: 100000001 is out of range"},
	{"-n 99999999999999999999", CB_EINVAL, "--tasks: 99999999999999999999 is out of range"},
	{"-n abc", CB_EINVAL, "--tasks: 'abc' is not a whole number (allowed: 1..100000000)"},
	{"-n 1.5", CB_EINVAL, "--tasks: '1.5' is not a whole number"},
	{"-n 10x", CB_EINVAL, "--tasks: '10x' is not a whole number"},
	{"-n 1,x", CB_EINVAL, "--tasks: 'x' is not a whole number"},
	{"-n ''", CB_EINVAL, "--tasks: empty list"},
	{"-n 1,,2", CB_EINVAL, "--tasks: '1,,2' has an empty item"},
	{"-j -1", CB_EINVAL, "--workers: -1 is out of range (allowed: 0..10000000)"},
	{"-j 10000001", CB_EINVAL, "--workers: 10000001 is out of range"},
	{"-j 99999999999999999999", CB_EINVAL, "--workers: 99999999999999999999 is out of range"},
	{"-j many", CB_EINVAL, "--workers: 'many' is not a whole number"},
	{"-n +5", CB_EINVAL, "--tasks: '+5' is not a whole number"},
	{"-n 5.0", CB_EINVAL, "--tasks: '5.0' is not a whole number"},

	/* Repeat and warm-up. */
	{"--repeat 0", CB_EINVAL, "--repeat: 0 is out of range (allowed: 1..1000000)"},
	{"--repeat -3", CB_EINVAL, "--repeat: -3 is out of range"},
	{"--repeat 1000001", CB_EINVAL, "--repeat: 1000001 is out of range"},
	{"--repeat 99999999999999999999", CB_EINVAL, "--repeat: 99999999999999999999 is out"},
	{"--repeat ten", CB_EINVAL, "--repeat: 'ten' is not a whole number"},
	{"--repeat ''", CB_EINVAL, "--repeat: '' is not a whole number"},
	{"--warmup -1", CB_EINVAL, "--warmup: -1 is out of range (allowed: 0..1000000)"},
	{"--warmup x", CB_EINVAL, "--warmup: 'x' is not a whole number"},

	/* Timeout and scale. */
	{"--timeout 0", CB_EINVAL, "--timeout: 0 is out of range (allowed: above 0, up to 604800)"},
	{"--timeout 1e400", CB_EINVAL, "--timeout: 1e400 is out of range"},
	{"--timeout 0x10", CB_EINVAL, "--timeout: '0x10' is not a number"},
	{"--timeout +5", CB_EINVAL, "--timeout: '+5' is not a number"},
	{"--timeout -1", CB_EINVAL, "--timeout: -1 is out of range"},
	{"--timeout abc", CB_EINVAL, "--timeout: 'abc' is not a number"},
	{"--timeout nan", CB_EINVAL, "--timeout: 'nan' is not a number"},
	{"--timeout inf", CB_EINVAL, "--timeout: 'inf' is not a number"},
	{"--timeout 1e9", CB_EINVAL, "--timeout: 1e9 is out of range"},
	{"--timeout 5s", CB_EINVAL, "--timeout: '5s' is not a number"},
	{"--scale 0", CB_EINVAL, "--scale: 0 is out of range (allowed: above 0, up to 1e+06)"},
	{"--scale 1e-400", CB_EINVAL, "--scale: 1e-400 is out of range"},
	{"--scale -2", CB_EINVAL, "--scale: -2 is out of range"},
	{"--scale half", CB_EINVAL, "--scale: 'half' is not a number"},
	{"--scale 1e7", CB_EINVAL, "--scale: 1e7 is out of range"},

	/* Order, -p, output. */
	{"--order random", CB_EINVAL,
	 "--order: 'random' is not allowed (allowed: interleaved, sequential)"},
	{"-p x", CB_EINVAL, "-p: 'x' is not of the form module.key=value"},
	{"-p countdown=5", CB_EINVAL, "-p: 'countdown=5' is not of the form module.key=value"},
	{"-p x=1.5", CB_EINVAL, "-p: 'x=1.5' is not of the form"},
	{"-p .n=1", CB_EINVAL, "-p: '.n=1' is not of the form"},
	{"-p countdown.=1", CB_EINVAL, "-p: 'countdown.=1' is not of the form"},
	{"-p countdown.n", CB_EINVAL, "-p: 'countdown.n' is not of the form"},
	{"-p =1", CB_EINVAL, "-p: '=1' is not of the form"},
	{"-o ''", CB_EINVAL, "--output: empty file name"},

	/* Unknown options, missing values, stray words. */
	{"--bogus", CB_EINVAL, "unknown option '--bogus' (see --help)"},
	{"-x", CB_EINVAL, "unknown option '-x' (see --help)"},
	{"-qx", CB_EINVAL, "unknown option '-x'"},
	{"--r 1", CB_EINVAL, "unknown option '--r'"}, /* ambiguous: runner, repeat */
	{"--list=1", CB_EINVAL, "unknown option '--list=1'"},
	{"--help=yes", CB_EINVAL, "unknown option '--help=yes'"},
	{"-n", CB_EINVAL, "option '-n' needs a value"},
	{"-w", CB_EINVAL, "option '-w' needs a value"},
	{"-q -p", CB_EINVAL, "option '-p' needs a value"},
	{"--repeat", CB_EINVAL, "option '--repeat' needs a value"},
	{"--timeout", CB_EINVAL, "option '--timeout' needs a value"},
	{"-w sleep extra", CB_EINVAL, "unexpected argument 'extra' (see --help)"},
};

static void join_strs(char *buf, size_t len, char *const *v, int n)
{
	size_t off = strlen(buf);
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", v[i]);
}

static void join_nums(char *buf, size_t len, const int64_t *v, int n)
{
	size_t off = strlen(buf);
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64, i ? "," : "", v[i]);
}

/* Every field of c on one line, so a case names what it expects in a few words. */
static void cli_describe(const struct cli *c, char *buf, size_t len)
{
	snprintf(buf, len, " w=");
	join_strs(buf, len, c->workloads, c->nworkloads);
	strncat(buf, " r=", len - strlen(buf) - 1);
	join_strs(buf, len, c->runners, c->nrunners);
	strncat(buf, " n=", len - strlen(buf) - 1);
	join_nums(buf, len, c->tasks, c->ntasks);
	strncat(buf, " j=", len - strlen(buf) - 1);
	join_nums(buf, len, c->workers, c->nworkers);
	strncat(buf, " p=", len - strlen(buf) - 1);
	for (int i = 0; i < c->nparams; i++) {
		size_t off = strlen(buf);
		snprintf(buf + off, len - off, "[%s][%s][", c->params[i].module, c->params[i].key);
		for (int j = 0; j < c->params[i].nvalues; j++) {
			off = strlen(buf);
			snprintf(buf + off, len - off, "%s%s", j ? "|" : "", c->params[i].values[j]);
		}
		strncat(buf, "]", len - strlen(buf) - 1);
	}
	size_t off = strlen(buf);
	snprintf(buf + off, len - off,
		 " rep=%" PRId64 " wu=%" PRId64 " to=%g sc=%g ord=%s o=%s pre=", c->repeat,
		 c->warmup, c->timeout_s, c->scale,
		 c->order == ORDER_SEQUENTIAL ? "sequential" : "interleaved",
		 c->output ? c->output : "-");
	join_strs(buf, len, c->presets, c->npresets);
	off = strlen(buf);
	snprintf(buf + off, len - off, " list=%d help=%d version=%d floors=%d no_floors=%d quiet=%d f=",
		 c->list, c->help, c->version, c->floors, c->no_floors, c->quiet);
	for (int i = 0; i < c->nfilters; i++) {
		off = strlen(buf);
		snprintf(buf + off, len - off, "%s%s", i ? "|" : "", c->filters[i]);
	}
	off = strlen(buf);
	snprintf(buf + off, len - off, " dry=%d add=%d", c->dry_run, c->add);
}

/* Splits args into argv (argv[0] = "concbench"), in words. */
static int split_args(const char *args, char *words, size_t len, char **argv, int max)
{
	snprintf(words, len, "%s", args);
	int n = 0;
	argv[n++] = "concbench";
	char *save, *tok = strtok_r(words, " ", &save);
	for (; tok && n < max - 1; tok = strtok_r(NULL, " ", &save))
		argv[n++] = strcmp(tok, "''") == 0 ? tok + 2 : tok;
	argv[n] = NULL;
	return n;
}

Test(cli, table)
{
	for (size_t i = 0; i < sizeof cli_cases / sizeof cli_cases[0]; i++) {
		const struct cli_case *t = &cli_cases[i];
		char words[512], *argv[32], got[2048];
		int argc = split_args(t->args, words, sizeof words, argv, 32);
		struct cli c;
		struct cb_err err = {0};
		int rc = cli_parse(&c, argc, argv, &err);
		if (rc == CB_OK)
			cli_describe(&c, got, sizeof got);
		else
			cb_copy(got, err.msg, sizeof got);
		cli_free(&c);
		cr_expect_eq(rc, t->rc, "'%s': rc %d, expected %d (%s)", t->args, rc, t->rc, got);
		cr_expect(strstr(got, t->want) != NULL, "'%s': got '%s', expected it to hold '%s'",
			  t->args, got, t->want);
	}
}

/* Parsing again after an error starts afresh (getopt's state is reset). */
Test(cli, parses_again_after_an_error)
{
	char *bad[] = {"concbench", "-n", "0", "-w", "sleep", NULL};
	char *good[] = {"concbench", "-w", "sleep", NULL};
	struct cli c;
	struct cb_err err = {0};
	cr_assert_eq(cli_parse(&c, 5, bad, &err), CB_EINVAL);
	cli_free(&c);
	cr_assert_eq(cli_parse(&c, 3, good, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(c.nworkloads, 1);
	cr_expect_str_eq(c.workloads[0], "sleep");
	cli_free(&c);
}

/* A list of more items than the table holds is refused, not overrun. */
Test(cli, too_many_items)
{
	char list[CLI_LIST_MAX * 4 + 8] = "";
	for (int i = 0; i <= CLI_LIST_MAX; i++)
		strcat(list, i ? ",1" : "1");
	char *argv[] = {"concbench", "-n", list, NULL};
	struct cli c;
	struct cb_err err = {0};
	cr_assert_eq(cli_parse(&c, 3, argv, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "more than 64 items"), "%s", err.msg);
	cli_free(&c);
}

/* The usage names every long option the parser takes. */
Test(cli, usage_lists_every_option)
{
	static const char *const opts[] = {"--workload", "--runner", "--tasks", "--workers",
					   "--param", "--repeat", "--warmup", "--timeout",
					   "--order", "--scale", "--preset", "--output",
					   "--floors", "--no-floors", "--list", "--quiet",
					   "--help", "--version", "--filter", "--dry-run",
					   "--add"};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		cr_expect(strstr(cli_usage(), opts[i]), "usage lacks %s", opts[i]);
}

/* The one rule for lists and --filter's grammar are in --help, in words. */
Test(cli, usage_states_the_rule_for_lists)
{
	static const char *const words[] = {"an option given\nagain adds to its list",
					    "A..B:xF", "A..B:+S", "--filter EXPR: clauses",
					    "narrow a preset's cells", "\\,"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		cr_expect(strstr(cli_usage(), words[i]), "usage lacks '%s'", words[i]);
}

struct merge_case {
	const char *preset, *user;
	const char *want; /* the merged line's description holds it */
};

static const struct merge_case merge_cases[] = {
	/* without --add: -w/-r/-n/-j stay the preset's (a filter narrows them), the rest
	 * replaces the preset's */
	{"-w sleep -r serial,threads -n 1,10 -p sleep.ms=100 --repeat 3",
	 "-r evloop -n 10 -p sleep.ms=5,10 --repeat 2",
	 " w=sleep r=serial,threads n=1,10 j= p=[sleep][ms][5|10] rep=2 "},
	{"-w sleep --repeat 3 --warmup 2 --timeout 9 --scale 2", "--repeat 10",
	 " rep=10 wu=2 to=9 sc=2 "}, /* a value equal to the default still overrides */
	{"-w sleep --repeat 3", "--warmup 0 --timeout 1 --scale 0.5", " rep=3 wu=0 to=1 sc=0.5 "},
	{"-w sleep -p sleep.ms=100", "-p sleep.steps=2", " p=[sleep][ms][100][sleep][steps][2] "},
	/* with --add: every list grows, as a repeat on one command line does */
	{"-w sleep -r serial -n 1 -j 0 -p sleep.ms=100", "--add -w countdown -r evloop -n 5 -j 2 "
	 "-p sleep.ms=5",
	 " w=sleep,countdown r=serial,evloop n=1,5 j=0,2 p=[sleep][ms][100|5] "},
	{"-w http -p http.url=http://a/", "--add -p http.url=http://b/",
	 " p=[http][url][http://a/,http://b/] "},
	{"-w http -p http.url=http://a/", "-p http.url=http://b/", " p=[http][url][http://b/] "},
};

Test(cli, merge_into_a_preset)
{
	for (size_t i = 0; i < sizeof merge_cases / sizeof merge_cases[0]; i++) {
		const struct merge_case *t = &merge_cases[i];
		char w1[512], w2[512], *a1[32], *a2[32], got[2048];
		int n1 = split_args(t->preset, w1, sizeof w1, a1, 32);
		int n2 = split_args(t->user, w2, sizeof w2, a2, 32);
		struct cli dst, user;
		struct cb_err err = {0};
		cr_assert_eq(cli_parse(&dst, n1, a1, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(cli_parse(&user, n2, a2, &err), CB_OK, "%s", err.msg);
		cr_assert_eq(cli_merge(&dst, &user, &err), CB_OK, "%s", err.msg);
		cli_describe(&dst, got, sizeof got);
		cr_expect(strstr(got, t->want), "'%s' + '%s': got '%s', expected '%s'", t->preset,
			  t->user, got, t->want);
		cli_free(&dst);
		cli_free(&user);
	}
}
