"""scripts/plot (meson test --suite unit): every kind of figure drawn from tiny real runs
(ping-pong, a sweep over N with floors, a sweep over N and W, CPU bars, bars crowded
past a panel, HTTP from the local server, the crossover preset) and from the committed run of `ninja bench`
(results/readme), with matplotlib's warnings as errors. Each figure: no two tick labels
of an axis, no two bar labels and no heading lines overlap, every label inside its
axes and the figure; 1200 px wide, no text under 8 pt; log ticks in plain units; names
and headings in words; the answer in the heading computed from the data. And the
script: the default run results/latest, and errors naming what the user gave. TAP.

usage: test_plot.py CONCBENCH"""

import math
import os
import re
import shutil
import struct
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import cbresults as cr  # noqa: E402
import tap  # noqa: E402
from tap import attempt, note, report  # noqa: E402

PY = '/usr/bin/python3'
README_RUN = os.path.join(cr.TREE, 'results', 'readme', 'bench.csv')
QUICK = ['--repeat', '2', '--warmup', '0', '-q']
# name: (concbench arguments, the figures it must give)
FIXTURES = {
    'switch': (['--preset', 'switch', '--scale', '0.02', '--no-floors'], ['switch']),
    'sleep': (['-w', 'sleep', '-p', 'sleep.ms=5', '-n', '1,10,40', '-j', '0',
               '-r', 'serial,threads,evloop,green'], ['sleep-5ms-sweep']),
    'workers': (['-w', 'sleep', '-p', 'sleep.ms=5', '-n', '4,16', '-j', '0,2',
                 '-r', 'threads,green', '--no-floors'], ['sleep-5ms-sweep']),
    'cpu': (['-w', 'countdown,power', '-p', 'countdown.n=2000000', '-p', 'power.exp=3000',
             '-n', '4', '-r', 'serial,threads,procs,evloop,green', '--no-floors'],
            ['countdown-2M', 'power-7777^3k']),
    'crowded': (['-w', 'countdown', '-p', 'countdown.n=100000', '-n', '6', '-j', '0,1,2,3',
                 '-r', 'serial,threads,procs,evloop,green', '--no-floors'],
                ['countdown-100k']),
    'http': (['-w', 'http', '-p', 'http.delay_ms=2', '-n', '8,32', '-r', 'threads,evloop',
              '--no-floors'], ['http-2ms-sweep']),
    'crossover': (['--preset', 'crossover', '-r', 'serial,threads,procs,evloop,green',
                   '-n', '10,1000', '--scale', '0.02', '--no-floors'], ['crossover']),
}
ARTICLES_RUN = os.path.join(cr.TREE, 'results', 'readme', 'articles', 'run.csv')
ARTICLES_FIGURES = [
    'a-cpu-10x7777^20k', 'a-cpu-10x7777^400k', 'a-io', 'b1-countdown-2x25M',
    'b1-countdown-2x600M', 'b1-countdown-procs-5x10M', 'b1-countdown-procs-5x240M',
    'b2-sleep', 'b3-urls', 'b4-waits', 'b5-bank', 'b5-bank-locked', 'b6-deadlock',
    'b6-deadlock-timeout', 'burgers', 'c-burgers-mixed', 'c-staff-locked', 'c-staff-race',
    'd-memory-procs-sweep', 'd-memory-sweep', 'd-parallel', 'd-stall', 'd-switch',
    'd-wait-10k']
CROSSOVER_RUN = os.path.join(cr.TREE, 'results', 'readme', 'crossover.csv')
README_FIGURES = ['cpu-countdown-10x50M', 'cpu-power-10x7777^200k', 'waiting-sweep',
                  'http-sweep', 'switch']
NOT_PLAIN = re.compile(r'\$|\\times|×|\de[+-]\d|\^\{')  # mathtext or exponents in a tick


def make_run(concbench, folder, name):
    args, _ = FIXTURES[name]
    out = os.path.join(folder, name, 'run.csv')
    os.makedirs(os.path.dirname(out))
    r = tap.run([concbench, *args, *QUICK, '-o', out], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'Bail out! concbench exited {r.returncode}: {r.stderr.strip()}')
    return out


