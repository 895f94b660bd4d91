/* The busy countdown, shared with its tests. */
#ifndef CB_COUNTDOWN_H
#define CB_COUNTDOWN_H

#include <stdint.h>

/* Counts n down to 0, one decrement per iteration, and returns what is left (0). */
uint64_t countdown_spin(uint64_t n);

#endif
