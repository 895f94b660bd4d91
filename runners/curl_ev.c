/* Curl multi handles driven by a libev loop: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); the
 * loop's ev_io and ev_timer watchers feed events back with curl_multi_socket_action. */
#include "curl_ev.h"

#include <stdlib.h>

/* Transfers that join one multi handle before the next is made. curl 7.88 keeps all
 * connections to a host in one list that it walks to unlink each closed one, and finds
 * sockets in a hash of 911 chains: with N transfers in one multi handle both cost O(N)
 * per transfer. Shards of this size keep them short; each costs one timer. */
#define CURL_EV_SHARD 256

/* One transfer in flight, so curl_ev_free can remove what never finished. */
struct curl_ev_xfer {
	struct fetch_xfer *x;
	struct curl_ev *ce;
	struct curl_ev_xfer *prev, *next;
};

struct curl_ev_shard {
	CURLM *multi;
	ev_timer timer; /* curl's one timeout for this multi handle */
	struct curl_ev *ce;
	long nlive, maxconns;
};

/* One socket curl asked us to watch. When its transfer ends, curl says REMOVE and, on a
 * kept-alive connection, asks for the same socket again with the next transfer: the
 * watcher is parked, not stopped, so the pair costs no epoll_ctl (one system call of
 * six a fetch). A parked watcher stops when its socket stirs (the server closed the
 * idle connection), and is dropped when curl opens a new socket with its number: the
 * old one was closed then, and the kernel forgot its registration. (Not a closesocket
 * callback: curl may call one after the multi handle, and this, are gone.) */
struct curl_ev_sock {
	ev_io io;
	struct curl_ev_shard *sh;
	bool parked; /* curl said REMOVE; the watcher still runs, its events ignored, and
		      * unref'd so that it keeps no loop running */
};

struct curl_ev {
	struct ev_loop *loop;
	curl_ev_done_fn done;
	void *ud;
	struct curl_ev_shard **shards;
	int nshards, cap;
	int fill; /* the shard that new handles join while it has room */
	struct curl_ev_xfer *live; /* transfers added and not yet finished */
	struct curl_ev_sock **socks; /* by fd: the watchers of the sockets curl has open */
	int nsocks;
};

static void curl_ev_io_cb(struct ev_loop *loop, ev_io *io, int revents);

static struct curl_ev_sock *curl_ev_sock_at(struct curl_ev *ce, curl_socket_t fd)
{
	return fd >= 0 && fd < ce->nsocks ? ce->socks[fd] : NULL;
}

static void curl_ev_unpark(struct ev_loop *loop, struct curl_ev_sock *s)
{
	if (!s->parked)
		return;
	s->parked = false;
	if (ev_is_active(&s->io))
		ev_ref(loop);
}

static void curl_ev_park(struct ev_loop *loop, struct curl_ev_sock *s)
{
	if (s->parked || !ev_is_active(&s->io))
		return;
	s->parked = true;
	ev_unref(loop);
}

static void curl_ev_sock_drop(struct curl_ev *ce, curl_socket_t fd)
{
	struct curl_ev_sock *s = curl_ev_sock_at(ce, fd);
	if (!s)
		return;
	curl_ev_unpark(ce->loop, s);
	ev_io_stop(ce->loop, &s->io);
	ce->socks[fd] = NULL;
	free(s);
}

static struct curl_ev_sock *curl_ev_sock_new(struct curl_ev *ce, struct curl_ev_shard *sh,
					     curl_socket_t fd)
{
	if (fd < 0)
		return NULL;
	if (fd >= ce->nsocks) {
		int n = ce->nsocks ? ce->nsocks : 64;
		while (n <= fd)
			n *= 2;
		struct curl_ev_sock **grown = realloc(ce->socks, (size_t)n * sizeof *grown);
		if (!grown)
			return NULL;
		for (int i = ce->nsocks; i < n; i++)
			grown[i] = NULL;
		ce->socks = grown;
		ce->nsocks = n;
	}
	struct curl_ev_sock *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->sh = sh;
	ev_init(&s->io, curl_ev_io_cb);
	ce->socks[fd] = s;
	return s;
}

