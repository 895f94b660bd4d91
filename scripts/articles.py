"""The articles' experiments side by side with this machine's: from one concbench run
(trials + .summary.csv + .meta.csv) write results/articles/<article>.md, one table per
preset (the article's Python seconds and this run's C medians, each as a ratio to its own
serial run, and the ideal), and under it the claims that must hold in C, PASS or FAIL.

Reference figures are results/reference/<article>.csv: article,experiment,preset,model,
seconds,note. `model` is a runner, all tasks at once, or runner:W for W workers; a figure
that is not a time has an empty `seconds` and a note starting key=value (final_balance=-120).
"""

import argparse
import os
import re
import sys
from collections import namedtuple

import cbresults as cr
from cbresults import ResultsError, fmt_s, num

ARTICLES = {
    'a': '"Asynchronous programming. Python3.5+" (luminousmen; seed 004)',
    'b': '"Python Threadings" (Xiyuan Yang; seed 003)',
    'c': '"Faster Python: Concurrency in async/await and threading" (PyCharm blog; seeds 000, 001)',
    'd': '"Discover the power of Asynchio" (seed 002)',
}
# Presets are named <article>-<experiment>, except these.
ARTICLE_OF = {'burgers': 'c'}

# Every claim in one table. kind says how it is judged:
#   ideal      the median wall is at most bound x the ideal time
#   speedup_ge the speedup over serial is at least bound x min(N, W, capacity), where
#              capacity is the cores' worth of CPU the host gave in this run (meta
#              parallel_cores: one countdown alone vs one on every core); a host that
#              gave under MIN_CAPACITY cores cannot show a parallel speed-up: SKIP
#   speedup_le the speedup over serial is at most bound
# Both compare the fastest trials: on CPU work noise only ever adds time.
# For these three the model's start-up is allowed on top of the bound, as STARTUP times
# its floor (summary floor_s: creating and reaping its N or W bare workers, measured in
# the same run): a cost of its own, shown in the line. At --scale 1 it is lost in the
# work; at --scale 0.02 forking 10 workers takes as long as the 20 ms wait, and a real
# worker costs more than a bare one (its own page faults, the result pipe).
#   metric_gt  the median of the metric columns' sum is above bound
#   metric_eq  in every measured trial the metrics' sum is bound and the outcome ok
#   deadlocked every measured trial hangs (deadlocked) or its one thread sees a wait
#              nothing can end (failed, fail_blocked > 0)
#   backs_off  every measured trial ok, and the metric is at least bound in each
#   below      the metric is at most bound x the same metric of runner `than`
# workers: only cells where W (as acted) is this many; None: every cell.
# min_serial_s: judged only when the serial median is at least this long; shorter, the
# run measures the model's start-up rather than the claim, and the line says SKIP and why.
Claim = namedtuple('Claim', 'presets runners kind bound text metrics workers than min_serial_s',
                   defaults=((), None, None, None))

CONCURRENT = ('threads', 'procs', 'evloop', 'green')
# The Python model each C model stands for: the article's own, run here by the peers.
PYTHON_OF = {'serial': 'py-serial', 'threads': 'py-threads', 'procs': 'py-procs',
             'evloop': 'py-asyncio', 'green': 'py-gevent'}
PYTHON = tuple(PYTHON_OF.values())
PARALLEL = ('threads', 'procs')
ONE_THREAD = ('evloop', 'green')
WAITING = ('a-io', 'b2-sleep', 'b3-urls', 'b4-waits', 'burgers', 'c-burgers-mixed')
COUNTDOWN = ('b1-countdown', 'b1-countdown-procs')

