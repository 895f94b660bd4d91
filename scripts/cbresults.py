"""Reading what `concbench -o FILE` writes (trials, FILE.summary.csv, FILE.meta.csv; the
columns are documented in results/README.md), shared by scripts/articles, plot and table."""

import csv
import os
import re
import tempfile

SCRIPTS = os.path.dirname(os.path.realpath(__file__))
TREE = os.path.dirname(SCRIPTS)

# The columns these scripts read; concbench only ever adds columns, so a file that lacks
# one of these was written by another (older) version.
TRIAL_COLUMNS = ('workload', 'params', 'runner', 'runner_params', 'tasks', 'workers',
                 'preset', 'trial', 'wall_s', 'warmup', 'outcome', 'fail_blocked', 'note')
SUMMARY_COLUMNS = ('workload', 'params', 'runner', 'runner_params', 'tasks', 'workers',
                   'preset', 'trials', 'trials_ok', 'median_s', 'min_s', 'max_s', 'speedup',
                   'ideal_s', 'overhead_per_task_s', 'floor_s', 'rss_per_task_b', 'outcomes',
                   'flags')
META_KEYS = ('date', 'version', 'cpu', 'cores', 'kernel')

# The order runners are shown in: the baseline first, then the models by weight.
RUNNER_ORDER = ('serial', 'threads', 'procs', 'evloop', 'green')
# Every runner concbench has (runners/registry.c; a test checks the two agree).
RUNNERS = RUNNER_ORDER + ('py-serial', 'py-threads', 'py-procs', 'py-asyncio', 'py-gevent',
                          'go', 'node')


class ResultsError(Exception):
    """Input these scripts cannot read: one sentence for the user, exit status 2."""


def run_paths(path):
    """The trials, summary and meta files of one run, given any one of them."""
    base = path
    for suffix in ('.summary.csv', '.meta.csv', '.csv'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    return base + '.csv', base + '.summary.csv', base + '.meta.csv'


def _open(path):
    try:
        return open(path, newline='', encoding='utf-8')
    except OSError as e:
        raise ResultsError(f'{path}: {e.strerror}') from None


def read_table(path, need):
    """Rows of a CSV as dicts; ResultsError names the columns it lacks."""
    with _open(path) as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in need if c not in header]
        if missing:
            raise ResultsError(f'{path}: no column {", ".join(missing)} (not a concbench '
                               f'{os.path.basename(path)}, or one from another version; '
                               f'these scripts read concbench {tree_version() or "0.1"})')
        return header, list(reader)


def read_meta(path):
    with _open(path) as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ['key', 'value']:
        raise ResultsError(f'{path}: not a concbench meta file (its first line must be '
                           f'"key,value")')
    meta = {r[0]: r[1] for r in rows[1:] if len(r) >= 2}
    missing = [k for k in META_KEYS if k not in meta]
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
    tpath, spath, mpath = run_paths(path)
    meta = read_meta(mpath)
    check_version(meta, mpath)
    sheader, summary = read_table(spath, SUMMARY_COLUMNS)
    trials = read_table(tpath, TRIAL_COLUMNS)[1] if need_trials else None
    return trials, summary, meta, sheader


def metric_columns(header):
    """The workloads' metric columns: those after `flags` in the summary."""
    return header[header.index('flags') + 1:] if 'flags' in header else []


def num(row, key):
    """A number from a row; None for an empty field or a missing column."""
    v = row.get(key)
    if v is None or v == '':
        return None
    try:
        return float(v)
    except ValueError:
        raise ResultsError(f'column {key}: "{v}" is not a number') from None


def effective_workers(row):
    """W as it acted: 0 (all at once) or more workers than tasks means N."""
    n, w = int(row['tasks']), int(row['workers'])
    return n if w == 0 or w > n else w


def runner_rank(name):
    return RUNNER_ORDER.index(name) if name in RUNNER_ORDER else len(RUNNER_ORDER)


def machine_line(meta):
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


def write_atomic(path, text):
    """Writes the whole file or nothing: a temporary file beside it, then a rename."""
    d = os.path.dirname(path) or '.'
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.' + os.path.basename(path) + '.')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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
        with open(os.path.join(folder, fname), encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                m = re.fullmatch(r'\[([^\]]+)\]', line)
                if m:
                    name = m.group(1)
                elif name and line.startswith('title') and '=' in line:
                    titles[name] = line.split('=', 1)[1].strip()
    return titles
