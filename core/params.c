/* Parsing and validating module parameters. */
#include "params.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole decimal number and nothing else: strtoll and strtod alone also take
 * spaces, a '+', hex ("0x10"), "inf" and "nan". */
static bool is_decimal(const char *s, bool fraction)
{
	const char *c = s + (*s == '-');
	size_t digits = strspn(c, "0123456789");
	c += digits;
	if (fraction && *c == '.') {
		size_t more = strspn(c + 1, "0123456789");
		digits += more;
		c += 1 + more;
	}
	if (digits == 0)
		return false;
	if (fraction && (*c == 'e' || *c == 'E')) {
		c += 1 + (c[1] == '-' || c[1] == '+');
		size_t exp = strspn(c, "0123456789");
		if (exp == 0)
			return false;
		c += exp;
	}
	return *c == '\0';
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char *what,
	      struct cb_err *err)
{
	if (!is_decimal(s, false))
		return cb_fail(err, CB_EINVAL, "%s: '%s' is not a whole number (allowed: %" PRId64
			       "..%" PRId64 ")", what, s, min, max);
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return cb_fail(err, CB_EINVAL, "%s: %s is out of range (allowed: %" PRId64
			       "..%" PRId64 ")", what, s, min, max);
	*out = v;
	return CB_OK;
}

static int parse_number(const char *s, double min, double max, bool open_min, double *out,
			const char *what, struct cb_err *err)
{
	char range[80];
	if (open_min)
		snprintf(range, sizeof range, "above %g, up to %g", min, max);
	else
		snprintf(range, sizeof range, "%g..%g", min, max);
	if (!is_decimal(s, true))
		return cb_fail(err, CB_EINVAL, "%s: '%s' is not a number (allowed: %s)",
			       what, s, range);
	errno = 0;
	double v = strtod(s, NULL);
	/* An underflow is a number too close to 0 to hold: judged as the 0 it became. */
	bool overflow = errno == ERANGE && (isinf(v) || fabs(v) >= 1);
	if (overflow || v < min || v > max || (open_min && v <= min))
		return cb_fail(err, CB_EINVAL, "%s: %s is out of range (allowed: %s)", what, s,
			       range);
	*out = v;
	return CB_OK;
}

int parse_double(const char *s, double min, double max, double *out, const char *what,
		 struct cb_err *err)
{
	return parse_number(s, min, max, false, out, what, err);
}

int parse_positive(const char *s, double max, double *out, const char *what,
		   struct cb_err *err)
{
	return parse_number(s, 0, max, true, out, what, err);
}

static int spec_index(const struct param_spec *spec, const char *name)
{
	for (int i = 0; spec && spec[i].name; i++)
		if (strcmp(spec[i].name, name) == 0)
			return i;
	return -1;
}

static int check_value(const char *module, const struct param_spec *s, const char *v,
		       struct cb_err *err)
{
	char what[96];
	snprintf(what, sizeof what, "%s.%s", module, s->name);
	switch (s->type) {
	case PARAM_INT: {
		int64_t x;
		return parse_i64(v, s->min, s->max, &x, what, err);
	}
	case PARAM_MS: {
		double x;
		return parse_double(v, (double)s->min, (double)s->max, &x, what, err);
	}
	case PARAM_INTS: {
		if (*v == '\0')
			return cb_fail(err, CB_EINVAL, "%s: empty list (allowed: comma list of "
				       "%" PRId64 "..%" PRId64 ")", what, s->min, s->max);
		char *buf = strdup(v);
		if (!buf)
			return cb_fail_errno(err, CB_ESYS, "%s", what);
		char *save, *tok = strtok_r(buf, ",", &save);
		int rc = CB_OK;
		for (int n = 0; tok && rc == CB_OK; tok = strtok_r(NULL, ",", &save), n++) {
			int64_t x;
			rc = n >= 64 ? cb_fail(err, CB_EINVAL, "%s: more than 64 items", what)
				     : parse_i64(tok, s->min, s->max, &x, what, err);
		}
		free(buf);
		if (rc)
			return rc;
		if (v[strlen(v) - 1] == ',' || v[0] == ',' || strstr(v, ",,"))
			return cb_fail(err, CB_EINVAL, "%s: '%s' has an empty item", what, v);
		return CB_OK;
	}
	case PARAM_CHOICE: {
		size_t n = strlen(v);
		for (const char *c = s->choices; *c;) {
			size_t len = strcspn(c, "|");
			if (len == n && n > 0 && strncmp(c, v, n) == 0)
				return CB_OK;
			c += len + (c[len] == '|');
		}
		return cb_fail(err, CB_EINVAL, "%s: '%s' is not allowed (allowed: %s)", what, v,
			       s->choices);
	}
	case PARAM_STRS:
		return CB_OK;
	}
	return cb_fail(err, CB_EINVAL, "%s: unknown parameter type", what);
}

