/* The task file's parser: lines to a program of sf_steps (stepfile.h). Each line kind
 * is a row of one table (its words, its keys, which it needs, what it adds), so the
 * errors, the README's table and the code read the same list. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params.h"
#include "powerkernel.h"
#include "stepfile.h"

#define SF_WORDS_MAX 16
#define SF_KEYS_MAX 6
#define SF_LINE_MAX 4096

/* A block open at the current line: a repeat, or a check's guarded steps. */
struct sf_block {
	enum sf_op kind; /* SF_AGAIN (repeat) or SF_CHECK */
	int start;       /* the block's first step */
	int head;        /* check: its step */
	int line;
	int64_t times;   /* repeat: how many */
};

struct sf_parser {
	struct stepfile *sf;
	const char *name;
	int line;
	int cap;
	struct sf_block block[SF_DEPTH_MAX];
	int depth;
};

/* One line kind: the word(s) it starts with, whether a name follows, its keys. */
struct sf_kind {
	const char *word;
	const char *kernel; /* compute: the kernel's word; NULL otherwise */
	bool named;
	const char *keys[SF_KEYS_MAX];
	unsigned required; /* bit k: keys[k] must be given */
	int (*add)(struct sf_parser *p, const char *name, const char *const *val,
		   struct cb_err *err);
};

static const char sf_steps_allowed[] =
	"compute, sleep, fetch, wait, post, repeat, check, subtract, end, sem, account";

__attribute__((format(printf, 3, 4)))
static int sf_fail(struct sf_parser *p, struct cb_err *err, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->line > 0)
		return cb_fail(err, CB_EINVAL, "%s:%d: %s", p->name, p->line, msg);
	return cb_fail(err, CB_EINVAL, "%s: %s", p->name, msg);
}

/* A number parser's error, put on the line. */
static int sf_number_fail(struct sf_parser *p, struct cb_err *err)
{
	char msg[sizeof err->msg];
	cb_copy(msg, err->msg, sizeof msg);
	return sf_fail(p, err, "%s", msg);
}

static int sf_i64(struct sf_parser *p, const char *what, const char *s, int64_t min,
		  int64_t max, int64_t *out, struct cb_err *err)
{
	return parse_i64(s, min, max, out, what, err) ? sf_number_fail(p, err) : CB_OK;
}

static int sf_ms_ns(struct sf_parser *p, const char *what, const char *s, double max,
		    int64_t *ns, struct cb_err *err)
{
	double ms;
	if (parse_double(s, 0, max, &ms, what, err))
		return sf_number_fail(p, err);
	*ns = (int64_t)llround(ms * 1e6);
	return CB_OK;
}

static struct sf_step *sf_push(struct sf_parser *p, enum sf_op op, struct cb_err *err)
{
	struct stepfile *sf = p->sf;
	if (sf->nsteps >= SF_STEPS_MAX) {
		sf_fail(p, err, "more than %d steps (allowed: up to %d, a repeat's steps "
			"counted once, plus one per repeat)", SF_STEPS_MAX, SF_STEPS_MAX);
		return NULL;
	}
	if (sf->nsteps == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct sf_step *s = realloc(sf->steps, sizeof *s * (size_t)cap);
		if (!s) {
			cb_fail(err, CB_ESYS, "%s: no memory for %d steps", p->name, cap);
			return NULL;
		}
		sf->steps = s;
		p->cap = cap;
	}
	struct sf_step *s = &sf->steps[sf->nsteps++];
	*s = (struct sf_step){.op = op, .line = p->line, .sem = -1, .account = -1};
	return s;
}

static int sf_sem_find(const struct stepfile *sf, const char *name)
{
	for (int i = 0; i < sf->nsems; i++)
		if (strcmp(sf->sems[i].name, name) == 0)
			return i;
	return -1;
}

static int sf_sem_used(struct sf_parser *p, const char *name, struct cb_err *err)
{
	int i = sf_sem_find(p->sf, name);
	if (i < 0)
		sf_fail(p, err, "semaphore '%s' is not declared (declare it above its first use: "
			"sem %s init=N)", name, name);
	return i;
}

/* The innermost open check of the account, or NULL. */
static const struct sf_block *sf_open_check(const struct sf_parser *p)
{
	for (int d = p->depth - 1; d >= 0; d--)
		if (p->block[d].kind == SF_CHECK)
			return &p->block[d];
	return NULL;
}

