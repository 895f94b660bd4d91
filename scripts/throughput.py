"""Fetches per second against the delay server, beside wrk's in the same run.

Starts one concbench-httpd (127.0.0.1, ephemeral port), measures wrk with C
connections for D seconds against /delay/0/bytes/B, then concbench's http workload on
each runner with C tasks at once, each fetching K times in a row on its kept-alive
connection, against the same server, then wrk again; the ratio is to their mean. Prints one Markdown table: fetches/s and the
ratio to wrk. Every step is bounded in time; the server is stopped on every path.

usage: scripts/throughput [--concbench BIN] [--httpd BIN] [-c 100] [-k 200] [-r evloop,green]"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from cbresults import TREE, ResultsError, load_run, num


def parse_args(argv):
    p = argparse.ArgumentParser(prog='throughput', description=__doc__.split('\n')[0])
    build = os.path.join(TREE, 'build')
    p.add_argument('--concbench', default=os.path.join(build, 'bench', 'concbench'))
    p.add_argument('--httpd', default=os.path.join(build, 'workloads', 'httpd',
                                                   'concbench-httpd'))
    p.add_argument('-c', '--connections', type=int, default=100)
    p.add_argument('-k', '--fetches', type=int, default=200, help='fetches per connection')
    p.add_argument('-b', '--bytes', type=int, default=16384)
    p.add_argument('-d', '--duration', type=int, default=5, help='wrk seconds')
    p.add_argument('-r', '--runners', default='evloop,green,threads')
    p.add_argument('--repeat', type=int, default=5)
    a = p.parse_args(argv)
    for name in ('connections', 'fetches', 'duration', 'repeat'):
        if not 1 <= getattr(a, name) <= 100000:
            p.error(f'--{name} {getattr(a, name)}: allowed 1 .. 100000')
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


def harness_rates(a, url, tmp):
    csv = os.path.join(tmp, 'run.csv')
    cmd = [a.concbench, '-q', '--no-floors', '-w', 'http', '-p', f'http.url={url}',
           '-p', f'http.fetches={a.fetches}', '-n', str(a.connections), '-j', '0',
           '-r', a.runners, '--repeat', str(a.repeat), '--warmup', '1', '-o', csv]
    r = subprocess.run(cmd, timeout=600, stdout=subprocess.DEVNULL)
    if r.returncode not in (0, 1):
        raise ResultsError(f'concbench exited {r.returncode}')
    _, summary, _, _ = load_run(csv, need_trials=False)
    return [(row['runner'], int(row['tasks']) * a.fetches / num(row, 'median_s'),
             row['outcomes']) for row in summary if num(row, 'median_s')]


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not shutil.which('wrk'):
        print('throughput: wrk is missing (apt-get install wrk)', file=sys.stderr)
        return 2
    srv = None
    try:
        srv, port = start_server(a.httpd)
        url = f'http://127.0.0.1:{port}/delay/0/bytes/{a.bytes}'
        # wrk before and after the harness: a drift of the machine shows as their gap.
        w1, werr = wrk_rate(url, a.connections, a.duration)
        with tempfile.TemporaryDirectory(prefix='cb-throughput-') as tmp:
            rates = harness_rates(a, url, tmp)
        w2, werr2 = wrk_rate(url, a.connections, a.duration)
        wrk, werr = (w1 + w2) / 2, werr or werr2
    except (ResultsError, OSError, subprocess.SubprocessError) as e:
        print(f'throughput: {e}', file=sys.stderr)
        return 1
    finally:
        if srv:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=5)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
    print(f'{a.connections} connections kept alive, {a.bytes} B bodies, delay 0, one '
          f'concbench-httpd on 127.0.0.1\n')
    print('| client | fetches/s | × wrk | outcomes |')
    print('|---|---|---|---|')
    print(f'| wrk (1 thread, {a.duration} s before and after: {w1:,.0f}, {w2:,.0f}) | '
          f'{wrk:,.0f} | 1.00 | {werr or "ok"} |')
    for runner, rate, outcomes in rates:
        print(f'| concbench {runner} ({a.connections} × {a.fetches}) | {rate:,.0f} | '
              f'{rate / wrk:.2f} | {outcomes} |')
    return 0
