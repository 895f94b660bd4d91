"""Plots of a concbench run from its summary CSV alone (and .meta.csv for the machine),
as PNG and SVG, one figure per question, each answering it in its heading:
- an experiment that sweeps N: wall, overhead per task (ideal and bare floor drawn) and
  peak RSS per task against N, log-log, one line per model and W (NAME-sweep);
- ping-pong: nanoseconds per hand-off per model, on a log axis (NAME);
- any other experiment: the median wall per cell with min-max whiskers, and beside it
  the speed-up over serial where there is one and the workload's own outcome (a race's
  lost updates, a stall), at most MAX_BARS bars a panel, a panel per N (and per W, when
  one N holds more) (NAME);
- experiments of one workload that differ in one parameter alone (-p KEY=A,B,C, or
  runs merged): the wall against the parameter, a line per model and W (NAME-KEY-sweep);
- a set merged from several machines (scripts/merge): per experiment the models x
  machines view, speed-up and overhead over the floor per machine (NAME-machines).
Every figure is 1200 px wide; log axes are labelled in plain units (10 ms, 1 KiB, 10k)."""

import argparse
import io
import math
import os
import re
import sys
import textwrap

import cbresults as cr
import plotaxes as pa
import plotcrossover
from cbresults import ResultsError, num
from plotwords import (bar_label, cell_order, exact_words, experiments, failed,
                       has_speedup, hosts_of, namer, params_of, safe, scale_of)

FORMATS = ('png', 'svg')
WIDTH_IN, DPI = 12, 100  # 1200 px: the width every figure is made to be read at
MAX_BARS = 12            # bars in one panel
MAX_FIGURE_BARS = 36     # bars in one figure; beyond, each panel is a figure of its own
DEFAULT_RUN = os.path.join('results', 'latest')  # under the tree: `ninja bench`'s newest


def parse_args(argv):
    p = argparse.ArgumentParser(prog='plot', description='Plot a concbench run (PNG and SVG).')
    p.add_argument('run', nargs='?', default=None,
                   help='the run: any of its files, its folder, its run id, or a set '
                        'scripts/merge made (default results/latest, the newest run of '
                        '`ninja -C build bench`)')
    p.add_argument('--out', default=os.path.join(cr.TREE, 'results'),
                   help='folder for the images (default results/)')
    return p.parse_args(argv)


# --- figure frame: heading, footnote, layout, rendering ----------------------------------

ANSWER_CHARS, TITLE_CHARS = 105, 130  # a line of the heading at 12 and 10 pt in 12 in


def clauses(text, width):
    """text in lines of at most width characters, broken after a '; ' where one fits."""
    lines = []
    for clause in text.split('; '):
        if lines and len(lines[-1]) + 2 + len(clause) <= width:
            lines[-1] += '; ' + clause
        else:
            if lines:
                lines[-1] += ';'
            lines += textwrap.wrap(clause, width)
    return lines


def heading_lines(answer, title):
    return clauses(answer, ANSWER_CHARS), clauses(title, TITLE_CHARS)


def head_in(answer, title):
    a, t = heading_lines(answer, title)
    return 0.25 + 0.24 * len(a) + 0.2 * len(t)


FOOT_CHARS = 200  # a line of the footnote at 8 pt


def foot_lines(meta):
    return textwrap.wrap(f'{cr.machine_line(meta)}; concbench {meta.get("version", "?")}',
                         FOOT_CHARS)


def foot_in(meta):
    return 0.2 + 0.15 * len(foot_lines(meta))


def frame(fig, meta, answer, title):
    """The heading (the answer in bold, what the figure is below it) and the footnote
    (the machine); returns (bottom, top) of the room left for the axes, as fractions."""
    h = fig.get_figheight()
    a, t = heading_lines(answer, title)
    fig.text(0.5, 1 - 0.1 / h, '\n'.join(a), ha='center', va='top', fontsize=12,
             fontweight='bold')
    fig.text(0.5, 1 - (0.14 + 0.24 * len(a)) / h, '\n'.join(t), ha='center', va='top',
             fontsize=10, color='#333333')
    fig.text(0.01, 0.08 / h, '\n'.join(foot_lines(meta)), fontsize=8, color='#666666',
             va='bottom')
    return foot_in(meta) / h, 1 - head_in(answer, title) / h


def figure(plt, height_in):
    return plt.figure(figsize=(WIDTH_IN, height_in), dpi=DPI)


def rendered(plt, figs, out):
    """{path: bytes} of every (name, figure) in every format, rendered in memory, each
    figure closed before the next is drawn."""
    images = {}
    for name, fig in figs:
        for fmt in FORMATS:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI)
            images[os.path.join(out, f'{name}.{fmt}')] = buf.getvalue()
        plt.close(fig)
    return images


# --- bars: one value per cell, a panel per N ---------------------------------------------

def tasks_words(n):
    return f"N = {pa.fmt_count(n)} task{'s' if n != 1 else ''}"


