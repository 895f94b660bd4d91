/* What every runner shares about a fetch step: how a curl easy handle is set up
 * for it, and how the finished transfer is judged. Blocking runners perform the
 * handle; evloop and green hand it to a curl multi handle. */
#ifndef CB_FETCH_H
#define CB_FETCH_H

#include <stdbool.h>

#include <curl/curl.h>

#include "task.h"

/* One transfer's bookkeeping; lives as long as the easy handle is busy. */
struct fetch_xfer {
	CURL *easy;
	const struct step *step;
	long body; /* bytes received */
	unsigned long uses; /* fetches this handle has begun: keep the struct with the handle */
	void *owner; /* the runner's: which task or coroutine waits for it */
	int conns; /* the runner's: connections open at once, which size the receive buffer */
	int shard; /* curl_ev's: 1 + the multi handle that caches its connection; 0: none */
	int sock_errno; /* why socket() failed in this transfer (EMFILE), which curl drops */
	CURLU *url; /* url_of parsed once, so the handle's later fetches skip curl's parse */
	const char *url_of;
};

/* curl's own socket() for CURLOPT_OPENSOCKETFUNCTION (clientp: the fetch_xfer), but
 * keeping its errno in sock_errno. */
curl_socket_t fetch_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a);
/* Makes the handle once per worker; reusing it keeps its connection alive. */
CURL *fetch_easy_new(void);
/* Closes x's handle (and its connection) and its parsed URL; x may be reused. */
void fetch_xfer_close(struct fetch_xfer *x);
/* The receive buffer for fetch step s with conns connections open at once: the
 * step's own size if it asks for one; else, for up to 256 connections, one that holds
 * the whole response when its size is known (16 KiB at least, curl's default; 512 KiB
 * at most), and 4 KiB for more. */
long fetch_buffer_bytes(const struct step *s, int conns);
/* Points x->easy at x->step's URL (parsed once while the handle fetches the same one),
 * with the buffer for x->conns, and resets the counters; false: no memory for the URL. keep: the handle may fetch
 * again, so its connection goes back to the cache when done; otherwise it is closed. */
bool fetch_prepare(struct fetch_xfer *x, bool keep);
/* STEP_OK, or STEP_FAIL with *why set, from curl's result and the checks; a failure
 * is noted in words (failnote.h): the status, the URL, the limit that ran out. */
enum step_status fetch_verdict(struct fetch_xfer *x, CURLcode rc, enum task_fail *why);
/* Whether the connection of the fetch at step pc is worth keeping: a later step of its
 * task may fetch, or its worker may take another task (fewer workers than tasks, and
 * `next`, the first task no worker has taken, is not past the end). Every model asks
 * here, so they all follow one connection policy. */
bool fetch_keep(const struct task *t, int pc, int workers, int next, int ntasks);
/* A blocking fetch: prepare (keep as fetch_keep said), perform, verdict. */
enum step_status fetch_blocking(struct fetch_xfer *x, bool keep, enum task_fail *why);

#endif
