/* Peers: Python, Go and Node programs that carry out the same workloads, run as
 * runners. One generic run spawns the program and reads the one result line it
 * prints (the protocol is in peers/README.md). The program is a child of the
 * trial child, which reaps it, so the driver's wait4 counts its CPU time, peak
 * RSS and context switches exactly as for a C runner. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#if !defined(CB_PEERS_DIR) || !defined(CB_PEERS_BUILD_DIR)
#error "CB_PEERS_DIR and CB_PEERS_BUILD_DIR come from runners/meson.build"
#endif

#define PEER_LINE_MAX 512
#define PEER_RESULT "concbench-peer "
#define PEER_PYTHON "/usr/bin/python3"
#define PEER_NODE "/usr/bin/node"

enum peer_id { PEER_PY_SERIAL, PEER_PY_THREADS, PEER_PY_PROCS, PEER_PY_ASYNCIO,
	       PEER_PY_GEVENT, PEER_GO, PEER_NODE_JS, PEER_COUNT };

/* How to start one peer and what it needs. */
struct peer_def {
	const char *name;
	const char *interp;  /* runs `program`; NULL: the program is an executable */
	const char *program; /* below the peers source dir, or the build dir when built */
	bool built;          /* made by the build (peers/meson.build), not a source file */
	const char *module;  /* a Python module it imports beyond the stdlib, or NULL */
	const char *install; /* the Debian package that brings what is missing */
};

static const struct peer_def peer_defs[PEER_COUNT] = {
	[PEER_PY_SERIAL] = {"py-serial", PEER_PYTHON, "python/peer_serial.py", false, NULL,
			    "python3"},
	[PEER_PY_THREADS] = {"py-threads", PEER_PYTHON, "python/peer_threads.py", false, NULL,
			     "python3"},
	[PEER_PY_PROCS] = {"py-procs", PEER_PYTHON, "python/peer_procs.py", false, NULL,
			   "python3"},
	[PEER_PY_ASYNCIO] = {"py-asyncio", PEER_PYTHON, "python/peer_asyncio.py", false,
			     "aiohttp", "python3-aiohttp"},
	[PEER_PY_GEVENT] = {"py-gevent", PEER_PYTHON, "python/peer_gevent.py", false, "gevent",
			    "python3-gevent"},
	[PEER_GO] = {"go", NULL, "concbench-peer-go", true, NULL,
		     "golang-go, then re-run meson setup and ninja"},
	[PEER_NODE_JS] = {"node", PEER_NODE, "node/peer.js", false, NULL, "nodejs"},
};

static const char *const peer_workloads[] = {"countdown", "power", "sleep", "http", NULL};

/* One of the peer's output streams, cut into lines. */
struct peer_stream {
	int fd;
	bool out;                  /* stdout: keep result lines; stderr: keep any line */
	char line[PEER_LINE_MAX];  /* the line being read */
	size_t len;
	char kept[PEER_LINE_MAX];  /* the last line worth keeping */
};

static void peer_program(const struct peer_def *d, char *buf, size_t len)
{
	const char *dir = getenv("CONCBENCH_PEERS_DIR");
	if (!dir || !*dir)
		dir = d->built ? CB_PEERS_BUILD_DIR : CB_PEERS_DIR;
	snprintf(buf, len, "%s/%s", dir, d->program);
}

/* Whether `python3 -c "import m"` succeeds; asked once per process and peer. */
static bool peer_module_ok(enum peer_id id)
{
	static signed char known[PEER_COUNT]; /* 0: not asked yet, 1: there, -1: missing */
	if (known[id])
		return known[id] > 0;
	char code[64];
	snprintf(code, sizeof code, "import %s", peer_defs[id].module);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execl(PEER_PYTHON, PEER_PYTHON, "-c", code, (char *)NULL);
		_exit(127);
	}
	int status = 1;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	known[id] = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : -1;
	return known[id] > 0;
}