/* The handle's options as fetch_prepare left them. */
static void curl_ev_unhook(struct fetch_xfer *x)
{
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, fetch_open_socket);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
}

/* Reports finished transfers; runs after socket_action returned, never inside curl. */
static void curl_ev_reap(struct curl_ev_shard *sh)
{
	struct curl_ev *ce = sh->ce;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(sh->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result; /* msg dies with remove_handle */
		struct curl_ev_xfer *t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(sh->multi, easy);
		if (t->prev)
			t->prev->next = t->next;
		else
			ce->live = t->next;
		if (t->next)
			t->next->prev = t->prev;
		sh->nlive--;
		struct fetch_xfer *x = t->x;
		curl_ev_unhook(x);
		free(t);
		ce->done(x, rc, ce->ud);
	}
}

static void curl_ev_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct curl_ev_sock *s = (struct curl_ev_sock *)io;
	if (s->parked) { /* no transfer wants it: an idle connection the server closed */
		curl_ev_unpark(loop, s);
		ev_io_stop(loop, io);
		return;
	}
	struct curl_ev_shard *sh = s->sh; /* curl may close the socket inside */
	int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		     (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(sh->multi, io->fd, action, &running);
	curl_ev_reap(sh);
}

static void curl_ev_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	struct curl_ev_shard *sh = t->data;
	int running;
	curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_ev_reap(sh);
}

static int curl_ev_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct curl_ev_shard *sh = userp;
	struct curl_ev *ce = sh->ce;
	struct curl_ev_sock *s = curl_ev_sock_at(ce, fd);
	if (what == CURL_POLL_REMOVE) {
		if (s)
			curl_ev_park(ce->loop, s);
		return 0;
	}
	if (!s && !(s = curl_ev_sock_new(ce, sh, fd)))
		return -1; /* curl fails the transfer */
	s->sh = sh;
	curl_ev_unpark(ce->loop, s);
	int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (ev_is_active(&s->io) && s->io.fd == fd && (s->io.events & (EV_READ | EV_WRITE)) == events)
		return 0; /* as it is already: no epoll_ctl */
	ev_io_stop(ce->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	ev_io_start(ce->loop, &s->io);
	return 0;
}

/* A new socket: a watcher left at its number watched a socket closed since. */
static curl_socket_t curl_ev_open_socket(void *clientp, curlsocktype purpose,
					 struct curl_sockaddr *a)
{
	struct curl_ev_xfer *t = clientp;
	curl_socket_t fd = fetch_open_socket(t->x, purpose, a);
	curl_ev_sock_drop(t->ce, fd);
	return fd;
}

/* Only arms the timer: calling curl back from inside its own callback is refused. */
static int curl_ev_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct curl_ev_shard *sh = userp;
	struct ev_loop *loop = sh->ce->loop;
	ev_timer_stop(loop, &sh->timer);
	if (timeout_ms >= 0) {
		if (timeout_ms > 0)
			ev_now_update(loop); /* after a compute step the cached time is stale */
		ev_timer_set(&sh->timer, (double)timeout_ms * 1e-3, 0);
		ev_timer_start(loop, &sh->timer);
	}
	return 0;
}

static struct curl_ev_shard *curl_ev_shard_new(struct curl_ev *ce)
{
	if (ce->nshards == ce->cap) {
		int cap = ce->cap ? 2 * ce->cap : 8;
		struct curl_ev_shard **s = realloc(ce->shards, (size_t)cap * sizeof *s);
		if (!s)
			return NULL;
		ce->shards = s;
		ce->cap = cap;
	}
	struct curl_ev_shard *sh = calloc(1, sizeof *sh);
	if (!sh)
		return NULL;
	if (!(sh->multi = curl_multi_init())) {
		free(sh);
		return NULL;
	}
	sh->ce = ce;
	ev_timer_init(&sh->timer, curl_ev_timer_cb, 0, 0);
	sh->timer.data = sh;
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, curl_ev_socket_fn);
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, curl_ev_timer_fn);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
	ce->shards[ce->nshards++] = sh;
	return sh;
}

