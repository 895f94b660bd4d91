/* A plugin the loader must refuse: built with PLUGIN_ABI as its ABI version (one
 * that is not concbench's), or with no version at all when PLUGIN_ABI is undefined. */
#include <concbench_plugin.h>

#ifdef PLUGIN_ABI
CONCBENCH_EXPORT const int concbench_plugin_abi = PLUGIN_ABI;
#endif

CONCBENCH_EXPORT int render(void *state, const char *arg)
{
	(void)state;
	(void)arg;
	return CONCBENCH_OK;
}
