"""scripts/compare and its statistics (meson test --suite unit): U and p against hand
computations, Holm's correction, 80 cells of one distribution that must not come out
changed, and compare on real runs: a run against itself, one cell's time doubled, too
few trials, two machines, the output formats, bad input, and end to end one cell doing
twice the work in runs taken in turn and merged. TAP on stdout.

usage: test_compare.py CONCBENCH"""

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import cbstats  # noqa: E402
from tap import attempt, report, run  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
COMPARE = [sys.executable, os.path.join(HERE, 'compare')]
MERGE = [sys.executable, os.path.join(HERE, 'merge')]


def close(x, y, eps=1e-9):
    return abs(x - y) <= eps


def u_and_p_by_hand():
    # n = m = 3: the 20 orderings give U = 0..9 as 1,1,2,3,3,3,3,2,1,1 times.
    cases = [([1, 2, 3], [4, 5, 6], 0, 0.1),
             ([1, 3, 5], [2, 4, 6], 3, 0.7),
             ([4, 5, 6], [1, 2, 3], 9, 0.1),
             ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0, 2 / 252)]
    for a, b, u, p in cases:
        gu, gp = cbstats.mann_whitney(a, b)
        if gu != u or not close(gp, p):
            return f'{a} vs {b}: U {gu}, p {gp}; want {u}, {p}'
    # ties: the normal approximation, a p that is a probability, 1 for equal samples
    _, p = cbstats.mann_whitney([1, 1, 2, 2], [1, 2, 2, 3])
    if not 0 < p <= 1:
        return f'tied samples: p {p}'
    if cbstats.mann_whitney([5, 5, 5], [5, 5, 5])[1] != 1.0:
        return 'equal samples: p is not 1'
    if not close(cbstats.min_p(5, 5), 2 / 252) or not close(cbstats.min_p(2, 2), 1 / 3):
        return f'min_p: {cbstats.min_p(5, 5)}, {cbstats.min_p(2, 2)}'
    return ''


def holm_by_hand():
    got = cbstats.holm([0.01, 0.04, 0.03])
    want = [0.03, 0.06, 0.06]
    if not all(close(g, w) for g, w in zip(got, want)):
        return f'holm: {got}, not {want}'
    if cbstats.holm([0.5, 0.9]) != [1.0, 1.0]:
        return f'holm caps at 1: {cbstats.holm([0.5, 0.9])}'
    return ''


def holm_keeps_80_alike_cells_same():
    """1000 comparisons of 80 cells, 10 trials a side, all from one distribution: Holm
    keeps the chance of any reported change at 5% (4.9% for 80 independent cells), so
    at most 7% of them may report one, three standard deviations of 1000 draws above;
    uncorrected, nearly all would."""
    rng = random.Random(7)
    flagged = raw = 0
    for _ in range(1000):
        ps = [cbstats.mann_whitney([rng.gauss(1, 0.1) for _ in range(10)],
                                   [rng.gauss(1, 0.1) for _ in range(10)])[1]
              for _ in range(80)]
        flagged += any(p < 0.05 for p in cbstats.holm(ps))
        raw += any(p < 0.05 for p in ps)
    if raw < 900:
        return f'uncorrected, only {raw} of 1000 comparisons reported a change'
    return '' if flagged <= 70 else f'{flagged} of 1000 comparisons reported a change'


def ratio_interval_holds_the_ratio():
    r, lo, hi = cbstats.ratio_interval([1.0, 1.1, 0.9, 1.0, 1.05], [2.0, 2.2, 1.8, 2.0, 2.1])
    return '' if close(r, 2.0) and lo <= 2.0 <= hi and lo > 1.5 else f'{r} [{lo}, {hi}]'


# --- compare on real runs ---------------------------------------------------------------

def concbench_run(concbench, folder, name, repeat):
    out = os.path.join(folder, name + '.csv')
    r = run([concbench, '-q', '--no-floors', '-w', 'countdown', '-p', 'countdown.n=200000',
             '-r', 'serial,threads', '-n', '2', '--repeat', str(repeat), '--warmup', '0',
             '-o', out], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'concbench exited {r.returncode}: {r.stderr}')
    return out


