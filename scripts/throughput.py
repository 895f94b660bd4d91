"""Fetches per second beside wrk's, and N fetches at once beside a bare client's.

Starts one concbench-httpd (127.0.0.1, ephemeral port). The server: wrk's rate against
it with C connections, 16 B and B-byte bodies, beside nginx's (one worker, the same
files) when nginx is installed. Throughput: wrk with C
connections for D seconds against /delay/0/bytes/B, then concbench's http workload on
each runner with C tasks at once, each fetching K times in a row on its kept-alive
connection, then wrk again; the ratio is to wrk's mean. Burst (--burst N, 0 skips):
N fetches of /delay/100/bytes/B at once, each on a fresh connection, by concbench-burst
(a bare epoll client: the floor) and by each runner, against the same server; the
ratio is of overhead per fetch (wall less the delay, over N), each runner's trials
back to back, on glibc's small-page heap and on the huge-page one (--heap). Prints the
Markdown tables. Every step is bounded in time; the server is stopped on every path.

usage: scripts/throughput [--concbench BIN] [--httpd BIN] [--burst-client BIN]
                          [-c 100] [-k 200] [--burst 10000] [-r evloop,green,threads]"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from cbresults import TREE, ResultsError, load_run, num


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
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--burst', type=int, default=10000, help='fetches at once; 0: skip')
    a = p.parse_args(argv)
    for name in ('connections', 'fetches', 'duration', 'repeat'):
        if not 1 <= getattr(a, name) <= 100000:
            p.error(f'--{name} {getattr(a, name)}: allowed 1 .. 100000')
    if not 0 <= a.burst <= 15000:
        p.error(f'--burst {a.burst}: allowed 0 .. 15000 (the open-files limit)')
    return a


def start_server(httpd):
    srv = subprocess.Popen([httpd, '-p', '0'], stdout=subprocess.PIPE, text=True)
    line = srv.stdout.readline()
    m = re.search(r'(\d+)', line)
    if not m:
        srv.kill()
        srv.wait()
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


def harness_run(a, url, tasks, fetches, tmp, extra=()):
    """concbench's summary rows for the http workload against url."""
    csv = os.path.join(tmp, f'run-{tasks}-{fetches}-{len(os.listdir(tmp))}.csv')
    cmd = [a.concbench, '-q', '--no-floors', '-w', 'http', '-p', f'http.url={url}',
           '-p', f'http.fetches={fetches}', '-n', str(tasks), '-j', '0',
           '-r', a.runners, '--repeat', str(a.repeat), '--warmup', '1', '-o', csv, *extra]
    r = subprocess.run(cmd, timeout=900, stdout=subprocess.DEVNULL)
    if r.returncode not in (0, 1):
        raise ResultsError(f'concbench exited {r.returncode}')
    _, summary, _, _ = load_run(csv, need_trials=False)
    return [row for row in summary if num(row, 'median_s')]


def harness_rates(a, url, tmp):
    # The buffer the workload picks against its own server, whose sizes it knows (a
    # given URL's it does not): the whole response in one recv.
    kib = max(16, -(-(a.bytes + 1024) // 1024))
    rows = harness_run(a, url, a.connections, a.fetches, tmp, ('-p', f'http.buffer_kib={kib}'))
    return [(row['runner'], int(row['tasks']) * a.fetches / num(row, 'median_s'),
             row['outcomes']) for row in rows]


def burst_floor(a, url):
    """Median wall of concbench-burst's N fetches at once, after one warm-up (the
    server's first burst of a run overflows its accept queue: a SYN retried 1 s later)."""
    walls, failed = [], 0
    for i in range(a.repeat + 1):
        out = subprocess.run([a.burst_client, '-n', str(a.burst), '-t', '60', url],
                             capture_output=True, text=True, timeout=90)
        m = re.search(r'ok (\d+) failed (\d+) wall_s ([\d.]+)', out.stdout)
        if out.returncode not in (0, 1) or not m:
            raise ResultsError(f'concbench-burst: {(out.stderr or out.stdout).strip()}')
        if i:
            walls.append(float(m.group(3)))
            failed += int(m.group(2))
    walls.sort()
    return walls[len(walls) // 2], failed


def burst_table(a, port, tmp):
    delay = 0.1
    url = f'http://127.0.0.1:{port}/delay/{int(delay * 1000)}/bytes/{a.bytes}'
    floor, failed = burst_floor(a, url)
    # Each runner's trials back to back: interleaved, a runner's trial would find the
    # huge pages the last one freed split up by another model's, and pay fresh ones.
    # Both heaps: glibc's small pages, and huge ones, whose gap is the page faults' share.
    rows = [(heap, row) for heap in ('small', 'huge')
            for row in harness_run(a, url, a.burst, 1, tmp,
                                   ('--order', 'sequential', '--heap', heap))]
    per = lambda wall: (wall - delay) / a.burst  # noqa: E731
    print(f'\n{a.burst:,} fetches at once, each on a fresh connection, {a.bytes} B after '
          f'{delay * 1000:.0f} ms (ideal {delay:.1f} s); medians of {a.repeat}\n')
    print('| client | wall | overhead per fetch | × floor | failed |')
    print('|---|---|---|---|---|')
    print(f'| concbench-burst (bare epoll client: the floor) | {floor:.3f} s | '
          f'{per(floor) * 1e6:.0f} µs | 1.00 | {failed} |')
    for heap, row in rows:
        wall = num(row, 'median_s')
        print(f'| concbench {row["runner"]}, heap {heap} | {wall:.3f} s | '
              f'{per(wall) * 1e6:.0f} µs | {per(wall) / per(floor):.2f} | {row["outcomes"]} |')


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not shutil.which('wrk'):
        print('throughput: wrk is missing (apt-get install wrk)', file=sys.stderr)
        return 2
    srv = None
    try:
        srv, port = start_server(a.httpd)
        url = f'http://127.0.0.1:{port}/delay/0/bytes/{a.bytes}'
        with tempfile.TemporaryDirectory(prefix='cb-throughput-') as tmp:
            server_table(a, port, tmp)
            # wrk before and after the harness: a drift of the machine shows as their gap.
            w1, werr = wrk_rate(url, a.connections, a.duration)
            rates = harness_rates(a, url, tmp)
            w2, werr2 = wrk_rate(url, a.connections, a.duration)
            wrk, werr = (w1 + w2) / 2, werr or werr2
            print_rates(a, w1, w2, wrk, werr, rates)
            if a.burst:
                burst_table(a, port, tmp)
    except (ResultsError, OSError, subprocess.SubprocessError) as e:
        print(f'throughput: {e}', file=sys.stderr)
        return 1
    finally:
        if srv:
            stop(srv, signal.SIGTERM)
    return 0


def print_rates(a, w1, w2, wrk, werr, rates):
    print(f'{a.connections} connections kept alive, {a.bytes} B bodies, delay 0, one '
          f'concbench-httpd on 127.0.0.1\n')
    print('| client | fetches/s | × wrk | outcomes |')
    print('|---|---|---|---|')
    print(f'| wrk (1 thread, {a.duration} s before and after: {w1:,.0f}, {w2:,.0f}) | '
          f'{wrk:,.0f} | 1.00 | {werr or "ok"} |')
    for runner, rate, outcomes in rates:
        print(f'| concbench {runner} ({a.connections} × {a.fetches}) | {rate:,.0f} | '
              f'{rate / wrk:.2f} | {outcomes} |')
