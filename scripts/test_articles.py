"""The articles suite (meson test --suite articles): runs every preset at --scale 0.02,
then judges the articles' claims on the run with scripts/articles --check, one TAP line
per verdict (a SKIP is a TAP skip, with its reason). Also checks that bad input is
refused whole: exit 2, one message, nothing written.

usage: test_articles.py CONCBENCH"""

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from tap import note, run  # noqa: E402

ARTICLES = os.path.join(HERE, 'articles')
# The deadlock preset hangs until the trial timeout by design; every other trial at this
# scale ends in well under a second.
BENCH_ARGS = ['--preset', 'all', '--scale', '0.02', '-q', '--timeout', '4']


def write_run(base):
    """A run whose summary lacks its columns."""
    with open(base + '.csv', 'w') as f:
        f.write('workload,runner\nsleep,serial\n')
    with open(base + '.summary.csv', 'w') as f:
        f.write('workload,runner\nsleep,serial\n')
    with open(base + '.meta.csv', 'w') as f:
        f.write('key,value\ndate,x\nversion,0.1.0\ncpu,x\ncores,2\nkernel,x\n')


def refused(tmp, name, extra, want):
    """scripts/articles on bad input: exit 2, one line naming `want`, nothing written."""
    base = os.path.join(tmp, name)
    write_run(base)
    out = os.path.join(tmp, name + '-out')
    r = run([ARTICLES, base + '.csv', '--out', out] + extra, capture_output=True, text=True)
    ok = (r.returncode == 2 and not os.path.exists(out) and len(r.stderr.splitlines()) == 1
          and want in r.stderr)
    note(f'exit {r.returncode}, stderr {r.stderr.strip()!r}, wrote {os.path.exists(out)}')
    return ok


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix='cb-articles-') as tmp:
        bad_claims = os.path.join(tmp, 'claims.csv')
        with open(os.path.join(HERE, 'claims.csv')) as f, open(bad_claims, 'w') as g:
            g.write(f.read().replace(',threads evloop green,metric_gt,',
                                     ',threads evloop grean,metric_gt,'))
        checks = [
            ('a summary without its columns is refused', 'cols', [], 'no column'),
            ('a claim naming a runner that does not exist is refused', 'runner',
             ['--claims', bad_claims], 'unknown runner "grean"'),
            ('--presets naming a preset that does not exist is refused', 'preset',
             ['--presets', 'b1-countdwn'], 'unknown preset "b1-countdwn"'),
        ]
        results = [(text, refused(tmp, name, extra, want)) for text, name, extra, want in checks]
        csv = os.path.join(tmp, 'run.csv')
        t0 = time.monotonic()
        # Its table would be stray lines in the TAP stream: kept, and shown as comments.
        r = run([sys.argv[1]] + BENCH_ARGS + ['-o', csv], capture_output=True, text=True)
        note(r.stdout + r.stderr)
        note(f'concbench: exit {r.returncode} after {time.monotonic() - t0:.1f} s')
        # 1: some trial failed, as the deadlock's must; the claims judge which.
        results.append(('concbench ran every preset', r.returncode in (0, 1)))
        for i, (text, ok) in enumerate(results, 1):
            print(f"{'ok' if ok else 'not ok'} {i} - {text}", flush=True)
        if r.returncode not in (0, 1):
            print(f'1..{len(results)}')
            return 1
        # The verdicts continue the numbering: articles prints its own plan line, so
        # ours goes last and counts both.
        a = subprocess.run([ARTICLES, '--check', '--tap', '--out', os.path.join(tmp, 'articles'),
                            csv], capture_output=True, text=True)
        n = 0
        for line in a.stdout.splitlines():
            if line.startswith('ok ') or line.startswith('not ok '):
                n += 1
                status, _, rest = line.partition(' - ')
                word = 'not ok' if status.startswith('not ok') else 'ok'
                print(f'{word} {len(results) + n} - {rest}')
            elif not line.startswith('1..'):
                note(line)
        note(a.stderr)
        print(f'1..{len(results) + n}')
        return 0 if a.returncode == 0 and all(ok for _, ok in results) else 1


if __name__ == '__main__':
    sys.exit(main())
