/* The coroutine layer under both stack designs: registers and floating point survive
 * a switch, many coroutines interleave at any depth, buffers and stacks are reused
 * and freed, and an overflow of a separate stack is caught. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro.h"

static const enum coro_stack co_designs[] = {CORO_COPY, CORO_SEPARATE};
static const char *const co_names[] = {"copy", "separate"};

/* What every body reaches through ud: the host, and the shared turn log. */
struct co_env {
	struct coro_host *h;
	int *log, len;
};

/* A coroutine and what its body is told and computes; the coro comes first. */
struct co_t {
	struct coro co;
	int id, depth, rounds;
	uint64_t sum;
	double fsum;
};

static struct coro_host *co_host(enum coro_stack kind, size_t kib, long guards, coro_fn fn,
				 struct co_env *env)
{
	struct coro_conf conf = {.stack = kind, .stack_size = kib * 1024, .max_guards = guards,
				 .fn = fn, .ud = env};
	struct cb_err err = {0};
	cr_assert_eq(coro_host_new(&env->h, &conf, &err), CB_OK, "%s", err.msg);
	return env->h;
}

static void co_open(struct coro_host *h, struct co_t *t)
{
	struct cb_err err = {0};
	cr_assert_eq(coro_open(h, &t->co, &err), CB_OK, "%s", err.msg);
}

/* Runs every coroutine round-robin until all finished; returns the resumes made. */
static int co_run_all(struct coro_host *h, struct co_t *ts, int n)
{
	int left = n, resumes = 0;
	while (left > 0) {
		for (int i = 0; i < n; i++) {
			if (coro_state(&ts[i].co) == CORO_CLOSED)
				continue;
			cr_assert(coro_resume(h, &ts[i].co));
			resumes++;
			if (coro_finished(&ts[i].co)) {
				coro_close(h, &ts[i].co);
				left--;
			}
		}
		cr_assert_lt(resumes, 10000000, "coroutines that never finish");
	}
	return resumes;
}

/* The same arithmetic with and without switches in between. */
struct co_regs {
	double a, b, c;
	uint64_t x, y, z;
};

static void co_regs_step(struct co_regs *r)
{
	r->a = r->a * 1.0001 + r->b;
	r->b = r->b * 0.5 + r->c * 0.125;
	r->c = r->c + r->a * 0.001;
	r->x = r->x * 6364136223846793005u + r->y;
	r->y ^= r->x >> 7;
	r->z += r->x ^ r->y;
}

static struct co_regs co_regs_init(int id)
{
	return (struct co_regs){1.5 + id, 0.25, -3.0, 0x9e3779b97f4a7c15u * (uint64_t)(id + 1), 7,
				11};
}

/* Locals the compiler keeps in callee-saved and vector registers across the yield. */
static void co_regs_body(struct coro *self, void *ud)
{
	struct co_env *env = ud;
	struct co_t *t = (struct co_t *)self;
	struct co_regs r0 = co_regs_init(t->id);
	double a = r0.a, b = r0.b, c = r0.c;
	uint64_t x = r0.x, y = r0.y, z = r0.z;
	for (int i = 0; i < t->rounds; i++) {
		a = a * 1.0001 + b;
		b = b * 0.5 + c * 0.125;
		c = c + a * 0.001;
		x = x * 6364136223846793005u + y;
		y ^= x >> 7;
		z += x ^ y;
		coro_yield(env->h);
	}
	t->fsum = a + b + c;
	t->sum = x ^ y ^ z;
}

