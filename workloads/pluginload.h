/* Loading a user's compute function (core/concbench_plugin.h) and making compute steps
 * of it: the plugin workload uses it, and so can any workload that reads steps from
 * a file. Three objects, each with one free:
 *
 *   struct plugin         a library's function FN, opened at plan time (plugin_open)
 *   struct plugin_call    FN with its argument string: what a step's compute.arg is
 *   struct plugin_states  the N per-task states of one trial, in shared memory
 *
 * At plan time (a workload's configure):
 *
 *   struct plugin *pl;
 *   if (plugin_open(&pl, "./libmywork.so", "render", err))   // CB_EINVAL: exit 2
 *           return err->code;
 *   struct plugin_call *call;
 *   if (plugin_call_new(&call, pl, "name=world", err))      // runs FN_init once
 *           ...;                                             // CB_EINVAL: bad arg
 *   step = (struct step){.kind = STEP_COMPUTE,
 *                        .compute = {.fn = plugin_step, .arg = call}};
 *
 * In build (the trial child, before the clock), for a taskset of ntasks:
 *
 *   struct plugin_states *st;
 *   if (plugin_states_new(&st, call, ntasks, err))          // zeroed, FN_init on each
 *           return err->code;
 *   ts->tasks[i].state = plugin_states_get(st, i);           // each task i
 *
 * In check (after the clock) and release:
 *
 *   rc = plugin_states_check(st, res, err);                  // FN_check; CB_EFAIL
 *   plugin_states_free(st);                                  // FN_free on each
 *
 * And at plan end (config_free): plugin_call_free(call), then plugin_close(pl).
 *
 * The step's compute_fn, plugin_step, calls FN(state, arg) and maps CONCBENCH_OK to
 * STEP_OK, anything else to STEP_FAIL (the runner counts it as FAIL_CHECK).
 *
 * Several plugin steps in one task (a task file with two `compute plugin` lines):
 * each call needs its own state per task, but a task has one state pointer. Give
 * call k `call->slot = k` (plugin_call_new leaves it -1) and make task i's state an
 * array `void *slots[]` with slots[k] = plugin_states_get(states_k, i): plugin_step
 * then takes its state from slots[call->slot]. The array must outlive the run, and
 * under procs be readable by the forked workers (the parent's memory is: they inherit
 * it before the run).
 *
 * The library stays loaded from plugin_open to plugin_close, so the trial children a
 * driver forks (and procs's workers) run the code the plan checked. Runners that are
 * programs of their own (the peers) cannot call it; they do not list the workloads
 * that need it, so the plan refuses the pairing. */
#ifndef CB_PLUGINLOAD_H
#define CB_PLUGINLOAD_H

#include <stddef.h>

#include "concbench_plugin.h"
#include "err.h"
#include "task.h"

struct plugin {
	void *handle;  /* dlopen's; dlclose'd by plugin_close */
	char *path;    /* the library, absolute (relative paths resolve at open) */
	char *fn_name; /* FN */
	concbench_compute_fn *fn;
	concbench_init_fn *init;    /* FN_init, or NULL */
	concbench_free_fn *free_fn; /* FN_free, or NULL */
	concbench_check_fn *check;  /* FN_check, or NULL */
	size_t state_size;          /* FN_state_size, or 0 */
};

/* Opens the shared library at so_path (relative: to the current directory, so a
 * caller with another base, a task file's folder, joins it first; pl->path is
 * absolute) and looks FN up. Errors, all CB_EINVAL with one line naming
 * the path or symbol and what is allowed: no such file, a directory, not a shared
 * object (dlerror's words), no concbench_plugin_abi, an ABI other than
 * CONCBENCH_PLUGIN_ABI, FN not a C identifier, FN missing, FN_state_size above
 * CONCBENCH_STATE_MAX. Nothing stays open on error; *out is NULL then. */
int plugin_open(struct plugin **out, const char *so_path, const char *fn, struct cb_err *err);
/* dlcloses and frees; NULL is fine. Only after every call and state made of it is
 * freed: their functions are the library's code. */
void plugin_close(struct plugin *pl);

struct plugin_call {
	const struct plugin *pl;
	char *arg; /* owned copy */
	int slot;  /* -1: the task's state is this call's state; k: ((void **)state)[k] is */
};

/* FN bound to arg (NULL: ""). Runs FN_init and FN_free once on a scratch state (task 0
 * of 1), so an argument the library refuses is CB_EINVAL at plan time, with the
 * library's message. */
int plugin_call_new(struct plugin_call **out, const struct plugin *pl, const char *arg,
		    struct cb_err *err);
void plugin_call_free(struct plugin_call *call);

/* The compute_fn of a plugin step: arg is a struct plugin_call, state the task's. */
enum step_status plugin_step(void *state, const void *arg);

struct plugin_states; /* ntasks states of one call, shared across fork */

/* ntasks zeroed states in memory shared with forked workers, each filled by FN_init
 * (task i of ntasks). A refused init: CB_EFAIL with its message, the states already
 * made freed (FN_free on each). */
int plugin_states_new(struct plugin_states **out, const struct plugin_call *call, int ntasks,
		      struct cb_err *err);
/* Task i's state: NULL when FN has no state. */
void *plugin_states_get(const struct plugin_states *st, int i);
/* After the run: when every task of res (ntasks entries) succeeded, FN_check over all
 * states; its CONCBENCH_FAIL is CB_EFAIL with its message. With a failed task, or no
 * FN_check, CB_OK (the failed tasks are already the result). */
int plugin_states_check(const struct plugin_states *st, const struct task_result *res,
			struct cb_err *err);
/* FN_free on each state, then the memory; NULL is fine. */
void plugin_states_free(struct plugin_states *st);

#endif