# --- what a drawn figure must be --------------------------------------------------------

def shown_tick_labels(axis):
    """The major tick labels an axis shows: visible, not empty, inside its view."""
    lo, hi = sorted(axis.get_view_interval())
    locs = axis.get_majorticklocs()
    out = []
    for loc, tick in zip(locs, axis.get_major_ticks(len(locs))):
        lab = tick.label1
        inside = lo - abs(lo) * 1e-9 <= loc <= hi + abs(hi) * 1e-9
        if inside and lab.get_visible() and lab.get_text():
            out.append(lab)
    return out


def overlapping(texts, renderer):
    """The first pair of texts whose drawn boxes overlap (by more than half a pixel)."""
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(1, 1)) for t in texts]
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if (min(ba.x1, bb.x1) - max(ba.x0, bb.x0) > 0.5 and
                    min(ba.y1, bb.y1) - max(ba.y0, bb.y0) > 0.5):
                return f'{a!r} overlaps {b!r}'
    return ''


def inside(box, frame, slack=1.0):
    return (box.x0 >= frame.x0 - slack and box.x1 <= frame.x1 + slack and
            box.y0 >= frame.y0 - slack and box.y1 <= frame.y1 + slack)


def figure_faults(fig):
    """Why a drawn figure reads badly, or ''."""
    from matplotlib.text import Text
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for ax in fig.axes:
        for which, axis in (('x', ax.xaxis), ('y', ax.yaxis)):
            labels = shown_tick_labels(axis)
            why = overlapping(labels, r)
            if why:
                return f'{which} tick labels: {why}'
            for lab in labels:
                if NOT_PLAIN.search(lab.get_text()):
                    return f'{which} tick label not plain: {lab.get_text()!r}'
            if axis.get_scale() == 'log' and len(labels) < 2:
                return f'a log {which} axis with {len(labels)} labelled tick'
        why = overlapping(ax.texts, r)
        if why:
            return f'bar labels: {why}'
        for t in ax.texts:
            if not inside(t.get_window_extent(r), ax.bbox):
                return f'bar label {t.get_text()!r} outside its axes'
    names = [t for ax in fig.axes for t in (ax.xaxis.label, ax.yaxis.label, ax.title,
                                            ax._left_title) if t.get_text()]
    why = overlapping(names, r)
    if why:
        return f'axis labels or panel titles: {why}'
    heads = [t for t in fig.texts if t.get_text()]
    why = overlapping(heads, r)
    if why:
        return f'heading: {why}'
    boxes = [ax.get_tightbbox(r) for ax in fig.axes]
    for t in heads + [lg for lg in fig.legends]:
        box = t.get_window_extent(r)
        if not inside(box, fig.bbox):
            return f'{t} outside the figure'
        for b in boxes:
            if box.overlaps(b) and min(box.y1, b.y1) - max(box.y0, b.y0) > 1:
                return f'{getattr(t, "get_text", lambda: "the legend")()!r} overlaps an axes'
    for b in boxes:
        if not inside(b, fig.bbox):
            return 'an axes reaches outside the figure'
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text() and t.get_fontsize() < 8:
            return f'{t.get_text()!r} at {t.get_fontsize()} pt, under 8'
    for t in heads:
        text = t.get_text()
        if ';url' in text or text.rstrip().endswith(('=', ';')):
            return f'a heading with raw params: {text!r}'
    return ''


def png_width(data):
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    return struct.unpack('>I', data[16:20])[0]


