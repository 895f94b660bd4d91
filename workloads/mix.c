/* mix: each task does `steps` rounds of (compute cpu_us of CPU, then wait wait_ms): the
 * share of CPU between waits, cpu_us / (cpu_us + wait_ms), is what decides whether an
 * event loop or threads win (the crossover preset sweeps it).
 *
 * The compute spins on the thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID) until cpu_us
 * of CPU were used, rather than a countdown calibrated at plan time: a calibration is
 * only right on the core speed and load it ran at, and a preempted thread would get
 * credit for time it did not run; the thread's CPU clock counts exactly the CPU the step
 * had, on any machine. Between clock reads it does real work the compiler cannot drop:
 * a chunk of a linear congruential chain, checked against the chain's closed form, so a
 * wrong answer fails the task as in the other workloads. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

#define MIX_STEPS_MAX 1000
/* Chain links between two clock reads: about 6 µs of multiplies here (1.4 ns a link).
 * A read is a system call, 0.1 µs on bare metal but 3.5 µs in this VM; it is CPU the
 * thread spends too, so it counts, and a step overshoots cpu_us by one chunk and one
 * read at most (about 10 µs: the crossover's smallest step is 20 µs). */
#define MIX_CHUNK 4096
#define LCG_A 6364136223846793005ULL /* Knuth's MMIX multiplier and increment */
#define LCG_C 1442695040888963407ULL

/* A task's chain; x comes first (a test flips it to see a wrong answer fail the task). */
struct mix_chain {
	uint64_t x;    /* where the chain is now */
	uint64_t seed; /* where it started */
	uint64_t n;    /* links so far */
};

struct mix_cfg {
	int64_t cpu_ns;
	double wait_ms;
	int rounds;
	int nsteps;
	struct step steps[];
};

/* x after n links, in O(log n): the affine map x -> a x + c composed with itself. */
static uint64_t lcg_jump(uint64_t x, uint64_t n)
{
	uint64_t a = LCG_A, c = LCG_C, ra = 1, rc = 0;
	for (; n; n >>= 1) {
		if (n & 1) {
			ra *= a;
			rc = rc * a + c;
		}
		c = (a + 1) * c;
		a *= a;
	}
	return ra * x + rc;
}

/* The chunk, one multiply-add per link; the empty asm keeps x in a register the
 * compiler must assume changed, so it cannot fold the links into the closed form. */
