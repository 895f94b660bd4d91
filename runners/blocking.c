/* Carrying out a task's steps by blocking in each one. */
#include "blocking.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"

static enum step_status blocking_sleep(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return STEP_OK;
}

static enum step_status blocking_fetch(struct blocking_worker *w, const struct task *t,
				       int pc, enum task_fail *why)
{
	if (!w->xfer.easy && !(w->xfer.easy = fetch_easy_new())) {
		*why = FAIL_SPAWN;
		return STEP_FAIL;
	}
	w->xfer.step = &t->steps[pc];
	w->xfer.conns = w->workers;
	/* The other workers take tasks meanwhile, but the counter only grows: a peek that
	 * finds no task left is final for this worker too (its next take reads a later
	 * value). One that finds a task may lose it to another worker; then the connection
	 * is kept and closed unused at the end, as if there were no policy: conservative.
	 * Relaxed, as nothing else is read through the counter here. */
	int next = atomic_load_explicit(w->next, memory_order_relaxed);
	return fetch_blocking(&w->xfer, fetch_keep(t, pc, w->workers, next, w->ntasks), why);
}

void blocking_run_task(struct blocking_worker *w, const struct task *t,
		       struct task_result *r, double t0)
{
	enum task_fail why = FAIL_CHECK;
	r->start_s = clock_now() - t0;
	int pc = 0;
	while (pc >= 0) {
		const struct step *s = &t->steps[pc];
		enum step_status st = STEP_FAIL;
		switch (s->kind) {
		case STEP_COMPUTE:
			st = s->compute.fn(t->state, s->compute.arg);
			why = FAIL_CHECK;
			break;
		case STEP_SLEEP:
			st = blocking_sleep(s->sleep.ns);
			break;
		case STEP_FETCH:
			st = blocking_fetch(w, t, pc, &why);
			break;
		case STEP_WAIT:
			st = semset_wait(w->sems, s->wait.sem, s->wait.timeout_ns, w->alone, &why);
			break;
		case STEP_POST:
			st = semset_post(w->sems, s->post.sem);
			break;
		case STEP_KINDS:
			break;
		}
		pc = task_next(t, pc, st);
	}
	r->end_s = clock_now() - t0;
	r->fail = pc == TASK_FAILED ? (uint8_t)why : FAIL_NONE;
	r->done = 1;
}

void blocking_worker_close(struct blocking_worker *w)
{
	fetch_xfer_close(&w->xfer);
}

/* From the tasks' steps alone, so nothing the workers do can race it. A semaphore a
 * started task posts is left alone even once that task has ended: no workload waits
 * on a task that ended. No memory for the marks: every semaphore is orphaned, which
 * still lets a wait through on a unit left over, and never hangs. */
void blocking_orphan_unposted(struct semset *ss, const struct taskset *ts, int taken)
{
	if (!ss)
		return;
	bool *posted = calloc((size_t)ts->nsems, sizeof *posted);
	for (int i = 0; posted && i < (ts->alike && taken > 0 ? 1 : taken); i++) {
		const struct task *t = taskset_task(ts, i);
		for (int k = 0; k < t->nsteps; k++)
			if (t->steps[k].kind == STEP_POST)
				posted[t->steps[k].post.sem] = true;
	}
	for (int s = 0; s < ts->nsems; s++)
		if (!posted || !posted[s])
			semset_orphan(ss, s);
	free(posted);
}
