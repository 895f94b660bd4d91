/* The power kernel: GMP's full power and its modular check. */
#include "powerkernel.h"

#include <gmp.h>

#define POWERKERNEL_MOD ((1ULL << 61) - 1)

static uint64_t mulmod(uint64_t a, uint64_t b)
{
	return (uint64_t)((unsigned __int128)a * b % POWERKERNEL_MOD);
}

uint64_t powerkernel_expect(unsigned long base, unsigned long exp)
{
	uint64_t r = 1, b = base % POWERKERNEL_MOD;
	for (; exp; exp >>= 1, b = mulmod(b, b))
		if (exp & 1)
			r = mulmod(r, b);
	return r;
}

bool powerkernel_run(unsigned long base, unsigned long exp, uint64_t expect)
{
	mpz_t r;
	mpz_init(r);
	mpz_ui_pow_ui(r, base, exp);
	uint64_t got = mpz_fdiv_ui(r, POWERKERNEL_MOD);
	mpz_clear(r);
	return got == expect;
}