def drawn(run):
    """({name: figure}, {path: bytes}) of a run, drawn and rendered with every warning
    an error (matplotlib's tight-layout warnings too)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import plot
    _, summary, meta, _ = cr.load_run(run, need_trials=False)
    names, faults, images = [], {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for name, fig in plot.figures(plt, summary, meta):
            names.append(name)
            faults[name] = figure_faults(fig)
            images.update(plot.rendered(plt, [(name, fig)], 'out'))
    return names, faults, images, summary


def check_figures(run, want):
    names, faults, images, _ = drawn(run)
    if sorted(names) != sorted(want):
        return f'figures {sorted(names)}, want {sorted(want)}'
    bad = {n: f for n, f in faults.items() if f}
    if bad:
        return f'{bad}'
    for path, data in images.items():
        if path.endswith('.png') and png_width(data) != 1200:
            return f'{path}: {png_width(data)} px wide, not 1200'
    for n in names:
        if re.search(r'-\d+$', n) or not re.fullmatch(r'[A-Za-z0-9^.+=_-]+', n):
            return f'a name not in words: {n!r}'
    return ''


# --- what each kind of figure shows -----------------------------------------------------

def figures_of(run, keep=None):
    """({name: figure} of the run, those named in keep only), the summary, pyplot; the
    figures of an earlier check closed first."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import plot
    plt.close('all')
    _, summary, meta, _ = cr.load_run(run, need_trials=False)
    figs = {}
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for name, fig in plot.figures(plt, summary, meta):
            if keep is None or name in keep:
                figs[name] = fig
            else:
                plt.close(fig)
    return figs, summary, plt


def heading(fig):
    return fig.texts[0].get_text().replace('\n', ' ')


def switch_shows_hand_offs(run):
    """ns per hand-off on a log axis, one bar per model at its value; the cheapest named
    first in the heading."""
    figs, summary, plt = figures_of(run)
    fig = figs['switch']
    ax = fig.axes[0]
    if len(fig.axes) != 1 or ax.get_xscale() != 'log':
        return f'{len(fig.axes)} axes, x scale {ax.get_xscale()}'
    widths = sorted(p.get_width() * 1e9 for p in ax.patches)
    want = sorted(float(r['ns_per_switch']) for r in summary)
    if len(widths) != len(want) or not all(math.isclose(a, b, rel_tol=1e-9)
                                           for a, b in zip(widths, want)):
        return f'bars {widths} ns, ns_per_switch {want}'
    cheapest = min(summary, key=lambda r: float(r['ns_per_switch']))['runner']
    head = heading(fig)
    plt.close('all')
    return '' if head.startswith(f'{cheapest}: ') and 'per hand-off' in head else head


def workers_styled_apart(run):
    """Each W of a model its own colour, marker and line, and a legend that says W."""
    figs, _, plt = figures_of(run)
    fig = figs['sleep-5ms-sweep']
    lines = [ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith('_')]
    looks = {(ln.get_color(), ln.get_marker(), ln.get_linestyle()) for ln in lines}
    labels = sorted(t.get_text() for t in fig.legends[0].get_texts())
    plt.close('all')
    want = ['green W=2', 'green W=all', 'threads W=2', 'threads W=all']
    if labels != want:
        return f'legend {labels}, want {want}'
    if len(looks) != 4:
        return f'{len(looks)} distinct looks for 4 series'
    colors = {}
    for ln in lines:
        colors.setdefault(ln.get_label().split()[0], set()).add(ln.get_color())
    return '' if all(len(c) == 2 for c in colors.values()) else f'colours {colors}'


def sweep_keeps_floors(run):
    """The sweep with floors: log-log wall, overhead and RSS panels, the ideal dashed and
    the floors dotted; the heading names a model at the largest N."""
    figs, summary, plt = figures_of(run)
    fig = figs['sleep-5ms-sweep']
    axes = fig.axes
    scales = [(a.get_xscale(), a.get_yscale()) for a in axes]
    ls = {ln.get_linestyle() for ln in axes[1].get_lines()}
    dashed = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == '--']
    rss = [t.get_text() for t in shown_tick_labels(axes[2].yaxis)] if len(axes) > 2 else []
    head = heading(fig)
    plt.close('all')
    if len(axes) != 3 or scales != [('log', 'log')] * 3:
        return f'{len(axes)} panels, scales {scales}'
    if ':' not in ls or not dashed:
        return 'no dotted floor or no dashed ideal'
    if not all(re.fullmatch(r'[\d.]+ (B|KiB|MiB)', t) for t in rss):
        return f'RSS ticks {rss}'
    return '' if re.match(r'(serial|threads|evloop|green): .* at N=40', head) else head


