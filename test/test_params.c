/* params: validation against a spec (ranges, choices, lists), scaling, the number
 * parsers the CLI shares, and the formatted forms --list and the CSV show. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "params.h"

/* One parameter of every type; the scaled ones are what --scale multiplies. */
static const struct param_spec demo_spec[] = {
	{"n", PARAM_INT, "10", 1, 1000, NULL, "iterations", true},
	{"k", PARAM_INT, "3", -5, 5, NULL, "not scaled", false},
	{"ms", PARAM_MS, "100", 0, 60000, NULL, "a wait", true},
	{"sizes", PARAM_INTS, "1,2", 0, 99, NULL, "a list", true},
	{"mode", PARAM_CHOICE, "fast", 0, 0, "fast|slow|very-slow", "how", false},
	{"url", PARAM_STRS, "", 0, 0, NULL, "repeatable", false},
	{0},
};

struct set_case {
	const char *key, *value;
	int rc;
	const char *want; /* CB_OK: the stored value; otherwise: in the message */
};

static const struct set_case set_cases[] = {
	{"n", "1", CB_OK, "1"},
	{"n", "1000", CB_OK, "1000"},
	{"n", "+7", CB_EINVAL, "demo.n: '+7' is not a whole number"},
	{"n", "0", CB_EINVAL, "demo.n: 0 is out of range (allowed: 1..1000)"},
	{"n", "1001", CB_EINVAL, "demo.n: 1001 is out of range"},
	{"n", "-1", CB_EINVAL, "demo.n: -1 is out of range"},
	{"n", "99999999999999999999", CB_EINVAL, "out of range"},
	{"n", "", CB_EINVAL, "demo.n: '' is not a whole number (allowed: 1..1000)"},
	{"n", "ten", CB_EINVAL, "'ten' is not a whole number"},
	{"n", "1.0", CB_EINVAL, "'1.0' is not a whole number"},
	{"n", " 5", CB_EINVAL, "' 5' is not a whole number"},
	{"n", "5 ", CB_EINVAL, "'5 ' is not a whole number"},
	{"n", "0x10", CB_EINVAL, "'0x10' is not a whole number"},
	{"k", "-5", CB_OK, "-5"},
	{"k", "-6", CB_EINVAL, "demo.k: -6 is out of range (allowed: -5..5)"},
	{"ms", "0", CB_OK, "0"},
	{"ms", "0.5", CB_OK, "0.5"},
	{"ms", "1e3", CB_OK, "1e3"},
	{"ms", "60000", CB_OK, "60000"},
	{"ms", "60000.5", CB_EINVAL, "demo.ms: 60000.5 is out of range (allowed: 0..60000)"},
	{"ms", "-1", CB_EINVAL, "demo.ms: -1 is out of range"},
	{"ms", "nan", CB_EINVAL, "demo.ms: 'nan' is not a number"},
	{"ms", "inf", CB_EINVAL, "'inf' is not a number"},
	{"ms", "5ms", CB_EINVAL, "'5ms' is not a number"},
	{"ms", "", CB_EINVAL, "'' is not a number"},
	{"ms", "0x10", CB_EINVAL, "demo.ms: '0x10' is not a number"},
	{"ms", "+5", CB_EINVAL, "demo.ms: '+5' is not a number"},
	{"ms", "1e400", CB_EINVAL, "demo.ms: 1e400 is out of range (allowed: 0..60000)"},
	{"n", "+5", CB_EINVAL, "'+5' is not a whole number"},
	{"n", "\t5", CB_EINVAL, "is not a whole number"},
	{"sizes", "7", CB_OK, "7"},
	{"sizes", "0,99,5", CB_OK, "0,99,5"},
	{"sizes", "", CB_EINVAL, "demo.sizes: empty list (allowed: comma list of 0..99)"},
	{"sizes", "1,100", CB_EINVAL, "demo.sizes: 100 is out of range (allowed: 0..99)"},
	{"sizes", "1,x", CB_EINVAL, "demo.sizes: 'x' is not a whole number"},
	{"sizes", "1,", CB_EINVAL, "demo.sizes: '1,' has an empty item"},
	{"sizes", ",1", CB_EINVAL, "demo.sizes: ',1' has an empty item"},
	{"sizes", "1,,2", CB_EINVAL, "demo.sizes: '1,,2' has an empty item"},
	{"mode", "slow", CB_OK, "slow"},
	{"mode", "very-slow", CB_OK, "very-slow"},
	{"mode", "fast", CB_OK, "fast"},
	{"mode", "very", CB_EINVAL, "demo.mode: 'very' is not allowed (allowed: fast|slow|very-slow)"},
	{"mode", "slo", CB_EINVAL, "'slo' is not allowed"},
	{"mode", "fast|slow", CB_EINVAL, "'fast|slow' is not allowed"},
	{"mode", "", CB_EINVAL, "'' is not allowed"},
	{"url", "http://a/", CB_OK, "http://a/"},
	{"nope", "1", CB_EINVAL, "unknown parameter 'demo.nope' (allowed: demo.n, demo.k, "
				 "demo.ms, demo.sizes, demo.mode, demo.url)"},
	{"", "1", CB_EINVAL, "unknown parameter 'demo.'"},
};