Test(coro, registers_and_floats_survive_switches)
{
	for (size_t d = 0; d < 2; d++) {
		struct co_env env = {0};
		struct coro_host *h = co_host(co_designs[d], 64, -1, co_regs_body, &env);
		struct co_t ts[3] = {{.id = 0, .rounds = 50}, {.id = 1, .rounds = 70},
				     {.id = 2, .rounds = 30}};
		for (int i = 0; i < 3; i++)
			co_open(h, &ts[i]);
		/* The host keeps values of its own live across the resumes too. */
		volatile double keep = 0.1;
		double hf = keep * 3.0;
		uint64_t hx = 0xabcdef;
		co_run_all(h, ts, 3);
		hf = hf * 2.0 + 1.0;
		hx = hx * 3 + 1;
		cr_expect_eq(hx, 0xabcdef * 3 + 1);
		cr_expect(hf > 1.59999 && hf < 1.60001, "host double became %g", hf);
		for (int i = 0; i < 3; i++) {
			struct co_regs r = co_regs_init(ts[i].id);
			for (int k = 0; k < ts[i].rounds; k++)
				co_regs_step(&r);
			cr_expect_eq(ts[i].sum, r.x ^ r.y ^ r.z, "%s: integers of %d", co_names[d], i);
			cr_expect_eq(ts[i].fsum, r.a + r.b + r.c, "%s: doubles of %d: %.17g vs %.17g",
				     co_names[d], i, ts[i].fsum, r.a + r.b + r.c);
		}
		coro_host_free(h);
	}
}

/* Recurses `depth` levels (a KiB of frame each, filled) and yields at the bottom
 * and on the way up; the sum proves every frame kept its bytes. */
static uint64_t co_deep(struct co_env *env, struct co_t *t, int depth)
{
	volatile unsigned char frame[1024];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (unsigned char)(depth * 31 + t->id + i);
	uint64_t below = 0;
	if (depth > 0)
		below = co_deep(env, t, depth - 1);
	env->log[env->len++] = t->id;
	coro_yield(env->h);
	uint64_t s = below;
	for (size_t i = 0; i < sizeof frame; i++)
		s += frame[i];
	return s;
}

static uint64_t co_deep_expect(int id, int depth)
{
	uint64_t s = 0;
	for (int d = 0; d <= depth; d++)
		for (size_t i = 0; i < 1024; i++)
			s += (unsigned char)(d * 31 + id + i);
	return s;
}

static void co_deep_body(struct coro *self, void *ud)
{
	struct co_t *t = (struct co_t *)self;
	t->sum = co_deep(ud, t, t->depth);
}

Test(coro, a_thousand_interleave_deep_and_shallow)
{
	enum { N = 1000 };
	for (size_t d = 0; d < 2; d++) {
		struct co_env env = {.log = calloc(N * 16, sizeof(int))};
		struct coro_host *h = co_host(co_designs[d], 64, -1, co_deep_body, &env);
		struct co_t *ts = calloc(N, sizeof *ts);
		cr_assert(env.log && ts);
		for (int i = 0; i < N; i++) {
			ts[i] = (struct co_t){.id = i, .depth = i % 2 ? 0 : 5 + i % 9};
			co_open(h, &ts[i]);
		}
		co_run_all(h, ts, N);
		for (int i = 0; i < N; i++)
			cr_expect_eq(ts[i].sum, co_deep_expect(i, ts[i].depth), "%s: coroutine %d",
				     co_names[d], i);
		/* Turn k of the round-robin is coroutine k mod (those still running). */
		cr_expect_eq(env.log[0], 0);
		cr_expect_eq(env.log[N - 1], N - 1);
		cr_expect_eq(env.log[N], 0, "%s: round two starts with %d", co_names[d], env.log[N]);
		struct coro_stats st = coro_host_stats(h);
		if (co_designs[d] == CORO_COPY)
			cr_expect_gt(st.saved_max, 5 * 1024, "deep stacks saved only %zu B",
				     st.saved_max);
		coro_host_free(h);
		free(ts);
		free(env.log);
	}
}

/* Counting after each yield keeps both at the same depth (no tail call): one size class. */
static void co_yield_twice(struct coro *self, void *ud)
{
	struct co_env *env = ud;
	struct co_t *t = (struct co_t *)self;
	for (int i = 0; i < 2; i++) {
		coro_yield(env->h);
		t->rounds++;
	}
}