def speedup_only_where_one_is(cpu_run, http_run):
    """CPU bars: a speed-up panel beside the wall panel, a bar a cell at its speed-up;
    HTTP cells (no serial run): none."""
    figs, summary, plt = figures_of(cpu_run)
    for name, fig in figs.items():
        titles = [a.get_title(loc='left') for a in fig.axes]
        if titles.count('speed-up over serial') != 1:
            return f'{name}: panels {titles}'
        got = [p.get_width() for p in fig.axes[1].patches]
        want = [float(r['speedup']) for r in summary if name.startswith(r['workload'])]
        if len(got) != len(want) or not all(math.isclose(a, b, rel_tol=1e-9)
                                            for a, b in zip(got, want)):
            return f'{name}: speed-up bars {got}, the summary {want}'
    plt.close('all')
    figs, _, plt = figures_of(http_run)
    for name, fig in figs.items():
        if any('speed-up' in a.get_title(loc='left') + a.get_xlabel() for a in fig.axes):
            return f'{name}: a speed-up panel without a speed-up'
    plt.close('all')
    return ''


def crowded_split(run):
    """20 cells at one N: panels of at most 12 bars, every cell in one."""
    figs, summary, plt = figures_of(run)
    counts = []
    for fig in figs.values():
        for ax in fig.axes:
            if ax.get_title(loc='left').startswith('N = '):
                counts.append(len(ax.get_yticks()))
    plt.close('all')
    if sum(counts) != len(summary) or max(counts) > 12:
        return f'panels of {counts} bars for {len(summary)} cells'
    return more_than_a_figure(summary)


def more_than_a_figure(summary):
    """The cells made 50 (W = 1 ... 10 for each): more than a figure holds, so a figure
    per panel, named by its N and W, readable."""
    import copy
    import matplotlib.pyplot as plt
    import plot
    rows = []
    for w in range(1, 11):
        for r in summary:
            if r['runner'] != 'serial' and r['workers'] == '0':
                c = copy.copy(r)
                c['workers'] = str(w)
                rows.append(c)
    _, _, meta, _ = cr.load_run(README_RUN, need_trials=False)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        e = plot.experiments(rows, {})[0]
        figs = plot.bars(plt, e, meta)
        faults = {n: figure_faults(f) for n, f in figs}
    plt.close('all')
    names = [n for n, _ in figs]
    if len(names) != 10 or names[1] != f'{e.name}-6-tasks-W=2':
        return f'figures {names}'
    bad = {n: f for n, f in faults.items() if f}
    return f'{bad}' if bad else ''