CLAIMS = (
    Claim(WAITING, ('threads', 'evloop', 'green'), 'ideal', 1.3,
          'every concurrent model turns N waits into about one (ceil(N/W) with W workers)'),
    # A process worker that fetches pays more than the bare fork of its floor: its
    # curl handle, its first connection and the copy-on-write faults of both (about
    # 4 ms each here). Below 100 ms of serial work that, not the waiting, decides.
    Claim(WAITING, ('procs',), 'ideal', 1.3,
          'every concurrent model turns N waits into about one (ceil(N/W) with W workers)',
          min_serial_s=0.1),
    Claim(COUNTDOWN, ('threads',), 'speedup_ge', 0.8,
          'no GIL in C: threads DO speed up CPU work (Python: 3.98 s vs 3.81 s, 0.96x)'),
    # A worker process's own page faults (copy-on-write, 15 us a page here) and the
    # host's noise decide the ratio below a quarter second of serial work.
    Claim(COUNTDOWN, ('procs',), 'speedup_ge', 0.8,
          'processes speed up CPU work, as in Python (4.44 s vs 23.63 s)',
          min_serial_s=0.25),
    Claim(('a-cpu',), ('threads',), 'speedup_ge', 0.8,
          'a pool the size of the machine computes on every core', workers=2),
    # A fresh process faults in its own big-integer memory (15 us a page here): at
    # --scale 0.02 (30 ms of work) that, not the computing, decides the ratio.
    Claim(('a-cpu',), ('procs',), 'speedup_ge', 0.8,
          'a pool the size of the machine computes on every core', workers=2,
          min_serial_s=0.25),
    Claim(('a-cpu',) + COUNTDOWN, ONE_THREAD, 'speedup_le', 1.1,
          'one thread computes one task at a time: no speed-up'),
    # The articles' own finding, by the Python peers on this machine.
    Claim(COUNTDOWN, ('py-threads',), 'speedup_le', 1.3,
          'Python here: the GIL lets one thread count at a time (article: 0.96x)'),
    Claim(('b1-countdown-procs',), ('py-procs',), 'speedup_ge', 0.8,
          'Python here: processes escape the GIL (article: 5.3x)', min_serial_s=1.0),
    Claim(('b5-bank',), ('threads', 'evloop', 'green'), 'metric_gt', 0,
          'unlocked check-then-subtract loses updates in every model', ('lost_updates',)),
    Claim(('b5-bank-locked',), ('serial',) + CONCURRENT, 'metric_eq', 0,
          'under a lock no update is lost', ('lost_updates',)),
    Claim(('c-staff-race',), ('threads', 'evloop', 'green'), 'metric_gt', 0,
          'unlocked check-then-take takes an order twice or finds the list empty',
          ('taken_twice', 'missing')),
    Claim(('c-staff-locked',), CONCURRENT, 'metric_eq', 0,
          'under a lock every order is taken once', ('taken_twice', 'missing')),
    Claim(('b6-deadlock',), CONCURRENT, 'deadlocked', None,
          'two locks in opposite order and no timeout: the tasks wait for ever'),
    Claim(('b6-deadlock-timeout',), CONCURRENT, 'backs_off', 1,
          'a lock timeout breaks the deadlock: a task backs off', ('backoffs',)),
    Claim(('d-switch',), ONE_THREAD, 'below', 1.0,
          'a switch costs less in one thread than between threads', ('ns_per_switch',),
          than='threads'),
    Claim(('d-memory',), ONE_THREAD, 'below', 1.0,
          'a waiting task takes less memory than a thread', ('rss_per_task_b',),
          than='threads'),
)

# Why a table shows cells that no claim covers.
NOTES = {
    'a-cpu': 'W=0 (10 big-integer tasks at once on the machine\'s cores) is shown, not '
             'claimed: ten working sets share the caches, and the speed-up says how much '
             'that costs here.',
    'b1-countdown-procs': 'The article\'s threads figure (21.67 s) is for 2 threads x 250 M, '
                          'not 5 tasks.',
}

