/* steps: the task a user wrote in a task file (-p steps.file=FILE), every task the
 * same program. The parser (stepfile.c) reads the file at plan time; this file turns
 * its program into core/task.h steps: the compute kernels (countdown, a GMP power, a
 * memory walk, a spin on the thread's CPU clock, a balance's check and subtraction),
 * a repeat's loop (a compute step counting per task and jumping back), a function
 * of the user's library (workloads/pluginload.h), and fetches from the local delay
 * server, which start runs as the http workload does. */
#include <libgen.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bankorder.h"
#include "fdlimit.h"
#include "httpserver.h"
#include "pluginload.h"
#include "powerkernel.h"
#include "shm.h"
#include "spin.h"
#include "stepfile.h"
#include "workload.h"


/* A compute plugin line, opened: what its step's compute.arg is. */
struct steps_plugin {
	struct plugin *pl;
	struct plugin_call *call;
	int index; /* among the file's plugin steps: the task's state of it is plugin[index] */
};

struct steps_cfg {
	struct stepfile sf;
	struct steps_plugin plugins[SF_PLUGINS_MAX]; /* sf.nplugins of them */
	struct step *steps;       /* sf's program as the runners read it */
	char **urls;              /* per step: the local server's URL, made by start */
	struct sem_decl sems[SF_SEMS_MAX];
	bool local;               /* some fetch goes to the local server */
	int withdrawal;           /* the one check each task runs once, or -1 (below) */
	struct httpserver server; /* the local server while it runs */
};

/* What the tasks share, in one mapping so procs workers see it: the account. */
struct steps_shared {
	_Atomic int64_t balance;
	atomic_int granted, refused;
};

/* A task's own: where it is in its repeats, its buffer. */
struct steps_task {
	struct steps_shared *sh;
	int index;
	uint64_t walks;     /* memwalks done, the seed of the next one's pattern */
	uint64_t *buf;      /* memwalk's, made at its first walk */
	void **plugin;      /* its state of each plugin step (NULL: the function has none) */
	int counter[];      /* one per repeat: the rounds done */
};

/* ts->priv */
struct steps_run {
	struct steps_shared *sh;
	struct plugin_states *states[SF_PLUGINS_MAX]; /* each plugin step's, for the trial */
	void **slots; /* ntasks x nplugins: the tasks' plugin pointers */
	char *tasks; /* ntasks states of `stride` bytes */
	size_t stride;
	int ntasks;
};

static const struct param_spec steps_params[] = {
	{"file", PARAM_STRS, "", 0, 0, NULL,
	 "the task file: one step a line (README, \"Task files\"); as written, --scale "
	 "leaves it alone", false},
	{0},
};

/* ---- the compute steps; arg is the sf_step ---- */

static enum step_status steps_countdown(void *state, const void *arg)
{
	(void)state;
	const struct sf_step *s = arg;
	return spin_countdown((uint64_t)s->n) == 0 ? STEP_OK : STEP_FAIL;
}

static enum step_status steps_power(void *state, const void *arg)
{
	(void)state;
	const struct sf_step *s = arg;
	return powerkernel_run(s->base, s->exp, s->expect) ? STEP_OK : STEP_FAIL;
}

/* Writes seed + i to word i of the first n bytes, reads them back and sums: the sum
 * of an arithmetic series, so a word that did not hold its value fails the task. */
static enum step_status steps_memwalk(void *state, const void *arg)
{
	struct steps_task *t = state;
	const struct sf_step *s = arg;
	uint64_t words = (uint64_t)s->n / sizeof *t->buf;
	if (!t->buf && !(t->buf = malloc((size_t)words * sizeof *t->buf)))
		return STEP_FAIL;
	uint64_t seed = ++t->walks * 0x9e3779b97f4a7c15ULL, sum = 0;
	for (uint64_t i = 0; i < words; i++)
		t->buf[i] = seed + i;
	__asm__ volatile("" ::: "memory"); /* read what memory holds, not what was written */
	for (uint64_t i = 0; i < words; i++)
		sum += t->buf[i];
	uint64_t want = words * seed + (words % 2 ? words * ((words - 1) / 2)
						  : (words / 2) * (words - 1));
	return sum == want ? STEP_OK : STEP_FAIL;
}

