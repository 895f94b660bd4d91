/* What a person sees of a run: the live progress line on a terminal (a pseudo-terminal
 * here), a line per finished cell in a pipe, -q, the table's columns and colours, its
 * failures, and the "wrote" line after it. Runs the built binary ($CONCBENCH). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progress.h"
#include "scratch.h"

struct seen {
	int status;
	char out[1 << 17]; /* stdout, or everything on the terminal */
	char err[1 << 16];
};

/* Splits args at spaces ('@' stands for the scratch folder) and execs concbench with
 * env ("NAME=value" or NULL), without a NO_COLOR of the test's own, on an xterm. */
static void exec_concbench(const char *args, const char *env)
{
	static char words[2048];
	char *argv[64];
	size_t o = 0;
	for (const char *c = args; *c && o + sizeof scratch + 1 < sizeof words; c++)
		o += *c == '@' ? (size_t)snprintf(words + o, sizeof words - o, "%s", scratch)
			       : (size_t)(words[o] = *c, 1);
	words[o] = '\0';
	const char *bin = getenv("CONCBENCH");
	if (!bin)
		_exit(126);
	int n = 0;
	argv[n++] = (char *)bin;
	char *save, *tok = strtok_r(words, " ", &save);
	for (; tok && n < 63; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1); /* a CI's TERM=dumb would turn colour off */
	if (env)
		putenv((char *)env);
	execv(bin, argv);
	_exit(127);
}

