/* concbench-httpd: the local stand-in for the articles' remote sites. It answers
 * GET /delay/<ms>/bytes/<n> after <ms> milliseconds with <n> bytes (GET / answers
 * at once with 16 bytes), keeps connections alive, and prints the port it bound on
 * its first line. One libev loop, Debian's http-parser, no allocation per request
 * beyond the connection itself.
 *
 *   concbench-httpd [-p PORT] [-b 127.0.0.1|::1]      (PORT 0: any free port) */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define HTTPD_DELAY_MAX_MS 3600000L   /* an hour */
#define HTTPD_BYTES_MAX (64L << 20)   /* 64 MiB */
#define HTTPD_URL_MAX 2048
#define HTTPD_INBUF 4096
#define HTTPD_DEFAULT_BYTES 16
#define HTTPD_FDS_WANTED 20000        /* 10,000 clients and their double */

struct server {
	struct ev_loop *loop;
	int fd;
	ev_io accept_w;
	ev_timer accept_retry_w; /* accepting again after running out of descriptors */
	bool told_emfile;        /* the out-of-descriptors message is printed once */
	ev_signal sigterm_w, sigint_w;
	char *body;      /* bytes every response body is cut from */
	size_t body_cap;
	long open;       /* connections now open */
};

struct conn {
	struct server *srv;
	int fd;
	ev_io read_w, write_w;
	ev_timer delay_w;
	http_parser parser;
	char url[HTTPD_URL_MAX];
	size_t url_len;
	bool url_too_long;
	bool bad_version; /* not HTTP/1.0 or 1.1: answered 505 */
	bool busy;        /* a request is being answered: waiting or writing */
	bool close_after; /* the response is the last on this connection */
	bool answer_now;  /* the request just parsed wants no delay */
	char head[160];
	size_t head_len, body_len, sent; /* sent counts head and body bytes */
	char in[HTTPD_INBUF];
	size_t in_len; /* bytes read but not yet parsed (a pipelined request) */
};

static const http_parser_settings httpd_settings;

static void conn_close(struct conn *c)
{
	ev_io_stop(c->srv->loop, &c->read_w);
	ev_io_stop(c->srv->loop, &c->write_w);
	ev_timer_stop(c->srv->loop, &c->delay_w);
	close(c->fd);
	c->srv->open--;
	free(c);
}

/* "/", "/delay/<ms>" or "/delay/<ms>/bytes/<n>", digits only, within bounds. */
static bool parse_path(const char *url, long *ms, long *bytes)
{
	*ms = 0;
	*bytes = HTTPD_DEFAULT_BYTES;
	size_t path_len = strcspn(url, "?#");
	if (path_len == 1 && url[0] == '/')
		return true;
	char path[HTTPD_URL_MAX];
	memcpy(path, url, path_len);
	path[path_len] = '\0';
	long *field[2] = {ms, bytes};
	const char *name[2] = {"delay", "bytes"};
	const long max[2] = {HTTPD_DELAY_MAX_MS, HTTPD_BYTES_MAX};
	char *p = path;
	for (int i = 0; i < 2 && *p; i++) {
		size_t n = strlen(name[i]);
		if (*p != '/' || strncmp(p + 1, name[i], n) != 0 || p[1 + n] != '/')
			return false;
		p += n + 2;
		if (*p < '0' || *p > '9')
			return false;
		long v = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > max[i])
				return false;
		}
		*field[i] = v;
	}
	return *p == '\0';
}

static bool ensure_body(struct server *s, size_t n)
{
	if (n <= s->body_cap)
		return true;
	char *b = realloc(s->body, n);
	if (!b)
		return false;
	memset(b + s->body_cap, 'x', n - s->body_cap);
	s->body = b;
	s->body_cap = n;
	return true;
}

static void conn_feed(struct conn *c);