static int sf_account_used(struct sf_parser *p, const char *name, struct cb_err *err)
{
	if (!p->sf->has_account || strcmp(p->sf->account.name, name) != 0)
		return sf_fail(p, err, "account '%s' is not declared (declare it above its first "
			       "use: account %s balance=B)", name, name);
	return CB_OK;
}

/* ---- the line kinds ---- */

static int add_countdown(struct sf_parser *p, const char *name, const char *const *val,
			 struct cb_err *err)
{
	(void)name;
	int64_t n;
	if (sf_i64(p, "compute countdown n", val[0], 1, INT64_MAX, &n, err))
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_COUNTDOWN, err);
	if (!s)
		return err->code;
	s->n = n;
	return CB_OK;
}

static int add_power(struct sf_parser *p, const char *name, const char *const *val,
		     struct cb_err *err)
{
	(void)name;
	int64_t base, exp;
	if (sf_i64(p, "compute power base", val[0], 2, 1000000000, &base, err) ||
	    sf_i64(p, "compute power exp", val[1], 1, 100000000, &exp, err))
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_POWER, err);
	if (!s)
		return err->code;
	s->base = (unsigned long)base;
	s->exp = (unsigned long)exp;
	s->expect = powerkernel_expect(s->base, s->exp);
	return CB_OK;
}

static int add_memwalk(struct sf_parser *p, const char *name, const char *const *val,
		       struct cb_err *err)
{
	(void)name;
	int64_t n;
	if (sf_i64(p, "compute memwalk bytes", val[0], 64, (int64_t)1 << 30, &n, err))
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_MEMWALK, err);
	if (!s)
		return err->code;
	s->n = n;
	if (n > p->sf->walk_max)
		p->sf->walk_max = n;
	return CB_OK;
}

static int add_spin(struct sf_parser *p, const char *name, const char *const *val,
		    struct cb_err *err)
{
	(void)name;
	double us;
	if (parse_positive(val[0], 3.6e9, &us, "compute spin us", err))
		return sf_number_fail(p, err);
	struct sf_step *s = sf_push(p, SF_SPIN, err);
	if (!s)
		return err->code;
	s->n = (int64_t)llround(us * 1e3);
	return CB_OK;
}

static int add_plugin(struct sf_parser *p, const char *name, const char *const *val,
		      struct cb_err *err)
{
	(void)name;
	if (!*val[0] || !*val[1])
		return sf_fail(p, err, "compute plugin: an empty %s= (allowed: so=LIBRARY "
			       "fn=NAME [arg=\"...\"])", *val[0] ? "fn" : "so");
	if (p->sf->nplugins >= SF_PLUGINS_MAX)
		return sf_fail(p, err, "compute plugin: more than %d plugin steps",
			       SF_PLUGINS_MAX);
	struct sf_plugin pl = {strdup(val[0]), strdup(val[1]), strdup(val[2] ? val[2] : "")};
	struct sf_step *s = pl.so && pl.fn && pl.arg ? sf_push(p, SF_PLUGIN, err) : NULL;
	if (!s) {
		if (!(pl.so && pl.fn && pl.arg))
			cb_fail_errno(err, CB_ESYS, "%s", p->name);
		free(pl.so);
		free(pl.fn);
		free(pl.arg);
		return err->code;
	}
	s->plugin = pl;
	s->n = p->sf->nplugins++;
	return CB_OK;
}

static int add_sleep(struct sf_parser *p, const char *name, const char *const *val,
		     struct cb_err *err)
{
	(void)name;
	int64_t ns = 0;
	if (sf_ms_ns(p, "sleep ms", val[0], 86400000, &ns, err))
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_SLEEP, err);
	if (!s)
		return err->code;
	s->n = ns;
	return CB_OK;
}