__attribute__((noinline)) static uint64_t lcg_links(uint64_t x, int n)
{
	for (int i = 0; i < n; i++) {
		x = x * LCG_A + LCG_C;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum step_status mix_compute(void *state, const void *arg)
{
	const struct mix_cfg *c = arg;
	struct mix_chain *ch = state;
	int64_t end = thread_cpu_ns() + c->cpu_ns;
	do {
		ch->x = lcg_links(ch->x, MIX_CHUNK);
		ch->n += MIX_CHUNK;
	} while (thread_cpu_ns() < end);
	return ch->x == lcg_jump(ch->seed, ch->n) ? STEP_OK : STEP_FAIL;
}

static const struct param_spec mix_params[] = {
	{"cpu_us", PARAM_INT, "1000", 0, 3600000000, NULL,
	 "microseconds of CPU (the thread's own CPU clock) each round computes", true},
	{"wait_ms", PARAM_MS, "9", 0, 86400000, NULL, "milliseconds each round then waits", true},
	{"steps", PARAM_INT, "10", 1, MIX_STEPS_MAX, NULL, "rounds of compute then wait per task",
	 false},
	{0},
};

static const char *const mix_metrics[] = {"cpu_share", NULL};

static int mix_configure(const struct params *p, void **cfg, struct cb_err *err)
{
	int64_t cpu_us = params_int(p, "cpu_us");
	double wait_ms = params_ms(p, "wait_ms");
	int64_t wait_ns = (int64_t)llround(wait_ms * 1e6);
	if (cpu_us == 0 && wait_ns == 0)
		return cb_fail(err, CB_EINVAL, "mix.cpu_us=0 with mix.wait_ms=0: a round does "
			       "nothing (allowed: either above 0)");
	int k = (int)params_int(p, "steps");
	struct mix_cfg *c = calloc(1, sizeof *c + sizeof c->steps[0] * 2 * (size_t)k);
	if (!c)
		return cb_fail_errno(err, CB_ESYS, "mix");
	*c = (struct mix_cfg){.cpu_ns = cpu_us * 1000, .wait_ms = wait_ms, .rounds = k};
	/* A zero part is left out rather than done as nothing: a wait of 0 would still
	 * hand an event loop or a green thread a turn, which threads do not take. */
	for (int i = 0; i < k; i++) {
		if (cpu_us > 0)
			c->steps[c->nsteps++] = (struct step){
				.kind = STEP_COMPUTE, .compute = {.fn = mix_compute, .arg = c}};
		if (wait_ns > 0)
			c->steps[c->nsteps++] =
				(struct step){.kind = STEP_SLEEP, .sleep.ns = wait_ns};
	}
	*cfg = c;
	return CB_OK;
}

static int mix_build(const void *cfg, int ntasks, int workers, struct taskset *ts,
		     struct cb_err *err)
{
	(void)workers;
	const struct mix_cfg *c = cfg;
	if (c->cpu_ns == 0) /* waits alone: no chain, no state, no memory per task */
		return taskset_alloc_alike(ts, ntasks, c->steps, c->nsteps, err);
	struct mix_chain *ch = calloc((size_t)ntasks, sizeof *ch);
	if (!ch)
		return cb_fail_errno(err, CB_ESYS, "mix: %d chains", ntasks);
	int rc = taskset_alloc(ts, ntasks, c->steps, c->nsteps, err);
	if (rc) {
		free(ch);
		return rc;
	}
	for (int i = 0; i < ntasks; i++) {
		ch[i].seed = ch[i].x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1;
		ts->tasks[i].state = &ch[i];
	}
	ts->priv = ch;
	return CB_OK;
}

static int mix_check(const void *cfg, struct taskset *ts, const struct task_result *res,
		     double *metric, struct cb_err *err)
{
	(void)ts, (void)res, (void)err;
	const struct mix_cfg *c = cfg;
	double cpu_ms = (double)c->cpu_ns * 1e-6;
	metric[0] = cpu_ms / (cpu_ms + c->wait_ms);
	return CB_OK;
}

static void mix_release(struct taskset *ts)
{
	free(ts->priv);
	ts->priv = NULL;
	taskset_free(ts);
}

/* Each worker runs its share of the tasks one after another, every round's compute
 * and wait in a row: ceil(N/W) tasks of rounds x (cpu + wait). */
static double mix_ideal(const void *cfg, int ntasks, int workers)
{
	const struct mix_cfg *c = cfg;
	int w = runner_workers(ntasks, workers);
	int per_worker = w > 0 ? (ntasks + w - 1) / w : 0;
	return per_worker * c->rounds * ((double)c->cpu_ns * 1e-9 + c->wait_ms * 1e-3);
}

/* ... and the CPU of all of them, which no scheduler spreads over more cores than the
 * host gives (the driver takes the larger of the two). */
static double mix_cpu(const void *cfg, int ntasks)
{
	const struct mix_cfg *c = cfg;
	return (double)ntasks * c->rounds * (double)c->cpu_ns * 1e-9;
}

const struct workload mix_workload = {
	.name = "mix",
	.summary = "steps rounds of (cpu_us of CPU, then wait_ms of waiting) per task: the "
		   "CPU share between waits",
	.params = mix_params,
	.metrics = mix_metrics,
	.configure = mix_configure,
	.config_free = free,
	.build = mix_build,
	.check = mix_check,
	.release = mix_release,
	.ideal_s = mix_ideal,
	.cpu_s = mix_cpu,
};
