/* concbench-burst: N GETs at once, each on a fresh connection, with only the system
 * calls a fetch needs (socket, connect, send, recv, close, and epoll to wait). Run
 * against the server the http workload uses, it is the floor for fetching at once on
 * this machine: what loopback TCP and the kernel charge before any HTTP library adds
 * its own work. Responses go through Debian's http-parser; a fetch is ok when it gets
 * status 200 and the whole body Content-Length announced. Each request says Connection:
 * close, as the harness's last GETs do, so the server keeps the TIME_WAITs and repeated
 * bursts do not run the client out of ephemeral ports.
 *
 *   concbench-burst [-n N] [-t SECONDS] http://127.0.0.1:PORT/PATH   (or http://[::1]:PORT/PATH)
 *
 * Prints one line: fetches ok failed wall_s user_s sys_s minflt. Exit status: 0 every
 * fetch ok, 1 some failed, 2 bad input. */
#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST_MAX 100000
#define BURST_TIMEOUT_MAX 3600
#define BURST_RECV (64 << 10) /* one buffer for every connection: they take turns */
#define BURST_EVENTS 256

enum { CONNECTING, READING, DONE };

struct fetch {
	int fd, state;
	bool ok;
	http_parser parser;
};

struct target {
	struct sockaddr_storage addr;
	socklen_t len;
	char request[512];
	int request_len;
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int on_complete(http_parser *p)
{
	struct fetch *f = p->data;
	f->ok = p->status_code == 200;
	f->state = DONE;
	return 0;
}

static const http_parser_settings parse_settings = {.on_message_complete = on_complete};

/* Loopback only: 127.0.0.1 or [::1], a port, a path. */
static bool parse_url(const char *url, struct target *t)
{
	const char *rest;
	int port_at;
	memset(t, 0, sizeof *t);
	if (!strncmp(url, "http://127.0.0.1:", 17)) {
		struct sockaddr_in *a = (struct sockaddr_in *)&t->addr;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		t->len = sizeof *a;
		port_at = 17;
	} else if (!strncmp(url, "http://[::1]:", 13)) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&t->addr;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		t->len = sizeof *a;
		port_at = 13;
	} else
		return false;
	char *end;
	long port = strtol(url + port_at, &end, 10);
	if (end == url + port_at || port < 1 || port > 65535 || (*end && *end != '/'))
		return false;
	rest = *end ? end : "/";
	if (t->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&t->addr)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((uint16_t)port);
	t->request_len = snprintf(t->request, sizeof t->request,
				  "GET %s HTTP/1.1\r\nHost: %.*s\r\nConnection: close\r\n\r\n", rest,
				  (int)(end - url - 7), url + 7);
	return t->request_len > 0 && (size_t)t->request_len < sizeof t->request;
}

static void finish(struct fetch *f, int *left)
{
	close(f->fd);
	f->fd = -1;
	f->state = DONE;
	(*left)--;
}

/* Reads what the socket has; false when the fetch ended (done or failed). */
static bool drain(struct fetch *f, char *buf)
{
	for (;;) {
		ssize_t r = recv(f->fd, buf, BURST_RECV, 0);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		size_t used = http_parser_execute(&f->parser, &parse_settings, buf, (size_t)r);
		if (r == 0 || used != (size_t)r || f->state == DONE)
			return false;
		if (r < BURST_RECV)
			return true; /* the next recv would say EAGAIN: wait for epoll instead */
	}
}

static int run(struct fetch *fs, int n, const struct target *t, double timeout_s)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	char *buf = malloc(BURST_RECV);
	if (ep < 0 || !buf) {
		fprintf(stderr, "concbench-burst: %s\n", strerror(errno));
		if (ep >= 0)
			close(ep);
		free(buf);
		return -1;
	}
	int left = n;
	for (int i = 0; i < n; i++) {
		struct fetch *f = &fs[i];
		f->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = f};
		if (f->fd < 0 || (connect(f->fd, (const struct sockaddr *)&t->addr, t->len) < 0 &&
				  errno != EINPROGRESS) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
			if (f->fd >= 0)
				close(f->fd);
			f->fd = -1;
			f->state = DONE;
			left--;
		}
	}
	double deadline = now() + timeout_s;
	struct epoll_event evs[BURST_EVENTS];
	while (left > 0) {
		int wait_ms = (int)((deadline - now()) * 1000);
		int k = wait_ms > 0 ? epoll_wait(ep, evs, BURST_EVENTS, wait_ms) : 0;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* the deadline: what is left fails */
		for (int j = 0; j < k; j++) {
			struct fetch *f = evs[j].data.ptr;
			if (f->state == CONNECTING) {
				/* A refused connect shows here as a failed send. */
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};
				if (send(f->fd, t->request, (size_t)t->request_len, MSG_NOSIGNAL) !=
					    t->request_len ||
				    epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &ev) < 0) {
					finish(f, &left);
					continue;
				}
				f->state = READING;
			} else if (f->state == READING && !drain(f, buf))
				finish(f, &left);
		}
	}
	for (int i = 0; i < n; i++)
		if (fs[i].fd >= 0)
			close(fs[i].fd);
	close(ep);
	free(buf);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: concbench-burst [-n N] [-t SECONDS] "
			"http://127.0.0.1:PORT/PATH | http://[::1]:PORT/PATH\n");
}

int main(int argc, char **argv)
{
	long n = 1000, timeout_s = 30;
	int opt;
	char *end;
	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		long *v = opt == 'n' ? &n : opt == 't' ? &timeout_s : NULL;
		long max = opt == 'n' ? BURST_MAX : BURST_TIMEOUT_MAX;
		if (!v) {
			usage();
			return 2;
		}
		*v = strtol(optarg, &end, 10);
		if (*end || *v < 1 || *v > max) {
			fprintf(stderr, "concbench-burst: -%c %s: allowed 1 .. %ld\n", opt, optarg,
				max);
			return 2;
		}
	}
	struct target t;
	if (optind != argc - 1) {
		usage();
		return 2;
	}
	if (!parse_url(argv[optind], &t)) {
		fprintf(stderr, "concbench-burst: %s: allowed http://127.0.0.1:PORT/PATH or "
				"http://[::1]:PORT/PATH\n", argv[optind]);
		return 2;
	}
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (rl.rlim_max < want || setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			fprintf(stderr, "concbench-burst: -n %ld needs %lu open files; the hard "
					"limit (ulimit -Hn) is %lu\n", n, (unsigned long)want,
				(unsigned long)rl.rlim_max);
			return 2;
		}
	}
	struct fetch *fs = calloc((size_t)n, sizeof *fs);
	if (!fs) {
		fprintf(stderr, "concbench-burst: no memory for %ld fetches\n", n);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		http_parser_init(&fs[i].parser, HTTP_RESPONSE);
		fs[i].parser.data = &fs[i];
	}
	double t0 = now();
	int rc = run(fs, (int)n, &t, (double)timeout_s);
	double wall = now() - t0;
	long ok = 0;
	for (long i = 0; i < n; i++)
		ok += fs[i].ok;
	free(fs);
	if (rc < 0)
		return 1;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("fetches %ld ok %ld failed %ld wall_s %.6f user_s %.6f sys_s %.6f minflt %ld\n", n,
	       ok, n - ok, wall, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6, ru.ru_minflt);
	return ok == n ? 0 : 1;
}