/* Only a whole http(s) URL with a host gets through: curl's own parser decides. */
static int sf_check_url(struct sf_parser *p, const char *url, struct cb_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = CB_OK;
	if (!u)
		return cb_fail(err, CB_ESYS, "%s: no memory", p->name);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		rc = sf_fail(p, err, "fetch url: '%s' is not a valid URL (allowed: "
			     "http://host/... or https://host/...)", url);
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		rc = sf_fail(p, err, "fetch url: '%s': scheme '%s' is not supported (allowed: "
			     "http, https)", url, scheme ? scheme : "");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* keys: url, delay_ms, bytes, status, timeout_ms */
static int add_fetch(struct sf_parser *p, const char *name, const char *const *val,
		     struct cb_err *err)
{
	(void)name;
	const char *url = val[0], *delay = val[1], *bytes = val[2], *status = val[3];
	if (!url && !delay)
		return sf_fail(p, err, "fetch: neither url= nor delay_ms= (allowed: fetch "
			       "delay_ms=D [bytes=N] [timeout_ms=T] from the local server, or fetch "
			       "url=URL [status=S] [bytes=N] [timeout_ms=T])");
	if (url && delay)
		return sf_fail(p, err, "fetch: url= and delay_ms= together (allowed: one; "
			       "delay_ms= is the local server's)");
	if (!url && status)
		return sf_fail(p, err, "fetch: status= with the local server, which always "
			       "answers 200 (allowed: status= with url=)");
	struct sf_fetch f = {.bytes = url ? -1 : 16384, .status = 200, .timeout_ms = 30000};
	int64_t v;
	if (delay) {
		if (sf_i64(p, "fetch delay_ms", delay, 0, 3600000, &v, err))
			return CB_EINVAL;
		f.delay_ms = (long)v;
	}
	if (bytes) {
		if (sf_i64(p, "fetch bytes", bytes, url ? -1 : 0, 64 << 20, &v, err))
			return CB_EINVAL;
		f.bytes = (long)v;
	}
	if (status) {
		if (sf_i64(p, "fetch status", status, 100, 599, &v, err))
			return CB_EINVAL;
		f.status = (long)v;
	}
	if (val[4]) {
		if (sf_i64(p, "fetch timeout_ms", val[4], 1, 3600000, &v, err))
			return CB_EINVAL;
		f.timeout_ms = (long)v;
	}
	if (url && sf_check_url(p, url, err))
		return err->code;
	if (url && !(f.url = strdup(url)))
		return cb_fail_errno(err, CB_ESYS, "%s", p->name);
	struct sf_step *s = sf_push(p, SF_FETCH, err);
	if (!s) {
		free(f.url);
		return err->code;
	}
	s->fetch = f;
	return CB_OK;
}

static int add_wait(struct sf_parser *p, const char *name, const char *const *val,
		    struct cb_err *err)
{
	int sem = sf_sem_used(p, name, err);
	int64_t timeout = -1;
	if (sem < 0 || (val[0] && sf_ms_ns(p, "wait timeout_ms", val[0], 3600000, &timeout, err)))
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_WAIT, err);
	if (!s)
		return err->code;
	s->sem = sem;
	s->n = timeout;
	return CB_OK;
}

static int add_post(struct sf_parser *p, const char *name, const char *const *val,
		    struct cb_err *err)
{
	(void)val;
	int sem = sf_sem_used(p, name, err);
	if (sem < 0)
		return CB_EINVAL;
	struct sf_step *s = sf_push(p, SF_POST, err);
	if (!s)
		return err->code;
	s->sem = sem;
	return CB_OK;
}

static int sf_check_name(struct sf_parser *p, const char *what, const char *name,
			 struct cb_err *err)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n < SF_NAME_MAX && strspn(name, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
	if (!ok)
		return sf_fail(p, err, "%s: '%s' is not a name (allowed: 1 to %d letters, digits, "
			       "'_' and '-')", what, name, SF_NAME_MAX - 1);
	return CB_OK;
}

static int add_sem(struct sf_parser *p, const char *name, const char *const *val,
		   struct cb_err *err)
{
	struct stepfile *sf = p->sf;
	int64_t init;
	if (sf_check_name(p, "sem", name, err))
		return CB_EINVAL;
	if (sf_sem_find(sf, name) >= 0)
		return sf_fail(p, err, "sem: '%s' is declared twice (allowed: once)", name);
	if (sf->nsems >= SF_SEMS_MAX)
		return sf_fail(p, err, "sem: more than %d semaphores", SF_SEMS_MAX);
	if (sf_i64(p, "sem init", val[0], 0, 1000000, &init, err))
		return CB_EINVAL;
	cb_copy(sf->sems[sf->nsems].name, name, SF_NAME_MAX);
	sf->sems[sf->nsems++].init = (int)init;
	return CB_OK;
}

