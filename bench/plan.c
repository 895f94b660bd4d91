/* From parsed command lines to cells and an order of trials. */
#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "external.h"
#include "filter.h"
#include "sysinfo.h"

/* The modules one command line names, before they join the plan: first one instance
 * per module with its defaults, then one per combination of its -p values. */
struct picked {
	struct wl_inst *wls[PLAN_INST_MAX];
	int nwls;
	struct rn_inst *rns[PLAN_INST_MAX];
	int nrns;
};

static void names_of_workloads(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; workload_table[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					workload_table[i]->name);
}

static void names_of_runners(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; runner_table[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					runner_table[i]->name);
}

static int pick_workload(struct plan *p, struct picked *k, const char *name, struct cb_err *err)
{
	(void)p;
	const struct workload *wl = workload_find(name);
	if (!wl) {
		char all[512];
		names_of_workloads(all, sizeof all);
		return cb_fail(err, CB_EINVAL, "unknown workload '%s' (allowed: %s)", name, all);
	}
	for (int i = 0; i < k->nwls; i++)
		if (k->wls[i]->wl == wl)
			return CB_OK;
	struct wl_inst *wi = calloc(1, sizeof *wi);
	if (!wi)
		return cb_fail_errno(err, CB_ESYS, "plan");
	k->wls[k->nwls++] = wi;
	wi->wl = wl;
	return params_init(&wi->params, wl->name, wl->params, err);
}

static int pick_runner(struct plan *p, struct picked *k, const char *name, struct cb_err *err)
{
	const struct runner *rn = runner_find(name);
	if (!rn) {
		char all[512];
		names_of_runners(all, sizeof all);
		return cb_fail(err, CB_EINVAL, "unknown runner '%s' (allowed: %s)", name, all);
	}
	for (int i = 0; i < k->nrns; i++)
		if (k->rns[i]->rn == rn)
			return CB_OK;
	struct cb_err why = {0};
	if (rn->external && external_available(rn->external, &why) != CB_OK) {
		size_t off = strlen(p->skipped);
		if (!strstr(p->skipped, name))
			snprintf(p->skipped + off, sizeof p->skipped - off,
				 "%sskipped runner %s: %s", off ? "\n" : "", name, why.msg);
		return CB_OK;
	}
	struct rn_inst *ri = calloc(1, sizeof *ri);
	if (!ri)
		return cb_fail_errno(err, CB_ESYS, "plan");
	k->rns[k->nrns++] = ri;
	ri->rn = rn;
	return params_init(&ri->params, rn->name, rn->params, err);
}

typedef int (*pick_fn)(struct plan *, struct picked *, const char *, struct cb_err *);

static const char *default_workload(int i)
{
	return workload_table[i] ? (workload_table[i]->in_default ? workload_table[i]->name : "")
				 : NULL;
}

static const char *default_runner(int i)
{
	return runner_table[i] ? (runner_table[i]->in_default ? runner_table[i]->name : "") : NULL;
}

static bool name_known(enum filter_key key, const char *name)
{
	return key == FILTER_WORKLOAD ? workload_find(name) != NULL : runner_find(name) != NULL;
}

/* The names given, or else every name `defaults` marks (its i-th: the name, "" for one
 * not in the defaults, NULL past the end), less those the filter rules out (a name
 * that is no module's still gets pick's message). *tried: how many the filter let by. */
static int pick_names(struct plan *p, struct picked *k, char *const *names, int n,
		      const char *(*defaults)(int), enum filter_key key, pick_fn pick,
		      int *tried, struct cb_err *err)
{
	*tried = 0;
	for (int i = 0; i < n; i++) {
		if (name_known(key, names[i]) && !filter_name(p->filter, key, names[i]))
			continue;
		++*tried;
		if (pick(p, k, names[i], err))
			return err->code;
	}
	if (n > 0)
		return CB_OK;
	for (int i = 0; defaults(i); i++) {
		if (!*defaults(i) || !filter_name(p->filter, key, defaults(i)))
			continue;
		++*tried;
		if (pick(p, k, defaults(i), err))
			return err->code;
	}
	return CB_OK;
}

