"""Bad input to the scripts that read results (meson test --suite unit): table, plot,
articles and report on empty, binary, wrong-shape and wrong-type files and on an --out
they cannot write; crosscheck and throughput on bad files from the concbench they run.
Each must exit 2 (1 for a failure at run time) with one line naming the file, the line
and the column, no traceback, and nothing written: table's stdout empty, the old images
and pages untouched (report's earlier page too), no new file. Valid runs, failed cells
among them, must still work. TAP.

usage: test_inputs.py CONCBENCH"""

import csv
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import cbresults as cr  # noqa: E402
import tap  # noqa: E402
from tap import attempt, note, report  # noqa: E402

PY = '/usr/bin/python3'
# Two presets: ping-pong's hand-offs, and a sweep over N: 4 images.
RUN_ARGS = ['--preset', 'd-switch,d-memory', '--scale', '0.001', '--repeat', '2',
            '--warmup', '0', '--no-floors', '-q']
PLAIN_ARGS = ['-w', 'sleep', '-p', 'sleep.ms=1', '-r', 'serial,threads', '-n', '1,2',
              '--repeat', '2', '--warmup', '0', '--no-floors', '-q']
OLD = b'old, not to be touched'
# An earlier page of scripts/report's: its -o may replace it, but not on bad input.
OLD_PAGE = b'<!DOCTYPE html>\n<!-- concbench page: written by scripts/report or ' \
           b'scripts/compare -->\nold, not to be touched'


# --- editing a copy of a run ------------------------------------------------------------

def rows_of(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.reader(f))


def write_rows(path, rows):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        csv.writer(f, lineterminator='\n').writerows(rows)


def set_field(path, line, column, value):
    rows = rows_of(path)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(path, rows)


def set_bytes(path, line, column, value):
    """A field of raw bytes (invalid UTF-8), the rest of the file as it was."""
    set_field(path, line, column, '\x00MARK\x00')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data.replace(b'\x00MARK\x00', value))


def drop_column(path, column):
    rows = rows_of(path)
    i = rows[0].index(column)
    write_rows(path, [r[:i] + r[i + 1:] for r in rows])


def reshape_row(path, line, delta):
    rows = rows_of(path)
    r = rows[line - 1]
    rows[line - 1] = r[:delta] if delta < 0 else r + ['x'] * delta
    write_rows(path, rows)


def keep_lines(path, n):
    with open(path, 'rb') as f:
        lines = f.read().splitlines(keepends=True)
    with open(path, 'wb') as f:
        f.write(b''.join(lines[:n]))


