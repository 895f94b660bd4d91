/* Loading a user's compute function: dlopen, the ABI check, the symbols by the naming
 * rule of core/concbench_plugin.h, and the per-task states in shared memory. */
#include "pluginload.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shm.h"

/* FN and the suffixes appended to it must make a symbol name that fits here. */
#define PLUGIN_NAME_MAX 128

#define PLUGIN_ALLOWED "allowed: a shared library built with concbench_plugin.h"

struct plugin_states {
	const struct plugin_call *call;
	int ntasks;
	int ninit;  /* states whose FN_init succeeded: 0..ninit-1 */
	char *mem;  /* ntasks * state_size shared bytes; NULL without state */
};

static bool is_identifier(const char *s)
{
	if (!*s || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* The symbol `name` defined by the library itself, not by one it depends on (FN=printf
 * would otherwise find libc's), or NULL. */
static void *own_symbol(const struct plugin *pl, const char *name)
{
	dlerror();
	void *sym = dlsym(pl->handle, name);
	if (!sym)
		return NULL;
	struct link_map *lm = NULL;
	Dl_info info;
	if (dlinfo(pl->handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !dladdr(sym, &info) ||
	    !info.dli_fname || strcmp(info.dli_fname, lm->l_name) != 0)
		return NULL;
	return sym;
}

static void *suffixed_symbol(const struct plugin *pl, const char *suffix)
{
	char name[PLUGIN_NAME_MAX + 16];
	snprintf(name, sizeof name, "%s%s", pl->fn_name, suffix);
	return own_symbol(pl, name);
}

/* The file exists and is a regular file; its absolute path into *abs (malloc'd). */
static int resolve_path(const char *so_path, char **abs, struct cb_err *err)
{
	if (!so_path || !*so_path)
		return cb_fail(err, CB_EINVAL, "no library given (%s, e.g. ./libmywork.so)",
			       PLUGIN_ALLOWED);
	char *r = realpath(so_path, NULL);
	if (!r)
		return cb_fail(err, CB_EINVAL, "%s: %s (%s)", so_path,
			       errno == ENOENT ? "no such file" : strerror(errno), PLUGIN_ALLOWED);
	struct stat sb;
	bool dir = false, file = false;
	if (stat(r, &sb) == 0) {
		dir = S_ISDIR(sb.st_mode);
		file = S_ISREG(sb.st_mode);
	}
	if (!file) {
		free(r);
		return cb_fail(err, CB_EINVAL, "%s: %s (%s)", so_path,
			       dir ? "a directory, not a file" : "not a regular file",
			       PLUGIN_ALLOWED);
	}
	*abs = r;
	return CB_OK;
}

static int plugin_bind(struct plugin *pl, const char *so_path, struct cb_err *err)
{
	const int *abi = own_symbol(pl, "concbench_plugin_abi");
	if (!abi)
		return cb_fail(err, CB_EINVAL, "%s: no symbol concbench_plugin_abi (allowed: a "
			       "library that says CONCBENCH_PLUGIN_DECLARE; once, from "
			       "concbench_plugin.h)", so_path);
	if (*abi != CONCBENCH_PLUGIN_ABI)
		return cb_fail(err, CB_EINVAL, "%s: built for plugin ABI %d (allowed: ABI %d; "
			       "rebuild it against this concbench's concbench_plugin.h)",
			       so_path, *abi, CONCBENCH_PLUGIN_ABI);
	void *fn = own_symbol(pl, pl->fn_name);
	if (!fn)
		return cb_fail(err, CB_EINVAL, "%s: no function '%s' (allowed: a function the "
			       "library exports, as concbench_compute_fn)", so_path, pl->fn_name);
	/* A data pointer to a function pointer: ISO C leaves it undefined, POSIX (dlsym's
	 * whole use) requires it to work. */
	pl->fn = (concbench_compute_fn *)fn;
	pl->init = (concbench_init_fn *)suffixed_symbol(pl, "_init");
	pl->free_fn = (concbench_free_fn *)suffixed_symbol(pl, "_free");
	pl->check = (concbench_check_fn *)suffixed_symbol(pl, "_check");
	const size_t *size = suffixed_symbol(pl, "_state_size");
	pl->state_size = size ? *size : 0;
	if (pl->state_size > CONCBENCH_STATE_MAX)
		return cb_fail(err, CB_EINVAL, "%s: %s_state_size is %zu bytes (allowed: up to "
			       "%u)", so_path, pl->fn_name, pl->state_size, CONCBENCH_STATE_MAX);
	return CB_OK;
}

int plugin_open(struct plugin **out, const char *so_path, const char *fn, struct cb_err *err)
{
	*out = NULL;
	if (!fn || !is_identifier(fn) || strlen(fn) > PLUGIN_NAME_MAX)
		return cb_fail(err, CB_EINVAL, "function '%s' (allowed: a C identifier of up "
			       "to %d characters)", fn ? fn : "", PLUGIN_NAME_MAX);
	struct plugin *pl = calloc(1, sizeof *pl);
	if (!pl || !(pl->fn_name = strdup(fn))) {
		free(pl);
		return cb_fail_errno(err, CB_ESYS, "plugin");
	}
	int rc = resolve_path(so_path, &pl->path, err);
	if (rc == CB_OK) {
		/* RTLD_NOW: every symbol resolved here, at plan time, not on the clock in a
		 * trial; RTLD_LOCAL: its names never interpose on ours or another plugin's. */
		pl->handle = dlopen(pl->path, RTLD_NOW | RTLD_LOCAL);
		if (!pl->handle)
			rc = cb_fail(err, CB_EINVAL, "%s: does not load as a shared library (%s; "
				     "%s)", so_path, dlerror(), PLUGIN_ALLOWED);
	}
	if (rc == CB_OK)
		rc = plugin_bind(pl, so_path, err);
	if (rc) {
		plugin_close(pl);
		return rc;
	}
	*out = pl;
	return CB_OK;
}

void plugin_close(struct plugin *pl)
{
	if (!pl)
		return;
	if (pl->handle)
		dlclose(pl->handle);
	free(pl->path);
	free(pl->fn_name);
	free(pl);
}

/* FN_init on one state; its message (or a default) into err. */
static int call_init(const struct plugin_call *call, void *state, int task, int ntasks,
		     int code, struct cb_err *err)
{
	const struct plugin *pl = call->pl;
	if (!pl->init)
		return CB_OK;
	char msg[256] = "";
	if (pl->init(state, call->arg, task, ntasks, msg, sizeof msg) == CONCBENCH_OK)
		return CB_OK;
	msg[sizeof msg - 1] = '\0';
	return cb_fail(err, code, "%s_init refused arg '%s' for task %d: %s", pl->fn_name,
		       call->arg, task, *msg ? msg : "(it gave no reason)");
}

int plugin_call_new(struct plugin_call **out, const struct plugin *pl, const char *arg,
		    struct cb_err *err)
{
	*out = NULL;
	struct plugin_call *call = calloc(1, sizeof *call);
	if (!call || !(call->arg = strdup(arg ? arg : ""))) {
		free(call);
		return cb_fail_errno(err, CB_ESYS, "plugin");
	}
	call->pl = pl;
	call->slot = -1;
	void *scratch = pl->state_size ? calloc(1, pl->state_size) : NULL;
	if (pl->state_size && !scratch) {
		plugin_call_free(call);
		return cb_fail_errno(err, CB_ESYS, "plugin");
	}
	int rc = call_init(call, scratch, 0, 1, CB_EINVAL, err);
	if (rc == CB_OK && pl->free_fn)
		pl->free_fn(scratch);
	free(scratch);
	if (rc) {
		plugin_call_free(call);
		return rc;
	}
	*out = call;
	return CB_OK;
}

void plugin_call_free(struct plugin_call *call)
{
	if (!call)
		return;
	free(call->arg);
	free(call);
}

enum step_status plugin_step(void *state, const void *arg)
{
	const struct plugin_call *call = arg;
	if (call->slot >= 0)
		state = ((void **)state)[call->slot];
	return call->pl->fn(state, call->arg) == CONCBENCH_OK ? STEP_OK : STEP_FAIL;
}

int plugin_states_new(struct plugin_states **out, const struct plugin_call *call, int ntasks,
		      struct cb_err *err)
{
	*out = NULL;
	struct plugin_states *st = calloc(1, sizeof *st);
	if (!st)
		return cb_fail(err, CB_ELIMIT, "plugin: no memory");
	*st = (struct plugin_states){.call = call, .ntasks = ntasks};
	size_t size = call->pl->state_size;
	if (size && ntasks > 0 && !(st->mem = shm_new(size * (size_t)ntasks, err))) {
		free(st);
		return err->code;
	}
	for (int i = 0; i < ntasks; i++) {
		if (call_init(call, plugin_states_get(st, i), i, ntasks, CB_EFAIL, err)) {
			plugin_states_free(st);
			return err->code;
		}
		st->ninit = i + 1;
	}
	*out = st;
	return CB_OK;
}

void *plugin_states_get(const struct plugin_states *st, int i)
{
	return st->mem ? st->mem + (size_t)i * st->call->pl->state_size : NULL;
}

int plugin_states_check(const struct plugin_states *st, const struct task_result *res,
			struct cb_err *err)
{
	const struct plugin *pl = st->call->pl;
	if (!pl->check)
		return CB_OK;
	for (int i = 0; i < st->ntasks; i++)
		if (!res[i].done || res[i].fail != FAIL_NONE)
			return CB_OK;
	char msg[256] = "";
	if (pl->check(st->mem, st->ntasks, st->call->arg, msg, sizeof msg) == CONCBENCH_OK)
		return CB_OK;
	msg[sizeof msg - 1] = '\0';
	return cb_fail(err, CB_EFAIL, "%s_check failed: %s", pl->fn_name,
		       *msg ? msg : "(it gave no reason)");
}

void plugin_states_free(struct plugin_states *st)
{
	if (!st)
		return;
	const struct plugin *pl = st->call->pl;
	for (int i = 0; pl->free_fn && i < st->ninit; i++)
		pl->free_fn(plugin_states_get(st, i));
	shm_free(st->mem);
	free(st);
}