def facets(rows):
    """[(title, rows)]: the cells a panel per N; an N with more than MAX_BARS cells a panel
    per W, and any still larger in even runs of at most MAX_BARS."""
    out = []
    for n in sorted({int(r['tasks']) for r in rows}):
        at = [r for r in rows if int(r['tasks']) == n]
        title = tasks_words(n)
        # W=1, 2, ... then all (0): from one at a time to every task at once
        ws = sorted({r['workers'] for r in at}, key=lambda w: int(w) or math.inf)
        parts = ([(title, at)] if len(at) <= MAX_BARS or len(ws) < 2 else
                 [(f'{title}, {pa.w_words(w)}', [r for r in at if r['workers'] == w])
                  for w in ws])
        for t, part in parts:
            k = math.ceil(len(part) / MAX_BARS)
            size = math.ceil(len(part) / k)
            for i in range(k):
                out.append((t + (f' ({i + 1} of {k})' if k > 1 else ''),
                            part[i * size:(i + 1) * size]))
    return out


def value_panel(ax, ys, vals, lo, hi, colors, fmt, log, marks=(), ref=None):
    """Horizontal bars of vals (None: no bar) with whiskers lo..hi, each labelled with its
    value at its end, black ticks at marks [(y, value)], a dashed line at ref; the axis
    logarithmic when log. Leaves room on the right for the labels."""
    idx = [i for i, v in enumerate(vals) if v is not None]
    if not idx:
        return
    py, pv = [ys[i] for i in idx], [vals[i] for i in idx]
    err = None
    if any(lo[i] is not None or hi[i] is not None for i in idx):
        err = [[max(vals[i] - lo[i], 0) if lo[i] is not None else 0 for i in idx],
               [max(hi[i] - vals[i], 0) if hi[i] is not None else 0 for i in idx]]
    left = 0
    ends = [v + (err[1][i] if err else 0) for i, v in enumerate(pv)]
    ends += [m for _, m in marks] + ([ref] if ref else [])
    positive = [v for v in pv + [m for _, m in marks] if v > 0]
    if log and positive:
        left = min(positive) / 2.5
    ax.barh(py, [v if v > 0 or not log else left for v in pv], left=0 if not log else None,
            color=[colors[i] for i in idx], xerr=err, capsize=3, ecolor='#333333',
            height=0.7)
    if marks:
        ax.scatter([m for _, m in marks], [y for y, _ in marks], marker='|', s=260,
                   color='black', zorder=3, label='ideal')
    if ref:
        ax.axvline(ref, color='#555555', lw=0.8, ls='--')
    top = max(ends) or 1  # all 0 (no order lost): an axis up to 1
    mark = dict(marks)
    for y, v, end in zip(py, pv, ends):
        end = max(end, mark.get(y, 0))  # past the ideal's tick, not over it
        ax.text(end * 1.08 if log else end + top * 0.02, y, fmt(v), va='center', fontsize=9)
    if log:
        ax.set_xlim(left, top * 6)
        pa.log_axis(ax, 'x', fmt)
    else:
        ax.set_xlim(min(0, min(pv) * 1.28), top * 1.28)
        pa.linear_axis(ax, 'x', fmt)


def wall_panel(ax, rows, ys, colors, log):
    med = [num(r, 'median_s') for r in rows]
    value_panel(ax, ys, med, [num(r, 'min_s') for r in rows], [num(r, 'max_s') for r in rows],
                colors, pa.fmt_time, log,
                marks=[(y, num(r, 'ideal_s')) for y, r in zip(ys, rows) if num(r, 'ideal_s')])
    for y, r, m in zip(ys, rows, med):
        if m is None:
            ax.text(0.01, y, f"no ok trial ({r['outcomes'] or 'none'})", va='center',
                    fontsize=9, color='#aa0000', transform=ax.get_yaxis_transform())
    ax.set_xlabel('median wall (whiskers: min to max; tick: ideal)')


def speedup_panel(ax, rows, ys, colors):
    sp = [num(r, 'speedup') for r in rows]
    # the bar is the ratio of medians; the whiskers the 95% interval of the paired
    # ratios, where the run had pairs enough for one
    ideal = []
    for y, r, s in zip(ys, rows, sp):
        m, i = num(r, 'median_s'), num(r, 'ideal_s')
        if s and m and i:
            ideal.append((y, m * s / i))
    value_panel(ax, ys, sp, [num(r, 'speedup_lo') for r in rows],
                [num(r, 'speedup_hi') for r in rows], colors, pa.fmt_times, False,
                marks=ideal, ref=1)
    ax.set_xlabel('dashed: 1x; whiskers: 95%; tick: ideal')


def bar_colors(rows, every):
    """The model's colour for each cell, each W of a model in its own shade (as in a
    sweep), counted over every cell of the figure."""
    ws = {}
    for r in sorted(every, key=lambda r: int(r['workers']) or math.inf):
        ws.setdefault(r['runner'], [])
        if r['workers'] not in ws[r['runner']]:
            ws[r['runner']].append(r['workers'])
    return [pa.shade(pa.color(r['runner']), ws[r['runner']].index(r['workers']))
            for r in rows]


def wants_log(values):
    v = [x for x in values if x and x > 0]
    return bool(v) and max(v) / min(v) > 30


