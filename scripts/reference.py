"""The articles' published figures, results/reference/<article>.csv, read whole and checked,
and matched to the cells of a run.

Columns: article,experiment,preset,model,seconds,note. `model` is a runner, all tasks at
once, or runner:W for W workers; a figure that is not a time has an empty `seconds` and a
note starting key=value (final_balance=-120)."""

import os
import re

import cbcsv
import cbresults as cr
from cbresults import ResultsError

REF_COLUMNS = ('article', 'experiment', 'preset', 'model', 'seconds', 'note')


def read_reference(folder):
    """{preset: [rows]} from every <article>.csv in folder."""
    refs = {}
    try:
        names = sorted(f for f in os.listdir(folder) if f.endswith('.csv'))
    except OSError as e:
        raise ResultsError(f'{folder}: {e.strerror}') from None
    for name in names:
        path = os.path.join(folder, name)
        rows = cr.read_table(path, REF_COLUMNS, {'seconds': cbcsv.number()}, cbcsv.text,
                             need_rows=False)[1]
        for row in rows:
            if not re.fullmatch(r'[a-z][a-z-]*(:[0-9]+)?', row['model']):
                raise ResultsError(f"{path}:{row.line}: column 'model': '{row['model']}' is "
                                   f"not a runner or runner:W")
            refs.setdefault(row['preset'], []).append(row)
    return refs


def ref_matches(ref, cell):
    """Whether the figure is of the cell's model: its runner, and its W (any for serial)."""
    runner, _, w = ref['model'].partition(':')
    if runner != cell['runner']:
        return False
    want = int(w) if w else int(cell['tasks'])
    return cr.effective_workers(cell) == want or runner == 'serial'


def ref_serial(refs, experiment):
    """The article's serial seconds for the experiment, or None."""
    for r in refs:
        if r['experiment'] == experiment and r['model'] == 'serial' and r['seconds']:
            return float(r['seconds'])
    return None
