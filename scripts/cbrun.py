"""One concbench run's cells and trials, indexed the ways the article pages and the claims'
judges look them up: a preset's cells in table order, a cell's serial run, its peer under
another runner, the Python model it stands for, its measured trials."""

import cbresults as cr
from cbresults import num

# The Python model each C model stands for: the article's own, run here by the peers.
PYTHON_OF = {'serial': 'py-serial', 'threads': 'py-threads', 'procs': 'py-procs',
             'evloop': 'py-asyncio', 'green': 'py-gevent'}
PYTHON = tuple(PYTHON_OF.values())


class Run:
    """One run, from cbresults.load_run: its meta, summary header, cells and trials."""

    def __init__(self, trials, summary, meta, header):
        self.meta, self.header = meta, header
        self.metrics = cr.metric_columns(header)
        self.cores = int(meta['cores'])
        cap = num(meta, 'parallel_cores')
        self.capacity = self.cores if cap is None else min(cap, self.cores)
        self.cells = [r for r in summary if r['preset']]
        self.trials = {}
        for t in trials:
            if t['warmup'] != '1':
                self.trials.setdefault(self.key(t), []).append(t)

    @staticmethod
    def key(r):
        return (r['preset'], r['workload'], r['params'], r['runner'], r['runner_params'],
                r['tasks'], r['workers'])

    def presets(self):
        seen = []
        for c in self.cells:
            if c['preset'] not in seen:
                seen.append(c['preset'])
        return seen

    def in_preset(self, preset):
        rows = [c for c in self.cells if c['preset'] == preset]
        return sorted(rows, key=lambda c: (c['workload'], c['params'], int(c['tasks']),
                                           cr.runner_rank(c['runner']), c['runner'],
                                           -cr.effective_workers(c)))

    def first(self, runner, cell, same, same_workers=False):
        """The first cell of runner whose columns `same` are the cell's (and, with
        same_workers, whose W acts as the cell's), or None."""
        for c in self.cells:
            if (c['runner'] == runner and all(c[k] == cell[k] for k in same) and
                    (not same_workers or
                     cr.effective_workers(c) == cr.effective_workers(cell))):
                return c
        return None

    def serial(self, cell):
        """The cell its speed-up is over: its family's serial run of the same work (the
        summary's baseline; none for a family without a serial runner)."""
        base = cell.get('baseline')
        if not base:
            return None
        return self.first(base, cell, ('preset', 'workload', 'params', 'tasks'))

    def peer(self, cell, runner):
        return self.first(runner, cell, ('preset', 'workload', 'params', 'tasks', 'workers'))

    def python_here(self, cell):
        """The Python peer cell standing for a C cell: same preset, workload, N and W;
        its work may be the article's literal size (Python counts ~40x slower)."""
        return self.first(PYTHON_OF.get(cell['runner']), cell, ('preset', 'workload', 'tasks'),
                          same_workers=True)

    def trials_of(self, cell):
        return self.trials.get(self.key(cell), [])