# The metrics a workload exists to show, a panel each beside the wall: (column, what it
# says, its unit). A race or a stall is a measured result, not a failed trial.
OUTCOMES = {
    'stall': [('stall_s', 'how late the sleepers end', 'time')],
    'bank': [('lost_updates', 'updates lost to the race', 'count')],
    'queue': [('taken_twice', 'orders taken twice', 'count'),
              ('missing', 'orders missing', 'count')],
    'deadlock': [('backoffs', 'acquires that timed out', 'count')],
}
UNITS = {'time': pa.fmt_time, 'count': pa.fmt_count}


def outcomes(workload, rows):
    """The workload's metric panels that hold a value in rows."""
    return [m for m in OUTCOMES.get(workload, [])
            if any(num(r, m[0]) is not None for r in rows)]


def outcome_panel(ax, rows, ys, colors, metric):
    col, what, unit = metric
    vals = [num(r, col) for r in rows]
    value_panel(ax, ys, vals, [None] * len(rows), [None] * len(rows), colors, UNITS[unit],
                False)
    ax.set_xlabel(f'{col}, median of the trials')


def bars(plt, e, meta):
    """The wall (and speed-up, and the workload's own outcomes) of every cell of e:
    [(name, figure)]."""
    hosts = hosts_of(e.rows)
    rows = sorted(e.rows, key=cell_order(hosts))
    panels = facets(rows)
    log = wants_log([num(r, 'median_s') for r in rows] + [num(r, 'max_s') for r in rows])
    metrics = outcomes(e.workload, rows)
    answer = (outcomes_answer(rows, metrics) if metrics else '') or bars_answer(rows)
    if sum(len(p) for _, p in panels) <= MAX_FIGURE_BARS:
        return [(e.name, bars_figure(plt, panels, hosts, meta, answer, e.title, log,
                                     metrics))]
    # too many for one figure: a figure per panel, named by it (NAME-1k-tasks-W=2)
    return [(f"{e.name}-{re.sub(r'[^A-Za-z0-9=.]+', '-', t[4:]).strip('-')}",
             bars_figure(plt, [(t, p)], hosts, meta, answer, e.title, log, metrics))
            for t, p in panels]


def bars_figure(plt, panels, hosts, meta, answer, title, log, metrics=()):
    """A row of panels per facet: the wall, then the speed-up and the workload's outcomes
    where the facet has them (a facet with none: the wall across the row)."""
    heights = [0.9 + 0.36 * len(p) for _, p in panels]
    h = head_in(answer, title) + foot_in(meta) + sum(heights) + 0.3
    fig = figure(plt, h)
    bottom, top = frame(fig, meta, answer, title)
    extra = ([('speed-up over serial', has_speedup, speedup_panel, pa.fmt_times)]
             if any(has_speedup(p) for _, p in panels) else [])
    for m in metrics:
        extra.append((m[1], lambda p, m=m: bool(outcomes_of(m, p)),
                      lambda ax, p, ys, c, m=m: outcome_panel(ax, p, ys, c, m), UNITS[m[2]]))
    gs = fig.add_gridspec(len(panels), 1 + len(extra), height_ratios=heights,
                          width_ratios=(1.4,) + (1,) * len(extra) if extra else None)
    columns = [[] for _ in range(1 + len(extra))]
    rows_all = [r for _, p in panels for r in p]
    for i, (t, p) in enumerate(panels):
        ys = list(range(len(p)))
        colors = bar_colors(p, rows_all)
        here = [j for j, x in enumerate(extra, 1) if x[1](p)]
        ax = fig.add_subplot(gs[i, 0] if here else gs[i, :])
        wall_panel(ax, p, ys, colors, log)
        columns[0].append((i, ax))
        ax.set_yticks(ys)
        ax.set_yticklabels([bar_label(r, hosts) for r in p], fontsize=9)
        ax.set_ylim(len(p) - 0.5, -0.5)  # the first cell on top
        ax.set_title(t, fontsize=10, loc='left')
        for j in here:
            what, _, draw, _ = extra[j - 1]
            ax2 = fig.add_subplot(gs[i, j], sharey=ax)
            draw(ax2, p, ys, colors)
            columns[j].append((i, ax2))
            ax2.tick_params(labelleft=False)
            ax2.set_title(what, fontsize=10, loc='left')
    # one x range for the panels of one N (split by W): their bars compare by eye
    for n in {p[0]['tasks'] for _, p in panels}:
        at = {i for i, (_, p) in enumerate(panels) if p[0]['tasks'] == n}
        same_x([ax for i, ax in columns[0] if i in at], log, pa.fmt_time)
        for j, x in enumerate(extra, 1):
            same_x([ax for i, ax in columns[j] if i in at], False, x[3])
    fig.tight_layout(rect=(0, bottom, 1, top))
    return fig


def outcomes_of(metric, rows):
    return [(num(r, metric[0]), r) for r in rows if num(r, metric[0]) is not None]


