/* The limit on open descriptors: a client needs one per connection. */
#ifndef CB_FDLIMIT_H
#define CB_FDLIMIT_H

/* Raises this process's soft RLIMIT_NOFILE to its hard limit; the runners and peers
 * it forks inherit it. Nothing happens where it may not be raised. */
void fdlimit_raise(void);

#endif
