"""One self-contained HTML page of a concbench run (scripts/report): the machine and the
command; a summary answering the run's question (per experiment the fastest model, by how
much, with its interval, and at what memory); a section per experiment with its question,
scripts/plot's figures (inline SVG) and its table, sortable by any column, noisy and
failed cells marked; for a set merged from several machines the models x machines view;
and, when the run has the articles' presets, their pages and the claims' verdicts."""

import argparse
import io
import os
import re
import sys

import cbresults as cr
import htmlpage as hp
import plotaxes as pa
from cbresults import ResultsError, fmt_s, num
from htmlpage import esc
from plotwords import experiments, hosts_of, namer, scale_of

NAME = 'report.html'


def parse_args(argv):
    p = argparse.ArgumentParser(prog='report', description='One HTML page of a concbench run.')
    p.add_argument('run', nargs='?', default=None,
                   help='the run: any of its files, its folder, its run id, or a set '
                        'scripts/merge made (default results/latest, the newest '
                        '`ninja -C build bench` run)')
    p.add_argument('-o', '--output', default=None,
                   help=f'the page to write (default {NAME} in the run\'s folder)')
    return p.parse_args(argv)


# --- numbers in words --------------------------------------------------------------------

def median_interval(r):
    """(lo, hi, text) of the median's 95% interval as concbench's table gives it: the
    sign-test interval from 6 trials; under 6 the min ... max with the coverage it has
    (75% for 3). A summary from before median_lo_s: its ci95 columns. (None, None, '')
    where there is none."""
    if 'median_lo_s' in r:
        lo, hi = num(r, 'median_lo_s'), num(r, 'median_hi_s')
        if lo is not None and hi is not None:
            return lo, hi, f'[{fmt_s(lo)}, {fmt_s(hi)}]'
        n = int(r['trials_ok'] or 0)
        lo, hi = num(r, 'min_s'), num(r, 'max_s')
        if n >= 2 and lo is not None and hi is not None:
            return lo, hi, f'{fmt_s(lo)} … {fmt_s(hi)} ({1 - 2 * 0.5 ** n:.0%})'
        return None, None, ''
    lo, hi = num(r, 'ci95_lo_s'), num(r, 'ci95_hi_s')
    if lo is None or hi is None or lo <= 0:
        return None, None, ''
    return lo, hi, f'[{fmt_s(lo)}, {fmt_s(hi)}]'


def interval_text(lo, hi, fmt):
    return f'[{fmt(lo)}, {fmt(hi)}]' if lo is not None and hi is not None else ''


def times(x):
    return f'{x:.2f}x'


def rss_text(b):
    if b is None:
        return ''
    return pa.fmt_bytes(b) if b >= 1024 else f'{b:.0f} B'


def is_failed(r):
    return num(r, 'median_s') is None or 'failed' in r['flags']


def is_noisy(r):
    return 'noisy' in r['flags']


def model_name(r):
    text = r['runner'] + (f" ({r['runner_params']})" if r['runner_params'] else '')
    return text


def workers_text(r):
    return 'all' if int(r['workers']) == 0 else r['workers']


# --- the summary at the top ----------------------------------------------------------------

def fastest_line(e):
    """The experiment's answer: the fastest cell (at its largest N where several), how
    much faster than serial with its interval, how much before the next model, its RSS."""
    ok = [r for r in e.rows if num(r, 'median_s') is not None]
    if not ok:
        return f'no cell completed ({", ".join(sorted({r["outcomes"] for r in e.rows}))})'
    n = max(int(r['tasks']) for r in ok)
    at = [r for r in ok if int(r['tasks']) == n]
    at.sort(key=lambda r: num(r, 'median_s'))
    best = at[0]
    _, _, iv = median_interval(best)
    name = namer(at)  # the model, and W where it ran with several
    parts = [f'<strong>{hp.swatch(best["runner"])}{esc(name(best))}</strong> is fastest'
             + (f' at N = {pa.fmt_count(n)}' if len(e.tasks()) > 1 else '') +
             f': {fmt_s(num(best, "median_s"))} {iv}']
    sp = num(best, 'speedup')
    if sp is not None and best['runner'] != (best.get('baseline') or 'serial'):
        slo, shi = num(best, 'speedup_lo'), num(best, 'speedup_hi')
        parts.append(f'{times(sp)} {interval_text(slo, shi, times)} '.replace('  ', ' ') +
                     'the speed of '
                     f'{esc(best.get("baseline") or "serial")}')
    nxt = next((r for r in at[1:] if r['runner'] != best['runner']), None)
    if nxt:
        parts.append(f'{times(num(nxt, "median_s") / num(best, "median_s"))} ahead of the '
                     f'next model, {esc(name(nxt))} ({fmt_s(num(nxt, "median_s"))})')
    rss = num(best, 'rss_per_task_b')
    if rss is not None:
        parts.append(f'at {rss_text(rss)} of RSS per task')
    bad = [r for r in e.rows if is_failed(r)]
    if bad:
        parts.append(f'<span class="mark-failed">✗ {len(bad)} cell'
                     f'{"s" if len(bad) > 1 else ""} failed</span>')
    return '; '.join(parts)