/* Writes what it can of the response; returns once done or the socket is full. */
static void conn_write(struct conn *c)
{
	size_t total = c->head_len + c->body_len;
	while (c->sent < total) {
		struct iovec iov[2];
		int n = 0;
		if (c->sent < c->head_len)
			iov[n++] = (struct iovec){c->head + c->sent, c->head_len - c->sent};
		size_t body_off = c->sent > c->head_len ? c->sent - c->head_len : 0;
		if (c->body_len > body_off)
			iov[n++] = (struct iovec){c->srv->body + body_off, c->body_len - body_off};
		/* The last response of a connection holds its tail back (MSG_MORE) until the
		 * close below, so the FIN rides on it: a client that has the whole body has
		 * the FIN too. Sent apart, a client woken by the body (a blocking thread the
		 * scheduler runs at once) closes before the FIN is out, and the TIME_WAIT
		 * is the client's: 1 in 6 of 2,000 threads' connections. */
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &mh, c->close_after ? MSG_MORE : 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(c->srv->loop, &c->write_w);
			return;
		}
		if (w <= 0) {
			conn_close(c);
			return;
		}
		c->sent += (size_t)w;
	}
	ev_io_stop(c->srv->loop, &c->write_w);
	if (c->close_after) {
		conn_close(c);
		return;
	}
	/* Ready for the next request: parse what is buffered, then read again. */
	c->url_len = 0;
	c->url_too_long = false;
	c->bad_version = false;
	c->busy = false;
	http_parser_pause(&c->parser, 0);
	ev_io_start(c->srv->loop, &c->read_w);
	conn_feed(c);
}

static void conn_respond(struct conn *c, int status, size_t bytes)
{
	if (status == 200 && !ensure_body(c->srv, bytes))
		status = 503;
	if (status != 200) {
		bytes = 0;
		c->close_after = true;
	}
	const char *reason = status == 200   ? "OK"
			     : status == 400 ? "Bad Request"
			     : status == 505 ? "HTTP Version Not Supported"
					     : "Service Unavailable";
	c->head_len = (size_t)snprintf(c->head, sizeof c->head,
				       "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n", status,
				       reason, bytes,
				       c->close_after ? "Connection: close\r\n" : "");
	c->body_len = bytes;
	c->sent = 0;
	conn_write(c);
}

static void on_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct conn *c = w->data;
	conn_respond(c, 200, c->body_len);
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;
	if (c->url_len + len >= sizeof c->url) {
		c->url_too_long = true;
		return 0;
	}
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct conn *c = p->data;
	/* One request at a time: a pipelined one waits in the buffer until this is answered. */
	http_parser_pause(p, 1);
	c->busy = true;
	c->url[c->url_len] = '\0';
	c->close_after = !http_should_keep_alive(p);
	long ms, bytes;
	c->bad_version = p->http_major != 1 || p->http_minor > 1;
	if (c->bad_version || c->url_too_long || p->method != HTTP_GET ||
	    !parse_path(c->url, &ms, &bytes))
		return 1; /* an error for conn_feed, which answers 400 (or 505) */
	c->body_len = (size_t)bytes;
	if (ms == 0) {
		c->answer_now = true;
		return 0;
	}
	/* Time has moved since the loop last looked (other clients' work): refresh it. */
	ev_now_update(c->srv->loop);
	ev_timer_set(&c->delay_w, (double)ms / 1e3, 0);
	ev_timer_start(c->srv->loop, &c->delay_w);
	return 0;
}

static const http_parser_settings httpd_settings = {
	.on_url = on_url,
	.on_message_complete = on_message_complete,
};

/* Parses the buffered bytes: a request completes (pause), or they run out. */
static void conn_feed(struct conn *c)
{
	if (c->in_len == 0)
		return;
	c->answer_now = false;
	size_t used = http_parser_execute(&c->parser, &httpd_settings, c->in, c->in_len);
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	if (e != HPE_OK && e != HPE_PAUSED) {
		c->close_after = true;
		conn_respond(c, c->bad_version ? 505 : 400, 0);
		return;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	if (e == HPE_PAUSED && c->answer_now)
		conn_respond(c, 200, c->body_len);
}

/* Reading goes on while a request waits, so a client that leaves mid-wait (a
 * timed-out one) frees its descriptor at once rather than after the delay. No HTTP
 * client half-closes, so an end of input means the client is gone. */
static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct conn *c = w->data;
	if (c->in_len == sizeof c->in) { /* pipelined requests fill the buffer: wait */
		ev_io_stop(loop, w);
		return;
	}
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	if (!c->busy)
		conn_feed(c);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_write(w->data);
}