Test(params, set_table)
{
	for (size_t i = 0; i < sizeof set_cases / sizeof set_cases[0]; i++) {
		const struct set_case *t = &set_cases[i];
		struct params p;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK, "%s", err.msg);
		int rc = params_set(&p, t->key, t->value, &err);
		cr_expect_eq(rc, t->rc, "%s=%s: rc %d, expected %d (%s)", t->key, t->value, rc,
			     t->rc, err.msg);
		if (t->rc == CB_OK && rc == CB_OK) {
			cr_expect_str_eq(params_str(&p, t->key), t->want, "%s=%s", t->key, t->value);
		} else if (rc != CB_OK) {
			cr_expect(strstr(err.msg, t->want), "%s=%s: '%s' lacks '%s'", t->key,
				  t->value, err.msg, t->want);
		}
		params_free(&p);
	}
}

/* A refused value leaves the old one in place. */
Test(params, refused_value_keeps_the_old)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
	cr_assert_eq(params_set(&p, "n", "42", &err), CB_OK);
	cr_assert_eq(params_set(&p, "n", "0", &err), CB_EINVAL);
	cr_expect_eq(params_int(&p, "n"), 42);
	params_free(&p);
}

Test(params, defaults_and_set_flags)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
	cr_expect_eq(params_int(&p, "n"), 10);
	cr_expect_float_eq(params_ms(&p, "ms"), 100.0, 1e-12);
	cr_expect_str_eq(params_str(&p, "url"), "");
	cr_expect_not(p.set[0]);
	cr_assert_eq(params_set(&p, "n", "11", &err), CB_OK);
	cr_expect(p.set[0]);
	cr_expect_not(p.set[1]);
	params_free(&p);
}

Test(params, strs_append_when_repeated)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
	cr_assert_eq(params_set(&p, "url", "a", &err), CB_OK);
	cr_assert_eq(params_set(&p, "url", "b,c", &err), CB_OK);
	cr_expect_str_eq(params_str(&p, "url"), "a,b,c");
	char buf[64], *out[8];
	cr_assert_eq(params_strs(&p, "url", out, 8, buf, sizeof buf), 3);
	cr_expect_str_eq(out[0], "a");
	cr_expect_str_eq(out[2], "c");
	cr_expect_eq(params_strs(&p, "url", out, 2, buf, sizeof buf), 2, "at most max");
	params_free(&p);
}

/* "\\," is a comma inside one item (a URL with a comma); empty items are skipped. */
Test(params, strs_keep_an_escaped_comma)
{
	static const struct {
		const char *value, *want; /* the items joined by '|' */
	} cases[] = {
		{"http://a/x\\,y,http://b/", "http://a/x,y|http://b/"},
		{"a\\,\\,b", "a,,b"},
		{"a\\b,c", "a\\b|c"},
		{",a,,b,", "a|b"},
		{"\\,", ","},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct params p;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
		cr_assert_eq(params_set(&p, "url", cases[i].value, &err), CB_OK);
		char buf[64], *out[8], got[128] = "";
		int n = params_strs(&p, "url", out, 8, buf, sizeof buf);
		for (int k = 0; k < n; k++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "|" : "", out[k]);
		cr_expect_str_eq(got, cases[i].want, "'%s'", cases[i].value);
		params_free(&p);
	}
}

Test(params, ints_split)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
	cr_assert_eq(params_set(&p, "sizes", "4,0,99", &err), CB_OK);
	int64_t v[4];
	cr_assert_eq(params_ints(&p, "sizes", v, 4), 3);
	cr_expect(v[0] == 4 && v[1] == 0 && v[2] == 99);
	cr_expect_eq(params_ints(&p, "sizes", v, 2), 2, "at most max");
	params_free(&p);
}

struct scale_case {
	double factor;
	int rc;
	const char *want; /* CB_OK: params_format after scaling; otherwise: in the message */
};