STARTUP = 2.0
# epoll waits in whole milliseconds and libev rounds a timeout up, in the client's loop
# and in the delay server's: a wait may end up to a millisecond late at either end.
# Lost in a 100 ms wait; a tenth of the 9 ms fetch of b3-urls at --scale 0.02.
TIMER_SLACK_S = 0.002
MIN_CAPACITY = 1.5

Verdict = namedtuple('Verdict', 'status preset cell text')


def article_of(preset):
    """a-cpu -> a, b1-countdown -> b: the letters before the first digit or dash."""
    return ARTICLE_OF.get(preset, re.match(r'[a-z]*', preset).group(0) or preset)


def cell_name(row):
    w = int(row['workers'])
    wtxt = 'all at once' if w == 0 else f'W={w}'
    return f"{row['runner']} N={row['tasks']} {wtxt}"


class Run:
    """One run's cells and trials, indexed the ways the tables and claims look them up."""

    def __init__(self, trials, summary, meta, header):
        self.meta, self.header = meta, header
        self.metrics = cr.metric_columns(header)
        self.cores = int(meta['cores'])
        cap = num(meta, 'parallel_cores')
        self.capacity = self.cores if cap is None else min(cap, self.cores)
        self.cells = [r for r in summary if r['preset']]
        self.trials = {}
        for t in trials:
            if t['warmup'] != '1':
                self.trials.setdefault(self.key(t), []).append(t)

    @staticmethod
    def key(r):
        return (r['preset'], r['workload'], r['params'], r['runner'], r['runner_params'],
                r['tasks'], r['workers'])

    def presets(self):
        seen = []
        for c in self.cells:
            if c['preset'] not in seen:
                seen.append(c['preset'])
        return seen

    def in_preset(self, preset):
        rows = [c for c in self.cells if c['preset'] == preset]
        return sorted(rows, key=lambda c: (c['workload'], c['params'], int(c['tasks']),
                                           cr.runner_rank(c['runner']), c['runner'],
                                           -cr.effective_workers(c)))

    def serial(self, cell):
        """The serial cell of the same work: Python's for a Python peer, else C's."""
        base = 'py-serial' if cell['runner'] in PYTHON else 'serial'
        for c in self.cells:
            if (c['runner'] == base and c['preset'] == cell['preset'] and
                    c['workload'] == cell['workload'] and c['params'] == cell['params'] and
                    c['tasks'] == cell['tasks']):
                return c
        return None

    def peer(self, cell, runner):
        for c in self.cells:
            if (c['runner'] == runner and c['preset'] == cell['preset'] and
                    c['workload'] == cell['workload'] and c['params'] == cell['params'] and
                    c['tasks'] == cell['tasks'] and c['workers'] == cell['workers']):
                return c
        return None

    def python_here(self, cell):
        """The Python peer cell standing for a C cell: same preset, workload, N and W;
        its work may be the article's literal size (Python counts ~40x slower)."""
        runner = PYTHON_OF.get(cell['runner'])
        for c in self.cells:
            if (c['runner'] == runner and c['preset'] == cell['preset'] and
                    c['workload'] == cell['workload'] and c['tasks'] == cell['tasks'] and
                    cr.effective_workers(c) == cr.effective_workers(cell)):
                return c
        return None

    def trials_of(self, cell):
        return self.trials.get(self.key(cell), [])


# --- claims -------------------------------------------------------------------------

def judge(claim, run, cell):
    """(status, text) of one claim on one cell."""
    if claim.min_serial_s:
        serial = run.serial(cell)
        s = num(serial, 'median_s') if serial else None
        if s is not None and s < claim.min_serial_s:
            return 'SKIP', (f'serial {fmt_s(s)} is under the {fmt_s(claim.min_serial_s)} '
                            f'this claim needs to measure more than start-up (larger --scale)')
    return JUDGES[claim.kind](claim, run, cell)


def no_time(cell):
    return 'FAIL', f"no ok trial (outcomes {cell['outcomes'] or 'none'})"


