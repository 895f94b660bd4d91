/* The one list of runners, in the order --list shows them. A line is all it takes to
 * add one; runners/registry.c registers each.
 *
 * RUNNER(x): a step runner. It declares x_runner, which runners/x.c defines, and
 *   builds x.c (runners/meson.build reads this file).
 * PEER(name, family, serial, interpreter, program, module, install, summary): an
 *   external runner (runners/external.h), a row of data: its family and whether it is
 *   the family's one-at-a-time baseline (serial); the interpreter that runs the
 *   program, or NULL for an executable the build makes (peers/meson.build); the
 *   program below peers/; a module the interpreter must import, or NULL; the Debian
 *   package that brings what is missing; the summary --list shows. The workloads it
 *   runs are the program's to say (`PROGRAM --list`). */
RUNNER(serial)
RUNNER(threads)
RUNNER(procs)
RUNNER(evloop)
RUNNER(green)
RUNNER(bookkeeping)
PEER("py-serial", "Python", true, "/usr/bin/python3", "python/peer_serial.py", NULL, "python3",
     "peer: Python, one task after another")
PEER("py-threads", "Python", false, "/usr/bin/python3", "python/peer_threads.py", NULL, "python3",
     "peer: Python ThreadPoolExecutor of W threads (GIL)")
PEER("py-procs", "Python", false, "/usr/bin/python3", "python/peer_procs.py", NULL, "python3",
     "peer: Python multiprocessing Pool of W forked processes")
PEER("py-asyncio", "Python", false, "/usr/bin/python3", "python/peer_asyncio.py", "aiohttp",
     "python3-aiohttp", "peer: Python asyncio + aiohttp; CPU work in a thread executor")
PEER("py-gevent", "Python", false, "/usr/bin/python3", "python/peer_gevent.py", "gevent",
     "python3-gevent", "peer: Python gevent Pool of W greenlets, monkey-patched")
PEER("go", "Go", false, NULL, "concbench-peer-go", NULL,
     "golang-go, then re-run meson setup and ninja",
     "peer: Go goroutines, a channel semaphore of W, keep-alive http.Client")
PEER("node", "Node", false, "/usr/bin/node", "node/peer.js", NULL, "nodejs",
     "peer: Node.js event loop, setTimeout, keep-alive http.Agent, BigInt")
