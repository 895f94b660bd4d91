/* bank: the withdrawal race of seed 003 (article B5). Task i withdraws
 * amounts[i % count] from one balance: it checks the balance, thinks, then
 * subtracts if its check passed. Run all at once without a lock, every check
 * passes before any subtraction: 100 - 80 - 70 - 50 - 20 = -120. With
 * bank.lock=1 the check-and-subtract is one critical section and the balance
 * ends where some serial order of the withdrawals would leave it.
 *
 * A race here is the experiment's result, reported in the metrics, not a
 * failure; a locked run that still races is (the runner's lock is broken). */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bankorder.h"
#include "shm.h"
#include "workload.h"

#define BANK_MAX BANKORDER_MAX
#define BANK_AMOUNTS_MAX BANKORDER_AMOUNTS_MAX

struct bank_cfg {
	int64_t balance;
	int64_t amounts[BANK_AMOUNTS_MAX];
	int namounts;
	bool lock;
	bool shared;
	struct step steps[5];
	int nsteps;
};

/* One task's view: its amount, the account it sees, the shared counts. */
struct bank_slot {
	_Atomic int64_t *balance;
	atomic_int *granted, *refused;
	int64_t amount;
};

/* What the tasks share, in one mapping: the account, the counts, each task's view. */
struct bank_shared {
	_Atomic int64_t balance; /* the account when bank.shared=1 */
	atomic_int granted, refused;
	struct bank_slot slot[];
};

/* ts->priv: the shared part, and the account a process keeps to itself. */
struct bank_run {
	struct bank_shared *sh;
	_Atomic int64_t own; /* bank.shared=0: after fork each process has its own copy */
};

static const struct sem_decl bank_sems[] = {{"account", 1}};

/* The check. Refused: no think, no subtraction; a locked task still unlocks. */
static enum step_status bank_check_step(void *state, const void *arg)
{
	struct bank_slot *s = state;
	const struct bank_cfg *c = arg;
	if (atomic_load_explicit(s->balance, memory_order_relaxed) >= s->amount) {
		atomic_fetch_add(s->granted, 1);
		return STEP_OK;
	}
	atomic_fetch_add(s->refused, 1);
	return c->lock ? STEP_ALT : STEP_DONE;
}

/* A plain read then write, as `balance -= amount` is: two of them may interleave. */
static enum step_status bank_subtract_step(void *state, const void *arg)
{
	(void)arg;
	struct bank_slot *s = state;
	int64_t b = atomic_load_explicit(s->balance, memory_order_relaxed);
	atomic_store_explicit(s->balance, b - s->amount, memory_order_relaxed);
	return STEP_OK;
}

static const struct param_spec bank_params[] = {
	{"balance", PARAM_INT, "100", 0, BANK_MAX, NULL, "the starting balance", false},
	{"amounts", PARAM_INTS, "80,70,50,20", 1, BANK_MAX, NULL,
	 "withdrawals; task i takes amounts[i % count]", false},
	{"think_ms", PARAM_MS, "100", 0, 3600000, NULL,
	 "wait between checking the balance and subtracting", true},
	{"lock", PARAM_INT, "0", 0, 1, NULL, "1: check and subtract under one lock", false},
	{"shared", PARAM_INT, "1", 0, 1, NULL,
	 "0: the account in private memory (each process of procs has its own copy)", false},
	{0},
};

static void bank_steps(struct bank_cfg *c, int64_t think_ns)
{
	struct step check = {.kind = STEP_COMPUTE, .compute = {.fn = bank_check_step, .arg = c}};
	struct step think = {.kind = STEP_SLEEP, .sleep.ns = think_ns};
	struct step sub = {.kind = STEP_COMPUTE, .compute = {.fn = bank_subtract_step, .arg = c}};
	if (!c->lock) {
		c->steps[0] = check;
		c->steps[1] = think;
		c->steps[2] = sub;
		c->nsteps = 3;
		return;
	}
	check.alt = 4; /* refused: straight to the unlock */
	c->steps[0] = (struct step){.kind = STEP_WAIT, .wait = {.sem = 0, .timeout_ns = -1}};
	c->steps[1] = check;
	c->steps[2] = think;
	c->steps[3] = sub;
	c->steps[4] = (struct step){.kind = STEP_POST, .post.sem = 0};
	c->nsteps = 5;
}

