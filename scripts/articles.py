"""The articles' experiments side by side with this machine's: from one concbench run
(trials + .summary.csv + .meta.csv) write results/articles/<article>.md, one table per
preset (the article's Python seconds and this run's C medians, each as a ratio to its own
serial run, and the ideal), and under it the claims that must hold in C, PASS or FAIL.

The claims are scripts/claims.csv, judged by scripts/claims.py.
Reference figures are results/reference/<article>.csv: article,experiment,preset,model,
seconds,note. `model` is a runner, all tasks at once, or runner:W for W workers; a figure
that is not a time has an empty `seconds` and a note starting key=value (final_balance=-120).
"""

import argparse
import os
import re
import sys
from collections import namedtuple

import cbcsv
import cbresults as cr
import claims as cl
from cbresults import ResultsError, fmt_s, num

ARTICLES = {
    'a': '"Asynchronous programming. Python3.5+" (luminousmen; seed 004)',
    'b': '"Python Threadings" (Xiyuan Yang; seed 003)',
    'c': '"Faster Python: Concurrency in async/await and threading" (PyCharm blog; seeds 000, 001)',
    'd': '"Discover the power of Asynchio" (seed 002)',
}
# Presets are named <article>-<experiment>, except these.
ARTICLE_OF = {'burgers': 'c'}

CONCURRENT = ('threads', 'procs', 'evloop', 'green')
# The Python model each C model stands for: the article's own, run here by the peers.
PYTHON_OF = {'serial': 'py-serial', 'threads': 'py-threads', 'procs': 'py-procs',
             'evloop': 'py-asyncio', 'green': 'py-gevent'}
PYTHON = tuple(PYTHON_OF.values())

# Why a table shows cells that no claim covers.
NOTES = {
    'a-cpu': 'W=0 (10 big-integer tasks at once on the machine\'s cores) is shown, not '
             'claimed: ten working sets share the caches, and the speed-up says how much '
             'that costs here.',
    'b1-countdown-procs': 'The article\'s threads figure (21.67 s) is for 2 threads x 250 M, '
                          'not 5 tasks.',
}

def article_of(preset):
    """a-cpu -> a, b1-countdown -> b: the letters before the first digit or dash."""
    return ARTICLE_OF.get(preset, re.match(r'[a-z]*', preset).group(0) or preset)


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
        """The cell its speed-up is over: its family's serial run of the same work (the
        summary's baseline; none for a family without a serial runner)."""
        base = cell.get('baseline')
        if not base:
            return None
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
        rows = cr.read_table(path, REF_COLUMNS, {'seconds': cbcsv.number()}, cbcsv.text,
                             need_rows=False)[1]
        for row in rows:
            if not re.fullmatch(r'[a-z][a-z-]*(:[0-9]+)?', row['model']):
                raise ResultsError(f"{path}:{row.line}: column 'model': '{row['model']}' is "
                                   f"not a runner or runner:W")
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
             'this run: PASS or FAIL only when the 95% interval of its median lies clear of '
             'the bound, SKIP (with the reason) when it does not; the claims and their '
             'bounds are `scripts/claims.csv`.', '']
    if article == 'd':
        lines += d_table(run)
    for preset in presets:
        title = titles.get(preset, '')
        lines += [f'## {preset}' + (f' — {title}' if title else ''), '']
        lines += preset_table(run, preset, refs.get(preset, []))
        lines.append('')
        if preset in NOTES:
            lines += [NOTES[preset], '']
        for v in results.get(preset, []):
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
    p.add_argument('--claims', default=cl.default_path(),
                   help='the claims to judge (default scripts/claims.csv)')
    p.add_argument('--presets', default=None,
                   help='judge only the claims of these presets (comma separated); '
                        'default: every claim, and one whose preset is not in the run fails')
    p.add_argument('--check', action='store_true',
                   help='exit 1 if any claim fails, printing each failure')
    p.add_argument('--tap', action='store_true',
                   help='print every verdict as a TAP line (ok, not ok, ok # SKIP)')
    return p.parse_args(argv)


def need_metrics(run, claims):
    """A claim's metric column must exist when its preset is in the run."""
    for claim in claims:
        for m in claim.metrics:
            if m not in run.header and any(p in run.presets() for p in claim.presets):
                raise ResultsError(f'summary: no column {m} (needed for '
                                   f'{", ".join(claim.presets)}; from another version?)')


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cr.check_out(args.out)
        titles = cr.read_presets()
        claims = cl.load_claims(args.claims, titles, cr.RUNNERS)
        only = None
        if args.presets is not None:
            only = [p for p in args.presets.split(',') if p]
            for p in only:
                if p not in titles:
                    raise ResultsError(f'--presets: unknown preset "{p}" (allowed: '
                                       f'{", ".join(sorted(titles))})')
        run = Run(*cr.load_run(args.run))
        need_metrics(run, claims)
        refs = read_reference(args.reference)
        presets = run.presets()
        if not presets:
            raise ResultsError(f'{args.run}: no row came from a preset (run concbench '
                               f'--preset ...)')
        results = cl.verdicts(run, claims, only)
        by_article = {}
        for p in presets:
            by_article.setdefault(article_of(p), []).append(p)
        pages = {a: article_md(run, a, ps, refs, titles, results)
                 for a, ps in by_article.items()}
        missing = sorted(p for p in results if p not in presets)
        cr.write_outputs({os.path.join(args.out, f'{a}.md'): text for a, text in pages.items()})
    except (ResultsError, cr.WriteError) as e:
        return cr.refuse('articles', e)
    return report(args, results, sorted(pages), missing)


def report(args, results, articles, missing):
    allv = [v for vs in results.values() for v in vs]
    count = {s: sum(v.status == s for v in allv) for s in ('PASS', 'FAIL', 'SKIP')}
    where = ', '.join(os.path.join(args.out, f'{a}.md') for a in articles)
    print(f'articles: wrote {where}')
    if args.tap:
        print(f'1..{len(allv)}')
        for i, v in enumerate(allv, 1):
            head = f'{v.preset} {v.cell}: {v.text}'.replace('#', 'no.')
            if v.status == 'SKIP':
                print(f'ok {i} - {v.preset} {v.cell} # SKIP {v.text}'.replace('\n', ' '))
            else:
                print(f"{'ok' if v.status == 'PASS' else 'not ok'} {i} - {head}")
    print(f"claims: {count['PASS']} pass, {count['FAIL']} fail, {count['SKIP']} skipped")
    if missing:
        print(f'claims of presets not in this run (each a FAIL): {", ".join(missing)}; '
              f'--presets judges a part on purpose', file=sys.stderr)
    for v in allv:
        if v.status == 'FAIL' and v.preset not in missing:
            print(f'FAIL {v.preset} {v.cell}: {v.text}', file=sys.stderr)
    for v in allv:
        if v.status == 'SKIP':
            print(f'SKIP {v.preset} {v.cell}: {v.text}', file=sys.stderr)
    return 1 if args.check and count['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
