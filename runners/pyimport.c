/* The module probe of the Python peers (see pyimport.h). */
#include "pyimport.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "extproc.h"

#define PYIMPORT_KNOWN 8
#define PYIMPORT_TIMEOUT_S 30

/* The answers so far: the pointers are the peers' table's, which lives as long. */
struct answer {
	const char *python, *module;
	bool ok;
};
static struct answer known[PYIMPORT_KNOWN];
static int nknown;

static bool ask(const char *python, const char *module)
{
	char code[128];
	snprintf(code, sizeof code, "import %s", module);
	char *argv[] = {(char *)python, "-c", code, NULL};
	struct extproc p = {.quiet = true, .timeout_s = PYIMPORT_TIMEOUT_S};
	if (extproc_run(argv, &p, NULL))
		return false;
	return !p.timed_out && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
}

bool pyimport_ok(const char *python, const char *module)
{
	for (int i = 0; i < nknown; i++)
		if (strcmp(known[i].python, python) == 0 && strcmp(known[i].module, module) == 0)
			return known[i].ok;
	bool ok = ask(python, module);
	if (nknown < PYIMPORT_KNOWN)
		known[nknown++] = (struct answer){python, module, ok};
	return ok;
}
