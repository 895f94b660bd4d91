/* The one list of workloads. Adding one is a file and a line here. */
#include <string.h>

#include "workload.h"

extern const struct workload countdown_workload;
extern const struct workload power_workload;
extern const struct workload sleep_workload;
extern const struct workload stall_workload;
extern const struct workload http_workload;
extern const struct workload bank_workload, deadlock_workload, queue_workload, pingpong_workload;

const struct workload *const workload_table[] = {
	&countdown_workload,
	&power_workload,
	&sleep_workload,
	&stall_workload,
	&http_workload,
	&bank_workload, &deadlock_workload, &queue_workload, &pingpong_workload,
	NULL,
};

const struct workload *workload_find(const char *name)
{
	for (int i = 0; workload_table[i]; i++)
		if (strcmp(workload_table[i]->name, name) == 0)
			return workload_table[i];
	return NULL;
}
