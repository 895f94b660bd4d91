/* The registry: the table workloads/list.h fills. */
#include <string.h>

#include "workload.h"

#define WORKLOAD(x) extern const struct workload x##_workload;
#include "list.h"
#undef WORKLOAD

const struct workload *const workload_table[] = {
#define WORKLOAD(x) &x##_workload,
#include "list.h"
#undef WORKLOAD
	NULL,
};

const struct workload *workload_find(const char *name)
{
	for (int i = 0; workload_table[i]; i++)
		if (strcmp(workload_table[i]->name, name) == 0)
			return workload_table[i];
	return NULL;
}