def floor_of(cell):
    """The start-up a timing claim allows on top of its bound."""
    return STARTUP * (num(cell, 'floor_s') or 0.0)


def judge_ideal(claim, run, cell):
    med, ideal = num(cell, 'median_s'), num(cell, 'ideal_s')
    if med is None:
        return no_time(cell)
    if not ideal:
        return 'SKIP', 'the workload states no ideal time'
    ratio, floor = med / ideal, floor_of(cell) + TIMER_SLACK_S
    allowed = claim.bound + floor / ideal
    ok = ratio <= allowed
    return ('PASS' if ok else 'FAIL',
            f'wall {ratio:.2f} x ideal ({fmt_s(med)} vs {fmt_s(ideal)}), bound '
            f'<= {claim.bound:.2f} + {floor / ideal:.2f} for start-up ({STARTUP:g} x floor '
            f'+ {TIMER_SLACK_S * 1e3:g} ms timer granularity)')


def speedup_parts(run, cell):
    """The fastest serial and cell trials."""
    serial = run.serial(cell)
    s = num(serial, 'min_s') if serial else None
    return s, num(cell, 'min_s')


def judge_speedup_ge(claim, run, cell):
    s, med = speedup_parts(run, cell)
    if med is None:
        return no_time(cell)
    if s is None:
        return 'FAIL', 'no ok serial run to compare with'
    n = min(int(cell['tasks']), cr.effective_workers(cell))
    if n > 1 and run.capacity < MIN_CAPACITY:
        return 'SKIP', (f'the host gave {run.capacity:.2f} cores\' worth of CPU of '
                        f'{run.cores} in this run (meta parallel_cores): no parallel '
                        f'speed-up to judge')
    k = min(n, run.capacity)
    floor = floor_of(cell)
    want = claim.bound * k
    allowed = s / (s / want + floor)
    ok = s / med >= allowed
    return ('PASS' if ok else 'FAIL',
            f'speed-up {s / med:.2f}x (fastest trials), bound >= {allowed:.2f}x '
            f'({claim.bound} x min(N, W, capacity={run.capacity:.2f} of {run.cores} cores) '
            f'= {want:.2f}x, less {fmt_s(floor)} start-up: {STARTUP:g} x floor)')


def judge_speedup_le(claim, run, cell):
    s, med = speedup_parts(run, cell)
    if med is None:
        return no_time(cell)
    if s is None:
        return 'FAIL', 'no ok serial run to compare with'
    ok = s / med <= claim.bound
    return 'PASS' if ok else 'FAIL', f'speed-up {s / med:.2f}x (fastest trials), bound <= {claim.bound:.2f}x'


def metric_sum(row, metrics):
    vals = [num(row, m) for m in metrics]
    return None if any(v is None for v in vals) else sum(vals)


def judge_metric_gt(claim, run, cell):
    v = metric_sum(cell, claim.metrics)
    name = ' + '.join(claim.metrics)
    if v is None:
        return 'FAIL', f'no {name} measured (outcomes {cell["outcomes"]})'
    return ('PASS' if v > claim.bound else 'FAIL',
            f'median {name} = {v:g}, bound > {claim.bound:g}')


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
    text = f'largest {name} {most} over {len(trials)} trials, bound = {claim.bound:g}'
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
    ok_trials = [t for t in trials if t['outcome'] == 'ok']
    least = min((num(t, m) or 0 for t in trials), default=0)
    ok = len(ok_trials) == len(trials) and least >= claim.bound
    return ('PASS' if ok else 'FAIL',
            f'{len(ok_trials)} of {len(trials)} trials ok, fewest {m} {least:g}, bound: all '
            f'ok and {m} >= {claim.bound:g}')