def checker_sees_overlaps():
    """The checks themselves: 30 long labels on one axis, and a bar label past its axes,
    are caught."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(range(30), range(30))
    ax.set_xticks(range(30))
    ax.set_xticklabels([f'threads W=all N={i}' for i in range(30)])
    crowded = figure_faults(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh([0, 1], [1, 2])
    ax.set_xlim(0, 2)
    ax.text(2, 1, 'a label past the end')
    outside = figure_faults(fig)
    plt.close(fig)
    if 'x tick labels' not in crowded:
        return f'crowded labels: {crowded!r}'
    return '' if 'outside its axes' in outside else f'a label outside: {outside!r}'


def outcomes_beside_wall(run):
    """A race, a hang and a stall: the workload's own metric a panel beside the wall,
    and the heading says it (or the hang) from the summary."""
    want = {'c-staff-race': ('orders missing', 'orders taken twice: '),
            'b5-bank': ('updates lost to the race', 'updates lost to the race: '),
            'd-stall': ('how late the sleepers end', 'how late the sleepers end: '),
            'b6-deadlock': ('acquires that timed out', 'no ok trial: ')}
    figs, summary, plt = figures_of(run, keep=want)
    for name, (panel, head) in want.items():
        fig = figs[name]
        titles = [a.get_title(loc='left') for a in fig.axes]
        if panel not in titles or not heading(fig).startswith(head):
            return f'{name}: panels {titles}, heading {heading(fig)!r}'
    lost = {r['runner']: r['lost_updates'] for r in summary if r['preset'] == 'b5-bank'}
    said = heading(figs['b5-bank'])
    plt.close('all')
    if f"{lost['serial']} in serial" not in said or f"{lost['threads']} in threads" not in said:
        return f'b5-bank: {said!r} for lost updates {lost}'
    return ''


def crossover_marks_rank_changes(run):
    """The crossover preset at a small scale: a panel per N, the share from 0% to 100% on
    x, the ideal dashed, the rank changes listed in each panel; the heading says where
    evloop and threads change rank, as rank_changes computes it from known walls."""
    import plotcrossover as pc
    a = [(0.0, 1.0, None), (0.5, 2.0, None), (1.0, 4.0, None)]
    b = [(0.0, 2.0, None), (0.5, 2.0, None), (1.0, 2.0, None)]
    got = pc.rank_changes(a, b)
    if len(got) != 1 or abs(got[0][0] - 0.5) > 1e-9 or not got[0][2]:
        return f'rank_changes of a line crossing a flat one at 50%: {got}'
    said = pc.loop_vs_threads(1000, {('evloop', '0', ''): a, ('threads', '0', ''): b})
    if said != 'the event loop wins below 50% CPU with 1,000 tasks, threads above':
        return f'the answer for known walls: {said!r}'
    if pc.rank_changes(a, [(s, w * 1.05, i) for s, w, i in a]):
        return 'walls within 10% of each other change rank'
    figs, summary, _ = figures_of(run, {'crossover'})
    fig = figs.get('crossover')
    if fig is None:
        return 'no crossover figure'
    panels = [ax for ax in fig.axes if ax.get_title(loc='left').startswith('N = ')]
    if [ax.get_title(loc='left') for ax in panels] != ['N = 10 tasks', 'N = 1,000 tasks']:
        return f'panels {[ax.get_title(loc="left") for ax in panels]}'
    for ax in panels:
        ticks = [t.get_text() for t in shown_tick_labels(ax.xaxis)]
        if ticks[0] != '0%' or ticks[-1] != '100%':
            return f'x ticks {ticks}'
        if not any(ln.get_linestyle() == '--' and ln.get_label() == 'ideal'
                   for ln in ax.get_lines()):
            return 'no dashed ideal'
        listed = ax.texts[0].get_text()
        if 'faster than' not in listed and listed != 'no pair changes rank':
            return f'the rank changes written: {listed!r}'
    head = heading(fig)
    if 'event loop' not in head or 'threads' not in head or '1,000 tasks' not in head:
        return f'heading {head!r}'
    return ''


def as_host(run, folder, host):
    """A copy of run as if made on machine host (its run_id and host_id replaced)."""
    base = run[:-len('.csv')]
    with open(base + '.meta.csv', encoding='utf-8') as f:
        meta = dict(line.rstrip('\n').split(',', 1) for line in f if ',' in line)
    old_run, old_host = meta['run_id'], meta['host_id']
    new_run = old_run.replace(old_run.split('-')[1], host, 1)
    out = os.path.join(folder, host, 'run.csv')
    os.makedirs(os.path.dirname(out))
    for suffix in ('.csv', '.summary.csv', '.meta.csv'):
        with open(base + suffix, encoding='utf-8') as f:
            text = f.read()
        with open(out[:-len('.csv')] + suffix, 'w', encoding='utf-8') as f:
            f.write(text.replace(old_run, new_run).replace(old_host, f'{host}-0000beef'))
    return out


def two_machines(tmp, cpu_run, sleep_run):
    """Runs of two machines merged (scripts/merge): a NAME-machines figure per experiment
    beside its own, readable; in a sweep one line style per machine."""
    for name, run in (('cpu', cpu_run), ('sleep', sleep_run)):
        folder = os.path.join(tmp, f'two-{name}')
        other = as_host(run, folder, 'elsewhere')
        r = tap.run([PY, os.path.join(HERE, 'merge'), run, other, '-o', folder],
                    capture_output=True, text=True)
        if r.returncode != 0:
            return f'merge: exit {r.returncode}, {r.stderr.strip()}'
        merged = os.path.join(folder, 'merged.csv')
        names, faults, _, _ = drawn(merged)
        bad = {n: f for n, f in faults.items() if f}
        if bad:
            return f'{name}: {bad}'
        if name == 'cpu' and sorted(names) != ['countdown-2M', 'countdown-2M-machines',
                                               'power-7777^3k', 'power-7777^3k-machines']:
            return f'cpu: figures {names}'
        if name == 'sleep':
            figs, _, plt = figures_of(merged, keep={'sleep-5ms-sweep'})
            lines = [ln for ln in figs['sleep-5ms-sweep'].axes[0].get_lines()
                     if not ln.get_label().startswith('_')]
            styles = {ln.get_label().split()[-1]: ln.get_linestyle() for ln in lines}
            plt.close('all')
            if len(set(styles.values())) != 2:
                return f'sleep: line styles by machine {styles}'
    return ''


def over_a_parameter(tmp, concbench):
    """Three runs of countdown.n merged into one set: a NAME-n-sweep figure of the wall
    against n, log-log, readable, its heading the exponent of each line's growth."""
    runs = []
    for n in ('100000', '400000', '1600000'):
        out = os.path.join(tmp, 'over-n', n, 'run.csv')
        os.makedirs(os.path.dirname(out))
        r = tap.run([concbench, '-w', 'countdown', '-p', f'countdown.n={n}', '-n', '2',
                     '-j', '0,1', '-r', 'serial,threads', '--no-floors', *QUICK, '-o', out],
                    capture_output=True, text=True)
        if r.returncode != 0:
            return f'concbench: exit {r.returncode}, {r.stderr.strip()}'
        runs.append(out)
    folder = os.path.join(tmp, 'over-n', 'set')
    r = tap.run([PY, os.path.join(HERE, 'merge'), *runs, '-o', folder], capture_output=True,
                text=True)
    if r.returncode != 0:
        return f'merge: exit {r.returncode}, {r.stderr.strip()}'
    merged = os.path.join(folder, 'merged.csv')
    want = ['countdown-2x100k', 'countdown-2x1.6M', 'countdown-2x400k', 'countdown-n-sweep']
    why = check_figures(merged, want)
    if why:
        return why
    figs, _, plt = figures_of(merged, keep={'countdown-n-sweep'})
    fig = figs['countdown-n-sweep']
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith('_')]
    scales = (ax.get_xscale(), ax.get_yscale())
    head = heading(fig)
    plt.close('all')
    if len(lines) != 3 or scales != ('log', 'log'):  # serial W=1, threads W=all and W=1
        return f'{len(lines)} lines, scales {scales}'
    return '' if re.match(r'wall grows as n\^-?\d\.\d\d in ', head) else head