static int add_account(struct sf_parser *p, const char *name, const char *const *val,
		       struct cb_err *err)
{
	struct stepfile *sf = p->sf;
	int64_t balance;
	if (sf_check_name(p, "account", name, err))
		return CB_EINVAL;
	if (sf->has_account)
		return sf_fail(p, err, "account: a second account '%s' (allowed: one a file, "
			       "whose final balance is the run's final_balance)", name);
	if (sf_i64(p, "account balance", val[0], 0, INT64_MAX / 2, &balance, err))
		return CB_EINVAL;
	cb_copy(sf->account.name, name, SF_NAME_MAX);
	sf->account.balance = balance;
	sf->has_account = true;
	return CB_OK;
}

static int sf_open(struct sf_parser *p, struct sf_block b, struct cb_err *err)
{
	if (p->depth >= SF_DEPTH_MAX)
		return sf_fail(p, err, "more than %d blocks inside each other", SF_DEPTH_MAX);
	b.line = p->line;
	p->block[p->depth++] = b;
	return CB_OK;
}

static int add_check(struct sf_parser *p, const char *name, const char *const *val,
		     struct cb_err *err)
{
	if (sf_account_used(p, name, err))
		return CB_EINVAL;
	struct sf_step tmp = {0};
	char buf[1024];
	cb_copy(buf, val[0], sizeof buf);
	char *save, *item = strtok_r(buf, ",", &save);
	for (; item; item = strtok_r(NULL, ",", &save)) {
		if (tmp.namounts == SF_AMOUNTS_MAX)
			return sf_fail(p, err, "check amounts: more than %d", SF_AMOUNTS_MAX);
		if (sf_i64(p, "check amounts", item, 1, INT64_MAX / 2,
			   &tmp.amounts[tmp.namounts++], err))
			return CB_EINVAL;
	}
	if (tmp.namounts == 0)
		return sf_fail(p, err, "check amounts: an empty list (allowed: A,B,...; task i "
			       "takes the (i mod count)-th)");
	struct sf_step *s = sf_push(p, SF_CHECK, err);
	if (!s)
		return err->code;
	memcpy(s->amounts, tmp.amounts, sizeof s->amounts);
	s->namounts = tmp.namounts;
	s->account = 0;
	return sf_open(p, (struct sf_block){.kind = SF_CHECK, .start = p->sf->nsteps,
					    .head = p->sf->nsteps - 1}, err);
}

static int add_subtract(struct sf_parser *p, const char *name, const char *const *val,
			struct cb_err *err)
{
	(void)val;
	if (sf_account_used(p, name, err))
		return CB_EINVAL;
	const struct sf_block *b = sf_open_check(p);
	if (!b)
		return sf_fail(p, err, "subtract %s: outside a check block (allowed: between "
			       "'check %s amounts=...' and its 'end', which says how much)", name,
			       name);
	const struct sf_step *check = &p->sf->steps[b->head];
	struct sf_step *s = sf_push(p, SF_SUBTRACT, err);
	if (!s)
		return err->code;
	check = &p->sf->steps[b->head]; /* sf_push may have moved the steps */
	memcpy(s->amounts, check->amounts, sizeof s->amounts);
	s->namounts = check->namounts;
	s->account = 0;
	return CB_OK;
}

static int add_repeat(struct sf_parser *p, const char *name, const char *const *val,
		      struct cb_err *err)
{
	(void)val;
	int64_t times;
	if (sf_i64(p, "repeat", name, 1, 1000000000, &times, err))
		return CB_EINVAL;
	return sf_open(p, (struct sf_block){.kind = SF_AGAIN, .start = p->sf->nsteps,
					    .times = times}, err);
}

static int add_end(struct sf_parser *p, const char *name, const char *const *val,
		   struct cb_err *err)
{
	(void)name;
	(void)val;
	if (p->depth == 0)
		return sf_fail(p, err, "end: no repeat or check to end");
	struct sf_block b = p->block[--p->depth];
	const char *what = b.kind == SF_AGAIN ? "repeat" : "check";
	if (b.start == p->sf->nsteps)
		return sf_fail(p, err, "end: the %s of line %d has no steps (allowed: one or "
			       "more steps between them)", what, b.line);
	if (b.kind == SF_CHECK) {
		p->sf->steps[b.head].alt = p->sf->nsteps; /* refused: past the block */
		return CB_OK;
	}
	struct sf_step *s = sf_push(p, SF_AGAIN, err);
	if (!s)
		return err->code;
	s->n = b.times;
	s->alt = b.start;
	s->counter = p->sf->ncounters++;
	return CB_OK;
}