/* Waves of coroutines: the second and later waves reuse what the first made. */
Test(coro, buffers_and_stacks_are_reused_and_freed)
{
	enum { N = 200, WAVES = 5 };
	for (size_t d = 0; d < 2; d++) {
		struct co_env env = {0};
		struct coro_host *h = co_host(co_designs[d], 32, -1, co_yield_twice, &env);
		struct co_t ts[N];
		for (int w = 0; w < WAVES; w++) {
			memset(ts, 0, sizeof ts);
			for (int i = 0; i < N; i++)
				co_open(h, &ts[i]);
			cr_assert_eq(co_run_all(h, ts, N), 3 * N);
		}
		/* Suspended for good, then closed: what they held comes back too. */
		memset(ts, 0, sizeof ts);
		for (int i = 0; i < N; i++) {
			co_open(h, &ts[i]);
			cr_assert(coro_resume(h, &ts[i].co));
		}
		for (int i = 0; i < N; i++)
			coro_close(h, &ts[i].co);
		struct coro_stats st = coro_host_stats(h);
		if (co_designs[d] == CORO_COPY) {
			/* Each wave saves N-1 stacks twice; only the first wave's are fresh. */
			cr_expect_eq(st.buf_live, 0, "copy: %ld buffers still held", st.buf_live);
			cr_expect_leq(st.buf_fresh, N, "copy: %ld fresh buffers", st.buf_fresh);
			cr_expect_geq(st.buf_reused, (WAVES - 1) * (N - 1), "copy: %ld reused",
				      st.buf_reused);
			cr_expect_eq(st.chunks, 1, "copy: %ld arena chunks", st.chunks);
		} else {
			cr_expect_eq(st.pool.live, 0, "separate: %ld stacks still out", st.pool.live);
			cr_expect_eq(st.pool.fresh, N, "separate: %ld stacks carved", st.pool.fresh);
			cr_expect_eq(st.pool.reused, WAVES * N, "separate: %ld reused", st.pool.reused);
			cr_expect_eq(st.pool.guarded, N, "separate: %ld guarded", st.pool.guarded);
		}
		coro_host_free(h);
	}
}

/* Small frames, filled, until a frame lies below `floor`: the overshoot past it stays
 * well inside one page even with ASan's redzones (a 1 KiB array made a 2.4 KiB frame,
 * and the memset below it ran past the slack page). The frame's own address, not its
 * array's: under ASan arrays may live on a heap "fake stack". */
static int co_overflow(uintptr_t floor)
{
	volatile char frame[256];
	memset((char *)frame, 0x5a, sizeof frame);
	if ((uintptr_t)__builtin_frame_address(0) > floor)
		return co_overflow(floor) + frame[floor % 256];
	return frame[0];
}

/* Recurses until a frame starts within 256 bytes of its stack's bottom, so the last
 * frame runs past it, whatever the frames weigh (ASan's are larger): into the
 * guard page, or (unguarded) into the slot's slack page, where only the canary tells.
 * (A separate stack's base is its lowest address: coro_mem(self).) */
static void co_overflow_body(struct coro *self, void *ud)
{
	struct co_t *t = (struct co_t *)self;
	struct co_env *env = ud;
	t->sum = (uint64_t)co_overflow((uintptr_t)coro_mem(self) + 256);
	coro_yield(env->h);
}

/* Overflows a 16 KiB separate stack in a child; returns the signal that ended it. */
static int co_overflow_child(long guards)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		struct co_env env = {0};
		struct co_t t = {.depth = 16};
		struct coro_conf conf = {.stack = CORO_SEPARATE, .stack_size = 16 * 1024,
					 .max_guards = guards, .fn = co_overflow_body, .ud = &env};
		if (coro_host_new(&env.h, &conf, NULL) != CB_OK || coro_open(env.h, &t.co, NULL))
			_exit(3);
		coro_resume(env.h, &t.co);
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status), "the child exited with %d instead of dying",
		  WEXITSTATUS(status));
	return WTERMSIG(status);
}

