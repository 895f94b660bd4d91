"""The hand-written counterparts (bench/hand/) and scripts/handpairs (meson test --suite
unit): each program at a tiny size prints one line of key=value numbers with its counts
right (a sleep never ends before its time: the only timing checked); bad sizes are
refused with one line naming the value and what is allowed, exit 2, nothing on stdout;
handpairs refuses bad options the same way and, at a tiny scale, prints its table. TAP.

usage: test_hand.py HAND_DIR CONCBENCH"""

import math
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import tap  # noqa: E402
from tap import attempt, report  # noqa: E402

# program: (arguments, the keys it prints, the counts it must print)
GOOD = {
    'timers': (['300', '20'], ('wall_s', 'tasks', 'bytes_per_task', 'arm_s', 'free_s'),
               {'tasks': 300}),
    'fifo': (['300', '20'], ('wall_s', 'tasks', 'bytes_per_task', 'arm_s', 'free_s'),
             {'tasks': 300}),
    'copystack': (['300', '20'], ('wall_s', 'tasks', 'bytes_per_task', 'saved_bytes', 'arm_s',
                                  'free_s'), {'tasks': 300}),
    'switch': (['1000'], ('wall_s', 'rounds', 'switches', 'ns_per_switch'),
               {'rounds': 1000, 'switches': 2000}),
    'semping': (['100'], ('wall_s', 'rounds', 'switches', 'us_per_handoff'),
                {'rounds': 100, 'switches': 199}),
    'procping': (['100'], ('wall_s', 'rounds', 'switches', 'us_per_handoff'),
                 {'rounds': 100, 'switches': 199}),
}
SLEEPERS = ('timers', 'fifo', 'copystack')
# Values no size may take: a sign, a space, letters, a fraction, hex, too big, empty.
BAD_VALUES = ('0', '-1', '+5', ' 5', '5 ', '1x', '1.5', '0x10', '', '99999999999999999999')


def run(cmd):
    return tap.run(cmd, capture_output=True, text=True, timeout=60)


def check_good(hand_dir, name):
    args, keys, counts = GOOD[name]
    r = run([os.path.join(hand_dir, f'hand-{name}'), *args])
    if r.returncode != 0:
        return f'exit status {r.returncode}: {r.stderr.strip()}'
    lines = r.stdout.splitlines()
    if len(lines) != 1:
        return f'{len(lines)} lines on stdout, not one: {r.stdout!r}'
    try:
        vals = {k: float(v) for k, v in (f.split('=', 1) for f in lines[0].split())}
    except ValueError:
        return f'not key=value numbers: {lines[0]!r}'
    if tuple(vals) != keys:
        return f'keys {tuple(vals)}, expected {keys}'
    bad = [k for k, v in vals.items() if not math.isfinite(v) or v < 0]
    if bad:
        return f'not a finite number of at least 0: {bad} in {lines[0]!r}'
    for k, want in counts.items():
        if vals[k] != want:
            return f'{k}={vals[k]:g}, expected {want}'
    if name in SLEEPERS and vals['wall_s'] < int(args[1]) / 1000:
        return f'wall_s={vals["wall_s"]}: ended before its {args[1]} ms sleep'
    if name == 'copystack' and not 0 < vals['saved_bytes'] < 65536:
        return f'saved_bytes={vals["saved_bytes"]:g}: not within the 64 KiB stack'
    return ''


def check_refused(cmd, want):
    """cmd exits 2 with one line on stderr holding every string of want, stdout empty."""
    r = run(cmd)
    err = r.stderr.splitlines()
    if r.returncode != 2:
        return f'exit status {r.returncode}, not 2 ({r.stderr.strip()!r})'
    if len(err) != 1 or r.stdout:
        return f'not one line on stderr and nothing on stdout: {r.stderr!r} {r.stdout!r}'
    missing = [w for w in want if w not in err[0]]
    return f'{err[0]!r} does not name {missing}' if missing else ''


def bad_cases(hand_dir):
    cases = []
    for name, (args, _, _) in GOOD.items():
        prog = os.path.join(hand_dir, f'hand-{name}')
        cases.append((f'hand-{name} without its sizes is refused',
                      lambda p=prog, n=name: check_refused([p], ['usage:', f'hand-{n}'])))
        cases.append((f'hand-{name} with a size too many is refused',
                      lambda p=prog, a=args: check_refused([p, *a, '1'], ['usage:'])))
        for v in BAD_VALUES:
            cases.append((f'hand-{name} {v!r} is refused',
                          lambda p=prog, v=v, a=args: check_refused(
                              [p, v, *a[1:]], [f"'{v}'", 'allowed a whole number from 1'])))
        if name in SLEEPERS:
            cases.append((f'hand-{name} MS 60001 is refused',
                          lambda p=prog: check_refused([p, '5', '60001'],
                                                       ["MS '60001'", 'from 0 to 60000'])))
    return cases


def handpairs_cases(hand_dir, concbench):
    hp = [os.path.join(HERE, 'handpairs'), '--concbench', concbench, '--hand-dir', hand_dir]
    refused = [
        (['--pairs', '2'], ['--pairs 2', '3 .. 100']),
        (['--pairs', 'x'], ['--pairs', "'x'"]),
        (['--scale', '0'], ['--scale 0', 'above 0']),
        (['--scale', 'nan'], ['--scale nan']),
        (['--scale', '2'], ['--scale 2', 'at most 1']),
        (['--rows', 'sleep,coro'], ['"sleep"', 'allowed: sleep1m']),
        (['--rows', 'coro,coro'], ['named twice']),
        (['--bogus'], ['--bogus']),
    ]
    cases = [(f'handpairs {" ".join(a)} is refused', lambda a=a, w=w: check_refused(hp + a, w))
             for a, w in refused]
    with tempfile.TemporaryDirectory(prefix='cb-hand-') as empty:
        pass  # a folder that was there: now gone
    cases.append(('handpairs --hand-dir without the programs is refused',
                  lambda: check_refused(hp + ['--hand-dir', empty], ['--hand-dir', 'hand-'])))

    def tiny_run():
        r = tap.run(hp + ['--rows', 'coro,threads,procs', '--scale', '0.0005', '--pairs', '3'],
                    capture_output=True, text=True, timeout=150)
        if r.returncode != 0:
            return f'exit status {r.returncode}: {r.stderr.strip()}'
        rows = [ln for ln in r.stdout.splitlines() if ln.startswith('| hand-off')]
        if len(rows) != 4:
            return f'{len(rows)} table lines of hand-offs, expected 4:\n{r.stdout}'
        for want in ('hand-switch', 'green', 'evloop', 'hand-semping', 'threads',
                     'hand-procping', 'procs'):
            if want not in r.stdout:
                return f'the table names no {want}:\n{r.stdout}'
        return ''
    cases.append(('handpairs at a tiny scale prints its table', tiny_run))
    return cases


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    hand_dir, concbench = sys.argv[1:]
    cases = [(f'hand-{name} at a tiny size: one line, its counts right',
              lambda n=name: check_good(hand_dir, n)) for name in GOOD]
    cases += bad_cases(hand_dir) + handpairs_cases(hand_dir, concbench)
    return report([(name, attempt(fn)) for name, fn in cases])


if __name__ == '__main__':
    sys.exit(main())