/* Whether module m is among the picked ones. */
static bool picked_has(const struct picked *k, const char *m)
{
	for (int j = 0; j < k->nwls; j++)
		if (strcmp(k->wls[j]->wl->name, m) == 0)
			return true;
	for (int j = 0; j < k->nrns; j++)
		if (strcmp(k->rns[j]->rn->name, m) == 0)
			return true;
	return false;
}

/* Each -p names a module of this run, or one the filter left out (its values then
 * have nothing to apply to). */
static int check_param_modules(const struct plan *p, const struct picked *k,
			       const struct cli *c, struct cb_err *err)
{
	for (int i = 0; i < c->nparams; i++) {
		const struct cli_param *cp = &c->params[i];
		if (picked_has(k, cp->module))
			continue;
		if ((workload_find(cp->module) && !filter_name(p->filter, FILTER_WORKLOAD, cp->module)) ||
		    (runner_find(cp->module) && !filter_name(p->filter, FILTER_RUNNER, cp->module)))
			continue;
		if (workload_find(cp->module) || runner_find(cp->module))
			return cb_fail(err, CB_EINVAL, "-p %s.%s: module '%s' is not in this "
				       "run (add it with -w or -r)", cp->module, cp->key,
				       cp->module);
		return cb_fail(err, CB_EINVAL, "-p %s.%s: no workload or runner is named "
			       "'%s' (see --list)", cp->module, cp->key, cp->module);
	}
	return CB_OK;
}

/* Every combination of the -p values for base's module, the first -p varying slowest,
 * into out[*n...], less those the filter rules out. */
static int param_combos(const struct plan *p, const struct params *base, const struct cli *c,
			struct params *out, int *n, struct cb_err *err)
{
	int idx[CLI_LIST_MAX], m = 0;
	size_t total = 1;
	for (int i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].module, base->module) == 0) {
			idx[m++] = i;
			total *= (size_t)(c->params[i].nvalues ? c->params[i].nvalues : 1);
			if (total > PLAN_INST_MAX)
				return cb_fail(err, CB_EINVAL, "the -p values of %s make more than %d "
					       "combinations (allowed: at most %d)", base->module,
					       PLAN_INST_MAX, PLAN_INST_MAX);
		}
	for (size_t combo = 0; combo < total; combo++) {
		struct params *q = &out[*n];
		if (*n >= PLAN_INST_MAX)
			return cb_fail(err, CB_EINVAL, "more than %d workload or runner settings",
				       PLAN_INST_MAX);
		if (params_copy(q, base, err))
			return err->code;
		size_t rest = combo;
		int rc = CB_OK;
		for (int j = m - 1; j >= 0 && rc == CB_OK; j--) {
			const struct cli_param *cp = &c->params[idx[j]];
			if (cp->nvalues == 0)
				continue;
			rc = params_set(q, cp->key, cp->values[rest % (size_t)cp->nvalues], err);
			rest /= (size_t)cp->nvalues;
		}
		if (rc) {
			params_free(q);
			return rc;
		}
		if (filter_params(p->filter, q))
			++*n;
		else
			params_free(q);
	}
	return CB_OK;
}

static void wl_inst_free(struct wl_inst *wi)
{
	if (!wi)
		return;
	if (wi->cfg && wi->wl->config_free)
		wi->wl->config_free(wi->cfg);
	params_free(&wi->params);
	free(wi->params_str);
	free(wi);
}

static void rn_inst_free(struct rn_inst *ri)
{
	if (!ri)
		return;
	params_free(&ri->params);
	free(ri->params_str);
	free(ri);
}

/* Moves the picked modules into the plan, sharing an instance with identical
 * parameters already there (so two presets share one server, one config). */
