"""Merges concbench runs, of one machine or of many, into one set of CSVs.

    merge RUN... -o DIR [--one-host]

Each RUN is any file of a run, a run directory (results/runs/ID/), a run id, or a set
merge made before. DIR gets merged.csv (every trial), merged.summary.csv (every cell of
every run) and merged.meta.csv; every row keeps the run_id and host_id it was made with,
so scripts/table and scripts/plot show one series per machine and scripts/compare pools
the trials of one machine's runs. The meta keeps each run's keys as RUN_ID.KEY, and at
the top merged_from (the run ids), hosts (their host ids), date (the newest run's) and
version. Nothing is written unless every run reads whole; a file in DIR that is not
concbench's is never replaced. Exit status 0; 2 on bad input; 1 when DIR cannot be
written."""

import argparse
import csv
import io
import os
import sys

import cbresults as cr
from cbresults import ResultsError

NAME = 'merged'


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        print(f'merge: {message} (see merge --help)', file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = OneLineParser(prog='merge', description='Merge concbench runs into one set of CSVs.')
    p.add_argument('runs', nargs='+', metavar='RUN',
                   help='a run: any of its files, its directory, its id, or a merged set')
    p.add_argument('-o', '--out', required=True, metavar='DIR',
                   help=f'the folder for {NAME}.csv, {NAME}.summary.csv, {NAME}.meta.csv')
    p.add_argument('--one-host', action='store_true',
                   help='refuse runs of more than one machine (host id)')
    return p.parse_args(argv)


def read_one(arg):
    """(trials header, trials, summary header, summary, [(run id, its meta)]) of a run."""
    path = cr.resolve_run(arg)
    tpath, _, mpath = cr.run_paths(path)
    _, summary, meta, sheader = cr.load_run(path, need_trials=False)
    theader, trials = cr.read_trials(tpath)
    ids = cr.merged_runs(meta)
    if ids:
        metas = [(i, cr.run_meta(meta, i)) for i in ids]
    elif meta.get('run_id'):
        metas = [(meta['run_id'], meta)]
    else:
        raise ResultsError(f'{mpath}: no run_id (a run from before run ids; re-run it)')
    known = {i for i, _ in metas}
    for rows, what in ((trials, 'trials'), (summary, 'summary')):
        for r in rows:
            if r.get('run_id') not in known:
                raise ResultsError(f"{arg}: a {what} row of run '{r.get('run_id', '')}', "
                                   f"not of this run ({', '.join(sorted(known))})")
    return theader, trials, sheader, summary, metas


def union(headers):
    """Every column of the headers, in the order first seen, note kept last."""
    out = []
    for h in headers:
        out += [c for c in h if c not in out]
    if 'note' in out:
        out.remove('note')
        out.append('note')
    return out


def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, restval='', extrasaction='raise', lineterminator='\n')
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, '') for k in header})
    return buf.getvalue()


def meta_text(metas):
    rows = [('merged_from', ' '.join(i for i, _ in metas)),
            ('hosts', ' '.join(dict.fromkeys(m.get('host_id', '?') for _, m in metas))),
            ('date', max(m.get('date', '') for _, m in metas)),
            ('version', metas[0][1].get('version', ''))]
    for rid, m in metas:
        rows += [(f'{rid}.{k}', v) for k, v in m.items()]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(('key', 'value'))
    w.writerows(rows)
    return buf.getvalue()


# What the first line of each file merge writes begins with: a file in DIR that begins
# otherwise is someone else's and is not replaced.
HEADS = {'.csv': 'run_id,', '.summary.csv': 'run_id,', '.meta.csv': 'key,value'}


def check_ours(path, head):
    try:
        with open(path, 'rb') as f:
            first = f.read(len(head))
    except FileNotFoundError:
        return
    except OSError as e:
        raise ResultsError(f'{path}: {e.strerror}') from None
    if first != head.encode():
        raise ResultsError(f'{path}: there and not a concbench file; not replaced (use '
                           'another -o)')


def merge(args):
    """{path: text} of the merged set."""
    theaders, trials, sheaders, summary, metas = [], [], [], [], []
    for arg in args.runs:
        th, t, sh, s, m = read_one(arg)
        theaders.append(th)
        sheaders.append(sh)
        trials += t
        summary += s
        metas += m
    seen = set()
    for rid, _ in metas:
        if rid in seen:
            raise ResultsError(f'run {rid} given twice (each run is merged once)')
        seen.add(rid)
    hosts = list(dict.fromkeys(m.get('host_id', '?') for _, m in metas))
    if args.one_host and len(hosts) > 1:
        raise ResultsError(f'--one-host: the runs are of {len(hosts)} machines '
                           f'({", ".join(hosts)})')
    base = os.path.join(args.out, NAME)
    files = {base + '.csv': csv_text(union(theaders), trials),
             base + '.summary.csv': csv_text(union(sheaders), summary),
             base + '.meta.csv': meta_text(metas)}
    for suffix, head in HEADS.items():
        check_ours(base + suffix, head)
    return files, len(metas), hosts


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cr.check_out(args.out)
        files, runs, hosts = merge(args)
        cr.write_outputs(files)
    except (ResultsError, cr.WriteError) as e:
        return cr.refuse('merge', e)
    print(f'merge: {runs} runs of {len(hosts)} machine{"s" if len(hosts) > 1 else ""} '
          f'({", ".join(hosts)}) in {os.path.join(args.out, NAME)}.csv, .summary.csv, '
          '.meta.csv')
    return 0


if __name__ == '__main__':
    sys.exit(main())
