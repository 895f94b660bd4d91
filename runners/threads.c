/* threads: W pthreads pulling tasks from a shared counter; W = 0: a thread per task. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bare.h"
#include "bare_pingpong.h"
#include "blocking.h"
#include "syslimits.h"
#include "runner.h"

struct threads_run {
	const struct run_args *a;
	struct semset *sems;
	atomic_int next;  /* the next task nobody has taken */
	bool one_each;    /* a thread per task: thread i runs task i only */
};

struct threads_worker {
	struct threads_run *run;
	pthread_t tid;
	int index;
};

static void *threads_main(void *arg)
{
	struct threads_worker *me = arg;
	struct threads_run *run = me->run;
	const struct taskset *ts = run->a->ts;
	struct blocking_worker w = {.sems = run->sems, .ntasks = ts->ntasks, .next = &run->next,
				    .workers = runner_workers(ts->ntasks, run->a->workers)};
	if (run->one_each) {
		blocking_run_task(&w, taskset_task(ts, me->index), &run->a->res[me->index], run->a->t0);
	} else {
		int i;
		while ((i = atomic_fetch_add(&run->next, 1)) < ts->ntasks)
			blocking_run_task(&w, taskset_task(ts, i), &run->a->res[i], run->a->t0);
	}
	blocking_worker_close(&w);
	return NULL;
}

static int threads_attr(pthread_attr_t *attr, const struct params *p, struct cb_err *err)
{
	pthread_attr_init(attr);
	int64_t kib = p ? params_int(p, "stack_kib") : 0;
	if (kib > 0 && pthread_attr_setstacksize(attr, (size_t)kib * 1024) != 0) {
		pthread_attr_destroy(attr);
		return cb_fail(err, CB_EINVAL, "threads.stack_kib: %lld KiB is refused by "
			       "pthread_attr_setstacksize", (long long)kib);
	}
	return CB_OK;
}

static int threads_run(struct run_args *a, struct cb_err *err)
{
	int n = a->ts->ntasks, nw = runner_workers(n, a->workers);
	struct threads_run run = {.a = a, .one_each = nw == n};
	struct threads_worker *ws = calloc((size_t)(nw > 0 ? nw : 1), sizeof *ws);
	pthread_attr_t attr;
	int rc = CB_OK, started = 0;
	if (!ws)
		return cb_fail(err, CB_ELIMIT, "no memory for %d thread records", nw);
	if ((rc = threads_attr(&attr, a->params, err)))
		goto out_free;
	if ((rc = semset_open(&run.sems, a->ts->sems, a->ts->nsems, err)))
		goto out_attr;
	for (; started < nw; started++) {
		ws[started] = (struct threads_worker){.run = &run, .index = started};
		int e = pthread_create(&ws[started].tid, &attr, threads_main, &ws[started]);
		if (e) {
			syslimits_refused(err, CB_OK, e, "pthread_create", started + 1, nw);
			/* The threads made take no more: fewer workers would be another cell. */
			int taken = run.one_each ? started : atomic_exchange(&run.next, n);
			blocking_orphan_unposted(run.sems, a->ts, taken < n ? taken : n);
			break;
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	/* Tasks no thread took: their threads were never made. Those that did start and
	 * waited for one of these failed as blocked (blocking_orphan_unposted). */
	for (int i = 0; i < n; i++)
		if (!a->res[i].done)
			a->res[i] = (struct task_result){.done = 1, .fail = FAIL_SPAWN};
	semset_close(run.sems);
out_attr:
	pthread_attr_destroy(&attr);
out_free:
	free(ws);
	return rc;
}

struct threads_bare {
	const struct floor_work *fw;
	atomic_int next;
	int ntasks;
};

static void *threads_bare_main(void *arg)
{
	struct threads_bare *b = arg;
	while (atomic_fetch_add(&b->next, 1) < b->ntasks)
		bare_sleeps(b->fw);
	return NULL;
}

static void *threads_pingpong_main(void *arg)
{
	bare_pingpong_worker(arg);
	return NULL;
}

/* W threads as the runner makes them (its stack size), each running fn(arg), then
 * every one joined. When one is refused, abandon(arg) (if any) first lets those made
 * end: a side whose partner never starts would wait for ever. */
static int threads_bare_all(const struct params *p, int nw, void *(*fn)(void *), void *arg,
			    void (*abandon)(void *), struct cb_err *err)
{
	int made = 0, rc;
	pthread_t *tids = malloc(sizeof *tids * (size_t)(nw > 0 ? nw : 1));
	pthread_attr_t attr;
	if (!tids)
		return cb_fail(err, CB_ELIMIT, "no memory for %d threads", nw);
	if ((rc = threads_attr(&attr, p, err)) == CB_OK) {
		for (; made < nw; made++) {
			int e = pthread_create(&tids[made], &attr, fn, arg);
			if (e) {
				rc = syslimits_refused(err, CB_ELIMIT, e, "pthread_create", made + 1, nw);
				if (abandon)
					abandon(arg);
				break;
			}
		}
		for (int i = 0; i < made; i++)
			pthread_join(tids[i], NULL);
		pthread_attr_destroy(&attr);
	}
	free(tids);
	return rc;
}

static void threads_pingpong_abandon(void *arg)
{
	bare_pingpong_abandon(arg);
}

/* By hand: W threads (as the runner makes them) pulling tasks from one counter, each
 * task its sleeps in a row, or its side of a ping-pong (runners/bare_pingpong.h). */
static int threads_floor(const struct params *p, const struct floor_work *fw, int ntasks,
			 int workers, struct cb_err *err)
{
	int nw = runner_workers(ntasks, workers), rc;
	if (fw->kind == STEP_WAIT) {
		struct bare_pingpong *bp;
		if ((rc = bare_pingpong_check(fw, ntasks, workers, "threads", err)) ||
		    (rc = bare_pingpong_open(&bp, fw, ntasks, err)))
			return rc;
		rc = threads_bare_all(p, nw, threads_pingpong_main, bp, threads_pingpong_abandon,
				      err);
		if (rc == CB_OK)
			rc = bare_pingpong_verdict(bp, "threads", err);
		bare_pingpong_close(bp);
		return rc;
	}
	if ((rc = bare_supported(fw, "threads", err)))
		return rc;
	struct threads_bare b = {.fw = fw, .ntasks = ntasks};
	return threads_bare_all(p, nw, threads_bare_main, &b, NULL, err);
}

static const struct param_spec threads_params[] = {
	{"stack_kib", PARAM_INT, "0", 0, 1 << 20, NULL,
	 "stack size of each thread in KiB (0: the system default)", false},
	{0},
};

const struct runner threads_runner = {
	.name = "threads",
	.in_default = true,
	.summary = "W pthreads pulling tasks from a shared counter (W=0: one per task)",
	.params = threads_params,
	.family = "C",
	.floor_what = "W bare pthreads taking the tasks from one counter: sleeping by hand, or "
		      "ping-ponging through two sem_t a pair",
	.run = threads_run,
	.floor = threads_floor,
};
