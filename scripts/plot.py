"""Plots of a concbench run from its summary CSV alone (and .meta.csv for the machine),
as PNG and SVG: per experiment the median wall per runner with min-max whiskers and the
speed-up over serial; per sweep over N the wall and overhead per task on log-log axes
with the ideal and the bare floor drawn, and peak RSS per task. A set merged from several
machines (scripts/merge) gets one series per machine, and per experiment the models x
machines view: speed-up and overhead over the floor per machine, side by side."""

import argparse
import io
import os
import re
import sys

import cbresults as cr
from cbresults import ResultsError, num

FORMATS = ('png', 'svg')
# The C models in solid colours; the peers (other languages) dashed, in their own.
PEER_COLORS = {'go': '#17becf', 'node': '#bcbd22', 'py-serial': '#7f7f7f',
               'py-threads': '#aec7e8', 'py-procs': '#ff9896', 'py-asyncio': '#98df8a',
               'py-gevent': '#c5b0d5', 'bookkeeping': '#e377c2'}
COLORS = {'serial': '#555555', 'threads': '#1f77b4', 'procs': '#d62728',
          'evloop': '#2ca02c', 'green': '#9467bd'}


def parse_args(argv):
    p = argparse.ArgumentParser(prog='plot', description='Plot a concbench run (PNG and SVG).')
    p.add_argument('run', nargs='?', default=os.path.join(cr.TREE, 'results', 'run.csv'),
                   help='the run: any of its files, its folder, its run id, or a set '
                        'scripts/merge made (default results/run.csv)')
    p.add_argument('--out', default=os.path.join(cr.TREE, 'results'),
                   help='folder for the images (default results/)')
    return p.parse_args(argv)


def groups(summary):
    """{name: rows}: one experiment per preset (or per workload and params without one)."""
    out = {}
    for r in summary:
        base = r['preset'] or f"{r['workload']}-{r['params']}"
        out.setdefault((base, r['workload'], r['params']), []).append(r)
    named = {}
    for (base, wl, _), rows in out.items():
        name = base if sum(k[0] == base for k in out) == 1 else f'{base}-{wl}-{len(named)}'
        named[re.sub(r'[^A-Za-z0-9_.=-]+', '_', name)] = rows
    return named


# One colour per machine in the models x machines view (Okabe-Ito: they stay apart under
# the common colour-blindnesses); one line style per machine in a sweep.
HOST_COLORS = ('#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00',
               '#F0E442', '#000000')
HOST_LINES = ('-', '--', ':', '-.')


def hosts_of(rows):
    """The machines of a summary in the order first seen: one for a single run."""
    return list(dict.fromkeys(r.get('host_id', '') for r in rows))


def label(r, hosts=()):
    w = int(r['workers'])
    text = f"{r['runner']}\nN={r['tasks']} " + ('all' if w == 0 else f'W={w}')
    return text + (f"\n{r.get('host_id', '')}" if len(hosts) > 1 else '')


def footnote(fig, meta):
    fig.text(0.01, 0.01, f'{cr.machine_line(meta)}; concbench {meta.get("version", "?")}',
             fontsize=7, color='#666666')


def rendered(plt, fig, out, name):
    """{path: bytes} of the figure in every format, rendered in memory; the figure closed."""
    images = {}
    for fmt in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110)
        images[os.path.join(out, f'{name}.{fmt}')] = buf.getvalue()
    plt.close(fig)
    return images