def judge_below(claim, run, cell):
    m = claim.metrics[0]
    other = run.peer(cell, claim.than)
    if other is None:
        return 'SKIP', f'no {claim.than} cell to compare with'
    mine, theirs = num(cell, m), num(other, m)
    if mine is None or not theirs:
        return 'FAIL', f'no {m} measured ({mine} vs {theirs})'
    ratio = mine / theirs
    return ('PASS' if ratio <= claim.bound else 'FAIL',
            f'{m} {mine:.4g} = {ratio:.2f} x {claim.than}\'s {theirs:.4g}, bound '
            f'<= {claim.bound:.2f}')


JUDGES = {
    'ideal': judge_ideal, 'speedup_ge': judge_speedup_ge, 'speedup_le': judge_speedup_le,
    'metric_gt': judge_metric_gt, 'metric_eq': judge_metric_eq,
    'deadlocked': judge_deadlocked, 'backs_off': judge_backs_off, 'below': judge_below,
}


def verdicts(run, preset):
    """Every claim on every cell of preset it covers, and a SKIP for a runner not run."""
    out = []
    cells = run.in_preset(preset)
    for claim in CLAIMS:
        if preset not in claim.presets:
            continue
        for runner in claim.runners:
            mine = [c for c in cells if c['runner'] == runner and
                    (claim.workers is None or cr.effective_workers(c) == claim.workers)]
            if not mine:
                out.append(Verdict('SKIP', preset, runner, f'{claim.text}: not in this run'))
            for c in mine:
                status, text = judge(claim, run, c)
                out.append(Verdict(status, preset, cell_name(c), f'{claim.text}: {text}'))
    return out


# --- reference figures ------------------------------------------------------------------

REF_COLUMNS = ('article', 'experiment', 'preset', 'model', 'seconds', 'note')


def read_reference(folder):
    """{preset: [rows]} from every <article>.csv in folder."""
    refs = {}
    try:
        names = sorted(f for f in os.listdir(folder) if f.endswith('.csv'))
    except OSError as e:
        raise ResultsError(f'{folder}: {e.strerror}') from None
    for name in names:
        path = os.path.join(folder, name)
        for row in cr.read_table(path, REF_COLUMNS)[1]:
            num(row, 'seconds')
            refs.setdefault(row['preset'], []).append(row)
    return refs


def ref_matches(ref, cell):
    runner, _, w = ref['model'].partition(':')
    if runner != cell['runner']:
        return False
    want = int(w) if w else int(cell['tasks'])
    return cr.effective_workers(cell) == want or runner == 'serial'


def ref_serial(refs, experiment):
    for r in refs:
        if r['experiment'] == experiment and r['model'] == 'serial' and r['seconds']:
            return float(r['seconds'])
    return None


def ref_text(refs, ref):
    """The article's figure and its ratio to the article's own serial run."""
    if not ref['seconds']:
        return ref['note'].split(';', 1)[0], ''
    s, base = float(ref['seconds']), ref_serial(refs, ref['experiment'])
    return f'{s:g} s', f'{s / base:.2f}' if base else ''


# --- tables -----------------------------------------------------------------------------

def ratio(a, b):
    return f'{a / b:.2f}' if a is not None and b else ''


def metrics_text(run, cell):
    parts = [f'{m}={cell[m]}' for m in run.metrics if cell.get(m) not in (None, '')]
    if cell['outcomes'] and cell['outcomes'] != f"ok:{cell['trials']}":
        parts.insert(0, cell['outcomes'])
    return ', '.join(parts)


