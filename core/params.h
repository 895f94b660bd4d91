/* Named parameters of a workload or runner (`-p module.key=value`).
 * A module declares a table of param_spec; the driver validates every value
 * against it before any trial runs, so modules read values that are known good.
 * --list and --help print the same tables, so the docs cannot drift. */
#ifndef CB_PARAMS_H
#define CB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum param_type {
	PARAM_INT,    /* an integer in [min, max] */
	PARAM_MS,     /* a duration in milliseconds, fractions allowed, in [min, max] */
	PARAM_INTS,   /* a comma list of integers, each in [min, max] */
	PARAM_CHOICE, /* one of `choices`, a '|' separated list */
	PARAM_STRS,   /* a comma list of strings ("\," a comma inside one); repeating the key appends */
};

struct param_spec {
	const char *name; /* the key after the module prefix; NULL ends a table */
	enum param_type type;
	const char *defval; /* "" for an empty PARAM_STRS */
	int64_t min, max;
	const char *choices;
	const char *help;
	bool scaled; /* --scale multiplies it (durations and amounts of work) */
};

#define PARAMS_MAX 16

struct params {
	const char *module;
	const struct param_spec *spec;
	char *val[PARAMS_MAX]; /* owned; defaults filled in by params_init */
	bool set[PARAMS_MAX];  /* given by the user rather than defaulted */
};

int params_init(struct params *p, const char *module, const struct param_spec *spec,
		struct cb_err *err);
void params_free(struct params *p);
int params_copy(struct params *dst, const struct params *src, struct cb_err *err);
/* Validates value against the spec of key; exit-2 errors name key, value and what is allowed. */
int params_set(struct params *p, const char *key, const char *value, struct cb_err *err);
/* Multiplies every `scaled` parameter by factor. */
int params_scale(struct params *p, double factor, struct cb_err *err);

int64_t params_int(const struct params *p, const char *name);
double params_ms(const struct params *p, const char *name);
const char *params_str(const struct params *p, const char *name);
/* Splits a list parameter; returns how many items, at most max. params_strs keeps a
 * comma written "\," inside its item (a URL may hold one). */
int params_ints(const struct params *p, const char *name, int64_t *out, int max);
int params_strs(const struct params *p, const char *name, char **out, int max, char *buf, size_t len);

/* "key=value;key=value" over every parameter, in table order, whole: the caller
 * frees it. NULL when out of memory. */
char *params_format(const struct params *p);
/* "key: help (int 1..N, default D)" for --list. */
void params_describe(const struct param_spec *s, char *buf, size_t len);

/* The number parsers the CLI shares: the whole input a plain decimal number (no
 * spaces, '+', hex, inf or nan), range checked, errors name `what`. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char *what,
	      struct cb_err *err);
int parse_double(const char *s, double min, double max, double *out, const char *what,
		 struct cb_err *err);
/* Above 0 (0 itself refused), up to max. */
int parse_positive(const char *s, double max, double *out, const char *what,
		   struct cb_err *err);

#endif
