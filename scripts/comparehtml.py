"""scripts/compare --format html: the comparison of two runs as one self-contained page
(htmlpage.py's frame): what was compared and on which machines, a summary of the verdicts
(the cells that got faster or slower first), and per cell the change B/A with its 95%
interval, the p-values before and after Holm's correction, the verdict, and both runs'
trials as a strip plot (hand-made inline SVG: A's trials above, B's below, each median a
bar) whose words are in its aria-label."""

import math
import statistics

import cbresults as cr
import htmlpage as hp
from htmlpage import esc

# Okabe-Ito, as the machines in scripts/plot: apart under the common colour-blindnesses.
COLOR_A, COLOR_B = '#0072B2', '#E69F00'
STRIP_W, STRIP_H, PAD = 260, 44, 8


def value_text(v, metric):
    if v is None:
        return ''
    return cr.fmt_s(v) if metric == 'wall_s' else f'{v:.3g}'


def strip_svg(r):
    """Both runs' trials of a cell on one axis (log when they span more than 10x)."""
    va, vb = r.get('va') or [], r.get('vb') or []
    vals = [v for v in va + vb if v is not None and v > 0]
    if not vals:
        return '<span class="muted">no trials</span>'
    lo, hi = min(vals), max(vals)
    log = hi / lo > 10
    f = (lambda v: math.log(v)) if log else (lambda v: v)
    a, b = f(lo), f(hi)
    span = (b - a) or abs(a) or 1.0
    a, b = a - span * 0.05, b + span * 0.05

    def x(v):
        return PAD + (f(v) - a) / (b - a) * (STRIP_W - 2 * PAD)
    m = r['metric']
    label = (f"{m or 'value'} per trial: A {len(va)} trials, median "
             f"{value_text(statistics.median(va), m) if va else 'none'}; B {len(vb)} trials, "
             f"median {value_text(statistics.median(vb), m) if vb else 'none'}; axis "
             f"{value_text(lo, m)} to {value_text(hi, m)}{' (log)' if log else ''}")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{STRIP_W}" height="{STRIP_H}" '
             f'viewBox="0 0 {STRIP_W} {STRIP_H}" role="img" aria-label="{esc(label)}">',
             f'<title>{esc(label)}</title>',
             f'<line x1="{PAD}" y1="{STRIP_H / 2}" x2="{STRIP_W - PAD}" y2="{STRIP_H / 2}" '
             'stroke="#ccc"/>']
    for vs, y, color, shape in ((va, 12, COLOR_A, 'circle'), (vb, 32, COLOR_B, 'rect')):
        for v in vs:
            if v is None or v <= 0:
                continue
            if shape == 'circle':
                parts.append(f'<circle cx="{x(v):.1f}" cy="{y}" r="3" fill="{color}" '
                             'fill-opacity="0.6"/>')
            else:  # B as squares: told apart by shape as well as colour
                parts.append(f'<rect x="{x(v) - 3:.1f}" y="{y - 3}" width="6" height="6" '
                             f'fill="{color}" fill-opacity="0.6"/>')
        if vs:
            mx = x(statistics.median(vs))
            parts.append(f'<line x1="{mx:.1f}" y1="{y - 7}" x2="{mx:.1f}" y2="{y + 7}" '
                         'stroke="#000" stroke-width="2"/>')
    parts.append('</svg>')
    return ''.join(parts)


def ratio_cell(r):
    if r['ratio'] is None:
        return '', None
    return f"{r['ratio']:.3f}", f"{r['ratio']:.6g}"


def interval_cell(r):
    if r['lo'] is None:
        return '', None
    return f"[{r['lo']:.3f}, {r['hi']:.3f}]", f"{r['lo']:.6g}"


def p_cell(v):
    return ('', None) if v is None else (f'{v:.2g}', f'{v:.6g}')


def verdict_cell(r):
    v = r['verdict']
    sign = {'faster': '▲ ', 'slower': '▼ '}.get(v, '')
    return f'<span class="{esc(v)}">{sign}{esc(v)}</span>', None


HEAD = (('cell', True), ('compared', True), ('A', False), ('B', False), ('B/A', False),
        ('95% interval', False), ('p', False), ('p Holm', False), ('verdict', True),
        ('trials: A ● above, B ■ below, medians |', True))


def row_html(r):
    m = r['metric']
    cells = [(esc(r['cell']), None), (esc(m), None),
             (value_text(r['a'], m), None if r['a'] is None else f"{r['a']:.6g}"),
             (value_text(r['b'], m), None if r['b'] is None else f"{r['b']:.6g}"),
             ratio_cell(r), interval_cell(r), p_cell(r['p']), p_cell(r['p_holm']),
             verdict_cell(r), (strip_svg(r), None)]
    cls = 'failed' if r['verdict'] == 'slower' else ''
    return cls, [(t, '' if v is None else v) for t, v in cells]


def summary_html(rows, only_a, only_b):
    counts = {}
    for r in rows:
        counts[r['verdict']] = counts.get(r['verdict'], 0) + 1
    items = []
    for want in ('slower', 'faster'):
        for r in rows:
            if r['verdict'] == want:
                what = 'B/A of ' + ('the median wall time' if r['metric'] == 'wall_s' else
                                    r['metric'])
                items.append(f'<li>{verdict_cell(r)[0]} <strong>{esc(r["cell"])}</strong>: '
                             f"{what} {r['ratio']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}], "
                             f"p Holm {r['p_holm']:.2g}</li>")
    counted = ', '.join(f'{n} {esc(v)}' for v, n in sorted(counts.items()))
    body = [f'<p class="question"><strong>{counted}</strong>.</p>']
    if items:
        body.append('<ul class="summary">' + ''.join(items) + '</ul>')
    else:
        body.append('<p>No cell changed beyond the threshold with a Holm-corrected '
                    'significance.</p>')
    for side, cells in (('A', only_a), ('B', only_b)):
        if cells:
            body.append(f'<p class="muted">Only in {side}: ' +
                        '; '.join(esc(c) for c in cells) + '</p>')
    return ('<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary'
            '</h2>' + ''.join(body) + '</section>')


def render_html(rows, only_a, only_b, ctx, header_lines):
    head = '\n'.join(f'<li>{esc(line)}</li>' for line in header_lines)
    parts = [f'<header><h1>concbench: {esc(ctx["b"])} against {esc(ctx["a"])}</h1>',
             f'<ul>{head}</ul></header>', summary_html(rows, only_a, only_b),
             '<section id="cells" aria-labelledby="cells-h"><h2 id="cells-h">Every cell</h2>',
             '<p class="muted">B/A above 1 is slower for wall times (higher is better for '
             'speed-ups); the interval is a 95% percentile bootstrap of the ratio of '
             'medians; p is the two-sided Mann-Whitney U, p Holm after Holm\'s correction '
             'over every cell tested. Each strip shows every trial of both runs on one axis.'
             '</p>',
             hp.table(list(HEAD), [row_html(r) for r in rows],
                      caption='Click a heading to sort. ▲ faster, ▼ slower (row shaded).'),
             '</section>',
             '<footer class="muted"><p>Written by <code>scripts/compare --format html'
             '</code>.</p></footer>']
    return hp.page(f'concbench: {ctx["b"]} against {ctx["a"]}', '\n'.join(parts))


def write(path, text):
    hp.write(path, text)
