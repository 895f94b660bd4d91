"""The crossover figure of scripts/plot: for runs of the mix workload at several CPU shares
C/(C+D) (the crossover preset), the median wall against the share, a panel per N, a line
per model, the ideal dashed, and the share where each pair of models changes rank marked
and written in the panel. The heading says where the event loop stops winning against
threads. plot.py calls figures(); the frame and the look are plot.py's and plotaxes.py's."""

import math

import cbresults as cr
import plotaxes as pa
from cbresults import num
from plotwords import params_of, safe

# A pair changes rank only between two shares where each is ahead by this much: within
# it the two are tied, and noise would make them swap at every share.
TIE = 1.10
MAX_LISTED = 8  # rank changes written in a panel; the rest are counted
PANEL_IN = 3.6


def share_of(params):
    """The CPU share C/(C+D) of a mix cell's params, or None."""
    p = dict(params_of(params))
    try:
        cpu_ms, wait_ms = float(p['cpu_us']) / 1000, float(p['wait_ms'])
    except (KeyError, ValueError):
        return None
    return cpu_ms / (cpu_ms + wait_ms) if cpu_ms + wait_ms > 0 else None


def pct(share):
    """A share in two digits at most: 0.5%, 3.2%, 21%, 100%."""
    v = share * 100
    return f'{v:.0f}%' if v >= 10 else f'{v:.2g}%'


def tasks_words(n):
    return f'{n:,} task' + ('s' if n != 1 else '')


def groups(exps):
    """{preset: {N: {(runner, W, host): [(share, median, ideal)]}}} of the mix experiments,
    and the experiments used; a preset counts when one N has three shares or more."""
    by, used = {}, {}
    for e in exps:
        if e.workload != 'mix':
            continue
        s = share_of(e.params)
        if s is None:
            continue
        for r in e.rows:
            med = num(r, 'median_s')
            if med is None or med <= 0:
                continue
            key = (r['runner'], r['workers'], r.get('host_id', ''))
            # two params at one share (a --scale rounding cpu_us to 0): the last one
            by.setdefault(e.preset, {}).setdefault(int(r['tasks']), {}).setdefault(
                key, {})[s] = (s, med, num(r, 'ideal_s'))
        used.setdefault(e.preset, []).append(e)
    out = {}
    for preset, ns in by.items():
        ns = {n: lines for n, lines in ns.items()
              if len({s for pts in lines.values() for s in pts}) >= 3}
        if ns:
            out[preset] = {n: {k: sorted(v.values()) for k, v in lines.items()}
                           for n, lines in sorted(ns.items())}
    return out, [e for p in out for e in used[p]]


def rank_changes(a, b):
    """[(share, wall, a_ahead_below)] where series a and b (sorted (share, wall, ...))
    change rank: between two shares where each is ahead by TIE or more; at the share
    where their log-ratio crosses 0, read linearly between the two shares around it (the
    tied ones between included: they say where in the gap it crosses)."""
    wb = {p[0]: p[1] for p in b}
    pts = [(p[0], math.log(p[1] / wb[p[0]]), p[1]) for p in a if p[0] in wb]
    clear = [i for i, p in enumerate(pts) if abs(p[1]) >= math.log(TIE)]
    out = []
    for i, j in zip(clear, clear[1:]):
        below = pts[i][1] < 0
        if below == (pts[j][1] < 0):
            continue
        # the first point from i on that is level or past: the crossing is before it
        k = next(k for k in range(i + 1, j + 1) if (pts[k][1] >= 0 if below else pts[k][1] <= 0))
        (s0, r0, w0), (s1, r1, w1) = pts[k - 1], pts[k]
        f = r0 / (r0 - r1)
        out.append((s0 + (s1 - s0) * f, w0 * (w1 / w0) ** f, below))
    return out


def label(key, many_w, many_hosts):
    """The model; its W where it ran at several, the machine where there are several."""
    runner, w, host = key
    return runner + (f' {pa.w_words(w)}' if runner in many_w else '') + \
        (f' {host}' if many_hosts else '')


def loop_vs_threads(n, lines):
    """The answer for one N, in words: where evloop and threads (W = all, if there) change
    rank; None when the run lacks one of them."""
    def pick(runner):
        ks = sorted((k for k in lines if k[0] == runner), key=lambda k: k[1] != '0')
        return ks[0] if ks else None
    ev, th = pick('evloop'), pick('threads')
    if not ev or not th:
        return None
    tasks = tasks_words(n)
    changes = rank_changes(lines[ev], lines[th])
    if len(changes) == 1:
        s, _, ev_below = changes[0]
        return (f'the event loop wins below {pct(s)} CPU with {tasks}, threads above'
                if ev_below else
                f'threads win below {pct(s)} CPU with {tasks}, the event loop above')
    if changes:
        return (f'the event loop and threads change places {len(changes)} times with '
                f'{tasks} (at {", ".join(pct(c[0]) for c in changes)} CPU)')
    wt = {p[0]: p[1] for p in lines[th]}
    ratios = [math.log(p[1] / wt[p[0]]) for p in lines[ev] if p[0] in wt]
    if not ratios or all(abs(r) < math.log(TIE) for r in ratios):
        return (f'the event loop and threads are within {pct(TIE - 1)} of each other at '
                f'every CPU share with {tasks}')
    if sum(ratios) < 0:
        return f'the event loop beats threads at every CPU share with {tasks}'
    return f'threads beat the event loop at every CPU share with {tasks}'


