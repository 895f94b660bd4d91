/* The part of a run that evloop and green share: its loop, semaphores and curl multi
 * handles, the fetch that starts a transfer, the tasks left when the loop ends. */
#include "loopmodel.h"

#include <stdlib.h>

int loopmodel_open(struct loopmodel *m, const struct run_args *a, curl_ev_done_fn fetched,
		   void *ud, struct cb_err *err)
{
	*m = (struct loopmodel){.a = a, .fetched = fetched, .ud = ud,
				.workers = runner_workers(a->ts->ntasks, a->workers)};
	if (!(m->loop = ev_loop_new(EVFLAG_AUTO)))
		return cb_fail(err, CB_ESYS, "ev_loop_new failed");
	ev_set_userdata(m->loop, ud);
	return loopsem_open(&m->sems, m->loop, a->ts->sems, a->ts->nsems, err);
}

bool loopmodel_fetch(struct loopmodel *m, struct fetch_xfer *x, const struct task *t, int pc)
{
	if (!m->curl && curl_ev_new(&m->curl, m->loop, m->fetched, m->ud, NULL) != CB_OK)
		return false;
	if (!x->easy && !(x->easy = fetch_easy_new()))
		return false;
	x->step = &t->steps[pc];
	x->conns = m->workers;
	fetch_prepare(x, fetch_keep(t, pc, m->workers, m->next, m->a->ts->ntasks));
	return curl_ev_add(m->curl, x) == CB_OK;
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

struct loopmodel_extra *loopmodel_extra_new(void *owner)
{
	struct loopmodel_extra *e = calloc(1, sizeof *e);
	if (e)
		e->x.owner = owner;
	return e;
}

void loopmodel_extra_free(struct loopmodel *m, struct loopmodel_extra *e)
{
	if (!e)
		return;
	ev_timer_stop(m->loop, &e->w.timeout);
	fetch_easy_free(e->x.easy);
	free(e);
}

void loopmodel_close(struct loopmodel *m)
{
	if (m->loop)
		ev_loop_destroy(m->loop);
	m->loop = NULL;
}
