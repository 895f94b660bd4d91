/* An example compute step for `concbench -w plugin`: each task renders a small HTML
 * page from a template, as a request handler would, and hashes it (FNV-1a, 64 bits).
 * Every task renders the same page, so every task's digest must agree; with
 * expect=HEX each task checks its own digest against it, and a wrong one fails the
 * task, as a built-in workload's wrong answer does.
 *
 *   cc $(pkg-config --cflags concbench) -O2 -shared -fPIC example.c -o libcbexample.so
 *   concbench -w plugin -p plugin.so=./libcbexample.so -p plugin.fn=render \
 *             -p 'plugin.arg=rows=1000 name=world'
 *
 * The argument: space-separated key=value, each optional:
 *   rows=N      table rows of the page, 1..1000000 (default 1000)
 *   name=WORD   the name the page greets, up to 31 characters (default "world")
 *   expect=HEX  the page's digest, 16 hex digits: a task whose digest differs fails */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <concbench_plugin.h>

CONCBENCH_PLUGIN_DECLARE;

struct render_state {
	/* from the argument, by render_init */
	long rows;
	char name[32];
	bool has_expect;
	uint64_t expect;
	/* written by render, read by render_check (shared memory: procs' workers too) */
	int rendered; /* times this task's page was rendered: exactly 1 after the run */
	uint64_t digest;
	uint64_t bytes;
};

CONCBENCH_STATE(render, struct render_state);

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

/* One key=value of the argument into s; CONCBENCH_FAIL with msg when it is not one. */
static int render_option(struct render_state *s, const char *kv, size_t len, char *msg,
			 size_t msglen)
{
	const char *eq = memchr(kv, '=', len);
	if (!eq) {
		snprintf(msg, msglen, "'%.*s' is not key=value (allowed: rows=N name=WORD "
			 "expect=HEX)", (int)len, kv);
		return CONCBENCH_FAIL;
	}
	size_t klen = (size_t)(eq - kv), vlen = len - klen - 1;
	char val[64];
	if (vlen >= sizeof val) {
		snprintf(msg, msglen, "'%.*s' is too long", (int)len, kv);
		return CONCBENCH_FAIL;
	}
	memcpy(val, eq + 1, vlen);
	val[vlen] = '\0';
	char *end = NULL;
	if (klen == 4 && memcmp(kv, "rows", 4) == 0) {
		s->rows = strtol(val, &end, 10);
		if (!*val || *end || s->rows < 1 || s->rows > 1000000) {
			snprintf(msg, msglen, "rows=%s (allowed: 1..1000000)", val);
			return CONCBENCH_FAIL;
		}
	} else if (klen == 4 && memcmp(kv, "name", 4) == 0) {
		if (!*val || vlen >= sizeof s->name) {
			snprintf(msg, msglen, "name=%s (allowed: 1..%zu characters)", val,
				 sizeof s->name - 1);
			return CONCBENCH_FAIL;
		}
		memcpy(s->name, val, vlen + 1);
	} else if (klen == 6 && memcmp(kv, "expect", 6) == 0) {
		s->expect = strtoull(val, &end, 16);
		if (vlen != 16 || *end) {
			snprintf(msg, msglen, "expect=%s (allowed: 16 hex digits)", val);
			return CONCBENCH_FAIL;
		}
		s->has_expect = true;
	} else {
		snprintf(msg, msglen, "unknown key '%.*s' (allowed: rows, name, expect)",
			 (int)klen, kv);
		return CONCBENCH_FAIL;
	}
	return CONCBENCH_OK;
}

CONCBENCH_EXPORT int render_init(void *state, const char *arg, int task, int ntasks, char *msg,
				 size_t msglen)
{
	(void)task;
	(void)ntasks;
	struct render_state *s = state;
	s->rows = 1000;
	strcpy(s->name, "world");
	for (const char *p = arg; *p;) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (len && render_option(s, p, len, msg, msglen) != CONCBENCH_OK)
			return CONCBENCH_FAIL;
		p += len;
	}
	return CONCBENCH_OK;
}

/* The page, a line at a time into the hash: what a template engine writes out. */
CONCBENCH_EXPORT int render(void *state, const char *arg)
{
	(void)arg; /* render_init has read it into the state */
	struct render_state *s = state;
	char line[256];
	uint64_t h = FNV_OFFSET, bytes = 0;
	int n = snprintf(line, sizeof line, "<html><body><h1>Hello, %s!</h1><table>\n", s->name);
	h = fnv1a(h, line, (size_t)n);
	bytes += (uint64_t)n;
	for (long i = 0; i < s->rows; i++) {
		n = snprintf(line, sizeof line, "<tr><td>%ld</td><td>%s</td><td>%ld</td></tr>\n",
			     i, s->name, i * i % 97);
		h = fnv1a(h, line, (size_t)n);
		bytes += (uint64_t)n;
	}
	n = snprintf(line, sizeof line, "</table></body></html>\n");
	h = fnv1a(h, line, (size_t)n);
	bytes += (uint64_t)n;
	s->digest = h;
	s->bytes = bytes;
	s->rendered++;
	return s->has_expect && h != s->expect ? CONCBENCH_FAIL : CONCBENCH_OK;
}

/* Every task rendered its page once, and all pages are the same. */
CONCBENCH_EXPORT int render_check(const void *states, int ntasks, const char *arg, char *msg,
				  size_t msglen)
{
	(void)arg;
	const struct render_state *s = states;
	for (int i = 0; i < ntasks; i++) {
		if (s[i].rendered != 1) {
			snprintf(msg, msglen, "task %d rendered its page %d times (expected once)",
				 i, s[i].rendered);
			return CONCBENCH_FAIL;
		}
		if (s[i].digest != s[0].digest || s[i].bytes != s[0].bytes) {
			snprintf(msg, msglen, "task %d's page (%016" PRIx64 ", %" PRIu64 " bytes) "
				 "differs from task 0's (%016" PRIx64 ", %" PRIu64 " bytes)", i,
				 s[i].digest, s[i].bytes, s[0].digest, s[0].bytes);
			return CONCBENCH_FAIL;
		}
	}
	return CONCBENCH_OK;
}