int params_init(struct params *p, const char *module, const struct param_spec *spec,
		struct cb_err *err)
{
	memset(p, 0, sizeof *p);
	p->module = module;
	p->spec = spec;
	for (int i = 0; spec && spec[i].name; i++) {
		if (i >= PARAMS_MAX)
			return cb_fail(err, CB_EINVAL, "%s: more than %d parameters", module,
				       PARAMS_MAX);
		p->val[i] = strdup(spec[i].defval ? spec[i].defval : "");
		if (!p->val[i])
			return cb_fail_errno(err, CB_ESYS, "params");
	}
	return CB_OK;
}

void params_free(struct params *p)
{
	for (int i = 0; i < PARAMS_MAX; i++) {
		free(p->val[i]);
		p->val[i] = NULL;
	}
}

int params_copy(struct params *dst, const struct params *src, struct cb_err *err)
{
	*dst = *src;
	for (int i = 0; i < PARAMS_MAX; i++)
		if (src->val[i] && !(dst->val[i] = strdup(src->val[i]))) {
			while (i-- > 0)
				free(dst->val[i]);
			return cb_fail_errno(err, CB_ESYS, "params");
		}
	return CB_OK;
}

int params_set(struct params *p, const char *key, const char *value, struct cb_err *err)
{
	int i = spec_index(p->spec, key);
	if (i < 0) {
		char known[512] = "";
		size_t off = 0;
		for (int k = 0; p->spec && p->spec[k].name && off < sizeof known; k++)
			off += (size_t)snprintf(known + off, sizeof known - off, "%s%s.%s",
						k ? ", " : "", p->module, p->spec[k].name);
		return cb_fail(err, CB_EINVAL, "unknown parameter '%s.%s' (allowed: %s)",
			       p->module, key, off ? known : "none");
	}
	if (check_value(p->module, &p->spec[i], value, err))
		return CB_EINVAL;
	char *v;
	if (p->spec[i].type == PARAM_STRS && p->set[i] && *p->val[i]) {
		size_t n = strlen(p->val[i]) + strlen(value) + 2;
		v = malloc(n);
		if (v)
			snprintf(v, n, "%s,%s", p->val[i], value);
	} else {
		v = strdup(value);
	}
	if (!v)
		return cb_fail_errno(err, CB_ESYS, "params");
	free(p->val[i]);
	p->val[i] = v;
	p->set[i] = true;
	return CB_OK;
}