static int peer_check(enum peer_id id, struct cb_err *err)
{
	const struct peer_def *d = &peer_defs[id];
	char prog[PATH_MAX];
	peer_program(d, prog, sizeof prog);
	if (d->interp && access(d->interp, X_OK) != 0)
		return cb_fail(err, CB_ESYS, "%s needs %s (apt-get install %s)", d->name, d->interp,
			       d->install);
	if (access(prog, d->interp ? R_OK : X_OK) != 0)
		return d->built ? cb_fail(err, CB_ESYS, "%s: %s is not built (apt-get install %s)",
					  d->name, prog, d->install)
				: cb_fail(err, CB_ESYS, "%s: %s is missing (CONCBENCH_PEERS_DIR "
					  "should name the source tree's peers/ folder)", d->name, prog);
	if (d->module && !peer_module_ok(id))
		return cb_fail(err, CB_ESYS, "%s: %s cannot import %s (apt-get install %s)",
			       d->name, PEER_PYTHON, d->module, d->install);
	return CB_OK;
}

static bool peer_supports(const char *workload)
{
	for (int i = 0; workload && peer_workloads[i]; i++)
		if (strcmp(peer_workloads[i], workload) == 0)
			return true;
	return false;
}

static int peer_check_workload(const char *workload, struct cb_err *err)
{
	if (peer_supports(workload))
		return CB_OK;
	char names[128] = "";
	for (int i = 0; peer_workloads[i]; i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
			 peer_workloads[i]);
	return cb_fail(err, CB_EINVAL, "the peers run only some workloads, each re-implemented, "
		       "not '%s' (allowed: %s)", workload, names);
}

/* argv: interpreter, program, the protocol's options, one --url per fetch step of
 * task 0 (the http workload gives every task the same steps). */
static char **peer_argv(const struct peer_def *d, const struct run_args *a, char *prog,
			char *tasks, char *workers)
{
	const struct task *t0 = a->ts->ntasks > 0 ? &a->ts->tasks[0] : NULL;
	int nsteps = t0 ? t0->nsteps : 0, n = 0;
	char **argv = calloc((size_t)(12 + 2 * nsteps), sizeof *argv);
	if (!argv)
		return NULL;
	if (d->interp)
		argv[n++] = (char *)d->interp;
	argv[n++] = prog;
	argv[n++] = "--workload";
	argv[n++] = (char *)a->workload;
	argv[n++] = "--params";
	argv[n++] = (char *)(a->wparams ? a->wparams : "");
	argv[n++] = "--tasks";
	argv[n++] = tasks;
	argv[n++] = "--workers";
	argv[n++] = workers;
	for (int i = 0; i < nsteps; i++) {
		if (t0->steps[i].kind == STEP_FETCH) {
			argv[n++] = "--url";
			argv[n++] = (char *)t0->steps[i].fetch.url;
		}
	}
	return argv;
}

/* In the child: stdout and stderr to the pipes, stdin from /dev/null, then exec. */
static void peer_exec(char **argv, int out, int errfd, pid_t parent)
{
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(errfd, STDERR_FILENO) < 0)
		_exit(127);
	/* Should the trial child be killed (its time-out), the peer goes with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int peer_spawn(char **argv, struct peer_stream s[2], pid_t *pid, struct cb_err *err)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return cb_fail_errno(err, CB_ESYS, "pipe for the peer");
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return cb_fail_errno(err, CB_ESYS, "pipe for the peer");
	}
	fflush(NULL);
	pid_t parent = getpid();
	*pid = fork();
	if (*pid == 0)
		peer_exec(argv, out[1], errp[1], parent);
	int e = errno;
	close(out[1]);
	close(errp[1]);
	if (*pid < 0) {
		close(out[0]);
		close(errp[0]);
		errno = e;
		return cb_fail_errno(err, CB_ESYS, "fork of the peer %s", argv[0]);
	}
	s[0] = (struct peer_stream){.fd = out[0], .out = true};
	s[1] = (struct peer_stream){.fd = errp[0]};
	return CB_OK;
}

static void peer_stream_end_line(struct peer_stream *s)
{
	s->line[s->len] = '\0';
	bool keep = s->out ? strncmp(s->line, PEER_RESULT, strlen(PEER_RESULT)) == 0
			   : s->len > 0;
	if (keep)
		cb_copy(s->kept, s->line, sizeof s->kept);
	s->len = 0;
}

/* Reads what is there; returns false at end of file. Lines too long for the
 * buffer are cut: no result line is that long. The peer's stderr is passed on. */