def preset_table(run, preset, refs):
    exps = []
    for r in refs:
        if r['experiment'] not in exps:
            exps.append(r['experiment'])
    head = ['model', 'N', 'W']
    for e in exps:
        head += [f'Python: {e}', 'Py × serial']
    cells = [c for c in run.in_preset(preset) if c['runner'] not in PYTHON]
    here = any(run.python_here(c) for c in cells)
    if here:
        head += ['Python here', 'Py here × serial']
    head += ['C median', 'C × serial', 'ideal × serial', 'min … max', 'RSS/task',
             'outcome, metrics']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    used = set()
    for cell in cells:
        serial = run.serial(cell)
        sm = num(serial, 'median_s') if serial else None
        med = num(cell, 'median_s')
        row = [cell['runner'], cell['tasks'], cell['workers']]
        for e in exps:
            hit = [r for r in refs if r['experiment'] == e and ref_matches(r, cell)]
            used.update(id(r) for r in hit)
            row += list(ref_text(refs, hit[0])) if hit else ['', '']
        if here:
            py = run.python_here(cell)
            pys = run.serial(py) if py else None
            pm = num(py, 'median_s') if py else None
            row += [fmt_s(pm) if pm is not None else (py['outcomes'] if py else ''),
                    ratio(pm, num(pys, 'median_s') if pys else None)]
        rng = (f"{fmt_s(num(cell, 'min_s'))} … {fmt_s(num(cell, 'max_s'))}"
               if med is not None else '')
        rss = num(cell, 'rss_per_task_b')
        row += [fmt_s(med), ratio(med, sm), ratio(num(cell, 'ideal_s'), sm), rng,
                '' if rss is None else f'{rss / 1024:.1f} KiB', metrics_text(run, cell)]
        lines.append('| ' + ' | '.join(str(x) for x in row) + ' |')
    for r in refs:
        if id(r) not in used:
            row = [r['model'], '', '']
            for e in exps:
                row += list(ref_text(refs, r)) if e == r['experiment'] else ['', '']
            row += ['', ''] * here + ['not in this run', '', '', '', '', r['note']]
            lines.append('| ' + ' | '.join(row) + ' |')
    return lines


# Article D's claims as one table, one column per model: (row, preset, how to read it).
D_ROWS = (
    ('parallelism: countdown speed-up over serial', 'd-parallel', 'speedup', 'x'),
    ('switch cost: one ping-pong hand-off', 'd-switch', 'ns_per_switch', 'ns'),
    ('memory per waiting task (largest N)', ('d-wait-10k', 'd-memory', 'd-memory-procs'),
     'rss_per_task_b', 'B'),
    ('lost updates, unlocked (bank)', 'b5-bank', 'lost_updates', ''),
    ('lost updates, locked (bank)', 'b5-bank-locked', 'lost_updates', ''),
    ('a blocking compute delays sleepers by', 'd-stall', 'stall_s', 's'),
)


def d_value(run, presets, runner, column):
    """The column of the runner's cell with the most tasks among presets, or None."""
    presets = (presets,) if isinstance(presets, str) else presets
    cells = [c for p in presets for c in run.in_preset(p) if c['runner'] == runner]
    cells = [c for c in cells if c.get(column) not in (None, '')]
    if not cells:
        return None, None
    cell = max(cells, key=lambda c: int(c['tasks']))
    return num(cell, column), cell['tasks']


def d_table(run):
    """Seed D's qualitative claims, measured: nothing in it is typed in."""
    runners = [r for r in cr.RUNNER_ORDER if any(c["runner"] == r for c in run.cells)]
    lines = ['## The claims of article D, measured', '',
             '| factor | ' + ' | '.join(runners) + ' |', '|---|' + '---|' * len(runners)]
    for label, presets, column, unit in D_ROWS:
        row = [label]
        for r in runners:
            v, n = d_value(run, presets, r, column)
            if v is None:
                row.append('')
            elif unit == 's':
                row.append(fmt_s(v))
            elif unit == 'B':
                row.append(f'{v / 1024:.1f} KiB (N={n})' if v >= 1024 else f'{v:.0f} B (N={n})')
            elif unit == 'x':
                row.append(f'{v:.2f}x')
            else:
                row.append(f'{v:.0f} {unit}'.strip())
        lines.append('| ' + ' | '.join(row) + ' |')
    return lines + ['']


