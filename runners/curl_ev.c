/* A curl multi handle driven by a libev loop: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); the
 * loop's ev_io and ev_timer watchers feed events back with curl_multi_socket_action. */
#include "curl_ev.h"

#include <stdlib.h>

/* One transfer in flight, so curl_ev_free can remove what never finished. */
struct curl_ev_xfer {
	struct fetch_xfer *x;
	struct curl_ev_xfer *prev, *next;
};

/* One socket curl asked us to watch. */
struct curl_ev_sock {
	ev_io io;
	struct curl_ev *ce;
};

struct curl_ev {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer; /* curl's one timeout */
	curl_ev_done_fn done;
	void *ud;
	struct curl_ev_xfer *live; /* transfers added and not yet finished */
	long nlive, maxconns;
};

/* Reports finished transfers; runs after socket_action returned, never inside curl. */
static void curl_ev_reap(struct curl_ev *ce)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(ce->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result; /* msg dies with remove_handle */
		struct curl_ev_xfer *t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(ce->multi, easy);
		if (t->prev)
			t->prev->next = t->next;
		else
			ce->live = t->next;
		if (t->next)
			t->next->prev = t->prev;
		ce->nlive--;
		struct fetch_xfer *x = t->x;
		curl_easy_setopt(easy, CURLOPT_PRIVATE, x); /* as fetch_prepare left it */
		free(t);
		ce->done(x, rc, ce->ud);
	}
}

static void curl_ev_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	struct curl_ev *ce = ((struct curl_ev_sock *)io)->ce; /* curl may free the socket's */
	int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		     (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(ce->multi, io->fd, action, &running);
	curl_ev_reap(ce);
}

static void curl_ev_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	struct curl_ev *ce = t->data;
	int running;
	curl_multi_socket_action(ce->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_ev_reap(ce);
}

static int curl_ev_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	struct curl_ev *ce = userp;
	struct curl_ev_sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			ev_io_stop(ce->loop, &s->io);
			curl_multi_assign(ce->multi, fd, NULL);
			free(s);
		}
		return 0;
	}
	if (!s) {
		if (!(s = calloc(1, sizeof *s)))
			return -1; /* curl fails the transfer */
		s->ce = ce;
		ev_init(&s->io, curl_ev_io_cb);
		curl_multi_assign(ce->multi, fd, s);
	}
	int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	ev_io_stop(ce->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	ev_io_start(ce->loop, &s->io);
	return 0;
}

/* Only arms the timer: calling curl back from inside its own callback is refused. */
static int curl_ev_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct curl_ev *ce = userp;
	ev_timer_stop(ce->loop, &ce->timer);
	if (timeout_ms >= 0) {
		ev_now_update(ce->loop); /* after a compute step the cached time is stale */
		ev_timer_set(&ce->timer, (double)timeout_ms * 1e-3, 0);
		ev_timer_start(ce->loop, &ce->timer);
	}
	return 0;
}

int curl_ev_new(struct curl_ev **ce, struct ev_loop *loop, curl_ev_done_fn done, void *ud,
		struct cb_err *err)
{
	struct curl_ev *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail(err, CB_ELIMIT, "no memory for a curl multi handle");
	if (!(c->multi = curl_multi_init())) {
		free(c);
		return cb_fail(err, CB_ESYS, "curl_multi_init failed");
	}
	c->loop = loop;
	c->done = done;
	c->ud = ud;
	ev_timer_init(&c->timer, curl_ev_timer_cb, 0, 0);
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curl_ev_socket_fn);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curl_ev_timer_fn);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*ce = c;
	return CB_OK;
}

int curl_ev_add(struct curl_ev *ce, struct fetch_xfer *x)
{
	struct curl_ev_xfer *t = malloc(sizeof *t);
	if (!t)
		return CB_ESYS;
	*t = (struct curl_ev_xfer){.x = x, .next = ce->live};
	/* The multi handle's connection cache must hold a connection per busy handle,
	 * or reused handles would lose theirs to the cache's default limit. */
	if (ce->nlive + 1 > ce->maxconns) {
		ce->maxconns = 2 * (ce->nlive + 1);
		curl_multi_setopt(ce->multi, CURLMOPT_MAXCONNECTS, ce->maxconns);
	}
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(ce->multi, x->easy) != CURLM_OK) {
		curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
		free(t);
		return CB_ESYS;
	}
	if (ce->live)
		ce->live->prev = t;
	ce->live = t;
	ce->nlive++;
	return CB_OK;
}

void curl_ev_free(struct curl_ev *ce)
{
	if (!ce)
		return;
	while (ce->live) {
		struct curl_ev_xfer *t = ce->live;
		ce->live = t->next;
		curl_multi_remove_handle(ce->multi, t->x->easy);
		free(t);
	}
	curl_multi_cleanup(ce->multi); /* closes its sockets, through curl_ev_socket_fn */
	ev_timer_stop(ce->loop, &ce->timer);
	free(ce);
}