/* The shard x's handle belongs to: its connection is cached there. A new handle joins
 * the filling shard, or the first with room, or a new one. */
static struct curl_ev_shard *curl_ev_shard_for(struct curl_ev *ce, struct fetch_xfer *x)
{
	if (x->shard > 0 && x->shard <= ce->nshards)
		return ce->shards[x->shard - 1];
	if (ce->fill >= ce->nshards || ce->shards[ce->fill]->nlive >= CURL_EV_SHARD) {
		ce->fill = 0;
		while (ce->fill < ce->nshards && ce->shards[ce->fill]->nlive >= CURL_EV_SHARD)
			ce->fill++;
		if (ce->fill == ce->nshards && !curl_ev_shard_new(ce))
			return NULL;
	}
	x->shard = ce->fill + 1;
	return ce->shards[ce->fill];
}

int curl_ev_new(struct curl_ev **ce, struct ev_loop *loop, curl_ev_done_fn done, void *ud,
		struct cb_err *err)
{
	struct curl_ev *c = calloc(1, sizeof *c);
	if (!c)
		return cb_fail(err, CB_ELIMIT, "no memory for a curl multi handle");
	c->loop = loop;
	c->done = done;
	c->ud = ud;
	if (!curl_ev_shard_new(c)) {
		free(c->shards);
		free(c);
		return cb_fail(err, CB_ESYS, "curl_multi_init failed");
	}
	*ce = c;
	return CB_OK;
}

int curl_ev_add(struct curl_ev *ce, struct fetch_xfer *x)
{
	struct curl_ev_shard *sh = curl_ev_shard_for(ce, x);
	struct curl_ev_xfer *t = malloc(sizeof *t);
	if (!sh || !t) {
		free(t);
		return CB_ESYS;
	}
	*t = (struct curl_ev_xfer){.x = x, .ce = ce, .next = ce->live};
	/* The multi handle's connection cache must hold a connection per busy handle,
	 * or reused handles would lose theirs to the cache's default limit. */
	if (sh->nlive + 1 > sh->maxconns) {
		sh->maxconns = 2 * (sh->nlive + 1);
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, sh->maxconns);
	}
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETFUNCTION, curl_ev_open_socket);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, t);
	if (curl_multi_add_handle(sh->multi, x->easy) != CURLM_OK) {
		curl_ev_unhook(x);
		free(t);
		return CB_ESYS;
	}
	if (ce->live)
		ce->live->prev = t;
	ce->live = t;
	sh->nlive++;
	return CB_OK;
}

void curl_ev_free(struct curl_ev *ce)
{
	if (!ce)
		return;
	while (ce->live) {
		struct curl_ev_xfer *t = ce->live;
		ce->live = t->next;
		struct fetch_xfer *x = t->x;
		curl_multi_remove_handle(ce->shards[x->shard - 1]->multi, x->easy);
		curl_ev_unhook(x);
		free(t);
	}
	for (int i = 0; i < ce->nshards; i++) {
		struct curl_ev_shard *sh = ce->shards[i];
		curl_multi_cleanup(sh->multi); /* closes its sockets, through curl_ev_socket_fn */
		ev_timer_stop(ce->loop, &sh->timer);
		free(sh);
	}
	for (int fd = 0; fd < ce->nsocks; fd++) /* left open by curl: none, but never a leak */
		curl_ev_sock_drop(ce, fd);
	free(ce->socks);
	free(ce->shards);
	free(ce);
}