/* The table checks each item as given; this guards the list as a whole. */
static int bank_validate(const struct bank_cfg *c, struct cb_err *err)
{
	if (c->namounts < 1)
		return cb_fail(err, CB_EINVAL, "bank.amounts: empty list (allowed: comma list "
			       "of 1..%d)", BANK_MAX);
	for (int i = 0; i < c->namounts; i++)
		if (c->amounts[i] < 1 || c->amounts[i] > BANK_MAX)
			return cb_fail(err, CB_EINVAL, "bank.amounts: %lld is not an amount "
				       "(allowed: 1..%d)", (long long)c->amounts[i], BANK_MAX);
	return CB_OK;
}

static int bank_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	struct bank_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "bank");
	c->balance = params_int(p, "balance");
	c->namounts = params_ints(p, "amounts", c->amounts, BANK_AMOUNTS_MAX);
	c->lock = params_int(p, "lock") != 0;
	c->shared = params_int(p, "shared") != 0;
	int rc = bank_validate(c, err);
	if (rc) {
		free(c);
		return rc;
	}
	bank_steps(c, (int64_t)(params_ms(p, "think_ms") * 1e6 + 0.5));
	*cfg = c;
	return CB_OK;
}

static int bank_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		      struct cb_err *err)
{
	(void)workers;
	const struct bank_cfg *c = cfg;
	struct bank_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "bank: no memory");
	run->sh = shm_new(sizeof *run->sh + sizeof run->sh->slot[0] * (size_t)ntasks, err);
	if (!run->sh || taskset_alloc(ts, ntasks, c->steps, c->nsteps, err)) {
		shm_free(run->sh);
		free(run);
		return err->code;
	}
	atomic_init(&run->sh->balance, c->balance);
	atomic_init(&run->own, c->balance);
	for (int i = 0; i < ntasks; i++) {
		struct bank_slot *s = &run->sh->slot[i];
		*s = (struct bank_slot){.balance = c->shared ? &run->sh->balance : &run->own,
					.granted = &run->sh->granted,
					.refused = &run->sh->refused,
					.amount = c->amounts[i % c->namounts]};
		ts->tasks[i].state = s;
	}
	ts->sems = bank_sems;
	ts->nsems = c->lock ? 1 : 0;
	ts->priv = run;
	return CB_OK;
}

static void bank_release(struct taskset *ts)
{
	struct bank_run *run = ts->priv;
	if (run)
		shm_free(run->sh);
	free(run);
	ts->priv = NULL;
	taskset_free(ts);
}

static const char *const bank_metrics[] = {
	"final_balance", "granted", "refused", "lost_updates", "serial_balance", NULL,
};

/* lost_updates is the distance from the final balance to the nearest balance that
 * some serial order of the same withdrawals ends at (serial_balance). It is 0
 * exactly when the outcome could have come from a correct, one-at-a-time run,
 * whatever order the tasks ran in, and it counts both ways a race loses money:
 * checks that all passed before any subtraction (the overdraft, -120 -> 120) and
 * subtractions that never reached the account seen at the end (a torn
 * read-then-write, or procs with bank.shared=0 where each process subtracts from
 * its own copy). It is in the account's units, as the balance is. */
static int bank_check(const void *cfg, struct taskset *ts, const struct task_result *res,
		      double *metric, struct cb_err *err)
{
	const struct bank_cfg *c = cfg;
	struct bank_run *run = ts->priv;
	int64_t final = atomic_load(c->shared ? &run->sh->balance : &run->own);
	int granted = atomic_load(&run->sh->granted), refused = atomic_load(&run->sh->refused);
	int64_t serial = bankorder_nearest(c->balance, c->amounts, c->namounts, ts->ntasks, final,
					   err);
	if (err->code)
		return err->code;
	metric[0] = (double)final;
	metric[1] = granted;
	metric[2] = refused;
	metric[3] = (double)(final > serial ? final - serial : serial - final);
	metric[4] = (double)serial;
	int ok = 0;
	for (int i = 0; i < ts->ntasks; i++)
		ok += res[i].done && res[i].fail == FAIL_NONE;
	if (ok < ts->ntasks)
		return CB_OK; /* the failures are the result; the counts are partial */
	if (granted + refused != ts->ntasks)
		return cb_fail(err, CB_EFAIL, "bank: %d granted + %d refused, but %d tasks ran",
			       granted, refused, ts->ntasks);
	if (c->lock && c->shared && final != serial)
		return cb_fail(err, CB_EFAIL, "bank: locked, yet the balance ended at %lld, "
			       "which no serial order reaches (nearest %lld)",
			       (long long)final, (long long)serial);
	return CB_OK;
}

const struct workload bank_workload = {
	.name = "bank",
	.summary = "withdrawals racing on one balance: check, think, subtract (seed 003)",
	.params = bank_params,
	.metrics = bank_metrics,
	.configure = bank_configure,
	.config_free = free,
	.build = bank_build,
	.check = bank_check,
	.release = bank_release,
};
