/* A function timed in a trial child: the clock inside the child, around fn alone. */
#include "trialtime.h"

#include "clock.h"
#include "trial.h"

/* What the trial child sends back: fn's code, its wall time, its error. */
struct timed_rec {
	int code;
	double wall_s;
	char note[256];
};

struct timed_fn {
	int (*fn)(void *arg, struct cb_err *err);
	void *arg;
};

static void timed_body(void *arg, void *rec)
{
	const struct timed_fn *t = arg;
	struct timed_rec *m = rec;
	struct cb_err err = {0};
	double t0 = clock_now();
	m->code = t->fn(t->arg, &err);
	m->wall_s = clock_now() - t0;
	cb_copy(m->note, err.msg, sizeof m->note);
}

int trialtime_fn(int (*fn)(void *arg, struct cb_err *err), void *arg, double timeout_s,
		 double *seconds, long *maxrss_kib, struct cb_err *err)
{
	struct timed_fn t = {fn, arg};
	struct timed_rec m;
	struct trial_seen s;
	int rc = trial_spawn(timed_body, &t, &m, sizeof m, timeout_s, &s, err);
	if (rc)
		return rc;
	if (maxrss_kib)
		*maxrss_kib = s.ru.ru_maxrss;
	if (s.timed_out)
		return cb_fail(err, CB_EFAIL, "timed out after %.3g s", timeout_s);
	if (!s.got) {
		char note[128] = "";
		trial_exit_note(&s, note, sizeof note);
		return cb_fail(err, CB_EFAIL, "%s", note);
	}
	if (m.code != CB_OK)
		return cb_fail(err, m.code, "%s", m.note);
	*seconds = m.wall_s;
	return CB_OK;
}