int params_scale(struct params *p, double factor, struct cb_err *err)
{
	for (int i = 0; p->spec && p->spec[i].name; i++) {
		const struct param_spec *s = &p->spec[i];
		if (!s->scaled)
			continue;
		char buf[64];
		double x;
		if (s->type == PARAM_MS) {
			x = strtod(p->val[i], NULL) * factor;
		} else if (s->type == PARAM_INT) {
			x = (double)strtoll(p->val[i], NULL, 10) * factor;
			if (x < (double)s->min)
				x = (double)s->min;
		} else {
			continue;
		}
		/* The modules trust every value to be in range, scaled ones too. */
		if (x > (double)s->max)
			return cb_fail(err, CB_EINVAL, "%s.%s: --scale %g makes %s into %.6g, above "
				       "its maximum %" PRId64, p->module, s->name, factor, p->val[i],
				       x, s->max);
		snprintf(buf, sizeof buf, s->type == PARAM_MS ? "%.6g" : "%.0f", x);
		char *v = strdup(buf);
		if (!v)
			return cb_fail_errno(err, CB_ESYS, "params");
		free(p->val[i]);
		p->val[i] = v;
	}
	return CB_OK;
}

static const char *lookup(const struct params *p, const char *name)
{
	int i = spec_index(p->spec, name);
	return i < 0 ? NULL : p->val[i];
}

/* Asking for a name the module did not declare is a bug in that module. */
static const char *must(const struct params *p, const char *name)
{
	const char *v = lookup(p, name);
	if (!v) {
		fprintf(stderr, "concbench: bug: %s has no parameter '%s'\n", p->module, name);
		abort();
	}
	return v;
}

int64_t params_int(const struct params *p, const char *name)
{
	return strtoll(must(p, name), NULL, 10);
}

double params_ms(const struct params *p, const char *name)
{
	return strtod(must(p, name), NULL);
}

const char *params_str(const struct params *p, const char *name)
{
	return must(p, name);
}

int params_ints(const struct params *p, const char *name, int64_t *out, int max)
{
	const char *v = must(p, name);
	int n = 0;
	for (const char *c = v; *c && n < max;) {
		out[n++] = strtoll(c, NULL, 10);
		c += strcspn(c, ",");
		c += (*c == ',');
	}
	return n;
}

int params_strs(const struct params *p, const char *name, char **out, int max, char *buf,
		size_t len)
{
	snprintf(buf, len, "%s", must(p, name));
	int n = 0;
	/* Items are copied down in place as "\," becomes ','; empty ones are skipped. */
	char *w = buf, *item = buf;
	for (const char *r = buf;; r++) {
		if (r[0] == '\\' && r[1] == ',') {
			*w++ = *++r;
			continue;
		}
		if (*r != ',' && *r != '\0') {
			*w++ = *r;
			continue;
		}
		bool end = *r == '\0';
		*w++ = '\0';
		if (*item && n < max)
			out[n++] = item;
		if (end)
			break;
		item = w;
	}
	return n;
}

char *params_format(const struct params *p)
{
	size_t len = 1;
	for (int i = 0; p->spec && p->spec[i].name; i++)
		len += strlen(p->spec[i].name) + strlen(p->val[i]) + 2;
	char *buf = malloc(len);
	if (!buf)
		return NULL;
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; p->spec && p->spec[i].name; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? ";" : "",
					p->spec[i].name, p->val[i]);
	return buf;
}

void params_describe(const struct param_spec *s, char *buf, size_t len)
{
	char range[128];
	switch (s->type) {
	case PARAM_INT:
		snprintf(range, sizeof range, "integer %" PRId64 "..%" PRId64, s->min, s->max);
		break;
	case PARAM_MS:
		snprintf(range, sizeof range, "ms %" PRId64 "..%" PRId64, s->min, s->max);
		break;
	case PARAM_INTS:
		snprintf(range, sizeof range, "list of %" PRId64 "..%" PRId64, s->min, s->max);
		break;
	case PARAM_CHOICE:
		snprintf(range, sizeof range, "%s", s->choices);
		break;
	case PARAM_STRS:
		snprintf(range, sizeof range, "one list: commas and repeats extend it, '\\,' "
			 "is a comma inside an item");
		break;
	}
	snprintf(buf, len, "%s — %s [%s; default %s]", s->name, s->help, range,
		 *s->defval ? s->defval : "none");
}
