"""TAP for the Python tests (scripts/test_*.py): comments, commands noted as they run,
checks that fail alone when they crash, and the plan with one line a result."""

import subprocess

# A check that could not run here returns SKIP + the reason: `ok N - name # SKIP reason`.
SKIP = '# SKIP '


def note(text):
    for line in str(text).splitlines():
        print(f'# {line}', flush=True)


def run(cmd, **kw):
    """subprocess.run(cmd, **kw), the command noted first."""
    note('$ ' + ' '.join(cmd))
    return subprocess.run(cmd, **kw)


def attempt(fn, *args):
    """Why fn(*args) failed: what it returned, or the exception it raised (a crash fails
    this check alone; the others still run); '' when it passed."""
    try:
        return fn(*args) or ''
    except Exception as e:
        return f'{type(e).__name__}: {e}'


def report(results):
    """Prints the plan and one line a (name, why), why '' when it passed; the exit status."""
    print(f'1..{len(results)}')
    for i, (name, why) in enumerate(results, 1):
        if why.startswith(SKIP):
            print(f'ok {i} - {name} {why}')
            continue
        print(f"{'not ok' if why else 'ok'} {i} - {name}" + (f'  # {why}' if why else ''))
    return 1 if any(why and not why.startswith(SKIP) for _, why in results) else 0
