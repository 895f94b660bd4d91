/* The serial orders of a set of withdrawals from one balance: where a correct,
 * one-at-a-time run of them can end. Task i withdraws amounts[i % namounts]; in a
 * serial order a withdrawal is granted when the balance left covers it. */
#ifndef CB_BANKORDER_H
#define CB_BANKORDER_H

#include <stdint.h>

#include "err.h"

#define BANKORDER_MAX 100000     /* balances and amounts; bounds the search's memory */
#define BANKORDER_AMOUNTS_MAX 64

/* The balance some serial order of ntasks withdrawals from balance ends at that is
 * nearest to x (x itself when none is, or when memory fails: then err says so).
 * balance and every amount in 0..BANKORDER_MAX, namounts in 1..BANKORDER_AMOUNTS_MAX. */
int64_t bankorder_nearest(int64_t balance, const int64_t *amounts, int namounts, int ntasks,
			  int64_t x, struct cb_err *err);

#endif