static const struct sf_kind sf_kinds[] = {
	{"compute", "countdown", false, {"n"}, 1, add_countdown},
	{"compute", "power", false, {"base", "exp"}, 3, add_power},
	{"compute", "memwalk", false, {"bytes"}, 1, add_memwalk},
	{"compute", "spin", false, {"us"}, 1, add_spin},
	{"compute", "plugin", false, {"so", "fn", "arg"}, 3, add_plugin},
	{"sleep", NULL, false, {"ms"}, 1, add_sleep},
	{"fetch", NULL, false, {"url", "delay_ms", "bytes", "status", "timeout_ms"}, 0, add_fetch},
	{"wait", NULL, true, {"timeout_ms"}, 0, add_wait},
	{"post", NULL, true, {NULL}, 0, add_post},
	{"sem", NULL, true, {"init"}, 1, add_sem},
	{"account", NULL, true, {"balance"}, 1, add_account},
	{"check", NULL, true, {"amounts"}, 1, add_check},
	{"subtract", NULL, true, {NULL}, 0, add_subtract},
	{"repeat", NULL, true, {NULL}, 0, add_repeat},
	{"end", NULL, false, {NULL}, 0, add_end},
};

static const char sf_kernels_allowed[] = "countdown, power, memwalk, spin, plugin";

/* "n, base" and so on: what a kind takes, for its errors. */
static void sf_keys_list(const struct sf_kind *k, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < SF_KEYS_MAX && k->keys[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=", i ? ", " : "", k->keys[i]);
	if (!buf[0])
		cb_copy(buf, "none", len);
}

static const struct sf_kind *sf_kind_of(struct sf_parser *p, char **w, int nw, int *used,
					struct cb_err *err)
{
	bool compute = strcmp(w[0], "compute") == 0;
	if (compute && (nw < 2 || strchr(w[1], '='))) {
		sf_fail(p, err, "compute: which kernel? (allowed: compute %s)", sf_kernels_allowed);
		return NULL;
	}
	for (size_t i = 0; i < sizeof sf_kinds / sizeof sf_kinds[0]; i++) {
		const struct sf_kind *k = &sf_kinds[i];
		if (strcmp(k->word, w[0]) != 0 || (compute && strcmp(k->kernel, w[1]) != 0))
			continue;
		*used = compute ? 2 : 1;
		return k;
	}
	if (compute)
		sf_fail(p, err, "compute %s: unknown kernel (allowed: %s)", w[1],
			sf_kernels_allowed);
	else
		sf_fail(p, err, "unknown step '%s' (allowed: %s)", w[0], sf_steps_allowed);
	return NULL;
}

/* The words after a kind (and its name): key=value each, keys of the kind, once. */
static int sf_take_keys(struct sf_parser *p, const struct sf_kind *k, const char *what,
			char **w, int nw, const char **val, struct cb_err *err)
{
	char keys[128];
	sf_keys_list(k, keys, sizeof keys);
	for (int i = 0; i < nw; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq)
			return sf_fail(p, err, "%s: '%s' has no '=' (allowed: %s)", what, w[i], keys);
		*eq = '\0';
		int at = -1;
		for (int j = 0; j < SF_KEYS_MAX && k->keys[j]; j++)
			if (strcmp(k->keys[j], w[i]) == 0)
				at = j;
		if (at < 0)
			return sf_fail(p, err, "%s: unknown key '%s' (allowed: %s)", what, w[i], keys);
		if (val[at])
			return sf_fail(p, err, "%s: %s= given twice (allowed: once)", what, w[i]);
		val[at] = eq + 1;
	}
	for (int j = 0; j < SF_KEYS_MAX && k->keys[j]; j++)
		if ((k->required >> j & 1) && !val[j])
			return sf_fail(p, err, "%s: %s= is missing (allowed: %s)", what, k->keys[j],
				       keys);
	return CB_OK;
}

/* Splits a line at blanks, up to a '#' that starts a word. A double quote opens a
 * stretch where blanks and '#' are kept (\" and \\ in it are a quote and a backslash);
 * the quotes themselves are dropped. Returns the words, max + 1 when there are more,
 * or -1 for a quote never closed. */
