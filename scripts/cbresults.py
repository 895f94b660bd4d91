"""Reading what `concbench -o FILE` writes (trials, FILE.summary.csv, FILE.meta.csv; the
columns are documented in results/README.md), shared by scripts/articles, plot, table,
crosscheck and throughput. Every file is checked whole before a script uses it (cbcsv):
its encoding, its columns, each row's fields and each field's type."""

import os
import re
import sys

import cbcsv
from cbcsv import integer, number

SCRIPTS = os.path.dirname(os.path.realpath(__file__))
TREE = os.path.dirname(SCRIPTS)
# What scripts read when no run is named: `ninja -C build bench`'s newest run.
DEFAULT_RUN = os.path.join(TREE, 'results', 'latest')

# The columns these scripts read; concbench only ever adds columns, so a file that lacks
# one of these was written by another (older) version.
TRIAL_COLUMNS = ('workload', 'params', 'runner', 'runner_params', 'tasks', 'workers',
                 'preset', 'trial', 'wall_s', 'warmup', 'outcome', 'fail_blocked', 'note')
SUMMARY_COLUMNS = ('workload', 'params', 'runner', 'runner_params', 'tasks', 'workers',
                   'preset', 'trials', 'trials_ok', 'median_s', 'min_s', 'max_s', 'speedup',
                   'ideal_s', 'overhead_per_task_s', 'floor_s', 'rss_per_task_b', 'outcomes',
                   'flags')
META_KEYS = ('date', 'version', 'cpu', 'cores', 'kernel')

# The columns of words; every other column of the trials and the summary is a number
# (the workloads' metrics too), finite or empty: a value that does not exist is empty.
TEXT_COLUMNS = ('run_id', 'host_id', 'workload', 'params', 'runner', 'runner_params', 'preset', 'outcome',
                'outcomes', 'flags', 'baseline', 'note')
WORDS = {c: cbcsv.text for c in TEXT_COLUMNS}
TRIAL_TYPES = dict(WORDS, tasks=integer(1), workers=integer(0), trial=integer(0),
                   warmup=integer(0, 1))
SUMMARY_TYPES = dict(WORDS, tasks=integer(1), workers=integer(0), trials=integer(0),
                     trials_ok=integer(0))
# The meta keys that are numbers (a key starting with one of these), and cores.
META_NUMBERS = ('floor_', 'base_rss_kib', 'parallel_cores', 'countdown_', 'core_ghz_est',
                'memory_mib', 'page_bytes')

# The order runners are shown in: the baseline first, then the models by weight.
RUNNER_ORDER = ('serial', 'threads', 'procs', 'evloop', 'green')
# Every runner concbench has (runners/registry.c; a test checks the two agree).
RUNNERS = RUNNER_ORDER + ('bookkeeping', 'py-serial', 'py-threads', 'py-procs', 'py-asyncio', 'py-gevent',
                          'go', 'node')

# Input these scripts cannot read (exit status 2, nothing written), and an output that
# could not be written at run time (exit status 1, nothing replaced).
ResultsError = cbcsv.BadInput
WriteError = cbcsv.WriteFailed


def refuse(prog, e):
    """Prints e as prog's one line on stderr; returns the exit status it calls for."""
    print(f'{prog}: {e}', file=sys.stderr)
    return 1 if isinstance(e, WriteError) else 2


def check_known(where, what, name, allowed):
    """A name that must be one of allowed (listed in the order given) in the error."""
    if name not in allowed:
        raise ResultsError(f'{where}: unknown {what} "{name}" (allowed: {", ".join(allowed)})')


RUN_ID = re.compile(r'[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9._-]+')