# --- the script --------------------------------------------------------------------------

def tree_copy(tmp):
    """A copy of the scripts in a tree of their own, for results/latest to be made in."""
    tree = os.path.join(tmp, 'tree')
    os.makedirs(os.path.join(tree, 'results', 'runs'))
    shutil.copytree(HERE, os.path.join(tree, 'scripts'),
                    ignore=shutil.ignore_patterns('__pycache__', 'articles'))
    shutil.copy(os.path.join(cr.TREE, 'meson.build'), tree)
    shutil.copytree(os.path.join(cr.TREE, 'bench', 'presets'),
                    os.path.join(tree, 'bench', 'presets'))
    return tree


def plot_cmd(tree, *args):
    return [PY, '-W', 'error::UserWarning', os.path.join(tree, 'scripts', 'plot'), *args]


def default_is_latest(tmp, run):
    """No run given: results/latest (a link to a run's folder) is plotted; with no link,
    one line says the default was used and is not there."""
    tree = tree_copy(tmp)
    folder = os.path.join(tree, 'results', 'runs', 'R1')
    shutil.copytree(os.path.dirname(run), folder)
    latest = os.path.join(tree, 'results', 'latest')
    os.symlink('runs/R1', latest)
    out = os.path.join(tmp, 'default-out')
    r = tap.run(plot_cmd(tree, '--out', out), capture_output=True, text=True)
    if r.returncode != 0 or sorted(os.listdir(out)) != ['switch.png', 'switch.svg']:
        return f'exit {r.returncode}, {r.stderr.strip()}'
    os.unlink(latest)
    r = tap.run(plot_cmd(tree, '--out', out), capture_output=True, text=True)
    err = r.stderr.strip()
    if r.returncode != 2 or len(err.splitlines()) != 1 or 'results/latest' not in err \
            or 'default' not in err or 'run.csv' in err:
        return f'exit {r.returncode}, {err!r}'
    return ''


