"""What every Python peer shares: the command line of the peer protocol, the
workloads (WORKLOADS, which --list declares), and the result line.

A model file calls peerlib.main(run) where run(job) carries out job.tasks tasks
with at most job.workers at once and returns how many succeeded."""
import http.client
import sys
import time
import urllib.parse

MOD = (1 << 61) - 1  # the power check: base^exp mod 2^61-1, as the C workload
# The workloads every Python peer runs: --list declares them, the harness asks.
WORKLOADS = ("countdown", "power", "sleep", "http", "mix")
EXIT_USAGE = 2
EXIT_UNKNOWN_WORKLOAD = 3


class Job:
    """One run as the harness asked for it."""

    def __init__(self, workload, params, tasks, workers, urls):
        self.workload = workload
        self.params = params
        self.tasks = tasks
        # 0 or more than N: every task at once (and at least one, for the pools).
        self.workers = max(1, tasks if workers <= 0 or workers > tasks else workers)
        self.urls = urls

    def num(self, key, default):
        return float(self.params.get(key, default))

    def integer(self, key, default):
        return int(self.params.get(key, default))


def fail_usage(msg, code=EXIT_USAGE):
    print(f"concbench peer: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_params(text):
    params = {}
    for item in filter(None, text.split(";")):
        key, sep, value = item.partition("=")
        if not sep:
            fail_usage(f"--params: '{item}' is not key=value")
        params[key] = value
    return params


def parse_args(argv):
    opts = {"--workload": None, "--params": "", "--tasks": None, "--workers": "0"}
    urls = []
    i = 0
    while i < len(argv):
        key = argv[i]
        if i + 1 >= len(argv) or (key not in opts and key != "--url"):
            fail_usage(f"unexpected argument '{key}' (see peers/README.md)")
        if key == "--url":
            urls.append(argv[i + 1])
        else:
            opts[key] = argv[i + 1]
        i += 2
    if opts["--workload"] is None or opts["--tasks"] is None:
        fail_usage("--workload and --tasks are required")
    if opts["--workload"] not in WORKLOADS:
        fail_usage(f"unknown workload '{opts['--workload']}' (this peer runs: "
                   f"{', '.join(WORKLOADS)})", EXIT_UNKNOWN_WORKLOAD)
    try:
        tasks, workers = int(opts["--tasks"]), int(opts["--workers"])
    except ValueError:
        fail_usage("--tasks and --workers take integers")
    job = Job(opts["--workload"], parse_params(opts["--params"]), tasks, workers, urls)
    if job.workload == "http" and not urls:
        fail_usage("the http workload needs at least one --url")
    return job


def countdown(n):
    # A plain loop the interpreter has to run: CPython does no loop elimination.
    while n > 0:
        n -= 1
    return n == 0


def power(base, exp):
    return pow(base, exp) % MOD == pow(base, exp, MOD)


def compute_task(job):
    """The CPU task of a countdown or power job, as a function of no argument."""
    if job.workload == "countdown":
        n = job.integer("n", 100000000)
        return lambda: countdown(n)
    base, exp = job.integer("base", 7777), job.integer("exp", 200000)
    return lambda: power(base, exp)


def sleep_plan(job):
    """(seconds per wait, waits per task)."""
    return job.num("ms", 100) / 1000.0, job.integer("steps", 1)


# mix's chain, as the C workload's: x -> A x + C mod 2^64, checked against its closed form.
LCG_A, LCG_C, MASK64 = 6364136223846793005, 1442695040888963407, (1 << 64) - 1
# Links between two reads of the thread's CPU clock: about 5 us of CPython here.
MIX_CHUNK = 64


def lcg_jump(x, n):
    """x after n links, by squaring the affine map."""
    a, c, ra, rc = LCG_A, LCG_C, 1, 0
    while n:
        if n & 1:
            ra, rc = (ra * a) & MASK64, (rc * a + c) & MASK64
        a, c = (a * a) & MASK64, ((a + 1) * c) & MASK64
        n >>= 1
    return (ra * x + rc) & MASK64


class MixChain:
    """A task's chain: where it is, where it started, links so far."""

    def __init__(self, i):
        self.x = self.seed = (i * 0x9E3779B97F4A7C15 + 1) & MASK64
        self.n = 0

    def compute(self, cpu_s):
        """Links until this thread has used cpu_s of CPU (time.thread_time, the
        thread's own clock: waiting for the GIL or a core is not counted); then the
        check."""
        end = time.thread_time() + cpu_s
        x = self.x
        while True:
            for _ in range(MIX_CHUNK):
                x = (x * LCG_A + LCG_C) & MASK64
            self.n += MIX_CHUNK
            if time.thread_time() >= end:
                break
        self.x = x
        return x == lcg_jump(self.seed, self.n)


def mix_plan(job):
    """(CPU seconds per round, wait seconds per round, rounds)."""
    return (job.integer("cpu_us", 1000) / 1e6, job.num("wait_ms", 9) / 1000.0,
            job.integer("steps", 10))


def http_plan(job):
    """(urls in order, expected body size or None, timeout in seconds)."""
    local = job.params.get("url", "") == ""
    size = job.integer("bytes", 16384) if local else None
    return job.urls, size, job.num("timeout_ms", 30000) / 1000.0


class ConnPool:
    """Idle keep-alive connections, one per worker at most: a task takes one,
    gives it back after its fetches. Plain list operations are atomic under the
    GIL and never yield under gevent, so one pool serves threads and greenlets."""

    def __init__(self, job):
        self.idle = {}  # (scheme, host:port) -> idle connections
        self.timeout = job.num("timeout_ms", 30000) / 1000.0

    def take(self, url):
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        try:
            return key, self.idle.setdefault(key, []).pop()
        except IndexError:
            cls = (http.client.HTTPSConnection if parts.scheme == "https"
                   else http.client.HTTPConnection)
            return key, cls(parts.netloc, timeout=self.timeout)

    def give(self, key, conn):
        self.idle[key].append(conn)

    def close(self):
        for conns in self.idle.values():
            for conn in conns:
                conn.close()
        self.idle.clear()


def fetch_one(pool, url, size):
    key, conn = pool.take(url)
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        ok = resp.status == 200 and (size is None or len(body) == size)
    except (OSError, http.client.HTTPException):
        conn.close()
        return False
    pool.give(key, conn)
    return ok


def blocking_task(job, pool=None):
    """One task of the job in blocking style (serial, threads, processes, gevent
    after monkey-patching): a function of the task index returning success."""
    if job.workload in ("countdown", "power"):
        fn = compute_task(job)
        return lambda i: fn()
    if job.workload == "sleep":
        secs, steps = sleep_plan(job)

        def sleeper(i):
            for _ in range(steps):
                time.sleep(secs)
            return True
        return sleeper
    if job.workload == "mix":
        cpu_s, wait_s, rounds = mix_plan(job)

        def mixer(i):
            chain = MixChain(i)
            for _ in range(rounds):
                # A part of 0 is left out, as in C: sleep(0) would still yield.
                if cpu_s > 0 and not chain.compute(cpu_s):
                    return False
                if wait_s > 0:
                    time.sleep(wait_s)
            return True
        return mixer
    urls, size, _ = http_plan(job)
    return lambda i: all(fetch_one(pool, u, size) for u in urls)


def declare():
    sys.stdout.write(f"concbench-peer workloads={','.join(WORKLOADS)}\n")
    sys.stdout.flush()


def report(wall, ok, failed):
    sys.stdout.write(f"concbench-peer wall_s={wall:.6f} ok={ok} failed={failed}\n")
    sys.stdout.flush()


def main(run):
    """Parses argv, times run(job) (interpreter start-up and imports excluded),
    prints the result line; or, given --list alone, the workloads it runs."""
    if sys.argv[1:] == ["--list"]:
        declare()
        return
    job = parse_args(sys.argv[1:])
    t0 = time.monotonic()
    ok = run(job)
    wall = time.monotonic() - t0
    report(wall, ok, job.tasks - ok)
