"""FILE.json, the run as one document (meson test --suite unit): it validates against
results/run.schema.json, the schema is not vacuous (a broken document fails it), its
trials are the trials CSV's, and a FILE.json that is not ours is never written over.
TAP on stdout.

usage: test_json.py CONCBENCH"""

import copy
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from tap import attempt, report, run  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
SCHEMA = os.path.join(HERE, '..', 'results', 'run.schema.json')
ARGS = ['-q', '-w', 'sleep,countdown', '-p', 'sleep.ms=1', '-p', 'countdown.n=1000',
        '-r', 'serial,threads,evloop', '-n', '2', '--repeat', '6', '--warmup', '1']


def validator():
    try:
        import jsonschema
    except ImportError:
        return None
    with open(SCHEMA, encoding='utf-8') as f:
        return jsonschema.Draft202012Validator(json.load(f))


def errors(v, doc):
    return [e.message for e in v.iter_errors(doc)]


def validates(doc):
    v = validator()
    if v is None:
        return None
    bad = errors(v, doc)
    return f'{len(bad)} errors, the first: {bad[0]}' if bad else ''


def schema_is_not_vacuous(doc):
    v = validator()
    if v is None:
        return None
    for what, change in (('a trial without wall_s', lambda d: d['cells'][0]['trials'][0].pop('wall_s')),
                         ('tasks a string', lambda d: d['cells'][0].update(tasks='2')),
                         ('no run_id', lambda d: d['context'].pop('run_id')),
                         ('NaN as a string', lambda d: d['cells'][0]['summary'].update(median_s='nan'))):
        broken = copy.deepcopy(doc)
        change(broken)
        if not errors(v, broken):
            return f'{what}: still valid'
    return ''


def trials_are_the_csvs(doc, trials_csv):
    with open(trials_csv, newline='') as f:
        rows = list(csv.DictReader(f))
    want = {(r['workload'], r['params'], r['runner'], r['tasks'], r['workers'], r['trial']):
            (r['wall_s'], r['outcome'], r['maxrss_kib'], r['warmup']) for r in rows}
    got = {}
    for c in doc['cells']:
        for t in c['trials']:
            key = (c['workload'], c['params'], c['runner'], str(c['tasks']), str(c['workers']),
                   str(t['trial']))
            got[key] = (t['wall_s'], t['outcome'], t['maxrss_kib'], t['warmup'])
    if set(got) != set(want):
        return f'{len(got)} trials in the JSON, {len(want)} in the CSV'
    for k, (wall, outcome, rss, warm) in got.items():
        w = want[k]
        if float(w[0]) != wall or w[1] != outcome or int(w[2]) != rss or (w[3] == '1') != warm:
            return f'{k}: JSON {wall, outcome, rss, warm}, CSV {w}'
    meta = dict(csv.reader(open(trials_csv[:-4] + '.meta.csv', newline='')))
    if doc['context']['run_id'] != meta['run_id'] or doc['context']['host_id'] != meta['host_id']:
        return 'the context is not the meta'
    return ''


def not_ours_is_kept(concbench, folder):
    path = os.path.join(folder, 'mine.json')
    with open(path, 'w') as f:
        f.write('my notes\n')
    r = run([concbench, '-q', '--no-floors', '-w', 'countdown', '-p', 'countdown.n=10',
             '-r', 'serial', '-n', '1', '--repeat', '1', '-o', os.path.join(folder, 'mine.csv')],
            capture_output=True, text=True)
    with open(path) as f:
        kept = f.read() == 'my notes\n'
    if r.returncode != 2 or not kept or 'mine.json' not in r.stderr:
        return f'exit {r.returncode}, kept {kept}: {r.stderr.strip()}'
    return ''


def json_option(concbench, folder):
    """--json FILE alone writes that document and nothing else; --json - puts it on stdout
    with the table on stderr; -o - with --json - is refused (one stdout)."""
    small = [concbench, '-q', '--no-floors', '-w', 'countdown', '-p', 'countdown.n=10',
             '-r', 'serial', '-n', '1', '--repeat', '2']
    sub = os.path.join(folder, 'only')
    os.mkdir(sub)
    r = run(small + ['--json', os.path.join(sub, 'doc.json')], capture_output=True, text=True)
    if r.returncode != 0 or sorted(os.listdir(sub)) != ['doc.json']:
        return f'--json FILE: exit {r.returncode}, wrote {sorted(os.listdir(sub))}: {r.stderr}'
    with open(os.path.join(sub, 'doc.json'), encoding='utf-8') as f:
        doc = json.load(f)
    if len(doc['cells']) != 1 or len(doc['cells'][0]['trials']) != 3:
        return f"--json FILE: {len(doc['cells'])} cells, want 1 with 3 trials"
    r = run(small + ['--json', '-'], capture_output=True, text=True)
    if r.returncode != 0:
        return f'--json -: exit {r.returncode}: {r.stderr}'
    piped = json.loads(r.stdout)
    if piped['cells'][0]['runner'] != 'serial' or 'countdown' not in r.stderr:
        return '--json -: the document is not on stdout, or the table not on stderr'
    r = run(small + ['-o', '-', '--json', '-'], capture_output=True, text=True)
    if r.returncode != 2 or r.stdout or len(r.stderr.splitlines()) != 1:
        return f'-o - with --json -: exit {r.returncode}, {r.stderr!r}'
    return ''


def main():
    concbench = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory(prefix='cb-json-') as folder:
        out = os.path.join(folder, 'run.csv')
        r = run([concbench, *ARGS, '-o', out], capture_output=True, text=True)
        doc = None
        if r.returncode != 0:
            results.append(('a run to read', f'exit {r.returncode}: {r.stderr}'))
        else:
            with open(os.path.join(folder, 'run.json'), encoding='utf-8') as f:
                doc = json.load(f)
        if doc is not None:
            for name, fn in (('run.json validates against results/run.schema.json', validates),
                             ('a broken document fails the schema', schema_is_not_vacuous)):
                if validator() is None:  # a skip, said, never a silent pass
                    results.append((f'{name} # SKIP python3-jsonschema is missing '
                                    '(scripts/setup installs it)', ''))
                else:
                    results.append((name, attempt(fn, doc)))
            results.append(("its trials are the trials CSV's, its context the meta's",
                            attempt(trials_are_the_csvs, doc, out)))
        results.append(('a FILE.json that is not ours: exit 2, kept, named',
                        attempt(not_ours_is_kept, concbench, folder)))
        results.append(('--json FILE alone, --json - on stdout, both on stdout refused',
                        attempt(json_option, concbench, folder)))
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