/* n=10 (INT 1..1000), ms=100 (MS 0..60000) are scaled; k, sizes, mode, url are not. */
static const struct scale_case scale_cases[] = {
	{1, CB_OK, "n=10;k=3;ms=100;sizes=1,2;mode=fast;url="},
	{2, CB_OK, "n=20;k=3;ms=200;sizes=1,2;mode=fast;url="},
	{0.5, CB_OK, "n=5;k=3;ms=50;"},
	{0.25, CB_OK, "n=2;k=3;ms=25;"},    /* 2.5 rounds to even */
	{0.001, CB_OK, "n=1;k=3;ms=0.1;"},  /* an INT never falls below its minimum */
	{100, CB_OK, "n=1000;k=3;ms=10000;"},
	{1.5e-6, CB_OK, "n=1;k=3;ms=0.00015;"},
	{101, CB_EINVAL, "demo.n: --scale 101 makes 10 into 1010, above its maximum 1000"},
	{700, CB_EINVAL, "demo.n:"},
};

Test(params, scale_table)
{
	for (size_t i = 0; i < sizeof scale_cases / sizeof scale_cases[0]; i++) {
		const struct scale_case *t = &scale_cases[i];
		struct params p;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
		int rc = params_scale(&p, t->factor, &err);
		char *got = params_format(&p);
		cr_assert_not_null(got);
		cr_expect_eq(rc, t->rc, "x%g: rc %d (%s)", t->factor, rc, err.msg);
		if (rc == CB_OK)
			cr_expect(strncmp(got, t->want, strlen(t->want)) == 0,
				  "x%g: '%s', expected '%s'", t->factor, got, t->want);
		else
			cr_expect(strstr(err.msg, t->want), "x%g: '%s' lacks '%s'", t->factor,
				  err.msg, t->want);
		free(got);
		params_free(&p);
	}
}

/* The milliseconds of a scaled MS value survive as a number the module can read. */
Test(params, scaled_ms_is_readable)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "demo", demo_spec, &err), CB_OK);
	cr_assert_eq(params_set(&p, "ms", "5000", &err), CB_OK);
	cr_assert_eq(params_scale(&p, 0.001, &err), CB_OK);
	cr_expect_float_eq(params_ms(&p, "ms"), 5.0, 1e-9);
	params_free(&p);
}

Test(params, copy_is_deep)
{
	struct params a, b;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&a, "demo", demo_spec, &err), CB_OK);
	cr_assert_eq(params_copy(&b, &a, &err), CB_OK);
	cr_assert_eq(params_set(&a, "n", "7", &err), CB_OK);
	cr_expect_eq(params_int(&b, "n"), 10);
	cr_expect_eq(params_int(&a, "n"), 7);
	params_free(&a);
	params_free(&b);
}

/* A module without parameters takes none, and says so. */
Test(params, no_spec)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, "bare", NULL, &err), CB_OK);
	cr_expect_eq(params_set(&p, "x", "1", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "unknown parameter 'bare.x' (allowed: none)"), "%s", err.msg);
	char *buf = params_format(&p);
	cr_expect_str_eq(buf, "");
	free(buf);
	params_free(&p);
}

struct describe_case {
	int index;
	const char *want;
};

static const struct describe_case describe_cases[] = {
	{0, "n — iterations [integer 1..1000; default 10]"},
	{2, "ms — a wait [ms 0..60000; default 100]"},
	{3, "sizes — a list [list of 0..99; default 1,2]"},
	{4, "mode — how [fast|slow|very-slow; default fast]"},
	{5, "url — repeatable [one list: commas and repeats extend it, '\\,' is a comma inside "
	    "an item; default none]"},
};

Test(params, describe_table)
{
	for (size_t i = 0; i < sizeof describe_cases / sizeof describe_cases[0]; i++) {
		char buf[256];
		params_describe(&demo_spec[describe_cases[i].index], buf, sizeof buf);
		cr_expect_str_eq(buf, describe_cases[i].want);
	}
}

struct num_case {
	const char *s;
	double min, max;
	int rc;
	double want;
};

static const struct num_case i64_cases[] = {
	{"0", 0, 10, CB_OK, 0},
	{"10", 0, 10, CB_OK, 10},
	{"-10", -10, 10, CB_OK, -10},
	{"11", 0, 10, CB_EINVAL, 0},
	{"9223372036854775807", 0, 9.3e18, CB_OK, 9223372036854775807.0},
	{"9223372036854775808", 0, 9.3e18, CB_EINVAL, 0},
	{"", 0, 10, CB_EINVAL, 0},
	{"1e3", 0, 10000, CB_EINVAL, 0},
	{"-", 0, 10, CB_EINVAL, 0},
	{"+5", 0, 10, CB_EINVAL, 0},
	{" 5", 0, 10, CB_EINVAL, 0},
	{"5 ", 0, 10, CB_EINVAL, 0},
	{"\t5", 0, 10, CB_EINVAL, 0},
	{"0x5", 0, 10, CB_EINVAL, 0},
	{"-0", 0, 10, CB_OK, 0},
};

