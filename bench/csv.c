/* Writing results as CSV. */
#include "csv.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "json.h"

/* One field made of parts (NULL-terminated), quoted as a whole when any part needs it:
 * no buffer, so no length to cut it at. */
static void csv_field_cat(FILE *f, const char *const *parts)
{
	bool quote = false;
	for (int i = 0; parts[i] && !quote; i++)
		quote = strpbrk(parts[i], ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	for (int i = 0; parts[i]; i++)
		for (const char *s = parts[i]; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
	if (quote)
		fputc('"', f);
}

void csv_field(FILE *f, const char *s)
{
	csv_field_cat(f, (const char *const[]){s, NULL});
}

void csv_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
}

int csv_paths_for(struct csv_paths *cp, const char *output, struct cb_err *err)
{
	*cp = (struct csv_paths){.to_stdout = output && strcmp(output, "-") == 0};
	if (!output)
		return CB_OK;
	if (cp->to_stdout) {
		snprintf(cp->trials, sizeof cp->trials, "-");
		return CB_OK;
	}
	size_t n = strlen(output);
	if (n + 16 >= sizeof cp->trials)
		return cb_fail(err, CB_EINVAL, "--output: path too long");
	size_t stem = n > 4 && strcmp(output + n - 4, ".csv") == 0 ? n - 4 : n;
	snprintf(cp->trials, sizeof cp->trials, "%s", output);
	snprintf(cp->summary, sizeof cp->summary, "%.*s.summary.csv", (int)stem, output);
	snprintf(cp->meta, sizeof cp->meta, "%.*s.meta.csv", (int)stem, output);
	snprintf(cp->json, sizeof cp->json, "%.*s.json", (int)stem, output);
	return CB_OK;
}

int csv_paths_add_json(struct csv_paths *cp, const char *path, struct cb_err *err)
{
	if (strcmp(path, "-") == 0) {
		if (cp->to_stdout)
			return cb_fail(err, CB_EINVAL, "--json -: stdout already carries the trials "
				       "of -o - (allowed: a file name for one of them)");
		cp->json_to_stdout = true;
		return CB_OK;
	}
	if (strlen(path) >= sizeof cp->json_only)
		return cb_fail(err, CB_EINVAL, "--json: path too long");
	if (cp->json[0] && strcmp(path, cp->json) == 0)
		return cb_fail(err, CB_EINVAL, "--json %s: -o writes that file already "
			       "(allowed: another name, or -o alone)", path);
	snprintf(cp->json_only, sizeof cp->json_only, "%s", path);
	return CB_OK;
}

/* The first bytes of each file as we write it, so an old one can be told ours: this
 * version's, or an earlier one's (rows without run and host ids). */
static const char trials_head[] = "run_id,|workload,", summary_head[] = "run_id,|workload,",
		  meta_head[] = "key,value";

int csv_check_writable(const struct csv_paths *cp, struct cb_err *err)
{
	const char *const paths[] = {cp->trials, cp->summary, cp->meta, cp->json,
				     cp->json_only};
	const char *const heads[] = {trials_head, summary_head, meta_head, JSON_HEAD, JSON_HEAD};
	for (int i = cp->to_stdout ? 4 : 0; i < 5; i++)
		if (paths[i][0] && fileset_check_target(paths[i], heads[i], err)) {
			char msg[sizeof err->msg];
			cb_copy(msg, err->msg, sizeof msg);
			return cb_fail(err, CB_EINVAL, "%s: %s", i == 4 ? "--json" : "--output", msg);
		}
	return CB_OK;
}

/* Numbers in the C locale whatever LC_NUMERIC says: '.' as the decimal point. The
 * thread holds it while a file is made, and gets its own back after. */
static locale_t c_locale_hold(locale_t *old)
{
	locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	*old = c_loc ? uselocale(c_loc) : (locale_t)0;
	return c_loc;
}

static void c_locale_release(locale_t c_loc, locale_t old)
{
	if (c_loc) {
		uselocale(old);
		freelocale(c_loc);
	}
}

static int write_in_c_locale(const struct fileset_file *files, int n, struct cb_err *err)
{
	locale_t old, c_loc = c_locale_hold(&old);
	int rc = fileset_write(files, n, err);
	c_locale_release(c_loc, old);
	return rc;
}

/* The union of every registered workload's metric names, in registry order. */
static int metric_columns(const char **names, int max)
{
	int n = 0;
	for (int w = 0; workload_table[w]; w++)
		for (int k = 0; workload_table[w]->metrics && workload_table[w]->metrics[k]; k++) {
			const char *m = workload_table[w]->metrics[k];
			bool seen = false;
			for (int i = 0; i < n && !seen; i++)
				seen = strcmp(names[i], m) == 0;
			if (!seen && n < max)
				names[n++] = m;
		}
	return n;
}

static void metric_cells(FILE *f, const struct workload *wl, const double *metric,
			 const char **cols, int ncols)
{
	for (int i = 0; i < ncols; i++) {
		fputc(',', f);
		for (int k = 0; wl->metrics && wl->metrics[k] && k < WL_METRICS_MAX; k++)
			if (strcmp(wl->metrics[k], cols[i]) == 0)
				csv_number(f, metric[k]);
	}
}

static void cell_key(FILE *f, const struct cell *c)
{
	csv_field(f, c->wi->wl->name);
	fputc(',', f);
	csv_field(f, c->wi->params_str);
	fputc(',', f);
	csv_field(f, c->ri->rn->name);
	fputc(',', f);
	csv_field(f, c->ri->params_str);
	fprintf(f, ",%d,%d,", c->tasks, c->workers);
	csv_field(f, c->preset);
}

/* The run and the machine every row belongs to, so that rows of many runs can be one set. */
static void row_ids(FILE *f, const struct csv_results *a)
{
	const char *run = a->si ? sysinfo_get(a->si, "run_id") : NULL;
	const char *host = a->si ? sysinfo_get(a->si, "host_id") : NULL;
	csv_field(f, run ? run : "");
	fputc(',', f);
	csv_field(f, host ? host : "");
	fputc(',', f);
}

static void trials_body(FILE *f, const void *arg)
{
	const struct csv_results *a = arg;
	const char *cols[64];
	int ncols = metric_columns(cols, 64);
	fputs("run_id,host_id,workload,params,runner,runner_params,tasks,workers,preset,trial,wall_s,"
	      "user_s,sys_s,"
	      "maxrss_kib,minflt,vcsw,ivcsw,tasks_ok,tasks_failed,warmup,outcome,trial_s,majflt,"
	      "task_p50_s,task_max_s", f);
	for (int k = 1; k < FAIL_REASONS; k++)
		fprintf(f, ",fail_%s", task_fail_name(k));
	fputs(",cpu_s,cores_used", f);
	for (int i = 0; i < ncols; i++)
		fprintf(f, ",%s", cols[i]);
	fputs(",note\n", f);
	for (int i = 0; i < a->nrows; i++) {
		const struct trial_row *r = &a->rows[i];
		const struct cell *c = &a->p->cells[r->cell];
		row_ids(f, a);
		cell_key(f, c);
		fprintf(f, ",%d,", r->index);
		csv_number(f, r->wall_s);
		fputc(',', f);
		csv_number(f, r->user_s);
		fputc(',', f);
		csv_number(f, r->sys_s);
		fprintf(f, ",%ld,%ld,%ld,%ld,%d,%d,%d,", r->maxrss_kib, r->minflt, r->vcsw, r->ivcsw,
			r->tasks_ok, r->tasks_failed, r->warmup ? 1 : 0);
		csv_field(f, r->outcome);
		fputc(',', f);
		csv_number(f, r->trial_s);
		fprintf(f, ",%ld,", r->majflt);
		csv_number(f, r->task_p50_s);
		fputc(',', f);
		csv_number(f, r->task_max_s);
		for (int k = 1; k < FAIL_REASONS; k++)
			fprintf(f, ",%d", r->fail[k]);
		fputc(',', f);
		csv_number(f, r->cpu_s);
		fputc(',', f);
		csv_number(f, r->cores);
		metric_cells(f, c->wi->wl, r->metric, cols, ncols);
		fputc(',', f);
		csv_field(f, r->note);
		fputc('\n', f);
	}
}

int csv_write_trials(const char *path, const struct plan *p, const struct trial_row *rows,
		     int nrows, struct cb_err *err)
{
	struct csv_results r = {.p = p, .rows = rows, .nrows = nrows};
	return write_in_c_locale(&(struct fileset_file){path, trials_body, &r}, 1, err);
}

static void summary_body(FILE *f, const void *arg)
{
	const struct csv_results *a = arg;
	const char *cols[64];
	int ncols = metric_columns(cols, 64);
	fputs("run_id,host_id,workload,params,runner,runner_params,tasks,workers,preset,trials,"
	      "trials_ok,tasks_failed,"
	      "mean_s,median_s,stddev_s,min_s,max_s,ci95_lo_s,ci95_hi_s,cv,speedup,speedup_lo,"
	      "speedup_hi,ideal_s,"
	      "overhead_s,overhead_per_task_s,floor_s,overhead_vs_floor,maxrss_kib,"
	      "rss_per_task_b,minflt,minflt_per_task,user_s,sys_s,vcsw,ivcsw,trial_s,"
	      "task_p50_s,task_max_s,baseline,cores_used,outcomes,median_lo_s,median_hi_s,"
	      "trials_planned,note,flags", f);
	for (int i = 0; i < ncols; i++)
		fprintf(f, ",%s", cols[i]);
	fputc('\n', f);
	for (int i = 0; i < a->nsums; i++) {
		const struct summary *s = &a->sums[i];
		row_ids(f, a);
		cell_key(f, s->cell);
		fprintf(f, ",%d,%d,%ld", s->trials, s->trials_ok, s->tasks_failed);
		const double v[] = {s->wall.mean, s->wall.median, s->wall.stddev, s->wall.min,
				    s->wall.max, s->wall.ci95_lo, s->wall.ci95_hi, s->wall.cv,
				    s->speedup, s->speedup_lo, s->speedup_hi, s->ideal_s,
				    s->overhead_s, s->overhead_per_task_s, s->floor_s,
				    s->overhead_vs_floor, s->maxrss_kib, s->rss_per_task_b,
				    s->minflt, s->minflt_per_task, s->user_s, s->sys_s, s->vcsw,
				    s->ivcsw, s->trial_s, s->task_p50_s, s->task_max_s};
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
			fputc(',', f);
			csv_number(f, v[k]);
		}
		char flags[64];
		summary_flag_names(s->flags, flags, sizeof flags);
		fputc(',', f);
		csv_field(f, s->baseline ? s->baseline : "");
		fputc(',', f);
		csv_number(f, s->cores);
		fputc(',', f);
		csv_field(f, s->outcomes);
		/* Below 6 trials the interval cannot reach 95%: none then, as for the speed-up. */
		bool ci = s->median_cover >= 0.95;
		fputc(',', f);
		csv_number(f, ci ? s->median_lo : NAN);
		fputc(',', f);
		csv_number(f, ci ? s->median_hi : NAN);
		fprintf(f, ",%d,", s->trials_planned);
		csv_field(f, s->note);
		fputc(',', f);
		csv_field(f, flags);
		metric_cells(f, s->cell->wi->wl, s->metric, cols, ncols);
		fputc('\n', f);
	}
}