def put(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def meta_line(path, key):
    return 1 + [r[0] for r in rows_of(path)].index(key)


GARBAGE = bytes((i * 37 + 11) % 256 for i in range(4096))


def fail_cell(base):
    """Cell 4 of the summary (line 5) and its trials, every trial timed out: a valid
    failed cell (empty median and speed-up, no ok trial)."""
    s = rows_of(base + '.summary.csv')
    h = s[0]
    cell = s[4]
    key = [cell[h.index(c)] for c in ('workload', 'params', 'runner', 'runner_params',
                                      'tasks', 'workers')]
    for c in ('trials_ok', 'mean_s', 'median_s', 'stddev_s', 'min_s', 'max_s', 'ci95_lo_s',
              'ci95_hi_s', 'cv', 'speedup', 'overhead_s', 'overhead_per_task_s',
              'overhead_vs_floor', 'cores_used'):
        cell[h.index(c)] = '0' if c == 'trials_ok' else ''
    cell[h.index('outcomes')] = f"timeout:{cell[h.index('trials')]}"
    cell[h.index('flags')] = 'failed'
    write_rows(base + '.summary.csv', s)
    t = rows_of(base + '.csv')
    h = t[0]
    for r in t[1:]:
        if [r[h.index(c)] for c in ('workload', 'params', 'runner', 'runner_params',
                                    'tasks', 'workers')] == key:
            r[h.index('outcome')] = 'timeout'
            r[h.index('wall_s')] = ''
            r[h.index('cores_used')] = ''
            r[h.index('note')] = 'killed after 4 s'
    write_rows(base + '.csv', t)


# (title, scripts, edit of the copy at base, what stderr must name)
S, M, T = '.summary.csv', '.meta.csv', '.csv'
ALL = ('table', 'plot', 'articles', 'report')
TRIALS = ('articles', 'report')  # the scripts that read the trials too


def bad_field(where, line, column, value, scripts=ALL, also=()):
    """A case: one field of the run's summary (S) or trials (T) set to value, refused with
    an error naming the file, the line, the column and the value."""
    return (f"{column}={value} in the {'summary' if where == S else 'trials'}", scripts,
            lambda b: set_field(b + where, line, column, value),
            [f'a{where}:{line}:', f"column '{column}'", f"'{value}'", *also])


def bad_cases():
    return [
        ('an empty summary', ALL, lambda b: put(b + S, b''), ['a.summary.csv', 'empty']),
        ('a binary summary', ALL, lambda b: put(b + S, GARBAGE), ['a.summary.csv:', 'NUL']),
        ('a binary summary without NUL', ALL,
         lambda b: put(b + S, GARBAGE.replace(b'\0', b'')), ['a.summary.csv:1:', 'UTF-8']),
        ('a NUL in the summary', ALL,
         lambda b: put(b + S, b'workload,params\x00,runner\n'), ['a.summary.csv:1:', 'NUL']),
        ('invalid UTF-8 in line 4 of the summary', ALL,
         lambda b: set_bytes(b + S, 4, 'params', b'rounds=\xff\xfe'),
         ['a.summary.csv:4:', 'UTF-8']),
        ('a summary with only its header', ALL, lambda b: keep_lines(b + S, 1),
         ['a.summary.csv', 'no rows']),
        ('a summary without column tasks', ALL, lambda b: drop_column(b + S, 'tasks'),
         ['a.summary.csv:1:', "'tasks'"]),
        ('a short row in the summary', ALL, lambda b: reshape_row(b + S, 4, -3),
         ['a.summary.csv:4:', 'fields']),
        ('a long row in the summary', ALL, lambda b: reshape_row(b + S, 4, 2),
         ['a.summary.csv:4:', 'fields']),
        bad_field(S, 4, 'tasks', 'three', also=['integer']),
        bad_field(S, 4, 'tasks', '0'),
        bad_field(S, 3, 'workers', '-1'),
        bad_field(S, 4, 'speedup', 'fast', also=['number']),
        bad_field(S, 4, 'median_s', 'nan'),
        bad_field(S, 6, 'min_s', 'inf'),
        ('a metric that is not a number', ALL,
         lambda b: set_field(b + S, 2, 'ns_per_switch', 'many'),
         ['a.summary.csv:2:', "column 'ns_per_switch'", "'many'"]),
        ('an empty meta file', ALL, lambda b: put(b + M, b''), ['a.meta.csv', 'empty']),
        ('a binary meta file', ALL, lambda b: put(b + M, GARBAGE), ['a.meta.csv:']),
        ('cores=two in the meta file', ALL,
         lambda b: set_field(b + M, meta_line(b + M, 'cores'), 'value', 'two'),
         ['a.meta.csv:', "'cores'", "'two'"]),
        ('invalid UTF-8 in the meta file', ALL,
         lambda b: set_bytes(b + M, meta_line(b + M, 'cpu'), 'value', b'\xc3('),
         ['a.meta.csv:', 'UTF-8']),
        ('a meta row of three fields', ALL, lambda b: reshape_row(b + M, 3, 1),
         ['a.meta.csv:3:', 'fields']),
        ('an empty trials file', TRIALS, lambda b: put(b + T, b''), ['a.csv', 'empty']),
        ('a binary trials file', TRIALS, lambda b: put(b + T, GARBAGE), ['a.csv:']),
        bad_field(T, 4, 'tasks', 'three', scripts=TRIALS),
        bad_field(T, 5, 'wall_s', 'nan', scripts=TRIALS),
        ('an ok trial without wall_s', TRIALS,
         lambda b: set_field(b + T, 5, 'wall_s', ''), ['a.csv:5:', "column 'wall_s'"]),
        ('a short row in the trials', TRIALS, lambda b: reshape_row(b + T, 3, -1),
         ['a.csv:3:', 'fields']),
    ]


# --- running the scripts ----------------------------------------------------------------

def listing(folder):
    """{name: bytes} of a folder, or None when it does not exist."""
    if not os.path.isdir(folder):
        return None
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), 'rb') as f:
            out[name] = f.read()
    return out