static int64_t steps_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until the thread has used n ns of CPU: time it was preempted does not count,
 * so the step's work is the same whatever else runs. A short countdown between reads
 * keeps the clock's system calls a small part of it. */
static enum step_status steps_spin(void *state, const void *arg)
{
	(void)state;
	const struct sf_step *s = arg;
	int64_t until = steps_cpu_ns() + s->n;
	while (steps_cpu_ns() < until)
		spin_countdown(200);
	return STEP_OK;
}

/* The user's function on this task's state of it. */
static enum step_status steps_plugin_step(void *state, const void *arg)
{
	const struct steps_task *t = state;
	const struct steps_plugin *sp = arg;
	return plugin_step(t->plugin[sp->index], sp->call);
}

static int64_t steps_amount(const struct steps_task *t, const struct sf_step *s)
{
	return s->amounts[t->index % s->namounts];
}

/* The bank's check: the balance covers the task's amount, or its block is skipped. */
static enum step_status steps_check(void *state, const void *arg)
{
	struct steps_task *t = state;
	if (atomic_load_explicit(&t->sh->balance, memory_order_relaxed) >= steps_amount(t, arg)) {
		atomic_fetch_add(&t->sh->granted, 1);
		return STEP_OK;
	}
	atomic_fetch_add(&t->sh->refused, 1);
	return STEP_ALT;
}

/* A plain read then write, as `balance -= amount` is: two of them may interleave. */
static enum step_status steps_subtract(void *state, const void *arg)
{
	struct steps_task *t = state;
	int64_t b = atomic_load_explicit(&t->sh->balance, memory_order_relaxed);
	atomic_store_explicit(&t->sh->balance, b - steps_amount(t, arg), memory_order_relaxed);
	return STEP_OK;
}

/* A repeat's end: back to its start until it ran n times, then on, counter reset for
 * the next time an outer block comes round. */
static enum step_status steps_again(void *state, const void *arg)
{
	struct steps_task *t = state;
	const struct sf_step *s = arg;
	if (++t->counter[s->counter] < s->n)
		return STEP_ALT;
	t->counter[s->counter] = 0;
	return STEP_OK;
}

static enum step_status steps_end(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_DONE;
}

static enum step_status steps_fail(void *state, const void *arg)
{
	(void)state;
	(void)arg;
	return STEP_FAIL;
}

static const compute_fn steps_kernel[SF_OPS] = {
	[SF_COUNTDOWN] = steps_countdown, [SF_POWER] = steps_power,
	[SF_MEMWALK] = steps_memwalk,     [SF_SPIN] = steps_spin,
	[SF_PLUGIN] = steps_plugin_step,
	[SF_CHECK] = steps_check,         [SF_SUBTRACT] = steps_subtract,
	[SF_AGAIN] = steps_again,         [SF_END] = steps_end,
	[SF_FAIL] = steps_fail,
};

/* ---- plan time ---- */

static void steps_free(void *cfg)
{
	struct steps_cfg *c = cfg;
	if (!c)
		return;
	for (int i = 0; c->urls && i < c->sf.nsteps; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->steps);
	for (int k = 0; k < c->sf.nplugins; k++) {
		plugin_call_free(c->plugins[k].call);
		plugin_close(c->plugins[k].pl);
	}
	stepfile_free(&c->sf);
	free(c);
}

/* The runners' steps; a step that never jumps gets an alt past the end, so no runner
 * takes it for a loop (task_may_fetch_after). */
