"""py-procs: a multiprocessing Pool of W forked processes, the articles' answer
to CPU-bound work under the GIL."""
import ctypes
import multiprocessing
import os
import signal

import peerlib

_task = None  # the task function of this worker process, set by _worker_init
_PR_SET_PDEATHSIG = 1


def _die_with(parent):
    """A worker dies with the peer, even one killed by SIGKILL (its trial's time-out,
    the OOM killer), rather than compute on until its task ends."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the prctl
        os._exit(1)


def _worker_init(job, parent):
    _die_with(parent)
    global _task
    _task = peerlib.blocking_task(job, peerlib.ConnPool(job))


def _run_one(i):
    return _task(i)


def run(job):
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(job.workers, initializer=_worker_init,
                    initargs=(job, os.getpid()))
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
