"""Compares two concbench runs cell by cell: did it change?

For every cell in both runs (the same preset, workload, parameters, runner, N and W): the
ratio of medians B/A with a 95% percentile-bootstrap interval, a two-sided Mann-Whitney U
p-value (exact for small samples without ties), Holm's correction across every cell
compared, and a verdict: faster or slower when the corrected p is below alpha *and* the
change is beyond the noise threshold; same otherwise; too few trials when the trials
could not have shown a change at all (fewer than 3 a side, or samples so small that even
the most extreme ordering would not pass Holm's first step).

On one machine it compares wall times. Across machines (their host ids differ: the host
name and a digest of CPU, cores, memory, kernel and architecture) seconds mean nothing, so it compares what is dimensionless: each
trial's speed-up over its run's serial trial of the same index (the trials are
interleaved), or for a cell without one its overhead over its run's floor; --absolute
compares seconds anyway.

usage: compare A B [--format table|md|csv|json|html] [-o FILE] [--alpha 0.05]
                   [--threshold 0.05] [--absolute] [--fail-on slower]
A and B: a run (any of its files, its directory, its run id) or a set of one machine's
runs merged by scripts/merge, whose trials are pooled. --format html writes one
self-contained page (comparehtml.py): each cell's change and verdict beside both runs'
trials as a strip plot; -o FILE writes it there (whole, never over a file not ours).
Exit status 0; 1 with
--fail-on slower when a cell got slower; 2 on bad input."""

import argparse
import csv
import io
import json
import os
import statistics
import sys

import cbresults as cr
import cbstats
from cbresults import ResultsError

MIN_TRIALS = 3
KEY = ('preset', 'workload', 'params', 'runner', 'runner_params', 'tasks', 'workers')
# What says which machine a run was made on.
HOST_KEYS = ('host', 'cpu', 'cores', 'memory_mib', 'kernel', 'arch')
# Not the machine, but what can move its figures: named in the header when A and B differ.
CONTEXT_KEYS = ('commit', 'build', 'libs', 'heap')


