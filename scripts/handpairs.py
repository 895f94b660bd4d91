"""Each runner beside its hand-written counterpart (bench/hand/), in interleaved pairs.

A runner that costs more than a hand-written program of its model measures itself, not
the model. For each row this runs the hand-written programs and the matching concbench
cells alternately (hand, concbench, hand, ...; the order reversed every other round),
--pairs rounds, each concbench cell as one trial of its own (--repeat 1 --warmup 0
--no-floors), and prints one Markdown table: each side's figure, its median and range
over the rounds; the ratio concbench / hand, the median of the per-round ratios and
their range; the memory per task of each side and what its fresh pages cost at the
machine's page price (concbench's floor_page_touch_s, from one concbench run with its
floors before the rounds, which also gives the empty trial child's RSS that concbench's
memory per task is counted above).

Figures: a sleep row's is the overhead, wall - the sleep (100 ms); a hand-off row's the
time of one hand-off (concbench's ns_per_switch). Rows (--rows):
  sleep1m    1,000,000 sleepers: evloop and green beside hand-timers, hand-fifo and
             hand-copystack
  sleep100k  the same at 100,000
  coro       a ping-pong of 1,000,000 rounds: green and evloop beside hand-switch
  threads    a ping-pong of 20,000 rounds: threads beside hand-semping
  procs      the same: procs beside hand-procping
--scale F (0 < F <= 1) multiplies every N and round count, for a quick run.
Every program runs with a time limit; any failure is one line, exit 1; bad options
exit 2.

usage: scripts/handpairs [--concbench BIN] [--hand-dir DIR] [--pairs 5] [--scale 1]
                         [--rows sleep1m,sleep100k,coro,threads,procs]"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from cbresults import TREE, ResultsError, WriteError, load_run, machine_line, num, write_stdout

PROG = 'handpairs'
SLEEP_MS = 100
HAND_TIMEOUT_S = 120   # a hand program's whole run
CB_TIMEOUT_S = 300     # a concbench run's, its trial limited to CB_TRIAL_S by itself
CB_TRIAL_S = 120


class Failed(Exception):
    """A run that went wrong: one line, exit 1."""


@dataclass(frozen=True)
class Row:
    title: str
    kind: str          # 'sleep' or 'handoff'
    size: int          # N sleepers, or rounds
    hands: tuple       # the hand programs, by their name after 'hand-'
    runners: tuple     # the concbench runners
    ratios: tuple      # (runner, hand) pairs, a table line each


ROWS = {
    'sleep1m': Row('sleep 1M', 'sleep', 1_000_000, ('timers', 'fifo', 'copystack'),
                   ('evloop', 'green'),
                   (('evloop', 'timers'), ('green', 'timers'), ('green', 'copystack'),
                    ('evloop', 'fifo'))),
    'sleep100k': Row('sleep 100k', 'sleep', 100_000, ('timers', 'fifo', 'copystack'),
                     ('evloop', 'green'),
                     (('evloop', 'timers'), ('green', 'timers'), ('green', 'copystack'),
                      ('evloop', 'fifo'))),
    'coro': Row('hand-off, coroutines', 'handoff', 1_000_000, ('switch',), ('green', 'evloop'),
                (('green', 'switch'), ('evloop', 'switch'))),
    'threads': Row('hand-off, threads', 'handoff', 20_000, ('semping',), ('threads',),
                   (('threads', 'semping'),)),
    'procs': Row('hand-off, procs', 'handoff', 20_000, ('procping',), ('procs',),
                 (('procs', 'procping'),)),
}


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        print(f'{PROG}: {message}', file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = OneLineParser(prog=PROG, description=__doc__.split('\n')[0])
    build = os.path.join(TREE, 'build')
    p.add_argument('--concbench', default=os.path.join(build, 'bench', 'concbench'))
    p.add_argument('--hand-dir', default=os.path.join(build, 'bench', 'hand'))
    p.add_argument('--pairs', type=int, default=5, help='rounds, at least 3')
    p.add_argument('--scale', type=float, default=1.0, help='multiplies N and rounds')
    p.add_argument('--rows', default=','.join(ROWS))
    a = p.parse_args(argv)
    if not 3 <= a.pairs <= 100:
        p.error(f'--pairs {a.pairs}: allowed 3 .. 100')
    if not 0 < a.scale <= 1:
        p.error(f'--scale {a.scale:g}: allowed above 0, at most 1')
    a.rows = [r.strip() for r in a.rows.split(',')]
    for r in a.rows:
        if r not in ROWS:
            p.error(f'--rows: unknown row "{r}" (allowed: {", ".join(ROWS)})')
    if len(set(a.rows)) != len(a.rows):
        p.error(f'--rows {",".join(a.rows)}: a row named twice')
    if not os.access(a.concbench, os.X_OK):
        p.error(f'--concbench {a.concbench}: not an executable (ninja -C build)')
    for r in a.rows:
        for h in ROWS[r].hands:
            if not os.access(os.path.join(a.hand_dir, f'hand-{h}'), os.X_OK):
                p.error(f'--hand-dir {a.hand_dir}: no executable hand-{h} (ninja -C build)')
    return a


def run(cmd, timeout, what):
    """stdout of cmd, which must exit 0 within timeout."""
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed(f'{what}: still running after {timeout} s') from None
    except OSError as e:
        raise Failed(f'{what}: {e.strerror}') from None
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        raise Failed(f'{what}: exit status {r.returncode}'
                     + (f': {lines[-1]}' if lines else ''))
    return r.stdout


def hand_run(a, name, args, count_key, count):
    """{key: number} of a hand program's one result line; its count checked."""
    cmd = [os.path.join(a.hand_dir, f'hand-{name}')] + [str(x) for x in args]
    what = ' '.join(['hand-' + name] + [str(x) for x in args])
    lines = run(cmd, HAND_TIMEOUT_S, what).splitlines()
    try:
        if len(lines) != 1:
            raise ValueError
        vals = {k: float(v) for k, v in (f.split('=', 1) for f in lines[0].split())}
    except ValueError:
        raise Failed(f'{what}: not one line of key=value numbers: {lines[:2]!r}') from None
    if vals.get(count_key) != count:
        raise Failed(f'{what}: {count_key}={vals.get(count_key)}, expected {count}')
    return vals