static void steps_compile(struct steps_cfg *c)
{
	int n = c->sf.nsteps;
	for (int i = 0; i < n; i++) {
		const struct sf_step *s = &c->sf.steps[i];
		struct step *st = &c->steps[i];
		bool jumps = s->op == SF_CHECK || s->op == SF_AGAIN || (s->op == SF_WAIT && s->n >= 0);
		st->alt = (int16_t)(jumps ? s->alt : n);
		switch (s->op) {
		case SF_SLEEP:
			st->kind = STEP_SLEEP;
			st->sleep.ns = s->n;
			break;
		case SF_FETCH:
			st->kind = STEP_FETCH;
			st->fetch.url = s->fetch.url; /* the local server's: set by start */
			st->fetch.status = s->fetch.status;
			st->fetch.bytes = s->fetch.bytes;
			st->fetch.timeout_ms = s->fetch.timeout_ms;
			c->local |= !s->fetch.url;
			break;
		case SF_WAIT:
			st->kind = STEP_WAIT;
			st->wait.sem = s->sem;
			st->wait.timeout_ns = s->n;
			break;
		case SF_POST:
			st->kind = STEP_POST;
			st->post.sem = s->sem;
			break;
		default:
			st->kind = STEP_COMPUTE;
			st->compute.fn = steps_kernel[s->op];
			st->compute.arg = s->op == SF_PLUGIN ? (const void *)&c->plugins[s->n]
							     : (const void *)s;
			break;
		}
	}
	for (int i = 0; i < c->sf.nsems; i++)
		c->sems[i] = (struct sem_decl){.name = c->sf.sems[i].name, .init = c->sf.sems[i].init};
}

/* The check every task runs exactly once (one check, in no repeat), with a balance and
 * amounts the serial-order search takes: then a run's withdrawals are the bank
 * workload's, and so are its serial_balance and lost_updates. Else -1. */
static int steps_withdrawal(const struct stepfile *sf)
{
	int at = -1;
	for (int i = 0; i < sf->nsteps; i++)
		if (sf->steps[i].op == SF_CHECK) {
			if (at >= 0)
				return -1;
			at = i;
		}
	if (at < 0 || sf->account.balance > BANKORDER_MAX ||
	    sf->steps[at].namounts > BANKORDER_AMOUNTS_MAX)
		return -1;
	for (int i = at + 1; i < sf->nsteps; i++)
		if (sf->steps[i].op == SF_AGAIN && sf->steps[i].alt <= at)
			return -1;
	for (int k = 0; k < sf->steps[at].namounts; k++)
		if (sf->steps[at].amounts[k] > BANKORDER_MAX)
			return -1;
	return at;
}

/* Opens each compute plugin line's library (a relative path from the task file's
 * folder) and binds its argument, so a missing library or symbol, an ABI of another
 * version or an argument its init refuses is an error of that line, at plan time. */
static int steps_open_plugins(struct steps_cfg *c, const char *file, struct cb_err *err)
{
	char dir[4200];
	cb_copy(dir, file, sizeof dir);
	const char *base = dirname(dir);
	for (int i = 0; i < c->sf.nsteps; i++) {
		const struct sf_step *s = &c->sf.steps[i];
		if (s->op != SF_PLUGIN)
			continue;
		struct steps_plugin *sp = &c->plugins[s->n];
		char so[8400];
		if (s->plugin.so[0] == '/')
			cb_copy(so, s->plugin.so, sizeof so);
		else
			snprintf(so, sizeof so, "%s/%s", base, s->plugin.so);
		sp->index = (int)s->n;
		int rc = plugin_open(&sp->pl, so, s->plugin.fn, err);
		if (rc == CB_OK)
			rc = plugin_call_new(&sp->call, sp->pl, s->plugin.arg, err);
		if (rc) {
			char msg[sizeof err->msg];
			cb_copy(msg, err->msg, sizeof msg);
			return cb_fail(err, rc, "%s:%d: compute plugin: %s", file, s->line, msg);
		}
	}
	return CB_OK;
}

static int steps_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	char buf[4200], *files[2];
	const char *raw = params_str(p, "file");
	if (!*raw)
		return cb_fail(err, CB_EINVAL, "steps.file: no task file given (allowed: "
			       "-p steps.file=PATH, a file of steps as in the README's \"Task files\")");
	if (strlen(raw) >= sizeof buf)
		return cb_fail(err, CB_EINVAL, "steps.file: a path longer than %zu characters",
			       sizeof buf - 1);
	if (params_strs(p, "file", files, 2, buf, sizeof buf) != 1)
		return cb_fail(err, CB_EINVAL, "steps.file: '%s' names more than one file "
			       "(allowed: one a cell; write a comma in a path as '\\,')", raw);
	struct steps_cfg *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "steps");
	int rc = stepfile_load(&c->sf, files[0], err);
	if (rc) {
		free(c);
		return rc;
	}
	c->steps = calloc((size_t)c->sf.nsteps, sizeof *c->steps);
	c->urls = calloc((size_t)c->sf.nsteps, sizeof *c->urls);
	if (!c->steps || !c->urls) {
		steps_free(c);
		return cb_fail_errno(err, CB_ESYS, "steps");
	}
	if ((rc = steps_open_plugins(c, files[0], err))) {
		steps_free(c);
		return rc;
	}
	steps_compile(c);
	c->withdrawal = steps_withdrawal(&c->sf);
	*cfg = c;
	return CB_OK;
}

