"""The look of scripts/plot's figures, apart from what they draw: numbers in their units
(12 ms, 1 KiB, 10k), log axes whose ticks read as plain numbers, the colours and line
styles of the models, their W variants and the machines. Only matplotlib's tickers are
used here (imported when needed, so plot can say matplotlib is missing): the figures
themselves are plot.py's."""

import math

# The C models in solid colours; the peers (other languages) dashed, in their own.
COLORS = {'serial': '#555555', 'threads': '#1f77b4', 'procs': '#d62728',
          'evloop': '#2ca02c', 'green': '#9467bd'}
PEER_COLORS = {'go': '#17becf', 'node': '#bcbd22', 'py-serial': '#7f7f7f',
               'py-threads': '#aec7e8', 'py-procs': '#ff9896', 'py-asyncio': '#98df8a',
               'py-gevent': '#c5b0d5', 'bookkeeping': '#e377c2'}
# One colour per machine in the models x machines view (Okabe-Ito: they stay apart under
# the common colour-blindnesses); one line style per machine in a sweep.
HOST_COLORS = ('#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00',
               '#F0E442', '#000000')
HOST_LINES = ('-', '--', ':', '-.')
# The W variants of one model: each its own marker, line and shade.
W_MARKERS = ('o', '^', 'D', 'v', 'P', 'X')
W_LINES = ('-', '--', ':', '-.')


def color(runner):
    return COLORS.get(runner) or PEER_COLORS.get(runner, '#8c564b')


def shade(hex_color, step):
    """hex_color darkened (odd steps) or lightened (even steps) by a notch per step: the
    W variants of one model stay its hue but tell apart."""
    if step == 0:
        return hex_color
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    f = 0.35 * ((step + 1) // 2)
    target = 0 if step % 2 else 255
    rgb = [round(c + (target - c) * min(f, 0.8)) for c in rgb]
    return '#' + ''.join(f'{c:02x}' for c in rgb)


def w_words(workers):
    """W as the legend says it: all (W=0, every task at once) or the number."""
    return 'W=all' if str(workers) == '0' else f'W={workers}'


def series_style(runner, variant, host=0, hosts=1):
    """(colour, marker, line style) of a model's variant-th W in a sweep; with several
    machines the line style tells the machine and the marker the W."""
    peer = runner not in COLORS
    marker = ('s' if peer and variant == 0 else W_MARKERS[variant % len(W_MARKERS)])
    if hosts > 1:
        ls = HOST_LINES[host % len(HOST_LINES)]
    else:
        ls = W_LINES[(variant + (1 if peer else 0)) % len(W_LINES)]
    return shade(color(runner), variant), marker, ls


# --- numbers in their units -------------------------------------------------------------

def _short(x):
    """x to 3 significant digits, no trailing zeros and no exponent: 1, 2.5, 100, 0.07."""
    if x == 0:
        return '0'
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    text = f'{x:.{digits}f}'
    return text.rstrip('0').rstrip('.') if '.' in text else text


def fmt_time(s):
    """Seconds in the unit that reads best: 97 ns, 2.5 µs, 100 ms, 1.2 s."""
    if s is None:
        return ''
    if s == 0:
        return '0'
    a = abs(s)
    for scale, unit in ((1, 's'), (1e-3, 'ms'), (1e-6, 'µs'), (1e-9, 'ns')):
        if a >= scale * 0.9995 or unit == 'ns':
            return f'{_short(s / scale)} {unit}'
    return f'{_short(s)} s'


def fmt_bytes(b):
    """Bytes in binary units: 512 B, 1 KiB, 16.3 KiB, 1 MiB."""
    a = abs(b)
    for scale, unit in ((1 << 30, 'GiB'), (1 << 20, 'MiB'), (1 << 10, 'KiB')):
        if a >= scale * 0.9995:
            return f'{_short(b / scale)} {unit}'
    return f'{_short(b)} B'


def fmt_count(n):
    """A count as it is said: 1, 10, 100, 1k, 10k, 2.5M."""
    a = abs(n)
    for scale, unit in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
        if a >= scale * 0.9995:
            return f'{_short(n / scale)}{unit}'
    return _short(n)


def fmt_times(x):
    """A ratio: 1.9x, 0.94x, 315x."""
    return f'{_short(x)}x'


# --- axes -------------------------------------------------------------------------------

def _candidates(lo, hi, binary):
    """Tick sets for a log axis over [lo, hi], the sparsest first: decades (powers of 4
    in bytes), then 1-2-5 (powers of 2), then plain steps for a span under a decade."""
    if binary:
        e0, e1 = math.floor(math.log2(lo)), math.ceil(math.log2(hi))
        yield [2.0 ** e for e in range(e0, e1 + 1) if e % 2 == 0]
        yield [2.0 ** e for e in range(e0, e1 + 1)]
    else:
        e0, e1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        yield [10.0 ** e for e in range(e0, e1 + 1)]
        yield [m * 10.0 ** e for e in range(e0, e1 + 1) for m in (1, 2, 5)]
    from matplotlib import ticker
    yield list(ticker.MaxNLocator(4).tick_values(lo, hi))


def log_axis(ax, which, fmt, binary=False, at=None):
    """Makes ax's x or y axis logarithmic with ticks labelled by fmt (fmt_time, ...):
    decades where the data spans several, denser plain values where it spans less than
    one, never a label like 1.78x10^1; at: the ticks to use instead (the Ns of a sweep).
    Call after the data is drawn."""
    from matplotlib import ticker
    axis = ax.xaxis if which == 'x' else ax.yaxis
    (ax.set_xscale if which == 'x' else ax.set_yscale)('log')
    lo, hi = sorted(axis.get_view_interval())
    if not (lo > 0 and hi > lo):
        return
    ticks = list(at or [])
    for cand in ([] if at else _candidates(lo, hi, binary)):
        cand = [t for t in cand if lo <= t <= hi and t > 0]
        while len(cand) > 9:  # many decades: every other one
            cand = cand[::2]
        if len(cand) >= 3:
            ticks = cand
            break
        if len(cand) > len(ticks):
            ticks = cand
    axis.set_major_locator(ticker.FixedLocator(ticks))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_formatter(ticker.NullFormatter())


def linear_axis(ax, which, fmt):
    """A linear axis from 0 with a few ticks labelled by fmt."""
    from matplotlib import ticker
    axis = ax.xaxis if which == 'x' else ax.yaxis
    # counts in whole steps: no tick at half an order
    axis.set_major_locator(ticker.MaxNLocator(5, integer=fmt is fmt_count))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt(v)))
