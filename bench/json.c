/* Writing the run as JSON: strings escaped as RFC 8259 asks, numbers as %.9g, and a
 * figure that does not exist (NAN) as null, never a bare NaN. */
#include "json.h"

#include <math.h>
#include <stdbool.h>

#include "csv.h"
#include "version.h"

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jnum(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fputs("null", f);
}

static void kstr(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	jstr(f, v);
}

static void knum(FILE *f, const char *k, double v)
{
	fprintf(f, ",\"%s\":", k);
	jnum(f, v);
}

static void context(FILE *f, const struct csv_results *a)
{
	fputs("\"context\":{", f);
	for (int i = 0; a->si && i < a->si->n; i++)
		kstr(f, a->si->kv[i].key, a->si->kv[i].value, i > 0);
	const struct floors *fl = a->fl;
	fprintf(f, "%s\"floors\":{\"fork_wait_s\":", a->si && a->si->n ? "," : "");
	jnum(f, fl ? fl->fork_wait_s : NAN);
	knum(f, "page_touch_s", fl ? fl->page_touch_s : NAN);
	knum(f, "page_touch_huge_s", fl ? fl->page_touch_huge_s : NAN);
	knum(f, "base_rss_kib", fl && fl->base_rss_kib >= 0 ? (double)fl->base_rss_kib : NAN);
	knum(f, "countdown_ns_per_iter", fl ? fl->countdown_ns : NAN);
	knum(f, "parallel_cores", fl ? fl->parallel_cores : NAN);
	fputs("}}", f);
}

static void summary(FILE *f, const struct summary *s)
{
	char flags[64];
	summary_flag_names(s->flags, flags, sizeof flags);
	fprintf(f, "\"summary\":{\"trials\":%d,\"trials_ok\":%d,\"tasks_failed\":%ld", s->trials,
		s->trials_ok, s->tasks_failed);
	const struct {
		const char *k;
		double v;
	} nums[] = {{"mean_s", s->wall.mean},	      {"median_s", s->wall.median},
		    {"stddev_s", s->wall.stddev},     {"min_s", s->wall.min},
		    {"max_s", s->wall.max},	      {"ci95_lo_s", s->wall.ci95_lo},
		    {"ci95_hi_s", s->wall.ci95_hi},   {"cv", s->wall.cv},
		    {"speedup", s->speedup},	      {"speedup_lo", s->speedup_lo},
		    {"speedup_hi", s->speedup_hi},    {"ideal_s", s->ideal_s},
		    {"overhead_s", s->overhead_s},    {"overhead_per_task_s", s->overhead_per_task_s},
		    {"floor_s", s->floor_s},	      {"overhead_vs_floor", s->overhead_vs_floor},
		    {"maxrss_kib", s->maxrss_kib},    {"rss_per_task_b", s->rss_per_task_b},
		    {"minflt", s->minflt},	      {"user_s", s->user_s},
		    {"sys_s", s->sys_s},	      {"cores_used", s->cores},
		    {"median_lo_s", s->median_cover >= 0.95 ? s->median_lo : NAN},
		    {"median_hi_s", s->median_cover >= 0.95 ? s->median_hi : NAN}};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
		knum(f, nums[i].k, nums[i].v);
	kstr(f, "baseline", s->baseline ? s->baseline : "", true);
	kstr(f, "outcomes", s->outcomes, true);
	kstr(f, "flags", flags, true);
	kstr(f, "note", s->note, true);
	fprintf(f, ",\"trials_planned\":%d}", s->trials_planned);
}

static void trial(FILE *f, const struct trial_row *r)
{
	fprintf(f, "{\"trial\":%d,\"warmup\":%s", r->index, r->warmup ? "true" : "false");
	kstr(f, "outcome", r->outcome, true);
	knum(f, "wall_s", r->wall_s);
	knum(f, "trial_s", r->trial_s);
	knum(f, "user_s", r->user_s);
	knum(f, "sys_s", r->sys_s);
	knum(f, "cpu_s", r->cpu_s);
	knum(f, "cores_used", r->cores);
	fprintf(f, ",\"maxrss_kib\":%ld,\"minflt\":%ld,\"majflt\":%ld,\"vcsw\":%ld,\"ivcsw\":%ld,"
		"\"tasks_ok\":%d,\"tasks_failed\":%d", r->maxrss_kib, r->minflt, r->majflt,
		r->vcsw, r->ivcsw, r->tasks_ok, r->tasks_failed);
	kstr(f, "note", r->note, true);
	fputc('}', f);
}

void json_body(FILE *f, const void *arg)
{
	const struct csv_results *a = arg;
	fputs(JSON_HEAD, f);
	jstr(f, CB_VERSION);
	fputs(",\n", f);
	context(f, a);
	fputs(",\n\"cells\":[", f);
	for (int i = 0; i < a->nsums; i++) {
		const struct summary *s = &a->sums[i];
		const struct cell *c = s->cell;
		int ci = (int)(c - a->p->cells);
		fprintf(f, "%s\n{", i ? "," : "");
		kstr(f, "workload", c->wi->wl->name, false);
		kstr(f, "params", c->wi->params_str, true);
		kstr(f, "runner", c->ri->rn->name, true);
		kstr(f, "runner_params", c->ri->params_str, true);
		fprintf(f, ",\"tasks\":%d,\"workers\":%d", c->tasks, c->workers);
		kstr(f, "preset", c->preset, true);
		fputc(',', f);
		summary(f, s);
		fputs(",\"trials\":[", f);
		int k = 0;
		for (int t = 0; t < a->nrows; t++)
			if (a->rows[t].cell == ci) {
				if (k++)
					fputc(',', f);
				trial(f, &a->rows[t]);
			}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}