def cb_run(a, tmp, runner, cell):
    """The measured trial row of one concbench run of one cell."""
    csv = os.path.join(tmp, f'cb-{runner}.csv')
    cmd = [a.concbench, *cell, '-r', runner, '--repeat', '1', '--warmup', '0', '--no-floors',
           '--timeout', str(CB_TRIAL_S), '-q', '-o', csv]
    run(cmd, CB_TIMEOUT_S, f'concbench {" ".join(cell)} -r {runner}')
    try:
        trials = load_run(csv)[0]
    except ResultsError as e:
        raise Failed(f'concbench wrote what this cannot read: {e}') from None
    rows = [t for t in trials if t['warmup'] == '0']
    if len(rows) != 1 or rows[0]['outcome'] != 'ok':
        raise Failed(f'concbench -r {runner}: {len(rows)} measured trials, outcome '
                     f'{rows[0]["outcome"] if rows else "none"} {rows[0]["note"] if rows else ""}')
    return rows[0]


def machine(a, tmp):
    """(page price in s, empty trial child's RSS in bytes, the machine) from one
    concbench run with its floors."""
    csv = os.path.join(tmp, 'floors.csv')
    run([a.concbench, '-w', 'sleep', '-p', 'sleep.ms=1', '-n', '1', '-r', 'serial',
         '--repeat', '1', '--warmup', '0', '-q', '-o', csv], CB_TIMEOUT_S,
        'concbench (the floors)')
    try:
        meta = load_run(csv, need_trials=False)[2]
    except ResultsError as e:
        raise Failed(f'concbench wrote what this cannot read: {e}') from None
    page, base = num(meta, 'floor_page_touch_s'), num(meta, 'base_rss_kib')
    if page is None or base is None:
        raise Failed('concbench measured no floor_page_touch_s or base_rss_kib')
    return page, base * 1024, machine_line(meta)


def scaled(row, scale):
    return max(1, round(row.size * scale))


def hand_figure(a, row, name, size):
    """(figure, bytes per task or None) of one run of hand-name."""
    if row.kind == 'sleep':
        v = hand_run(a, name, (size, SLEEP_MS), 'tasks', size)
        # A runner's wall holds its release too: the hand program's freeing counts alike.
        return v['wall_s'] + v.get('free_s', 0) - SLEEP_MS / 1000, v['bytes_per_task']
    v = hand_run(a, name, (size,), 'rounds', size)
    if 'ns_per_switch' in v:
        return v['ns_per_switch'] * 1e-9, None
    if 'us_per_handoff' in v:
        return v['us_per_handoff'] * 1e-6, None
    raise Failed(f'hand-{name} {size}: no ns_per_switch or us_per_handoff in its line')


