"""py-asyncio: one event loop; asyncio.sleep for waits, aiohttp with one
keep-alive connector for fetches, and CPU work in a thread-pool executor
(run_in_executor), as the luminousmen article ran it: the loop stays free but
the GIL still serialises the work. mix's compute is the exception: it runs on the
loop, between the task's awaits. A semaphore of W bounds the tasks in flight."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

# Imported at start-up, outside the timed run: the import alone takes ~150 ms here.
import aiohttp

import peerlib


def compute_one(job, gate):
    fn = peerlib.compute_task(job)
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=job.workers)

    async def one():
        async with gate:
            return await loop.run_in_executor(executor, fn)
    return one, executor.shutdown


def sleep_one(job, gate):
    secs, steps = peerlib.sleep_plan(job)

    async def one():
        async with gate:
            for _ in range(steps):
                await asyncio.sleep(secs)
            return True
    return one, None


def mix_one(job, gate):
    """mix computes on the loop itself, not in the executor: the work between two
    awaits of a handler, which holds the loop while it runs (what the crossover is
    about)."""
    cpu_s, wait_s, rounds = peerlib.mix_plan(job)
    index = iter(range(job.tasks))

    async def one():
        chain = peerlib.MixChain(next(index))
        async with gate:
            for _ in range(rounds):
                if cpu_s > 0 and not chain.compute(cpu_s):
                    return False
                if wait_s > 0:
                    await asyncio.sleep(wait_s)
            return True
    return one, None


def http_one(job, gate):
    urls, size, timeout = peerlib.http_plan(job)
    # limit=0: no cap of its own when every task runs at once; the gate bounds it.
    connector = aiohttp.TCPConnector(limit=0 if job.workers == job.tasks else job.workers)
    session = aiohttp.ClientSession(connector=connector,
                                    timeout=aiohttp.ClientTimeout(total=timeout))

    async def fetch(url):
        try:
            async with session.get(url) as resp:
                body = await resp.read()
                return resp.status == 200 and (size is None or len(body) == size)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            return False

    async def one():
        async with gate:
            for url in urls:
                if not await fetch(url):
                    return False
            return True
    return one, session.close


async def run_all(job):
    gate = asyncio.Semaphore(job.workers)
    make = {"countdown": compute_one, "power": compute_one,
            "sleep": sleep_one, "http": http_one, "mix": mix_one}[job.workload]
    one, close = make(job, gate)
    try:
        results = await asyncio.gather(*(one() for _ in range(job.tasks)))
    finally:
        if close:
            done = close()
            if asyncio.iscoroutine(done):
                await done
    return sum(1 for r in results if r)


def run(job):
    return asyncio.run(run_all(job))


if __name__ == "__main__":
    peerlib.main(run)
