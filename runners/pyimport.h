/* Whether a Python interpreter can import a module (a peer's gevent, aiohttp). */
#ifndef CB_PYIMPORT_H
#define CB_PYIMPORT_H

#include <stdbool.h>

/* `python -c "import module"` succeeds; asked once per process for each pair. */
bool pyimport_ok(const char *python, const char *module);

#endif
