"""The command `scripts/articles`: from one concbench run (trials + .summary.csv +
.meta.csv) it judges the articles' claims (scripts/claims.csv, by claims.py) and writes
results/articles/<article>.md (pages.py), the articles' figures (reference.py) beside this
run's; then reports the verdicts: a count, every FAIL and SKIP, with --tap a TAP line each.
"""

import argparse
import os
import sys

import cbresults as cr
import claims as cl
import pages
import reference
from cbresults import ResultsError
from cbrun import Run


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='articles',
        description='Write results/articles/<article>.md from a concbench run and judge '
                    'the claims the articles make that must hold in C.')
    p.add_argument('run', nargs='?', default=os.path.join(cr.TREE, 'results', 'run.csv'),
                   help='the trials CSV of a run (its .summary.csv and .meta.csv beside it); '
                        'default results/run.csv')
    p.add_argument('--out', default=os.path.join(cr.TREE, 'results', 'articles'),
                   help='folder for the Markdown files (default results/articles)')
    p.add_argument('--reference', default=os.path.join(cr.TREE, 'results', 'reference'),
                   help='folder of the reference CSVs (default results/reference)')
    p.add_argument('--claims', default=cl.default_path(),
                   help='the claims to judge (default scripts/claims.csv)')
    p.add_argument('--presets', default=None,
                   help='judge only the claims of these presets (comma separated); '
                        'default: every claim, and one whose preset is not in the run fails')
    p.add_argument('--check', action='store_true',
                   help='exit 1 if any claim fails, printing each failure')
    p.add_argument('--tap', action='store_true',
                   help='print every verdict as a TAP line (ok, not ok, ok # SKIP)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cr.check_out(args.out)
        titles = cr.read_presets()
        claims = cl.load_claims(args.claims, titles, cr.RUNNERS)
        only = None
        if args.presets is not None:
            only = [p for p in args.presets.split(',') if p]
            for p in only:
                cr.check_known('--presets', 'preset', p, sorted(titles))
        run = Run(*cr.load_run(args.run))
        cl.need_metrics(run, claims)
        refs = reference.read_reference(args.reference)
        presets = run.presets()
        if not presets:
            raise ResultsError(f'{args.run}: no row came from a preset (run concbench '
                               f'--preset ...)')
        results = cl.verdicts(run, claims, only)
        texts = pages.pages(run, refs, titles, results)
        missing = sorted(p for p in results if p not in presets)
        cr.write_outputs({os.path.join(args.out, f'{a}.md'): text for a, text in texts.items()})
    except (ResultsError, cr.WriteError) as e:
        return cr.refuse('articles', e)
    return report(args, results, sorted(texts), missing)


def report(args, results, articles, missing):
    allv = [v for vs in results.values() for v in vs]
    count = {s: sum(v.status == s for v in allv) for s in ('PASS', 'FAIL', 'SKIP')}
    where = ', '.join(os.path.join(args.out, f'{a}.md') for a in articles)
    print(f'articles: wrote {where}')
    if args.tap:
        print(f'1..{len(allv)}')
        for i, v in enumerate(allv, 1):
            head = f'{v.preset} {v.cell}: {v.text}'.replace('#', 'no.')
            if v.status == 'SKIP':
                print(f'ok {i} - {v.preset} {v.cell} # SKIP {v.text}'.replace('\n', ' '))
            else:
                print(f"{'ok' if v.status == 'PASS' else 'not ok'} {i} - {head}")
    print(f"claims: {count['PASS']} pass, {count['FAIL']} fail, {count['SKIP']} skipped")
    if missing:
        print(f'claims of presets not in this run (each a FAIL): {", ".join(missing)}; '
              f'--presets judges a part on purpose', file=sys.stderr)
    for v in allv:
        if v.status == 'FAIL' and v.preset not in missing:
            print(f'FAIL {v.preset} {v.cell}: {v.text}', file=sys.stderr)
    for v in allv:
        if v.status == 'SKIP':
            print(f'SKIP {v.preset} {v.cell}: {v.text}', file=sys.stderr)
    return 1 if args.check and count['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
