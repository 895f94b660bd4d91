/* hand-procping ROUNDS: the hand-written counterpart of concbench's procs runner on a
 * ping-pong (-w pingpong -n 2 -p pingpong.rounds=ROUNDS -r procs). Two processes, this
 * one and a forked child, hand a token back and forth through two process-shared
 * POSIX semaphores in a MAP_SHARED mapping: what the procs runner's workers use for a
 * workload's semaphores (runners/semset.c; its pipe carries only the results).
 * Ping's semaphore starts with the token; each side waits on its own, counts, posts
 * the other's, ROUNDS times. Every wait is bounded (HAND_WAIT_S); the child is reaped
 * on every path, and dies with this process (PR_SET_PDEATHSIG).
 *
 * us_per_handoff is the span from the first side's start to the last side's end over
 * the hand-offs, every receipt of the token but ping's first (2 x ROUNDS - 1), as the
 * pingpong workload's ns_per_switch is; wall_s runs from before the mapping is made
 * until the child is reaped. Prints one line:
 *   wall_s=0.6 rounds=20000 switches=39999 us_per_handoff=15.2 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hand.h"

#define PROG "hand-procping"

struct hand_side {
	long got;
	double start, end;
};

/* What both processes see. */
struct hand_shared {
	sem_t sem[2]; /* [0]: ping's, [1]: pong's */
	struct hand_side side[2];
};

static void hand_play(struct hand_shared *sh, int me, long rounds)
{
	struct hand_side *s = &sh->side[me];
	s->start = hand_now();
	for (; s->got < rounds && hand_sem_wait(&sh->sem[me]); s->got++)
		sem_post(&sh->sem[!me]);
	s->end = hand_now();
}

int main(int argc, char **argv)
{
	long rounds;
	if (argc != 2)
		return hand_usage(PROG " ROUNDS");
	if (!hand_number(argv[1], 1, HAND_MAX_ROUNDS, &rounds))
		return hand_refuse(PROG, "ROUNDS", argv[1], 1, HAND_MAX_ROUNDS);

	double t0 = hand_now();
	struct hand_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror(PROG ": mmap");
		return 1;
	}
	if (sem_init(&sh->sem[0], 1, 1) != 0 || sem_init(&sh->sem[1], 1, 0) != 0) {
		perror(PROG ": sem_init");
		munmap(sh, sizeof *sh);
		return 1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		hand_play(sh, 1, rounds);
		_exit(sh->side[1].got == rounds ? 0 : 3);
	}
	int status = 0, fork_errno = errno;
	if (pid > 0) {
		hand_play(sh, 0, rounds);
		if (sh->side[0].got != rounds)
			kill(pid, SIGKILL); /* ping gave up: pong may still wait */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	double t1 = hand_now();
	struct hand_side a = sh->side[0], b = sh->side[1];
	sem_destroy(&sh->sem[0]);
	sem_destroy(&sh->sem[1]);
	munmap(sh, sizeof *sh);

	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(fork_errno));
		return 1;
	}
	if (a.got != rounds || b.got != rounds ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, PROG ": ping got the token %ld times, pong %ld, of %ld; the child "
			"%s %d\n", a.got, b.got, rounds,
			WIFEXITED(status) ? "exited" : "was killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return 1;
	}
	long switches = 2 * rounds - 1;
	double span = (a.end > b.end ? a.end : b.end) - (a.start < b.start ? a.start : b.start);
	return hand_report(PROG, "wall_s=%.6f rounds=%ld switches=%ld us_per_handoff=%.3f",
			   t1 - t0, rounds, switches, span * 1e6 / (double)switches) ? 0 : 1;
}
