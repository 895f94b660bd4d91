/* hand-copystack N MS: the hand-written counterpart of concbench's green runner
 * (-r green, -p green.stack=copy) on N sleepers at once. N coroutines on fcontext
 * share ONE stack of 64 KiB; the hub, on the main stack, copies the used bytes of
 * whoever is on it out to the heap before another runs there, and back when it runs
 * again. Saved bytes go to buffers carved from big malloc'd chunks (a bump arena) and
 * kept, once given back, on free lists by exact 16-byte-rounded size. A coroutine is
 * a 16-byte record {ctx, saved}; it sleeps MS ms once, queued in a FIFO of deadlines
 * under one shared ev_timer, and the hub resumes whoever is due. The body suspends
 * from its own shallow frame: the yield is jump_fcontext called in it.
 *
 * Timed as a concbench trial is: the clock starts before the records, the FIFO, the
 * stack and the loop are made and stops when the last coroutine ended; freeing is
 * timed apart (free_s). bytes_per_task is the growth of the peak RSS over N;
 * saved_bytes the bytes a suspended coroutine keeps. Prints one line:
 *   wall_s=0.23 tasks=1000000 bytes_per_task=112 saved_bytes=80 arm_s=0.13 free_s=0.01 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../runners/fcontext.h"
#include "hand.h"

/* Under AddressSanitizer the shared stack holds the redzones of whoever last ran on
 * it: the bytes are made addressable before they are copied either way. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define hand_unpoison(p, len) ASAN_UNPOISON_MEMORY_REGION(p, len)
#else
#define hand_unpoison(p, len) ((void)(p), (void)(len))
#endif

#define PROG "hand-copystack"
#define STACK (64 * 1024)
#define GUARD 4096 /* a page under the stack, no access */
#define CHUNK (1024 * 1024)
#define STEP 16

struct hand_co {
	fcontext_t ctx; /* where it resumes: its stack pointer, so top - ctx bytes are used */
	void *saved;    /* its used bytes while another owns the stack; NULL: on the stack */
};

/* The FIFO: who sleeps until when, oldest first (each sleeps once: it never wraps). */
struct hand_sleep {
	struct hand_co *who;
	double due;
};

/* The hub: one per program, so the coroutine body reaches it without an argument. */
static struct {
	char *map, *top;              /* the shared stack, its guard under it */
	struct hand_co *owner;        /* whose frames are on the stack now */
	void *free[STACK / STEP + 1]; /* given-back buffers by size / STEP; next in word 0 */
	char *cur, *end;              /* the unused rest of the newest chunk */
	void *chunks;                 /* every chunk, linked through its first word */
	struct ev_loop *loop;
	ev_timer timer;
	struct hand_sleep *fifo;
	long head, len, woke, ended, saved_bytes;
	double d;
	const char *why; /* what stopped the run */
} hub;

static void hand_arm(double deadline)
{
	ev_now_update(hub.loop);
	double after = deadline - hand_now();
	ev_timer_set(&hub.timer, after > 0 ? after : 0, 0);
	ev_timer_start(hub.loop, &hub.timer);
}

/* Out of line: its locals stay out of the frame that is copied at every switch. */
__attribute__((noinline)) static void hand_queue(struct hand_co *self)
{
	hub.fifo[hub.len] = (struct hand_sleep){self, hand_stamp() + hub.d};
	if (!ev_is_active(&hub.timer))
		hand_arm(hub.fifo[hub.len].due);
	hub.len++;
}

static void hand_body(transfer_t t)
{
	hand_queue(t.data);
	t = fcontext_jump(t.fctx, NULL); /* asleep until the hub resumes it */
	hub.woke++;
	fcontext_jump(t.fctx, &hub); /* ended: never resumed again */
}

/* Copies the owner's used bytes to a buffer of their size; false: no memory. */
static bool hand_save(struct hand_co *c)
{
	size_t len = (size_t)(hub.top - (char *)c->ctx), cls = (len + STEP - 1) / STEP;
	void **b = hub.free[cls];
	if (b) {
		hub.free[cls] = *b;
	} else {
		if ((size_t)(hub.end - hub.cur) < cls * STEP) {
			void **k = malloc(CHUNK);
			if (!k)
				return false;
			*k = hub.chunks;
			hub.chunks = k;
			hub.cur = (char *)k + STEP;
			hub.end = (char *)k + CHUNK;
		}
		b = (void **)hub.cur;
		hub.cur += cls * STEP;
	}
	hand_unpoison(c->ctx, len);
	memcpy(b, c->ctx, len);
	c->saved = b;
	hub.saved_bytes = (long)len;
	return true;
}

