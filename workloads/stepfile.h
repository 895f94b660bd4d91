/* The task file: a task written by hand, one step a line, parsed into a program the
 * steps workload (steps.c) turns into core/task.h steps. The parser knows no runner
 * and runs nothing: what it makes is plain data, so it is tested on its own.
 *
 *   sem NAME init=K                 account NAME balance=B
 *   compute countdown n=N           compute power base=B exp=E
 *   compute memwalk bytes=N         compute spin us=U
 *   compute plugin so=LIB fn=NAME [arg="..."]   (your function: core/concbench_plugin.h)
 *   sleep ms=M                      fetch delay_ms=D [bytes=N] [timeout_ms=T]
 *   fetch url=URL [status=S] [bytes=N] [timeout_ms=T]
 *   wait NAME [timeout_ms=T]        post NAME
 *   repeat K ... end                check NAME amounts=A,B,... ... end   (inside: subtract NAME)
 *
 * Blocks nest; `#` starts a comment; a value in double quotes may hold blanks and '#'. Every error is "file:line: ..." with what is
 * allowed. The README's "Task files" section is the user's manual. */
#ifndef CB_STEPFILE_H
#define CB_STEPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SF_STEPS_MAX 4096 /* steps a program may hold (core/task.h's alt is 16 bits) */
#define SF_SEMS_MAX 64
#define SF_DEPTH_MAX 16   /* blocks inside blocks */
#define SF_AMOUNTS_MAX 64
#define SF_NAME_MAX 32
#define SF_PLUGINS_MAX 16 /* compute plugin lines a file may hold */
#define SF_FILE_MAX (1 << 20)

/* What a step of the program does. The first ones are written by the user; the parser
 * adds SF_AGAIN at a repeat's end, and SF_END / SF_FAIL as jump targets. */
enum sf_op {
	SF_COUNTDOWN, /* n: iterations */
	SF_POWER,     /* base^exp with GMP, checked */
	SF_MEMWALK,   /* n: bytes of the task's buffer written and read back, checked */
	SF_SPIN,      /* n: nanoseconds of the thread's CPU time */
	SF_PLUGIN,    /* plugin.*: a function of the user's library; n: its index among them */
	SF_SLEEP,     /* n: nanoseconds */
	SF_FETCH,     /* fetch.*: the local server's delay and size, or a URL */
	SF_WAIT,      /* sem; n: time-out in ns, < 0 for ever; alt: the fail step */
	SF_POST,      /* sem */
	SF_CHECK,     /* account, amounts; alt: the step after its block */
	SF_SUBTRACT,  /* account: the amount its check granted */
	SF_AGAIN,     /* n: times its block runs; counter: its count; alt: the block's start */
	SF_END,       /* the task is done (a jump past the last step lands here) */
	SF_FAIL,      /* the task failed (a wait that timed out lands here) */
	SF_OPS
};

struct sf_fetch {
	char *url;        /* NULL: the local delay server, known once it runs */
	long delay_ms;    /* the local server's wait */
	long bytes;       /* the size sent (local) or expected (URL); -1: any */
	long status;      /* expected HTTP status */
	long timeout_ms;  /* the whole transfer */
};

/* A compute plugin line as written: the loader (pluginload.h) opens it. */
struct sf_plugin {
	char *so;  /* the library, as written (relative: to the task file's folder) */
	char *fn;
	char *arg; /* "" when not given */
};

struct sf_step {
	enum sf_op op;
	int line; /* the line it came from; 0 for the ones the parser added */
	int alt;  /* see enum sf_op */
	int counter;
	int sem, account;
	int64_t n;
	unsigned long base, exp;
	uint64_t expect; /* power: base^exp mod 2^61-1, what the answer is checked against */
	int64_t amounts[SF_AMOUNTS_MAX];
	int namounts;
	struct sf_fetch fetch;
	struct sf_plugin plugin;
};

struct sf_sem {
	char name[SF_NAME_MAX];
	int init;
};

struct sf_account {
	char name[SF_NAME_MAX];
	int64_t balance;
};

struct stepfile {
	struct sf_step *steps;
	int nsteps;
	struct sf_sem sems[SF_SEMS_MAX];
	int nsems;
	struct sf_account account; /* valid when has_account */
	bool has_account;
	int ncounters;     /* repeat counters a task keeps */
	int nplugins;      /* compute plugin steps */
	int64_t walk_max;  /* the largest memwalk: the size of a task's buffer */
};

/* Reads and parses the file at path; on an error sf holds nothing. */
int stepfile_load(struct stepfile *sf, const char *path, struct cb_err *err);
/* Parses text as the file named name (for errors); on an error sf holds nothing. */
int stepfile_parse(struct stepfile *sf, const char *name, const char *text, struct cb_err *err);
void stepfile_free(struct stepfile *sf);

/* Whether a task needs a state of its own: a repeat's counters, a buffer, a check. */
bool stepfile_per_task(const struct stepfile *sf);
/* What one task takes with nothing in its way, in seconds: its waits (sleeps, local
 * fetch delays) and its spins, repeats multiplied out; *cpu_s the spins alone. < 0 when
 * some step's time is not known (a countdown, a URL, a wait on a semaphore, a check). */
double stepfile_task_s(const struct stepfile *sf, double *cpu_s);

const char *sf_op_name(enum sf_op op);

#endif