def cb_figure(a, tmp, row, runner, size, base_rss):
    if row.kind == 'sleep':
        t = cb_run(a, tmp, runner, ['-w', 'sleep', '-p', f'sleep.ms={SLEEP_MS}', '-n', str(size),
                                    '-j', '0'])
        return num(t, 'wall_s') - SLEEP_MS / 1000, (num(t, 'maxrss_kib') * 1024 - base_rss) / size
    t = cb_run(a, tmp, runner, ['-w', 'pingpong', '-p', f'pingpong.rounds={size}', '-n', '2',
                                '-j', '0'])
    ns = num(t, 'ns_per_switch')
    if ns is None:
        raise Failed(f'concbench -w pingpong -r {runner}: no ns_per_switch in its trial')
    return ns * 1e-9, None


def measure(a, tmp, row, base_rss):
    """{name: [(figure, bytes per task)] by round}, hand and concbench alternating."""
    size = scaled(row, a.scale)
    order = []
    for i in range(max(len(row.hands), len(row.runners))):
        order += [('hand', h) for h in row.hands[i:i + 1]]
        order += [('cb', r) for r in row.runners[i:i + 1]]
    got = {name: [] for _, name in order}
    for k in range(a.pairs):
        for side, name in (order if k % 2 == 0 else order[::-1]):
            got[name].append(hand_figure(a, row, name, size) if side == 'hand'
                             else cb_figure(a, tmp, row, name, size, base_rss))
    return got


def fmt_t(s):
    if abs(s) >= 1e-3:
        return f'{s * 1e3:.3g} ms'
    if abs(s) >= 1e-6:
        return f'{s * 1e6:.3g} µs'
    return f'{s * 1e9:.3g} ns'


def spread(xs, fmt):
    return f'{fmt(statistics.median(xs))} ({fmt(min(xs))} .. {fmt(max(xs))})'


def table_line(row, scale, runner, hand, got, page):
    size = scaled(row, scale)
    hf = [f for f, _ in got[hand]]
    cf = [f for f, _ in got[runner]]
    label = row.title
    if scale != 1:
        label += f' × {scale:g} ({size:,} {"tasks" if row.kind == "sleep" else "rounds"})'
    what = 'overhead' if row.kind == 'sleep' else 'one hand-off'
    ratios = [c / h for c, h in zip(cf, hf) if h > 0]
    ratio = (f'**{statistics.median(ratios):.2f}** ({min(ratios):.2f} .. {max(ratios):.2f})'
             if len(ratios) == len(hf) else '– (a hand figure of 0 or less)')
    mem = pages = '–'
    if row.kind == 'sleep':
        hb = statistics.median(b for _, b in got[hand])
        cb = statistics.median(b for _, b in got[runner])
        mem = f'{hb:.0f} B, {cb:.0f} B'
        pages = ', '.join(fmt_t(b * size / 4096 * page) for b in (hb, cb))
    return (f'| {label}: {what} | hand-{hand} {spread(hf, fmt_t)} | {runner} '
            f'{spread(cf, fmt_t)} | {ratio} | {mem} | {pages} |')


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    load0 = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix='cb-handpairs-') as tmp:
            page, base_rss, host = machine(a, tmp)
            lines = []
            for key in a.rows:
                row = ROWS[key]
                got = measure(a, tmp, row, base_rss)
                lines += [table_line(row, a.scale, r, h, got, page)
                          for r, h in row.ratios]
    except Failed as e:
        print(f'{PROG}: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # subprocess.run has killed and reaped the program running
        print(f'{PROG}: interrupted', file=sys.stderr)
        return 130
    load1 = os.getloadavg()[0]
    out = [f'{host}; a fresh 4 KiB page {fmt_t(page)} (floor_page_touch_s); {a.pairs} '
           f'rounds, hand-written and concbench alternating; load average {load0:.2f} '
           f'before, {load1:.2f} after (these runs add up to 1: more is other work on '
           f'the machine)', '',
           '| row | hand-written: median (range) | concbench: median (range) | '
           'concbench / hand: median of the rounds (range) | memory per task: hand, '
           'concbench | its fresh pages at the page price: hand, concbench |',
           '|---|---|---|---|---|---|', *lines, '',
           'Memory per task: the growth of the peak RSS over N; concbench\'s is its trial '
           'child\'s peak RSS above an empty one\'s, which holds the task set and results '
           'too (built outside the clock).']
    try:
        write_stdout('\n'.join(out) + '\n')
    except WriteError as e:
        print(f'{PROG}: {e}', file=sys.stderr)
        return 1
    return 0