class OneLineParser(argparse.ArgumentParser):
    """Bad options as one line, as bad input is everywhere in concbench."""

    def error(self, message):
        print(f'compare: {message} (see compare --help)', file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = OneLineParser(prog='compare', description='Compare two concbench runs.')
    p.add_argument('a', help='the old run: its trials CSV, .summary.csv or .meta.csv')
    p.add_argument('b', help='the new run')
    p.add_argument('--format', choices=('table', 'md', 'csv', 'json', 'html'), default='table')
    p.add_argument('-o', '--output', default=None,
                   help='with --format html: the page to write (default: stdout)')
    p.add_argument('--alpha', type=float, default=0.05,
                   help='significance after Holm\'s correction (default 0.05)')
    p.add_argument('--threshold', type=float, default=0.05,
                   help='the smallest change that counts, as a fraction (default 0.05)')
    p.add_argument('--absolute', action='store_true',
                   help='compare seconds even across machines')
    p.add_argument('--fail-on', choices=('slower',),
                   help='exit 1 when a cell got significantly slower beyond the threshold')
    a = p.parse_args(argv)
    if not 0 < a.alpha < 1:
        p.error(f'--alpha {a.alpha}: allowed: between 0 and 1')
    if a.output is not None and a.format != 'html':
        p.error(f'-o {a.output}: allowed with --format html only (the others go to stdout)')
    if not 0 <= a.threshold < 10:
        p.error(f'--threshold {a.threshold}: allowed: 0 or more, below 10')
    return a


def host_of(meta, path):
    """The machine a run was made on: its host_id, or for a run from before host ids
    what a host id is made of. A merged set must be of one machine."""
    runs = cr.merged_runs(meta)
    if runs:
        hosts = meta.get('hosts', '').split()
        if len(hosts) != 1:
            raise ResultsError(f'{path}: a set of {len(hosts)} machines ({", ".join(hosts)});'
                               ' compare takes the runs of one machine (merge them alone)')
        return (hosts[0],)
    if meta.get('host_id'):
        return (meta['host_id'],)
    return tuple(meta.get(k, '') for k in HOST_KEYS)


def cell_key(row):
    return tuple(row[k] for k in KEY)


def cell_name(key):
    preset, workload, params, runner, rparams, tasks, workers = key
    name = f'{workload} {params} {runner}'
    if rparams:
        name += f' ({rparams})'
    name += f' N={tasks} W={workers}'
    return f'{preset}: {name}' if preset else name


def timed_trials(trials):
    """{cell key: {(run id, trial index): wall}} of the ok, timed, non-warm-up trials (a
    merged set pools the trials of its runs)."""
    out = {}
    for t in trials:
        if t['warmup'] in ('1', 'true') or t['outcome'] != 'ok':
            continue
        wall = float(t['wall_s'])
        if wall > 0:
            out.setdefault(cell_key(t), {})[(t.get('run_id', ''), int(t['trial']))] = wall
    return out


def serial_key(key, summary_rows):
    """The key of the serial cell key's speed-up is over, from the summary's baseline."""
    row = summary_rows.get(key)
    base = row.get('baseline') if row else ''
    if not base or base == key[3]:
        return None
    preset, workload, params, _, _, tasks, _ = key
    for k in summary_rows:
        if k[0] == preset and k[1] == workload and k[2] == params and k[3] == base and \
                k[5] == tasks:
            return k
    return None


def samples(run, key, absolute):
    """(what is compared, its values, higher is better) for cell key of run."""
    walls = run['walls'].get(key, {})
    if absolute:
        return 'wall_s', list(walls.values()), False
    sk = serial_key(key, run['summary'])
    if sk:
        serial = run['walls'].get(sk, {})
        pairs = [serial[i] / w for i, w in walls.items() if i in serial]
        return 'speedup', pairs, True
    # each trial over the floor its own run measured
    out = []
    for (rid, _), w in walls.items():
        row = run['rows'].get((rid, key))
        floor = cr.num(row, 'floor_s') if row else None
        if not floor or floor <= 0:
            return None, [], False
        out.append((w - (cr.num(row, 'ideal_s') or 0)) / floor)
    return ('overhead_vs_floor', out, False) if out else (None, [], False)


def load(path):
    trials, summary, meta, _ = cr.load_run(path)
    first = {}
    for r in summary:
        first.setdefault(cell_key(r), r)
    return {'path': path, 'meta': meta, 'host': host_of(meta, path),
            'walls': timed_trials(trials), 'summary': first,
            'rows': {(r.get('run_id', ''), cell_key(r)): r for r in summary}}


def compare(a, b, alpha, threshold, absolute):
    """The rows of the comparison, and whether the runs are from one machine."""
    same_host = a['host'] == b['host']
    absolute = absolute or same_host
    keys_a, keys_b = set(a['summary']), set(b['summary'])
    common = [k for k in a['summary'] if k in keys_b]
    if not common:
        raise ResultsError(f'{a["path"]} and {b["path"]} have no cell in common')
    rows = []
    for k in common:
        what, va, higher = samples(a, k, absolute)
        _, vb, _ = samples(b, k, absolute)
        r = {'cell': cell_name(k), 'key': k, 'metric': what or '', 'n_a': len(va),
             'n_b': len(vb), 'a': None, 'b': None, 'ratio': None, 'lo': None, 'hi': None,
             'p': None, 'p_holm': None, 'verdict': 'too few trials', 'higher_is_better': higher,
             'va': va, 'vb': vb}
        if what is None:
            r['verdict'] = 'not comparable across machines'
        elif len(va) >= MIN_TRIALS and len(vb) >= MIN_TRIALS:
            r['a'], r['b'] = statistics.median(va), statistics.median(vb)
            if r['a'] > 0:
                r['ratio'], r['lo'], r['hi'] = cbstats.ratio_interval(va, vb)
            r['p'] = cbstats.mann_whitney(vb, va)[1]
        elif va and vb:
            r['a'], r['b'] = statistics.median(va), statistics.median(vb)
        rows.append(r)
    tested = [r for r in rows if r['p'] is not None]
    for r, adj in zip(tested, cbstats.holm([r['p'] for r in tested])):
        r['p_holm'] = adj
        if adj < alpha and r['ratio'] is not None and abs(r['ratio'] - 1) > threshold:
            better = (r['ratio'] > 1) == r['higher_is_better']
            r['verdict'] = 'faster' if better else 'slower'
        elif cbstats.min_p(r['n_a'], r['n_b']) * len(tested) >= alpha:
            r['verdict'] = 'too few trials'
        else:
            r['verdict'] = 'same'
    only_a = [cell_name(k) for k in a['summary'] if k not in keys_b]
    only_b = [cell_name(k) for k in b['summary'] if k not in keys_a]
    return rows, only_a, only_b, same_host, absolute


def fmt(v, what):
    if v is None:
        return ''
    return cr.fmt_s(v) if what == 'wall_s' else f'{v:.3g}'


def ratio_text(r):
    if r['ratio'] is None:
        return ''
    return f"{r['ratio']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"


def p_text(v):
    return '' if v is None else f'{v:.2g}'


def header_lines(ctx):
    lines = [f"A: {ctx['a']} ({cr.machine_line(ctx['meta_a'])})",
             f"B: {ctx['b']} ({cr.machine_line(ctx['meta_b'])})"]
    if not ctx['same_host']:
        lines.append('A and B are from different machines: ' +
                     ('seconds compared anyway (--absolute)' if ctx['absolute'] else
                      'compared by speed-up over serial or overhead over the floor, not '
                      'seconds'))
    for key in CONTEXT_KEYS:  # what else could explain a change, said before any verdict
        va, vb = ctx['meta_a'].get(key, ''), ctx['meta_b'].get(key, '')
        if va != vb:
            lines.append(f'{key} differs: A {va or "(none)"}, B {vb or "(none)"}')
    lines.append(f"{ctx['cells']} cells in both; B/A of medians with a 95% bootstrap "
                 f"interval; Mann-Whitney U, Holm-corrected over {ctx['tested']} cells, "
                 f"alpha {ctx['alpha']}, changes under {ctx['threshold']:.0%} are 'same'")
    return lines


def render_table(rows, only_a, only_b, ctx, colour):
    cols = ['cell', 'compared', 'A', 'B', 'B/A [95%]', 'p', 'p Holm', 'verdict']
    body = [[r['cell'], r['metric'], fmt(r['a'], r['metric']), fmt(r['b'], r['metric']),
             ratio_text(r), p_text(r['p']), p_text(r['p_holm']), r['verdict']] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(cols)]
    paint = {'faster': '\033[32m', 'slower': '\033[31m'}
    out = header_lines(ctx) + ['', '  '.join(c.ljust(w) for c, w in zip(cols, widths))]
    for line, r in zip(body, rows):
        text = '  '.join(v.ljust(w) for v, w in zip(line, widths)).rstrip()
        if colour and r['verdict'] in paint:
            text = paint[r['verdict']] + text + '\033[0m'
        out.append(text)
    out += summary_lines(rows, only_a, only_b)
    return '\n'.join(out) + '\n'


def summary_lines(rows, only_a, only_b):
    counts = {}
    for r in rows:
        counts[r['verdict']] = counts.get(r['verdict'], 0) + 1
    out = ['', ', '.join(f'{n} {v}' for v, n in sorted(counts.items()))]
    out += [f'only in A: {c}' for c in only_a] + [f'only in B: {c}' for c in only_b]
    return out


def render_md(rows, only_a, only_b, ctx):
    out = header_lines(ctx) + ['', '| cell | compared | A | B | B/A [95%] | p | p Holm | verdict |',
                               '|---|---|---|---|---|---|---|---|']
    for r in rows:
        cells = [r['cell'], r['metric'], fmt(r['a'], r['metric']), fmt(r['b'], r['metric']),
                 ratio_text(r), p_text(r['p']), p_text(r['p_holm']),
                 f"**{r['verdict']}**" if r['verdict'] in ('faster', 'slower') else r['verdict']]
        out.append('| ' + ' | '.join(c.replace('|', '/') for c in cells) + ' |')
    out += summary_lines(rows, only_a, only_b)
    return '\n'.join(out) + '\n'


FIELDS = ('cell', 'metric', 'n_a', 'n_b', 'a', 'b', 'ratio', 'lo', 'hi', 'p', 'p_holm',
          'verdict')


def render_csv(rows, only_a, only_b):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(KEY + FIELDS[1:])
    for r in rows:
        w.writerow(list(r['key']) + ['' if r[f] is None else r[f] for f in FIELDS[1:]])
    for side, cells in (('A', only_a), ('B', only_b)):
        for c in cells:
            w.writerow([''] * len(KEY) + [''] * (len(FIELDS) - 2) + [f'only in {side}: {c}'])
    return buf.getvalue()


def render_json(rows, only_a, only_b, ctx):
    doc = {'context': {k: ctx[k] for k in ('a', 'b', 'same_host', 'absolute', 'alpha',
                                           'threshold', 'cells', 'tested')},
           'cells': [dict({k: v for k, v in zip(KEY, r['key'])},
                          **{f: r[f] for f in FIELDS[1:]}) for r in rows],
           'only_in_a': only_a, 'only_in_b': only_b}
    return json.dumps(doc, indent=1, allow_nan=False) + '\n'


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if a.output is not None:
            import htmlpage
            htmlpage.check_target(a.output)  # before any work
        ra, rb = load(a.a), load(a.b)
        rows, only_a, only_b, same_host, absolute = compare(ra, rb, a.alpha, a.threshold,
                                                            a.absolute)
    except (ResultsError, OSError) as e:
        return cr.refuse('compare', e)
    ctx = {'a': a.a, 'b': a.b, 'meta_a': ra['meta'], 'meta_b': rb['meta'],
           'same_host': same_host, 'absolute': absolute, 'alpha': a.alpha,
           'threshold': a.threshold, 'cells': len(rows),
           'tested': sum(r['p'] is not None for r in rows)}
    if a.format == 'md':
        text = render_md(rows, only_a, only_b, ctx)
    elif a.format == 'csv':
        text = render_csv(rows, only_a, only_b)
    elif a.format == 'json':
        text = render_json(rows, only_a, only_b, ctx)
    elif a.format == 'html':
        import comparehtml
        text = comparehtml.render_html(rows, only_a, only_b, ctx, header_lines(ctx))
        if a.output is not None:
            try:
                comparehtml.write(a.output, text)
            except (ResultsError, cr.WriteError) as e:
                return cr.refuse('compare', e)
            print(f'compare: wrote {a.output} ({len(text.encode("utf-8")) // 1024} KiB)')
            return 1 if a.fail_on == 'slower' and any(r['verdict'] == 'slower'
                                                       for r in rows) else 0
    else:
        colour = sys.stdout.isatty() and not os.environ.get('NO_COLOR')
        text = render_table(rows, only_a, only_b, ctx, colour)
    try:
        cr.write_stdout(text)
    except cr.WriteError as e:
        return cr.refuse('compare', e)
    if a.fail_on == 'slower' and any(r['verdict'] == 'slower' for r in rows):
        return 1
    return 0
