"""The articles' claims, judged on one concbench run (scripts/claims.csv says which).

Every verdict is PASS, FAIL or SKIP, with the figures that decided it:
  - a claim is judged on what it says: "parallel" on the cores a run kept busy (CPU
    time over wall time, per trial), "faster" on paired trials (trial k of the serial
    run beside trial k of the model, which ran in the same round of the interleaved
    order, so a drift in the host's speed hits both);
  - PASS or FAIL only when the interval of the median (95%, distribution-free: the
    order statistics the sign test gives) lies clear of the bound; inside it, SKIP,
    saying so. A speed-up needs at least 6 pairs for a 95% interval; other kinds with
    fewer trials use [min, max] and say how sure that is;
  - FAIL when what a claim judges did not run: its preset, its runner, its trials.
"""

import os
from collections import namedtuple
from math import comb

import cbcsv
import cbresults as cr
from cbresults import ResultsError, fmt_s, num

CLAIM_COLUMNS = ('presets', 'runners', 'kind', 'bound', 'workers', 'tasks', 'than', 'metrics',
                 'min_serial_s', 'text', 'why')
Claim = namedtuple('Claim', 'presets runners kind bound workers than metrics min_serial_s '
                            'text why line tasks', defaults=(None,))
Verdict = namedtuple('Verdict', 'status preset cell text')

LEVEL = 0.95
MIN_PAIRS = 6          # the fewest pairs whose order statistics reach a 95% interval
MIN_CAPACITY = 1.5     # a host giving less than this many cores shows no parallel speed-up
STARTUP = 2.0          # an ideal claim allows the model's floor twice on top of its bound
# epoll waits in whole milliseconds and libev rounds a timeout up, in the client's loop
# and in the delay server's: a wait may end up to a millisecond late at either end.
TIMER_SLACK_S = 0.002