/* The local server, as the http workload runs it, and each local fetch's URL. */
static int steps_start(void *cfg, struct cb_err *err)
{
	struct steps_cfg *c = cfg;
	if (!c->local || c->server.pid > 0)
		return CB_OK;
	int rc = httpserver_start(&c->server, err);
	if (rc)
		return rc;
	for (int i = 0; i < c->sf.nsteps; i++) {
		const struct sf_step *s = &c->sf.steps[i];
		if (s->op != SF_FETCH || s->fetch.url)
			continue;
		char url[128];
		snprintf(url, sizeof url, "http://127.0.0.1:%d/delay/%ld/bytes/%ld",
			 c->server.port, s->fetch.delay_ms, s->fetch.bytes);
		free(c->urls[i]); /* a second start after a finish */
		if (!(c->urls[i] = strdup(url)))
			return cb_fail_errno(err, CB_ESYS, "steps");
		c->steps[i].fetch.url = c->urls[i];
	}
	fdlimit_raise(); /* the clients hold a descriptor per connection */
	return CB_OK;
}

static void steps_finish(void *cfg)
{
	struct steps_cfg *c = cfg;
	if (c)
		httpserver_stop(&c->server);
}

/* ---- a trial ---- */

static void steps_release(struct taskset *ts)
{
	struct steps_run *run = ts->priv;
	if (run) {
		for (int i = 0; run->tasks && i < run->ntasks; i++)
			free(((struct steps_task *)(run->tasks + run->stride * (size_t)i))->buf);
		for (int k = 0; k < SF_PLUGINS_MAX; k++)
			plugin_states_free(run->states[k]);
		free(run->slots);
		free(run->tasks);
		shm_free(run->sh);
	}
	free(run);
	ts->priv = NULL;
	taskset_free(ts);
}

static int steps_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		       struct cb_err *err)
{
	(void)workers;
	const struct steps_cfg *c = cfg;
	*ts = (struct taskset){0};
	for (int i = 0; i < c->sf.nsteps; i++)
		if (c->steps[i].kind == STEP_FETCH && !c->steps[i].fetch.url)
			return cb_fail(err, CB_ESYS, "steps: the delay server was not started");
	if (!stepfile_per_task(&c->sf)) {
		int rc = taskset_alloc_alike(ts, ntasks, c->steps, c->sf.nsteps, err);
		ts->sems = c->sems;
		ts->nsems = c->sf.nsems;
		return rc;
	}
	struct steps_run *run = calloc(1, sizeof *run);
	if (!run)
		return cb_fail(err, CB_ELIMIT, "steps: no memory");
	ts->priv = run; /* from here on, steps_release frees whatever was made */
	size_t stride = sizeof(struct steps_task) + sizeof(int) * (size_t)c->sf.ncounters;
	int np = c->sf.nplugins;
	run->stride = (stride + 15) & ~(size_t)15;
	run->ntasks = ntasks;
	run->tasks = calloc((size_t)ntasks, run->stride);
	run->slots = np ? calloc((size_t)ntasks * (size_t)np, sizeof *run->slots) : NULL;
	if (!run->tasks || (np && !run->slots)) {
		cb_fail(err, CB_ELIMIT, "steps: no memory for %d tasks", ntasks);
		goto fail;
	}
	if (!(run->sh = shm_new(sizeof *run->sh, err)))
		goto fail;
	for (int k = 0; k < np; k++)
		if (plugin_states_new(&run->states[k], c->plugins[k].call, ntasks, err))
			goto fail;
	struct taskset made;
	if (taskset_alloc(&made, ntasks, c->steps, c->sf.nsteps, err))
		goto fail;
	made.priv = run;
	*ts = made;
	atomic_init(&run->sh->balance, c->sf.account.balance);
	for (int i = 0; i < ntasks; i++) {
		struct steps_task *t = (struct steps_task *)(run->tasks + run->stride * (size_t)i);
		t->sh = run->sh;
		t->index = i;
		t->plugin = np ? &run->slots[(size_t)i * (size_t)np] : NULL;
		for (int k = 0; k < np; k++)
			t->plugin[k] = plugin_states_get(run->states[k], i);
		ts->tasks[i].state = t;
	}
	ts->sems = c->sems;
	ts->nsems = c->sf.nsems;
	return CB_OK;
fail:
	steps_release(ts);
	return err->code;
}

