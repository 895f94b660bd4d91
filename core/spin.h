/* The busy countdown: the articles' CPU-bound loop, which the countdown and stall
 * workloads compute and the driver times for the machine's speed and capacity. */
#ifndef CB_SPIN_H
#define CB_SPIN_H

#include <stdint.h>

/* Counts n down to 0, one decrement per iteration, and returns what is left (0). */
uint64_t spin_countdown(uint64_t n);

#endif