def article_md(run, article, presets, refs, titles, results):
    lines = [f'# Article {article.upper()}: {ARTICLES.get(article, article)}', '',
             f'Machine: {cr.machine_line(run.meta)}. concbench {run.meta["version"]} '
             f'({run.meta.get("commit", "?")}), `{run.meta.get("command", "")}`', '',
             'Times are medians; ratios are wall time over the serial run\'s (Python over '
             'the article\'s serial figure, C over this run\'s serial median): lower is '
             'faster. *Python here* is the article\'s Python model run on this machine by '
             'the peers (asyncio for evloop, gevent for green), often on the article\'s '
             'literal work where C runs more, over its own serial run. *ideal × serial* is '
             'what a perfect scheduler would reach. Each claim below a table is judged on '
             'this run; the bounds are the table at the top of `scripts/articles.py`.', '']
    if article == 'd':
        lines += d_table(run)
    for preset in presets:
        title = titles.get(preset, '')
        lines += [f'## {preset}' + (f' — {title}' if title else ''), '']
        lines += preset_table(run, preset, refs.get(preset, []))
        lines.append('')
        if preset in NOTES:
            lines += [NOTES[preset], '']
        for v in results[preset]:
            lines.append(f'- **{v.status}** {v.cell}: {v.text}')
        lines.append('')
    return '\n'.join(lines)


# --- main -------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='articles',
        description='Write results/articles/<article>.md from a concbench run and judge '
                    'the claims the articles make that must hold in C.')
    p.add_argument('run', nargs='?', default=os.path.join(cr.TREE, 'results', 'run.csv'),
                   help='the trials CSV of a run (its .summary.csv and .meta.csv beside it); '
                        'default results/run.csv')
    p.add_argument('--out', default=os.path.join(cr.TREE, 'results', 'articles'),
                   help='folder for the Markdown files (default results/articles)')
    p.add_argument('--reference', default=os.path.join(cr.TREE, 'results', 'reference'),
                   help='folder of the reference CSVs (default results/reference)')
    p.add_argument('--check', action='store_true',
                   help='exit 1 if any claim fails, printing each failure')
    return p.parse_args(argv)


def need_metrics(run):
    """A claim's metric column must exist when its preset is in the run."""
    for claim in CLAIMS:
        for m in claim.metrics:
            if m not in run.header and any(p in run.presets() for p in claim.presets):
                raise ResultsError(f'summary: no column {m} (needed for '
                                   f'{", ".join(claim.presets)}; from another version?)')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run = Run(*cr.load_run(args.run))
        need_metrics(run)
        refs = read_reference(args.reference)
        presets = run.presets()
        if not presets:
            raise ResultsError(f'{args.run}: no row came from a preset (run concbench '
                               f'--preset ...)')
        results = {p: verdicts(run, p) for p in presets}
        titles = cr.read_presets()
        by_article = {}
        for p in presets:
            by_article.setdefault(article_of(p), []).append(p)
        pages = {a: article_md(run, a, ps, refs, titles, results)
                 for a, ps in by_article.items()}
    except ResultsError as e:
        print(f'articles: {e}', file=sys.stderr)
        return 2
    for a, text in pages.items():
        cr.write_atomic(os.path.join(args.out, f'{a}.md'), text)
    return report(args, results, sorted(pages))


def report(args, results, articles):
    allv = [v for vs in results.values() for v in vs]
    count = {s: sum(v.status == s for v in allv) for s in ('PASS', 'FAIL', 'SKIP')}
    where = ', '.join(os.path.join(args.out, f'{a}.md') for a in articles)
    print(f'articles: wrote {where}')
    print(f"claims: {count['PASS']} pass, {count['FAIL']} fail, {count['SKIP']} skipped")
    failed = [v for v in allv if v.status == 'FAIL']
    for v in failed:
        print(f'FAIL {v.preset} {v.cell}: {v.text}', file=sys.stderr)
    return 1 if args.check and failed else 0


if __name__ == '__main__':
    sys.exit(main())
