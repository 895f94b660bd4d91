/* What the runner tests share: compute steps (a counter read and written around
 * a yield, which only a lock keeps apart; a step that fails, one that counts), a
 * count of the tasks that ended ok, a cell of a registered workload and hand-built
 * tasks, each run the way the driver runs a cell (cellrun_once), and the bounds of a
 * run of sleeps in rounds. None asserts: they also run in the tests' children. */
#ifndef CB_TESTSTEPS_H
#define CB_TESTSTEPS_H

#include "cellrun.h"
#include "runner.h"
#include "workload.h"

struct mx_state {
	int *counter;
	int seen;
};

enum step_status mx_read(void *state, const void *arg);  /* seen = *counter */
enum step_status mx_write(void *state, const void *arg); /* *counter = seen + 1 */
enum step_status step_fail(void *state, const void *arg);
enum step_status step_mark(void *state, const void *arg); /* ++*(int *)state, done */
/* How many of n results ended ok. */
int tasks_ok(const struct task_result *res, int n);

/* Sets the pairs kv ("key", "value", ..., NULL; or NULL for none) on a fresh p of a
 * module's table; CB_OK or the first error (p is freed then). */
int test_params(struct params *p, const char *module, const struct param_spec *spec,
		const char *const *kv, struct cb_err *err);

/* A cell as the driver sets it up: a workload configured and started, and a runner,
 * each with the parameters a test gave. */
struct testcell {
	const struct workload *wl;
	const struct runner *rn;
	struct params wp, rp;
	void *cfg;
	char *wparams; /* "k=v;k=v", as the driver hands them to a peer */
};

/* The workload named, configured from wkv and started, under rn with rkv (pairs as
 * for test_params). CB_OK, or the first error, and then tc holds nothing. */
int testcell_open(struct testcell *tc, const char *wl_name, const char *const *wkv,
		  const struct runner *rn, const char *const *rkv, struct cb_err *err);
/* Runs ntasks of the cell once through cellrun_once, W as the driver gives it (1 to a
 * runner that runs one task at a time); returns out->code. */
int testcell_run(const struct testcell *tc, int ntasks, int workers, struct cellrun_out *out);
/* Finishes the workload and frees what open made. */
void testcell_close(struct testcell *tc);

/* Runs a taskset the test built by hand through cellrun_once, as a cell of a
 * workload whose build hands over exactly those tasks: the test then times what
 * the driver times. res holds ts->ntasks results; returns out->code. */
int handmade_run(const struct runner *rn, const struct params *rp, const struct taskset *ts,
		 int workers, struct task_result *res, struct cellrun_out *out);
/* handmade_run of n tasks (and nsems semaphores) under the runner so named, its -p
 * values kv ("key", "value", ..., NULL; or NULL), W workers; asserts that the cell ran
 * and every task is done. Returns the wall time the driver would record. */
double handmade_wall(const char *runner, const char *const *kv, struct task *tasks, int n,
		     int workers, const struct sem_decl *sems, int nsems, struct task_result *res);

/* A run of `rounds` sleeps of sleep_s back to back can end no sooner than their sum
 * (less a little for the clock), and a correct runner ends well within half a round
 * and a fixed slack more. One round too many, from a worker fewer than asked or
 * from all-at-once tasks run one by one, costs a whole sleep_s, which is more than
 * half a round plus the slack as long as the slack is under half a round: with the
 * tests' 150 ms sleeps and 40 ms, such a run misses the bound by at least 35 ms
 * however fast the machine, while a busy machine still has 115 ms to spare. */
#define ROUNDS_SLACK_S 0.040
static inline double rounds_lower_s(int rounds, double sleep_s)
{
	return rounds * sleep_s - 0.002;
}
static inline double rounds_upper_s(int rounds, double sleep_s)
{
	return rounds * sleep_s + sleep_s / 2 + ROUNDS_SLACK_S;
}
/* The rounds N sleeps take under a worker limit W (0: all at once). */
static inline int rounds_of(int ntasks, int workers)
{
	int w = runner_workers(ntasks, workers);
	return (ntasks + w - 1) / w;
}

#endif
