/* The power kernel the power workload and task files' `compute power` share: base^exp
 * in full with GMP (the luminousmen article's cpu_bound work), checked against
 * base^exp mod 2^61-1 found by square-and-multiply, so a wrong result is a failed
 * task, not a fast one. */
#ifndef CB_POWERKERNEL_H
#define CB_POWERKERNEL_H

#include <stdbool.h>
#include <stdint.h>

/* base^exp mod 2^61-1: what a run's power must reduce to (at plan time). */
uint64_t powerkernel_expect(unsigned long base, unsigned long exp);
/* Computes base^exp in full and reports whether it reduces to expect. */
bool powerkernel_run(unsigned long base, unsigned long exp, uint64_t expect);

#endif