static int adopt(struct plan *p, struct picked *k, double scale, struct cb_err *err)
{
	for (int i = 0; i < k->nwls; i++) {
		struct wl_inst *wi = k->wls[i];
		if (scale != 1 && params_scale(&wi->params, scale, err))
			return err->code;
		if (!(wi->params_str = params_format(&wi->params)))
			return cb_fail_errno(err, CB_ESYS, "plan");
		bool shared = false;
		for (int j = 0; j < p->nwls && !shared; j++)
			if (p->wls[j]->wl == wi->wl && strcmp(p->wls[j]->params_str, wi->params_str) == 0) {
				wl_inst_free(wi);
				wi = k->wls[i] = p->wls[j];
				shared = true;
			}
		if (shared)
			continue;
		if (p->nwls >= PLAN_INST_MAX)
			return cb_fail(err, CB_EINVAL, "more than %d workload settings", PLAN_INST_MAX);
		p->wls[p->nwls++] = wi;
		if (wi->wl->configure(&wi->params, &wi->cfg, err))
			return err->code ? err->code : CB_EINVAL;
	}
	for (int i = 0; i < k->nrns; i++) {
		struct rn_inst *ri = k->rns[i];
		if (!(ri->params_str = params_format(&ri->params)))
			return cb_fail_errno(err, CB_ESYS, "plan");
		bool shared = false;
		for (int j = 0; j < p->nrns && !shared; j++)
			if (p->rns[j]->rn == ri->rn && strcmp(p->rns[j]->params_str, ri->params_str) == 0) {
				rn_inst_free(ri);
				ri = k->rns[i] = p->rns[j];
				shared = true;
			}
		if (shared)
			continue;
		if (p->nrns >= PLAN_INST_MAX)
			return cb_fail(err, CB_EINVAL, "more than %d runner settings", PLAN_INST_MAX);
		p->rns[p->nrns++] = ri;
		if (ri->rn->configure && ri->rn->configure(&ri->params, err))
			return err->code ? err->code : CB_EINVAL;
	}
	return CB_OK;
}

static bool same_cell(const struct cell *a, const struct cell *b)
{
	return a->wi == b->wi && a->ri == b->ri && a->tasks == b->tasks && a->workers == b->workers &&
	       strcmp(a->preset, b->preset) == 0;
}

static int add_cells(struct plan *p, const struct picked *k, const struct cli *c,
		     const char *preset, struct cb_err *err)
{
	int64_t def_tasks = CLI_DEFAULT_TASKS, def_workers = 0;
	const int64_t *tasks = c->ntasks ? c->tasks : &def_tasks;
	const int64_t *workers = c->nworkers ? c->workers : &def_workers;
	int nt = c->ntasks ? c->ntasks : 1, nw = c->nworkers ? c->nworkers : 1;
	size_t more = (size_t)k->nwls * (size_t)k->nrns * (size_t)nt * (size_t)nw;
	if ((size_t)p->ncells + more > PLAN_CELLS_MAX)
		return cb_fail(err, CB_EINVAL, "the plan would have %zu cells (allowed: at most %d)",
			       (size_t)p->ncells + more, PLAN_CELLS_MAX);
	struct cell *cells = realloc(p->cells, sizeof *cells * ((size_t)p->ncells + more + 1));
	if (!cells)
		return cb_fail(err, CB_EINVAL, "the plan would have %zu cells: too many to hold in "
			       "memory (allowed: fewer workloads, runners, -n or -j values)",
			       (size_t)p->ncells + more);
	p->cells = cells;
	for (int w = 0; w < k->nwls; w++)
		for (int r = 0; r < k->nrns; r++) {
			/* A peer runs the workloads its program declares. */
			const struct runner *rn = k->rns[r]->rn;
			if (rn->external &&
			    external_check_workload(rn->external, k->wls[w]->wl->name, err)) {
				char why[sizeof err->msg];
				cb_copy(why, err->msg, sizeof why);
				return cb_fail(err, CB_EINVAL, "runner %s: %s", rn->name, why);
			}
		}
	for (int w = 0; w < k->nwls; w++)
		for (int t = 0; t < nt && k->wls[w]->wl->check_cell; t++)
			if (k->wls[w]->wl->check_cell(k->wls[w]->cfg, (int)tasks[t], 0, err))
				return CB_EINVAL;
	for (int w = 0; w < k->nwls; w++)
		for (int t = 0; t < nt; t++)
			for (int r = 0; r < k->nrns; r++)
				for (int j = 0; j < nw; j++) {
					struct cell cell = {
						.wi = k->wls[w], .ri = k->rns[r], .tasks = (int)tasks[t],
						/* A one-at-a-time runner gives one cell for any W. */
						.workers = k->rns[r]->rn->one_at_a_time ? 1 : (int)workers[j],
						.repeat = (int)c->repeat, .warmup = (int)c->warmup,
						.timeout_s = c->timeout_s};
					cb_copy(cell.preset, preset ? preset : "", sizeof cell.preset);
					bool dup = !filter_cell(p->filter, &cell);
					for (int x = 0; x < p->ncells && !dup; x++)
						dup = same_cell(&p->cells[x], &cell);
					if (!dup)
						p->cells[p->ncells++] = cell;
				}
	return CB_OK;
}

