/* The busy countdown. */
#include "spin.h"

/* The empty asm takes n in a register and claims to change it, so the compiler
 * can neither fold the loop into `n = 0` nor vectorise or unroll it away: every
 * iteration is a real decrement and branch, about one cycle each. noinline keeps
 * the caller from seeing a constant n. */
__attribute__((noinline)) uint64_t spin_countdown(uint64_t n)
{
	while (n > 0) {
		n--;
		__asm__ volatile("" : "+r"(n));
	}
	return n;
}