def out_folder(case, script):
    """The output folder of plot or articles, holding an old file of the name it writes."""
    out = os.path.join(case, f'out-{script}')
    os.makedirs(out, exist_ok=True)
    if script == 'report':
        put(os.path.join(out, 'report.html'), OLD_PAGE)
    else:
        put(os.path.join(out, 'd-switch.png' if script == 'plot' else 'd.md'), OLD)
    return out


def command(script, run, out=None, extra=()):
    cmd = [PY, os.path.join(HERE, script), run, *extra]
    if out is not None and script == 'report':
        cmd += ['-o', os.path.join(out, 'report.html')]
    elif out is not None:
        cmd += ['--out', out]
    return cmd


def run_script(cmd, **kw):
    return tap.run(cmd, capture_output=True, **kw)


def refused(r, want, status=2):
    """Why r is not a clean refusal (exit status, one line naming want), or ''."""
    err = r.stderr.decode('utf-8', 'replace')
    lines = err.splitlines()
    note(f'exit {r.returncode}; stderr: {err.strip()[:600]!r}')
    if r.returncode != status:
        return f'exit {r.returncode}, want {status}'
    if 'Traceback' in err:
        return 'a traceback'
    if len(lines) != 1:
        return f'{len(lines)} lines on stderr, want 1'
    missing = [w for w in want if w not in lines[0]]
    return f'stderr names none of {missing}' if missing else ''


def check_refused(script, run, case, want, extra=(), status=2, preexec=None):
    out = out_folder(case, script) if script != 'table' else None
    before = listing(out) if out else None
    r = run_script(command(script, run, out, extra), preexec_fn=preexec)
    why = refused(r, want, status)
    if not why and script == 'table' and r.stdout:
        why = f'table printed {len(r.stdout)} bytes'
    if not why and out and listing(out) != before:
        why = f'{out} changed: {sorted(listing(out))}'
    return why


def fresh_case(tmp, good, name):
    case = tempfile.mkdtemp(prefix=name + '-', dir=tmp)
    os.rmdir(case)
    shutil.copytree(good, case)
    return case, os.path.join(case, 'a')


# --- the checks -------------------------------------------------------------------------

def check_valid(script, run, case, want_files=()):
    out = os.path.join(case, f'valid-{script}')
    r = run_script(command(script, run, out if script != 'table' else None))
    err = r.stderr.decode('utf-8', 'replace')
    if r.returncode != 0 or 'Traceback' in err:
        note(err)
        return f'exit {r.returncode}'
    if script == 'table' and r.stdout.count(b'\n| ') < 2:
        return 'no table rows'
    got = sorted(os.listdir(out)) if script != 'table' else []
    missing = [f for f in want_files if f not in got]
    stray = [f for f in got if f.startswith('.')]
    return (f'missing {missing}' if missing else f'stray {stray}' if stray else '')


IMAGES = ['d-memory-sweep.png', 'd-memory-sweep.svg', 'd-switch.png', 'd-switch.svg']