# --- the interval -------------------------------------------------------------------

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[(n - 1) // 2] + xs[n // 2]) / 2


def median_interval(values, level=LEVEL):
    """(median, lo, hi, coverage): the narrowest [x_(j), x_(n+1-j)] whose coverage of
    the median is at least level, from the binomial(n, 1/2) of the sign test; with too
    few values for that, [min, max] and its own coverage, 1 - 2 / 2^n."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None

    def coverage(j):
        return 1 - 2 * sum(comb(n, i) for i in range(j)) / 2 ** n

    j = 1
    while j + 1 <= n // 2 and coverage(j + 1) >= level:
        j += 1
    return median(xs), xs[j - 1], xs[n - j], coverage(j)


def interval_text(iv, fmt='{:.2f}'):
    m, lo, hi, cov = iv
    f = fmt.format
    return f'{f(m)} [{f(lo)}, {f(hi)}] ({cov:.0%} interval)'


def side(iv, at_most=None, at_least=None):
    """PASS when the interval lies on the claim's side of the bound, FAIL when it lies
    on the other, SKIP when it holds the bound."""
    _, lo, hi, _ = iv
    if at_most is not None:
        return 'PASS' if hi <= at_most else 'FAIL' if lo > at_most else 'SKIP'
    return 'PASS' if lo >= at_least else 'FAIL' if hi < at_least else 'SKIP'


def straddles(status):
    return (' — the interval holds the bound: more trials (--repeat) or a quieter host '
            'would decide it') if status == 'SKIP' else ''


# --- the claim file -----------------------------------------------------------------

CLAIM_TYPES = {'bound': cbcsv.number(), 'workers': cbcsv.integer(0, empty=True),
               'tasks': cbcsv.integer(1, empty=True), 'min_serial_s': cbcsv.number()}


def load_claims(path, presets, runners, metrics=None):
    """The claims of path, each checked: its kind, presets, runners and numbers must
    exist (presets: the names of bench/presets; runners: concbench's)."""
    header, rows = cbcsv.read(path, CLAIM_COLUMNS, CLAIM_TYPES, cbcsv.text, need_rows=False,
                              comments=True)
    if tuple(header) != CLAIM_COLUMNS:
        raise ResultsError(f'{path}: its header must be {",".join(CLAIM_COLUMNS)}')
    out = []
    for c in rows:
        line, where = c.line, f'{path}:{c.line}'
        cr.check_known(where, 'kind', c['kind'], tuple(JUDGES))
        for p in c['presets'].split():
            cr.check_known(where, 'preset', p, sorted(presets))
        for r in c['runners'].split() + ([c['than']] if c['than'] else []):
            cr.check_known(where, 'runner', r, runners)
        if not c['presets'].split() or not c['runners'].split():
            raise ResultsError(f'{where}: a claim needs a preset and a runner')
        bound = num(c, 'bound')
        if bound is None and c['kind'] != 'deadlocked':
            raise ResultsError(f'{where}: a {c["kind"]} claim needs a bound')
        workers = int(c['workers']) if c['workers'] else None
        tasks = int(c['tasks']) if c['tasks'] else None
        if c['kind'] == 'below' and not c['than']:
            raise ResultsError(f'{where}: a below claim needs `than`, the runner to compare with')
        if metrics is not None:
            for m in c['metrics'].split():
                cr.check_known(where, 'metric', m, metrics)
        out.append(Claim(tuple(c['presets'].split()), tuple(c['runners'].split()), c['kind'],
                         bound, workers, c['than'] or None, tuple(c['metrics'].split()),
                         num(c, 'min_serial_s'), c['text'], c['why'], line, tasks))
    return out


# --- the judges ---------------------------------------------------------------------

def no_time(cell):
    return 'FAIL', f"no ok trial (outcomes {cell['outcomes'] or 'none'})"


def ok_trials(run, cell):
    return [t for t in run.trials_of(cell) if t['outcome'] == 'ok']


def pairs(run, cell, other):
    """(theirs, mine) rows of the same round, both ok: the trials run side by side."""
    theirs = {t['trial']: t for t in ok_trials(run, other)}
    return [(theirs[t['trial']], t) for t in ok_trials(run, cell) if t['trial'] in theirs]


def judge_ideal(claim, run, cell):
    ideal = num(cell, 'ideal_s')
    if not ideal:
        return 'SKIP', 'the workload states no ideal time'
    walls = [num(t, 'wall_s') for t in ok_trials(run, cell)]
    if not walls:
        return no_time(cell)
    floor = STARTUP * (num(cell, 'floor_s') or 0.0) + TIMER_SLACK_S
    allowed = claim.bound + floor / ideal
    iv = median_interval([w / ideal for w in walls])
    status = side(iv, at_most=allowed)
    return status, (f'wall over ideal {interval_text(iv)} over {len(walls)} trials (ideal '
                    f'{fmt_s(ideal)}), bound <= {claim.bound:.2f} + {floor / ideal:.2f} for '
                    f'start-up ({STARTUP:g} x floor + {TIMER_SLACK_S * 1e3:g} ms timer '
                    f'granularity){straddles(status)}')


def cores_of(run, cell):
    """The cores_used of the cell's ok trials, or a (status, text) why there are none."""
    cores = [num(t, 'cores_used') for t in ok_trials(run, cell)
             if num(t, 'cores_used') is not None]
    if cores:
        return cores, None
    return None, no_time(cell) if not ok_trials(run, cell) else (
        'FAIL', 'no cores_used in the trials (a run of another version?)')


def no_parallel(run, seen):
    return (f'the host gave {run.capacity:.2f} cores\' worth of CPU of {run.cores} in this '
            f'run (meta parallel_cores), under the {MIN_CAPACITY} a parallel claim needs '
            f'({seen})')


def parallel_want(claim, run, cell):
    n = min(int(cell['tasks']), cr.effective_workers(cell))
    k = min(n, run.capacity)
    return k, claim.bound * k


def judge_cores_le(claim, run, cell):
    cores, why = cores_of(run, cell)
    if why:
        return why
    iv = median_interval(cores)
    status = side(iv, at_most=claim.bound)
    return status, (f'cores used {interval_text(iv)} over {len(cores)} trials, bound '
                    f'<= {claim.bound:.2f}{straddles(status)}')


def judge_cores_ge(claim, run, cell):
    cores, why = cores_of(run, cell)
    if why:
        return why
    k, want = parallel_want(claim, run, cell)
    iv = median_interval(cores)
    if k > 1 and run.capacity < MIN_CAPACITY:
        return 'SKIP', no_parallel(run, f'cores used {interval_text(iv)}')
    status = side(iv, at_least=want)
    return status, (f'cores used {interval_text(iv)} over {len(cores)} trials, bound '
                    f'>= {want:.2f} ({claim.bound} x min(N, W, capacity {run.capacity:.2f} of '
                    f'{run.cores} cores)){straddles(status)}')


def speedups(run, cell):
    """Per-pair serial wall over the cell's, or a (status, text) why there are none."""
    serial = run.serial(cell)
    if serial is None:
        return None, ('FAIL', 'its serial run is not in this run')
    if not ok_trials(run, cell):
        return None, no_time(cell)
    ps = pairs(run, cell, serial)
    if not ps:
        return None, ('FAIL', f"no ok serial trial beside an ok one of this cell (serial "
                              f"outcomes {serial['outcomes']})")
    return [num(s, 'wall_s') / num(m, 'wall_s') for s, m in ps], None


def judge_speedup(claim, run, cell, at_least):
    ratios, why = speedups(run, cell)
    if why:
        return why
    if len(ratios) < MIN_PAIRS:
        return 'SKIP', (f'{len(ratios)} paired trials; a 95% interval needs {MIN_PAIRS} '
                        f'(--repeat {MIN_PAIRS} or more)')
    iv = median_interval(ratios)
    if at_least:
        k, want = parallel_want(claim, run, cell)
        if k > 1 and run.capacity < MIN_CAPACITY:
            return 'SKIP', no_parallel(run, f'speed-up {interval_text(iv)}')
        status = side(iv, at_least=want)
        bound = (f'>= {want:.2f} ({claim.bound} x min(N, W, capacity {run.capacity:.2f} of '
                 f'{run.cores} cores))')
    else:
        status = side(iv, at_most=claim.bound)
        bound = f'<= {claim.bound:.2f}'
    return status, (f'speed-up over serial {interval_text(iv)} over {len(ratios)} paired '
                    f'trials, bound {bound}{straddles(status)}')


def judge_speedup_ge(claim, run, cell):
    return judge_speedup(claim, run, cell, True)


def judge_speedup_le(claim, run, cell):
    return judge_speedup(claim, run, cell, False)


def metric_sum(row, metrics):
    vals = [num(row, m) for m in metrics]
    return None if any(v is None for v in vals) else sum(vals)


def judge_metric_gt(claim, run, cell):
    name = ' + '.join(claim.metrics)
    vals = [metric_sum(t, claim.metrics) for t in ok_trials(run, cell)]
    vals = [v for v in vals if v is not None]
    if not vals:
        return 'FAIL', f'no {name} measured (outcomes {cell["outcomes"] or "none"})'
    iv = median_interval(vals)
    status = 'PASS' if iv[1] > claim.bound else 'FAIL' if iv[2] <= claim.bound else 'SKIP'
    return status, (f'{name} {interval_text(iv, "{:g}")} over {len(vals)} trials, bound '
                    f'> {claim.bound:g}{straddles(status)}')


def judge_metric_eq(claim, run, cell):
    trials = run.trials_of(cell)
    name = ' + '.join(claim.metrics)
    if not trials:
        return 'FAIL', 'no measured trial'
    vals = [metric_sum(t, claim.metrics) for t in trials]
    bad = [t['outcome'] for t in trials if t['outcome'] != 'ok']
    worst = max((v for v in vals if v is not None), default=None)
    ok = not bad and worst == claim.bound
    most = 'unmeasured' if worst is None else f'{worst:g}'
    text = f'largest {name} {most} over {len(trials)} trials, bound = {claim.bound:g} in each'
    return 'PASS' if ok else 'FAIL', text + (f'; outcomes {", ".join(bad)}' if bad else '')


def hung(t):
    return t['outcome'] == 'deadlocked' or (t['outcome'] == 'failed' and
                                           (num(t, 'fail_blocked') or 0) > 0)


def judge_deadlocked(claim, run, cell):
    trials = run.trials_of(cell)
    if not trials:
        return 'FAIL', 'no measured trial'
    n = sum(hung(t) for t in trials)
    outs = ', '.join(sorted({t['outcome'] for t in trials}))
    return ('PASS' if n == len(trials) else 'FAIL',
            f'{n} of {len(trials)} trials deadlocked (outcomes {outs}), bound: all')


def judge_backs_off(claim, run, cell):
    trials = run.trials_of(cell)
    if not trials:
        return 'FAIL', 'no measured trial'
    m = claim.metrics[0]
    good = [t for t in trials if t['outcome'] == 'ok']
    least = min((num(t, m) or 0 for t in trials), default=0)
    ok = len(good) == len(trials) and least >= claim.bound
    return ('PASS' if ok else 'FAIL',
            f'{len(good)} of {len(trials)} trials ok, fewest {m} {least:g}, bound: all '
            f'ok and {m} >= {claim.bound:g}')


def trial_metric(run, t, m):
    """A metric of one trial; memory per task from its peak RSS, as the summary's."""
    if m != 'rss_per_task_b':
        return num(t, m)
    key = f"base_rss_kib:{t['runner']}:{t['workload']}:{t['params']}"
    base = num(run.meta, key) if key in run.meta else num(run.meta, 'base_rss_kib')
    rss, n = num(t, 'maxrss_kib'), int(t['tasks'])
    return None if base is None or rss is None else (rss - base) * 1024 / n


def judge_below(claim, run, cell):
    m = claim.metrics[0]
    other = run.peer(cell, claim.than)
    if other is None:
        return 'FAIL', f'no {claim.than} cell to compare with in this run'
    ps = [(trial_metric(run, o, m), trial_metric(run, t, m)) for o, t in pairs(run, cell, other)]
    ratios = [mine / theirs for theirs, mine in ps if mine is not None and theirs]
    if not ratios:
        return 'FAIL', f'no {m} of both in one round (outcomes {cell["outcomes"]} and ' \
                       f'{other["outcomes"]})'
    iv = median_interval(ratios)
    status = side(iv, at_most=claim.bound)
    return status, (f'{m} over {claim.than}\'s {interval_text(iv, "{:.3g}")} over '
                    f'{len(ratios)} rounds, bound <= {claim.bound:g}{straddles(status)}')


JUDGES = {
    'ideal': judge_ideal, 'cores_le': judge_cores_le, 'cores_ge': judge_cores_ge,
    'speedup_ge': judge_speedup_ge, 'speedup_le': judge_speedup_le,
    'metric_gt': judge_metric_gt, 'metric_eq': judge_metric_eq,
    'deadlocked': judge_deadlocked, 'backs_off': judge_backs_off, 'below': judge_below,
}


def judge(claim, run, cell):
    """(status, text) of one claim on one cell."""
    if claim.min_serial_s:
        serial = run.serial(cell)
        s = num(serial, 'median_s') if serial else None
        if s is not None and s < claim.min_serial_s:
            return 'SKIP', (f'serial {fmt_s(s)} is under the {fmt_s(claim.min_serial_s)} '
                            f'this claim needs to measure more than start-up (larger --scale)')
        # An ideal claim judges the wall over the ideal: a short ideal is the model's
        # start-up (N forks, their connections), however long the serial run was.
        ideal = num(cell, 'ideal_s')
        if claim.kind == 'ideal' and ideal is not None and ideal < claim.min_serial_s:
            return 'SKIP', (f'the ideal {fmt_s(ideal)} is under the '
                            f'{fmt_s(claim.min_serial_s)} this claim needs to measure more '
                            f'than start-up (larger --scale)')
    return JUDGES[claim.kind](claim, run, cell)


def cell_name(row):
    w = int(row['workers'])
    wtxt = 'all at once' if w == 0 else f'W={w}'
    return f"{row['runner']} N={row['tasks']} {wtxt}"


def verdicts(run, claims, only=None):
    """{preset: [Verdict]} for every claim, in every preset it names (only: those
    presets alone). A preset or runner missing from the run is a FAIL: not run."""
    out = {}
    have = set(run.presets())
    for claim in claims:
        for preset in claim.presets:
            if only is not None and preset not in only:
                continue
            vs = out.setdefault(preset, [])
            if preset not in have:
                vs.append(Verdict('FAIL', preset, '-', f'{claim.text}: not run (preset '
                                                     f'{preset} is not in this run)'))
                continue
            cells = run.in_preset(preset)
            for runner in claim.runners:
                mine = [c for c in cells if c['runner'] == runner and
                        (claim.workers is None or cr.effective_workers(c) == claim.workers) and
                        (claim.tasks is None or int(c['tasks']) == claim.tasks)]
                if not mine:
                    w = ('' if claim.workers is None else f' with W={claim.workers}') + \
                        ('' if claim.tasks is None else f' with N={claim.tasks}')
                    vs.append(Verdict('FAIL', preset, runner, f'{claim.text}: not run '
                                                              f'({runner}{w} is not in this run)'))
                for c in mine:
                    status, text = judge(claim, run, c)
                    vs.append(Verdict(status, preset, cell_name(c), f'{claim.text}: {text}'))
    return out


def need_metrics(run, claims):
    """A claim's metric column must exist when its preset is in the run."""
    for claim in claims:
        for m in claim.metrics:
            if m not in run.header and any(p in run.presets() for p in claim.presets):
                raise ResultsError(f'summary: no column {m} (needed for '
                                   f'{", ".join(claim.presets)}; from another version?)')


def default_path():
    return os.path.join(cr.SCRIPTS, 'claims.csv')