/* Replaces each picked module by one instance a combination of its -p values. */
static int apply_params(struct plan *p, struct picked *k, const struct cli *c,
			struct cb_err *err)
{
	int rc = check_param_modules(p, k, c, err);
	struct params *out = calloc(PLAN_INST_MAX, sizeof *out);
	if (!out)
		return cb_fail_errno(err, CB_ESYS, "plan");
	int nw = k->nwls, nr = k->nrns;
	struct wl_inst *wls[PLAN_INST_MAX];
	struct rn_inst *rns[PLAN_INST_MAX];
	memcpy(wls, k->wls, sizeof wls[0] * (size_t)nw);
	memcpy(rns, k->rns, sizeof rns[0] * (size_t)nr);
	k->nwls = k->nrns = 0;
	for (int i = 0; i < nw; i++) {
		int n = 0;
		if (rc == CB_OK)
			rc = param_combos(p, &wls[i]->params, c, out, &n, err);
		for (int j = 0; j < n; j++) {
			struct wl_inst *wi = calloc(1, sizeof *wi);
			if (!wi || k->nwls >= PLAN_INST_MAX) {
				free(wi);
				params_free(&out[j]);
				rc = rc ? rc : cb_fail(err, CB_EINVAL, "more than %d workload settings",
						       PLAN_INST_MAX);
				continue;
			}
			*wi = (struct wl_inst){.wl = wls[i]->wl, .params = out[j]};
			k->wls[k->nwls++] = wi;
		}
		wl_inst_free(wls[i]);
	}
	for (int i = 0; i < nr; i++) {
		int n = 0;
		if (rc == CB_OK)
			rc = param_combos(p, &rns[i]->params, c, out, &n, err);
		for (int j = 0; j < n; j++) {
			struct rn_inst *ri = calloc(1, sizeof *ri);
			if (!ri || k->nrns >= PLAN_INST_MAX) {
				free(ri);
				params_free(&out[j]);
				rc = rc ? rc : cb_fail(err, CB_EINVAL, "more than %d runner settings",
						       PLAN_INST_MAX);
				continue;
			}
			*ri = (struct rn_inst){.rn = rns[i]->rn, .params = out[j]};
			k->rns[k->nrns++] = ri;
		}
		rn_inst_free(rns[i]);
	}
	free(out);
	return rc;
}

int plan_add(struct plan *p, const struct cli *c, const char *preset, struct cb_err *err)
{
	struct picked k = {0};
	int rc, nw, nr;
	if ((rc = pick_names(p, &k, c->workloads, c->nworkloads, default_workload,
			     FILTER_WORKLOAD, pick_workload, &nw, err)) ||
	    (rc = pick_names(p, &k, c->runners, c->nrunners, default_runner, FILTER_RUNNER,
			     pick_runner, &nr, err)))
		goto fail;
	if (nw == 0 || nr == 0) /* the filter left no workload or no runner: no cells */
		goto fail;
	if (k.nrns == 0) {
		rc = cb_fail(err, CB_EINVAL, "no runner can run here:\n%s", p->skipped);
		goto fail;
	}
	if ((rc = apply_params(p, &k, c, err)) || (rc = adopt(p, &k, c->scale, err)))
		goto fail;
	return add_cells(p, &k, c, preset, err);
fail:
	/* Free what the plan did not take over. */
	for (int i = 0; i < k.nwls; i++) {
		bool owned = false;
		for (int j = 0; j < p->nwls && !owned; j++)
			owned = p->wls[j] == k.wls[i];
		if (!owned)
			wl_inst_free(k.wls[i]);
	}
	for (int i = 0; i < k.nrns; i++) {
		bool owned = false;
		for (int j = 0; j < p->nrns && !owned; j++)
			owned = p->rns[j] == k.rns[i];
		if (!owned)
			rn_inst_free(k.rns[i]);
	}
	return rc;
}

