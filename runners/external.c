/* External runners: where the program is, whether it can run, and one run of it by the
 * protocol (peers/README.md): its command line, its result line, the verdict. */
#include "external.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "extproc.h"
#include "pyimport.h"

#if !defined(CB_PEERS_DIR) || !defined(CB_PEERS_BUILD_DIR)
#error "CB_PEERS_DIR and CB_PEERS_BUILD_DIR come from runners/meson.build"
#endif

#define EXTERNAL_RESULT "concbench-peer "

void external_program(const struct external *x, char *buf, size_t len)
{
	const char *dir = getenv("CONCBENCH_PEERS_DIR");
	if (!dir || !*dir)
		dir = x->interpreter ? CB_PEERS_DIR : CB_PEERS_BUILD_DIR;
	snprintf(buf, len, "%s/%s", dir, x->program);
}

int external_available(const struct external *x, struct cb_err *err)
{
	char prog[PATH_MAX];
	external_program(x, prog, sizeof prog);
	if (x->interpreter && access(x->interpreter, X_OK) != 0)
		return cb_fail(err, CB_ESYS, "%s needs %s (apt-get install %s)", x->name,
			       x->interpreter, x->install);
	if (access(prog, x->interpreter ? R_OK : X_OK) != 0)
		return x->interpreter ? cb_fail(err, CB_ESYS, "%s: %s is missing (CONCBENCH_PEERS_DIR "
						"should name the source tree's peers/ folder)",
						x->name, prog)
				      : cb_fail(err, CB_ESYS, "%s: %s is not built (apt-get install %s)",
						x->name, prog, x->install);
	if (x->module && !pyimport_ok(x->interpreter, x->module))
		return cb_fail(err, CB_ESYS, "%s: %s cannot import %s (apt-get install %s)", x->name,
			       x->interpreter, x->module, x->install);
	return CB_OK;
}

/* argv: interpreter, program, the protocol's options, one --url per fetch. */
static char **job_argv(const struct external *x, const struct external_job *job, char *prog,
		       char *tasks, char *workers)
{
	int n = 0;
	char **argv = calloc((size_t)(12 + 2 * job->nurls), sizeof *argv);
	if (!argv)
		return NULL;
	if (x->interpreter)
		argv[n++] = (char *)x->interpreter;
	argv[n++] = prog;
	argv[n++] = "--workload";
	argv[n++] = (char *)job->workload;
	argv[n++] = "--params";
	argv[n++] = (char *)(job->params ? job->params : "");
	argv[n++] = "--tasks";
	argv[n++] = tasks;
	argv[n++] = "--workers";
	argv[n++] = workers;
	for (int i = 0; i < job->nurls; i++) {
		argv[n++] = "--url";
		argv[n++] = (char *)job->urls[i];
	}
	return argv;
}

/* Judges its end and its result line. */
static void verdict(const struct external *x, const struct external_job *job,
		    const struct extproc *p, struct external_result *res, struct cb_err *err)
{
	char how[EXTPROC_LINE_MAX + 64];
	int ok = -1, failed = -1, end = 0;
	double wall = -1;
	extproc_end(p, how, sizeof how);
	if (how[0]) {
		cb_fail(err, CB_OK, "%s: the peer %s", x->name, how);
	} else if (sscanf(p->line, EXTERNAL_RESULT "wall_s=%lf ok=%d failed=%d%n", &wall, &ok,
			  &failed, &end) != 3 || p->line[end] != '\0' || !isfinite(wall) ||
		   wall < 0 || ok < 0 || failed < 0 || ok + failed != job->ntasks) {
		cb_fail(err, CB_OK, "%s: the peer's result line '%s' is not "
			"'" EXTERNAL_RESULT "wall_s=<s> ok=<n> failed=<n>' with n summing to %d",
			x->name, p->line, job->ntasks);
	} else {
		*res = (struct external_result){.wall_s = wall, .ok = ok, .lost = FAIL_NONE};
	}
}

int external_run(const struct external *x, const struct external_job *job,
		 struct external_result *res, struct cb_err *err)
{
	*res = (struct external_result){.wall_s = -1, .lost = FAIL_DIED};
	char prog[PATH_MAX], tasks[16], workers[16];
	external_program(x, prog, sizeof prog);
	snprintf(tasks, sizeof tasks, "%d", job->ntasks);
	snprintf(workers, sizeof workers, "%d", job->workers);
	char **argv = job_argv(x, job, prog, tasks, workers);
	if (!argv)
		return cb_fail(err, CB_ELIMIT, "%s: no memory for its arguments", x->name);
	/* No time limit of its own: the trial's time-out kills it with the trial. */
	struct extproc p = {.prefix = EXTERNAL_RESULT};
	int rc = extproc_run(argv, &p, err);
	free(argv);
	if (rc) {
		/* It could not be started: a result, as when threads or procs hit a limit. */
		char why[sizeof err->msg];
		cb_copy(why, err->msg, sizeof why);
		cb_fail(err, CB_OK, "%s: %s", x->name, why);
		res->lost = FAIL_SPAWN;
		return CB_OK;
	}
	verdict(x, job, &p, res, err);
	return CB_OK;
}
