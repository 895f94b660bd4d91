/* concbench_plugin.h: the ABI of a compute step from your own shared library.
 *
 * concbench runs the same tasks under every concurrency model it has (serial, threads,
 * procs, evloop, green). With this header a task's compute step can be a function of
 * yours: write it in C (or anything with a C ABI), build a shared library, and run
 *
 *   cc $(pkg-config --cflags concbench) -O2 -shared -fPIC mywork.c -o libmywork.so
 *   concbench -w plugin -p plugin.so=./libmywork.so -p plugin.fn=render -p plugin.arg=...
 *
 * A library exports, for a function named FN (any C identifier; several per library):
 *
 *   concbench_plugin_abi  required, once per library: CONCBENCH_PLUGIN_DECLARE;
 *   FN                    required: the work of one task       (concbench_compute_fn)
 *   FN_state_size         optional: bytes of per-task state    (CONCBENCH_STATE)
 *   FN_init               optional: fills a task's state       (concbench_init_fn)
 *   FN_free               optional: releases what init took    (concbench_free_fn)
 *   FN_check              optional: checks all tasks at the end (concbench_check_fn)
 *
 * What concbench does with them, for a cell of N tasks:
 *   at plan time   dlopen the library, look the symbols up, compare the ABI version,
 *                  and call FN_init (then FN_free) once on a scratch state as task 0
 *                  of 1, so that an argument FN_init refuses stops the run with exit
 *                  2 before any trial, with FN_init's message;
 *   each trial     N zeroed states of FN_state_size bytes, in one block of memory
 *                  shared by every worker the model makes (forked processes too);
 *                  FN_init on each, before the clock starts;
 *                  FN(state_i, arg) once per task i, on the clock, in the model's
 *                  worker: a thread, a forked process, the event loop's thread or a
 *                  coroutine;
 *                  after the clock stops, FN_check over all the states when every
 *                  task succeeded; then FN_free on each state whose init succeeded.
 *
 * Rules, which follow from the models:
 * - FN runs concurrently with itself on other states (threads): keep what it
 *   writes in its state; global data it only reads is fine.
 * - Under procs FN runs in a forked process: only what it writes into the state
 *   block reaches FN_check. Memory FN_init allocates (and the state points to) is a
 *   private copy in each process; FN may read it, but FN_check sees the parent's.
 * - Under green FN runs on a coroutine's stack (green.stack_kib, 64 KiB unless set,
 *   with a guard page below it): keep big buffers in the state or on the heap.
 * - FN must not block on anything the harness does not know about (a sleep, a
 *   socket): the event loop and green models run every task on one thread. A compute
 *   step is CPU work; concbench's other step kinds (sleep, fetch, wait) model waits.
 * - Return CONCBENCH_OK or CONCBENCH_FAIL. A FAIL from FN is a wrong answer: the task
 *   counts as failed (fail_check in the results), as a built-in workload's wrong
 *   answer does. A FAIL from FN_check fails the trial, with its message.
 *
 * Only C types cross this boundary; nothing of concbench's internals does, so a
 * library built against one ABI version runs with every concbench of that version. */
#ifndef CONCBENCH_PLUGIN_H
#define CONCBENCH_PLUGIN_H

#include <stddef.h>

/* The version of this ABI. A change to any signature or rule here increments it; a
 * library whose concbench_plugin_abi differs is refused at plan time. */
#define CONCBENCH_PLUGIN_ABI 1

/* What every function here returns. */
#define CONCBENCH_OK 0
#define CONCBENCH_FAIL 1

/* Exports a symbol even from a library built with -fvisibility=hidden. */
#define CONCBENCH_EXPORT __attribute__((visibility("default")))

/* States the library's ABI version; write it once, at file scope, in one source file. */
#define CONCBENCH_PLUGIN_DECLARE \
	CONCBENCH_EXPORT const int concbench_plugin_abi = CONCBENCH_PLUGIN_ABI

/* Gives FN a per-task state of type TYPE: CONCBENCH_STATE(render, struct render_state);
 * At most CONCBENCH_STATE_MAX bytes. Without it, every state pointer is NULL. */
#define CONCBENCH_STATE(FN, TYPE) CONCBENCH_EXPORT const size_t FN##_state_size = sizeof(TYPE)
#define CONCBENCH_STATE_MAX (1u << 20)

/* FN: one task's work. state: its own FN_state_size bytes (NULL without state); arg:
 * the argument string of the run (plugin.arg, "" when not given), the same for all
 * tasks. Returns CONCBENCH_OK, or CONCBENCH_FAIL for a wrong answer. */
typedef int concbench_compute_fn(void *state, const char *arg);

/* FN_init: fills the zeroed state of task `task` of `ntasks` from arg, before the
 * clock starts. On CONCBENCH_FAIL it writes why into msg (msglen bytes, snprintf
 * style): at plan time that stops the run (exit 2), in a trial it fails the trial. */
typedef int concbench_init_fn(void *state, const char *arg, int task, int ntasks, char *msg,
			      size_t msglen);

/* FN_free: releases what FN_init acquired for this state (not the state itself, which
 * concbench owns). Called once for each state whose FN_init returned CONCBENCH_OK. */
typedef void concbench_free_fn(void *state);

/* FN_check: after the run, when every task returned CONCBENCH_OK, checks the tasks'
 * work as a whole. states: ntasks states of FN_state_size bytes each, one after
 * another (NULL without state). On CONCBENCH_FAIL it writes why into msg. */
typedef int concbench_check_fn(const void *states, int ntasks, const char *arg, char *msg,
			       size_t msglen);

#endif
