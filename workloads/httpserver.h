/* The local delay server, concbench-httpd, as a child of this process: started, its
 * port read from its first line, stopped. What the http workload starts when it is
 * given no URL; the driver reaches it only through the workload's start and finish. */
#ifndef CB_HTTPSERVER_H
#define CB_HTTPSERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct httpserver {
	pid_t pid; /* while it runs, else 0 */
	int port;  /* where it listens on 127.0.0.1, while it runs */
};

/* Starts it and waits until it accepts connections; on an error nothing is left
 * running. A server already running is kept. */
int httpserver_start(struct httpserver *s, struct cb_err *err);
/* SIGTERM, then SIGKILL if it is not gone within 2 s; safe when it is not running. */
void httpserver_stop(struct httpserver *s);
/* Its binary: $CONCBENCH_HTTPD, else beside the build's concbench. Its sibling tools
 * (concbench-burst) live in the same folder. */
void httpserver_path(char *buf, size_t len);

#endif
