/* presets: reading preset files (good ones, and bad ones named by file:line),
 * splitting args with quotes, folders of files, and the presets that ship. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "plan.h"
#include "planbuild.h"
#include "preset.h"
#include "scratch.h"

/* "name|title|args+args|line" per preset, joined by ';'; a '!' after the line when
 * --preset all leaves it out. */
static void describe(const struct preset_list *pl, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < pl->n && off < len; i++) {
		const struct preset *p = &pl->v[i];
		off += (size_t)snprintf(buf + off, len - off, "%s%s|%s|", i ? ";" : "", p->name,
					p->title ? p->title : "");
		for (int k = 0; k < p->nsweeps && off < len; k++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? "+" : "",
						p->sweep[k].args);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "|%d%s", p->line,
						p->in_all ? "" : "!");
	}
}

struct file_case {
	const char *text;
	int rc;
	const char *want; /* CB_OK: the description; otherwise: in the message */
};

static const struct file_case file_cases[] = {
	{"# a comment\n[a]\ntitle = T\nargs = -w sleep\n", CB_OK, "a|T|-w sleep|2"},
	{"\n   [b-1_X]   \n\targs=  -n 3  \n\n# end\n", CB_OK, "b-1_X||-n 3|2"},
	{"[a]\nargs=x\n[b]\nargs=y\ntitle=t\n", CB_OK, "a||x|1;b|t|y|3"},
	{"[a]\nargs = z", CB_OK, "a||z|1"}, /* no newline at the end */
	{"[a]\nargs = -p sleep.ms=5 -r \"x y\"\n", CB_OK, "a||-p sleep.ms=5 -r \"x y\"|1"},
	{"[a]\nargs = first\nargs = second\n", CB_OK, "a||first+second|1"},
	{"[a]\nin_all = no\nargs = x\n[b]\nargs = y\nin_all = yes\n", CB_OK, "a||x|1!;b||y|4"},
	{"[a]\nargs = x\nin_all = maybe\n", CB_EINVAL,
	 "t.preset:3: in_all = 'maybe' (allowed: yes, no)"},
	{"[a]\nargs=1\nargs=2\nargs=3\nargs=4\nargs=5\nargs=6\nargs=7\nargs=8\nargs=9\nargs=10\n"
	 "args=11\nargs=12\nargs=13\nargs=14\nargs=15\nargs=16\nargs=17\n", CB_EINVAL,
	 "t.preset:18: more than 16 args lines in preset 'a'"},
	{"", CB_OK, ""},
	{"[a\nargs=x\n", CB_EINVAL, "t.preset:1: a preset header is [name]"},
	{"[]\n", CB_EINVAL, "t.preset:1: a preset header is [name]"},
	{"[a] # note\n", CB_EINVAL, "t.preset:1: a preset header is [name]"},
	{"[a b]\nargs=x\n", CB_EINVAL,
	 "t.preset:1: preset name 'a b' may hold letters, digits, '-' and '_' only"},
	{"[a.b]\n", CB_EINVAL, "t.preset:1: preset name 'a.b' may hold"},
	{"[a]\nargs=x\n\n[a]\nargs=y\n", CB_EINVAL, "t.preset:4: preset 'a' is defined twice"},
	{"args = x\n", CB_EINVAL, "t.preset:1: 'args = x' before any [preset]"},
	{"[a]\nargs=x\nfoo = 1\n", CB_EINVAL, "t.preset:3: unknown key 'foo' (allowed: title, args, in_all)"},
	{"[a]\njust words\n", CB_EINVAL, "t.preset:2: expected 'key = value' or '[name]'"},
	{"[a]\ntitle = t\n", CB_EINVAL, "t.preset:1: preset 'a' has no args"},
	{"[a]\nargs=x\n[b]\n", CB_EINVAL, "t.preset:3: preset 'b' has no args"},
	{"[a]\nargs =\n", CB_EINVAL, "t.preset:1: preset 'a' has no args"},
	{"[a1234567890123456789012345678901234567890123456789012345678901234]\nargs=x\n",
	 CB_EINVAL, "t.preset:1: preset name 'a1234567890123456789012345678901234567890123456789"
	 "012345678901234' is longer than 63 characters"},
};

