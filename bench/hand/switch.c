/* hand-switch ROUNDS: the hand-written counterpart of concbench's green and evloop
 * runners on a ping-pong (-w pingpong -n 2 -p pingpong.rounds=ROUNDS). Two fcontext
 * coroutines, each on a stack of its own, hand control straight to each other, ping
 * to pong and back, ROUNDS times: a hand-off is one fcontext_jump (runners/fcontext.h), nothing around it.
 *
 * Each side receives control ROUNDS times, as in the pingpong workload; ns_per_switch
 * is the span from ping's first receipt to its last, after pong's last, over the
 * 2 x ROUNDS hand-offs in it; wall_s runs from before the stacks are allocated to the
 * end. Prints one line:
 *   wall_s=0.01 rounds=1000000 switches=2000000 ns_per_switch=4.1 */
#include <stdio.h>
#include <stdlib.h>

#include "../../runners/fcontext.h"
#include "hand.h"

#define PROG "hand-switch"
#define STACK (64 * 1024)

static long rounds, got[2]; /* got[side]: times ping (0), pong (1) received control */
static fcontext_t host;     /* where ping goes when it is done */
static double t_first, t_last;

/* Pong: receives control from ping and hands it straight back, for ever; ping's last
 * jump goes to the host, so pong is left suspended and its stack simply freed. */
static void hand_pong(transfer_t t)
{
	for (;;) {
		got[1]++;
		t = fcontext_jump(t.fctx, NULL);
	}
}

static void hand_ping(transfer_t t)
{
	host = t.fctx;
	fcontext_t pong = t.data;
	got[0]++;
	t_first = hand_now();
	for (long i = 1; i < rounds; i++) {
		t = fcontext_jump(pong, NULL);
		pong = t.fctx;
		got[0]++;
	}
	fcontext_jump(pong, NULL); /* pong's last receipt, and back */
	t_last = hand_now();
	fcontext_jump(host, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return hand_usage(PROG " ROUNDS");
	if (!hand_number(argv[1], 1, HAND_MAX_ROUNDS, &rounds))
		return hand_refuse(PROG, "ROUNDS", argv[1], 1, HAND_MAX_ROUNDS);

	double t0 = hand_now();
	char *ping_stack = calloc(1, STACK), *pong_stack = calloc(1, STACK);
	if (!ping_stack || !pong_stack) {
		fprintf(stderr, PROG ": no memory for two stacks\n");
		free(ping_stack);
		free(pong_stack);
		return 1;
	}
	fcontext_t ping = make_fcontext(ping_stack + STACK, STACK, hand_ping);
	fcontext_t pong = make_fcontext(pong_stack + STACK, STACK, hand_pong);
	fcontext_jump(ping, pong);
	double t1 = hand_now();
	free(ping_stack);
	free(pong_stack);

	long switches = 2 * rounds;
	if (got[0] != rounds || got[1] != rounds) {
		fprintf(stderr, PROG ": ping got control %ld times, pong %ld, of %ld\n", got[0],
			got[1], rounds);
		return 1;
	}
	return hand_report(PROG, "wall_s=%.6f rounds=%ld switches=%ld ns_per_switch=%.2f",
			   t1 - t0, rounds, switches,
			   (t_last - t_first) * 1e9 / (double)switches) ? 0 : 1;
}