class _Rows:
    """An experiment's cells on one machine, for fastest_line."""

    def __init__(self, e, rows):
        self.rows, self.name = rows, e.name

    def tasks(self):
        return sorted({int(r['tasks']) for r in self.rows})


def answer(e):
    """fastest_line of the experiment, per machine where it holds several."""
    hosts = hosts_of(e.rows)
    if len(hosts) < 2:
        return fastest_line(e)
    return '<ul>' + ''.join(
        f'<li>on <strong>{esc(h)}</strong>: '
        f'{fastest_line(_Rows(e, [r for r in e.rows if r.get("host_id", "") == h]))}</li>'
        for h in hosts) + '</ul>'


def summary_html(exps):
    items = [f'<li><a href="#{esc(e.name)}">{esc(e.name)}</a>: {answer(e)}</li>'
             for e in exps]
    return ('<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary: '
            'the fastest model of each question</h2>\n<ul class="summary">' + '\n'.join(items) +
            '</ul><p class="muted">Times are medians of the measured trials with the 95% '
            'interval of the median; speed-ups are over the family\'s serial run (Python\'s '
            'over py-serial) with the interval of paired trials; RSS is the peak above an '
            'empty trial child, per task.</p></section>')


# --- the machine ---------------------------------------------------------------------------

MACHINE_KEYS = (('cpu', 'CPU'), ('cores', 'cores'), ('kernel', 'kernel'), ('arch', 'arch'),
                ('host', 'host'), ('memory_mib', 'memory (MiB)'), ('heap', 'heap'),
                ('libs', 'libraries'), ('build', 'build'), ('commit', 'commit'),
                ('date', 'date'), ('version', 'concbench'))


def merged_machines_html(meta):
    """A merged set: a column per run, a row per machine key."""
    runs = cr.merged_runs(meta)
    metas = [cr.run_meta(meta, r) for r in runs]
    keys = [('host_id', 'machine')] + [k for k in MACHINE_KEYS if any(m.get(k[0]) for m in metas)]
    keys.append(('command', 'command'))
    rows = [('', [(esc(label), None)] + [(esc(m.get(k, '')), None) for m in metas])
            for k, label in keys]
    return hp.table([('', True)] + [(r, True) for r in runs], rows, sortable=False,
                    caption=f'{len(runs)} runs merged (scripts/merge)')


def machine_html(meta):
    rows = []
    if cr.merged_runs(meta):
        return merged_machines_html(meta)
    for key, label in MACHINE_KEYS:
        if meta.get(key):
            rows.append((label, esc(meta[key])))
    cap = num(meta, 'parallel_cores')
    if cap is not None:
        lo, hi = num(meta, 'parallel_cores_lo'), num(meta, 'parallel_cores_hi')
        rows.insert(2, ('capacity', f'{cap:.2f} cores in parallel '
                                    f'{interval_text(lo, hi, lambda v: f"{v:.2f}")} (measured)'))
    floors = [(k[len('floor_'):-2].replace('_', ' '), num(meta, k)) for k in meta
              if k.startswith('floor_') and k.endswith('_s') and ':' not in k]
    if floors:
        rows.append(('floors', esc('; '.join(f'{k} {fmt_s(v)}' for k, v in floors))))
    per_cell = [k for k in meta if k.startswith('floor_s:')]
    if per_cell:
        rows.append(('cell floors', f'{len(per_cell)} measured (the bare primitive per '
                                    'model and N; ×floor in the tables)'))
    dl = ''.join(f'<dt>{label}</dt><dd>{value}</dd>' for label, value in rows)
    cmd = meta.get('command', '')
    return (f'<dl class="machine">{dl}</dl>' +
            (f'<p>Command: <code>{esc(cmd)}</code></p>' if cmd else ''))


# --- the sections ----------------------------------------------------------------------------