def answer(ns):
    said = [a for n in sorted(ns, reverse=True) for a in [loop_vs_threads(n, ns[n])] if a]
    if said:
        return '; '.join(said)
    n = max(ns)
    lo = min(p[0] for pts in ns[n].values() for p in pts)
    hi = max(p[0] for pts in ns[n].values() for p in pts)

    def best(s):
        at = [(p[1], k) for k, pts in ns[n].items() for p in pts if p[0] == s]
        return min(at)[1][0] if at else '?'
    return (f'with {tasks_words(n)}, {best(lo)} is fastest at {pct(lo)} CPU and '
            f'{best(hi)} at {pct(hi)}')


def panel(ax, n, lines, keys, styles, many_w, many_hosts):
    """One N: a line per model, the ideals dashed, the rank changes marked and listed."""
    ideals = {}
    for k in keys:
        if k not in lines:
            continue
        pts = lines[k]
        c, m, ls = styles[k]
        ax.plot([p[0] * 100 for p in pts], [p[1] for p in pts], marker=m, ls=ls, color=c,
                label=label(k, many_w, many_hosts), ms=5)
        ideal = tuple((p[0], p[2]) for p in pts if p[2])
        if ideal:
            ideals.setdefault(ideal, []).append(k[0])
    for i, (ideal, who) in enumerate(sorted(ideals.items(), key=lambda x: -len(x[1]))):
        ax.plot([p[0] * 100 for p in ideal], [p[1] for p in ideal], ls='--', lw=1.2,
                color='black' if i == 0 else '#888888', zorder=1,
                label='ideal' if i == 0 else f'ideal, {", ".join(who)}')
    changes = []
    present = [k for k in keys if k in lines]
    for i, a in enumerate(present):
        for b in present[i + 1:]:
            for s, w, a_below in rank_changes(lines[a], lines[b]):
                lo, hi = (a, b) if a_below else (b, a)
                changes.append((s, w, label(lo, many_w, many_hosts),
                                label(hi, many_w, many_hosts), {a[0], b[0]}))
    # evloop against threads first, then by share
    changes.sort(key=lambda c: (c[4] != {'evloop', 'threads'}, c[0]))
    if changes:
        ax.scatter([c[0] * 100 for c in changes], [c[1] for c in changes], marker='x', s=60,
                   color='black', zorder=4, label='rank change')
    text = [f'{c[2]} faster than {c[3]} below {pct(c[0])}, slower above'
            for c in changes[:MAX_LISTED]]
    if len(changes) > MAX_LISTED:
        text.append(f'and {len(changes) - MAX_LISTED} more changes of rank')
    ax.text(0.01, 0.98, '\n'.join(text) if text else 'no pair changes rank',
            transform=ax.transAxes, va='top', ha='left', fontsize=8,
            bbox=dict(boxstyle='round', fc='white', ec='#cccccc', alpha=0.85))
    ax.set_title(f'N = {tasks_words(n)}', loc='left', fontsize=10)
    shares = sorted({p[0] for pts in lines.values() for p in pts})
    # symlog: 0 is a share too, and the low shares are where many tasks cross over
    ax.set_xscale('symlog', linthresh=1, linscale=0.5)
    ax.set_xlim(-0.1, 110)
    from matplotlib import ticker
    ax.xaxis.set_major_locator(ticker.FixedLocator([s * 100 for s in shares]))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: pct(v / 100)))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_ylabel('median wall')
    pa.log_axis(ax, 'y', pa.fmt_time)
    return ax.get_legend_handles_labels()


def figure(plt, preset, ns, meta, title):
    import plot as pl
    keys = sorted({k for lines in ns.values() for k in lines},
                  key=lambda k: (cr.runner_rank(k[0]), k[0], int(k[1]) or math.inf, k[2]))
    many_w = {r for r in {k[0] for k in keys} if len({k[1] for k in keys if k[0] == r}) > 1}
    many_hosts = len({k[2] for k in keys}) > 1
    variants, styles = {}, {}
    hosts = list(dict.fromkeys(k[2] for k in keys))
    for k in keys:
        variants.setdefault(k[0], []).append(k)
        styles[k] = pa.series_style(k[0], variants[k[0]].index(k), hosts.index(k[2]),
                                    len(hosts))
    text = answer(ns)
    labels = [label(k, many_w, many_hosts) for k in keys] + ['ideal', 'rank change']
    ncol = pl.legend_columns(labels + ['ideal, serial'])
    legend_in = 0.25 * math.ceil((len(labels) + 1) / ncol) + 0.35
    h = pl.head_in(text, title) + pl.foot_in(meta) + PANEL_IN * len(ns) + legend_in + 0.4
    fig = pl.figure(plt, h)
    bottom, top = pl.frame(fig, meta, text, title)
    handles = {}
    axes = fig.subplots(len(ns), 1, squeeze=False)[:, 0]
    for ax, n in zip(axes, ns):
        hs, ls = panel(ax, n, ns[n], keys, styles, many_w, many_hosts)
        for hd, lb in zip(hs, ls):
            handles.setdefault(lb, hd)
    axes[-1].set_xlabel('CPU share of a round, C / (C + D) (dashed: ideal; x: where two '
                        'models change rank)')
    fig.legend(list(handles.values()), list(handles), loc='lower center', ncol=ncol,
               fontsize=9, bbox_to_anchor=(0.5, bottom), title='model', title_fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, bottom + legend_in / h, 1, top))
    name = preset if 'crossover' in (preset or '') else f'{preset or "mix"}-crossover'
    return safe(name), fig


def figures(plt, exps, meta, titles):
    """Yields (name, figure) of each crossover in exps; returns the experiments drawn,
    which need no figure of their own."""
    found, used = groups(exps)
    for preset, ns in found.items():
        title = titles.get(preset) or 'mix: the median wall against the CPU share of a round'
        yield figure(plt, preset, ns, meta, (f'{preset}: ' if preset else '') + title)
    return used
