/* The part of a run that evloop and green share: its loop, semaphores and curl multi
 * handles, the fetch that starts a transfer, the tasks left when the loop ends. */
#include "loopmodel.h"

#include <stdlib.h>

static void loopmodel_stale_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	loopclock_stale(w->data);
}

int loopmodel_open(struct loopmodel *m, const struct run_args *a, curl_ev_done_fn fetched,
		   void *ud, struct cb_err *err)
{
	*m = (struct loopmodel){.a = a, .fetched = fetched, .ud = ud,
				.workers = runner_workers(a->ts->ntasks, a->workers)};
	if (!(m->loop = ev_loop_new(EVFLAG_AUTO)))
		return cb_fail(err, CB_ESYS, "ev_loop_new failed");
	ev_set_userdata(m->loop, ud);
	ev_prepare_init(&m->stale, loopmodel_stale_cb);
	m->stale.data = &m->clock;
	ev_prepare_start(m->loop, &m->stale);
	ev_unref(m->loop); /* the watcher alone must not keep the loop running */
	if (m->workers < a->ts->ntasks &&
	    !(m->task_of = malloc(sizeof *m->task_of * (size_t)m->workers)))
		return cb_fail(err, CB_ELIMIT, "no memory for %d workers", m->workers);
	return loopsem_open(&m->sems, m->loop, a->ts->sems, a->ts->nsems, err);
}

bool loopmodel_take(struct loopmodel *m, int worker, int32_t *pc)
{
	if (m->next >= m->a->ts->ntasks || (!m->task_of && *pc != LOOPMODEL_FRESH)) {
		*pc = LOOPMODEL_IDLE;
		return false;
	}
	int task = m->next++;
	if (m->task_of)
		m->task_of[worker] = task;
	*pc = 0;
	m->a->res[task].start_s = (float)(loopclock_stamp(&m->clock) - m->a->t0);
	return true;
}

bool loopmodel_fetch(struct loopmodel *m, struct fetch_xfer *x, const struct task *t, int pc)
{
	if (!m->curl && curl_ev_new(&m->curl, m->loop, m->fetched, m->ud, NULL) != CB_OK)
		return false;
	if (!x->easy && !(x->easy = fetch_easy_new()))
		return false;
	x->step = &t->steps[pc];
	x->conns = m->workers;
	return fetch_prepare(x, fetch_keep(t, pc, m->workers, m->next, m->a->ts->ntasks)) &&
	       curl_ev_add(m->curl, x) == CB_OK;
}

void loopmodel_fail_untaken(struct loopmodel *m, enum task_fail why, double now)
{
	float at = (float)(now - m->a->t0);
	for (; m->next < m->a->ts->ntasks; m->next++) {
		struct task_result *r = &m->a->res[m->next];
		r->start_s = r->end_s = at;
		r->fail = (uint8_t)why;
		r->done = 1;
	}
}

void loopmodel_cancel(struct loopmodel *m)
{
	curl_ev_free(m->curl);
	m->curl = NULL;
	loopsem_close(m->sems); /* before the waiters it may still hold are freed */
	m->sems = NULL;
}

struct loopmodel_extra *loopmodel_extra_make(struct loopmodel *m, int i, void *owner)
{
	if (!m->extras && !(m->extras = calloc((size_t)(m->workers > 0 ? m->workers : 1),
					       sizeof *m->extras)))
		return NULL;
	struct loopmodel_extra *e = m->extras[i];
	if (!e && (e = m->extras[i] = calloc(1, sizeof *e)))
		e->x.owner = owner;
	return e;
}

void loopmodel_close(struct loopmodel *m)
{
	for (int i = 0; m->extras && i < m->workers; i++) {
		struct loopmodel_extra *e = m->extras[i];
		if (e) {
			ev_timer_stop(m->loop, &e->w.timeout);
			fetch_xfer_close(&e->x);
			free(e);
		}
	}
	free(m->extras);
	m->extras = NULL;
	free(m->task_of);
	m->task_of = NULL;
	if (m->loop) {
		ev_ref(m->loop);
		ev_prepare_stop(m->loop, &m->stale);
		ev_loop_destroy(m->loop);
	}
	m->loop = NULL;
}