def outcomes_answer(rows, metrics):
    """The workload's outcomes in words: the cells grouped by value where few values
    repeat ('orders missing: 1 in threads, procs; 0 in serial'), else smallest first."""
    name = namer(rows)
    parts = []
    for m in metrics:
        vals = outcomes_of(m, rows)
        fmt = UNITS[m[2]]
        groups = {}
        for v, r in sorted(vals, key=lambda x: x[0]):
            groups.setdefault(v, []).append(name(r))
        if len(groups) == 1:
            said = f'{fmt(vals[0][0])} in all {len(vals)} cells'
        elif len(groups) <= 3:
            said = ', '.join(f"{fmt(v)} in {', '.join(ns)}" for v, ns in groups.items())
        else:
            said = ', '.join(f'{name(r)} {fmt(v)}' for v, r in
                             sorted(vals, key=lambda x: x[0])[:5])
        parts.append(f'{m[1]}: {said}')
    if not parts:
        return ''
    bad = failed(rows)  # a hang or a crash first: it is the answer then
    return (bad[2:] + '; ' if bad else '') + '; '.join(parts)


def same_x(axes, log, fmt):
    """One x range for the panels of a column, so their bars compare by eye."""
    if len(axes) < 2:
        return
    spans = [ax.get_xlim() for ax in axes]
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    for ax in axes:
        ax.set_xlim(lo, hi)
        if log:
            pa.log_axis(ax, 'x', fmt)
        else:
            pa.linear_axis(ax, 'x', fmt)


def bars_answer(rows):
    ok = [r for r in rows if num(r, 'median_s') is not None]
    if not ok:
        return 'no cell had an ok trial' + failed(rows)
    name = namer(rows)
    fastest = min(ok, key=lambda r: num(r, 'median_s'))
    parts = [f"fastest: {name(fastest)}, {pa.fmt_time(num(fastest, 'median_s'))}"]
    over = {}  # the speed-ups by baseline: serial for C, py-serial for Python
    for r in ok:
        base = r.get('baseline') or 'serial'
        if num(r, 'speedup') is not None and r['runner'] != base:
            over.setdefault(base, []).append((num(r, 'speedup'), r))
    for base, sp in over.items():
        sp.sort(key=lambda x: -x[0])
        parts.append(f'speed-up over {base}: ' + ', '.join(
            f'{name(r)} {pa.fmt_times(s)}' for s, r in sp[:4]) + (', …' if len(sp) > 4 else ''))
    if not over:
        slowest = max(ok, key=lambda r: num(r, 'median_s'))
        if slowest is not fastest:
            parts.append(f"slowest: {name(slowest)}, {pa.fmt_time(num(slowest, 'median_s'))}")
    return '; '.join(parts) + failed(rows)


# --- ping-pong: the price of one hand-off ------------------------------------------------

def hand_offs(plt, e, meta):
    """ns per hand-off of every cell on a log axis, a panel per N: [(name, figure)]."""
    hosts = hosts_of(e.rows)
    rows = sorted(e.rows, key=cell_order(hosts))
    panels = facets(rows)
    answer = hand_offs_answer(rows)
    heights = [0.9 + 0.36 * len(p) for _, p in panels]
    fig = figure(plt, head_in(answer, e.title) + foot_in(meta) + sum(heights) + 0.3)
    bottom, top = frame(fig, meta, answer, e.title)
    gs = fig.add_gridspec(len(panels), 1, height_ratios=heights)
    for i, (t, p) in enumerate(panels):
        ys = list(range(len(p)))
        ax = fig.add_subplot(gs[i, 0])
        secs, lo, hi = [], [], []
        for r in p:
            ns, m = num(r, 'ns_per_switch'), num(r, 'median_s')
            s = ns * 1e-9 if ns else None
            secs.append(s)
            # the spread of the trials, carried over from their wall times
            lo.append(s * num(r, 'min_s') / m if s and m and num(r, 'min_s') else None)
            hi.append(s * num(r, 'max_s') / m if s and m and num(r, 'max_s') else None)
        value_panel(ax, ys, secs, lo, hi, bar_colors(p, rows), pa.fmt_time,
                    True)
        ax.set_yticks(ys)
        ax.set_yticklabels([bar_label(r, hosts) for r in p], fontsize=9)
        ax.set_ylim(len(p) - 0.5, -0.5)
        pairs = int(p[0]['tasks']) // 2
        ax.set_title(f"{t}: {pairs} pair{'s' if pairs > 1 else ''} handing a token back "
                     'and forth', fontsize=10, loc='left')
        ax.set_xlabel('time per hand-off, median (log; whiskers: min to max)')
    fig.tight_layout(rect=(0, bottom, 1, top))
    return [(e.name, fig)]


def hand_offs_answer(rows):
    ok = sorted((r for r in rows if num(r, 'ns_per_switch')),
                key=lambda r: num(r, 'ns_per_switch'))
    if not ok:
        return 'no hand-off was timed' + failed(rows)
    name = namer(rows)

    def t(r):
        return pa.fmt_time(num(r, 'ns_per_switch') * 1e-9)
    text = f'{name(ok[0])}: {t(ok[0])} per hand-off'
    if len(ok) > 1:
        text += f', {name(ok[1])} {t(ok[1])}'
    if len(ok) > 2:
        ratio = num(ok[-1], 'ns_per_switch') / num(ok[0], 'ns_per_switch')
        text += f'; {name(ok[-1])} {t(ok[-1])} ({pa.fmt_times(ratio)} {name(ok[0])})'
    return text + failed(rows)