static int sf_words(char *line, char **w, int max)
{
	int n = 0;
	char *c = line;
	for (;;) {
		while (*c == ' ' || *c == '\t' || *c == '\r')
			c++;
		if (!*c || *c == '#')
			return n;
		if (n == max)
			return max + 1;
		char *out = w[n++] = c;
		bool quoted = false;
		for (; *c && (quoted || (*c != ' ' && *c != '\t' && *c != '\r')); c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (quoted && *c == '\\' && (c[1] == '"' || c[1] == '\\'))
				*out++ = *++c;
			else
				*out++ = *c;
		}
		if (quoted)
			return -1;
		bool more = *c != '\0';
		*out = '\0';
		if (more)
			c++;
	}
}

static int sf_line(struct sf_parser *p, char *line, struct cb_err *err)
{
	char *w[SF_WORDS_MAX];
	int nw = sf_words(line, w, SF_WORDS_MAX), used = 0;
	if (nw == 0)
		return CB_OK;
	if (nw < 0)
		return sf_fail(p, err, "a '\"' with no closing '\"'");
	if (nw > SF_WORDS_MAX)
		return sf_fail(p, err, "more than %d words on a line", SF_WORDS_MAX);
	const struct sf_kind *k = sf_kind_of(p, w, nw, &used, err);
	if (!k)
		return CB_EINVAL;
	char what[64];
	snprintf(what, sizeof what, "%s%s%s", k->word, k->kernel ? " " : "",
		 k->kernel ? k->kernel : "");
	const char *name = NULL;
	if (k->named) {
		if (used >= nw || strchr(w[used], '='))
			return sf_fail(p, err, "%s: %s is missing (write: %s %s%s)", what,
				       strcmp(k->word, "repeat") == 0 ? "the count" : "a name",
				       k->word, strcmp(k->word, "repeat") == 0 ? "K" : "NAME",
				       k->keys[0] ? " ..." : "");
		name = w[used++];
	}
	const char *val[SF_KEYS_MAX] = {0};
	if (sf_take_keys(p, k, what, w + used, nw - used, val, err))
		return CB_EINVAL;
	return k->add(p, name, val, err);
}

/* After the last line: blocks closed, jumps past the end and on a timed-out wait
 * given their steps. */
static int sf_finish(struct sf_parser *p, struct cb_err *err)
{
	struct stepfile *sf = p->sf;
	if (p->depth > 0) {
		const struct sf_block *b = &p->block[p->depth - 1];
		p->line = b->line;
		return sf_fail(p, err, "%s with no end (allowed: close it with a line 'end')",
			       b->kind == SF_AGAIN ? "repeat" : "check");
	}
	p->line = 0;
	if (sf->nsteps == 0)
		return sf_fail(p, err, "no steps (allowed: one step a line: %s)",
			       sf_steps_allowed);
	int user = sf->nsteps;
	bool past_end = false, timeouts = false;
	for (int i = 0; i < user; i++) {
		past_end |= sf->steps[i].op == SF_CHECK && sf->steps[i].alt == user;
		timeouts |= sf->steps[i].op == SF_WAIT && sf->steps[i].n >= 0;
	}
	/* the fail step comes after an end step, so the last step never runs into it */
	if ((past_end || timeouts) && !sf_push(p, SF_END, err))
		return err->code;
	int fail = sf->nsteps;
	if (timeouts && !sf_push(p, SF_FAIL, err))
		return err->code;
	for (int i = 0; i < user; i++)
		if (sf->steps[i].op == SF_WAIT)
			sf->steps[i].alt = fail;
	return CB_OK;
}

int stepfile_parse(struct stepfile *sf, const char *name, const char *text, struct cb_err *err)
{
	*sf = (struct stepfile){0};
	struct sf_parser p = {.sf = sf, .name = name};
	int rc = CB_OK;
	for (const char *c = text; *c && rc == CB_OK;) {
		size_t len = strcspn(c, "\n");
		p.line++;
		char line[SF_LINE_MAX];
		if (len >= sizeof line)
			rc = sf_fail(&p, err, "a line of more than %d characters", SF_LINE_MAX - 1);
		else if (memchr(c, '\0', len))
			rc = sf_fail(&p, err, "a NUL byte (allowed: text)");
		if (rc)
			break;
		memcpy(line, c, len);
		line[len] = '\0';
		rc = sf_line(&p, line, err);
		c += len + (c[len] == '\n');
	}
	if (rc == CB_OK)
		rc = sf_finish(&p, err);
	if (rc)
		stepfile_free(sf);
	return rc;
}