int csv_write_summary(const char *path, const struct summary *sums, int n, struct cb_err *err)
{
	struct csv_results r = {.sums = sums, .nsums = n};
	return write_in_c_locale(&(struct fileset_file){path, summary_body, &r}, 1, err);
}

static void meta_row(FILE *f, const char *key, const char *value)
{
	csv_field(f, key);
	fputc(',', f);
	csv_field(f, value);
	fputc('\n', f);
}

static void meta_number(FILE *f, const char *key, double v)
{
	csv_field(f, key);
	fputc(',', f);
	csv_number(f, v);
	fputc('\n', f);
}

static void meta_number_cat(FILE *f, const char *const *key_parts, double v)
{
	csv_field_cat(f, key_parts);
	fputc(',', f);
	csv_number(f, v);
	fputc('\n', f);
}

static void meta_body(FILE *f, const void *arg)
{
	const struct csv_results *a = arg;
	const struct floors *fl = a->fl;
	fputs("key,value\n", f);
	for (int i = 0; i < a->si->n; i++)
		meta_row(f, a->si->kv[i].key, a->si->kv[i].value);
	meta_number(f, "floor_fork_wait_s", fl->fork_wait_s);
	meta_number(f, "floor_page_touch_s", fl->page_touch_s);
	meta_number(f, "floor_page_touch_huge_s", fl->page_touch_huge_s);
	meta_number(f, "base_rss_kib", fl->base_rss_kib < 0 ? NAN : (double)fl->base_rss_kib);
	meta_number(f, "countdown_ns_per_iter", fl->countdown_ns);
	meta_number(f, "core_ghz_est", fl->core_ghz);
	meta_number(f, "countdown_cycles_per_iter", fl->countdown_ns * fl->core_ghz);
	meta_number(f, "parallel_cores", fl->parallel_cores);
	double lo, hi;
	floors_capacity_range(fl, &lo, &hi);
	meta_number(f, "parallel_cores_lo", lo);
	meta_number(f, "parallel_cores_hi", hi);
	meta_number(f, "parallel_cores_pairs", fl->cap_pairs ? fl->cap_pairs : NAN);
	for (int i = 0; i < fl->n; i++) {
		const struct floor_entry *e = &fl->e[i];
		char tasks[24], workers[24];
		snprintf(tasks, sizeof tasks, "%d", e->tasks);
		snprintf(workers, sizeof workers, "%d", e->workers);
		meta_number_cat(f, (const char *const[]){"floor_s:", e->ri->rn->name, ":tasks=",
			tasks, ":workers=", workers, ":", e->wi->wl->name, ":", e->wi->params_str,
			NULL}, e->seconds);
	}
	for (int i = 0; i < fl->nb; i++) {
		const struct base_entry *b = &fl->b[i];
		meta_number_cat(f, (const char *const[]){"base_rss_kib:", b->ri->rn->name, ":",
			b->wi->wl->name, ":", b->wi->params_str, NULL},
			b->rss_kib < 0 ? NAN : (double)b->rss_kib);
	}
}

