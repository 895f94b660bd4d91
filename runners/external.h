/* The external-runner interface: a program of its own (a peer, in Python, Go or Node)
 * that carries out the workloads it re-implements, given by name. The harness asks it
 * which workloads it runs (`PROGRAM --list`), starts it with a command line and reads
 * the one result line it prints; peers/README.md is the protocol. It runs in the trial
 * child as a child the trial child reaps, so wait4 counts its CPU time, peak RSS and
 * context switches exactly as a step runner's. */
#ifndef CB_EXTERNAL_H
#define CB_EXTERNAL_H

#include <stddef.h>

#include "err.h"
#include "task.h"

struct external {
	const char *name;        /* its runner's, for messages */
	const char *interpreter; /* runs the program; NULL: the program is an executable */
	/* Below $CONCBENCH_PEERS_DIR, or else the source tree's peers/ (the build dir's
	 * peers/ for an executable, which the build makes). */
	const char *program;
	const char *module;      /* a module the interpreter must import, or NULL */
	const char *install;     /* what to install when something it needs is missing */
};

/* One run, as the program gets it on its command line. */
struct external_job {
	const char *workload;    /* by name */
	const char *params;      /* every parameter of the workload, "k=v;k=v" */
	int ntasks, workers;     /* workers 0: all at once */
	const char *const *urls; /* one per fetch step of a task, in order */
	int nurls;
};

/* What it reported: counts, not tasks. */
struct external_result {
	double wall_s;       /* its own wall time of the run; < 0 when it gave none */
	int ok;              /* tasks that succeeded; the other ones failed at their work */
	enum task_fail lost; /* FAIL_NONE when it reported; else what befell every task */
};

/* Whether it can run here (interpreter, program, module); the message says what to
 * install. */
int external_available(const struct external *x, struct cb_err *err);

/* At plan time: whether it runs the workload so named, by the list the program itself
 * declares (asked once per process); CB_EINVAL naming that list, or why there is none. */
int external_check_workload(const struct external *x, const char *workload,
			    struct cb_err *err);

/* Runs the job to the program's end and fills *res, always. CB_OK whenever *res is a
 * result, even one of a program that failed: err->msg then says how. */
int external_run(const struct external *x, const struct external_job *job,
		 struct external_result *res, struct cb_err *err);

/* Where the program is looked for (see struct external). */
void external_program(const struct external *x, char *buf, size_t len);

#endif
