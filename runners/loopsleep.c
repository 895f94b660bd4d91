/* A FIFO per sleep duration, each with one timer on its oldest sleeper; the lists
 * are found by duration in an open-addressing table, the last one used first. */
#include "loopsleep.h"

#include <stdbool.h>
#include <stdlib.h>

/* Lists come in chunks that never move: libev holds pointers to their timers. */
#define LOOPSLEEP_CHUNK 64

struct loopsleep_list {
	int64_t ns;
	int32_t head, tail; /* oldest and newest sleeper; -1: none */
	ev_timer timer;     /* on head's deadline whenever the list is not empty */
	struct loopsleep *ls;
};

struct loopsleep {
	struct loopsleep_conf c;
	struct loopsleep_list *last;   /* the list the last sleep went to */
	struct loopsleep_list **chunk; /* list i: chunk[i / CHUNK][i % CHUNK] */
	int nlists, nchunks;
	int32_t *table;                /* list index + 1 by hash of the duration; 0: free */
	unsigned mask;                 /* table size - 1 */
};

static struct loopsleeper *loopsleep_who(const struct loopsleep *ls, int32_t who)
{
	return (struct loopsleeper *)((char *)ls->c.base + (size_t)who * ls->c.stride + ls->c.off);
}

static struct loopsleep_list *loopsleep_nth(const struct loopsleep *ls, int32_t i)
{
	return &ls->chunk[i / LOOPSLEEP_CHUNK][i % LOOPSLEEP_CHUNK];
}

static unsigned loopsleep_hash(int64_t ns)
{
	return (unsigned)(((uint64_t)ns * 0x9e3779b97f4a7c15u) >> 32);
}

/* Ends every sleep of the list that is due, oldest first; sleeps begun meanwhile wait
 * for the next turn, so a task sleeping 0 in a loop cannot hold the loop. */
static void loopsleep_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	struct loopsleep_list *l = t->data;
	struct loopsleep *ls = l->ls;
	int32_t last = l->tail;
	double now = loopclock_read(ls->c.clock);
	while (l->head >= 0) {
		int32_t who = l->head;
		struct loopsleeper *s = loopsleep_who(ls, who);
		/* A shared read may lag the deadline; only a fresh one says it is not due. */
		if (s->deadline > now && s->deadline > (now = loopclock_read(ls->c.clock)))
			break;
		if ((l->head = s->next) < 0)
			l->tail = -1;
		ls->c.due(ls->c.ud, who);
		if (who == last)
			break;
		now = loopclock_stamp(ls->c.clock);
	}
	if (l->head >= 0 && !ev_is_active(t))
		loopclock_arm(loop, t, loopsleep_who(ls, l->head)->deadline);
}

static bool loopsleep_grow(struct loopsleep *ls)
{
	unsigned size = ls->mask ? 2 * (ls->mask + 1) : 64;
	int32_t *table = calloc(size, sizeof *table);
	if (!table)
		return false;
	for (int32_t i = 0; i < ls->nlists; i++) {
		unsigned h = loopsleep_hash(loopsleep_nth(ls, i)->ns) & (size - 1);
		while (table[h])
			h = (h + 1) & (size - 1);
		table[h] = i + 1;
	}
	free(ls->table);
	ls->table = table;
	ls->mask = size - 1;
	return true;
}

static struct loopsleep_list *loopsleep_new_list(struct loopsleep *ls, int64_t ns, unsigned h)
{
	if (ls->nlists % LOOPSLEEP_CHUNK == 0) {
		struct loopsleep_list **chunk =
			realloc(ls->chunk, sizeof *chunk * (size_t)(ls->nchunks + 1));
		if (!chunk)
			return NULL;
		ls->chunk = chunk;
		if (!(chunk[ls->nchunks] = malloc(sizeof **chunk * LOOPSLEEP_CHUNK)))
			return NULL;
		ls->nchunks++;
	}
	struct loopsleep_list *l = loopsleep_nth(ls, ls->nlists);
	*l = (struct loopsleep_list){.ns = ns, .head = -1, .tail = -1, .ls = ls};
	ev_timer_init(&l->timer, loopsleep_cb, 0, 0);
	l->timer.data = l;
	ls->table[h] = ++ls->nlists;
	return l;
}

static struct loopsleep_list *loopsleep_list(struct loopsleep *ls, int64_t ns)
{
	if (ls->last && ls->last->ns == ns)
		return ls->last;
	/* At most half full, so a probe ends soon. */
	if ((unsigned)ls->nlists + 1 > (ls->mask + 1) / 2 && !loopsleep_grow(ls))
		return NULL;
	unsigned h = loopsleep_hash(ns) & ls->mask;
	for (; ls->table[h]; h = (h + 1) & ls->mask) {
		struct loopsleep_list *l = loopsleep_nth(ls, ls->table[h] - 1);
		if (l->ns == ns)
			return ls->last = l;
	}
	return ls->last = loopsleep_new_list(ls, ns, h);
}

int loopsleep_open(struct loopsleep **out, const struct loopsleep_conf *conf, struct cb_err *err)
{
	struct loopsleep *ls = calloc(1, sizeof *ls);
	if (!ls || !loopsleep_grow(ls)) {
		free(ls);
		return cb_fail(err, CB_ELIMIT, "no memory for the sleep lists");
	}
	ls->c = *conf;
	*out = ls;
	return CB_OK;
}

int loopsleep_add(struct loopsleep *ls, int32_t who, int64_t ns, double now)
{
	struct loopsleep_list *l = loopsleep_list(ls, ns);
	if (!l)
		return CB_ELIMIT;
	struct loopsleeper *s = loopsleep_who(ls, who);
	s->deadline = now + (double)ns * 1e-9;
	s->next = -1;
	if (l->tail >= 0)
		loopsleep_who(ls, l->tail)->next = who;
	else
		l->head = who;
	l->tail = who;
	if (!ev_is_active(&l->timer))
		loopclock_arm(ls->c.loop, &l->timer, s->deadline);
	return CB_OK;
}

int loopsleep_lists(const struct loopsleep *ls)
{
	return ls->nlists;
}

void loopsleep_close(struct loopsleep *ls)
{
	if (!ls)
		return;
	for (int32_t i = 0; i < ls->nlists; i++)
		ev_timer_stop(ls->c.loop, &loopsleep_nth(ls, i)->timer);
	for (int i = 0; i < ls->nchunks; i++)
		free(ls->chunk[i]);
	free(ls->chunk);
	free(ls->table);
	free(ls);
}
