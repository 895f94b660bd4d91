"""The plugin ABI as a user meets it (meson test --suite unit): `meson install` puts
concbench_plugin.h, concbench.pc and the example under a prefix (here a --destdir),
pkg-config finds the header, the installed example compiles with nothing but
`cc $(pkg-config --cflags concbench)` and runs under concbench, and its wrong answer
fails the tasks. TAP on stdout.

usage: test_plugin_install.py BUILD_DIR CONCBENCH"""

import csv
import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from tap import attempt, note, report, run  # noqa: E402

BUILD, CONCBENCH = (os.path.abspath(a) for a in sys.argv[1:3])


def install(dest):
    """Installs the development files (the header, the .pc, the example) into dest; the
    pkg-config environment that finds them there, and the example's path."""
    meson = shutil.which('meson')
    if not meson:
        raise RuntimeError('meson is not on PATH')
    r = run([meson, 'install', '-C', BUILD, '--no-rebuild', '--tags', 'devel',
             '--destdir', dest], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f'meson install: {r.stdout}{r.stderr}')
    pcs = glob.glob(os.path.join(dest, '**', 'concbench.pc'), recursive=True)
    if len(pcs) != 1:
        raise RuntimeError(f'concbench.pc installed {len(pcs)} times under {dest}')
    examples = glob.glob(os.path.join(dest, '**', 'concbench', 'examples', 'example.c'),
                         recursive=True)
    if len(examples) != 1:
        raise RuntimeError(f'example.c installed {len(examples)} times under {dest}')
    return dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]),
                PKG_CONFIG_SYSROOT_DIR=dest), examples[0]


def build_plugin(env, example, work):
    """The example compiled as the README says; the library's path."""
    cflags = run(['pkg-config', '--cflags', 'concbench'], env=env, capture_output=True,
                 text=True, check=True).stdout.split()
    src = os.path.join(work, 'mywork.c')
    shutil.copy(example, src)
    lib = os.path.join(work, 'libmywork.so')
    cc = os.environ.get('CC', 'cc')
    run([cc] + cflags + ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', src,
                         '-o', lib], check=True, capture_output=True, text=True, cwd=work)
    return cflags, lib


def trials(lib, arg, work, status=0):
    """The trials of a run of the library; status: its exit (1: tasks failed)."""
    r = run([CONCBENCH, '-q', '-w', 'plugin', '-p', f'plugin.so=./{os.path.basename(lib)}',
             '-p', 'plugin.fn=render', '-p', f'plugin.arg={arg}', '-r', 'serial,procs',
             '-n', '3', '--repeat', '1', '--warmup', '0', '--no-floors', '-o', '-'],
            capture_output=True, text=True, cwd=work)
    if r.returncode != status:
        raise RuntimeError(f'exit {r.returncode}, not {status}: {r.stderr}')
    return list(csv.DictReader(io.StringIO(r.stdout)))


def check_all(dest, work):
    env, example = install(dest)
    cflags, lib = build_plugin(env, example, work)
    want = '-I' + os.path.join(dest, 'usr', 'local', 'include', 'concbench')
    note(f'cflags: {" ".join(cflags)}')
    if not any(os.path.isfile(os.path.join(f[2:], 'concbench_plugin.h'))
               for f in cflags if f.startswith('-I')):
        return f'pkg-config --cflags {cflags} finds no concbench_plugin.h (expected like {want})'
    ok = trials(lib, 'rows=50', work)
    if [t['runner'] for t in ok] != ['serial', 'procs'] or any(
            t['tasks_ok'] != '3' or t['outcome'] != 'ok' for t in ok):
        return f'a right run: {ok}'
    bad = trials(lib, 'rows=50 expect=0123456789abcdef', work, status=1)
    if any(t['tasks_failed'] != '3' or t['fail_check'] != '3' for t in bad):
        return f'a wrong answer did not fail the tasks: {bad}'
    return ''


def main():
    with tempfile.TemporaryDirectory(prefix='cb-plugin-dest-') as dest, \
            tempfile.TemporaryDirectory(prefix='cb-plugin-work-') as work:
        results = [('meson install, pkg-config, cc, and concbench -w plugin',
                    attempt(check_all, dest, work))]
    return report(results)


if __name__ == '__main__':
    sys.exit(main())
