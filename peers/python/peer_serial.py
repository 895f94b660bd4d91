"""py-serial: one task after another in one thread, the Python baseline."""
import peerlib


def run(job):
    conns = peerlib.ConnPool(job)
    task = peerlib.blocking_task(job, conns)
    ok = sum(1 for i in range(job.tasks) if task(i))
    conns.close()
    return ok


if __name__ == "__main__":
    peerlib.main(run)
