"""What scripts/plot's figures say, in words: the experiments of a run (one question
each) with their file names (cpu-countdown-10x50M) and titles, and a cell as the answers
and the bar labels name it (threads W=2 at N=1k on host). Nothing here draws."""

import re

import cbresults as cr
import plotaxes as pa
from cbresults import num


# --- experiments and their names ---------------------------------------------------------

def params_of(text):
    """[(key, value)] of a params field, the empty values (url=) left out."""
    out = []
    for part in text.split(';'):
        k, _, v = part.partition('=')
        if k and v != '':
            out.append((k, v))
    return out


def exact_words(v):
    """An integer in words where exact (50000000: 50M, 2500: 2.5k), else as it is."""
    try:
        n = int(v)
    except ValueError:
        return v if len(v) <= 24 else v[:23] + '…'
    for scale, unit in ((10 ** 9, 'G'), (10 ** 6, 'M'), (10 ** 3, 'k')):
        if n >= scale and (n * 10) % scale == 0:
            return f'{n / scale:g}{unit}'
    return str(n)


# The size of one task of a workload, in a word for file names (cpu-countdown-10x50M).
SIZES = {
    'countdown': lambda p: exact_words(p['n']),
    'power': lambda p: f"{p['base']}^{exact_words(p['exp'])}",
    'sleep': lambda p: f"{p['ms']}ms" + (f"x{p['steps']}" if p.get('steps', '1') != '1'
                                         else ''),
    'pingpong': lambda p: f"{exact_words(p['rounds'])}-rounds",
    'http': lambda p: f"{p['delay_ms']}ms",
    'stall': lambda p: f"{p['compute_ms']}ms",
    'queue': lambda p: f"{p['orders']}-orders",
}


def size_words(workload, params):
    try:
        return SIZES[workload](dict(params_of(params)))
    except KeyError:
        return ''


def params_words(params):
    return ', '.join(f'{k}={exact_words(v)}' for k, v in params_of(params))


class Experiment:
    """The cells of one question: one preset's workload and params (or one workload's
    params in a run without presets). name: its files' name; title: what it is."""

    def __init__(self, key, rows):
        self.preset, self.workload, self.params = key
        self.rows = rows
        self.name = self.title = ''

    def tasks(self):
        return sorted({int(r['tasks']) for r in self.rows})


def safe(name):
    return re.sub(r'[^A-Za-z0-9_.^+=-]+', '_', name).strip('_') or 'run'


def experiments(summary, titles, scale=''):
    """[Experiment] in the order first seen, each named in words: the preset alone when
    it holds one experiment, else with the workload and the size of its tasks
    (cpu-countdown-10x50M); a run without presets by workload and size (sleep-5ms)."""
    groups = {}
    for r in summary:
        groups.setdefault((r['preset'], r['workload'], r['params']), []).append(r)
    exps = [Experiment(k, rows) for k, rows in groups.items()]
    by_base = {}
    for e in exps:
        by_base.setdefault(e.preset or e.workload, []).append(e)
    for base, group in by_base.items():
        workloads = {e.workload for e in group}
        for e in group:
            parts = [base]
            if e.preset and len(workloads) > 1:
                parts.append(e.workload)
            if not e.preset or len(group) > 1:
                size, ns = size_words(e.workload, e.params), e.tasks()
                if len(ns) == 1 and len(group) > 1:
                    parts.append(f'{ns[0]}x{size}' if size else f'{ns[0]}-tasks')
                elif size:
                    parts.append(size)
            e.name = '-'.join(parts)
        distinguish(group)
        for e in group:
            e.name = safe(e.name)
            e.title = title_of(e, titles, len(group) == 1, scale)
    return exps


def distinguish(group):
    """Names still shared within a preset get the params in which their cells differ,
    then a count."""
    clash = {}
    for e in group:
        clash.setdefault(e.name, []).append(e)
    for same in clash.values():
        if len(same) < 2:
            continue
        every = [dict(params_of(e.params)) for e in same]
        keys = sorted({k for p in every for k in p if len({q.get(k) for q in every}) > 1})
        for e, p in zip(same, every):
            e.name += ''.join(f'-{k}{exact_words(p[k])}' for k in keys if k in p)
        if len({e.name for e in same}) < len(same):
            for i, e in enumerate(same):
                e.name += f'-{i + 1}'


def scale_of(meta):
    """--scale of the run's command line, as written; '' for none or 1."""
    m = re.search(r'--scale[= ](\S+)', meta.get('command', ''))
    try:
        return m.group(1) if m and float(m.group(1)) != 1 else ''
    except ValueError:
        return ''


def title_of(e, titles, alone, scale=''):
    """What the experiment is: its preset's title (with the sizes it ran at, when a
    --scale changed them), or the workload, params and N."""
    if e.preset and alone and titles.get(e.preset):
        words = params_words(e.params)
        return titles[e.preset] + (f' (run at --scale {scale}: {words})' if scale else '')
    ns = e.tasks()
    tasks = (f'{ns[0]} tasks' if len(ns) == 1 else
             f'N = {pa.fmt_count(ns[0])} … {pa.fmt_count(ns[-1])} tasks')
    words = params_words(e.params)
    return (f'{e.preset}: ' if e.preset else '') + e.workload + (f' {words}' if words else '') \
        + f'; {tasks}'


# --- cells in words ----------------------------------------------------------------------

def hosts_of(rows):
    """The machines of a summary in the order first seen: one for a single run."""
    return list(dict.fromkeys(r.get('host_id', '') for r in rows))


def namer(rows):
    """A function naming a cell in the answers: the model, and W, N and the machine only
    where the experiment has several of them (W: where that model has several)."""
    ws = {}
    for r in rows:
        ws.setdefault(r['runner'], set()).add(r['workers'])
    many_n = len({r['tasks'] for r in rows}) > 1
    many_h = len(hosts_of(rows)) > 1

    def name(r):
        text = r['runner']
        if len(ws[r['runner']]) > 1:
            text += ' ' + pa.w_words(r['workers'])
        if many_n:
            text += f" at N={pa.fmt_count(int(r['tasks']))}"
        return text + (f" on {r.get('host_id', '')}" if many_h else '')
    return name


def bar_label(r, hosts):
    text = f"{r['runner']} {pa.w_words(r['workers'])}"
    return text + (f" {r.get('host_id', '')}" if len(hosts) > 1 else '')


def cell_order(hosts):
    return lambda r: (int(r['tasks']), cr.runner_rank(r['runner']), -cr.effective_workers(r),
                      r['runner'], hosts.index(r.get('host_id', '')))


def has_speedup(rows):
    """A speed-up exists: a cell other than its baseline has one."""
    return any(num(r, 'speedup') is not None and r['runner'] != (r.get('baseline') or 'serial')
               for r in rows)


def failed(rows):
    """'; no ok trial: threads, procs (deadlocked), evloop (failed)' for the cells without
    a median, by how their trials ended; '' when every cell has one."""
    bad = [r for r in rows if num(r, 'median_s') is None]
    if not bad:
        return ''
    name = namer(rows)
    by = {}
    for r in bad:
        kinds = '+'.join(o.split(':')[0] for o in r['outcomes'].split(';') if o) or 'no trial'
        by.setdefault(kinds, []).append(name(r))
    return '; no ok trial: ' + ', '.join(f"{', '.join(ns)} ({k})" for k, ns in by.items())
