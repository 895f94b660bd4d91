"""scripts/table's choice of run (meson test --suite unit): with none given it reads
results/latest, the newest `ninja -C build bench` run, and says when there is none; its
errors name the run as the user gave it, or say the default was used."""

import contextlib
import io
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import table  # noqa: E402
import tap  # noqa: E402


def table_says(argv, latest):
    """(status, stdout, stderr) of table.main(argv) with results/latest at `latest`."""
    table.cr.DEFAULT_RUN = latest
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = table.main(argv)
    return status, out.getvalue(), err.getvalue()


def main():
    concbench = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, 'runs', 'r1')
        os.makedirs(run_dir)
        r = tap.run([concbench, '-q', '--no-floors', '-w', 'sleep', '-p', 'sleep.ms=1', '-r',
                     'serial', '-n', '1', '--repeat', '1', '--warmup', '0', '-o',
                     os.path.join(run_dir, 'bench.csv')], capture_output=True, text=True)
        latest = os.path.join(tmp, 'latest')
        os.symlink('runs/r1', latest)

        def default_reads_latest():
            if r.returncode != 0:
                return f'concbench exit {r.returncode}: {r.stderr}'
            status, out, err = table_says([], latest)
            if status != 0 or '| sleep |' not in out:
                return f'exit {status}, stdout {out!r}, stderr {err!r}'
            return ''

        def no_latest_says_so():
            status, out, err = table_says([], os.path.join(tmp, 'none'))
            if status != 2 or out or 'no run given' not in err or 'results/latest' not in err:
                return f'exit {status}, stderr {err!r}'
            return ''

        def error_names_the_given_run():
            given = os.path.join(tmp, 'missing.csv')
            status, _, err = table_says([given], latest)
            if status != 2 or not err.startswith(f'table: {given}: '):
                return f'exit {status}, stderr {err!r}'
            return ''

        def error_of_the_default_says_default():
            broken = os.path.join(tmp, 'broken')
            os.makedirs(broken)
            status, _, err = table_says([], broken)
            if status != 2 or 'results/latest (the default)' not in err:
                return f'exit {status}, stderr {err!r}'
            return ''

        for name, fn in (('no run given: results/latest', default_reads_latest),
                         ('no results/latest: says so, exit 2', no_latest_says_so),
                         ('an error names the run given', error_names_the_given_run),
                         ('an error of the default says it was the default',
                          error_of_the_default_says_default)):
            results.append((name, tap.attempt(fn)))
    return tap.report(results)


if __name__ == '__main__':
    sys.exit(main())
