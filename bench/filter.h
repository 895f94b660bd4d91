/* Which cells of a plan run: --filter's clauses, and the -w/-r/-n/-j that narrow a
 * preset, as one list of clauses a cell must all meet. Parsing checks every key, operator
 * and value against the registries, so a typo is bad input, not an empty run. */
#ifndef CB_FILTER_H
#define CB_FILTER_H

#include <stdbool.h>

#include "err.h"
#include "params.h"

struct cell;

enum filter_key { FILTER_WORKLOAD, FILTER_RUNNER, FILTER_TASKS, FILTER_WORKERS, FILTER_PRESET,
		  FILTER_PARAM };
enum filter_op { FILTER_EQ, FILTER_NE, FILTER_LT, FILTER_LE, FILTER_GT, FILTER_GE };

#define FILTER_VALUES_MAX 64

struct filter_clause {
	enum filter_key key;
	enum filter_op op;
	char *module, *name;  /* FILTER_PARAM: the parameter; owned */
	bool numeric;         /* compared as numbers, else as words */
	char *text;           /* the clause as written, for messages; owned */
	char *values[FILTER_VALUES_MAX]; /* owned; one unless the op is = or != */
	double nums[FILTER_VALUES_MAX];  /* the values as numbers, when numeric */
	int nvalues;
};

struct filter {
	struct filter_clause *v; /* owned */
	int n;
};

/* Adds the clauses of expr (KEY OP VALUE, separated by spaces); CB_EINVAL names the
 * bad clause and what is allowed. Call filter_free whatever it returned. */
int filter_parse(struct filter *f, const char *expr, struct cb_err *err);
void filter_free(struct filter *f);
/* Whether a cell meets every clause; an empty filter takes every cell. */
bool filter_cell(const struct filter *f, const struct cell *c);
/* Whether a workload or runner of this name (key FILTER_WORKLOAD or FILTER_RUNNER) can
 * be in a cell that meets the filter, judged by the clauses on that key alone. */
bool filter_name(const struct filter *f, enum filter_key key, const char *name);
/* Whether a module with these parameters can: the clauses on its own parameters. */
bool filter_params(const struct filter *f, const struct params *p);

#endif
