"""A Markdown table of a concbench summary CSV, one row per cell, for the README; of a
merged set (scripts/merge), its host and run first where it has several."""

import argparse
import sys

import cbresults as cr
from cbresults import ResultsError, fmt_s, num


# The newest run of `ninja -C build bench` (scripts/bench points it at its folder).


def parse_args(argv):
    p = argparse.ArgumentParser(prog='table', description='Markdown table of a concbench run.')
    p.add_argument('run', nargs='?', default=None,
                   help='the run: any of its files, its folder, its run id, or a set '
                        'scripts/merge made (default results/latest, the newest '
                        '`ninja -C build bench` run)')
    return p.parse_args(argv)



def named(e, given):
    """An error that names the run as the user gave it, or says the default was used."""
    said = str(e)
    if given is None:
        return ResultsError(f'results/latest (the default): {said}')
    return e if said.startswith(given) else ResultsError(f'{given}: {said}')


def speedup_text(r, sp):
    """2.79x, with its 95% interval [2.62, 4.69] where the run had the pairs for one."""
    if not sp:
        return ''
    lo, hi = num(r, 'speedup_lo'), num(r, 'speedup_hi')
    return f'{sp:.2f}x [{lo:.2f}, {hi:.2f}]' if lo is not None and hi is not None else f'{sp:.2f}x'


def lead_columns(summary):
    """The columns a merged set needs first: host where its cells are of several
    machines, run where one machine has several runs."""
    hosts = {}
    for r in summary:
        hosts.setdefault(r.get('host_id', ''), set()).add(r.get('run_id', ''))
    cols = ['host_id'] if len(hosts) > 1 else []
    return cols + (['run_id'] if any(len(runs) > 1 for runs in hosts.values()) else [])


def row_text(r, lead=()):
    sp, rss = num(r, 'speedup'), num(r, 'rss_per_task_b')
    vsf, cores = num(r, 'overhead_vs_floor'), num(r, 'cores_used')
    base = r.get('baseline') or ''
    cells = [r[c] for c in lead] + [r['preset'], r['workload'], r['params'], r['runner'], r['tasks'], r['workers'],
             fmt_s(num(r, 'median_s')), f"{num(r, 'cv') or 0:.1%}" if r.get('cv') else '',
             speedup_text(r, sp), base if base != r['runner'] else '',
             '' if cores is None else f'{cores:.2f}', fmt_s(num(r, 'ideal_s')),
             fmt_s(num(r, 'overhead_per_task_s')), '' if vsf is None else f'{vsf:.2f}',
             f'{rss / 1024:.1f} KiB' if rss is not None else '', r['outcomes'], r['flags']]
    return '| ' + ' | '.join(c.replace('|', '/') for c in cells) + ' |'


HEAD = ('preset', 'workload', 'params', 'runner', 'N', 'W', 'median', 'cv', 'speed-up',
        'over', 'cores', 'ideal', 'overhead/task', '× floor', 'RSS/task', 'outcomes', 'flags')


def table_text(summary, meta):
    lead = lead_columns(summary)
    head = [c[:-3] for c in lead] + list(HEAD)
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    lines += [row_text(r, lead) for r in summary]
    lines += ['', f'{cr.machine_line(meta)}; concbench {meta["version"]}']
    return '\n'.join(lines) + '\n'


def main(argv=None):
    """The whole table is made from the checked run before a line of it is printed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run = cr.chosen_run(args.run)
        try:
            _, summary, meta, _ = cr.load_run(run, need_trials=False)
        except ResultsError as e:
            raise named(e, args.run) from None
        cr.write_stdout(table_text(summary, meta))
    except (ResultsError, cr.WriteError) as e:
        return cr.refuse('table', e)
    return 0


if __name__ == '__main__':
    sys.exit(main())
