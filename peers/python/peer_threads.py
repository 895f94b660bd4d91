"""py-threads: a pool of W threads (W = 0: a thread per task), as the articles'
threading examples; CPU tasks take turns under the GIL."""
from concurrent.futures import ThreadPoolExecutor

import peerlib


def run(job):
    conns = peerlib.ConnPool(job)
    task = peerlib.blocking_task(job, conns)
    with ThreadPoolExecutor(max_workers=job.workers) as pool:
        ok = sum(pool.map(task, range(job.tasks)))
    conns.close()
    return ok


if __name__ == "__main__":
    peerlib.main(run)