static void conn_open(struct server *s, int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->srv = s;
	c->fd = fd;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	ev_io_init(&c->read_w, on_read, fd, EV_READ);
	ev_io_init(&c->write_w, on_writable, fd, EV_WRITE);
	ev_timer_init(&c->delay_w, on_delay, 0, 0);
	c->read_w.data = c->write_w.data = c->delay_w.data = c;
	ev_io_start(s->loop, &c->read_w);
	s->open++;
}

/* Out of descriptors, the listener stays readable: without a pause the loop would
 * spin on accept until a client leaves. */
static void accept_pause(struct server *s)
{
	if (!s->told_emfile)
		fprintf(stderr, "concbench-httpd: out of file descriptors at %ld connections "
			"(RLIMIT_NOFILE); new clients wait\n", s->open);
	s->told_emfile = true;
	ev_io_stop(s->loop, &s->accept_w);
	ev_timer_set(&s->accept_retry_w, 0.1, 0);
	ev_timer_start(s->loop, &s->accept_retry_w);
}

static void on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct server *s = w->data;
	ev_io_start(loop, &s->accept_w);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct server *s = w->data;
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_open(s, fd);
			continue;
		}
		int e = errno;
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
			accept_pause(s);
			return;
		}
		if (e != ECONNABORTED && e != EINTR)
			return; /* EAGAIN: the backlog is empty */
	}
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static int listen_on(const char *addr, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int family;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			return -1;
		family = AF_INET6;
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			return -1;
		family = AF_INET;
		len = sizeof *a;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 65535) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

/* 10,000 clients need 10,000 descriptors: take what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > HTTPD_FDS_WANTED
			      ? HTTPD_FDS_WANTED : rl.rlim_max;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 10100)
		fprintf(stderr, "concbench-httpd: RLIMIT_NOFILE is %ld: fewer than 10,000 "
			"connections will fit (raise the hard limit)\n", (long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	long port = 0;
	int opt;
	while ((opt = getopt(argc, argv, "p:b:h")) != -1) {
		char *end;
		switch (opt) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535) {
				fprintf(stderr, "concbench-httpd: -p %s: a port is 0..65535\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (strcmp(optarg, "127.0.0.1") != 0 && strcmp(optarg, "::1") != 0) {
				fprintf(stderr, "concbench-httpd: -b %s: loopback only (127.0.0.1 "
					"or ::1)\n", optarg);
				return 2;
			}
			addr = optarg;
			break;
		default:
			fprintf(stderr, "usage: concbench-httpd [-p PORT] [-b 127.0.0.1|::1]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "concbench-httpd: unexpected argument '%s' (usage: concbench-httpd "
			"[-p PORT] [-b 127.0.0.1|::1])\n", argv[optind]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	struct server s = {.fd = listen_on(addr, (int)port)};
	if (s.fd < 0) {
		fprintf(stderr, "concbench-httpd: cannot listen on %s port %ld: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	s.loop = ev_loop_new(EVFLAG_AUTO);
	if (!s.loop) {
		fprintf(stderr, "concbench-httpd: no event loop\n");
		close(s.fd);
		return 1;
	}
	ev_io_init(&s.accept_w, on_accept, s.fd, EV_READ);
	ev_timer_init(&s.accept_retry_w, on_accept_retry, 0, 0);
	s.accept_w.data = s.accept_retry_w.data = &s;
	ev_io_start(s.loop, &s.accept_w);
	ev_signal_init(&s.sigterm_w, on_stop_signal, SIGTERM);
	ev_signal_init(&s.sigint_w, on_stop_signal, SIGINT);
	ev_signal_start(s.loop, &s.sigterm_w);
	ev_signal_start(s.loop, &s.sigint_w);
	/* Only now: whoever reads the port may send SIGTERM at once and expect exit 0. */
	printf("%d\n", bound_port(s.fd));
	fflush(stdout);
	ev_run(s.loop, 0);
	/* Open connections die with the process; the loop and listener go cleanly. */
	ev_loop_destroy(s.loop);
	close(s.fd);
	free(s.body);
	return 0;
}