Test(coro, an_overflow_hits_the_guard_page)
{
	int sig = co_overflow_child(-1);
	cr_expect_eq(sig, SIGSEGV, "died of signal %d", sig);
}

Test(coro, an_overflow_without_a_guard_trips_the_canary)
{
	int sig = co_overflow_child(0);
	cr_expect_eq(sig, SIGABRT, "died of signal %d", sig);
}

Test(coro, a_guard_budget_is_kept)
{
	struct co_env env = {0};
	struct coro_host *h = co_host(CORO_SEPARATE, 16, 3, co_yield_twice, &env);
	struct co_t ts[8] = {0};
	for (int i = 0; i < 8; i++)
		co_open(h, &ts[i]);
	co_run_all(h, ts, 8);
	struct coro_stats st = coro_host_stats(h);
	cr_expect_eq(st.pool.guarded, 3);
	cr_expect_eq(st.pool.fresh, 8);
	coro_host_free(h);
}

/* Frames bigger than a guard page, written at their far end (lowest address) first,
 * as code filling a local array from index 0 does: the build's stack-clash probes
 * touch every page of such a frame on the way down, so the first touch below the stack
 * is in its guard, and nothing below the guard is written. A VLA is probed the same. */
__attribute__((noinline)) static int co_frame_70k(void)
{
	volatile char a[70 * 1024];
	a[0] = 1;
	return a[0];
}

__attribute__((noinline)) static int co_frame_256k(void)
{
	volatile char a[256 * 1024];
	a[0] = 1;
	return a[0];
}

static volatile size_t co_vla_len = 70 * 1024;

__attribute__((noinline)) static int co_frame_vla(void)
{
	volatile char a[co_vla_len];
	a[0] = 1;
	return a[0];
}

static int co_frame_unprobed(void);

static const struct {
	const char *name;
	int (*fn)(void);
} co_frames[] = {{"70 KiB array", co_frame_70k}, {"256 KiB array", co_frame_256k},
		 {"70 KiB VLA", co_frame_vla}, {"GMP's alloca, unprobed", co_frame_unprobed}};

#define CO_FILL 0xa5

/* What the child's SIGSEGV handler checks: memory below the coroutine's stack that
 * must keep CO_FILL, and where it tells the parent how many bytes changed. */
static struct co_nb {
	unsigned char *lo[4];
	size_t len[4];
	int n;
	volatile long *changed; /* shared with the parent; -1: never checked */
	int (*frame)(void);
	uintptr_t base;         /* the lowest address of the stack the frame runs on */
} co_nb;

/* What a library built without stack-clash probes does with a stack nearly used up:
 * GMP allocas up to 32,512 B of temporaries and fills them from the bottom, nothing
 * touched in between. The guard must be deeper than that. */
static int co_frame_unprobed(void)
{
	volatile char frame[256];
	frame[0] = 1;
	if ((uintptr_t)__builtin_frame_address(0) > co_nb.base + 2048)
		return co_frame_unprobed() + frame[0];
	volatile char *far = (volatile char *)__builtin_frame_address(0) - 32512 - 256;
	*far = 1;
	return *far + frame[0];
}

static long co_nb_changed(void)
{
	long changed = 0;
	for (int k = 0; k < co_nb.n; k++)
		for (size_t i = 0; i < co_nb.len[k]; i++)
			changed += co_nb.lo[k][i] != CO_FILL;
	return changed;
}

/* Checks, then returns with the default action back: the fault repeats and kills. */
static void co_nb_segv(int sig)
{
	(void)sig;
	*co_nb.changed = co_nb_changed();
}

