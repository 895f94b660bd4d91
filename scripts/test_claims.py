"""The claims' judges on small runs written as real CSV files (meson test --suite unit):
for each kind a run that passes, one that fails and, where the kind has an interval, one
that straddles its bound and skips; claims whose preset or runner did not run fail; a
claim file naming a runner that does not exist is refused. TAP on stdout.

usage: test_claims.py [CONCBENCH]   (with it, also: scripts know every runner it has)"""

import csv
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import cbresults as cr  # noqa: E402
import cbrun  # noqa: E402
import claims as cl  # noqa: E402
from tap import attempt, report  # noqa: E402

TRIAL_COLS = ['workload', 'params', 'runner', 'runner_params', 'tasks', 'workers', 'preset',
              'trial', 'wall_s', 'warmup', 'outcome', 'fail_blocked', 'cores_used',
              'maxrss_kib', 'lost_updates', 'backoffs', 'ns_per_switch', 'note']
SUMMARY_COLS = ['workload', 'params', 'runner', 'runner_params', 'tasks', 'workers', 'preset',
                'trials', 'trials_ok', 'median_s', 'min_s', 'max_s', 'speedup', 'ideal_s',
                'overhead_per_task_s', 'floor_s', 'rss_per_task_b', 'baseline', 'outcomes',
                'flags', 'lost_updates', 'backoffs', 'ns_per_switch']


def cell(runner, walls, preset='p', tasks=2, workers=0, baseline='serial', ideal=None,
         outcome='ok', **per_trial):
    """One cell: its trials' wall times and, per trial, any other column as a list."""
    return dict(runner=runner, walls=walls, preset=preset, tasks=tasks, workers=workers,
                baseline=baseline if runner != 'serial' else 'serial', ideal=ideal,
                outcome=outcome, per_trial=per_trial)