def bars(plt, name, rows, meta, out):
    hosts = hosts_of(rows)
    rows = sorted(rows, key=lambda r: (int(r['tasks']), cr.runner_rank(r['runner']),
                                       -cr.effective_workers(r),
                                       hosts.index(r.get('host_id', ''))))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6))
    xs = range(len(rows))
    colors = [color(r['runner']) for r in rows]
    med = [num(r, 'median_s') or 0 for r in rows]
    lo = [m - (num(r, 'min_s') or m) for m, r in zip(med, rows)]
    hi = [(num(r, 'max_s') or m) - m for m, r in zip(med, rows)]
    a1.bar(xs, med, color=colors, yerr=[lo, hi], capsize=4, ecolor='black')
    ideal = [num(r, 'ideal_s') for r in rows]
    if any(ideal):
        a1.scatter([x for x, i in zip(xs, ideal) if i], [i for i in ideal if i], marker='_',
                   s=600, color='black', zorder=3, label='ideal')
        a1.legend(loc='upper right', fontsize=8)
    a1.set_ylabel('median wall time (s), whiskers min-max')
    a1.set_title('wall time per runner')
    for x, r in zip(xs, rows):
        if num(r, 'median_s') is None:
            a1.text(x, 0, f"no ok trial\n{r['outcomes']}", ha='center', va='bottom', fontsize=7)
    sp = [num(r, 'speedup') or 0 for r in rows]
    # whiskers: the 95% interval of the paired ratios, where the run had pairs for one
    # (the bar is the ratio of medians, which the interval need not hold)
    lo = [num(r, 'speedup_lo') for r in rows]
    hi = [num(r, 'speedup_hi') for r in rows]
    err = [[max(s - l, 0) if l is not None else 0 for s, l in zip(sp, lo)],
           [max(h - s, 0) if h is not None else 0 for s, h in zip(sp, hi)]]
    a2.bar(xs, sp, color=colors, yerr=err if any(v is not None for v in lo) else None,
           capsize=3, ecolor='#333333')
    a2.axhline(1, color='#555555', lw=0.8, ls='--')
    best = [(x, m * s / i) for x, m, s, i in zip(xs, med, sp, ideal) if i and m and s]
    a2.scatter([b[0] for b in best], [b[1] for b in best], marker='_', s=600, color='black',
               zorder=3, label='ideal')
    a2.set_ylabel('speed-up over serial (x), whiskers 95%')
    a2.set_title('speed-up vs serial (dashed: 1x)')
    if best:
        a2.legend(loc='upper right', fontsize=8)
    for ax in (a1, a2):
        ax.set_xticks(list(xs))
        ax.set_xticklabels([label(r, hosts) for r in rows], fontsize=7)
    first = rows[0]
    fig.suptitle(f"{name}: {first['workload']} {first['params']}", fontsize=11)
    footnote(fig, meta)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return rendered(plt, fig, out, name)


def series(rows):
    """{(runner, W, host): rows by N} for the cells that sweep N."""
    by = {}
    for r in rows:
        by.setdefault((r['runner'], r['workers'], r.get('host_id', '')), []).append(r)
    return {k: sorted(v, key=lambda r: int(r['tasks'])) for k, v in by.items() if len(v) > 1}


def positive(rows, key, per_task=False):
    pts = []
    for r in rows:
        v = num(r, key)
        if v is not None and per_task:
            v /= int(r['tasks'])
        if v is not None and v > 0:
            pts.append((int(r['tasks']), v))
    return [p[0] for p in pts], [p[1] for p in pts]


def color(runner):
    return COLORS.get(runner) or PEER_COLORS.get(runner, '#8c564b')


def line(runner):
    return 'o-' if runner in COLORS else 's--'


def sweep(plt, name, rows, meta, out):
    ser = series(rows)
    if not ser:
        return {}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6))
    drawn = [0, 0, 0]

    def draw(i, xy, *style, scale=1, **kw):
        x, y = xy
        axes[i].plot(x, [v / scale for v in y], *style, **kw)
        drawn[i] += len(x)

    hosts = hosts_of(rows)
    for (runner, w, host), rs in ser.items():
        c, ls = color(runner), line(runner)
        lab = f"{runner} W={'all' if w == '0' else w}"
        if len(hosts) > 1:
            ls = ls[0] + HOST_LINES[hosts.index(host) % len(HOST_LINES)]
            lab += f' {host}'

        draw(0, positive(rs, 'median_s'), ls, color=c, label=lab)
        draw(0, positive(rs, 'ideal_s'), '--', color='black', lw=0.8)
        draw(1, positive(rs, 'overhead_per_task_s'), ls, color=c, label=lab)
        draw(1, positive(rs, 'floor_s', per_task=True), ':', color=c)
        draw(2, positive(rs, 'rss_per_task_b'), ls, scale=1024, color=c, label=lab)
    titles = ('median wall vs N (dashed: ideal)',
              'overhead above ideal per task vs N\n(dotted: the bare floor per task)',
              'peak RSS per task vs N')
    ylabels = ('wall time (s)', 'overhead per task (s)', 'RSS per task (KiB)')
    for ax, t, yl, n in zip(axes, titles, ylabels, drawn):
        ax.set_title(t, fontsize=10)
        ax.set_xlabel('tasks N')
        ax.set_ylabel(yl)
        if n:  # log axes need a value above 0 (RSS is empty in a run without floors)
            ax.set_xscale('log')
            ax.set_yscale('log')
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, 'no value above 0 in this run', ha='center',
                    transform=ax.transAxes, color='#666666')
    axes[0].legend(fontsize=7, ncol=2)
    first = rows[0]
    fig.suptitle(f"{name}: {first['workload']} {first['params']}, sweep over N", fontsize=11)
    footnote(fig, meta)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return rendered(plt, fig, out, f'{name}-sweep')