/* Speed-ups are over the family's one serial runner: two would make them ambiguous. */
static int one_baseline_per_family(const struct plan *p, struct cb_err *err)
{
	for (int i = 0; i < p->nrns; i++)
		for (int j = i + 1; j < p->nrns; j++) {
			const struct rn_inst *a = p->rns[i], *b = p->rns[j];
			if (a->rn->one_at_a_time && b->rn->one_at_a_time &&
			    strcmp(a->rn->family, b->rn->family) == 0)
				return cb_fail(err, CB_EINVAL, "runners '%s%s%s' and '%s%s%s' are both "
					       "serial runners of %s; a run takes one baseline per "
					       "family (allowed: one of them, with one set of -p values)",
					       a->rn->name, *a->params_str ? " " : "", a->params_str,
					       b->rn->name, *b->params_str ? " " : "", b->params_str,
					       a->rn->family);
		}
	return CB_OK;
}

int plan_order(struct plan *p, enum cli_order order, struct cb_err *err)
{
	int rc = one_baseline_per_family(p, err);
	if (rc)
		return rc;
	size_t total = 0;
	int rounds = 0;
	for (int c = 0; c < p->ncells; c++) {
		int per = p->cells[c].warmup + p->cells[c].repeat;
		total += (size_t)per;
		if (per > rounds)
			rounds = per;
	}
	if (total > PLAN_TRIALS_MAX)
		return cb_fail(err, CB_EINVAL, "the plan's %d cells make %zu trials (allowed: at most "
			       "%d; fewer cells, or a smaller --repeat)", p->ncells, total,
			       PLAN_TRIALS_MAX);
	free(p->order);
	p->order = calloc(total + 1, sizeof *p->order);
	if (!p->order)
		return cb_fail(err, CB_EINVAL, "the plan's %d cells make %zu trials: too many to "
			       "hold in memory (allowed: fewer cells, or a smaller --repeat)",
			       p->ncells, total);
	int n = 0;
	if (order == ORDER_INTERLEAVED) {
		for (int i = 0; i < rounds; i++)
			for (int c = 0; c < p->ncells; c++)
				if (i < p->cells[c].warmup + p->cells[c].repeat)
					p->order[n++] = (struct plan_trial){c, i, i < p->cells[c].warmup};
	} else {
		for (int c = 0; c < p->ncells; c++)
			for (int i = 0; i < p->cells[c].warmup + p->cells[c].repeat; i++)
				p->order[n++] = (struct plan_trial){c, i, i < p->cells[c].warmup};
	}
	p->norder = n;
	return CB_OK;
}

void plan_free(struct plan *p)
{
	for (int i = 0; i < p->nwls; i++)
		wl_inst_free(p->wls[i]);
	for (int i = 0; i < p->nrns; i++)
		rn_inst_free(p->rns[i]);
	free(p->cells);
	free(p->order);
	*p = (struct plan){0};
}

double plan_ideal_s(const struct cell *c)
{
	const struct workload *wl = c->wi->wl;
	double v = NAN;
	if (c->ri->rn->waits_skipped) /* such a runner leaves the waits out */
		v = wl->cpu_bound ? NAN : 0;
	else if (wl->ideal_s)
		v = wl->ideal_s(c->wi->cfg, c->tasks, c->workers);
	if (wl->cpu_s && v >= 0) { /* before the run, the cores the host lists */
		double w = runner_workers(c->tasks, c->workers), cores = sysinfo_cores();
		double cpu = wl->cpu_s(c->wi->cfg, c->tasks) / fmax(1, w < cores ? w : cores);
		v = fmax(v, cpu);
	}
	return v < 0 ? NAN : v;
}
