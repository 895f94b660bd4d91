"""scripts/throughput without timing anything (meson test --suite unit): the interleaving
(the reference around every round, the clients' order turning, each round's ratio to the
reference runs beside it), the sums of outcomes, the bounds of --pairs, and its server
stopped on the paths that end early (a client that fails, SIGTERM), with stand-ins for
the server, wrk and concbench. TAP.

usage: test_throughput.py"""

import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import throughput as tp  # noqa: E402
from tap import attempt, note, report  # noqa: E402

PY = '/usr/bin/python3'


def interleaving():
    log, figs = [], iter(range(100, 1000))

    def ref():
        log.append('ref')
        return float(next(figs))

    def client(name):
        def fn():
            log.append(name)
            return float(next(figs)), 'ok:1'
        return fn

    refs, got = tp.interleave(3, ref, [(n, client(n)) for n in ('a', 'b', 'c')])
    want = ['ref', 'a', 'b', 'c', 'ref', 'b', 'c', 'a', 'ref', 'c', 'a', 'b', 'ref']
    if log != want:
        return f'order {log}, not {want}'
    if refs != [100.0, 104.0, 108.0, 112.0]:
        return f'reference figures {refs}'
    # b ran 102, 105 and 111 between the reference runs 100|104, 104|108, 108|112.
    figs_b, outcomes_b, around_b = got['b']
    if figs_b != [102.0, 105.0, 111.0] or around_b != [102.0, 106.0, 110.0]:
        return f'b: figures {figs_b}, references around them {around_b}'
    if outcomes_b != ['ok:1'] * 3:
        return f'b: outcomes {outcomes_b}'
    return ''


def one_client_alternates():
    log = []
    refs, got = tp.interleave(4, lambda: log.append('ref') or 1.0,
                              [('x', lambda: log.append('x') or (2.0, 'ok:1'))])
    if log != ['ref', 'x'] * 4 + ['ref']:
        return f'order {log}'
    if got['x'][2] != [1.0] * 4:
        return f'references {got["x"][2]}'
    return ''


def outcomes_and_spread():
    s = tp.add_outcomes(['ok:3', 'ok:2;timeout:1', '', 'ok:3'])
    if s != 'ok:8;timeout:1':
        return f'sum {s!r}'
    if tp.spread([3, 1, 2, 10, 4]) != (3, 1, 10):
        return f'spread {tp.spread([3, 1, 2, 10, 4])}'
    return ''


def pairs_bounds():
    for bad in (['--pairs', '2'], ['--pairs', '0'], ['--heaps', 'tiny'], ['-r', ',']):
        r = subprocess.run([PY, os.path.join(HERE, 'throughput'), *bad],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 2 or bad[0] not in r.stderr:
            return f'{bad}: exit {r.returncode}, {r.stderr.strip()!r}'
    a = tp.parse_args([])
    if a.pairs != 5 or tp.parse_args(['--pairs', '3']).pairs != 3:
        return f'default --pairs {a.pairs}'
    return ''


# A server that prints a port, notes its pid, and runs until a signal.
FAKE_HTTPD = '''#!/usr/bin/python3
import os, sys, time
with open(os.environ['FAKE_PIDS'], 'a') as f:
    f.write(f'{os.getpid()}\\n')
print('port 1', flush=True)
for _ in range(600):
    time.sleep(0.1)
'''
FAKE_WRK = '''#!/bin/sh
echo "Requests/sec:  1000.0"
'''
FAKE_SLOW = '''#!/bin/sh
exec sleep 60
'''


def fakes(tmp):
    paths = {}
    for name, text in (('httpd', FAKE_HTTPD), ('wrk', FAKE_WRK), ('slow', FAKE_SLOW)):
        paths[name] = os.path.join(tmp, name)
        with open(paths[name], 'w') as f:
            f.write(text)
        os.chmod(paths[name], 0o755)
    env = dict(os.environ, PATH=f'{tmp}:{os.environ["PATH"]}',
               FAKE_PIDS=os.path.join(tmp, 'pids'))
    return paths, env


def server_pids(env):
    with open(env['FAKE_PIDS']) as f:
        return [int(p) for p in f.read().split()]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as f:  # a zombie is gone for our purpose
        return f.read().rsplit(')', 1)[1].split()[0] != 'Z'


def gone_within(pids, seconds):
    until = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < until:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def stops_server_when_a_client_fails():
    with tempfile.TemporaryDirectory(prefix='cb-tput-') as tmp:
        paths, env = fakes(tmp)
        r = subprocess.run([PY, os.path.join(HERE, 'throughput'), '--httpd', paths['httpd'],
                            '--concbench', os.path.join(tmp, 'no-such-concbench'),
                            '--no-server-table', '-d', '1', '--pairs', '3'],
                           capture_output=True, text=True, timeout=60, env=env)
        note(r.stderr)
        if r.returncode != 1 or 'throughput:' not in r.stderr:
            return f'exit {r.returncode}, stderr {r.stderr.strip()!r}'
        left = gone_within(server_pids(env), 5)
        return f'server {left} still running' if left else ''


def stops_server_on_sigterm():
    with tempfile.TemporaryDirectory(prefix='cb-tput-') as tmp:
        paths, env = fakes(tmp)
        p = subprocess.Popen([PY, os.path.join(HERE, 'throughput'), '--httpd', paths['httpd'],
                              '--concbench', paths['slow'], '--no-server-table', '-d', '1'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
        until = time.monotonic() + 20
        while not os.path.exists(env['FAKE_PIDS']) and time.monotonic() < until:
            time.sleep(0.05)
        time.sleep(0.5)  # into the first concbench run
        p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            return 'still running 20 s after SIGTERM'
        if p.returncode != 130:
            return f'exit {p.returncode}, stderr {err.strip()!r}'
        left = gone_within(server_pids(env), 5)
        return f'server {left} still running' if left else ''


def main():
    cases = [
        ('the reference runs around every round, the order turns, ratios to its neighbours',
         interleaving),
        ('one client alternates with the reference', one_client_alternates),
        ('outcomes add up over runs; spread is median, min, max', outcomes_and_spread),
        ('--pairs is 5 by default, 3 at least; bad --heaps and -r refused', pairs_bounds),
        ('the server is stopped when a run fails', stops_server_when_a_client_fails),
        ('the server is stopped on SIGTERM', stops_server_on_sigterm),
    ]
    return report([(name, attempt(fn)) for name, fn in cases])


if __name__ == '__main__':
    sys.exit(main())