def errors_name_the_file(tmp):
    """A run that is not there: the line names the file given, not one beside it."""
    given = os.path.join(tmp, 'nothing', 'here.csv')
    r = tap.run(plot_cmd(cr.TREE, given, '--out', os.path.join(tmp, 'no-out')),
                capture_output=True, text=True)
    err = r.stderr.strip()
    if r.returncode != 2 or not err.startswith(f'plot: {given}: ') or 'meta' in err:
        return f'exit {r.returncode}, {err!r}'
    return '' if not os.path.exists(os.path.join(tmp, 'no-out')) else 'wrote --out'


def script_writes_every_image(tmp):
    """The committed run through the script with UserWarnings as errors: every figure,
    PNG and SVG."""
    out = os.path.join(tmp, 'readme-out')
    r = tap.run(plot_cmd(cr.TREE, README_RUN, '--out', out), capture_output=True, text=True)
    want = sorted(f'{n}.{f}' for n in README_FIGURES for f in ('png', 'svg'))
    got = sorted(os.listdir(out)) if os.path.isdir(out) else []
    if r.returncode != 0 or got != want:
        note(r.stderr)
        return f'exit {r.returncode}, wrote {got}'
    return ''


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('1..0 # SKIP matplotlib is missing (apt-get install python3-matplotlib)')
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix='cb-plot-') as tmp:
        runs = {name: make_run(sys.argv[1], tmp, name) for name in FIXTURES}
        for name, (_, want) in FIXTURES.items():
            results.append((f'{name}: every figure drawn without a warning, readable, '
                            'its labels apart', attempt(check_figures, runs[name], want)))
        results.append(('results/readme: every figure of a real ninja bench run, readable, '
                        'its labels apart', attempt(check_figures, README_RUN,
                                                    README_FIGURES)))
        results.append(('results/readme/crossover: the crossover of a real run at --scale 1, '
                        'readable, its labels apart', attempt(check_figures, CROSSOVER_RUN,
                                                              ['crossover'])))
        results.append(('results/readme/articles: every figure of every preset, readable, '
                        'its labels apart', attempt(check_figures, ARTICLES_RUN,
                                                    ARTICLES_FIGURES)))
        results += [
            ('the overlap check catches crowded tick labels and a label past its axes',
             attempt(checker_sees_overlaps)),
            ('switch: ns per hand-off per model on a log axis, the cheapest in the heading',
             attempt(switch_shows_hand_offs, runs['switch'])),
            ('a sweep over W: every W its own colour, marker and line; the legend says W',
             attempt(workers_styled_apart, runs['workers'])),
            ('a sweep with floors: log-log, ideal and floor lines, RSS in KiB',
             attempt(sweep_keeps_floors, runs['sleep'])),
            ('a speed-up panel only where a speed-up exists',
             attempt(speedup_only_where_one_is, runs['cpu'], runs['http'])),
            ('a race, a hang, a stall: their outcome beside the wall and in the heading',
             attempt(outcomes_beside_wall, ARTICLES_RUN)),
            ('two machines: a -machines figure per experiment, a line style per machine',
             attempt(two_machines, tmp, runs['cpu'], runs['sleep'])),
            ('the crossover: the wall against the CPU share a panel per N, the ideal, the '
             'rank changes written; the heading says where evloop and threads swap',
             attempt(crossover_marks_rank_changes, runs['crossover'])),
            ('a parameter over several values: the wall against it, log-log',
             attempt(over_a_parameter, tmp, sys.argv[1])),
            ('more than 12 cells at one N: panels of 12 at most; past 36 a figure each',
             attempt(crowded_split, runs['crowded'])),
            ('no run given: results/latest, or one line saying the default is missing',
             attempt(default_is_latest, tmp, runs['switch'])),
            ('a missing run: the error names the file given',
             attempt(errors_name_the_file, tmp)),
            ('the script writes every image of results/readme with warnings as errors',
             attempt(script_writes_every_image, tmp)),
        ]
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