static bool peer_stream_read(struct peer_stream *s)
{
	char buf[4096];
	ssize_t n = read(s->fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		if (s->len > 0)
			peer_stream_end_line(s);
		return false;
	}
	if (!s->out && write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* our stderr is gone: the line is still kept for the note */
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			peer_stream_end_line(s);
		else if (s->len < sizeof s->line - 1)
			s->line[s->len++] = buf[i];
	}
	return true;
}

/* Takes what the peer left in the pipes, without waiting for an end of file that a
 * process it left behind, holding them, could withhold for ever. */
static void peer_stream_rest(struct peer_stream *s)
{
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	/* Two pipefuls at most: such a process may go on writing. */
	for (int reads = 0; reads < 32 && peer_stream_read(s); reads++)
		;
}

/* Until both streams end, or the peer exits (pidfd, -1 if none: then the trial's
 * time-out bounds this, by killing the trial's whole process group). */
static void peer_drain(struct peer_stream s[2], int pidfd)
{
	bool open[2] = {true, true};
	while (open[0] || open[1]) {
		struct pollfd pf[3] = {{.fd = open[0] ? s[0].fd : -1, .events = POLLIN},
				       {.fd = open[1] ? s[1].fd : -1, .events = POLLIN},
				       {.fd = pidfd, .events = POLLIN}};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (open[i] && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				open[i] = peer_stream_read(&s[i]);
		/* Everything it wrote is in the pipes by now: nothing can block a writer that
		 * has exited. */
		if (pf[2].revents & POLLIN) {
			for (int i = 0; i < 2; i++)
				if (open[i])
					peer_stream_rest(&s[i]);
			break;
		}
	}
	close(s[0].fd);
	close(s[1].fd);
}

static void peer_fill(const struct run_args *a, int ok, enum task_fail why)
{
	/* A peer reports no per-task times: an end before the start keeps its tasks
	 * out of the latency columns instead of inventing figures. */
	for (int i = 0; i < a->ts->ntasks; i++)
		a->res[i] = (struct task_result){.done = 1, .fail = i < ok ? FAIL_NONE : why,
						 .start_s = 0, .end_s = -1};
}

/* Judges the exit and the result line; fills the results either way. */
static void peer_verdict(const struct peer_def *d, struct run_args *a, int status,
			 const struct peer_stream s[2], struct cb_err *err)
{
	const char *why = s[1].kept[0] ? s[1].kept : "it printed nothing on stderr";
	int n = a->ts->ntasks, ok = -1, failed = -1, end = 0;
	double wall = -1;
	if (WIFSIGNALED(status)) {
		cb_fail(err, CB_OK, "%s: the peer was killed by signal %d (%s)", d->name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status) != 0) {
		cb_fail(err, CB_OK, "%s: the peer exited with status %d: %s", d->name,
			WEXITSTATUS(status), why);
	} else if (sscanf(s[0].kept, PEER_RESULT "wall_s=%lf ok=%d failed=%d%n", &wall, &ok,
			  &failed, &end) != 3 || s[0].kept[end] != '\0' || !isfinite(wall) || wall < 0 ||
		   ok < 0 || failed < 0 || ok + failed != n) {
		cb_fail(err, CB_OK, "%s: the peer's result line '%s' is not "
			"'" PEER_RESULT "wall_s=<s> ok=<n> failed=<n>' with n summing to %d",
			d->name, s[0].kept, n);
	} else {
		a->inner_wall_s = wall;
		bool fetches = strcmp(a->workload, "http") == 0;
		peer_fill(a, ok, fetches ? FAIL_FETCH : FAIL_CHECK);
		return;
	}
	peer_fill(a, 0, FAIL_DIED);
}

/* One run for every peer: which one it is comes from its parameters' module name,
 * which the plan sets to the runner's name. */
static int peer_run(struct run_args *a, struct cb_err *err)
{
	const struct peer_def *d = NULL;
	for (int i = 0; i < PEER_COUNT && !d; i++)
		if (a->params && strcmp(peer_defs[i].name, a->params->module) == 0)
			d = &peer_defs[i];
	if (!d)
		return cb_fail(err, CB_EINVAL, "peer: no peer is named '%s'",
			       a->params ? a->params->module : "(none)");
	if (!peer_supports(a->workload))
		return cb_fail(err, CB_EINVAL, "%s runs only the countdown, power, sleep and http "
			       "workloads (each peer re-implements them), not '%s'", d->name,
			       a->workload ? a->workload : "(none)");
	char prog[PATH_MAX], tasks[16], workers[16];
	peer_program(d, prog, sizeof prog);
	snprintf(tasks, sizeof tasks, "%d", a->ts->ntasks);
	snprintf(workers, sizeof workers, "%d", a->workers);
	char **argv = peer_argv(d, a, prog, tasks, workers);
	if (!argv)
		return cb_fail(err, CB_ELIMIT, "%s: no memory for its arguments", d->name);
	struct peer_stream s[2];
	pid_t pid = -1;
	int rc = peer_spawn(argv, s, &pid, err);
	free(argv);
	if (rc) {
		/* No worker could be made: a result, as when threads or procs hit a limit. */
		peer_fill(a, 0, FAIL_SPAWN);
		return CB_OK;
	}
#ifdef SYS_pidfd_open
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	int pidfd = -1;
#endif
	peer_drain(s, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	peer_verdict(d, a, status, s, err);
	return CB_OK;
}

static int py_serial_available(struct cb_err *err)
{
	return peer_check(PEER_PY_SERIAL, err);
}

static int py_threads_available(struct cb_err *err)
{
	return peer_check(PEER_PY_THREADS, err);
}

static int py_procs_available(struct cb_err *err)
{
	return peer_check(PEER_PY_PROCS, err);
}

static int py_asyncio_available(struct cb_err *err)
{
	return peer_check(PEER_PY_ASYNCIO, err);
}

static int py_gevent_available(struct cb_err *err)
{
	return peer_check(PEER_PY_GEVENT, err);
}

static int go_available(struct cb_err *err)
{
	return peer_check(PEER_GO, err);
}

static int node_available(struct cb_err *err)
{
	return peer_check(PEER_NODE_JS, err);
}

const struct runner py_serial_runner = {
	.name = "py-serial",
	.family = "Python",
	.own_runtime = true,
	.summary = "peer: Python, one task after another",
	.one_at_a_time = true,
	.available = py_serial_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner py_threads_runner = {
	.name = "py-threads",
	.family = "Python",
	.own_runtime = true,
	.summary = "peer: Python ThreadPoolExecutor of W threads (GIL)",
	.available = py_threads_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner py_procs_runner = {
	.name = "py-procs",
	.family = "Python",
	.own_runtime = true,
	.summary = "peer: Python multiprocessing Pool of W forked processes",
	.available = py_procs_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner py_asyncio_runner = {
	.name = "py-asyncio",
	.family = "Python",
	.own_runtime = true,
	.summary = "peer: Python asyncio + aiohttp; CPU work in a thread executor",
	.available = py_asyncio_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner py_gevent_runner = {
	.name = "py-gevent",
	.family = "Python",
	.own_runtime = true,
	.summary = "peer: Python gevent Pool of W greenlets, monkey-patched",
	.available = py_gevent_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner go_runner = {
	.name = "go",
	.family = "Go",
	.own_runtime = true,
	.summary = "peer: Go goroutines, a channel semaphore of W, keep-alive http.Client",
	.available = go_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};

const struct runner node_runner = {
	.name = "node",
	.family = "Node",
	.own_runtime = true,
	.summary = "peer: Node.js event loop, setTimeout, keep-alive http.Agent, BigInt",
	.available = node_available,
	.check_workload = peer_check_workload,
	.run = peer_run,
};
