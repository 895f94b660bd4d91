/* The registries: every entry found by its name, unknown names not found, names
 * unique, and every entry fills what the driver calls without checking. */
#include <criterion/criterion.h>
#include <string.h>

#include "runner.h"
#include "workload.h"

struct lookup_case {
	const char *name;
	bool workload, runner; /* found as one */
};

/* Names that must never match: near misses, case, empty, a whole list. */
static const struct lookup_case lookup_cases[] = {
	{"sleep", true, false},   {"countdown", true, false}, {"serial", false, true},
	{"threads", false, true}, {"procs", false, true},     {"", false, false},
	{"Sleep", false, false},  {"sleep ", false, false},   {"sleeps", false, false},
	{"slee", false, false},   {"serial,threads", false, false}, {"nope", false, false},
};

Test(registry, lookup_table)
{
	for (size_t i = 0; i < sizeof lookup_cases / sizeof lookup_cases[0]; i++) {
		const struct lookup_case *t = &lookup_cases[i];
		cr_expect_eq(workload_find(t->name) != NULL, t->workload, "workload '%s'", t->name);
		cr_expect_eq(runner_find(t->name) != NULL, t->runner, "runner '%s'", t->name);
	}
}

Test(registry, every_workload_by_name)
{
	int n = 0;
	for (int i = 0; workload_table[i]; i++, n++) {
		const struct workload *wl = workload_table[i];
		cr_expect_eq(workload_find(wl->name), wl, "%s", wl->name);
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(workload_table[j]->name, wl->name, "%s twice", wl->name);
		cr_expect_null(runner_find(wl->name), "%s is a workload and a runner", wl->name);
		cr_expect(wl->summary && *wl->summary, "%s: no summary", wl->name);
		cr_expect(wl->configure && wl->build && wl->release, "%s: missing a step", wl->name);
		int m = 0;
		while (wl->metrics && wl->metrics[m])
			m++;
		cr_expect_leq(m, WL_METRICS_MAX, "%s: %d metrics", wl->name, m);
		int p = 0;
		while (wl->params && wl->params[p].name)
			p++;
		cr_expect_leq(p, PARAMS_MAX, "%s: %d parameters", wl->name, p);
	}
	cr_expect_gt(n, 0);
}

Test(registry, every_runner_by_name)
{
	int n = 0;
	for (int i = 0; runner_table[i]; i++, n++) {
		const struct runner *rn = runner_table[i];
		cr_expect_eq(runner_find(rn->name), rn, "%s", rn->name);
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(runner_table[j]->name, rn->name, "%s twice", rn->name);
		cr_expect(rn->summary && *rn->summary, "%s: no summary", rn->name);
		cr_expect((rn->run != NULL) != (rn->external != NULL),
			  "%s: not exactly one engine (run or external)", rn->name);
		int p = 0;
		while (rn->params && rn->params[p].name)
			p++;
		cr_expect_leq(p, PARAMS_MAX, "%s: %d parameters", rn->name, p);
	}
	cr_expect_gt(n, 0);
	/* the plan's defaults and every speedup lean on these */
	cr_expect(runner_find("serial") && runner_find("serial")->one_at_a_time);
}

/* The names the CSV columns are made of exist and are distinct. */
Test(registry, fail_and_step_names)
{
	for (int i = 0; i < FAIL_REASONS; i++) {
		const char *a = task_fail_name((enum task_fail)i);
		cr_assert(a && *a, "reason %d has no name", i);
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(task_fail_name((enum task_fail)j), a);
	}
	for (int i = 0; i < STEP_KINDS; i++) {
		const char *a = step_kind_name((enum step_kind)i);
		cr_assert(a && *a, "step kind %d has no name", i);
		for (int j = 0; j < i; j++)
			cr_expect_str_neq(step_kind_name((enum step_kind)j), a);
	}
}

/* Speed-ups are within a family, over its one serial runner: every runner names its
 * family, and no family has two serial runners. */
Test(registry, one_serial_runner_per_family)
{
	for (int i = 0; runner_table[i]; i++) {
		const struct runner *a = runner_table[i];
		cr_expect(a->family && *a->family, "%s: no family", a->name);
		for (int j = 0; j < i && a->family; j++) {
			const struct runner *b = runner_table[j];
			cr_expect(!(a->one_at_a_time && b->one_at_a_time &&
				    strcmp(a->family, b->family) == 0),
				  "%s and %s are both serial runners of %s", a->name, b->name,
				  a->family);
		}
	}
	cr_expect(runner_find("serial")->one_at_a_time && runner_find("py-serial")->one_at_a_time);
}
