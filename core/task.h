/* The task interface, between workloads and runners: what a unit of work is,
 * independent of any concurrency model.
 *
 * A task is a short program of steps. A runner carries steps out in its own model:
 *
 *   step       serial / threads / procs     evloop                      green
 *   compute    call it                      call it (blocks the loop)   call it (no yield)
 *   sleep      nanosleep                    ev_timer                    ev_timer + switch to hub
 *   fetch      curl easy, blocking          curl multi on ev_io/timer   curl multi + switch to hub
 *   wait/post  semaphore of the model       counter + FIFO of waiters   counter + FIFO, switching
 *
 * Control flow is data too: every step ends with a status (task_next below says
 * where the task goes next), so a wait that times out can branch to a back-off
 * and a compute step can loop, without a runner knowing what the task means.
 * Adding a workload never touches a runner; adding a step kind touches every runner. */
#ifndef CB_TASK_H
#define CB_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum step_kind {
	STEP_COMPUTE, /* call fn(state, arg) on the runner's thread */
	STEP_SLEEP,   /* wait ns nanoseconds without using the CPU */
	STEP_FETCH,   /* one HTTP GET, checked against status and size */
	STEP_WAIT,    /* take one unit of semaphore `sem`, waiting at most timeout_ns */
	STEP_POST,    /* give one unit back to semaphore `sem` */
	STEP_KINDS
};

/* How a step ended. */
enum step_status {
	STEP_OK,   /* go on with the next step */
	STEP_ALT,  /* go to step.alt: a compute step's choice, or a wait that timed out */
	STEP_DONE, /* the task is finished, successfully */
	STEP_FAIL, /* the task failed; the runner records why (enum task_fail) */
};

/* Why a task failed; each reason is a counter in the trial's results. */
enum task_fail {
	FAIL_NONE,
	FAIL_CHECK,   /* a compute step found a wrong answer */
	FAIL_SPAWN,   /* the runner could not start a worker (fork, pthread_create, memory) */
	FAIL_DIED,    /* the worker running it died (signal, crash) */
	FAIL_CONNECT, /* fetch: connection refused or reset */
	FAIL_TIMEOUT, /* fetch: took longer than its timeout */
	FAIL_STATUS,  /* fetch: HTTP status other than expected */
	FAIL_BODY,    /* fetch: body of the wrong size */
	FAIL_FETCH,   /* fetch: any other transfer error */
	FAIL_BLOCKED, /* wait: would wait forever where nothing can post (serial; or what
		       * would post never started, its worker refused) */
	FAIL_REASONS
};

const char *task_fail_name(enum task_fail f);
const char *step_kind_name(enum step_kind k);

typedef enum step_status (*compute_fn)(void *state, const void *arg);

struct step {
	enum step_kind kind;
	int16_t alt; /* the step STEP_ALT jumps to */
	union {
		struct {
			compute_fn fn;
			const void *arg;
		} compute;
		struct {
			int64_t ns;
		} sleep;
		struct {
			const char *url;
			long status;     /* expected HTTP status */
			long bytes;      /* expected body size; -1: any */
			long timeout_ms; /* whole transfer; 0: none */
			long buffer;     /* the client's receive buffer in bytes; 0: the runner's choice */
		} fetch;
		struct {
			int sem;
			int64_t timeout_ns; /* < 0: wait for ever */
		} wait;
		struct {
			int sem;
		} post;
	};
};

struct task {
	const struct step *steps; /* usually shared by every task of a workload */
	int nsteps;
	void *state; /* the workload's per-task state, handed to compute steps */
};

/* Where a task goes after step pc ended with status s: the next pc, or one of these. */
enum { TASK_END = -1, TASK_FAILED = -2 };
static inline int task_next(const struct task *t, int pc, enum step_status s)
{
	switch (s) {
	case STEP_OK:
		return pc + 1 < t->nsteps ? pc + 1 : TASK_END;
	case STEP_ALT:
		return t->steps[pc].alt;
	case STEP_DONE:
		return TASK_END;
	case STEP_FAIL:
		break;
	}
	return TASK_FAILED;
}
/* Whether the task may fetch again after step pc: a fetch later in the program, or a
 * step at or after pc that may jump back (compute and wait steps carry an alt). */
bool task_may_fetch_after(const struct task *t, int pc);

/* A counting semaphore the tasks share; a lock is one with init 1. */
struct sem_decl {
	const char *name;
	int init;
};

struct taskset {
	struct task *tasks; /* ntasks of them, or one for all when alike */
	int ntasks;
	bool alike;         /* every task is tasks[0]: same steps, no state of its own */
	const struct sem_decl *sems;
	int nsems;
	void *priv; /* the workload's; freed by its release */
};

/* What a runner reports for each task. Times are seconds since the run began;
 * float, because at a million tasks every byte per task is paid in page faults. */
struct task_result {
	uint8_t done;   /* the runner finished with it, ok or not */
	uint8_t fail;   /* enum task_fail; FAIL_NONE when ok */
	float start_s, end_s;
};

/* A workload's tasks as the runners' floors do them by hand, for the cell's N and W.
 * The kind names the steps the work is made of:
 * - STEP_SLEEP: every task `steps` sleeps of sleep_ns in a row;
 * - STEP_WAIT: a ping-pong (waits and posts): tasks 2k and 2k+1 are a pair handing a
 *   token back and forth through two semaphores, 2k's starting with it, each task
 *   receiving it `rounds` times and checking it came in turn. */
struct floor_work {
	enum step_kind kind;
	int steps;
	int64_t sleep_ns;
	int rounds;
};

/* Helpers for workloads that give every task the same steps: a task each, for the
 * workload to give states or other steps to; or, alike, one task for all, so a
 * million of them cost the harness no memory per task. */
int taskset_alloc(struct taskset *ts, int ntasks, const struct step *steps, int nsteps,
		  struct cb_err *err);
int taskset_alloc_alike(struct taskset *ts, int ntasks, const struct step *steps, int nsteps,
			struct cb_err *err);

/* Task i of ts; every runner reads its tasks through this. */
static inline const struct task *taskset_task(const struct taskset *ts, int i)
{
	return &ts->tasks[ts->alike ? 0 : i];
}
void taskset_free(struct taskset *ts);

/* How many workers a run really uses: W, or N when W is 0 or above N. */
static inline int runner_workers(int ntasks, int workers)
{
	return (workers <= 0 || workers > ntasks) ? ntasks : workers;
}

#endif