int stepfile_load(struct stepfile *sf, const char *path, struct cb_err *err)
{
	*sf = (struct stepfile){0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cb_fail_errno(err, CB_EINVAL, "steps.file: '%s'", path);
	struct stat st;
	int rc = CB_OK;
	char *text = NULL;
	if (fstat(fd, &st) != 0)
		rc = cb_fail_errno(err, CB_EINVAL, "steps.file: '%s'", path);
	else if (S_ISDIR(st.st_mode))
		rc = cb_fail(err, CB_EINVAL, "steps.file: '%s' is a directory (allowed: a task "
			     "file)", path);
	else if (!S_ISREG(st.st_mode))
		rc = cb_fail(err, CB_EINVAL, "steps.file: '%s' is not a regular file (allowed: a "
			     "task file)", path);
	else if (st.st_size > SF_FILE_MAX)
		rc = cb_fail(err, CB_EINVAL, "steps.file: '%s' is larger than %d bytes", path,
			     SF_FILE_MAX);
	else if (!(text = malloc((size_t)st.st_size + 1)))
		rc = cb_fail_errno(err, CB_ESYS, "steps.file: '%s'", path);
	size_t got = 0;
	while (rc == CB_OK && got < (size_t)st.st_size) {
		ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = cb_fail_errno(err, CB_EINVAL, "steps.file: '%s': read", path);
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (rc == CB_OK) {
		text[got] = '\0';
		if (strlen(text) != got)
			rc = cb_fail(err, CB_EINVAL, "%s: a NUL byte (allowed: text)", path);
		else
			rc = stepfile_parse(sf, path, text, err);
	}
	free(text);
	return rc;
}

void stepfile_free(struct stepfile *sf)
{
	for (int i = 0; i < sf->nsteps; i++) {
		free(sf->steps[i].fetch.url);
		free(sf->steps[i].plugin.so);
		free(sf->steps[i].plugin.fn);
		free(sf->steps[i].plugin.arg);
	}
	free(sf->steps);
	*sf = (struct stepfile){0};
}

bool stepfile_per_task(const struct stepfile *sf)
{
	for (int i = 0; i < sf->nsteps; i++) {
		enum sf_op op = sf->steps[i].op;
		if (op == SF_AGAIN || op == SF_MEMWALK || op == SF_CHECK || op == SF_SUBTRACT ||
		    op == SF_PLUGIN)
			return true;
	}
	return false;
}

double stepfile_task_s(const struct stepfile *sf, double *cpu_s)
{
	double total = 0, cpu = 0;
	*cpu_s = -1;
	for (int i = 0; i < sf->nsteps; i++) {
		const struct sf_step *s = &sf->steps[i];
		double times = 1; /* the repeats around step i, multiplied */
		for (int j = i + 1; j < sf->nsteps; j++)
			if (sf->steps[j].op == SF_AGAIN && sf->steps[j].alt <= i)
				times *= (double)sf->steps[j].n;
		switch (s->op) {
		case SF_SLEEP:
			total += times * (double)s->n * 1e-9;
			break;
		case SF_SPIN:
			total += times * (double)s->n * 1e-9;
			cpu += times * (double)s->n * 1e-9;
			break;
		case SF_FETCH:
			if (s->fetch.url)
				return -1;
			total += times * (double)s->fetch.delay_ms * 1e-3;
			break;
		case SF_POST:
		case SF_AGAIN:
		case SF_END:
		case SF_FAIL:
			break;
		default: /* a kernel whose time depends on the machine, a wait, a check */
			return -1;
		}
	}
	*cpu_s = cpu;
	return total;
}

const char *sf_op_name(enum sf_op op)
{
	static const char *const names[SF_OPS] = {
		[SF_COUNTDOWN] = "countdown", [SF_POWER] = "power", [SF_MEMWALK] = "memwalk",
		[SF_SPIN] = "spin",           [SF_PLUGIN] = "plugin", [SF_SLEEP] = "sleep",
		[SF_FETCH] = "fetch",
		[SF_WAIT] = "wait",           [SF_POST] = "post",   [SF_CHECK] = "check",
		[SF_SUBTRACT] = "subtract",   [SF_AGAIN] = "again", [SF_END] = "end",
		[SF_FAIL] = "fail",
	};
	return (unsigned)op < SF_OPS ? names[op] : "unknown";
}