static const char *const steps_metrics[] = {
	"final_balance", "granted", "refused", "lost_updates", "serial_balance", NULL,
};

/* The account's end, as the bank workload reports it; nothing without an account, and
 * the serial yardstick only when each task withdraws once (steps_withdrawal). */
static int steps_check_run(const void *cfg, struct taskset *ts, const struct task_result *res,
			   double *metric, struct cb_err *err)
{
	const struct steps_cfg *c = cfg;
	const struct steps_run *run = ts->priv;
	metric[0] = metric[1] = metric[2] = metric[3] = metric[4] = NAN;
	for (int k = 0; run && k < c->sf.nplugins; k++)
		if (plugin_states_check(run->states[k], res, err))
			return err->code;
	if (!c->sf.has_account || !run)
		return CB_OK;
	int64_t final = atomic_load(&run->sh->balance);
	metric[0] = (double)final;
	metric[1] = atomic_load(&run->sh->granted);
	metric[2] = atomic_load(&run->sh->refused);
	if (c->withdrawal < 0)
		return CB_OK;
	const struct sf_step *s = &c->sf.steps[c->withdrawal];
	int64_t serial = bankorder_nearest(c->sf.account.balance, s->amounts, s->namounts,
					   ts->ntasks, final, err);
	if (err->code)
		return err->code;
	metric[3] = (double)(final > serial ? final - serial : serial - final);
	metric[4] = (double)serial;
	return CB_OK;
}

/* Each wave of W tasks takes a task's time. The spins' CPU (steps_cpu) the driver
 * spreads over the cores the host gives, and takes the larger. */
static double steps_ideal(const void *cfg, int ntasks, int workers)
{
	const struct steps_cfg *c = cfg;
	double cpu_s, task_s = stepfile_task_s(&c->sf, &cpu_s);
	if (task_s < 0)
		return -1;
	int w = runner_workers(ntasks, workers);
	return (w > 0 ? (ntasks + w - 1) / w : 0) * task_s;
}

static double steps_cpu(const void *cfg, int ntasks)
{
	const struct steps_cfg *c = cfg;
	double cpu_s;
	return stepfile_task_s(&c->sf, &cpu_s) < 0 ? 0 : ntasks * cpu_s;
}

/* A file of sleeps alone, all alike, has the sleep workload's floor. */
static bool steps_floor_work(const void *cfg, struct floor_work *fw)
{
	const struct steps_cfg *c = cfg;
	for (int i = 0; i < c->sf.nsteps; i++)
		if (c->sf.steps[i].op != SF_SLEEP || c->sf.steps[i].n != c->sf.steps[0].n)
			return false;
	*fw = (struct floor_work){.kind = STEP_SLEEP, .steps = c->sf.nsteps,
				  .sleep_ns = c->sf.steps[0].n};
	return true;
}

const struct workload steps_workload = {
	.name = "steps",
	.summary = "the task of a task file: -p steps.file=FILE, one step a line (README)",
	.params = steps_params,
	.metrics = steps_metrics,
	.configure = steps_configure,
	.config_free = steps_free,
	.start = steps_start,
	.finish = steps_finish,
	.build = steps_build,
	.check = steps_check_run,
	.release = steps_release,
	.ideal_s = steps_ideal,
	.cpu_s = steps_cpu,
	.floor_work = steps_floor_work,
};