# --- a sweep over N ----------------------------------------------------------------------

def series(rows):
    """{(runner, W, host): rows by N}: one line per model, W and machine (a cell alone
    is a point)."""
    by = {}
    for r in sorted(rows, key=cell_order(hosts_of(rows))):
        by.setdefault((r['runner'], r['workers'], r.get('host_id', '')), []).append(r)
    return {k: sorted(v, key=lambda r: int(r['tasks'])) for k, v in by.items()}


def sweeps(rows):
    return any(len(v) > 1 for v in series(rows).values())


def points(rows, key, per_task=False):
    pts = []
    for r in rows:
        v = num(r, key)
        if v is not None and per_task:
            v /= int(r['tasks'])
        if v is not None and v > 0:
            pts.append((int(r['tasks']), v))
    return [p[0] for p in pts], [p[1] for p in pts]


SWEEP_PANELS = (
    # (column, title, y label, unit)
    ('median_s', 'median wall vs N (dashed: ideal)', 'wall time', 'time'),
    ('overhead_per_task_s', 'overhead above ideal per task vs N\n'
     '(dotted: the bare floor per task)', 'overhead per task', 'time'),
    ('rss_per_task_b', 'peak RSS per task vs N', 'RSS per task', 'bytes'),
)


def styles(ser):
    """{key: (colour, marker, line style, label)} with every W of a model its own look."""
    hosts = list(dict.fromkeys(k[2] for k in ser))
    out = {}
    for runner, w, host in ser:
        ws = list(dict.fromkeys(k[1] for k in ser if k[0] == runner))
        c, m, ls = pa.series_style(runner, ws.index(w), hosts.index(host), len(hosts))
        label = f'{runner} {pa.w_words(w)}' + (f' {host}' if len(hosts) > 1 else '')
        out[(runner, w, host)] = (c, m, ls, label)
    return out


def sweep(plt, e, meta):
    ser = series(e.rows)
    look = styles(ser)
    panels = [p for p in SWEEP_PANELS
              if any(points(rs, p[0])[0] for rs in ser.values())]
    answer = sweep_answer(e.rows, ser)
    ncol = legend_columns([v[3] for v in look.values()])
    legend_rows = math.ceil(len(ser) / ncol)
    h = head_in(answer, e.title) + foot_in(meta) + 4.2 + 0.25 * legend_rows + 0.2
    fig = figure(plt, h)
    bottom, top = frame(fig, meta, answer, e.title)
    axes = [fig.add_subplot(1, len(panels), i + 1) for i in range(len(panels))]
    for (runner, w, host), rs in ser.items():
        c, m, ls, lab = look[(runner, w, host)]
        for ax, (col, _, _, _) in zip(axes, panels):
            x, y = points(rs, col)
            ax.plot(x, y, marker=m, ls=ls if len(x) > 1 else 'none', color=c, label=lab,
                    ms=6)
            if col == 'median_s':
                ax.plot(*points(rs, 'ideal_s'), '--', color='black', lw=0.8)
            elif col == 'overhead_per_task_s':
                ax.plot(*points(rs, 'floor_s', per_task=True), ':', color=c)
    ns = e.tasks()
    for ax, (col, t, yl, unit) in zip(axes, panels):
        ax.set_title(t, fontsize=10)
        ax.set_xlabel('tasks N')
        ax.set_ylabel(yl)
        pa.log_axis(ax, 'x', pa.fmt_count, at=ns if len(ns) <= 9 else None)
        if unit == 'bytes':  # binary steps: 1 KiB, 4 KiB, not 1000 B
            pa.log_axis(ax, 'y', pa.fmt_bytes, binary=True)
        else:
            pa.log_axis(ax, 'y', pa.fmt_time)
    handles, labels = axes[0].get_legend_handles_labels()
    legend_in = 0.25 * legend_rows + 0.15
    fig.legend(handles, labels, loc='lower center', ncol=ncol, fontsize=9,
               bbox_to_anchor=(0.5, bottom), title='model and W (tasks in flight at once)',
               title_fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, bottom + (legend_in + 0.05) / h, 1, top))
    return [(f'{e.name}-sweep', fig)]