HEAD = (('model', True), ('N', False), ('W', False), ('median', False),
        ('95% CI of median', False), ('speed-up', False), ('speed-up 95%', False),
        ('ideal', False), ('overhead/task', False), ('×floor', False), ('RSS/task', False),
        ('outcomes', True), ('flags', True))


def cell_row(r, lead=()):
    med = num(r, 'median_s')
    lo, _, iv = median_interval(r)
    sp, slo, shi = num(r, 'speedup'), num(r, 'speedup_lo'), num(r, 'speedup_hi')
    ideal, ovh, vsf = num(r, 'ideal_s'), num(r, 'overhead_per_task_s'), num(r, 'overhead_vs_floor')
    rss = num(r, 'rss_per_task_b')
    marks = []
    if is_failed(r):
        marks.append('<span class="mark-failed">✗ failed</span>')
    if is_noisy(r):
        marks.append('<span class="mark-noisy">~ noisy</span>')
    flags = ' '.join(marks + [esc(f) for f in r['flags'].split(';') if f and f not in
                              ('failed', 'noisy')])
    cells = [(esc(r[c]), None) for c in lead]
    cells += [(hp.swatch(r['runner']) + esc(model_name(r)), None),
              (r['tasks'], r['tasks']), (workers_text(r), r['workers']),
              (fmt_s(med), med), (iv, lo),
              (times(sp) if sp is not None else '', sp),
              (interval_text(slo, shi, times), slo),
              (fmt_s(ideal), ideal), (fmt_s(ovh), ovh),
              (f'{vsf:.2f}' if vsf is not None else '', vsf), (rss_text(rss), rss),
              (esc(r['outcomes']), None), (flags, None)]
    cls = 'failed' if is_failed(r) else 'noisy' if is_noisy(r) else ''
    return cls, [(t, '' if v is None else f'{v:.6g}' if isinstance(v, float) else v)
                 for t, v in cells]


def lead_of(summary):
    hosts = {}
    for r in summary:
        hosts.setdefault(r.get('host_id', ''), set()).add(r.get('run_id', ''))
    lead = ['host_id'] if len(hosts) > 1 else []
    return lead + (['run_id'] if any(len(v) > 1 for v in hosts.values()) else [])


def cells_table(rows, lead):
    head = [(c[:-3], True) for c in lead] + list(HEAD)
    return hp.table(head, [cell_row(r, lead) for r in rows],
                    caption='Click a heading to sort. ✗ failed: no completed trial or a task '
                            'failed; ~ noisy: the trials spread widely (cv).')


def machines_table(e):
    """Models x machines: each model's speed-up (or median) on each machine."""
    hosts = hosts_of(e.rows)
    if len(hosts) < 2:
        return ''
    use_sp = any(num(r, 'speedup') is not None for r in e.rows)
    keys = []
    for r in e.rows:
        k = (r['runner'], r['runner_params'], r['tasks'], r['workers'])
        if k not in keys:
            keys.append(k)
    rows = []
    for k in keys:
        cells = [(hp.swatch(k[0]) + esc(k[0] + (f' ({k[1]})' if k[1] else '')), None),
                 (k[2], k[2]), ('all' if k[3] == '0' else k[3], k[3])]
        for h in hosts:
            r = next((x for x in e.rows if x.get('host_id', '') == h and
                      (x['runner'], x['runner_params'], x['tasks'], x['workers']) == k), None)
            v = num(r, 'speedup' if use_sp else 'median_s') if r else None
            cells.append(((times(v) if use_sp else fmt_s(v)) if v is not None else '',
                          '' if v is None else f'{v:.6g}'))
        rows.append(('', cells))
    head = [('model', True), ('N', False), ('W', False)] + [(h, False) for h in hosts]
    what = 'speed-up over serial' if use_sp else 'median wall time'
    return (f'<h3>Models × machines: {what}</h3>' + hp.table(head, rows))


def figure_html(name, svg, alt):
    return (f'<figure>{hp.svg_img(svg, alt, 1200)}'
            f'<figcaption>{esc(name)}: {esc(alt)} (the numbers are in the table below)'
            '</figcaption></figure>')


def section_html(e, figs, lead, titles):
    title = e.title
    preset_title = titles.get(e.preset, '') if e.preset else ''
    if preset_title and preset_title not in title:  # one of several experiments of a preset
        title = f'{preset_title}. This part: {title}'
    body = [f'<section id="{esc(e.name)}" aria-labelledby="h-{esc(e.name)}">',
            f'<h2 id="h-{esc(e.name)}">{esc(e.name)}</h2>',
            f'<p class="question">{esc(title)}</p>']
    body += [figure_html(n, svg, alt) for n, svg, alt in figs]
    body.append(cells_table(e.rows, lead))
    body.append(machines_table(e))
    body.append('</section>')
    return '\n'.join(body)