def machines(plt, name, rows, meta, out):
    """The models x machines view of a merged set: per cell, one bar per machine of its
    speed-up over serial and of its overhead over the floor, side by side (seconds do
    not compare across machines; these ratios do)."""
    hosts = hosts_of(rows)
    if len(hosts) < 2:
        return {}
    cells = {}
    for r in rows:
        key = (int(r['tasks']), cr.runner_rank(r['runner']), r['runner'], r['workers'])
        cells.setdefault(key, {})[r.get('host_id', '')] = r
    keys = sorted(cells)
    fig, axes = plt.subplots(1, 2, figsize=(max(8, 1.1 * len(keys) + 3), 4.8))
    width = 0.8 / len(hosts)
    for ax, col, what in ((axes[0], 'speedup', 'speed-up over serial (x), whiskers 95%'),
                          (axes[1], 'overhead_vs_floor', 'overhead over the floor (x)')):
        drawn = 0
        for h, host in enumerate(hosts):
            xs, ys, lo, hi = [], [], [], []
            for i, k in enumerate(keys):
                r = cells[k].get(host)
                v = num(r, col) if r else None
                if v is None:
                    continue
                xs.append(i - 0.4 + width * (h + 0.5))
                ys.append(v)
                low = num(r, col + '_lo') if col == 'speedup' else None
                high = num(r, col + '_hi') if col == 'speedup' else None
                lo.append(max(v - low, 0) if low is not None else 0)
                hi.append(max(high - v, 0) if high is not None else 0)
            if xs:
                ax.bar(xs, ys, width, color=HOST_COLORS[h % len(HOST_COLORS)], label=host,
                       yerr=[lo, hi] if any(lo) or any(hi) else None, capsize=2,
                       ecolor='#333333')
                drawn += len(xs)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{k[2]}\nN={k[0]} " + ('all' if k[3] == '0' else f'W={k[3]}')
                            for k in keys], fontsize=7)
        ax.set_ylabel(what)
        if col == 'speedup':
            ax.axhline(1, color='#555555', lw=0.8, ls='--')
        if drawn:
            ax.legend(fontsize=7, title='machine', title_fontsize=7)
        else:
            ax.text(0.5, 0.5, 'no value in this set', ha='center', transform=ax.transAxes,
                    color='#666666')
    axes[0].set_title('speed-up vs serial, per machine')
    axes[1].set_title('overhead above ideal / the bare floor, per machine')
    first = rows[0]
    fig.suptitle(f"{name}: {first['workload']} {first['params']}, {len(hosts)} machines",
                 fontsize=11)
    footnote(fig, meta)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return rendered(plt, fig, out, f'{name}-machines')


def main(argv=None):
    """Every image of the run is rendered before any is written, then all are written
    whole or none: a bad run or a failed write replaces no image."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cr.check_out(args.out)
        _, summary, meta, _ = cr.load_run(args.run, need_trials=False)
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
        images = {}
        for name, rows in groups(summary).items():
            images.update(bars(plt, name, rows, meta, args.out))
            images.update(sweep(plt, name, rows, meta, args.out))
            images.update(machines(plt, name, rows, meta, args.out))
        cr.write_outputs(images)
    except cr.WriteError as e:
        return cr.refuse('plot', e)
    print(f'plot: wrote {len(images)} files in {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
