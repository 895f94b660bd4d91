"""Fetches per second beside wrk's, and N fetches at once beside a bare client's.

Starts one concbench-httpd (127.0.0.1, ephemeral port) that every step uses. The server:
wrk's rate against it with C connections, 16 B and B-byte bodies, beside nginx's (one
worker, the same files) when nginx is installed. Throughput: P pairs (--pairs) of wrk
with C connections for D seconds against /delay/0/bytes/B and concbench's http workload
on each runner with C tasks at once, each fetching K times in a row on its kept-alive
connection, interleaved as wrk, r1, r2, r3, wrk, r2, r3, r1, wrk, ... (the runners'
order turns each round, so none always runs right after wrk); a runner's ratio in a
round is its rate over the mean of the two wrk runs around it. Burst (--burst N, 0
skips): N fetches of /delay/100/bytes/B at once, each on a fresh connection, by
concbench-burst (a bare epoll client: the floor) and by each runner on each heap
(--heaps: glibc's small pages, 2 MiB huge ones), interleaved the same way around the
floor's runs; a runner's ratio in a round is its wall over the mean of the two floor
walls around it. Each table gives medians with the range of the P rounds. Prints
Markdown. Every step is bounded in time; the server is stopped on every path (an error,
Ctrl-C, SIGTERM, SIGHUP).

usage: scripts/throughput [--concbench BIN] [--httpd BIN] [--burst-client BIN]
                          [-c 100] [-k 200] [-d 5] [--pairs 5] [--repeat 3]
                          [--burst 10000] [--heaps small,huge] [-r evloop,green,threads]"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from cbresults import TREE, ResultsError, load_run, num

BURST_DELAY_S = 0.1
TRIAL_TIMEOUT_S = 60  # concbench's --timeout for one trial of ours


def parse_args(argv):
    p = argparse.ArgumentParser(prog='throughput', description=__doc__.split('\n')[0])
    build = os.path.join(TREE, 'build')
    p.add_argument('--concbench', default=os.path.join(build, 'bench', 'concbench'))
    p.add_argument('--httpd', default=os.path.join(build, 'workloads', 'httpd',
                                                   'concbench-httpd'))
    p.add_argument('--burst-client', default=os.path.join(build, 'workloads', 'httpd',
                                                          'concbench-burst'))
    p.add_argument('-c', '--connections', type=int, default=100)
    p.add_argument('-k', '--fetches', type=int, default=200, help='fetches per connection')
    p.add_argument('-b', '--bytes', type=int, default=16384)
    p.add_argument('-d', '--duration', type=int, default=5, help='wrk seconds')
    p.add_argument('-r', '--runners', default='evloop,green,threads')
    p.add_argument('--pairs', type=int, default=5,
                   help='rounds of the reference and every runner, interleaved (3 at least)')
    p.add_argument('--repeat', type=int, default=3,
                   help="trials in each throughput run of concbench (its median is the "
                        "round's figure); a burst run is one trial, as the floor's is one run")
    p.add_argument('--burst', type=int, default=10000, help='fetches at once; 0: skip')
    p.add_argument('--heaps', default='small,huge', help='the heaps of the burst runs')
    p.add_argument('--no-server-table', action='store_true',
                   help='skip wrk against the server alone (and nginx)')
    a = p.parse_args(argv)
    for name in ('connections', 'fetches', 'duration', 'repeat'):
        if not 1 <= getattr(a, name) <= 100000:
            p.error(f'--{name} {getattr(a, name)}: allowed 1 .. 100000')
    if not 3 <= a.pairs <= 100:
        p.error(f'--pairs {a.pairs}: allowed 3 .. 100 (a median and a range need 3)')
    if not 0 <= a.burst <= 15000:
        p.error(f'--burst {a.burst}: allowed 0 .. 15000 (the open-files limit)')
    a.runner_list = [r for r in a.runners.split(',') if r]
    if not a.runner_list:
        p.error(f'--runners {a.runners!r}: name at least one runner')
    a.heap_list = [h for h in a.heaps.split(',') if h]
    bad = [h for h in a.heap_list if h not in ('small', 'huge')] or \
        ([] if a.heap_list else [a.heaps])
    if bad:
        p.error(f'--heaps {a.heaps!r}: allowed small, huge or small,huge')
    return a


# --- interleaving: the reference between every round of the clients ----------------------

def interleave(pairs, reference, clients):
    """Runs reference(), then the clients, pairs times, then reference() once more; the
    clients' order turns by one each round. reference() returns a figure; each client
    (name, fn) returns (figure, outcomes). Returns the reference's pairs + 1 figures and,
    per client name, its figures, outcomes and the mean of the two reference figures
    around each of them (the round's reference)."""
    refs = [reference()]
    got = {name: ([], [], []) for name, _ in clients}
    for i in range(pairs):
        k = i % len(clients)
        for name, fn in clients[k:] + clients[:k]:
            fig, outcomes = fn()
            got[name][0].append(fig)
            got[name][1].append(outcomes)
        refs.append(reference())
        for name, _ in clients:
            got[name][2].append((refs[i] + refs[i + 1]) / 2)
    return refs, got


def spread(values):
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def add_outcomes(items):
    """Sums outcome counts such as 'ok:3;timeout:1' over runs: 'ok:14;timeout:1'."""
    total = {}
    for item in items:
        for part in filter(None, (item or '').split(';')):
            key, _, n = part.partition(':')
            total[key] = total.get(key, 0) + (int(n) if n.isdigit() else 1)
    return ';'.join(f'{k}:{v}' for k, v in total.items()) or '-'


def fmt_spread(values, fmt):
    m, lo, hi = spread(values)
    return f'{fmt(m)} ({fmt(lo)} – {fmt(hi)})'


# --- the programs --------------------------------------------------------------------------

def start_server(httpd):
    """concbench-httpd on a free port; waits up to 5 s for the port it prints."""
    srv = subprocess.Popen([httpd, '-p', '0'], stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([srv.stdout], [], [], 5)
    line = srv.stdout.readline() if ready else ''
    m = re.search(r'(\d+)', line)
    if not m:
        stop(srv, signal.SIGTERM)
        raise ResultsError(f'{httpd}: no port on its first line ({line.strip()!r})')
    return srv, int(m.group(1))


def wrk_rate(url, conns, seconds):
    out = subprocess.run(['wrk', '-t', '1', '-c', str(conns), '-d', f'{seconds}s', url],
                         capture_output=True, text=True, timeout=seconds + 30, check=True)
    m = re.search(r'Requests/sec:\s*([\d.]+)', out.stdout)
    if not m:
        raise ResultsError(f'wrk printed no Requests/sec: {out.stdout.strip()}')
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)|Socket errors: .*', out.stdout)
    return float(m.group(1)), errors.group(0) if errors else ''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server {{ listen 127.0.0.1:{port}; root {dir}; }}
}}
"""


def stop(proc, sig):
    """Asks proc to end with sig; kills it after 5 s."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_nginx(nginx, tmp, sizes):
    """nginx with one worker serving b<n>, n bytes for each size, from tmp/nginx; waits
    up to 5 s for it to listen. Returns it and its port."""
    web = os.path.join(tmp, 'nginx')
    os.mkdir(web)
    for d in (tmp, web):
        os.chmod(d, 0o755)  # its worker may run as another user
    for n in sizes:
        with open(os.path.join(web, f'b{n}'), 'wb') as f:
            f.write(b'x' * n)
        os.chmod(os.path.join(web, f'b{n}'), 0o644)
    port = free_port()
    conf = os.path.join(web, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write(NGINX_CONF.format(dir=web, port=port))
    ng = subprocess.Popen([nginx, '-c', conf, '-p', web], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.05).close()
            return ng, port
        except OSError:
            if ng.poll() is not None:
                raise ResultsError(f'nginx exited {ng.returncode}; see {web}/error.log')
            time.sleep(0.05)
    stop(ng, signal.SIGQUIT)
    raise ResultsError(f'nginx did not listen on port {port} within 5 s')


def server_table(a, port, tmp):
    """wrk against concbench-httpd and, when installed, nginx with one worker."""
    sizes = (16, a.bytes)
    rows = [('concbench-httpd', [wrk_rate(f'http://127.0.0.1:{port}/delay/0/bytes/{n}',
                                          a.connections, a.duration)[0] for n in sizes])]
    nginx = shutil.which('nginx') or ('/usr/sbin/nginx' if os.access('/usr/sbin/nginx', os.X_OK)
                                      else None)
    if nginx:
        ng, nport = start_nginx(nginx, tmp, sizes)
        try:
            rows.append(('nginx (1 worker)', [wrk_rate(f'http://127.0.0.1:{nport}/b{n}',
                                                       a.connections, a.duration)[0]
                                              for n in sizes]))
        finally:
            stop(ng, signal.SIGQUIT)
    print(f'The server: wrk, 1 thread, {a.connections} connections kept alive, '
          f'{a.duration} s, requests/s\n')
    print(f'| server | 16 B bodies | {a.bytes} B bodies |')
    print('|---|---|---|')
    for name, rates in rows:
        print(f'| {name} | {rates[0]:,.0f} | {rates[1]:,.0f} |')
    if not nginx:
        print('\n(nginx is not installed: apt-get install nginx-light to compare)')
    print()


def harness_run(a, url, runner, tasks, fetches, tmp, trials, extra=()):
    """concbench's summary row for the http workload on one runner against url:
    (median wall, outcomes)."""
    csv = os.path.join(tmp, f'run-{len(os.listdir(tmp))}.csv')
    warmup = 1 if trials > 1 else 0
    cmd = [a.concbench, '-q', '--no-floors', '-w', 'http', '-p', f'http.url={url}',
           '-p', f'http.fetches={fetches}', '-n', str(tasks), '-j', '0', '-r', runner,
           '--repeat', str(trials), '--warmup', str(warmup),
           '--timeout', str(TRIAL_TIMEOUT_S), '-o', csv, *extra]
    r = subprocess.run(cmd, timeout=(trials + warmup) * TRIAL_TIMEOUT_S + 30,
                       stdout=subprocess.DEVNULL)
    if r.returncode not in (0, 1):
        raise ResultsError(f'concbench exited {r.returncode}: {" ".join(cmd)}')
    _, summary, _, _ = load_run(csv, need_trials=False)
    rows = [row for row in summary if row['runner'] == runner]
    if len(rows) != 1:
        raise ResultsError(f'{csv}: {len(rows)} summary rows for {runner}, not 1')
    wall = num(rows[0], 'median_s')
    if not wall:
        raise ResultsError(f'concbench {runner}: no trial ended ({rows[0]["outcomes"]})')
    return wall, rows[0]['outcomes']


def harness_rate(a, url, runner, tmp):
    """A runner's fetches/s on C kept-alive connections, K fetches each, and outcomes."""
    # The buffer the workload picks against its own server, whose sizes it knows (a
    # given URL's it does not): the whole response in one recv.
    kib = max(16, -(-(a.bytes + 1024) // 1024))
    wall, outcomes = harness_run(a, url, runner, a.connections, a.fetches, tmp, a.repeat,
                                 ('-p', f'http.buffer_kib={kib}'))
    return a.connections * a.fetches / wall, outcomes


def burst_wall(a, url):
    """concbench-burst's wall for N fetches at once, and how many failed."""
    out = subprocess.run([a.burst_client, '-n', str(a.burst), '-t', str(TRIAL_TIMEOUT_S),
                          url], capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S + 30)
    m = re.search(r'ok (\d+) failed (\d+) wall_s ([\d.]+)', out.stdout)
    if out.returncode not in (0, 1) or not m:
        raise ResultsError(f'concbench-burst: {(out.stderr or out.stdout).strip()}')
    return float(m.group(3)), int(m.group(2))


# --- the tables ------------------------------------------------------------------------------

def rates_table(a, url, tmp):
    errors = []

    def wrk():
        rate, err = wrk_rate(url, a.connections, a.duration)
        errors.append(err)
        return rate

    clients = [(r, lambda r=r: harness_rate(a, url, r, tmp)) for r in a.runner_list]
    refs, got = interleave(a.pairs, wrk, clients)
    err = '; '.join(sorted({e for e in errors if e})) or 'ok'
    print(f'{a.connections} connections kept alive, {a.bytes} B bodies, delay 0, one '
          f'concbench-httpd on 127.0.0.1; {a.pairs} rounds of wrk ({a.duration} s) and '
          f'each runner ({a.connections} × {a.fetches} fetches, median of {a.repeat} '
          f'trials), interleaved; medians (min – max)\n')
    print('| client | fetches/s | × wrk (per round, to the wrk runs around it) | outcomes |')
    print('|---|---|---|---|')
    print(f'| wrk (1 thread, {len(refs)} runs) | {fmt_spread(refs, lambda v: f"{v:,.0f}")} '
          f'| 1.00 | {err} |')
    for name, _ in clients:
        rates, outcomes, around = got[name]
        ratios = [r / w for r, w in zip(rates, around)]
        print(f'| concbench {name} | {fmt_spread(rates, lambda v: f"{v:,.0f}")} | '
              f'{fmt_spread(ratios, lambda v: f"{v:.2f}")} | {add_outcomes(outcomes)} |')


def burst_table(a, port, tmp):
    url = f'http://127.0.0.1:{port}/delay/{int(BURST_DELAY_S * 1000)}/bytes/{a.bytes}'
    failed = []

    def floor():
        wall, bad = burst_wall(a, url)
        failed.append(bad)
        return wall

    # The server's first burst overflows its accept queue (a SYN retried 1 s later): a
    # warm-up, unmeasured.
    burst_wall(a, url)
    clients = [((heap, r), lambda r=r, heap=heap: harness_run(
        a, url, r, a.burst, 1, tmp, 1, ('--heap', heap)))
        for heap in a.heap_list for r in a.runner_list]
    refs, got = interleave(a.pairs, floor, clients)
    per = lambda wall: (wall - BURST_DELAY_S) / a.burst * 1e6  # noqa: E731
    print(f'\n{a.burst:,} fetches at once, each on a fresh connection, {a.bytes} B after '
          f'{BURST_DELAY_S * 1000:.0f} ms (ideal {BURST_DELAY_S:.1f} s); {a.pairs} rounds '
          f'of the floor and each runner (one trial), interleaved; medians (min – max)\n')
    print('| client | wall | overhead per fetch | × floor\'s wall (per round, to the floor '
          'runs around it) | × floor\'s overhead | failed |')
    print('|---|---|---|---|---|---|')
    print(f'| concbench-burst (bare epoll client: the floor; {len(refs)} runs) | '
          f'{fmt_spread(refs, lambda v: f"{v:.3f} s")} | {per(statistics.median(refs)):.0f} µs '
          f'| 1.00 | 1.00 | {sum(failed)} |')
    for (heap, name), _ in clients:
        walls, outcomes, around = got[(heap, name)]
        ratios = [w / f for w, f in zip(walls, around)]
        over = [per(w) / per(f) for w, f in zip(walls, around)]
        print(f'| concbench {name}, heap {heap} | {fmt_spread(walls, lambda v: f"{v:.3f} s")}'
              f' | {per(statistics.median(walls)):.0f} µs | '
              f'{fmt_spread(ratios, lambda v: f"{v:.2f}")} | '
              f'{fmt_spread(over, lambda v: f"{v:.2f}")} | {add_outcomes(outcomes)} |')


def on_signal(sig, frame):
    """SIGTERM and SIGHUP end the script as Ctrl-C does: through the finally that stops
    the server (subprocess.run kills the child it waits for on the way)."""
    raise KeyboardInterrupt


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not shutil.which('wrk'):
        print('throughput: wrk is missing (apt-get install wrk)', file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    srv = None
    try:
        srv, port = start_server(a.httpd)
        url = f'http://127.0.0.1:{port}/delay/0/bytes/{a.bytes}'
        with tempfile.TemporaryDirectory(prefix='cb-throughput-') as tmp:
            if not a.no_server_table:
                server_table(a, port, tmp)
            rates_table(a, url, tmp)
            if a.burst:
                burst_table(a, port, tmp)
    except (ResultsError, OSError, subprocess.SubprocessError) as e:
        print(f'throughput: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('throughput: stopped', file=sys.stderr)
        return 130
    finally:
        if srv:
            stop(srv, signal.SIGTERM)
    return 0