def legend_columns(labels):
    """As many legend columns as fit across the figure: about 6.5 px a character at 9 pt,
    50 px the mark and the gap; 5 at most."""
    longest = max(len(t) for t in labels)
    return max(1, min(5, len(labels), int(1100 // (6.5 * longest + 50))))


def sweep_answer(rows, ser):
    """The models that reach the largest N, cheapest first; the cheapest at the largest N
    most models reached, where that is another; the C models that stop short."""
    ok = [r for r in rows if num(r, 'median_s') is not None]
    if not ok:
        return 'no cell had an ok trial' + failed(rows)
    count = {}
    for r in ok:
        count[int(r['tasks'])] = count.get(int(r['tasks']), 0) + 1
    top = max(count)
    parts = [ranking(ok, top, 2)]
    busy = max(n for n, c in count.items() if c * 2 >= max(count.values()))
    if busy != top and count[busy] >= 3:
        parts.append(ranking(ok, busy, 3))
    short = set()
    for (runner, _, _), rs in ser.items():
        done = [int(r['tasks']) for r in rs if num(r, 'median_s') is not None]
        if runner in cr.RUNNER_ORDER and len(rs) > 1 and done and max(done) < top:
            short.add((max(done), runner))
    short = sorted(short, reverse=True)[:3]
    if short:
        parts.append(', '.join((f'{r} stops at {pa.fmt_count(n)}' if i == 0 else
                                f'{r} at {pa.fmt_count(n)}')
                               for i, (n, r) in enumerate(short)))
    return '; '.join(parts) + failed(rows)


def ranking(ok, n, k):
    """The k cheapest cells at N=n by overhead per task (by wall where it has none):
    'evloop: 59 ns per task above ideal at N=1M, green 719 ns'."""
    at = [r for r in ok if int(r['tasks']) == n]

    def cost(r):
        o = num(r, 'overhead_per_task_s')
        return (0, o) if o is not None and o > 0 else (1, num(r, 'median_s'))
    at.sort(key=cost)
    name = namer(at)  # N is said once, after the first
    kind, v = cost(at[0])
    what = 'per task above ideal' if kind == 0 else f'for {pa.fmt_count(n)} tasks'
    text = f'{name(at[0])}: {pa.fmt_time(v)} {what} at N={pa.fmt_count(n)}'
    for r in at[1:k]:
        text += f', {name(r)} {pa.fmt_time(cost(r)[1])}'
    return text


# --- a sweep over a workload's parameter (-p KEY=A,B,C) ---------------------------------

def param_sweeps(exps):
    """(name, key, [(value, Experiment)] by value) for each preset's workload whose
    experiments differ in one numeric parameter alone."""
    by = {}
    for e in exps:
        by.setdefault((e.preset, e.workload), []).append(e)
    for (preset, workload), group in by.items():
        if len(group) < 2:
            continue
        every = [dict(params_of(e.params)) for e in group]
        differ = sorted({k for p in every for k in p if len({q.get(k) for q in every}) > 1})
        if len(differ) != 1:
            continue
        key = differ[0]
        try:
            values = [float(p[key]) for p in every]
        except (KeyError, ValueError):
            continue
        name = '-'.join(x for x in (preset, workload, key) if x)
        yield safe(name), key, sorted(zip(values, group), key=lambda x: x[0])


def param_sweep(plt, name, key, points_by, meta):
    """The median wall against the parameter's value, one line per model, W, N and
    machine; log-log where the values span ten times or more."""
    lines = {}
    for value, e in points_by:
        for r in e.rows:
            k = (r['runner'], r['workers'], int(r['tasks']), r.get('host_id', ''))
            if num(r, 'median_s') is not None:
                lines.setdefault(k, []).append((value, num(r, 'median_s')))
    if not any(len(v) > 1 for v in lines.values()):
        return []
    many_n = len({k[2] for k in lines}) > 1
    hosts = list(dict.fromkeys(k[3] for k in lines))
    e0 = points_by[0][1]
    values = [v for v, _ in points_by]
    title = ((f'{e0.preset}: ' if e0.preset else '') + f'{e0.workload} over {key} = ' +
             ', '.join(exact_words(_short_value(v)) for v in values))
    answer = param_answer(key, lines, namer_of_keys(lines, many_n))
    ncol = legend_columns([f'{k[0]} W=all N=1000 {k[3]}' for k in lines])
    legend_rows = math.ceil(len(lines) / ncol)
    h = head_in(answer, title) + foot_in(meta) + 4.2 + 0.25 * legend_rows + 0.3
    fig = figure(plt, h)
    bottom, top = frame(fig, meta, answer, title)
    ax = fig.add_subplot(1, 1, 1)
    variants = {}
    for k in sorted(lines, key=lambda k: (cr.runner_rank(k[0]), k[0], k[2], k[1])):
        variants.setdefault(k[0], []).append(k)
        c, m, ls = pa.series_style(k[0], variants[k[0]].index(k), hosts.index(k[3]),
                                   len(hosts))
        pts = sorted(lines[k])
        label = f'{k[0]} {pa.w_words(k[1])}' + (f' N={pa.fmt_count(k[2])}' if many_n else '') \
            + (f' {k[3]}' if len(hosts) > 1 else '')
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=m, ls=ls, color=c,
                label=label, ms=6)
    ax.set_xlabel(f'{key} ({e0.workload})')
    ax.set_ylabel('median wall time')
    if max(values) >= 10 * min(values) > 0:
        pa.log_axis(ax, 'x', pa.fmt_count, at=values if len(values) <= 9 else None)
    else:
        ax.set_xticks(values)
        ax.xaxis.set_major_formatter(_fixed_formatter(pa.fmt_count))
    pa.log_axis(ax, 'y', pa.fmt_time)
    handles, labels = ax.get_legend_handles_labels()
    legend_in = 0.25 * legend_rows + 0.15
    fig.legend(handles, labels, loc='lower center', ncol=ncol, fontsize=9,
               bbox_to_anchor=(0.5, bottom), title='model and W', title_fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, bottom + (legend_in + 0.05) / h, 1, top))
    return [(f'{name}-sweep', fig)]


def _short_value(v):
    return str(int(v)) if v == int(v) else f'{v:g}'


def _fixed_formatter(fmt):
    from matplotlib import ticker
    return ticker.FuncFormatter(lambda v, _: fmt(v))


def namer_of_keys(lines, many_n):
    ws = {}
    for k in lines:
        ws.setdefault(k[0], set()).add(k[1])
    hosts = {k[3] for k in lines}

    def name(k):
        text = k[0] + (' ' + pa.w_words(k[1]) if len(ws[k[0]]) > 1 else '')
        text += f' at N={pa.fmt_count(k[2])}' if many_n else ''
        return text + (f' on {k[3]}' if len(hosts) > 1 else '')
    return name


def param_answer(key, lines, name):
    """How the wall grows with the parameter: the exponent b of wall ~ key^b between the
    first and last value of each line, the smallest and the largest."""
    slopes = []
    for k, pts in lines.items():
        pts = sorted(pts)
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        if len(pts) > 1 and x0 > 0 and x1 > x0 and y0 > 0 and y1 > 0:
            slopes.append((math.log(y1 / y0) / math.log(x1 / x0), k, x0, x1))
    if not slopes:
        return f'the wall against {key}'
    slopes.sort(key=lambda x: x[0])
    lo, hi = slopes[0], slopes[-1]
    text = f'wall grows as {key}^{lo[0]:.2f} in {name(lo[1])}'
    if hi is not lo and f'{hi[0]:.2f}' != f'{lo[0]:.2f}':
        text += f' … {key}^{hi[0]:.2f} in {name(hi[1])}'
    x0, x1 = min(s[2] for s in slopes), max(s[3] for s in slopes)
    return text + f'; from {key}={pa.fmt_count(x0)} to {pa.fmt_count(x1)} (1.00: in step)'


# --- several machines --------------------------------------------------------------------

def machines(plt, e, meta):
    """The models x machines view of a merged set: per cell, one bar per machine of its
    speed-up over serial and of its overhead over the floor, side by side (seconds do
    not compare across machines; these ratios do). Panels only for what the set has; a
    row of them per N, at most MAX_BARS bars a panel."""
    hosts = hosts_of(e.rows)
    if len(hosts) < 2:
        return []
    cells = {}
    for r in e.rows:
        key = (int(r['tasks']), cr.runner_rank(r['runner']), r['runner'],
               -cr.effective_workers(r), r['workers'])
        cells.setdefault(key, {})[r.get('host_id', '')] = r
    cols = [c for c in (('speedup', 'speed-up over serial (dashed: 1x; whiskers: 95%)'),
                        ('overhead_vs_floor', 'overhead above ideal / the bare floor'))
            if any(num(r, c[0]) is not None for by in cells.values() for r in by.values())]
    if not cols:
        return []
    per_panel = max(1, MAX_BARS // len(hosts))
    rows = []  # [(title, keys)]
    for n in sorted({k[0] for k in cells}):
        keys = sorted(k for k in cells if k[0] == n)
        parts = math.ceil(len(keys) / per_panel)
        size = math.ceil(len(keys) / parts)
        for i in range(parts):
            rows.append((tasks_words(n) +
                         (f' ({i + 1} of {parts})' if parts > 1 else ''),
                         keys[i * size:(i + 1) * size]))
    answer = machines_answer(cells, hosts)
    heights = [0.9 + (0.2 * len(hosts) + 0.12) * len(keys) for _, keys in rows]
    legend_in = 0.5
    h = head_in(answer, e.title) + foot_in(meta) + sum(heights) + legend_in + 0.3
    fig = figure(plt, h)
    bottom, top = frame(fig, meta, answer, e.title)
    gs = fig.add_gridspec(len(rows), len(cols), height_ratios=heights)
    width = 0.8 / len(hosts)
    columns = [[] for _ in cols]
    for i, (t, keys) in enumerate(rows):
        first = None
        for j, (col, what) in enumerate(cols):
            ax = fig.add_subplot(gs[i, j], sharey=first)
            first = first or ax
            columns[j].append(ax)
            machine_bars(ax, col, keys, cells, hosts, width)
            ax.set_yticks(range(len(keys)))
            ax.set_yticklabels([f'{k[2]} {pa.w_words(k[4])}' for k in keys], fontsize=9)
            ax.set_ylim(len(keys) - 0.5, -0.5)
            ax.set_xlabel(what)
            if col == 'speedup':
                ax.axvline(1, color='#555555', lw=0.8, ls='--')
            if j:
                ax.tick_params(labelleft=False)
            else:
                ax.set_title(t, fontsize=10, loc='left')
    for column in columns:
        for ax in column:
            ax.set_xlim(0, None)
            pa.linear_axis(ax, 'x', pa.fmt_times)
    from matplotlib.patches import Patch
    handles = [Patch(color=pa.HOST_COLORS[i % len(pa.HOST_COLORS)]) for i in range(len(hosts))]
    fig.legend(handles, hosts, loc='lower center', ncol=min(4, len(hosts)), fontsize=9,
               bbox_to_anchor=(0.5, bottom), title='machine', title_fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, bottom + legend_in / h, 1, top))
    return [(f'{e.name}-machines', fig)]


def machine_bars(ax, col, keys, cells, hosts, width):
    """One bar per machine for each cell of keys, with its 95% whiskers for a speed-up."""
    for hi, host in enumerate(hosts):
        ys, vs, lo, up = [], [], [], []
        for i, k in enumerate(keys):
            r = cells[k].get(host)
            v = num(r, col) if r else None
            if v is None:
                continue
            ys.append(i - 0.4 + width * (hi + 0.5))
            vs.append(v)
            low = num(r, col + '_lo') if col == 'speedup' else None
            high = num(r, col + '_hi') if col == 'speedup' else None
            lo.append(max(v - low, 0) if low is not None else 0)
            up.append(max(high - v, 0) if high is not None else 0)
        if ys:
            ax.barh(ys, vs, width, color=pa.HOST_COLORS[hi % len(pa.HOST_COLORS)],
                    xerr=[lo, up] if any(lo) or any(up) else None, capsize=2,
                    ecolor='#333333')


def machines_answer(cells, hosts):
    """How far apart the machines' speed-ups are, at the widest."""
    gaps = []
    for (n, _, runner, _, w), by in cells.items():
        sp = {h: num(r, 'speedup') for h, r in by.items() if num(r, 'speedup') is not None}
        if len(sp) > 1 and runner != 'serial':
            lo, hi = min(sp, key=sp.get), max(sp, key=sp.get)
            gaps.append((sp[hi] / sp[lo] if sp[lo] > 0 else math.inf, n, runner, w, hi,
                         sp[hi], lo, sp[lo]))
    if not gaps:
        return f'{len(hosts)} machines: ' + ', '.join(hosts)
    ratio, n, runner, w, hi, shi, lo, slo = max(gaps)
    if pa.fmt_times(shi) == pa.fmt_times(slo):
        return f'{len(hosts)} machines, the same speed-ups over serial on each'
    return (f'{len(hosts)} machines; the widest gap: {runner} {pa.w_words(w)} at '
            f'N={pa.fmt_count(n)}, {pa.fmt_times(shi)} over serial on {hi}, '
            f'{pa.fmt_times(slo)} on {lo}')


# --- the run -----------------------------------------------------------------------------

def figures(plt, summary, meta, titles=None):
    """(name, figure) of every question the run holds, one at a time: the caller closes
    each before the next is drawn."""
    titles = cr.read_presets() if titles is None else titles
    exps = experiments(summary, titles, scale_of(meta))
    drawn = yield from plotcrossover.figures(plt, exps, meta, titles)  # mix at several shares
    exps = [e for e in exps if e not in drawn]
    for name, key, by_value in param_sweeps(exps):
        yield from param_sweep(plt, name, key, by_value, meta)
    for e in exps:
        if e.workload == 'pingpong' and any(num(r, 'ns_per_switch') for r in e.rows):
            yield from hand_offs(plt, e, meta)
        elif sweeps(e.rows):
            yield from sweep(plt, e, meta)
        else:
            yield from bars(plt, e, meta)
        yield from machines(plt, e, meta)


def default_run():
    """results/latest, said as the user would type it."""
    return os.path.join(cr.TREE, DEFAULT_RUN)


def load(args):
    """(summary, meta, out folder) of the run asked for; errors name what the user gave,
    or the default, saying it is one."""
    run = args.run
    if run is None:
        run = default_run()
        if not os.path.exists(run):
            raise ResultsError(f'no run given, and the default {DEFAULT_RUN} is not there '
                               '(`ninja -C build bench` makes it; or name a run: a file of '
                               'it, its folder or its run id)')
    elif not os.path.exists(run) and not cr.RUN_ID.fullmatch(run) and not any(
            os.path.exists(p) for p in cr.run_paths(run)):
        raise ResultsError(f'{run}: no such file or folder (a run is named by a file of it, '
                           'its folder or its run id)')
    out = args.out
    cr.check_out(out)
    try:
        _, summary, meta, _ = cr.load_run(run, need_trials=False)
    except ResultsError as err:
        if args.run is None:
            raise ResultsError(f'{err} (reading the default run, {DEFAULT_RUN})') from None
        raise
    return summary, meta, out


def main(argv=None):
    """Every image of the run is rendered before any is written, then all are written
    whole or none: a bad run or a failed write replaces no image."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        summary, meta, out = load(args)
    except ResultsError as e:
        return cr.refuse('plot', e)
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('plot: matplotlib is missing for this Python; get it with '
              '`apt-get install python3-matplotlib` (nothing written)')
        return 0
    try:
        images = rendered(plt, figures(plt, summary, meta), out)
        cr.write_outputs(images)
    except (cr.WriteError, ResultsError) as e:
        return cr.refuse('plot', e)
    print(f'plot: wrote {len(images)} files in {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