Test(preset, file_table)
{
	scratch_make("preset");
	for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
		const struct file_case *t = &file_cases[i];
		char path[128], got[1024];
		scratch_file("t.preset", t->text);
		scratch_path(path, sizeof path, "t.preset");
		struct preset_list pl = {0};
		struct cb_err err = {0};
		int rc = preset_load_file(&pl, path, &err);
		if (rc == CB_OK)
			describe(&pl, got, sizeof got);
		else
			cb_copy(got, err.msg, sizeof got);
		preset_list_free(&pl);
		cr_expect_eq(rc, t->rc, "case %zu: rc %d (%s)", i, rc, got);
		if (t->rc == CB_OK)
			cr_expect_str_eq(got, t->want, "case %zu", i);
		else
			cr_expect(strstr(got, t->want), "case %zu: '%s' lacks '%s'", i, got, t->want);
	}
	scratch_remove();
}

Test(preset, long_line_kept_whole_and_missing_file)
{
	scratch_make("preset");
	char *text = malloc(5000), path[128];
	strcpy(text, "[a]\nargs = ");
	size_t n = strlen(text);
	memset(text + n, 'x', 4000);
	strcpy(text + n + 4000, "\n");
	scratch_file("t.preset", text);
		scratch_path(path, sizeof path, "t.preset");
	struct preset_list pl = {0};
	struct cb_err err = {0};
	cr_assert_eq(preset_load_file(&pl, path, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(strlen(pl.v[0].sweep[0].args), 4000, "the line was cut");
	preset_list_free(&pl);
	free(text);

	snprintf(path, sizeof path, "%s/none.preset", scratch);
	cr_expect_eq(preset_load_file(&pl, path, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "cannot read preset file"), "%s", err.msg);
	preset_list_free(&pl);
	scratch_remove();
}

struct words_case {
	const char *args;
	int rc;
	int n;
	const char *want; /* CB_OK: the words joined by '|'; otherwise: in the message */
};

static const struct words_case words_cases[] = {
	{"-w sleep -n 3", CB_OK, 4, "-w|sleep|-n|3"},
	{"   lots   of \t space   ", CB_OK, 3, "lots|of|space"},
	{"-p \"x.y=a b\" -q", CB_OK, 3, "-p|x.y=a b|-q"},
	{"a\"b c\"d e", CB_OK, 2, "ab cd|e"},
	{"\"\"", CB_OK, 1, ""},
	{"", CB_OK, 0, ""},
	{"-w \"unclosed", CB_EINVAL, 0, "f.preset:7: unclosed quote in args"},
};

Test(preset, words_table)
{
	for (size_t i = 0; i < sizeof words_cases / sizeof words_cases[0]; i++) {
		const struct words_case *t = &words_cases[i];
		struct preset ps = {.name = "x", .file = (char *)"f.preset", .line = 1,
				    .sweep[0] = {.args = (char *)t->args, .line = 7}, .nsweeps = 1};
		char buf[1024], *words[PRESET_ARGS_MAX], got[1024] = "";
		int n = -1;
		struct cb_err err = {0};
		int rc = preset_words(&ps, 0, words, PRESET_ARGS_MAX, &n, buf, sizeof buf, &err);
		cr_expect_eq(rc, t->rc, "'%s': rc %d (%s)", t->args, rc, err.msg);
		if (rc != CB_OK) {
			cr_expect(strstr(err.msg, t->want), "'%s': '%s'", t->args, err.msg);
			continue;
		}
		size_t off = 0;
		for (int k = 0; k < n; k++)
			off += (size_t)snprintf(got + off, sizeof got - off, "%s%s", k ? "|" : "",
						words[k]);
		cr_expect_eq(n, t->n, "'%s': %d words", t->args, n);
		cr_expect_str_eq(got, t->want, "'%s': got %s", t->args, got);
	}
}

Test(preset, too_many_words)
{
	char args[2 * PRESET_ARGS_MAX + 8] = "";
	for (int i = 0; i <= PRESET_ARGS_MAX; i++)
		strcat(args, "w ");
	struct preset ps = {.name = "x", .file = (char *)"f.preset", .line = 1,
			    .sweep[0] = {.args = args, .line = 2}, .nsweeps = 1};
	char buf[1024], *words[PRESET_ARGS_MAX];
	int n;
	struct cb_err err = {0};
	cr_expect_eq(preset_words(&ps, 0, words, PRESET_ARGS_MAX, &n, buf, sizeof buf, &err),
		     CB_EINVAL);
	cr_expect(strstr(err.msg, "f.preset:2: more than 64 words in args"), "%s", err.msg);
}

/* A folder: *.preset files only, in name order; a name may be defined once over all. */
Test(preset, folder)
{
	scratch_make("preset");
	char path[128];
	scratch_file("b.preset", "[second]\nargs = -n 2\n");
	scratch_file("a.preset", "[first]\nargs = -n 1\n");
	scratch_file("notes.txt", "not a preset at all\n");
	scratch_file(".preset", "[hidden]\nargs = -n 0\n");
	struct preset_list pl = {0};
	struct cb_err err = {0};
	cr_assert_eq(preset_load_dir(&pl, scratch, &err), CB_OK, "%s", err.msg);
	char got[256];
	describe(&pl, got, sizeof got);
	cr_expect_str_eq(got, "first||-n 1|1;second||-n 2|1");
	cr_expect_not_null(preset_find(&pl, "second"));
	cr_expect_null(preset_find(&pl, "third"));
	cr_expect_null(preset_find(&pl, "hidden"));
	preset_list_free(&pl);

	scratch_file("c.preset", "args = -n 3\n[first]\nargs = -n 1\n");
	cr_expect_eq(preset_load_dir(&pl, scratch, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "c.preset:1: 'args = -n 3' before any [preset]"), "%s",
		  err.msg);
	preset_list_free(&pl);

	scratch_file("c.preset", "[first]\nargs = -n 1\n");
	cr_expect_eq(preset_load_dir(&pl, scratch, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "c.preset:1: preset 'first' is defined twice"), "%s", err.msg);
	preset_list_free(&pl);

	snprintf(path, sizeof path, "%s/none", scratch);
	cr_expect_eq(preset_load_dir(&pl, path, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "cannot open the presets folder"), "%s", err.msg);
	preset_list_free(&pl);
	scratch_remove();
}

Test(preset, dir_from_environment)
{
	unsetenv("CONCBENCH_PRESETS");
	char def[4096];
	cb_copy(def, preset_dir(), sizeof def);
	cr_expect(strstr(def, "presets") != NULL, "%s", def);
	setenv("CONCBENCH_PRESETS", "/some/where", 1);
	cr_expect_str_eq(preset_dir(), "/some/where");
	setenv("CONCBENCH_PRESETS", "", 1);
	cr_expect_str_eq(preset_dir(), def, "an empty value means the default");
	unsetenv("CONCBENCH_PRESETS");
}

/* Every preset that ships loads, and its args are a valid command line. */
Test(preset, shipped_presets_parse)
{
	unsetenv("CONCBENCH_PRESETS");
	struct preset_list pl = {0};
	struct cb_err err = {0};
	cr_assert_eq(preset_load_dir(&pl, preset_dir(), &err), CB_OK, "%s", err.msg);
	cr_expect_gt(pl.n, 0, "no presets in %s", preset_dir());
	for (int i = 0; i < pl.n; i++) {
		cr_expect(pl.v[i].title && pl.v[i].title[0], "%s has no title", pl.v[i].name);
		for (int k = 0; k < pl.v[i].nsweeps; k++) {
			char buf[1024], *words[PRESET_ARGS_MAX + 2];
			int n;
			cr_assert_eq(preset_words(&pl.v[i], k, words + 1, PRESET_ARGS_MAX, &n, buf,
						  sizeof buf, &err), CB_OK, "%s", err.msg);
			words[0] = "concbench";
			words[n + 1] = NULL;
			struct cli c;
			cr_expect_eq(cli_parse(&c, n + 1, words, &err), CB_OK, "preset %s: %s",
				     pl.v[i].name, err.msg);
			cr_expect_gt(c.nworkloads, 0, "preset %s names no workload", pl.v[i].name);
			/* and a valid plan: every runner runs its workloads, every N fits */
			struct plan p = {0};
			cr_expect_eq(plan_add(&p, &c, pl.v[i].name, &err), CB_OK, "preset %s: %s",
				     pl.v[i].name, err.msg);
			plan_free(&p);
			cli_free(&c);
		}
	}
	preset_list_free(&pl);
}

/* A folder path longer than the name kept for messages still reads. */
Test(preset, long_folder_path)
{
	scratch_make("preset");
	char dir[512], name[120], path[640];
	memset(name, 'd', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	snprintf(dir, sizeof dir, "%s/%s", scratch, name);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", name);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_gt(strlen(dir), sizeof((struct preset *)0)->file);
	snprintf(path, sizeof path, "%s/t.preset", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("[a]\nargs = -n 1\n", f);
	fclose(f);
	struct preset_list pl = {0};
	struct cb_err err = {0};
	cr_expect_eq(preset_load_dir(&pl, dir, &err), CB_OK, "%s", err.msg);
	cr_expect_eq(pl.n, 1);
	preset_list_free(&pl);
	scratch_remove();
}

/* A NUL byte is named as such, at its line and column (it was "line too long"). */
Test(preset, nul_byte)
{
	scratch_make("preset");
	char path[128];
	scratch_path(path, sizeof path, "t.preset");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fwrite("[a]\nargs = -n\0 2\n", 1, 18, f);
	fclose(f);
	struct preset_list pl = {0};
	struct cb_err err = {0};
	cr_expect_eq(preset_load_file(&pl, path, &err), CB_EINVAL);
	cr_expect(strstr(err.msg, "t.preset:2: a NUL byte at column 10"), "%s", err.msg);
	preset_list_free(&pl);
	scratch_remove();
}

/* ---- the plan a command line with presets asks for (planbuild) ---- */

static const char two_sweeps[] =
	"[two]\n"
	"args = -w sleep -p sleep.ms=5 -r serial,threads -n 1,10 --repeat 3\n"
	"args = -w countdown -p countdown.n=1000 -r threads,procs -n 2 --repeat 2\n";

struct build_case {
	const char *args;
	int rc;
	const char *want; /* CB_OK: the cells "wl{params}/runner/N/W/repeat", or "#n" for
			   * their count; otherwise: in the message */
};

#define S5 "sleep{ms=5;steps=1}"
#define C1 "countdown{n=1000}"
static const struct build_case build_cases[] = {
	{"--preset two", CB_OK, "#6"},
	/* -w/-r/-n/-j narrow, across every sweep */
	{"--preset two -r threads", CB_OK,
	 S5 "/threads/1/0/3 " S5 "/threads/10/0/3 " C1 "/threads/2/0/2"},
	{"--preset two -n 10", CB_OK, S5 "/serial/10/1/3 " S5 "/threads/10/0/3"},
	{"--preset two -w countdown -j 0", CB_OK, C1 "/threads/2/0/2 " C1 "/procs/2/0/2"},
	{"--preset two -r serial -j 1", CB_OK, S5 "/serial/1/1/3 " S5 "/serial/10/1/3"},
	/* --add: the lists join each sweep's */
	{"--preset two --add -r procs -n 3", CB_OK, "#13"},
	{"--preset two --add -p sleep.ms=6 -r threads -n 1", CB_OK, "#12"},
	/* -p replaces the preset's values in the sweeps that run its module, and sweeps */
	{"--preset two -p sleep.ms=7,8", CB_OK, "#10"},
	{"--preset two -p sleep.ms=7,8 -r serial -n 1", CB_OK,
	 "sleep{ms=7;steps=1}/serial/1/1/3 sleep{ms=8;steps=1}/serial/1/1/3"},
	{"--preset two -p sleep.ms=9 -r procs", CB_OK, C1 "/procs/2/0/2"},
	{"--preset two --repeat 5 -w countdown", CB_OK, C1 "/threads/2/0/5 " C1 "/procs/2/0/5"},
	/* --filter, with or without narrowing */
	{"--preset two --filter sleep.ms=5", CB_OK, "#4"},
	{"--preset two --filter preset=two --filter tasks>=2", CB_OK, "#4"},
	{"--preset two --filter runner!=threads -n 2", CB_OK, C1 "/procs/2/0/2"},
	/* bad input: one line naming it */
	{"--preset two -p power.exp=5", CB_EINVAL, "-p power.exp: no preset named runs power"},
	{"--preset two -p nomod.k=5", CB_EINVAL, "-p nomod.k: no workload or runner is named"},
	{"--preset two -r evloop", CB_EINVAL, "no cell to run: -w/-r/-n/-j rule out every cell"},
	{"--preset two --filter tasks>99", CB_EINVAL, "no cell to run: --filter rules out every "
						      "cell"},
	{"--preset two -n 99 --filter tasks>99", CB_EINVAL, "no cell to run: --filter and "
							    "-w/-r/-n/-j rule out every cell"},
	{"--preset two -r evlop", CB_EINVAL, "unknown runner 'evlop' (allowed: serial"},
	{"--preset two --filter 'x'", CB_EINVAL, "--filter ''x'': not KEY OP VALUE"},
	{"-w sleep --add", CB_EINVAL, "--add goes with --preset"},
	{"--preset two -p sleep.ms=-1", CB_EINVAL, "preset two (with the command line's options): "
						   "sleep.ms: -1 is out of range"},
};
#undef S5
#undef C1

static void describe_plan(const struct plan *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < p->ncells && off < len; i++) {
		const struct cell *c = &p->cells[i];
		off += (size_t)snprintf(buf + off, len - off, "%s%s{%s}/%s/%d/%d/%d", i ? " " : "",
					c->wi->wl->name, c->wi->params_str, c->ri->rn->name,
					c->tasks, c->workers, c->repeat);
	}
}

Test(preset, build_narrows_adds_and_routes)
{
	scratch_make("preset");
	scratch_file("t.preset", two_sweeps);
	setenv("CONCBENCH_PRESETS", scratch, 1);
	for (size_t i = 0; i < sizeof build_cases / sizeof build_cases[0]; i++) {
		const struct build_case *t = &build_cases[i];
		char words[512], *argv[32], got[4096];
		snprintf(words, sizeof words, "%s", t->args);
		int argc = 0;
		argv[argc++] = "concbench";
		char *save, *tok = strtok_r(words, " ", &save);
		for (; tok && argc < 31; tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		struct cli c;
		struct plan p = {0};
		struct preset_list pl = {0};
		struct cb_err err = {0};
		cr_assert_eq(cli_parse(&c, argc, argv, &err), CB_OK, "'%s': %s", t->args, err.msg);
		int rc = planbuild(&p, &pl, &c, "concbench", &err);
		if (rc == CB_OK && t->want[0] == '#')
			snprintf(got, sizeof got, "#%d", p.ncells);
		else if (rc == CB_OK)
			describe_plan(&p, got, sizeof got);
		else
			cb_copy(got, err.msg, sizeof got);
		cr_expect_eq(rc, t->rc, "'%s': rc %d (%s)", t->args, rc, got);
		if (rc == CB_OK)
			cr_expect_str_eq(got, t->want, "'%s': got %s", t->args, got);
		else
			cr_expect(strstr(got, t->want) && !strchr(got, '\n'), "'%s': '%s' lacks '%s'",
				  t->args, got, t->want);
		if (rc == CB_OK)
			cr_expect_gt(p.norder, 0, "'%s': no trials ordered", t->args);
		preset_list_free(&pl);
		plan_free(&p);
		cli_free(&c);
	}
	unsetenv("CONCBENCH_PRESETS");
	scratch_remove();
}