/* Runs c until it sleeps or ends, its frames on the stack first; false: no memory. */
static bool hand_resume(struct hand_co *c)
{
	if (hub.owner != c) {
		if (hub.owner && !hand_save(hub.owner))
			return false;
		hub.owner = c;
		hand_unpoison(hub.top - STACK, STACK);
		if (c->saved) { /* its bytes back, their buffer on its free list */
			size_t len = (size_t)(hub.top - (char *)c->ctx), cls = (len + STEP - 1) / STEP;
			void **b = c->saved;
			memcpy(c->ctx, b, len);
			*b = hub.free[cls];
			hub.free[cls] = b;
			c->saved = NULL;
		}
	}
	if (!c->ctx)
		c->ctx = make_fcontext(hub.top, STACK, hand_body);
	transfer_t t = fcontext_jump(c->ctx, c);
	c->ctx = t.data == &hub ? NULL : t.fctx;
	if (!c->ctx) {
		hub.owner = NULL; /* its frames are dead: nothing to save */
		hub.ended++;
	}
	return true;
}

/* Resumes, oldest first, those due now; a coroutine queued meanwhile waits its turn. */
static void hand_due(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	double now = hand_now();
	for (long k = hub.len - hub.head; k > 0 && hub.fifo[hub.head].due <= now; k--)
		if (!hand_resume(hub.fifo[hub.head++].who)) {
			hub.why = "no memory to save a coroutine's stack";
			ev_break(loop, EVBREAK_ALL);
			return;
		}
	if (hub.head < hub.len && !ev_is_active(&hub.timer))
		hand_arm(hub.fifo[hub.head].due);
}

static void hand_release(struct hand_co *cos)
{
	if (hub.loop) {
		ev_timer_stop(hub.loop, &hub.timer);
		ev_loop_destroy(hub.loop);
	}
	while (hub.chunks) {
		void **k = hub.chunks;
		hub.chunks = *k;
		free(k);
	}
	if (hub.map != MAP_FAILED)
		munmap(hub.map, GUARD + STACK);
	free(hub.fifo);
	free(cos);
}

int main(int argc, char **argv)
{
	long n, ms;
	if (argc != 3)
		return hand_usage(PROG " N MS");
	if (!hand_number(argv[1], 1, HAND_MAX_TASKS, &n))
		return hand_refuse(PROG, "N", argv[1], 1, HAND_MAX_TASKS);
	if (!hand_number(argv[2], 0, HAND_MAX_MS, &ms))
		return hand_refuse(PROG, "MS", argv[2], 0, HAND_MAX_MS);

	double rss0 = hand_peak_rss(), t0 = hand_now(), armed = t0;
	struct hand_co *cos = calloc((size_t)n, sizeof *cos);
	hub.fifo = malloc(sizeof *hub.fifo * (size_t)n);
	hub.d = (double)ms * 1e-3;
	hub.map = mmap(NULL, GUARD + STACK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (!cos || !hub.fifo || hub.map == MAP_FAILED || mprotect(hub.map, GUARD, PROT_NONE))
		hub.why = "no memory for the coroutines and their stack";
	else if (!(hub.loop = ev_loop_new(EVFLAG_AUTO)))
		hub.why = "ev_loop_new failed";
	if (!hub.why) {
		hub.top = hub.map + GUARD + STACK;
		ev_timer_init(&hub.timer, hand_due, 0, 0);
		for (long i = 0; i < n && !hub.why; i++)
			if (!hand_resume(&cos[i]))
				hub.why = "no memory to save a coroutine's stack";
		armed = hand_now();
		if (!hub.why)
			ev_run(hub.loop, 0);
	}
	double t1 = hand_now(), rss1 = hand_peak_rss();
	hand_release(cos);
	double t2 = hand_now();

	if (hub.why) {
		fprintf(stderr, PROG ": %s\n", hub.why);
		return 1;
	}
	if (hub.woke != n || hub.ended != n) {
		fprintf(stderr, PROG ": %ld of %ld coroutines woke, %ld ended\n", hub.woke, n,
			hub.ended);
		return 1;
	}
	return hand_report(PROG, "wall_s=%.6f tasks=%ld bytes_per_task=%.0f saved_bytes=%ld "
			   "arm_s=%.6f free_s=%.6f", t1 - t0, n, (rss1 - rss0) / (double)n,
			   hub.saved_bytes, armed - t0, t2 - t1) ? 0 : 1;
}
