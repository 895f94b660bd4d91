/* Setting up and judging one HTTP GET with libcurl. */
#include "fetch.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "failnote.h"

/* Up to this many connections at once, a receive buffer that holds the whole response,
 * so a fetch is one recv and curl skips the poll it makes after each partial one: 9%
 * more fetches/s on 100 kept-alive connections. Above, 4 KiB: four fresh pages a
 * connection cost 40-55 us on these machines, more than the recv and poll calls a small
 * buffer adds for 16 KiB bodies. */
#define FETCH_SMALL_BUFFER_ABOVE 256
#define FETCH_SMALL_BUFFER_KIB 4
#define FETCH_HEADER_ROOM 1024 /* a status line and headers like the local server's fit */
#define FETCH_BUFFER_MIN_KIB (CURL_MAX_WRITE_SIZE / 1024)
#define FETCH_BUFFER_MAX_KIB 512 /* the most CURLOPT_BUFFERSIZE takes before curl 7.88 */

static size_t fetch_count(char *data, size_t size, size_t n, void *userp)
{
	(void)data;
	struct fetch_xfer *x = userp;
	x->body += (long)(size * n);
	return size * n;
}

/* curl's own socket(), but keeping its errno: curl reports a refused socket as a
 * connection that failed, with no errno, so fd exhaustion would go unnamed. */
curl_socket_t fetch_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)purpose;
	struct fetch_xfer *x = clientp;
	curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
	if (fd == CURL_SOCKET_BAD)
		x->sock_errno = errno;
	return fd;
}

CURL *fetch_easy_new(void)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	/* Signals would hit whatever thread or coroutine runs; timeouts use the clock. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_count);
	/* A request is one send, made when the last one's answer has come (so acked):
	 * Nagle never holds it back, and the setsockopt a connection is saved. */
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 0L);
	/* A run is short: without this curl walks its DNS cache after every transfer
	 * to prune it. */
	curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, fetch_open_socket);
	return h;
}

void fetch_xfer_close(struct fetch_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_url_cleanup(x->url);
	x->easy = NULL;
	x->url = NULL;
	x->url_of = NULL;
}

/* Parses the step's URL when it is not the one x->url holds. curl would otherwise
 * parse the string and print it back each transfer. A loopback host never goes
 * through a proxy, which also spares curl's look-ups of the proxy variables in the
 * environment each transfer; other hosts keep them. */
static bool fetch_set_url(struct fetch_xfer *x)
{
	const char *url = x->step->fetch.url;
	if (x->url_of == url)
		return true;
	char *host = NULL;
	if ((!x->url && !(x->url = curl_url())) ||
	    curl_url_set(x->url, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(x->url, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		x->url_of = NULL;
		curl_easy_setopt(x->easy, CURLOPT_CURLU, NULL);
		curl_easy_setopt(x->easy, CURLOPT_URL, url); /* curl names what is wrong */
		return x->url != NULL;
	}
	bool loopback = !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]") ||
			!strcmp(host, "localhost");
	curl_free(host);
	curl_easy_setopt(x->easy, CURLOPT_URL, NULL);
	curl_easy_setopt(x->easy, CURLOPT_CURLU, x->url);
	curl_easy_setopt(x->easy, CURLOPT_NOPROXY, loopback ? "*" : NULL);
	x->url_of = url;
	return true;
}

bool fetch_prepare(struct fetch_xfer *x, bool keep)
{
	/* Each worker keeps its own connection: a handle's first fetch opens a fresh one
	 * rather than have curl search its cache for an idle one to borrow. That search
	 * walks every connection to the host, so with a handle per task it would cost
	 * O(N) a fetch and O(N^2) a trial. Later fetches reuse the handle's connection. */
	curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, x->uses++ == 0 ? 1L : 0L);
	/* A connection no fetch will reuse is closed when done, not cached: curl 7.88's
	 * curl_multi_remove_handle walks the whole cache (close_connect_only), so with a
	 * handle per task a cache of N idle connections costs O(N) a removal. */
	curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, keep ? 0L : 1L);
	/* And it says so, so the server closes first and keeps the TIME_WAIT: 10,000 client
	 * closes a trial use up the ephemeral ports to one server within a few trials, and
	 * then every connect searches for a free one. */
	static char close_line[] = "Connection: close";
	static struct curl_slist close_hdr = {close_line, NULL};
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, keep ? NULL : &close_hdr);
	x->body = 0;
	x->sock_errno = 0;
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, x->step->fetch.timeout_ms);
	/* Memory per connection is time at 10,000 connections. */
	curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, fetch_buffer_bytes(x->step, x->conns));
	return fetch_set_url(x);
}

