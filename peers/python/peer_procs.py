"""py-procs: a multiprocessing Pool of W forked processes, the articles' answer
to CPU-bound work under the GIL."""
import multiprocessing

import peerlib

_task = None  # the task function of this worker process, set by _worker_init


def _worker_init(job):
    global _task
    _task = peerlib.blocking_task(job, peerlib.ConnPool(job))


def _run_one(i):
    return _task(i)


def run(job):
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(job.workers, initializer=_worker_init, initargs=(job,))
    try:
        ok = sum(pool.imap_unordered(_run_one, range(job.tasks)))
        pool.close()
    finally:
        pool.terminate()
        # Reaped here, so their CPU time and memory reach the harness's wait4.
        pool.join()
    return ok


if __name__ == "__main__":
    peerlib.main(run)
