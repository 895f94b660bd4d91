"""The articles suite (meson test --suite articles): runs every preset at --scale 0.02,
then judges the articles' claims on the run with scripts/articles --check. Also checks
that bad input is refused whole: exit 2, one message, nothing written.

usage: test_articles.py CONCBENCH"""

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
ARTICLES = os.path.join(HERE, 'articles')
# The deadlock preset hangs until the trial timeout by design; every other trial at this
# scale ends in well under a second.
BENCH_ARGS = ['--preset', 'all', '--scale', '0.02', '-q', '--timeout', '4']


def run(cmd, **kw):
    print('$ ' + ' '.join(cmd), flush=True)
    return subprocess.run(cmd, **kw)


def bad_input(tmp):
    """A summary without its columns: exit 2, nothing written."""
    base = os.path.join(tmp, 'bad')
    with open(base + '.csv', 'w') as f:
        f.write('workload,runner\nsleep,serial\n')
    with open(base + '.summary.csv', 'w') as f:
        f.write('workload,runner\nsleep,serial\n')
    with open(base + '.meta.csv', 'w') as f:
        f.write('key,value\ndate,x\nversion,0.1.0\ncpu,x\ncores,2\nkernel,x\n')
    out = os.path.join(tmp, 'bad-out')
    r = run([ARTICLES, base + '.csv', '--out', out], capture_output=True, text=True)
    if r.returncode != 2 or os.path.exists(out) or len(r.stderr.splitlines()) != 1:
        print(f'bad input: exit {r.returncode}, stderr {r.stderr!r}, wrote '
              f'{os.path.exists(out)}; want exit 2, one line, nothing written')
        return False
    print(f'bad input refused: {r.stderr.strip()}')
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix='cb-articles-') as tmp:
        if not bad_input(tmp):
            return 1
        csv = os.path.join(tmp, 'run.csv')
        t0 = time.monotonic()
        r = run([sys.argv[1]] + BENCH_ARGS + ['-o', csv])
        print(f'concbench: exit {r.returncode} after {time.monotonic() - t0:.1f} s')
        # 1: some trial failed, as the deadlock's must; the claims judge which.
        if r.returncode not in (0, 1):
            return 1
        r = run([ARTICLES, '--check', '--out', os.path.join(tmp, 'articles'), csv])
        return 0 if r.returncode == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