# --- the figures (scripts/plot's, in process) ------------------------------------------------

def rendered_svgs(summary, meta, titles):
    """[(name, svg bytes, its heading in words)] of every figure plot would draw; [] when
    matplotlib is missing (the tables stay)."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    import plot
    matplotlib.rcParams['svg.fonttype'] = 'none'  # text as text: small, and readable
    matplotlib.rcParams['svg.hashsalt'] = 'concbench'
    out = []
    for name, fig in plot.figures(plt, summary, meta, titles):
        alt = ' '.join(t.get_text().replace('\n', ' ') for t in fig.texts[:2])
        buf = io.BytesIO()
        fig.savefig(buf, format='svg', dpi=plot.DPI, metadata={'Date': None})
        plt.close(fig)
        out.append((name, buf.getvalue(), alt))
    return out


def assign(figs, exps):
    """{experiment name: [figure]}: each figure under the experiment its name starts with
    (the longest such name), else under the first experiment of its preset; leftovers
    under None."""
    by = {}
    names = sorted((e.name for e in exps), key=len, reverse=True)
    for f in figs:
        hit = next((n for n in names if f[0] == n or f[0].startswith(n + '-')), None)
        if hit is None:
            hit = next((e.name for e in exps if e.preset and f[0].startswith(e.preset)), None)
        by.setdefault(hit, []).append(f)
    return by


# --- the articles' pages ------------------------------------------------------------------

def inline_md(text):
    text = esc(text)
    text = re.sub(r'\*\*(PASS|FAIL|SKIP)\*\*', r'<span class="\1">\1</span>', text)
    text = re.sub(r'\*\*(.+?)\*\*', r'<strong>\1</strong>', text)
    text = re.sub(r'\*(.+?)\*', r'<em>\1</em>', text)
    return re.sub(r'`(.+?)`', r'<code>\1</code>', text)


def md_html(md):
    """pages.py's Markdown (headings, paragraphs, tables, bullets) as HTML."""
    out, lines, i = [], md.split('\n'), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('|'):
            block = []
            while i < len(lines) and lines[i].startswith('|'):
                block.append([c.strip() for c in lines[i].strip().strip('|').split('|')])
                i += 1
            head, body = block[0], [b for b in block[1:] if not all(set(c) <= {'-'} for c in b)]
            texts = [True] + [False] * (len(head) - 1)
            out.append(hp.table([(h, t) for h, t in zip(head, texts)],
                                [('', [(inline_md(c), _sort_value(c)) for c in row])
                                 for row in body], cls='article'))
            continue
        if line.startswith('- '):
            items = []
            while i < len(lines) and lines[i].startswith('- '):
                items.append(f'<li class="claim">{inline_md(lines[i][2:])}</li>')
                i += 1
            out.append('<ul class="claims">' + ''.join(items) + '</ul>')
            continue
        m = re.match(r'(#+) (.*)', line)
        if m:
            level = min(len(m.group(1)) + 1, 4)
            out.append(f'<h{level}>{inline_md(m.group(2))}</h{level}>')
        elif line.strip():
            out.append(f'<p>{inline_md(line)}</p>')
        i += 1
    return '\n'.join(out)


def _sort_value(text):
    m = re.match(r'\s*([0-9.]+(?:e[-+]?[0-9]+)?)\s*(s|ms|us|KiB|MiB|B|x)?\b', text)
    if not m:
        return ''
    try:
        v = float(m.group(1))
    except ValueError:
        return ''
    return f'{v * {"ms": 1e-3, "us": 1e-6, "KiB": 1024, "MiB": 1048576}.get(m.group(2), 1):.6g}'