long fetch_buffer_bytes(const struct step *s, int conns)
{
	if (s->fetch.buffer > 0)
		return s->fetch.buffer;
	if (conns > FETCH_SMALL_BUFFER_ABOVE)
		return FETCH_SMALL_BUFFER_KIB * 1024;
	long kib = s->fetch.bytes >= 0 ? (s->fetch.bytes + FETCH_HEADER_ROOM + 1023) / 1024 : 0;
	if (kib < FETCH_BUFFER_MIN_KIB)
		kib = FETCH_BUFFER_MIN_KIB;
	if (kib > FETCH_BUFFER_MAX_KIB)
		kib = FETCH_BUFFER_MAX_KIB;
	return kib * 1024;
}

bool fetch_keep(const struct task *t, int pc, int workers, int next, int ntasks)
{
	return (workers < ntasks && next < ntasks) || task_may_fetch_after(t, pc);
}

/* The failed transfer's cause in words: curl's, or the errno it lost. */
static void fetch_note_error(const struct fetch_xfer *x, CURLcode rc)
{
	const char *url = x->step->fetch.url;
	struct rlimit rl = {0};
	if (x->sock_errno == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		failnote_add("fetch", "fetches", "GET %s: too many open files (RLIMIT_NOFILE %lld)",
			     url, (long long)rl.rlim_cur);
	else if (x->sock_errno == ENFILE)
		failnote_add("fetch", "fetches", "GET %s: the system's open files ran out "
			     "(fs.file-max)", url);
	else if (x->sock_errno)
		failnote_add("fetch", "fetches", "GET %s: socket: %s", url, strerror(x->sock_errno));
	else
		failnote_add("fetch", "fetches", "GET %s: %s", url, curl_easy_strerror(rc));
}

enum step_status fetch_verdict(struct fetch_xfer *x, CURLcode rc, enum task_fail *why)
{
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		*why = FAIL_CONNECT;
		fetch_note_error(x, rc);
		return STEP_FAIL;
	case CURLE_OPERATION_TIMEDOUT:
		*why = FAIL_TIMEOUT;
		fetch_note_error(x, rc);
		return STEP_FAIL;
	default:
		*why = FAIL_FETCH;
		fetch_note_error(x, rc);
		return STEP_FAIL;
	}
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != x->step->fetch.status) {
		*why = FAIL_STATUS;
		failnote_add("fetch", "fetches", "HTTP %ld from %s, not %ld", status,
			     x->step->fetch.url, x->step->fetch.status);
		return STEP_FAIL;
	}
	if (x->step->fetch.bytes >= 0 && x->body != x->step->fetch.bytes) {
		*why = FAIL_BODY;
		failnote_add("fetch", "fetches", "%ld bytes from %s, not %ld", x->body,
			     x->step->fetch.url, x->step->fetch.bytes);
		return STEP_FAIL;
	}
	return STEP_OK;
}

enum step_status fetch_blocking(struct fetch_xfer *x, bool keep, enum task_fail *why)
{
	if (!fetch_prepare(x, keep)) {
		*why = FAIL_SPAWN;
		return STEP_FAIL;
	}
	return fetch_verdict(x, curl_easy_perform(x->easy), why);
}