int csv_write_meta(const char *path, const struct sysinfo *si, const struct floors *f,
		   struct cb_err *err)
{
	struct csv_results r = {.si = si, .fl = f};
	return write_in_c_locale(&(struct fileset_file){path, meta_body, &r}, 1, err);
}

int csv_write_set(const struct csv_paths *cp, const struct csv_results *r, struct cb_err *err)
{
	const struct fileset_file all[] = {
		{cp->trials, trials_body, r},
		{cp->summary, summary_body, r},
		{cp->meta, meta_body, r},
		{cp->json, json_body, r},
		{cp->json_only, json_body, r},
	};
	struct fileset_file set[5];
	int n = 0;
	for (int i = cp->to_stdout ? 4 : 0; i < 5; i++)
		if (all[i].path[0])
			set[n++] = all[i];
	return n ? write_in_c_locale(set, n, err) : CB_OK;
}

void csv_print_json(FILE *f, const struct csv_results *r)
{
	locale_t old, c_loc = c_locale_hold(&old);
	json_body(f, r);
	c_locale_release(c_loc, old);
}

void csv_print_trials(FILE *f, const struct csv_results *r)
{
	locale_t old, c_loc = c_locale_hold(&old);
	trials_body(f, r);
	c_locale_release(c_loc, old);
}