def articles_html(trials, summary, meta, header, titles):
    """The articles' pages (scripts/articles' Markdown, verdicts by claims.py), or ''."""
    import claims as cl
    import pages
    import reference
    from cbrun import Run
    ours = list(dict.fromkeys(r['preset'] for r in summary
                              if r['preset'] and pages.article_of(r['preset']) in pages.ARTICLES))
    if not ours:
        return '', None
    if cr.merged_runs(meta):  # the claims judge one run's trials on one machine
        return ('<section id="articles" aria-labelledby="articles-h"><h2 id="articles-h">'
                'The articles\' claims</h2><p>Not judged on a merged set: the claims judge '
                'one run on one machine; make the report of each run.</p></section>', None)
    run = Run(trials, summary, meta, header)
    claims = cl.load_claims(cl.default_path(), titles, cr.RUNNERS)
    cl.need_metrics(run, claims)
    refs = reference.read_reference(os.path.join(cr.TREE, 'results', 'reference'))
    results = cl.verdicts(run, claims, only=ours)
    texts = pages.pages(run, refs, titles, results)
    allv = [v for vs in results.values() for v in vs]
    count = {s: sum(v.status == s for v in allv) for s in ('PASS', 'FAIL', 'SKIP')}
    body = ['<section id="articles" aria-labelledby="articles-h">',
            '<h2 id="articles-h">The articles\' claims, judged on this run</h2>',
            f'<p class="question">{count["PASS"]} <span class="PASS">PASS</span>, '
            f'{count["FAIL"]} <span class="FAIL">FAIL</span>, {count["SKIP"]} '
            '<span class="SKIP">SKIP</span> (the claims: <code>scripts/claims.csv</code>).</p>']
    for a in sorted(texts):
        if a in pages.ARTICLES:
            body.append(f'<article id="article-{esc(a)}">{md_html(texts[a])}</article>')
    body.append('</section>')
    return '\n'.join(body), count


# --- the page ---------------------------------------------------------------------------------

def report_html(trials, summary, meta, header, run_name):
    titles = cr.read_presets()
    exps = experiments(summary, titles, scale_of(meta))
    figs = rendered_svgs(summary, meta, titles)
    by = assign(figs or [], exps)
    lead = lead_of(summary)
    articles, count = articles_html(trials, summary, meta, header, titles)
    toc = ''.join(f'<li><a href="#{esc(e.name)}">{esc(e.name)}</a></li>' for e in exps)
    if articles:
        toc += '<li><a href="#articles">the articles\' claims</a></li>'
    parts = [f'<header><h1>concbench run: {esc(run_name)}</h1>',
             machine_html(meta), '</header>', summary_html(exps)]
    if count:
        parts.append(f'<p>Articles\' claims: {count["PASS"]} PASS, {count["FAIL"]} FAIL, '
                     f'{count["SKIP"]} SKIP (<a href="#articles">below</a>).</p>')
    if figs is None:
        parts.append('<p class="muted">No plots: matplotlib is missing for this Python '
                     '(apt-get install python3-matplotlib); the tables hold every number.</p>')
    parts.append(f'<nav class="toc" aria-label="sections"><ul>{toc}</ul></nav>')
    parts += [section_html(e, by.get(e.name, []), lead, titles) for e in exps]
    if by.get(None):
        parts.append('<section id="more"><h2>More figures</h2>' +
                     ''.join(figure_html(n, s, a) for n, s, a in by[None]) + '</section>')
    if articles:
        parts.append(articles)
    parts.append(f'<footer class="muted"><p>{esc(cr.machine_line(meta))}; concbench '
                 f'{esc(meta.get("version", "?"))}. Written by <code>scripts/report</code>.'
                 '</p></footer>')
    return hp.page(f'concbench: {run_name}', '\n'.join(parts))



def main(argv=None):
    """The page is made whole from the checked run, then written in one rename."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run = cr.chosen_run(args.run)
        try:
            path = cr.resolve_run(run)
            tpath, spath, _ = cr.run_paths(path)
            if not os.path.exists(spath):
                raise ResultsError(f'{spath}: no such file (a run has its FILE.summary.csv '
                                   'beside its trials; run concbench -o FILE)')
            out = args.output or os.path.join(os.path.dirname(os.path.abspath(spath)), NAME)
            hp.check_target(out)
            trials, summary, meta, header = cr.load_run(path)
        except ResultsError as e:
            said = str(e)
            if args.run is None:
                raise ResultsError(f'results/latest (the default): {said}') from None
            raise e if said.startswith(args.run) else ResultsError(f'{args.run}: {said}') \
                from None
        name = os.path.basename(spath)[:-len('.summary.csv')]
        folder = os.path.basename(os.path.dirname(os.path.abspath(spath)))
        # A run's own id names it, not its folder: ninja bench writes the page while the
        # run's folder still has its temporary name.
        label = meta.get('run_id') or f'{folder}/{name}'
        text = report_html(trials, summary, meta, header, label)
        hp.write(out, text)
    except (ResultsError, cr.WriteError) as e:
        return cr.refuse('report', e)
    print(f'report: wrote {out} ({len(text.encode("utf-8")) // 1024} KiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