/* Reads fds until both end (or 120 s pass); an EIO from a terminal's master is its end. */
static void drain(int *fds, char **bufs, const size_t *lens, int nfds)
{
	size_t used[2] = {0, 0};
	int open = nfds;
	for (int spins = 0; open > 0 && spins < 1200;) {
		struct pollfd pf[2];
		for (int i = 0; i < nfds; i++)
			pf[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pf, (nfds_t)nfds, 100) == 0) {
			spins++;
			continue;
		}
		for (int i = 0; i < nfds; i++) {
			if (fds[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t k = read(fds[i], tmp, sizeof tmp);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				close(fds[i]);
				fds[i] = -1;
				open--;
				continue;
			}
			size_t room = lens[i] - 1 - used[i];
			memcpy(bufs[i] + used[i], tmp, (size_t)k < room ? (size_t)k : room);
			used[i] += (size_t)k < room ? (size_t)k : room;
			bufs[i][used[i]] = '\0';
		}
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* stdout and stderr on pipes of their own; with merged, stderr onto stdout's pipe, as
 * `2>&1 | tee` has it. */
static struct seen *run_piped(const char *args, const char *env, bool merged)
{
	struct seen *s = calloc(1, sizeof *s);
	int po[2], pe[2];
	cr_assert(pipe(po) == 0 && pipe(pe) == 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(merged ? po[1] : pe[1], STDERR_FILENO);
		close(po[0]);
		close(pe[0]);
		exec_concbench(args, env);
	}
	close(po[1]);
	close(pe[1]);
	int fds[2] = {po[0], pe[0]};
	char *bufs[2] = {s->out, s->err};
	size_t lens[2] = {sizeof s->out, sizeof s->err};
	drain(fds, bufs, lens, 2);
	s->status = reap(pid);
	return s;
}

/* Everything on one pseudo-terminal, 200 columns wide, as a person at a terminal sees it. */
static struct seen *run_tty(const char *args, const char *env)
{
	struct seen *s = calloc(1, sizeof *s);
	int master;
	struct winsize ws = {.ws_row = 50, .ws_col = 200};
	fflush(NULL);
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	cr_assert_geq(pid, 0, "forkpty: %s", strerror(errno));
	if (pid == 0)
		exec_concbench(args, env);
	int fds[1] = {master};
	char *bufs[1] = {s->out};
	size_t lens[1] = {sizeof s->out};
	drain(fds, bufs, lens, 1);
	s->status = reap(pid);
	return s;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* On a terminal the line moves while one trial of 1.5 s runs: several distinct states
 * of "trial 1/1 (x.x s)", each with the cells, the median so far and an ETA. */
Test(progress, live_line_moves_during_a_trial)
{
	struct seen *s = run_tty("-w sleep -p sleep.ms=1500 -r serial -n 1 --repeat 1 "
				 "--warmup 0 --no-floors", NULL);
	cr_assert_eq(s->status, 0, "exit %d: %s", s->status, s->out);
	char seen[16][256];
	int distinct = 0;
	char *save, *line = strtok_r(s->out, "\r", &save);
	for (; line; line = strtok_r(NULL, "\r", &save)) {
		if (strncmp(line, "\033[K[", 4) != 0 || !strstr(line, "trial 1/1 ("))
			continue;
		cr_expect(strstr(line, "cells 0/1") && strstr(line, "median") &&
			  strstr(line, "ETA") && strstr(line, "sleep ms=1500 serial n=1"),
			  "a live line lacks a part: %s", line + 3);
		bool known = false;
		for (int i = 0; i < distinct && !known; i++)
			known = strcmp(seen[i], line) == 0;
		if (!known && distinct < 16)
			snprintf(seen[distinct++], sizeof seen[0], "%s", line);
	}
	/* Four a second are drawn; three in 1.5 s leaves room for a slow machine. */
	cr_expect_geq(distinct, 3, "the live line took %d states during a 1.5 s trial",
		      distinct);
	free(s);
}

/* -q: no live line on a terminal, the table still. */
Test(progress, quiet_on_a_terminal)
{
	struct seen *s = run_tty("-q -w sleep -p sleep.ms=300 -r serial -n 1 --repeat 1 "
				 "--warmup 0 --no-floors", NULL);
	cr_assert_eq(s->status, 0);
	cr_expect(!strstr(s->out, "\033[K["), "a live line under -q");
	cr_expect(strstr(s->out, "median"), "no table: %s", s->out);
	free(s);
}

/* The floors have a line of their own while they are measured. */
Test(progress, floors_line_on_a_terminal)
{
	struct seen *s = run_tty("-w sleep -p sleep.ms=10 -r serial -n 1 --repeat 1 --warmup 0",
				 NULL);
	cr_assert_eq(s->status, 0);
	cr_expect(strstr(s->out, "\033[Kmeasuring the floors"), "no floors line: %s", s->out);
	free(s);
}

/* In a pipe: one whole line per cell as it finishes (its name, median and outcome),
 * never a carriage return; the floors announced; -q none of it. */
Test(progress, one_line_per_cell_in_a_pipe)
{
	struct seen *s = run_piped("-w sleep -p sleep.ms=20 -r serial,threads -n 1,2 --repeat 2",
				   NULL, false);
	cr_assert_eq(s->status, 0, "exit %d: %s", s->status, s->err);
	cr_expect(!strchr(s->err, '\r'), "a carriage return in a log: %s", s->err);
	cr_expect_eq(count(s->err, "concbench: ["), 4, "cell lines: %s", s->err);
	const char *cells[] = {"serial n=1 W=1", "threads n=1 W=0", "serial n=2 W=1",
			       "threads n=2 W=0"};
	for (int i = 0; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof want, "concbench: [%d/4] sleep ms=20 ", i + 1);
		cr_expect(strstr(s->err, want), "no line %d/4: %s", i + 1, s->err);
		const char *at = strstr(s->err, cells[i]);
		cr_expect(at, "no line for %s: %s", cells[i], s->err);
		const char *eol = at ? strchr(at, '\n') : NULL;
		cr_expect(at && eol && memmem(at, (size_t)(eol - at), "median ", 7) &&
			  memmem(at, (size_t)(eol - at), "ok:2", 4), "%s: no median or outcome",
			  cells[i]);
	}
	cr_expect(strstr(s->err, "concbench: measuring the floors\n"), "%s", s->err);
	free(s);
	s = run_piped("-q -w sleep -p sleep.ms=20 -r serial -n 1 --repeat 1 --no-floors", NULL,
		      false);
	cr_expect_eq(s->status, 0);
	cr_expect_str_eq(s->err, "", "-q still printed: %s", s->err);
	free(s);
}

struct color_case {
	const char *args, *env;
	bool tty, want;
};

static const struct color_case color_cases[] = {
	{"--color=always", NULL, false, true},
	{"--color=never", NULL, false, false},
	{"", NULL, false, false},              /* auto, not a terminal */
	{"", NULL, true, true},                /* auto on a terminal */
	{"", "NO_COLOR=1", true, false},       /* NO_COLOR, any value */
	{"", "NO_COLOR=", true, false},
	{"", "TERM=dumb", true, false},        /* a terminal that shows no colour */
	{"--color=never", NULL, true, false},
	{"--color=always", "NO_COLOR=1", false, true}, /* the option is the user's last word */
};

/* The table's colours: a failed cell's fail and flags in red, the header in bold. */
Test(progress, colour_when_asked_and_only_then)
{
	for (size_t i = 0; i < sizeof color_cases / sizeof color_cases[0]; i++) {
		const struct color_case *t = &color_cases[i];
		char args[256];
		snprintf(args, sizeof args, "-q %s -w sleep -p sleep.ms=2000 -r serial -n 1 "
			 "--repeat 1 --warmup 0 --no-floors --timeout 0.2", t->args);
		struct seen *s = t->tty ? run_tty(args, t->env) : run_piped(args, t->env, false);
		cr_expect_eq(s->status, 1, "%s: exit %d", args, s->status);
		bool red = strstr(s->out, "\033[31m") != NULL, bold = strstr(s->out, "\033[1m") != NULL;
		cr_expect_eq(red, t->want, "%s %s on a %s: red %d", args, t->env ? t->env : "",
			     t->tty ? "terminal" : "pipe", red);
		cr_expect_eq(bold, t->want, "%s: bold %d", args, bold);
		free(s);
	}
	struct seen *s = run_piped("--color=sometimes", NULL, false);
	cr_expect_eq(s->status, 2);
	cr_expect(strstr(s->err, "'sometimes'") && strstr(s->err, "auto, always, never"), "%s",
		  s->err);
	free(s);
}

/* A failed cell: its failures by reason in the table, its first failure's words under
 * it and in the summary's note. */
Test(progress, failed_cell_says_why)
{
	scratch_make("progress");
	struct seen *s = run_piped("-q -w sleep -p sleep.ms=2000 -r serial -n 2 --repeat 1 "
				   "--warmup 0 --no-floors --timeout 0.2 -o @/f.csv", NULL, false);
	cr_expect_eq(s->status, 1);
	cr_expect(strstr(s->out, "2 lost"), "no reason in the fail column: %s", s->out);
	cr_expect(strstr(s->out, "failures:\n  sleep ms=2000 serial n=2 W=1: killed after the "
			 "0.2 s trial timeout"), "%s", s->out);
	char path[256], buf[8192] = "";
	scratch_path(path, sizeof path, "f.summary.csv");
	FILE *f = fopen(path, "r");
	cr_assert(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect(strstr(buf, ",killed after the 0.2 s trial timeout,failed"), "%s", buf);
	free(s);
	scratch_remove();
}

/* Parameters: by default those that tell the cells apart (here ms, which differs, and
 * not steps, which does not), in full with --wide, with min … max and cv; ×floor only
 * where a floor exists. */
Test(progress, short_and_wide_tables)
{
	const char *base = "-q -w sleep -p sleep.ms=20,30 -r serial -n 1 --repeat 1 --warmup 0 "
			   "--no-floors";
	struct seen *s = run_piped(base, NULL, false);
	if (s->status == 2) { /* -p lists are another change's: one value then */
		free(s);
		base = "-q -w sleep -p sleep.ms=20 -r serial -n 1 --repeat 1 --warmup 0 --no-floors";
		s = run_piped(base, NULL, false);
	}
	cr_assert_eq(s->status, 0, "%s", s->err);
	cr_expect(strstr(s->out, "ms=20") && !strstr(s->out, "steps="), "%s", s->out);
	char *eol = strchr(s->out, '\n'); /* the header alone from here */
	if (eol)
		*eol = '\0';
	cr_expect(!strstr(s->out, "×floor") && !strstr(s->out, "min … max"), "%s", s->out);
	free(s);
	char wide[256];
	snprintf(wide, sizeof wide, "%s --wide", base);
	s = run_piped(wide, NULL, false);
	cr_assert_eq(s->status, 0);
	cr_expect(strstr(s->out, "ms=20;steps=1"), "%s", s->out);
	eol = strchr(s->out, '\n');
	if (eol)
		*eol = '\0';
	cr_expect(strstr(s->out, "min … max") && strstr(s->out, "  cv  "), "%s", s->out);
	free(s);
}

/* "wrote …" comes after the table, on a line of its own, whether both go to one
 * terminal or to one file. */
Test(progress, wrote_after_the_table)
{
	scratch_make("progress");
	const char *args = "-w sleep -p sleep.ms=10 -r serial -n 1 --repeat 1 --warmup 0 "
			   "--no-floors -o @/w.csv";
	struct seen *tty = run_tty(args, NULL), *pipe = run_piped(args, NULL, true);
	struct seen *both[] = {tty, pipe};
	for (int i = 0; i < 2; i++) {
		const char *out = both[i]->out, *wrote = strstr(out, "wrote ");
		const char *legend = strstr(out, "fail: failed tasks by reason");
		cr_expect_eq(both[i]->status, 0);
		cr_expect(wrote && legend && wrote > legend, "%s: 'wrote' before the table's end: %s",
			  i ? "pipe" : "terminal", out);
		cr_expect(wrote && wrote > out && wrote[-1] == '\n', "'wrote' mid-line: %s", out);
	}
	free(tty);
	free(pipe);
	scratch_remove();
}

struct eta_case {
	int done[2];       /* finished trials of the two cells (2 planned each) */
	double time[2];    /* their summed times */
	double elapsed, current;
	int current_cell;
	double want;
};

static const struct eta_case eta_cases[] = {
	{{0, 0}, {0, 0}, 5, 5, 0, NAN},      /* nothing finished: unknown */
	{{1, 0}, {2, 0}, 2, 0, -1, 6},       /* 1 left of 2 s; 2 of the mean, 2 s */
	{{1, 0}, {2, 0}, 4, 0, -1, 12},      /* the run took twice its trials: twice */
	{{1, 0}, {2, 0}, 2.5, 0.5, 1, 5.5},  /* 1.5 s left of the one under way */
	{{1, 1}, {2, 6}, 8, 0, -1, 8},       /* each cell at its own mean */
	{{2, 1}, {4, 6}, 10, 7, 1, 0},       /* the last one overran its mean */
	{{2, 2}, {4, 4}, 8, 0, -1, 0},       /* all done */
};

/* The ETA from the plan: each cell's mean trial time (the mean of all for a cell not
 * yet begun) times its trials left, less what the one under way has run, scaled by
 * the run's time over its trials' time. */
Test(progress, eta_table)
{
	struct cell cells[2] = {{.repeat = 2}, {.repeat = 2}};
	struct plan p = {.cells = cells, .ncells = 2};
	for (size_t i = 0; i < sizeof eta_cases / sizeof eta_cases[0]; i++) {
		const struct eta_case *t = &eta_cases[i];
		double got = progress_eta(&p, t->done, t->time, t->elapsed, t->current,
					  t->current_cell);
		if (isnan(t->want))
			cr_expect(isnan(got), "case %zu: %g", i, got);
		else
			cr_expect(fabs(got - t->want) < 1e-9, "case %zu: %g, not %g", i, got, t->want);
	}
}
