/* hand-semping ROUNDS: the hand-written counterpart of concbench's threads runner on a
 * ping-pong (-w pingpong -n 2 -p pingpong.rounds=ROUNDS -r threads). Two pthreads hand
 * a token back and forth through two POSIX semaphores (sem_t, sem_wait / sem_post, as
 * runners/semset.c has them; here process-private, as a threads program would make
 * them, where semset makes them process-shared for every blocking model alike).
 * Ping's semaphore starts with the token; each side waits on its own, counts, posts
 * the other's, ROUNDS times. Every wait is bounded (HAND_WAIT_S).
 *
 * us_per_handoff is the span from the first side's start to the last side's end over
 * the hand-offs, every receipt of the token but ping's first (2 x ROUNDS - 1), as the
 * pingpong workload's ns_per_switch is; wall_s runs from before the semaphores and
 * threads are made until both are joined. Prints one line:
 *   wall_s=0.6 rounds=20000 switches=39999 us_per_handoff=15.2 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "hand.h"

#define PROG "hand-semping"

static atomic_bool stop; /* pong could not be made: ping ends at its next receipt */

struct hand_side {
	sem_t *mine, *other;
	long rounds, got;
	double start, end;
};

static void *hand_side(void *arg)
{
	struct hand_side *s = arg;
	s->start = hand_now();
	for (; s->got < s->rounds && hand_sem_wait(s->mine) && !atomic_load(&stop); s->got++)
		sem_post(s->other);
	s->end = hand_now();
	return NULL;
}

int main(int argc, char **argv)
{
	long rounds;
	if (argc != 2)
		return hand_usage(PROG " ROUNDS");
	if (!hand_number(argv[1], 1, HAND_MAX_ROUNDS, &rounds))
		return hand_refuse(PROG, "ROUNDS", argv[1], 1, HAND_MAX_ROUNDS);

	double t0 = hand_now();
	sem_t sem[2];
	if (sem_init(&sem[0], 0, 1) != 0 || sem_init(&sem[1], 0, 0) != 0) {
		perror(PROG ": sem_init");
		return 1;
	}
	struct hand_side side[2] = {{&sem[0], &sem[1], rounds, 0, 0, 0},
				    {&sem[1], &sem[0], rounds, 0, 0, 0}};
	pthread_t th[2];
	int made = 0, rc = 0;
	while (made < 2 && (rc = pthread_create(&th[made], NULL, hand_side, &side[made])) == 0)
		made++;
	if (made == 1) {
		atomic_store(&stop, true);
		sem_post(&sem[0]);
	}
	for (int i = 0; i < made; i++)
		pthread_join(th[i], NULL);
	double t1 = hand_now();
	sem_destroy(&sem[0]);
	sem_destroy(&sem[1]);

	if (made < 2) {
		fprintf(stderr, PROG ": pthread_create: error %d\n", rc);
		return 1;
	}
	if (side[0].got != rounds || side[1].got != rounds) {
		fprintf(stderr, PROG ": ping got the token %ld times, pong %ld, of %ld (a wait "
			"timed out after %d s)\n", side[0].got, side[1].got, rounds, HAND_WAIT_S);
		return 1;
	}
	long switches = 2 * rounds - 1;
	double span = (side[0].end > side[1].end ? side[0].end : side[1].end) -
		      (side[0].start < side[1].start ? side[0].start : side[1].start);
	return hand_report(PROG, "wall_s=%.6f rounds=%ld switches=%ld us_per_handoff=%.3f",
			   t1 - t0, rounds, switches, span * 1e6 / (double)switches) ? 0 : 1;
}
