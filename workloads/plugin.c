/* plugin: each task is one call of a function from the user's shared library
 * (core/concbench_plugin.h; loaded by pluginload.c), with its own state and the
 * argument string of the run. A wrong answer (the function's CONCBENCH_FAIL) fails its
 * task; the library's check, after the run, fails the trial. */
#include <stdlib.h>
#include <string.h>

#include "pluginload.h"
#include "workload.h"

#define PLUGIN_VALUE_MAX 4096

struct plugin_cfg {
	struct plugin *pl;
	struct plugin_call *call;
	struct step step;
};

static const struct param_spec plugin_params[] = {
	{"so", PARAM_STRS, "", 0, 0, NULL,
	 "the shared library, built with concbench_plugin.h (a relative path is from the "
	 "current directory); required", false},
	{"fn", PARAM_STRS, "", 0, 0, NULL,
	 "the function each task calls (FN; FN_init, FN_free, FN_check, FN_state_size "
	 "are found by name); required", false},
	{"arg", PARAM_STRS, "", 0, 0, NULL,
	 "the argument string every call gets (one string; write a comma in it as '\\,')",
	 false},
	{0},
};

/* A parameter of exactly one item (a comma list is one value here), into buf. */
static int plugin_one(const struct params *p, const char *key, bool required, char *buf,
		      size_t len, struct cb_err *err)
{
	char *items[2];
	if (strlen(params_str(p, key)) >= len)
		return cb_fail(err, CB_EINVAL, "plugin.%s: longer than %zu characters", key,
			       len - 1);
	int n = params_strs(p, key, items, 2, buf, len);
	if (n > 1)
		return cb_fail(err, CB_EINVAL, "plugin.%s: '%s' is %d values (allowed: one; "
			       "write a comma inside it as '\\,')", key, params_str(p, key), n);
	if (n == 0 && required)
		return cb_fail(err, CB_EINVAL, "plugin.%s: required (e.g. -p plugin.so=./libmywork.so "
			       "-p plugin.fn=render)", key);
	if (n == 0)
		*buf = '\0';
	else
		memmove(buf, items[0], strlen(items[0]) + 1);
	return CB_OK;
}

static void plugin_free(void *cfg)
{
	struct plugin_cfg *c = cfg;
	if (!c)
		return;
	plugin_call_free(c->call);
	plugin_close(c->pl);
	free(c);
}

static int plugin_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	char so[PLUGIN_VALUE_MAX], fn[PLUGIN_VALUE_MAX], arg[PLUGIN_VALUE_MAX];
	if (plugin_one(p, "so", true, so, sizeof so, err) ||
	    plugin_one(p, "fn", true, fn, sizeof fn, err) ||
	    plugin_one(p, "arg", false, arg, sizeof arg, err))
		return err->code;
	struct plugin_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "plugin");
	int rc = plugin_open(&c->pl, so, fn, err);
	if (rc == CB_OK)
		rc = plugin_call_new(&c->call, c->pl, arg, err);
	if (rc) {
		/* The loader's line names the library or symbol; say which parameter. */
		char msg[sizeof err->msg];
		cb_copy(msg, err->msg, sizeof msg);
		cb_fail(err, rc, "plugin: %s", msg);
		plugin_free(c);
		return rc;
	}
	c->step = (struct step){.kind = STEP_COMPUTE,
				.compute = {.fn = plugin_step, .arg = c->call}};
	*cfg = c;
	return CB_OK;
}

static int plugin_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
			struct cb_err *err)
{
	(void)workers;
	const struct plugin_cfg *c = cfg;
	struct plugin_states *st;
	if (plugin_states_new(&st, c->call, ntasks, err))
		return err->code;
	if (taskset_alloc(ts, ntasks, &c->step, 1, err)) {
		plugin_states_free(st);
		return err->code;
	}
	for (int i = 0; i < ntasks; i++)
		ts->tasks[i].state = plugin_states_get(st, i);
	ts->priv = st;
	return CB_OK;
}

static int plugin_check(const void *cfg, struct taskset *ts, const struct task_result *res,
			double *metric, struct cb_err *err)
{
	(void)cfg;
	(void)metric;
	return plugin_states_check(ts->priv, res, err);
}

static void plugin_release(struct taskset *ts)
{
	plugin_states_free(ts->priv);
	ts->priv = NULL;
	taskset_free(ts);
}

const struct workload plugin_workload = {
	.name = "plugin",
	.summary = "one call per task of your own function from a shared library (CPU)",
	.params = plugin_params,
	.cpu_bound = true,
	.configure = plugin_configure,
	.config_free = plugin_free,
	.build = plugin_build,
	.check = plugin_check,
	.release = plugin_release,
};
