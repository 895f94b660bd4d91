/* The one list of runners. Adding one is a file and a line here. */
#include <string.h>

#include "runner.h"

extern const struct runner serial_runner;
extern const struct runner threads_runner;
extern const struct runner procs_runner;
extern const struct runner evloop_runner;
extern const struct runner green_runner;
extern const struct runner py_serial_runner, py_threads_runner, py_procs_runner,
	py_asyncio_runner, py_gevent_runner, go_runner, node_runner;

const struct runner *const runner_table[] = {
	&serial_runner,
	&threads_runner,
	&procs_runner,
	&evloop_runner,
	&green_runner,
	&py_serial_runner, &py_threads_runner, &py_procs_runner, &py_asyncio_runner,
	&py_gevent_runner, &go_runner, &node_runner,
	NULL,
};

const struct runner *runner_find(const char *name)
{
	for (int i = 0; runner_table[i]; i++)
		if (strcmp(runner_table[i]->name, name) == 0)
			return runner_table[i];
	return NULL;
}