def write_run(folder, name, cells, capacity=2.0):
    base = os.path.join(folder, name)
    with open(base + '.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, TRIAL_COLS, restval='')
        w.writeheader()
        for c in cells:
            for i, wall in enumerate(c['walls']):
                row = dict(workload='countdown', params='n=1', runner=c['runner'],
                           tasks=c['tasks'], workers=c['workers'], preset=c['preset'],
                           trial=i + 1, wall_s=wall, warmup=0, outcome=c['outcome'],
                           fail_blocked=0)
                for k, vs in c['per_trial'].items():
                    row[k] = vs[i]
                w.writerow(row)
    with open(base + '.summary.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, SUMMARY_COLS, restval='')
        w.writeheader()
        for c in cells:
            walls = sorted(c['walls'])
            ok = c['outcome'] == 'ok'
            row = dict(workload='countdown', params='n=1', runner=c['runner'],
                       tasks=c['tasks'], workers=c['workers'], preset=c['preset'],
                       trials=len(walls), trials_ok=len(walls) if ok else 0,
                       median_s=cl.median(walls) if ok else '', min_s=walls[0] if ok else '',
                       max_s=walls[-1] if ok else '', ideal_s=c['ideal'] or '',
                       baseline=c['baseline'], outcomes=f"{c['outcome']}:{len(walls)}")
            for k, vs in c['per_trial'].items():
                if k in SUMMARY_COLS:
                    row[k] = cl.median(vs)
            w.writerow(row)
    with open(base + '.meta.csv', 'w', newline='') as f:
        f.write('key,value\ndate,x\n')
        f.write(f'version,{cr.tree_version()}\ncpu,x\ncores,2\nkernel,x\n')
        f.write(f'parallel_cores,{capacity}\nbase_rss_kib,1000\n')
    return base + '.csv'


def claim(kind, bound, runners=('threads',), metrics=(), than=None, presets=('p',),
          workers=None, tasks=None, min_serial_s=None):
    return cl.Claim(presets, runners, kind, bound, workers, than, metrics, min_serial_s, 'claim',
                    '', 0, tasks)


def statuses(folder, name, cells, c, capacity=2.0):
    run = cbrun.Run(*cr.load_run(write_run(folder, name, cells, capacity)))
    return [v.status for vs in cl.verdicts(run, [c]).values() for v in vs]


SERIAL10 = [2.0] * 10


def cases():
    """(name, cells, claim, capacity, want) for every judge."""
    spread = [1.2, 1.25, 1.28, 1.3, 1.31, 1.32, 1.33, 1.35, 1.4, 1.45]
    return [
        # ideal: wall over ideal, bound 1.3 (+ 2 ms over a 1 s ideal)
        ('ideal passes', [cell('threads', [1.05] * 3, ideal=1.0)], claim('ideal', 1.3), 2, ['PASS']),
        ('ideal fails', [cell('threads', [2.0] * 3, ideal=1.0)], claim('ideal', 1.3), 2, ['FAIL']),
        ('ideal straddles: skip', [cell('threads', [1.2, 1.31, 1.4], ideal=1.0)],
         claim('ideal', 1.3), 2, ['SKIP']),
        # a start-up guard: the ideal judged must be long enough, however long serial is
        ('ideal under min_serial_s: skip, though serial is long',
         [cell('serial', [1.0] * 3), cell('procs', [0.09] * 3, ideal=0.06)],
         claim('ideal', 1.3, ('procs',), min_serial_s=0.1), 2, ['SKIP']),
        ('ideal over min_serial_s: judged',
         [cell('serial', [10.0] * 3), cell('procs', [0.9] * 3, ideal=0.6)],
         claim('ideal', 1.3, ('procs',), min_serial_s=0.1), 2, ['FAIL']),
        ('ideal without ok trials fails', [cell('threads', [1.0] * 3, ideal=1.0, outcome='timeout')],
         claim('ideal', 1.3), 2, ['FAIL']),
        # cores used, per trial
        ('cores_le passes', [cell('evloop', [1.0] * 10, cores_used=[1.0] * 10)],
         claim('cores_le', 1.15, ('evloop',)), 2, ['PASS']),
        ('cores_le fails', [cell('evloop', [1.0] * 10, cores_used=[1.9] * 10)],
         claim('cores_le', 1.15, ('evloop',)), 2, ['FAIL']),
        ('cores_le straddles: skip', [cell('evloop', [1.0] * 10, cores_used=[1.0, 1.05, 1.1, 1.12, 1.14, 1.16, 1.18, 1.2, 1.3, 1.4])],
         claim('cores_le', 1.15, ('evloop',)), 2, ['SKIP']),
        ('cores_ge passes', [cell('threads', [1.0] * 10, cores_used=[1.9] * 10)],
         claim('cores_ge', 0.8), 2, ['PASS']),
        ('cores_ge fails', [cell('threads', [1.0] * 10, cores_used=[1.0] * 10)],
         claim('cores_ge', 0.8), 2, ['FAIL']),
        ('cores_ge scales to the capacity the host gave', [cell('threads', [1.0] * 10, cores_used=[1.4] * 10)],
         claim('cores_ge', 0.8), 1.6, ['PASS']),
        ('cores_ge on a host giving one core: skip', [cell('threads', [1.0] * 10, cores_used=[1.0] * 10)],
         claim('cores_ge', 0.8), 1.1, ['SKIP']),
        ('cores_ge straddles: skip', [cell('threads', [1.0] * 10, cores_used=[1.4, 1.5, 1.55, 1.58, 1.59, 1.61, 1.62, 1.7, 1.8, 1.9])],
         claim('cores_ge', 0.8), 2, ['SKIP']),
        # speed-up, on pairs of trials of one round
        ('speedup_ge passes', [cell('serial', SERIAL10), cell('threads', [1.0] * 10)],
         claim('speedup_ge', 0.8), 2, ['PASS']),
        ('speedup_ge fails', [cell('serial', SERIAL10), cell('threads', [1.9] * 10)],
         claim('speedup_ge', 0.8), 2, ['FAIL']),
        ('speedup_ge straddles: skip', [cell('serial', SERIAL10), cell('threads', [2 / x for x in spread * 1])],
         claim('speedup_ge', 0.65), 2, ['SKIP']),
        ('speedup_ge with 5 pairs: skip', [cell('serial', [2.0] * 5), cell('threads', [1.0] * 5)],
         claim('speedup_ge', 0.8), 2, ['SKIP']),
        ('speedup_ge on a host giving one core: skip', [cell('serial', SERIAL10), cell('threads', [1.0] * 10)],
         claim('speedup_ge', 0.8), 1.1, ['SKIP']),
        ('speedup_ge without its serial run fails', [cell('threads', [1.0] * 10)],
         claim('speedup_ge', 0.8), 2, ['FAIL']),
        ('speedup_ge of a family without a serial runner fails', [cell('serial', SERIAL10), cell('go', [1.0] * 10, baseline='')],
         claim('speedup_ge', 0.8, ('go',)), 2, ['FAIL']),
        ('speedup_le passes', [cell('serial', SERIAL10), cell('threads', [2.0] * 10)],
         claim('speedup_le', 1.1), 2, ['PASS']),
        ('speedup_le fails', [cell('serial', SERIAL10), cell('threads', [1.0] * 10)],
         claim('speedup_le', 1.1), 2, ['FAIL']),
        ('speedup_le straddles: skip', [cell('serial', SERIAL10), cell('threads', [2 / x for x in spread])],
         claim('speedup_le', 1.3), 2, ['SKIP']),
        # metrics
        ('metric_gt passes', [cell('threads', [1.0] * 3, lost_updates=[2, 2, 3])],
         claim('metric_gt', 0, metrics=('lost_updates',)), 2, ['PASS']),
        ('metric_gt fails', [cell('threads', [1.0] * 3, lost_updates=[0, 0, 0])],
         claim('metric_gt', 0, metrics=('lost_updates',)), 2, ['FAIL']),
        ('metric_gt straddles: skip', [cell('threads', [1.0] * 3, lost_updates=[0, 1, 2])],
         claim('metric_gt', 0, metrics=('lost_updates',)), 2, ['SKIP']),
        ('metric_eq passes', [cell('threads', [1.0] * 3, lost_updates=[0, 0, 0])],
         claim('metric_eq', 0, metrics=('lost_updates',)), 2, ['PASS']),
        ('metric_eq fails on one trial', [cell('threads', [1.0] * 3, lost_updates=[0, 1, 0])],
         claim('metric_eq', 0, metrics=('lost_updates',)), 2, ['FAIL']),
        ('deadlocked passes', [cell('threads', [5.0] * 2, outcome='deadlocked')],
         claim('deadlocked', None), 2, ['PASS']),
        ('deadlocked fails', [cell('threads', [1.0] * 2)], claim('deadlocked', None), 2, ['FAIL']),
        ('backs_off passes', [cell('threads', [1.0] * 3, backoffs=[1, 1, 2])],
         claim('backs_off', 1, metrics=('backoffs',)), 2, ['PASS']),
        ('backs_off fails', [cell('threads', [1.0] * 3, backoffs=[1, 0, 1])],
         claim('backs_off', 1, metrics=('backoffs',)), 2, ['FAIL']),
        # below: per round, the metric over the other runner's
        ('below passes', [cell('threads', [1.0] * 3, ns_per_switch=[9000] * 3),
                          cell('evloop', [1.0] * 3, ns_per_switch=[100] * 3)],
         claim('below', 0.1, ('evloop',), ('ns_per_switch',), 'threads'), 2, ['PASS']),
        ('below fails', [cell('threads', [1.0] * 3, ns_per_switch=[9000] * 3),
                         cell('evloop', [1.0] * 3, ns_per_switch=[5000] * 3)],
         claim('below', 0.1, ('evloop',), ('ns_per_switch',), 'threads'), 2, ['FAIL']),
        ('below straddles: skip', [cell('threads', [1.0] * 3, ns_per_switch=[9000] * 3),
                                   cell('evloop', [1.0] * 3, ns_per_switch=[500, 900, 1200])],
         claim('below', 0.1, ('evloop',), ('ns_per_switch',), 'threads'), 2, ['SKIP']),
        ('below memory from peak RSS', [cell('threads', [1.0] * 3, tasks=10, maxrss_kib=[1080] * 3),
                                        cell('evloop', [1.0] * 3, tasks=10, maxrss_kib=[1010] * 3)],
         claim('below', 0.5, ('evloop',), ('rss_per_task_b',), 'threads'), 2, ['PASS']),
        # what did not run
        ('a claim whose preset did not run fails', [cell('threads', [1.0] * 3, ideal=1.0)],
         claim('ideal', 1.3, presets=('other',)), 2, ['FAIL']),
        ('a claim whose runner did not run fails', [cell('threads', [1.0] * 3, ideal=1.0)],
         claim('ideal', 1.3, ('evloop',)), 2, ['FAIL']),
        ('a claim for N=9 with no N=9 cell fails', [cell('threads', [1.0] * 3, ideal=1.0)],
         claim('ideal', 1.3, tasks=9), 2, ['FAIL']),
        ('a claim for W=5 with no W=5 cell fails', [cell('threads', [1.0] * 3, ideal=1.0)],
         claim('ideal', 1.3, workers=5), 2, ['FAIL']),
    ]


def test_interval():
    m, lo, hi, cov = cl.median_interval(list(range(1, 11)))
    assert (m, lo, hi) == (5.5, 2, 9) and 0.97 < cov < 0.98, (m, lo, hi, cov)
    m, lo, hi, cov = cl.median_interval([3, 1, 2, 5, 4])
    assert (m, lo, hi, cov) == (3, 1, 5, 1 - 2 / 32), (m, lo, hi, cov)


def test_bad_claim_file(folder):
    path = os.path.join(folder, 'claims.csv')
    with open(path, 'w') as f:
        f.write(','.join(cl.CLAIM_COLUMNS) + '\n')
        f.write('p,threads grean,ideal,1.3,,,,,,text,\n')
    try:
        cl.load_claims(path, {'p': ''}, cr.RUNNERS)
    except cr.ResultsError as e:
        assert 'unknown runner "grean"' in str(e) and 'claims.csv:2' in str(e), str(e)
        return
    raise AssertionError('a claim naming runner grean was taken')


def test_project_claims_load():
    got = cl.load_claims(cl.default_path(), cr.read_presets(), cr.RUNNERS)
    assert len(got) > 10, len(got)


def test_runners_known(concbench):
    out = subprocess.run([concbench, '--list'], capture_output=True, text=True).stdout
    section = out.split('\nrunners', 1)[1].split('\n\n', 1)[0]
    names = [line.split()[0] for line in section.splitlines()[1:]
             if line.startswith('  ') and not line.startswith('   ')]
    assert tuple(names) == cr.RUNNERS, (names, cr.RUNNERS)


def case_result(folder, name, cells, c, capacity, want):
    got = statuses(folder, name, cells, c, capacity)
    return '' if got == want else f'got {got}, want {want}'


def main():
    results = []
    with tempfile.TemporaryDirectory(prefix='cb-claims-') as tmp:
        for i, (name, cells, c, capacity, want) in enumerate(cases()):
            results.append((name, attempt(case_result, tmp, f'r{i}', cells, c, capacity,
                                          want)))
        checks = [('the median interval', test_interval, ()),
                  ('a claim file naming an unknown runner is refused', test_bad_claim_file, (tmp,)),
                  ('the project\'s claims load', test_project_claims_load, ())]
        if len(sys.argv) > 1:
            checks.append(('the scripts know every runner concbench has', test_runners_known,
                           (sys.argv[1],)))
        for name, fn, args in checks:
            results.append((name, attempt(fn, *args)))
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
