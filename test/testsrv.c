/* The runner tests' throwaway HTTP server. */
#include "testsrv.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

#define SRV_CLIENTS 32

static void srv_answer(int fd, char *buf, int *len)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" SRV_BODY;
	char *end;
	while ((end = memmem(buf, (size_t)*len, "\r\n\r\n", 4))) {
		if (write(fd, reply, sizeof reply - 1) < 0)
			return;
		*len -= (int)(end + 4 - buf);
		memmove(buf, end + 4, (size_t)*len);
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd pf[SRV_CLIENTS + 1] = {{.fd = s->lfd, .events = POLLIN}};
	static char buf[SRV_CLIENTS + 1][2048];
	int len[SRV_CLIENTS + 1] = {0}, n = 1;
	double until = clock_now() + 30;
	while (!atomic_load(&s->stop) && clock_now() < until) {
		if (poll(pf, (nfds_t)n, 20) <= 0)
			continue;
		if ((pf[0].revents & POLLIN) && n <= SRV_CLIENTS) {
			int c = accept(s->lfd, NULL, NULL);
			if (c >= 0) {
				atomic_fetch_add(&s->accepted, 1);
				pf[n] = (struct pollfd){.fd = c, .events = POLLIN};
				len[n++] = 0;
			}
		}
		for (int i = 1; i < n; i++) {
			if (!pf[i].revents)
				continue;
			ssize_t r = read(pf[i].fd, buf[i] + len[i], sizeof buf[i] - (size_t)len[i]);
			if (r <= 0) {
				close(pf[i].fd);
				pf[i] = pf[--n];
				memcpy(buf[i], buf[n], (size_t)len[n]);
				len[i--] = len[n];
				continue;
			}
			len[i] += (int)r;
			srv_answer(pf[i].fd, buf[i], &len[i]);
			if (atomic_load(&s->hang_up)) {
				usleep(2000); /* the client has parked its socket by now */
				close(pf[i].fd);
				pf[i] = pf[--n];
				memcpy(buf[i], buf[n], (size_t)len[n]);
				len[i--] = len[n];
			}
		}
	}
	for (int i = 1; i < n; i++)
		close(pf[i].fd);
	return NULL;
}

int srv_port(int *fd, bool closed)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(*fd, 0);
	cr_assert_eq(bind(*fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(getsockname(*fd, (struct sockaddr *)&sa, &sl), 0);
	if (closed)
		close(*fd);
	else
		cr_assert_eq(listen(*fd, 128), 0);
	return ntohs(sa.sin_port);
}

void srv_start(struct srv *s)
{
	s->port = srv_port(&s->lfd, false);
	atomic_init(&s->stop, 0);
	atomic_init(&s->accepted, 0);
	atomic_init(&s->hang_up, 0);
	cr_assert_eq(pthread_create(&s->tid, NULL, srv_main, s), 0);
}

void srv_start_hanging_up(struct srv *s)
{
	s->port = srv_port(&s->lfd, false);
	atomic_init(&s->stop, 0);
	atomic_init(&s->accepted, 0);
	atomic_init(&s->hang_up, 1);
	cr_assert_eq(pthread_create(&s->tid, NULL, srv_main, s), 0);
}

void srv_stop(struct srv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->tid, NULL);
	close(s->lfd);
}