def copy_run(src, folder, name, wall_factor=1.0, runners=(), host=None, tight=False):
    """A copy of run src; the trials' walls of each of runners times wall_factor (tight:
    first made 1%, 2%, ... above their median, so that a change is clear of this host's
    noise and the test judges compare, not the machine); meta's host replaced."""
    base = os.path.join(folder, name)
    stem = src[:-len('.csv')]
    for suffix in ('.summary.csv', '.meta.csv'):
        shutil.copy(stem + suffix, base + suffix)
    with open(src, newline='') as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0].keys())
    for runner in runners:
        mine = [r for r in rows if r['runner'] == runner]
        if tight and mine:
            walls = sorted(float(r['wall_s']) for r in mine)
            mid = walls[len(walls) // 2]
            for i, r in enumerate(mine):
                r['wall_s'] = repr(mid * (1 + 0.01 * i))
        for r in mine:
            r['wall_s'] = repr(float(r['wall_s']) * wall_factor)
    with open(base + '.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)
    if host:
        with open(base + '.meta.csv', newline='') as f:
            meta = list(csv.reader(f))
        with open(base + '.meta.csv', 'w', newline='') as f:
            csv.writer(f).writerows([[k, host if k in ('host', 'host_id') else v]
                                     for k, v in meta])
    return base + '.csv'


def compare(*args, env=None):
    r = run(COMPARE + list(args), capture_output=True, text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def cells_of(out_json):
    return {c['runner']: c for c in json.loads(out_json)['cells']}


def compared(a, b, *args):
    """compare's JSON of a and b: (its cells by runner, the whole document); an exit
    status other than 0 fails the check that asked."""
    rc, out, err = compare(a, b, '--format', 'json', *args)
    if rc != 0:
        raise RuntimeError(f'compare exited {rc}: {err.strip()}')
    return cells_of(out), json.loads(out)


def itself_is_same(a):
    cells, _ = compared(a, a)
    bad = {k: c['verdict'] for k, c in cells.items() if c['verdict'] != 'same'}
    return f'against itself: {bad}' if bad else ''


def doubled_cell_is_slower(a, folder):
    a = copy_run(a, folder, 'tight', runners=('threads',), tight=True)
    b = copy_run(a, folder, 'doubled', wall_factor=2.0, runners=('threads',))
    c, _ = compared(a, b)
    t, s = c['threads'], c['serial']
    if t['verdict'] != 'slower' or not t['lo'] <= 2.0 <= t['hi'] or not close(t['ratio'], 2, 1e-6):
        return f"threads: {t['verdict']}, {t['ratio']} [{t['lo']}, {t['hi']}]"
    if s['verdict'] != 'same':
        return f"serial: {s['verdict']}"
    rc, _, _ = compare(a, b, '--fail-on', 'slower')
    if rc != 1:
        return f'--fail-on slower: exit {rc}, not 1'
    rc, _, _ = compare(b, a, '--fail-on', 'slower')
    return '' if rc == 0 else f'--fail-on slower, B faster: exit {rc}, not 0'


def too_few_trials(concbench, folder):
    a = concbench_run(concbench, folder, 'two', 2)
    b = copy_run(a, folder, 'two-doubled', wall_factor=3.0, runners=('threads',))
    cells, _ = compared(a, b)
    bad = {k: c['verdict'] for k, c in cells.items() if c['verdict'] != 'too few trials'}
    return f'2 trials a side: {bad}' if bad else ''


def across_machines_compares_ratios(a, folder):
    a = copy_run(a, folder, 'tight-here', runners=('threads', 'serial'), tight=True)
    b = copy_run(a, folder, 'elsewhere', wall_factor=2.0, runners=('threads',), host='elsewhere')
    c, doc = compared(a, b)
    if doc['context']['same_host'] or doc['context']['absolute']:
        return f"context: {doc['context']}"
    if c['threads']['metric'] != 'speedup' or c['threads']['verdict'] != 'slower':
        return f"threads: {c['threads']['metric']}, {c['threads']['verdict']}"
    if c['serial']['verdict'] != 'not comparable across machines':
        return f"serial (no floor, no baseline): {c['serial']['verdict']}"
    rc, out, _ = compare(a, b)
    if 'different machines' not in out:
        return f'the table does not say the machines differ: {out[:300]}'
    c, _ = compared(a, b, '--absolute')
    return '' if c['threads']['metric'] == 'wall_s' else '--absolute: not seconds'


def context_differences_named(a, folder):
    """A run whose commit and libraries differ: the header says so, with both values."""
    b = copy_run(a, folder, 'newlibs')
    meta = b[:-len('.csv')] + '.meta.csv'
    with open(meta, newline='') as f:
        rows = [[k, {'commit': 'abc123', 'libs': 'libcurl 9.9'}.get(k, v)]
                for k, v in csv.reader(f)]
    with open(meta, 'w', newline='') as f:
        csv.writer(f).writerows(rows)
    rc, out, err = compare(a, b)
    want = ('commit differs: A ', ', B abc123', 'libs differs: A ', ', B libcurl 9.9')
    missing = [w for w in want if w not in out]
    if rc != 0 or missing:
        return f'exit {rc}, missing {missing}: {out[:300]}{err}'
    rc, out, _ = compare(a, a)
    return 'differs' in out and f'itself: {out[:300]}' or ''


def formats(a, folder):
    a = copy_run(a, folder, 'tight-fmt', runners=('threads',), tight=True)
    b = copy_run(a, folder, 'fmt', wall_factor=2.0, runners=('threads',))
    rc, out, _ = compare(a, b, '--format', 'csv')
    rows = list(csv.DictReader(out.splitlines()))
    if rc or len(rows) != 2 or {r['verdict'] for r in rows} != {'same', 'slower'}:
        return f'csv: exit {rc}, {rows}'
    rc, out, _ = compare(a, b, '--format', 'md')
    if rc or out.count('\n| ') != 3 or '**slower**' not in out:
        return f'md: exit {rc}: {out}'
    env = dict(os.environ, NO_COLOR='1')
    rc, out, _ = compare(a, b, env=env)
    if rc or '\033[' in out or 'slower' not in out:
        return f'table, piped: exit {rc}, escapes {"yes" if chr(27) in out else "no"}'
    return ''


def bad_input(a, folder):
    junk = os.path.join(folder, 'junk.csv')
    with open(junk, 'w') as f:
        f.write('not,a,run\n1,2,3\n')
    for args, why in (([a, junk], 'a file that is not a run'),
                      ([a, os.path.join(folder, 'missing.csv')], 'a run that is not there'),
                      ([a, a, '--alpha', '2'], 'alpha out of range')):
        rc, out, err = compare(*args)
        if rc != 2 or out or len(err.strip().splitlines()) != 1:
            return f'{why}: exit {rc}, stdout {out!r}, stderr {err!r}'
    other = concbench_run_other(folder)
    rc, out, err = compare(a, other)
    if rc != 2 or 'no cell in common' not in err:
        return f'no common cell: exit {rc}, {err!r}'
    return ''


CONCBENCH = None


def e2e_run(folder, name, scale):
    """One trial of each of a sleep of 5 ms, a countdown of 4M and a queue of three
    orders (waits of 1 and 2 ms each), the first two doing scale times that work."""
    out = os.path.join(folder, name + '.csv')
    r = run([CONCBENCH, '-q', '--no-floors', '-w', 'sleep,countdown,queue',
             '-p', f'sleep.ms={5 * scale}', '-p', f'countdown.n={4_000_000 * scale}',
             '-p', 'queue.think_ms=1', '-p', 'queue.cook_ms=2', '-r', 'serial', '-n', '1', '--repeat', '1',
             '--warmup', '1', '-o', out], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'concbench exited {r.returncode}: {r.stderr}')
    return out


def relabel(path, runner, params, as_params):
    """The cells of runner in run path (trials and summary) labelled as_params: the same
    cell doing other work, as a change to a library or to the harness would make it."""
    stem = path[:-len('.csv')]
    for f in (path, stem + '.summary.csv'):
        with open(f, newline='') as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            if r['runner'] == runner and r['params'] == params:
                r['params'] = as_params
        with open(f, 'w', newline='') as fh:
            w = csv.DictWriter(fh, list(rows[0]))
            w.writeheader()
            w.writerows(rows)


def merged(folder, name, runs):
    out = os.path.join(folder, name)
    r = run(MERGE + runs + ['-o', out], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'merge exited {r.returncode}: {r.stderr}')
    return os.path.join(out, 'merged.csv')


ROUNDS = 15


def doubled(c, name, ratio_lo, ratio_hi):
    """Why cell c, doing twice the work in B, is not slower with its ratio in
    ratio_lo..ratio_hi and an interval reaching 2; '' when it is."""
    if (c['n_a'], c['n_b']) != (ROUNDS, ROUNDS):
        return f"{name}: {c['n_a']} and {c['n_b']} trials pooled, not {ROUNDS} a side"
    if c['verdict'] != 'slower' or not ratio_lo <= c['ratio'] <= ratio_hi or \
            not c['lo'] <= c['ratio'] <= c['hi'] or c['hi'] < 1.8 or c['lo'] > 2.2:
        return f"{name}: {c['verdict']}, {c['ratio']:.3f} [{c['lo']:.3f}, {c['hi']:.3f}]"
    return ''


def work_doubled_end_to_end(folder):
    """Real runs, A and B in turn ROUNDS times (one trial each, so that a drift of the
    machine meets both alike), merged per side: in B the sleep waits and the countdown
    counts twice as far. Those two cells slower, each ratio inside its interval and the
    interval reaching 2, and the queue the same. The sleep's ratio is held to 1.6..2.4 (a
    timer's slack); the countdown's only to 1.2..3.5: on this kind of host a process now
    and then runs at half speed for many milliseconds (a countdown of 40M took 11 ms or
    20 ms, in turn, in one process), so the median of 15 CPU trials a side can land in
    either speed. For the same reason the cell left alone waits rather than computes: a
    power cell of the same work in 15 processes a side came out 16% slower or faster at
    p 0.005 in 2 of 35 such tests, the host flipping speed for seconds at a time, not at
    random from trial to trial as the U test assumes. A ratio the wrong way up (0.5), a
    change not seen (1.0), or a change in the wrong cell still fails."""
    side = {'a': [], 'b': []}
    coin = random.Random(17)
    for i in range(ROUNDS):
        # which side goes first is drawn each round: a host whose speed flips every
        # process or two would otherwise meet one side in one speed more often
        for which in coin.sample(('a', 'b'), 2):
            out = e2e_run(folder, f'e2e-{which}{i}', 1 if which == 'a' else 2)
            if which == 'b':
                relabel(out, 'serial', 'ms=10;steps=1', 'ms=5;steps=1')
                relabel(out, 'serial', 'n=8000000', 'n=4000000')
            side[which].append(out)
    a, b = merged(folder, 'e2e-A', side['a']), merged(folder, 'e2e-B', side['b'])
    _, doc = compared(a, b)
    c = {x['workload']: x for x in doc['cells']}
    if set(c) != {'sleep', 'countdown', 'queue'} or doc['only_in_a'] or doc['only_in_b']:
        return f"cells: {sorted(c)}, only in A {doc['only_in_a']}, in B {doc['only_in_b']}"
    why = doubled(c['sleep'], 'sleep', 1.6, 2.4) or doubled(c['countdown'], 'countdown', 1.2, 3.5)
    s = c['queue']
    return why or ('' if s['verdict'] == 'same' else
                   f"queue: {s['verdict']}, {s['ratio']:.3f} [{s['lo']:.3f}, {s['hi']:.3f}]"
                   f" p {s['p_holm']}")


def bench_keeps_runs(folder):
    """scripts/bench twice (a stand-in concbench running one tiny cell for the presets):
    two run directories named by their run ids, each whole, results/latest at the newer,
    and scripts/compare of the two reading them."""
    src = os.path.join(folder, 'tree')
    os.makedirs(src)
    os.symlink(HERE, os.path.join(src, 'scripts'))
    fake = os.path.join(folder, 'fake-concbench')
    with open(fake, 'w') as f:
        f.write('#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\n'
                f'exec {CONCBENCH} -q --no-floors -w countdown -p countdown.n=1000 -r serial '
                '-n 1 --repeat 3 --warmup 0 -o "$2"\n')
    os.chmod(fake, 0o755)
    ids = []
    for _ in range(2):
        r = run([os.path.join(HERE, 'bench'), fake, src], capture_output=True, text=True)
        if r.returncode != 0:
            return f'bench: exit {r.returncode}: {r.stderr}'
        ids.append(os.readlink(os.path.join(src, 'results', 'latest')))
    runs = sorted(os.listdir(os.path.join(src, 'results', 'runs')))
    if len(runs) != 2 or ids[0] == ids[1] or ids[1] != 'runs/' + runs[-1] and \
            ids[1] != 'runs/' + runs[0]:
        return f'runs {runs}, latest {ids}'
    for d in runs:
        have = sorted(os.listdir(os.path.join(src, 'results', 'runs', d)))
        if have[:5] != ['bench.csv', 'bench.json', 'bench.md', 'bench.meta.csv',
                        'bench.summary.csv']:
            return f'{d}: {have}'
    a, b = (os.path.join(src, 'results', i, 'bench.csv') for i in ids)
    rc, out, err = compare(a, b)
    return '' if rc == 0 and 'serial' in out else f'compare: exit {rc}: {err}'


def concbench_run_other(folder):
    out = os.path.join(folder, 'other.csv')
    run([CONCBENCH, '-q', '--no-floors', '-w', 'sleep', '-p', 'sleep.ms=1', '-r', 'serial',
         '-n', '1', '--repeat', '1', '--warmup', '0', '-o', out], capture_output=True)
    return out


def main():
    global CONCBENCH
    CONCBENCH = sys.argv[1]
    results = [('U and p of small samples, as computed by hand', attempt(u_and_p_by_hand)),
               ("Holm's adjusted p, as computed by hand", attempt(holm_by_hand)),
               ('80 alike cells: a change reported in at most 7% of 1000 comparisons',
                attempt(holm_keeps_80_alike_cells_same)),
               ('the bootstrap interval of a doubled median holds 2',
                attempt(ratio_interval_holds_the_ratio))]
    with tempfile.TemporaryDirectory(prefix='cb-compare-') as folder:
        try:
            a = concbench_run(CONCBENCH, folder, 'a', 6)
        except Exception as e:
            a = None
            results.append(('a run to compare', str(e)))
        if a:
            results += [('a run against itself: every cell same', attempt(itself_is_same, a)),
                        ('one cell twice as slow: that cell slower, ratio 2 in its interval, '
                         'the other same; --fail-on slower exits 1',
                         attempt(doubled_cell_is_slower, a, folder)),
                        ('2 trials a side: too few trials, never a verdict',
                         attempt(too_few_trials, CONCBENCH, folder)),
                        ('two machines: speed-ups, not seconds, and said so',
                         attempt(across_machines_compares_ratios, a, folder)),
                        ('what differs besides the machine (commit, libraries) is named',
                         attempt(context_differences_named, a, folder)),
                        ('csv, md, and the table without colour when NO_COLOR',
                         attempt(formats, a, folder)),
                        ('bad input: exit 2, one line, nothing on stdout',
                         attempt(bad_input, a, folder)),
                        ('scripts/bench keeps every run in a directory of its own, '
                         'results/latest at the newest', attempt(bench_keeps_runs, folder)),
                        ('real runs, a sleep and a countdown doing twice the work: those '
                         'cells slower, ratio near 2, the queue same',
                         attempt(work_doubled_end_to_end, folder))]
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
