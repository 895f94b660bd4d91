/* The registry: the table runners/list.h fills. */
#include <string.h>

#include "external.h"
#include "runner.h"

#define RUNNER(x) extern const struct runner x##_runner;
#define PEER(...)
#include "list.h"
#undef RUNNER
#undef PEER

/* A peer's row makes its runner and its program's description in place. */
const struct runner *const runner_table[] = {
#define RUNNER(x) &x##_runner,
#define PEER(name_, family_, serial_, interpreter_, program_, module_, install_, summary_)  \
	&(const struct runner){                                                             \
		.name = name_, .family = family_, .one_at_a_time = serial_,                 \
		.summary = summary_,                                                        \
		.external = &(const struct external){.name = name_,                         \
						     .interpreter = interpreter_,           \
						     .program = program_,                   \
						     .module = module_, .install = install_}, \
	},
#include "list.h"
#undef RUNNER
#undef PEER
	NULL,
};

const struct runner *runner_find(const char *name)
{
	for (int i = 0; runner_table[i]; i++)
		if (strcmp(runner_table[i]->name, name) == 0)
			return runner_table[i];
	return NULL;
}
