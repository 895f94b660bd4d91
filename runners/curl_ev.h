/* A curl multi handle driven by a libev loop (the multi_socket pattern), shared by
 * the evloop and green runners: curl's sockets become ev_io watchers and its one
 * timeout an ev_timer; finished transfers are handed back one by one. */
#ifndef CB_CURL_EV_H
#define CB_CURL_EV_H

#include <curl/curl.h>
#include <ev.h>

#include "err.h"
#include "fetch.h"

struct curl_ev;

/* Called once per finished transfer, never from inside a curl callback; the easy handle
 * has already been removed from the multi handle and may be reused or re-added at once. */
typedef void (*curl_ev_done_fn)(struct fetch_xfer *x, CURLcode rc, void *ud);

/* A multi handle on `loop`; done(x, rc, ud) reports each finished transfer. */
int curl_ev_new(struct curl_ev **ce, struct ev_loop *loop, curl_ev_done_fn done, void *ud,
		struct cb_err *err);
/* Starts x, prepared by fetch_prepare(); CB_OK or CB_ESYS (curl refused the handle). */
int curl_ev_add(struct curl_ev *ce, struct fetch_xfer *x);
/* Removes any transfer still running (without reporting it), stops every watcher. */
void curl_ev_free(struct curl_ev *ce);

#endif
