/* From the parsed command line to the whole plan: the presets' sweeps with the user's
 * options merged in, --filter and the narrowing of presets, and the order of trials. */
#include "planbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

/* Options that choose how the whole run goes, not which cells it has: a preset holding
 * one would be ignored, or would decide for every other preset. */
static const char *run_wide_option(const struct cli *own)
{
	return own->npresets ? "--preset" : own->nfilters ? "--filter" : own->dry_run ? "--dry-run"
	       : own->add ? "--add" : own->output ? "-o/--output" : own->json ? "--json"
	       : own->heap != HEAP_SMALL ? "--heap" : own->order != ORDER_INTERLEAVED ? "--order"
	       : own->quiet ? "-q/--quiet" : own->color != COLOR_AUTO ? "--color"
	       : own->wide ? "--wide"
	       : own->floors ? "--floors" : own->no_floors ? "--no-floors" : own->list ? "--list"
	       : own->help ? "-h/--help" : own->version ? "--version" : NULL;
}

static int preset_fail(struct cb_err *err, const struct preset *ps, int sweep, bool with_user,
		       const char *msg)
{
	char copy[sizeof err->msg];
	cb_copy(copy, msg, sizeof copy);
	return cb_fail(err, CB_EINVAL, "%s:%d: preset %s%s: %s", ps->file, ps->sweep[sweep].line,
		       ps->name, with_user ? " (with the command line's options)" : "", copy);
}

/* The command line, as the presets it names take it. */
struct preset_user {
	const struct cli *c;
	const char *argv0;
	bool used[CLI_LIST_MAX]; /* the -p that some sweep ran */
};

static bool named_in(char *const *names, int n, const char *m)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], m) == 0)
			return true;
	return false;
}

/* Whether a preset's sweep (with the user's --add lists) runs module m: its -w and -r,
 * or the registries' defaults when it names none. */
static bool sweep_runs(const struct cli *sub, const struct cli *user, const char *m)
{
	const struct workload *wl = workload_find(m);
	const struct runner *rn = runner_find(m);
	if (named_in(sub->workloads, sub->nworkloads, m) ||
	    named_in(sub->runners, sub->nrunners, m))
		return true;
	if (user->add && (named_in(user->workloads, user->nworkloads, m) ||
			  named_in(user->runners, user->nrunners, m)))
		return true;
	return (wl && wl->in_default && sub->nworkloads == 0 && !(user->add && user->nworkloads)) ||
	       (rn && rn->in_default && sub->nrunners == 0 && !(user->add && user->nrunners));
}

/* A preset's words, parsed alone first so an error in them names their line, then the
 * user's options merged in (cli_merge: they replace the preset's, or add with --add);
 * a -p goes to the sweeps that run its module, so one -p fits a preset of several. */
static int preset_cli(struct cli *sub, const struct preset *ps, int sweep,
		      struct preset_user *pu, struct cb_err *err)
{
	size_t len = strlen(ps->sweep[sweep].args) + 1;
	char *buf = malloc(len), *words[PRESET_ARGS_MAX + 2];
	int nw, rc = CB_OK;
	*sub = (struct cli){0};
	if (!buf) {
		rc = cb_fail_errno(err, CB_ESYS, "presets");
		goto out;
	}
	if ((rc = preset_words(ps, sweep, words + 1, PRESET_ARGS_MAX, &nw, buf, len, err)))
		goto out;
	words[0] = (char *)pu->argv0;
	words[nw + 1] = NULL;
	rc = cli_parse(sub, nw + 1, words, err);
	const char *wide = rc ? NULL : run_wide_option(sub);
	if (rc || wide) {
		char why[200];
		if (wide)
			snprintf(why, sizeof why, "%s is an option of the whole run, not of a preset "
				 "(allowed in args: -w, -r, -n, -j, -p, --repeat, --warmup, --timeout, "
				 "--scale)", wide);
		rc = preset_fail(err, ps, sweep, false, wide ? why : err->msg);
		goto out;
	}
	struct cli mine = *pu->c; /* a shallow copy: cli_merge only reads it */
	mine.nparams = 0;
	for (int i = 0; i < pu->c->nparams; i++)
		if (sweep_runs(sub, pu->c, pu->c->params[i].module)) {
			mine.params[mine.nparams++] = pu->c->params[i];
			pu->used[i] = true;
		}
	if ((rc = cli_merge(sub, &mine, err)))
		rc = preset_fail(err, ps, sweep, true, err->msg);
out:
	free(buf);
	return rc;
}

/* user: the command line's own options; an error a preset's words meet with them
 * says so, since the preset alone may be fine. */
static int add_preset(struct plan *p, const struct preset *ps, struct preset_user *pu,
		      struct cb_err *err)
{
	int rc = CB_OK;
	for (int i = 0; rc == CB_OK && i < ps->nsweeps; i++) {
		struct cli sub;
		rc = preset_cli(&sub, ps, i, pu, err);
		if (rc == CB_OK && (rc = plan_add(p, &sub, ps->name, err)) == CB_EINVAL)
			preset_fail(err, ps, i, cli_shapes_cells(pu->c), err->msg);
		cli_free(&sub);
	}
	return rc;
}

