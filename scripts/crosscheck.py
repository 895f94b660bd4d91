"""Cross-checks concbench's own clock against hyperfine's, from outside.

For each cell, hyperfine times the whole command (`concbench <cell> --repeat 1
--warmup 0 --no-floors -q`) and the same command run serially with every duration
and amount of work scaled to nothing (`-r serial --scale 1e-9`): the difference is
the cell's run as seen from outside, process start-up, the trial child and any
server start removed, while the model's own start-up (forks, threads) stays in,
as it does in the harness's wall time. That is compared with the median wall_s the
harness reports for the same cell, run the same way (one trial per invocation). The
three commands take turns, one run each, and the outside figure is the median of each
turn's difference, so start-up's run-to-run spread and any drift of the machine stay
out. They must agree within 5% (and 1 ms for the timer slack of a single run): a
larger gap is a bug in the harness, not a tolerance to widen.

    scripts/crosscheck [--concbench PATH] [--runs N]"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from cbresults import TREE, ResultsError, read_summary

CELLS = (
    ('sleep 100 ms x 10, threads', ['-w', 'sleep', '-p', 'sleep.ms=100', '-r', 'threads', '-n', '10']),
    ('sleep 100 ms x 10, procs', ['-w', 'sleep', '-p', 'sleep.ms=100', '-r', 'procs', '-n', '10']),
    ('countdown 300 M, serial', ['-w', 'countdown', '-p', 'countdown.n=300000000', '-r', 'serial', '-n', '1']),
    ('countdown 2 x 300 M, threads', ['-w', 'countdown', '-p', 'countdown.n=300000000', '-r', 'threads', '-n', '2']),
    ('http 100 ms x 10, threads', ['-w', 'http', '-p', 'http.delay_ms=100', '-r', 'threads', '-n', '10']),
)
TOLERANCE = 0.05
SLACK_S = 0.001


def hyperfine_times(cmd, runs, tmp):
    out = os.path.join(tmp, 'hf.json')
    subprocess.run(['hyperfine', '-N', '--style', 'none', '--warmup', '1', '--runs', str(runs),
                    '--export-json', out, ' '.join(cmd)], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)['results'][0]['times']


def harness_walls(concbench, args, runs, tmp):
    """The wall_s of `runs` one-trial invocations, run the way hyperfine runs them: one
    invocation of many trials would keep two cores busy back to back, which on this
    kind of VM slows them by about a tenth (the host's doing, not the clock's)."""
    out = os.path.join(tmp, 'run.csv')
    walls = []
    for _ in range(runs):
        subprocess.run([concbench, *args, '--repeat', '1', '--warmup', '0', '--no-floors',
                        '-q', '-o', out], check=True, stdout=subprocess.DEVNULL)
        row = read_summary(os.path.join(tmp, 'run.summary.csv'))[1][0]
        if not row['median_s']:
            raise ResultsError(f"{' '.join(args)}: no ok trial (outcomes {row['outcomes']})")
        walls.append(float(row['median_s']))
    return walls


def known_workloads(concbench):
    listing = subprocess.run([concbench, '--list'], check=True, capture_output=True, text=True)
    return {line.split()[0] for line in listing.stdout.splitlines() if line.startswith('  ')}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--concbench', default=os.path.join(TREE, 'build', 'bench', 'concbench'))
    ap.add_argument('--runs', type=int, default=15)
    a = ap.parse_args()
    if not shutil.which('hyperfine'):
        print('crosscheck: hyperfine is missing (apt-get install hyperfine)', file=sys.stderr)
        return 2
    if not os.access(a.concbench, os.X_OK):
        print(f'crosscheck: no concbench at {a.concbench} (build it first)', file=sys.stderr)
        return 2
    try:
        return crosscheck(a)
    except (ResultsError, OSError, subprocess.SubprocessError) as e:
        # What the concbench it ran wrote, or a run that failed: a failure at run time.
        print(f'crosscheck: {e}', file=sys.stderr)
        return 1


def crosscheck(a):
    have = known_workloads(a.concbench)
    bad = 0
    print(f'{"cell":32} {"harness":>10} {"hyperfine":>10} {"start-up":>10} {"diff":>8}')
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in CELLS:
            if args[1] not in have:
                print(f'{name:32} skipped: no workload {args[1]}')
                continue
            base = [a.concbench, *args, '--repeat', '1', '--warmup', '0', '--no-floors', '-q']
            empty_args = [x if args[i - 1] != '-r' else 'serial' for i, x in enumerate(args)]
            empty_cmd = [a.concbench, *empty_args, '--repeat', '1', '--warmup', '0',
                         '--no-floors', '-q', '--scale', '1e-9']
            # One run of each in turn, and the outside figure as the median of each
            # round's difference: start-up varies by milliseconds from run to run, and
            # pairing keeps that (and any drift of the machine) out of the comparison.
            diffs, empty, walls = [], [], []
            for _ in range(a.runs):
                w = statistics.median(hyperfine_times(base, 1, tmp))
                e = statistics.median(hyperfine_times(empty_cmd, 1, tmp))
                walls += harness_walls(a.concbench, args, 1, tmp)
                diffs.append(w - e)
                empty.append(e)
            empty = statistics.median(empty)
            inner = statistics.median(walls)
            outside = statistics.median(diffs)
            diff = (outside - inner) / inner
            ok = abs(outside - inner) <= TOLERANCE * inner + SLACK_S
            bad += not ok
            print(f'{name:32} {inner * 1e3:8.1f}ms {outside * 1e3:8.1f}ms {empty * 1e3:8.1f}ms '
                  f'{diff * 100:+7.1f}% {"ok" if ok else "DISAGREE"}')
    print('hyperfine column: whole command minus the same command run serially with no work')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
