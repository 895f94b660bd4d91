/* A throwaway HTTP/1.1 server for the runner tests: 127.0.0.1 on a free port, one
 * thread, poll, keep-alive, "hello" to every request; it counts the connections it
 * accepted. It stops after 30 s at the latest, so a failed test cannot leave it. */
#ifndef CB_TESTSRV_H
#define CB_TESTSRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define SRV_BODY "hello"

struct srv {
	int lfd, port;
	atomic_int stop, accepted;
	atomic_int hang_up; /* set: each connection is closed after its first answer, with
			     * no "Connection: close" said (an idle timeout, as servers have) */
	pthread_t tid;
};

void srv_start(struct srv *s);
void srv_start_hanging_up(struct srv *s);
void srv_stop(struct srv *s);
/* A socket bound to a free port of 127.0.0.1; listening unless `closed`, then the
 * port is free again and connecting to it is refused. */
int srv_port(int *fd, bool closed);

#endif