/* Appends "key=v1,v2" of a list the user gave, as a clause that narrows the presets. */
static int narrow(struct filter *f, const char *key, char *const *names, const int64_t *nums,
		  int n, struct cb_err *err)
{
	if (n == 0)
		return CB_OK;
	char expr[CLI_LIST_MAX * 24 + 32];
	size_t off = (size_t)snprintf(expr, sizeof expr, "%s=", key);
	for (int i = 0; i < n && off < sizeof expr; i++)
		off += names ? (size_t)snprintf(expr + off, sizeof expr - off, "%s%s", i ? "," : "",
						names[i])
			     : (size_t)snprintf(expr + off, sizeof expr - off, "%s%lld", i ? "," : "",
						(long long)nums[i]);
	if (filter_parse(f, expr, err) == CB_OK)
		return CB_OK;
	/* The user wrote -r, not a filter: say what is wrong without the clause. */
	const char *why = strstr(err->msg, "': ");
	char copy[sizeof err->msg];
	cb_copy(copy, why ? why + 3 : err->msg, sizeof copy);
	return cb_fail(err, CB_EINVAL, "%s", copy);
}

/* --filter's clauses, and without --add the -w/-r/-n/-j that narrow the presets. */
static int build_filter(struct filter *f, const struct cli *c, struct cb_err *err)
{
	int rc;
	for (int i = 0; i < c->nfilters; i++)
		if ((rc = filter_parse(f, c->filters[i], err)))
			return rc;
	if (c->npresets == 0 || c->add)
		return CB_OK;
	if ((rc = narrow(f, "workload", c->workloads, NULL, c->nworkloads, err)) ||
	    (rc = narrow(f, "runner", c->runners, NULL, c->nrunners, err)) ||
	    (rc = narrow(f, "tasks", NULL, c->tasks, c->ntasks, err)) ||
	    (rc = narrow(f, "workers", NULL, c->workers, c->nworkers, err)))
		return rc;
	return CB_OK;
}

static int add_presets(struct plan *p, struct preset_list *pl, const struct cli *c,
		       const char *argv0, struct cb_err *err)
{
	struct preset_user pu = {.c = c, .argv0 = argv0};
	int rc;
	if ((rc = preset_load_dir(pl, preset_dir(), err)))
		return rc;
	for (int i = 0; i < c->npresets; i++) {
		bool all = strcmp(c->presets[i], "all") == 0;
		const struct preset *ps = all ? NULL : preset_find(pl, c->presets[i]);
		if (!all && !ps) {
			char names[2048] = "all";
			size_t off = 3;
			for (int k = 0; k < pl->n && off < sizeof names; k++)
				off += (size_t)snprintf(names + off, sizeof names - off, ", %s",
							pl->v[k].name);
			return cb_fail(err, CB_EINVAL, "unknown preset '%s' (allowed: %s)",
				       c->presets[i], names);
		}
		for (int k = 0; k < pl->n; k++) {
			bool take = all ? pl->v[k].in_all : ps == &pl->v[k];
			if (take && (rc = add_preset(p, &pl->v[k], &pu, err)))
				return rc;
		}
	}
	for (int i = 0; i < c->nparams; i++) {
		const struct cli_param *cp = &c->params[i];
		if (pu.used[i] || !filter_name(p->filter, FILTER_WORKLOAD, cp->module) ||
		    !filter_name(p->filter, FILTER_RUNNER, cp->module))
			continue;
		if (!workload_find(cp->module) && !runner_find(cp->module))
			return cb_fail(err, CB_EINVAL, "-p %s.%s: no workload or runner is named '%s' "
				       "(see --list)", cp->module, cp->key, cp->module);
		return cb_fail(err, CB_EINVAL, "-p %s.%s: no preset named runs %s (allowed: a "
			       "parameter of the presets' workloads and runners; --add -w or -r adds "
			       "one)", cp->module, cp->key, cp->module);
	}
	return CB_OK;
}

int planbuild(struct plan *p, struct preset_list *pl, const struct cli *c, const char *argv0,
	      struct cb_err *err)
{
	struct filter f = {0};
	int rc;
	if (c->add && c->npresets == 0) {
		rc = cb_fail(err, CB_EINVAL, "--add goes with --preset (it adds -w, -r, -n, -j and "
			     "-p to a preset's cells; without one they make the cells)");
		goto out;
	}
	if ((rc = build_filter(&f, c, err)))
		goto out;
	p->filter = f.n ? &f : NULL;
	rc = c->npresets ? add_presets(p, pl, c, argv0, err) : plan_add(p, c, NULL, err);
	p->filter = NULL;
	if (rc == CB_OK && p->ncells == 0) {
		bool narrowed = f.n > 0 && c->npresets && !c->add &&
				(c->nworkloads || c->nrunners || c->ntasks || c->nworkers);
		rc = cb_fail(err, CB_EINVAL, "no cell to run: %s%s%s rule%s out every cell (allowed: "
			     "values the plan has, which --dry-run without them lists%s)",
			     c->nfilters ? "--filter" : "", c->nfilters && narrowed ? " and " : "",
			     narrowed ? "-w/-r/-n/-j" : "", narrowed ? "" : "s",
			     narrowed ? "; --add adds them to a preset instead" : "");
	}
	if (rc == CB_OK)
		rc = plan_order(p, c->order, err);
out:
	filter_free(&f);
	return rc;
}