Test(params, parse_i64_table)
{
	for (size_t i = 0; i < sizeof i64_cases / sizeof i64_cases[0]; i++) {
		const struct num_case *t = &i64_cases[i];
		int64_t v = -99;
		struct cb_err err = {0};
		int64_t max = t->max > 9.2e18 ? INT64_MAX : (int64_t)t->max;
		int rc = parse_i64(t->s, (int64_t)t->min, max, &v, "what", &err);
		cr_expect_eq(rc, t->rc, "'%s': %s", t->s, err.msg);
		if (rc == CB_OK)
			cr_expect_eq((double)v, t->want, "'%s'", t->s);
		else
			cr_expect(strncmp(err.msg, "what: ", 6) == 0 && v == -99, "'%s': %s", t->s,
				  err.msg);
	}
}

static const struct num_case double_cases[] = {
	{"0.25", 0, 1, CB_OK, 0.25},
	{"1e-3", 0, 1, CB_OK, 0.001},
	{"1", 0, 1, CB_OK, 1},
	{"1.0001", 0, 1, CB_EINVAL, 0},
	{"-0.5", -1, 0, CB_OK, -0.5},
	{"1e400", 0, 1, CB_EINVAL, 0}, /* out of range, not "not a number" */
	{"1e-400", 0, 1, CB_OK, 0},
	{"0x10", 0, 100, CB_EINVAL, 0},
	{"+1", 0, 100, CB_EINVAL, 0},
	{"inf", 0, 1, CB_EINVAL, 0},
	{".5", 0, 1, CB_OK, 0.5},
	{"5.", 0, 10, CB_OK, 5},
	{"1e", 0, 10, CB_EINVAL, 0},
	{"1e+2", 0, 1000, CB_OK, 100},
	{"-", 0, 1, CB_EINVAL, 0},
	{"nan", 0, 1, CB_EINVAL, 0},
	{"0.5x", 0, 1, CB_EINVAL, 0},
	{"", 0, 1, CB_EINVAL, 0},
	{" 1", 0, 1, CB_EINVAL, 0},
};

Test(params, parse_double_table)
{
	for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
		const struct num_case *t = &double_cases[i];
		double v = -99;
		struct cb_err err = {0};
		int rc = parse_double(t->s, t->min, t->max, &v, "what", &err);
		cr_expect_eq(rc, t->rc, "'%s': %s", t->s, err.msg);
		if (rc == CB_OK)
			cr_expect_float_eq(v, t->want, 1e-12, "'%s'", t->s);
		else
			cr_expect(v == -99, "'%s' wrote its output", t->s);
	}
}

/* Every workload's and runner's own defaults pass its own validation. */
#include "runner.h"
#include "workload.h"

static void check_defaults(const char *module, const struct param_spec *spec)
{
	struct params p;
	struct cb_err err = {0};
	cr_assert_eq(params_init(&p, module, spec, &err), CB_OK, "%s: %s", module, err.msg);
	for (int i = 0; spec && spec[i].name; i++) {
		cr_expect(spec[i].defval != NULL, "%s.%s: no default", module, spec[i].name);
		if (spec[i].type == PARAM_STRS && !*spec[i].defval)
			continue;
		cr_expect_eq(params_set(&p, spec[i].name, spec[i].defval, &err), CB_OK,
			     "%s.%s: its default fails: %s", module, spec[i].name, err.msg);
	}
	params_free(&p);
}

Test(params, module_defaults_are_valid)
{
	for (int i = 0; workload_table[i]; i++)
		check_defaults(workload_table[i]->name, workload_table[i]->params);
	for (int i = 0; runner_table[i]; i++)
		check_defaults(runner_table[i]->name, runner_table[i]->params);
}

Test(params, a_number_too_large_is_out_of_range)
{
	double v;
	struct cb_err err = {0};
	cr_assert_eq(parse_double("1e400", 0, 1, &v, "what", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "1e400 is out of range (allowed: 0..1)"), "%s", err.msg);
	cr_assert_eq(parse_positive("0", 10, &v, "what", &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "0 is out of range (allowed: above 0, up to 10)"), "%s", err.msg);
}
