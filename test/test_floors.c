/* The runners' floors for a hand-off (floor_work STEP_WAIT, the pingpong workload's):
 * threads and procs hand the token by hand as often as the cell does, refuse what they
 * cannot do with a reason, and end when a worker is refused; the others have none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "workload.h"

static const struct runner *fl_runner(const char *name)
{
	const struct runner *rn = runner_find(name);
	cr_assert(rn && rn->floor, "%s is not registered with a floor", name);
	return rn;
}

/* The pingpong workload's own floor_work, for `rounds`. */
static struct floor_work fl_pingpong(int rounds)
{
	const struct workload *wl = workload_find("pingpong");
	cr_assert(wl && wl->floor_work, "pingpong has no floor_work");
	char v[16];
	snprintf(v, sizeof v, "%d", rounds);
	struct params p;
	struct cb_err err = {0};
	void *cfg = NULL;
	cr_assert_eq(params_init(&p, wl->name, wl->params, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(params_set(&p, "rounds", v, &err), CB_OK, "%s", err.msg);
	cr_assert_eq(wl->configure(&p, &cfg, &err), CB_OK, "%s", err.msg);
	struct floor_work fw;
	cr_assert(wl->floor_work(cfg, &fw));
	wl->config_free(cfg);
	params_free(&p);
	cr_assert_eq(fw.kind, STEP_WAIT);
	cr_assert_eq(fw.rounds, rounds);
	return fw;
}

/* Voluntary context switches so far: this process's threads, or its reaped children. */
static long fl_switches(int who)
{
	struct rusage ru;
	cr_assert_eq(getrusage(who, &ru), 0);
	return ru.ru_nvcsw;
}

/* Every receipt after a pair's first waits for the other side to post: the floor checks
 * itself that the token came in turn (rc), and no side blocks more than once a wait plus
 * the workers' start and end (twice as many would be the work of another cell). How
 * few block has no bound: with each side on a core of its own a wait often finds its
 * post already there (1 of 1,999 hand-offs blocked in one run here), so only the upper
 * bound is checked. */
Test(floors, threads_and_procs_hand_the_token_off)
{
	static const char *const names[] = {"threads", "procs"};
	static const int sizes[] = {2, 4}, rounds[] = {1, 2, 1000};
	for (size_t r = 0; r < 2; r++) {
		const struct runner *rn = fl_runner(names[r]);
		int who = strcmp(names[r], "procs") == 0 ? RUSAGE_CHILDREN : RUSAGE_SELF;
		for (size_t n = 0; n < 2; n++)
			for (size_t k = 0; k < 3; k++) {
				struct floor_work fw = fl_pingpong(rounds[k]);
				struct params rp;
				struct cb_err err = {0};
				cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
				long before = fl_switches(who);
				int rc = rn->floor(&rp, &fw, sizes[n], 0, &err);
				long handoffs = (2L * rounds[k] - 1) * sizes[n] / 2;
				long blocked = fl_switches(who) - before;
				cr_expect_eq(rc, CB_OK, "%s N=%d rounds=%d: %s", rn->name, sizes[n],
					     rounds[k], err.msg);
				if (rounds[k] > 1) {
					cr_expect_leq(blocked, handoffs + 4 * sizes[n] + 16, "%s N=%d rounds=%d: "
						      "%ld blocked for %ld hand-offs", rn->name, sizes[n],
						      rounds[k], blocked, handoffs);
				}
				params_free(&rp);
			}
	}
}

/* W below N: the workers take the pairs in turn, as the runner's do; one worker can
 * only do a single round (the cell waits for ever past it), which has no floor. */
Test(floors, fewer_workers_than_tasks)
{
	static const char *const names[] = {"threads", "procs"};
	for (size_t r = 0; r < 2; r++) {
		const struct runner *rn = fl_runner(names[r]);
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
		struct floor_work fw = fl_pingpong(1000);
		cr_expect_eq(rn->floor(&rp, &fw, 6, 3, &err), CB_OK, "%s W=3: %s", rn->name, err.msg);
		cr_expect_eq(rn->floor(&rp, &fw, 4, 2, &err), CB_OK, "%s W=2: %s", rn->name, err.msg);
		fw = fl_pingpong(1);
		cr_expect_eq(rn->floor(&rp, &fw, 4, 1, &err), CB_OK, "%s W=1, one round: %s",
			     rn->name, err.msg);
		params_free(&rp);
	}
}

/* What a floor does not cover it refuses, naming itself and the reason, so the cell's
 * column stays empty rather than compare against other work. */
Test(floors, what_has_no_hand_off_floor_is_refused)
{
	static const struct {
		const char *runner;
		int ntasks, workers, rounds;
		const char *says;
	} cases[] = {
		{"threads", 3, 0, 10, "3 tasks"},
		{"procs", 3, 0, 10, "3 tasks"},
		{"threads", 0, 0, 10, "0 tasks"},
		{"threads", 2, 1, 2, "W 1 and 2 rounds"},
		{"procs", 4, 1, 2, "W 1 and 2 rounds"},
		{"serial", 2, 1, 1, "no floor for wait steps"},
		{"evloop", 2, 0, 10, "no floor for wait steps"},
		{"green", 2, 0, 10, "no floor for wait steps"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct runner *rn = fl_runner(cases[i].runner);
		struct floor_work fw = fl_pingpong(cases[i].rounds);
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
		cr_expect_eq(rn->floor(&rp, &fw, cases[i].ntasks, cases[i].workers, &err), CB_EINVAL,
			     "%s N=%d W=%d: %s", rn->name, cases[i].ntasks, cases[i].workers, err.msg);
		cr_expect(strstr(err.msg, cases[i].runner) && strstr(err.msg, cases[i].says),
			  "%s: '%s' does not say '%s'", rn->name, err.msg, cases[i].says);
		params_free(&rp);
	}
}

/* A worker refused mid-way leaves sides waiting for partners that never start: the
 * floor wakes and ends them and says so, rather than hang. In a child under a limit
 * that stops it after a few workers: 40 MiB of address space above what it maps for
 * threads (8 MiB stacks), processes of a uid of its own for fork (as root; else none
 * at all). The rounds are many, so the pairs made are still playing when it happens. */
Test(floors, a_refused_worker_ends_the_floor, .timeout = 60)
{
	static const char *const names[] = {"threads", "procs"};
	for (size_t r = 0; r < 2; r++) {
		const struct runner *rn = fl_runner(names[r]);
		struct floor_work fw = fl_pingpong(1000000);
		struct params rp;
		struct cb_err err = {0};
		cr_assert_eq(params_init(&rp, rn->name, rn->params, &err), CB_OK);
		fflush(NULL);
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			struct rlimit rl;
			if (r == 0) {
				getrlimit(RLIMIT_AS, &rl);
				FILE *f = fopen("/proc/self/statm", "r");
				long pages = 0;
				if (!f || fscanf(f, "%ld", &pages) != 1)
					_exit(4);
				fclose(f);
				rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (40 << 20);
				if (setrlimit(RLIMIT_AS, &rl) != 0)
					_exit(5);
			} else {
				bool root = geteuid() == 0;
				if (root && (setgid(2000000000u + (unsigned)getpid()) != 0 ||
					     setuid(2000000000u + (unsigned)getpid()) != 0))
					_exit(4);
				rl.rlim_cur = rl.rlim_max = root ? 6 : 0;
				if (setrlimit(RLIMIT_NPROC, &rl) != 0)
					_exit(5);
			}
			int rc = rn->floor(&rp, &fw, 40, 0, &err);
			_exit(rc == CB_ELIMIT && strstr(err.msg, "refused") ? 0 : 6);
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "%s: the refused floor's child ended with status %#x", rn->name, status);
		params_free(&rp);
	}
}
