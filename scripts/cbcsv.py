"""CSV read whole and checked before anything is done with it, and files written whole or
not at all. The scripts' one place for both: cbresults says what concbench's files hold,
this module holds a file to it. Every error is one sentence naming the file, the line and
the column."""

import csv
import io
import math
import os
import re
import tempfile


class BadInput(Exception):
    """Input that cannot be read as it must be: exit status 2, nothing written."""


class WriteFailed(Exception):
    """An output that could not be written at run time: exit status 1, none replaced."""


class Row(dict):
    """A row as {column: field}, and the line of the file it ends on."""
    line = 0


# --- a field's type: each check returns why the field is wrong, or None ----------------

def integer(lo=None, hi=None, empty=False):
    def check(v):
        if v == '':
            return None if empty else "empty, but a whole number is needed"
        try:
            n = int(v)
        except ValueError:
            return f"'{v}' is not an integer"
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            span = f'{lo} .. {hi}' if hi is not None else f'>= {lo}'
            return f"'{v}' is not an integer {span}"
        return None
    return check


def number(empty=True):
    def check(v):
        if v == '':
            return None if empty else 'empty, but a number is needed'
        try:
            x = float(v)
        except ValueError:
            return f"'{v}' is not a number"
        if not math.isfinite(x):
            return f"'{v}' is not a finite number (a value that does not exist is empty)"
        return None
    return check


def text(v):
    return None


# --- reading ----------------------------------------------------------------------------

def decoded(path):
    """The file as text, not empty and with no NUL byte; a byte that is not UTF-8 is kept
    as a lone surrogate (surrogateescape), for the check of its field to name (not_utf8)."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise BadInput(f'{path}: {e.strerror}') from None
    if not data.strip():
        raise BadInput(f'{path}: empty (not even a header line)')
    nul = data.find(b'\0')
    if nul >= 0:
        line = data.count(b'\n', 0, nul) + 1
        raise BadInput(f'{path}:{line}: a NUL byte: binary data, not CSV')
    return data.decode('utf-8-sig', errors='surrogateescape')


ESCAPED = re.compile('[\udc80-\udcff]')


def not_utf8(field):
    """Why a field is not text: the first byte that is not UTF-8, or None."""
    m = ESCAPED.search(field)
    return f'not UTF-8 (byte 0x{ord(m.group(0)) - 0xdc00:02x})' if m else None


def records(path, comments=False):
    """(line, fields) of each record of the file, its line the one it ends on; blank lines
    (and, with comments, lines starting with #) skipped."""
    line = 0

    def lines():
        nonlocal line
        for physical in io.StringIO(decoded(path), newline=''):
            line += 1
            if not (comments and physical.startswith('#')):
                yield physical

    reader = csv.reader(lines(), strict=True)
    try:
        for fields in reader:
            if fields:
                yield line, fields
    except csv.Error as e:
        raise BadInput(f'{path}:{line}: not CSV ({e})') from None


def read(path, need, types, default=text, need_rows=True, comments=False, row_check=None,
         hint=''):
    """(header, [Row]) of a CSV whose header has every column of need, each once (else
    an error saying hint), and whose every row has as many fields as the header and
    passes types[column] (columns not in types: default) and row_check(row), which
    returns (column, why) or None."""
    recs = records(path, comments)
    first = next(recs, None)
    if first is None:
        raise BadInput(f'{path}: empty (not even a header line)')
    hline, header = first
    for c in header:
        if not_utf8(c):
            raise BadInput(f'{path}:{hline}: {not_utf8(c)}: not a CSV file, or a damaged one')
    seen = set()
    for c in header:
        if c in seen:
            raise BadInput(f"{path}:{hline}: column '{c}' appears twice")
        seen.add(c)
    missing = [c for c in need if c not in seen]
    if missing:
        raise BadInput(f"{path}:{hline}: no column " + ', '.join(f"'{c}'" for c in missing) +
                       (f' ({hint})' if hint else ''))
    checks = [types.get(c, default) for c in header]
    rows = []
    for line, fields in recs:
        if len(fields) != len(header):
            raise BadInput(f'{path}:{line}: {len(fields)} fields, but the header has '
                           f'{len(header)}')
        for c, check, v in zip(header, checks, fields):
            why = not_utf8(v) or check(v)
            if why:
                raise BadInput(f"{path}:{line}: column '{c}': {why}")
        row = Row(zip(header, fields))
        row.line = line
        bad = row_check(row) if row_check else None
        if bad:
            raise BadInput(f"{path}:{line}: column '{bad[0]}': {bad[1]}")
        rows.append(row)
    if need_rows and not rows:
        raise BadInput(f'{path}: a header and no rows (a file cut short?)')
    return header, rows


# --- writing ----------------------------------------------------------------------------

def check_folder(path, flag):
    """A folder outputs can go to: one that is there and writable, or can be made."""
    p = os.path.abspath(path)
    there = p
    while not os.path.exists(there):
        there = os.path.dirname(there)
    if not os.path.isdir(there):
        raise BadInput(f'{flag} {path}: {there} is not a folder')
    if not os.access(there, os.W_OK | os.X_OK):
        raise BadInput(f'{flag} {path}: {there} is not writable')


def _make_folders(folder):
    """Makes folder and any missing parent; returns those it made, deepest first."""
    made = []
    while folder and not os.path.isdir(folder):
        made.append(folder)
        folder = os.path.dirname(folder)
    for f in reversed(made):
        os.mkdir(f)
    return made


def write_whole(files):
    """Writes every {path: bytes} whole, or none of them: each to a temporary file beside
    it first, and only when all are written, each renamed into place. On a failure no
    file is replaced and nothing is left behind; WriteFailed names the file."""
    mask = os.umask(0)
    os.umask(mask)
    made, temps, path, done = [], [], None, 0
    try:
        for path, data in files.items():
            made += _make_folders(os.path.dirname(os.path.abspath(path)))
            if os.path.isdir(path):
                raise IsADirectoryError(21, 'a folder is in the way')
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.',
                                       prefix='.' + os.path.basename(path) + '.')
            temps.append((tmp, path))
            with os.fdopen(fd, 'wb') as f:
                f.write(data)
            os.chmod(tmp, 0o666 & ~mask)
        for tmp, path in temps:
            os.replace(tmp, path)
            done += 1
    except OSError as e:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for f in made:
            try:
                os.rmdir(f)
            except OSError:
                pass
        # A rename in one folder fails only when something else changes it meanwhile.
        which = f'{done} of {len(temps)} replaced' if done else 'nothing replaced'
        raise WriteFailed(f'{path}: {e.strerror} ({which})') from None
