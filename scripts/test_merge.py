"""scripts/merge (meson test --suite unit): runs of one machine merged and read back by
table and compare, runs of two machines shown per machine and refused where a figure
would mix them, a merged set merged again, and bad input: a run given twice, a folder
that is no run, a file in the output folder that is not ours. TAP on stdout.

usage: test_merge.py CONCBENCH"""

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from tap import attempt, report, run  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
TOOL = {name: [sys.executable, os.path.join(HERE, name)]
        for name in ('merge', 'table', 'compare', 'plot')}
CONCBENCH = None


def tool(name, *args):
    r = run(TOOL[name] + [str(a) for a in args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def concbench_run(folder, name):
    out = os.path.join(folder, name, 'run.csv')
    os.makedirs(os.path.dirname(out))
    r = run([CONCBENCH, '-q', '--no-floors', '-w', 'countdown', '-p', 'countdown.n=100000',
             '-r', 'serial,threads', '-n', '2', '--repeat', '5', '--warmup', '0', '-o', out],
            capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'concbench exited {r.returncode}: {r.stderr}')
    return out


def rows(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def meta(path):
    return {r['key']: r['value'] for r in rows(path)}


def stem(path):
    return path[:-len('.csv')]


def as_host(src, folder, name, host):
    """A copy of run src as if made on machine host: its run_id and host_id replaced in
    the trials, the summary and the meta."""
    m = meta(stem(src) + '.meta.csv')
    old_run, old_host = m['run_id'], m['host_id']
    new_run = old_run.replace(old_run.split('-')[1], host, 1)
    out = os.path.join(folder, name, 'run.csv')
    os.makedirs(os.path.dirname(out))
    for suffix in ('.csv', '.summary.csv', '.meta.csv'):
        with open(stem(src) + suffix) as f:
            text = f.read()
        with open(stem(out) + suffix, 'w') as f:
            f.write(text.replace(old_run, new_run).replace(old_host, f'{host}-0000beef'))
    return out


def merged(folder, name, *runs, extra=()):
    out = os.path.join(folder, name)
    rc, _, err = tool('merge', *runs, '-o', out, *extra)
    if rc != 0:
        raise RuntimeError(f'merge exited {rc}: {err.strip()}')
    return os.path.join(out, 'merged.csv')


def one_host_merged(a, b, folder):
    """Two runs of one machine: every trial and cell of both, each keeping its run id;
    the meta names both runs and keeps each one's keys; table shows a run column; compare
    of the set against itself finds every cell same, pooling both runs' trials."""
    m = merged(folder, 'one', os.path.dirname(a), b)
    want = len(rows(a)) + len(rows(b))
    if len(rows(m)) != want:
        return f'{len(rows(m))} trials merged, not {want}'
    ids = {meta(stem(p) + '.meta.csv')['run_id'] for p in (a, b)}
    if {r['run_id'] for r in rows(stem(m) + '.summary.csv')} != ids:
        return 'the summary rows do not keep their run ids'
    mm = meta(stem(m) + '.meta.csv')
    if set(mm['merged_from'].split()) != ids or len(mm['hosts'].split()) != 1:
        return f"meta: merged_from {mm.get('merged_from')!r}, hosts {mm.get('hosts')!r}"
    if any(f'{i}.cores' not in mm for i in ids):
        return "meta: a run's own keys are missing"
    rc, out, err = tool('table', m)
    head = out.splitlines()[0] if out else ''
    if rc or not head.startswith('| run |') or '2 runs merged' not in out:
        return f'table: exit {rc}, {head!r} {err.strip()}'
    rc, out, err = tool('compare', m, m, '--format', 'json')
    if rc:
        return f'compare of the set: exit {rc}, {err.strip()}'
    doc = json.loads(out)
    if any(c['verdict'] != 'same' for c in doc['cells']):
        return f"compare against itself: {[c['verdict'] for c in doc['cells']]}"
    pooled = {c['n_a'] for c in doc['cells']}
    return '' if pooled == {10} else f'compare pooled {pooled} trials a cell, not 10 (5 a run)'


def two_hosts_merged(a, b, folder):
    """Runs of two machines: table shows a host column, plot draws one figure per
    machine where matplotlib is there, compare refuses the set in one line, and
    --one-host refuses to merge it."""
    other = as_host(b, folder, 'elsewhere', 'elsewhere')
    m = merged(folder, 'two', a, other)
    rc, out, err = tool('table', m)
    if rc or not out.startswith('| host |') or '2 machines' not in out:
        return f'table: exit {rc}, {out[:200]!r} {err.strip()}'
    rc, out, err = tool('compare', m, a)
    if rc != 2 or out or len(err.strip().splitlines()) != 1 or 'machines' not in err:
        return f'compare of a two-machine set: exit {rc}, {out!r}, {err!r}'
    out_dir = os.path.join(folder, 'two', 'plots')
    os.makedirs(out_dir)
    rc, out, err = tool('plot', m, '--out', out_dir)
    if rc:
        return f'plot: exit {rc}, {err.strip()}'
    if importlib.util.find_spec('matplotlib'):
        made = os.listdir(out_dir)
        if not any(f.endswith('-machines.png') for f in made):
            return f'plot: no per-machine figure among {sorted(made)}'
    rc, out, err = tool('merge', a, other, '-o', os.path.join(folder, 'refused'), '--one-host')
    if rc != 2 or len(err.strip().splitlines()) != 1 or os.path.exists(
            os.path.join(folder, 'refused', 'merged.csv')):
        return f'--one-host with two machines: exit {rc}, {err!r}'
    return ''


def merged_again(a, b, folder):
    """A merged set merged with a third run: the runs flattened, three in merged_from,
    no run counted twice; merging a set with a run it holds is refused."""
    first = merged(folder, 'first', a, b)
    c = as_host(a, folder, 'third', 'third')
    again = merged(folder, 'again', first, c)
    mm = meta(stem(again) + '.meta.csv')
    if len(mm['merged_from'].split()) != 3:
        return f"merged_from {mm['merged_from']!r}: not the three runs"
    want = len(rows(a)) * 2 + len(rows(b))
    if len(rows(again)) != want:
        return f'{len(rows(again))} trials, not {want}'
    rc, _, err = tool('merge', first, a, '-o', os.path.join(folder, 'twice'))
    if rc != 2 or 'given twice' not in err:
        return f'a set and a run it holds: exit {rc}, {err!r}'
    return ''


def bad_input(a, folder):
    """Each refused with exit 2, one line, and nothing written; a file in DIR that is not
    concbench's stays as it was."""
    empty = os.path.join(folder, 'empty')
    os.makedirs(empty)
    theirs = os.path.join(folder, 'theirs')
    os.makedirs(theirs)
    with open(os.path.join(theirs, 'merged.csv'), 'w') as f:
        f.write('my,own\n1,2\n')
    cases = (([a, a], os.path.join(folder, 'x1'), 'a run given twice'),
             ([a, empty], os.path.join(folder, 'x2'), 'a folder with no run'),
             ([a, os.path.join(folder, 'nothere')], os.path.join(folder, 'x3'),
              'a run that is not there'),
             ([a], theirs, 'a file of someone else in the output folder'))
    for runs, out, why in cases:
        rc, stdout, err = tool('merge', *runs, '-o', out)
        if rc != 2 or stdout or len(err.strip().splitlines()) != 1:
            return f'{why}: exit {rc}, stdout {stdout!r}, stderr {err!r}'
        if out != theirs and os.path.exists(os.path.join(out, 'merged.csv')):
            return f'{why}: merged.csv written'
    with open(os.path.join(theirs, 'merged.csv')) as f:
        if f.read() != 'my,own\n1,2\n':
            return 'a file not ours was replaced'
    return ''


def run_by_folder_and_id(a, folder):
    """table and compare take a run's folder, and a run id of results/runs/ (a copy of
    the run kept there for the test, removed after)."""
    rc, out, err = tool('table', os.path.dirname(a))
    if rc or not out.startswith('| preset |'):
        return f'table of a run folder: exit {rc}, {err.strip()}'
    rid = meta(stem(a) + '.meta.csv')['run_id']
    kept = os.path.join(os.path.dirname(HERE), 'results', 'runs', rid)
    if os.path.exists(kept):
        return f'{kept} is there already; not touched'
    shutil.copytree(os.path.dirname(a), kept)
    try:
        rc, out, err = tool('compare', rid, a, '--format', 'json')
    finally:
        shutil.rmtree(kept)
    if rc:
        return f'compare by run id: exit {rc}, {err.strip()}'
    return '' if all(c['verdict'] == 'same' for c in json.loads(out)['cells']) else \
        'compare of a run (by id) against itself: not same'


def main():
    global CONCBENCH
    CONCBENCH = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory(prefix='cb-merge-') as folder:
        try:
            a, b = concbench_run(folder, 'a'), concbench_run(folder, 'b')
        except Exception as e:
            return report([('two runs to merge', f'{type(e).__name__}: {e}')])
        results += [('two runs of one machine: every row, its run id kept; table and '
                     'compare read the set', attempt(one_host_merged, a, b, folder)),
                    ('two machines: table per host, plot per machine, compare and '
                     '--one-host refuse', attempt(two_hosts_merged, a, b, folder)),
                    ('a merged set merged again: flattened, no run twice',
                     attempt(merged_again, a, b, folder)),
                    ('bad input: exit 2, one line, nothing written, no file not ours '
                     'replaced', attempt(bad_input, a, folder)),
                    ('a run named by its folder or its run id',
                     attempt(run_by_folder_and_id, a, folder))]
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