def limit_fsize(nbytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return apply


def unwritable_cases(tmp, good):
    """(title, fn) for outputs that cannot be written, up front (2) or while writing (1)."""
    run = os.path.join(good, 'a.csv')
    blocker = os.path.join(tmp, 'a-file')
    put(blocker, OLD)

    def under_file(script):
        r = run_script(command(script, run, os.path.join(blocker, 'sub')))
        why = refused(r, ['--out', 'a-file'])
        return why or ('' if open(blocker, 'rb').read() == OLD else 'the file in the way '
                                                                     'changed')

    def is_file(script):
        r = run_script(command(script, run, blocker))
        why = refused(r, ['--out', 'a-file'])
        return why or ('' if open(blocker, 'rb').read() == OLD else 'the file changed')

    def plot_full():
        # The largest image cannot be written, the others could: none is replaced.
        sizes = [os.path.getsize(os.path.join(tmp, 'sizes', f))
                 for f in os.listdir(os.path.join(tmp, 'sizes'))]
        case, _ = fresh_case(tmp, good, 'plot-full')
        return check_refused('plot', run, case, ['plot:'], status=1,
                             preexec=limit_fsize(max(sizes) - 1))

    def articles_full():
        case, _ = fresh_case(tmp, good, 'articles-full')
        return check_refused('articles', run, case, ['articles:'], status=1,
                             preexec=limit_fsize(100))

    def table_full():
        with open('/dev/full', 'wb') as full:
            r = subprocess.run(command('table', run), stdout=full, stderr=subprocess.PIPE)
        return refused(r, ['table:', 'stdout'], status=1)

    return [
        ('plot: --out under a regular file is refused', lambda: under_file('plot')),
        ('plot: --out that is a regular file is refused', lambda: is_file('plot')),
        ('articles: --out under a regular file is refused', lambda: under_file('articles')),
        ('articles: --out that is a regular file is refused', lambda: is_file('articles')),
        ('plot: an image that cannot be written replaces none (exit 1)', plot_full),
        ('articles: a page that cannot be written replaces none (exit 1)', articles_full),
        ('table: a stdout that cannot be written (exit 1)', table_full),
    ]


def side_file_cases(tmp, good):
    """articles' other inputs: the reference figures and the claims."""
    run = os.path.join(good, 'a.csv')

    def reference():
        case, _ = fresh_case(tmp, good, 'ref')
        ref = os.path.join(case, 'ref')
        shutil.copytree(os.path.join(cr.TREE, 'results', 'reference'), ref)
        set_field(os.path.join(ref, 'a.csv'), 3, 'seconds', 'fast')
        return check_refused('articles', run, case, ['a.csv:3:', "column 'seconds'", "'fast'"],
                             extra=('--reference', ref))

    def claims(edit, want):
        def fn():
            case, _ = fresh_case(tmp, good, 'claims')
            path = os.path.join(case, 'claims.csv')
            shutil.copy(os.path.join(HERE, 'claims.csv'), path)
            edit(path)
            return check_refused('articles', run, case, want, extra=('--claims', path))
        return fn

    def claims_line(path):
        with open(path, encoding='utf-8') as f:
            return 1 + next(i for i, l in enumerate(f) if l.startswith('d-switch'))

    def bad_bound(path):
        n = claims_line(path)
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
        fields = next(csv.reader([lines[n - 1]]))
        fields[3] = 'nan'
        buf = io.StringIO()
        csv.writer(buf, lineterminator='\n').writerow(fields)
        lines[n - 1] = buf.getvalue()
        with open(path, 'w', encoding='utf-8') as f:
            f.writelines(lines)

    def bad_utf8(path):
        with open(path, 'ab') as f:
            f.write(b'd-switch,threads,ideal,1.3,,,,,,caf\xe9,\n')

    return [
        ('articles: a reference figure seconds=fast is refused', reference),
        ('articles: a claim with bound nan is refused',
         claims(bad_bound, ['claims.csv:', "'bound'", "'nan'"])),
        ('articles: a claims file of invalid UTF-8 is refused',
         claims(bad_utf8, ['claims.csv:', 'UTF-8'])),
    ]


# --- crosscheck and throughput, on a concbench that writes bad files ---------------------

FAKE = r'''#!/usr/bin/python3
# A stand-in for concbench: lists the workloads, and for -o copies the run in $FAKE_RUN.
import os, shutil, sys
if '--list' in sys.argv:
    print('workloads\n  sleep  x\n  countdown  x\n  http  x')
    sys.exit(0)
if '-o' in sys.argv:
    out = sys.argv[sys.argv.index('-o') + 1]
    base = out[:-4] if out.endswith('.csv') else out
    src = os.environ['FAKE_RUN']
    for a, b in (('.csv', out), ('.summary.csv', base + '.summary.csv'),
                 ('.meta.csv', base + '.meta.csv')):
        shutil.copy(src + a, b)
'''


def fake_cases(tmp, plain):
    fake = os.path.join(tmp, 'fake-concbench')
    put(fake, FAKE.encode())
    os.chmod(fake, 0o755)

    def crosscheck(edit, want):
        def fn():
            case, base = fresh_case(tmp, plain, 'cross')
            edit(base)
            env = dict(os.environ, FAKE_RUN=base)
            r = run_script([PY, os.path.join(HERE, 'crosscheck'), '--concbench', fake,
                            '--runs', '1'], env=env)
            return refused(r, want, status=1)
        return fn

    def throughput():
        import throughput as tp
        case, base = fresh_case(tmp, plain, 'tput')
        set_field(base + S, 3, 'tasks', 'three')
        os.environ['FAKE_RUN'] = base
        a = tp.parse_args(['--concbench', fake, '--repeat', '1'])
        work = os.path.join(case, 'work')
        os.mkdir(work)
        try:
            tp.harness_rate(a, 'http://127.0.0.1:1/', 'serial', work)
        except cr.ResultsError as e:
            note(e)
            want = ['summary.csv:3:', "column 'tasks'", "'three'"]
            missing = [w for w in want if w not in str(e)]
            return f'names none of {missing}' if missing else ''
        except Exception as e:  # what main does not catch is a traceback
            return f'{type(e).__name__}: {e}'
        return 'taken'

    have = shutil.which('hyperfine')
    cases = [('throughput: a summary with tasks=three from its concbench', throughput)]
    if have:
        cases += [
            ('crosscheck: a summary with median_s=fast from its concbench',
             crosscheck(lambda b: set_field(b + S, 2, 'median_s', 'fast'),
                        ['summary.csv:2:', "column 'median_s'", "'fast'"])),
            ('crosscheck: a failed cell from its concbench',
             crosscheck(lambda b: (set_field(b + S, 2, 'median_s', ''),
                                   set_field(b + S, 2, 'trials_ok', '0'),
                                   set_field(b + S, 2, 'outcomes', 'timeout:2')),
                        ['crosscheck:', 'timeout:2'])),
        ]
    return cases


# --- main -------------------------------------------------------------------------------

def make_run(concbench, folder, args):
    os.makedirs(folder)
    r = subprocess.run([concbench, *args, '-o', os.path.join(folder, 'a.csv')],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'Bail out! concbench exited {r.returncode}: {r.stderr.strip()}')


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix='cb-inputs-') as tmp:
        good, plain = os.path.join(tmp, 'good'), os.path.join(tmp, 'plain')
        make_run(sys.argv[1], good, RUN_ARGS)
        make_run(sys.argv[1], plain, PLAIN_ARGS)
        run = os.path.join(good, 'a.csv')
        valid = [
            ('table: a valid run', lambda: check_valid('table', run, tmp)),
            ('plot: a valid run, every image', lambda: check_valid('plot', run, tmp, IMAGES)),
            ('articles: a valid run', lambda: check_valid('articles', run, tmp, ['d.md'])),
            ('report: a valid run', lambda: check_valid('report', run, tmp, ['report.html'])),
            ('report: a run without presets',
             lambda: check_valid('report', os.path.join(plain, 'a.csv'), plain,
                                 ['report.html'])),
            ('table: a run without presets',
             lambda: check_valid('table', os.path.join(plain, 'a.csv'), plain)),
            ('plot: a run without presets',
             lambda: check_valid('plot', os.path.join(plain, 'a.csv'), plain,
                                 ['sleep-1ms-sweep.png', 'sleep-1ms-sweep.svg'])),
        ]
        fcase, fbase = fresh_case(tmp, good, 'failed-cell')
        fail_cell(fbase)
        for script, files in (('table', ()), ('plot', IMAGES), ('articles', ['d.md']),
                              ('report', ['report.html'])):
            valid.append((f'{script}: a run with a failed cell (empty median)',
                          lambda s=script, f=files: check_valid(s, fbase + '.csv', fcase, f)))
        for name, fn in valid:
            results.append((name, attempt(fn)))
        shutil.copytree(os.path.join(tmp, 'valid-plot'), os.path.join(tmp, 'sizes'))
        for i, (title, scripts, edit, want) in enumerate(bad_cases()):
            for script in scripts:
                def fn():
                    case, base = fresh_case(tmp, good, f'bad{i}-{script}')
                    edit(base)
                    return check_refused(script, base + '.csv', case, [f'{script}:'] + want)
                results.append((f'{script}: {title} is refused', attempt(fn)))
        for name, fn in (unwritable_cases(tmp, good) + side_file_cases(tmp, good) +
                         fake_cases(tmp, plain)):
            results.append((name, attempt(fn)))
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