def resolve_run(path):
    """A run as the scripts are given it: any of its files, a folder holding one run (a
    run directory of `ninja bench`), or a run id of results/runs/. Returns one of its
    files; a path that names nothing is returned as it is (reading it says so)."""
    if not os.path.exists(path) and RUN_ID.fullmatch(path):
        kept = os.path.join(TREE, 'results', 'runs', path)
        if os.path.isdir(kept):
            path = kept
    if not os.path.exists(path) and not path.endswith('.csv'):
        raise ResultsError(f'{path}: no such run (allowed: a file of a run, its folder, or '
                           'a run id of results/runs/)')
    if not os.path.isdir(path):
        return path
    found = sorted(f for f in os.listdir(path) if f.endswith('.summary.csv'))
    if not found:
        raise ResultsError(f'{path}: not a run: no FILE.summary.csv in it')
    if len(found) > 1:
        raise ResultsError(f'{path}: holds {len(found)} runs ({", ".join(found)}); name '
                           'one of their files')
    return os.path.join(path, found[0])


def run_paths(path):
    """The trials, summary and meta files of one run, given any one of them."""
    base = path
    for suffix in ('.summary.csv', '.meta.csv', '.csv'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    return base + '.csv', base + '.summary.csv', base + '.meta.csv'


def read_table(path, need, types=None, default=number(), need_rows=True):
    """(header, rows) of a CSV, each row a dict, checked whole (cbcsv.read): columns not in
    types are numbers unless default says otherwise."""
    return cbcsv.read(path, need, types or {}, default, need_rows)


def ok_trial_timed(row):
    """An ok trial has its wall time (the judges divide by it)."""
    if row['outcome'] == 'ok' and not float(row['wall_s'] or 0) > 0:
        return 'wall_s', f"'{row['wall_s']}', but an ok trial has a wall time above 0"
    return None


def other_version(path):
    return (f'not a concbench {os.path.basename(path)}, or one from another version; these '
            f'scripts read concbench {tree_version() or "0.1"}')


def read_trials(path):
    return cbcsv.read(path, TRIAL_COLUMNS, TRIAL_TYPES, number(), row_check=ok_trial_timed,
                      hint=other_version(path))


def read_summary(path):
    return cbcsv.read(path, SUMMARY_COLUMNS, SUMMARY_TYPES, number(), hint=other_version(path))


def meta_types(key):
    if key == 'cores':
        return integer(1)
    return number() if key.startswith(META_NUMBERS) else cbcsv.text


def read_meta(path):
    """{key: value} of a meta file: key,value rows, cores a whole number, the floors and
    capacities numbers, every key of META_KEYS there."""
    _, rows = cbcsv.read(path, ('key', 'value'), {}, cbcsv.text,
                         hint='not a concbench meta file: its first line must be "key,value"')
    meta = {}
    for r in rows:
        why = meta_types(r['key'])(r['value'])
        if why:
            raise ResultsError(f"{path}:{r.line}: key '{r['key']}': {why}")
        meta[r['key']] = r['value']
    # A merged set (scripts/merge) keeps each run's keys as RUN_ID.KEY and at the top
    # only what its runs share.
    need = ('date', 'version') if 'merged_from' in meta else META_KEYS
    missing = [k for k in need if k not in meta]
    if missing:
        raise ResultsError(f'{path}: no {", ".join(missing)} (written by another version?)')
    return meta


def tree_version():
    """The project version in meson.build beside these scripts, or None."""
    try:
        with open(os.path.join(TREE, 'meson.build'), encoding='utf-8') as f:
            m = re.search(r"version\s*:\s*'([^']+)'", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def check_version(meta, path):
    """0.x versions may change the format at each minor step: major.minor must match."""
    ours = tree_version()
    theirs = meta.get('version', '')
    if ours and theirs.split('.')[:2] != ours.split('.')[:2]:
        raise ResultsError(f'{path}: written by concbench {theirs}; these scripts read '
                           f'{ours} (re-run concbench, or use the scripts of {theirs})')


def load_run(path, need_trials=True):
    """(trials, summary, meta) of one run; trials is None when not needed."""
    tpath, spath, mpath = run_paths(resolve_run(path))
    meta = read_meta(mpath)
    check_version(meta, mpath)
    sheader, summary = read_summary(spath)
    trials = read_trials(tpath)[1] if need_trials else None
    return trials, summary, meta, sheader


def metric_columns(header):
    """The workloads' metric columns: those after `flags` in the summary."""
    return header[header.index('flags') + 1:] if 'flags' in header else []


def num(row, key):
    """A number from a checked row; None for an empty field or a missing column."""
    v = row.get(key)
    if v is None or v == '':
        return None
    why = number()(v)
    if why:  # a column the checks let through as words
        raise ResultsError(f"column '{key}': {why}")
    return float(v)


def effective_workers(row):
    """W as it acted: 0 (all at once) or more workers than tasks means N."""
    n, w = int(row['tasks']), int(row['workers'])
    return n if w == 0 or w > n else w


def runner_rank(name):
    return RUNNER_ORDER.index(name) if name in RUNNER_ORDER else len(RUNNER_ORDER)


def merged_runs(meta):
    """The run ids of a merged set, in the order merged; [] for one run."""
    return meta.get('merged_from', '').split()


def run_meta(meta, run_id):
    """The meta of one run of a merged set (or the meta of a single run)."""
    if not merged_runs(meta):
        return meta
    prefix = run_id + '.'
    return {k[len(prefix):]: v for k, v in meta.items() if k.startswith(prefix)}


def machine_line(meta):
    runs = merged_runs(meta)
    if runs:
        hosts = {}
        for r in runs:
            m = run_meta(meta, r)
            hosts.setdefault(m.get('host_id', '?'), m)
        return (f'{len(runs)} runs merged, {len(hosts)} machine' +
                ('s' if len(hosts) > 1 else '') + ': ' +
                '; '.join(f"{h}: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, "
                          f"{m.get('kernel', '?')}" for h, m in hosts.items()))
    return (f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, "
            f"{meta.get('kernel', '?')}, {meta.get('date', '?')}")


def fmt_s(s):
    """Seconds, in the unit that reads best."""
    if s is None:
        return ''
    if s >= 1:
        return f'{s:.3g} s'
    if s >= 1e-3:
        return f'{s * 1e3:.3g} ms'
    return f'{s * 1e6:.3g} us'


def check_out(folder):
    """--out: a folder there and writable, or one that can be made (before any work)."""
    cbcsv.check_folder(folder, '--out')


def write_outputs(files):
    """{path: text or bytes} written whole, or none of them (cbcsv.write_whole)."""
    cbcsv.write_whole({p: d.encode('utf-8') if isinstance(d, str) else d
                       for p, d in files.items()})


def write_stdout(text):
    """text on stdout; WriteError when it cannot be written. A reader that stops early
    (a pager, head) is no error. Either way stdout then goes to /dev/null, so the flush at
    exit fails no more."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as e:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise WriteError(f'stdout: {e.strerror}') from None


def read_presets(folder=None):
    """{name: title} of the preset files, for headings; {} when there are none."""
    folder = folder or os.environ.get('CONCBENCH_PRESETS') or os.path.join(TREE, 'bench',
                                                                            'presets')
    titles, name = {}, None
    try:
        files = sorted(f for f in os.listdir(folder) if f.endswith('.preset'))
    except OSError:
        return titles
    for fname in files:
        path = os.path.join(folder, fname)
        try:
            with open(path, encoding='utf-8') as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ResultsError(f'{path}: {e.strerror}') from None
        except UnicodeDecodeError as e:
            raise ResultsError(f'{path}: not UTF-8 ({e.reason})') from None
        for line in lines:
            line = line.strip()
            m = re.fullmatch(r'\[([^\]]+)\]', line)
            if m:
                name = m.group(1)
            elif name and line.startswith('title') and '=' in line:
                titles[name] = line.split('=', 1)[1].strip()
    return titles


def chosen_run(given):
    """The run to read: the one given, else results/latest, which must exist."""
    if given is not None:
        return given
    if not os.path.exists(DEFAULT_RUN):
        raise ResultsError('no run given, and no results/latest to default to (it points at '
                           'the newest `ninja -C build bench` run): name a run')
    return DEFAULT_RUN