static void co_nb_add(void *lo, size_t len)
{
	memset(lo, CO_FILL, len);
	co_nb.lo[co_nb.n] = lo;
	co_nb.len[co_nb.n++] = len;
}

/* Where the frame runs: its first resume yields at once (the copy design's test
 * learns where the shared stack is from it), the second makes the frame. */
static void co_frame_body(struct coro *self, void *ud)
{
	struct co_t *t = (struct co_t *)self;
	struct co_env *env = ud;
	t->sum = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	coro_yield(env->h);
	t->sum += (uint64_t)co_nb.frame();
}

/* From the highest page below addr that nothing maps, down while nothing does (up to
 * len): a neighbour where the next mmap would have put something. */
static void co_nb_map_below(uintptr_t addr, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = addr - page, hi = 0;
	for (; a > addr - (64u << 20) && (!hi || hi - a < len); a -= page) {
		void *p = mmap((void *)a, page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED && !hi)
			hi = a + page;
		else if (p == MAP_FAILED && hi)
			break;
	}
	if (!hi)
		_exit(9);
	co_nb_add((void *)(a + page), hi - (a + page));
}

/* In a child: the frame on a 64 KiB stack of the design, the neighbours below it
 * filled. Returns the wait status; *changed the bytes of them that changed. */
static int co_frame_child(enum coro_stack kind, int (*frame)(void), long *changed)
{
	volatile long *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq((void *)shared, MAP_FAILED);
	*shared = -1;
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		co_nb = (struct co_nb){.changed = shared, .frame = frame};
		struct co_env env = {0};
		struct co_t t[4] = {0};
		struct coro_conf conf = {.stack = kind, .stack_size = 64 * 1024, .max_guards = -1,
					 .fn = co_frame_body, .ud = &env};
		if (coro_host_new(&env.h, &conf, NULL) != CB_OK)
			_exit(3);
		int n = kind == CORO_SEPARATE ? 4 : 1;
		for (int i = 0; i < n; i++)
			if (coro_open(env.h, &t[i].co, NULL) != CB_OK)
				_exit(3);
		/* Separate: the last stack carved is the highest; the others lie below it. */
		for (int i = 0; i + 1 < n; i++) {
			if ((char *)coro_mem(&t[i].co) >= (char *)coro_mem(&t[i + 1].co))
				_exit(7);
			co_nb_add(coro_mem(&t[i].co), 64 * 1024);
		}
		coro_resume(env.h, &t[n - 1].co);
		co_nb.base = (uintptr_t)coro_mem(&t[n - 1].co);
		if (kind == CORO_COPY) {
			co_nb.base = (((uintptr_t)t[0].sum | 4095) + 1) - 64 * 1024;
			co_nb_map_below(co_nb.base, 512 * 1024);
		}
		stack_t alt = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
		struct sigaction sa = {.sa_handler = co_nb_segv, .sa_flags = SA_ONSTACK | SA_RESETHAND};
		sigaltstack(&alt, NULL);
		sigaction(SIGSEGV, &sa, NULL);
		coro_resume(env.h, &t[n - 1].co);
		*shared = co_nb_changed();
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	*changed = *shared;
	munmap((void *)shared, sizeof *shared);
	return status;
}

Test(coro, a_frame_bigger_than_the_guard_hits_it)
{
	for (size_t d = 0; d < 2; d++) {
		for (size_t f = 0; f < sizeof co_frames / sizeof co_frames[0]; f++) {
			long changed;
			int status = co_frame_child(co_designs[d], co_frames[f].fn, &changed);
			cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
				  "%s, %s: the child %s %d, not SIGSEGV", co_names[d],
				  co_frames[f].name, WIFSIGNALED(status) ? "died of" : "exited with",
				  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			cr_expect_eq(changed, 0, "%s, %s: %ld bytes below the stack written "
				     "(-1: never checked)", co_names[d], co_frames[f].name, changed);
		}
	}
}
