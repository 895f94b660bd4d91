"""The per-article Markdown pages of a run, results/articles/<article>.md: one table per
preset (the article's Python seconds and this run's C medians, each as a ratio to its own
serial run, and the ideal), under it the verdicts of its claims; article D's page opens
with its qualitative claims as one table, measured."""

import re

import cbresults as cr
from cbresults import fmt_s, num
from cbrun import PYTHON
from reference import ref_matches, ref_serial

ARTICLES = {
    'a': '"Asynchronous programming. Python3.5+" (luminousmen; seed 004)',
    'b': '"Python Threadings" (Xiyuan Yang; seed 003)',
    'c': '"Faster Python: Concurrency in async/await and threading" (PyCharm blog; seeds 000, 001)',
    'd': '"Discover the power of Asynchio" (seed 002)',
}
# Presets are named <article>-<experiment>, except these.
ARTICLE_OF = {'burgers': 'c'}

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


def ref_text(refs, ref):
    """The article's figure and its ratio to the article's own serial run."""
    if not ref['seconds']:
        return ref['note'].split(';', 1)[0], ''
    s, base = float(ref['seconds']), ref_serial(refs, ref['experiment'])
    return f'{s:g} s', f'{s / base:.2f}' if base else ''


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


def pages(run, refs, titles, results):
    """{article: Markdown} for every article with a preset in the run."""
    by_article = {}
    for p in run.presets():
        by_article.setdefault(article_of(p), []).append(p)
    return {a: article_md(run, a, ps, refs, titles, results) for a, ps in by_article.items()}
