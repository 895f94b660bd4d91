/* The workloads an external runner runs, as its program declares them: `PROGRAM --list`
 * prints one line, "concbench-peer workloads=countdown,power,...". Asked once per
 * process and program, at plan time; the trial children inherit the answer. */
#include "external.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "extproc.h"

#define LIST_LINE "concbench-peer workloads="
#define LIST_TIMEOUT_S 30
#define LIST_KNOWN 16

/* One program's answer. */
struct listed {
	const struct external *x;
	char program[PATH_MAX]; /* where it was asked: CONCBENCH_PEERS_DIR may change */
	char names[EXTPROC_LINE_MAX]; /* "countdown,power,sleep,http" */
	struct cb_err why;      /* code CB_OK: names holds its list; else why it gave none */
};

static struct listed known[LIST_KNOWN];
static int nknown;

/* Whether the names are a list of words: at least one, none empty. */
static bool well_formed(const char *names)
{
	if (!*names)
		return false;
	for (const char *c = names; *c; c++)
		if (*c == ' ' || (*c == ',' && (c == names || c[1] == ',' || c[1] == '\0')))
			return false;
	return true;
}

static void ask(struct listed *l)
{
	const struct external *x = l->x;
	char *argv[] = {(char *)x->interpreter, l->program, "--list", NULL};
	struct extproc p = {.prefix = LIST_LINE, .timeout_s = LIST_TIMEOUT_S};
	struct cb_err err = {0};
	char how[EXTPROC_LINE_MAX + 64];
	if (extproc_run(x->interpreter ? argv : argv + 1, &p, &err)) {
		cb_fail(&l->why, CB_EINVAL, "%s --list: %s", x->program, err.msg);
		return;
	}
	extproc_end(&p, how, sizeof how);
	const char *names = p.line + strlen(LIST_LINE);
	if (how[0])
		cb_fail(&l->why, CB_EINVAL, "%s --list %s", x->program, how);
	else if (!p.line[0] || !well_formed(names))
		cb_fail(&l->why, CB_EINVAL, "%s --list printed no line '" LIST_LINE
			"<name>,<name>...' (see peers/README.md)", x->program);
	else
		cb_copy(l->names, names, sizeof l->names);
}

static const struct listed *listed_of(const struct external *x)
{
	char prog[PATH_MAX];
	external_program(x, prog, sizeof prog);
	for (int i = 0; i < nknown; i++)
		if (known[i].x == x && strcmp(known[i].program, prog) == 0)
			return &known[i];
	/* Past the table's end the last slot is asked again each time. */
	struct listed *l = &known[nknown < LIST_KNOWN ? nknown++ : LIST_KNOWN - 1];
	*l = (struct listed){.x = x};
	cb_copy(l->program, prog, sizeof l->program);
	ask(l);
	return l;
}

static bool has(const char *names, const char *workload)
{
	size_t n = strlen(workload);
	for (const char *c = names;; c++) {
		size_t len = strcspn(c, ",");
		if (len == n && strncmp(c, workload, n) == 0)
			return true;
		c += len;
		if (!*c)
			return false;
	}
}

int external_check_workload(const struct external *x, const char *workload,
			    struct cb_err *err)
{
	const struct listed *l = listed_of(x);
	if (l->why.code)
		return cb_fail(err, l->why.code, "%s", l->why.msg);
	if (has(l->names, workload))
		return CB_OK;
	char allowed[2 * EXTPROC_LINE_MAX];
	size_t n = 0;
	for (const char *c = l->names; *c && n < sizeof allowed - 3; c++) {
		allowed[n++] = *c;
		if (*c == ',')
			allowed[n++] = ' ';
	}
	allowed[n] = '\0';
	return cb_fail(err, CB_EINVAL, "the peers run only some workloads, each re-implemented, "
		       "not '%s' (allowed: %s)", workload, allowed);
}
