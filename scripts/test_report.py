"""scripts/report and compare --format html (meson test --suite unit): the page of a tiny
real run has every section and every cell (read back with html.parser), the committed
articles run's page every claim; both pages open in headless Chromium with no console
error, no broken image and something drawn; bad input is refused with one line and
nothing written, and a file not ours is never written over. TAP on stdout."""

import html.parser
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import cbresults as cr  # noqa: E402
import tap  # noqa: E402
from tap import SKIP  # noqa: E402

SCRIPTS = os.path.dirname(os.path.realpath(__file__))
REPORT = os.path.join(SCRIPTS, 'report')
COMPARE = os.path.join(SCRIPTS, 'compare')
ARTICLES_RUN = os.path.join(cr.TREE, 'results', 'readme', 'articles', 'run.csv')
README_RUN = os.path.join(cr.TREE, 'results', 'readme', 'bench.csv')
CHROMIUM = '/usr/bin/chromium'
MAX_BYTES = 2 * 1024 * 1024
OURS = b'<!DOCTYPE html>\n<!-- concbench page'


# --- the page read back --------------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """What the checks look at: sections (id, heading, question), tables (their section,
    class, rows of cell texts), images and inline SVGs, the claim lines, the summary's
    items."""

    def __init__(self):
        super().__init__()
        self.sections, self.tables, self.images, self.svgs = [], [], [], 0
        self.claims, self.summary, self.dl = [], [], []
        self._section, self._text, self._row, self._in = None, None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'section':
            self.sections.append({'id': a.get('id'), 'h2': '', 'question': '', 'tables': 0,
                                  'figures': 0})
            self._section = self.sections[-1]
        elif tag == 'table':
            self.tables.append({'section': self._section['id'] if self._section else None,
                                'class': a.get('class', ''), 'rows': [], 'head': []})
            if self._section:
                self._section['tables'] += 1
        elif tag == 'tr':
            self._row = []
        elif tag in ('td', 'th', 'h2', 'li', 'dt', 'dd') or (tag == 'p' and
                                                            a.get('class') == 'question'):
            self._text = []
            self._in.append((tag, a))
        elif tag == 'img':
            self.images.append(a)
            if self._section:
                self._section['figures'] += 1
        elif tag == 'svg':
            self.svgs += 1

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == 'section':
            self._section = None
        if tag == 'tr' and self._row is not None and self.tables:
            t = self.tables[-1]
            (t['head'] if not t['rows'] and not t['head'] else t['rows']).append(self._row)
            self._row = None
        if not self._in or self._in[-1][0] != tag:
            return
        _, a = self._in.pop()
        text = ''.join(self._text or []).strip()
        self._text = [] if self._in else None
        if tag in ('td', 'th') and self._row is not None:
            self._row.append(text)
        elif tag == 'h2' and self._section:
            self._section['h2'] = text
        elif tag == 'p' and self._section:
            self._section['question'] = text
        elif tag == 'li' and a.get('class') == 'claim':
            self.claims.append(text)
        elif tag == 'li' and self._section and self._section['id'] == 'summary':
            self.summary.append(text)
        elif tag == 'dt':
            self.dl.append(text)


def parse(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    p = Page()
    p.feed(text)
    p.close()
    return p, text


def run_report(args):
    return tap.run([REPORT] + args, capture_output=True, text=True, timeout=120)


# --- a real browser ------------------------------------------------------------------------

def chromium(args, tmp, timeout=25):
    """(status, stdout, stderr) of headless Chromium in a new session with a profile of
    its own; the whole process group is killed after it, so nothing is left behind."""
    profile = tempfile.mkdtemp(dir=tmp, prefix='chromium-')
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
           '--no-first-run', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-extensions', '--enable-logging=stderr', '--v=0',
           f'--user-data-dir={profile}'] + args
    tap.note('$ ' + ' '.join(cmd))
    # Its home and caches in the profile: nothing written outside the test's folder.
    env = dict(os.environ, HOME=profile, XDG_CONFIG_HOME=profile, XDG_CACHE_HOME=profile)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError(f'chromium did not finish in {timeout} s') from None
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # its helpers, if any outlived it
        except ProcessLookupError:
            pass
    return p.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')


def console_errors(stderr):
    return [line for line in stderr.splitlines()
            if ('CONSOLE' in line and ('ERROR' in line or 'Uncaught' in line)) or
            'Uncaught' in line or 'Failed to load resource' in line]


def png_pixels(path):
    """(width, height, fraction of pixels not near white) of a PNG: by matplotlib's reader
    where it is installed (quick), else by zlib and struct."""
    try:
        import matplotlib.image
    except ImportError:
        return png_pixels_by_hand(path)
    img = matplotlib.image.imread(path)
    h, w = img.shape[:2]
    return w, h, float((img[:, :, :3].min(axis=2) < 235 / 255).mean())


def png_pixels_by_hand(path):
    """(width, height, fraction of pixels not near white) of an 8-bit RGB(A) PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise AssertionError(f'{path}: not a PNG')
    pos, idat = 8, []
    w = h = depth = ctype = None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat.append(body)
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        raise AssertionError(f'{path}: PNG of depth {depth} colour type {ctype}')
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    ink = 0
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        ink += sum(1 for x in range(0, stride, bpp) if min(line[x:x + 3]) < 235)
        prev = line
    return w, h, ink / (w * h)


def browser_check(page, tmp, width, height, want_images, want_svgs):
    """The page opened from disk: the DOM after load (our page-check marker: every image
    loaded, no error fired) and a screenshot that is the size asked and not blank."""
    if not os.access(CHROMIUM, os.X_OK):
        return SKIP + 'chromium is not installed (scripts/setup installs it)'
    url = 'file://' + os.path.abspath(page)
    status, dom, err = chromium(['--dump-dom', f'--window-size={width},{height}', url], tmp)
    if status != 0:
        return f'chromium --dump-dom exit {status}: {err[-400:]}'
    bad = console_errors(err)
    if bad:
        return f'console errors: {bad[:3]}'
    marker = (f'>page-check images={want_images} svgs={want_svgs} broken=0 errors=0 '
              'overflow=0<')
    if marker not in dom:
        import re
        got = re.findall(r'>page-check images=[^<]*<', dom)
        return f'page check {got or "missing (the script did not run)"}, wanted {marker}'
    shot = os.path.join(tmp, os.path.basename(page) + f'.{width}.png')
    status, _, err = chromium([f'--screenshot={shot}', f'--window-size={width},{height}',
                               '--hide-scrollbars', url], tmp)
    if status != 0 or not os.path.exists(shot):
        return f'chromium --screenshot exit {status}: {err[-400:]}'
    bad = console_errors(err)
    if bad:
        return f'console errors: {bad[:3]}'
    w, h, ink = png_pixels(shot)
    tap.note(f'{shot}: {w}x{h}, {ink:.1%} drawn')
    if (w, h) != (width, height):
        return f'screenshot {w}x{h}, wanted {width}x{height}'
    if ink < 0.02:
        return f'the page renders blank: {ink:.2%} of its pixels drawn'
    return ''


# --- the checks ------------------------------------------------------------------------------

def report_of_fixture(run_csv, page):
    r = run_report([run_csv, '-o', page])
    if r.returncode != 0:
        return f'exit {r.returncode}: {r.stderr}'
    _, summary, meta, _ = cr.load_run(run_csv, need_trials=False)
    p, text = parse(page)
    if not text.encode('utf-8').startswith(OURS):
        return 'the page does not begin with our doctype and marker'
    if 'http://' in text.replace('http://www.w3.org/', '') or 'https://' in text:
        return 'the page names something on the network'
    if '<link' in text or '<script src' in text or '@import' in text or 'url(' in text:
        return 'the page loads something from outside it'
    for want in ('CPU', 'cores', 'kernel', 'concbench'):
        if want not in p.dl:
            return f'no {want} in the machine list ({p.dl})'
    if meta['command'].replace('&', '&amp;') not in text and meta['command'] not in text:
        return 'the command is not on the page'
    exps = [s for s in p.sections if s['id'] not in ('summary', 'articles', 'more')]
    workloads = sorted({r['workload'] for r in summary})
    if len(exps) != len(workloads) or len(p.summary) != len(workloads):
        return f'{len(exps)} sections, {len(p.summary)} summary lines for {workloads}'
    for s in exps:
        if not s['question'] or s['tables'] != 1:
            return f'section {s["id"]}: question {s["question"]!r}, {s["tables"]} tables'
        if s['figures'] < 1:
            return f'section {s["id"]}: no figure'
    import base64
    import re
    for img in p.images:
        if not img.get('src', '').startswith('data:image/svg+xml;base64,') or not img.get('alt'):
            return f'an image not inline or without alt: {str(img)[:120]}'
        svg = base64.b64decode(img['src'].split(',', 1)[1]).decode('utf-8')
        # only the page's own fragments (#id) and the namespaces' names, nothing to fetch
        refs = [h for h in re.findall(r'(?:href|src)="([^"]*)"', svg) if not h.startswith('#')]
        if refs or '<image' in svg or '@import' in svg or '@font-face' in svg:
            return f'an SVG refers outside itself: {refs[:3]}'
    rows = [row for t in p.tables for row in t['rows']]
    if len(rows) != len(summary):
        return f'{len(rows)} table rows for {len(summary)} cells'
    for cell in summary:
        hit = [row for t in p.tables if t['section'] in {s['id'] for s in exps}
               for row in t['rows'] if row[0].startswith(cell['runner']) and
               row[1] == cell['tasks'] and row[3] == cr.fmt_s(cr.num(cell, 'median_s'))]
        if not hit:
            return f'no row for {cell["workload"]} {cell["runner"]} N={cell["tasks"]}'
    heads = p.tables[0]['head'][0]
    for want in ('median', '95% CI of median', 'speed-up', 'ideal', 'overhead/task',
                 '×floor', 'RSS/task', 'outcomes'):
        if want not in heads:
            return f'no column {want} in {heads}'
    for line, w in zip(p.summary, workloads):
        if 'fastest' not in line:
            return f'the summary does not name the fastest: {line!r}'
        # the fastest cell's speed-up with its interval, and its memory, as the summary has them
        cells = [c for c in summary if c['workload'] == w and cr.num(c, 'median_s')]
        best = min(cells, key=lambda c: cr.num(c, 'median_s'))
        if not line.split(':', 1)[1].strip().startswith(best['runner']):
            return f'{w}: the fastest is {best["runner"]}, the summary says {line!r}'
        lo, hi = cr.num(best, 'speedup_lo'), cr.num(best, 'speedup_hi')
        if best['runner'] != best['baseline'] and lo is not None and \
                f'[{lo:.2f}x, {hi:.2f}x]' not in line:
            return f'{w}: no speed-up interval [{lo:.2f}x, {hi:.2f}x] in {line!r}'
        rss = cr.num(best, 'rss_per_task_b')
        if rss is not None and 'RSS per task' not in line:
            return f'{w}: no memory ({rss} B per task) in {line!r}'
    if os.path.getsize(page) > MAX_BYTES:
        return f'{os.path.getsize(page)} bytes'
    return ''


def report_of_articles(page):
    """Every claim of the committed articles run on the page, with its verdict."""
    import claims as cl
    from cbrun import Run
    r = run_report([ARTICLES_RUN, '-o', page])
    if r.returncode != 0:
        return f'exit {r.returncode}: {r.stderr}'
    run = Run(*cr.load_run(ARTICLES_RUN))
    titles = cr.read_presets()
    claims = cl.load_claims(cl.default_path(), titles, cr.RUNNERS)
    verdicts = [v for vs in cl.verdicts(run, claims, only=run.presets()).values() for v in vs]
    p, _ = parse(page)
    if len(p.claims) != len(verdicts):
        return f'{len(p.claims)} claim lines for {len(verdicts)} verdicts'
    for v in verdicts:
        line = f'{v.status} {v.cell}:'
        if not any(c.startswith(line) for c in p.claims):
            return f'no claim line {line!r}'
    heads = [c for t in p.tables if 'article' in t['class'] for row in t['head'] for c in row]
    for want in ('C median', 'ideal × serial'):
        if not any(want in h for h in heads):
            return f'no article table with {want!r}'
    if 'Python here' not in ' '.join(h for t in p.tables for hd in t['head'] for h in hd):
        return 'no "Python here" column'
    for a in ('article-a', 'article-b', 'article-c', 'article-d'):
        if f'id="{a}"' not in open(page, encoding='utf-8').read():
            return f'no {a}'
    if os.path.getsize(page) > MAX_BYTES:
        return f'{os.path.getsize(page)} bytes: over 2 MB'
    return ''


def report_of_readme(page):
    r = run_report([README_RUN, '-o', page])
    if r.returncode != 0:
        return f'exit {r.returncode}: {r.stderr}'
    size = os.path.getsize(page)
    tap.note(f'{README_RUN}: {size} bytes')
    return f'{size} bytes: over 2 MB' if size > MAX_BYTES else ''


def compare_page(a, b, page):
    r = tap.run([COMPARE, a, b, '--format', 'html', '-o', page], capture_output=True,
                text=True, timeout=120)
    if r.returncode != 0:
        return f'exit {r.returncode}: {r.stderr}'
    import csv
    out = tap.run([COMPARE, a, b, '--format', 'csv'], capture_output=True, text=True,
                  timeout=120)
    cells = [c for c in csv.DictReader(out.stdout.splitlines()) if c['workload']]
    p, text = parse(page)
    if not text.encode('utf-8').startswith(OURS):
        return 'the page does not begin with our doctype and marker'
    rows = [row for t in p.tables for row in t['rows']]
    if len(rows) != len(cells):
        return f'{len(rows)} rows for {len(cells)} cells'
    if p.svgs != len(cells):
        return f'{p.svgs} strip plots for {len(cells)} cells'
    for row in rows:
        if row[8] not in ('faster', 'slower', 'same', 'too few trials', '▲ faster',
                          '▼ slower', 'not comparable across machines'):
            return f'verdict {row[8]!r}'
    if 'Holm' not in text:
        return 'no Holm-corrected p'
    return ''


# Added to a copy of the page: click the first table's "median" heading twice, and write
# the column's values in the order shown after each click.
SORT_PROBE = """<script>
window.addEventListener('load', function () {
  var th = Array.prototype.find.call(document.querySelectorAll('th.sort'),
                                     function (h) { return h.textContent.trim() === 'median'; });
  var col = Array.prototype.indexOf.call(th.parentNode.children, th);
  var body = th.closest('table').tBodies[0], out = [];
  [0, 1].forEach(function () {
    th.click();
    out.push(Array.prototype.map.call(body.rows, function (r) {
      return r.cells[col].getAttribute('data-v'); }).join(','));
  });
  var p = document.createElement('p');
  p.id = 'sort-probe'; p.textContent = 'sort-probe ' + out.join(' / ') + ' end';
  document.body.appendChild(p);
});
</script>
"""


def sorts_in_browser(page, tmp):
    """A click on a heading sorts its table up, a second click down (in Chromium)."""
    if not os.access(CHROMIUM, os.X_OK):
        return SKIP + 'chromium is not installed (scripts/setup installs it)'
    probe = os.path.join(tmp, 'sort-probe.html')
    with open(page, encoding='utf-8') as f:
        text = f.read()
    with open(probe, 'w', encoding='utf-8') as f:
        f.write(text.replace('</body>', SORT_PROBE + '</body>'))
    status, dom, err = chromium(['--dump-dom', 'file://' + probe], tmp)
    import re
    m = re.search(r'id="sort-probe">sort-probe ([^<]*) end<', dom)
    if status != 0 or not m:
        return f'exit {status}, no probe result: {console_errors(err)[:3]}'
    up, down = ([float(v) for v in side.split(',') if v] for side in m.group(1).split(' / '))
    if len(up) < 2 or up != sorted(up) or down != sorted(down, reverse=True):
        return f'not sorted: up {up}, down {down}'
    return ''


def merged_machines(a, b, tmp):
    """Two runs as if of two machines, merged: the page shows each run's machine, the
    summary per machine and a models x machines table per question."""
    import test_merge
    other = test_merge.as_host(b, tmp, 'other', 'otherbox')
    out = os.path.join(tmp, 'merged')
    r = tap.run([os.path.join(SCRIPTS, 'merge'), a, other, '-o', out], capture_output=True,
                text=True, timeout=120)
    if r.returncode != 0:
        return f'merge exit {r.returncode}: {r.stderr}'
    r = run_report([out])
    if r.returncode != 0:
        return f'exit {r.returncode}: {r.stderr}'
    p, text = parse(os.path.join(out, 'report.html'))
    _, summary, _, _ = cr.load_run(os.path.join(out, 'merged.csv'), need_trials=False)
    hosts = sorted({c['host_id'] for c in summary})
    views = [t for t in p.tables if t['head'] and sorted(t['head'][0][3:]) == hosts]
    workloads = {c['workload'] for c in summary}
    if len(views) != len(workloads):
        return f'{len(views)} models x machines tables for {len(workloads)} questions'
    for t in views:
        if len(t['rows']) != len(summary) // len(hosts) // len(workloads):
            return f'a models x machines table of {len(t["rows"])} rows'
    for h in hosts:
        if text.count(f'on <strong>{h}</strong>') != len(workloads):
            return f'the summary does not answer per machine ({h})'
    return ''


def default_run(tmp, run_dir):
    """No run given: results/latest; none there: says so, exit 2."""
    import report
    latest = os.path.join(tmp, 'latest')
    os.symlink(run_dir, latest)
    report.cr.DEFAULT_RUN = latest
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = report.main(['-o', os.path.join(tmp, 'latest.html')])
    if status != 0 or not os.path.exists(os.path.join(tmp, 'latest.html')):
        return f'exit {status}: {err.getvalue()}'
    report.cr.DEFAULT_RUN = os.path.join(tmp, 'nothing')
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = report.main([])
    if status != 2 or 'results/latest' not in err.getvalue() or out.getvalue():
        return f'without results/latest: exit {status}, {err.getvalue()!r}'
    return ''


def refused(cmd, out, why_in):
    """Exit 2, one line naming the problem, out not written, no temporary left."""
    folder = os.path.dirname(out)
    before = sorted(os.listdir(folder))
    r = tap.run(cmd, capture_output=True, text=True, timeout=120)
    lines = r.stderr.splitlines()
    if r.returncode != 2 or len(lines) != 1 or why_in not in r.stderr or r.stdout:
        return f'exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}'
    if sorted(os.listdir(folder)) != before:
        return f'{folder} changed: {sorted(os.listdir(folder))}'
    return ''


def main():
    concbench = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for name in ('a', 'b'):
            folder = os.path.join(tmp, name)
            os.makedirs(folder)
            runs[name] = os.path.join(folder, 'run.csv')
            tap.run([concbench, '-q', '--no-floors', '-w', 'countdown,sleep', '-r',
                     'serial,threads,procs', '--scale', '0.02', '--repeat', '6', '--warmup',
                     '0', '-o', runs[name]], capture_output=True, timeout=120)
        page = os.path.join(tmp, 'a', 'report.html')
        cpage = os.path.join(tmp, 'compare.html')
        apage = os.path.join(tmp, 'articles.html')
        results.append(('the report of a tiny run: the machine, the command, a summary line '
                        'and a section (question, figure, table) per workload, a row per cell',
                        tap.attempt(report_of_fixture, runs['a'], page)))
        results.append(('the articles run\'s report: every claim with its verdict, the '
                        'article tables, under 2 MB', tap.attempt(report_of_articles, apage)))
        results.append(('the committed README run\'s report is under 2 MB',
                        tap.attempt(report_of_readme, os.path.join(tmp, 'readme.html'))))
        results.append(('compare --format html: a row, a verdict and a strip plot per cell',
                        tap.attempt(compare_page, runs['a'], runs['b'], cpage)))

        def in_browser(path, images, svgs, width, height):
            if not os.path.exists(path):
                return 'no page to open (its check above failed)'
            return browser_check(path, tmp, width, height, images, svgs)
        ap, _ = parse(page) if os.path.exists(page) else (Page(), '')
        cp, _ = parse(cpage) if os.path.exists(cpage) else (Page(), '')
        results.append(('chromium: the report opens at 1200 px, every image loaded, no '
                        'console error, not blank',
                        tap.attempt(in_browser, page, len(ap.images), ap.svgs, 1200, 2000)))
        results.append(('chromium: a click on a heading sorts the table, up then down',
                        tap.attempt(sorts_in_browser, page, tmp)))
        results.append(('chromium: the report at a phone width (500 px, the narrowest '
                        'headless Chromium lays out): no sideways scroll, not blank',
                        tap.attempt(in_browser, page, len(ap.images), ap.svgs, 500, 900)))
        arp, _ = parse(apage) if os.path.exists(apage) else (Page(), '')
        results.append(('chromium: the articles run\'s page (every figure) opens, no console '
                        'error, not blank',
                        tap.attempt(in_browser, apage, len(arp.images), arp.svgs, 1200, 2000)))
        results.append(('chromium: the compare page opens, no console error, not blank',
                        tap.attempt(in_browser, cpage, 0, cp.svgs, 1200, 1000)))

        results.append(('a set merged from two machines: each run\'s machine, the summary '
                        'per machine, a models x machines table per question',
                        tap.attempt(merged_machines, runs['a'], runs['b'], tmp)))
        results.append(('no run given: results/latest; none: says so, exit 2',
                        tap.attempt(default_run, tmp, os.path.dirname(runs['a']))))
        nosum = os.path.join(tmp, 'nosum')
        os.makedirs(nosum)
        shutil.copy(runs['a'], os.path.join(nosum, 'run.csv'))
        shutil.copy(runs['a'][:-4] + '.meta.csv', os.path.join(nosum, 'run.meta.csv'))
        results.append(('a run without its summary: exit 2, one line, nothing written',
                        tap.attempt(refused, [REPORT, os.path.join(nosum, 'run.csv')],
                                    os.path.join(nosum, 'report.html'), 'summary')))
        old = os.path.join(tmp, 'old')
        shutil.copytree(os.path.dirname(runs['a']), old)
        os.unlink(os.path.join(old, 'report.html'))
        mpath = os.path.join(old, 'run.meta.csv')
        with open(mpath, encoding='utf-8') as f:
            meta = f.read()
        with open(mpath, 'w', encoding='utf-8') as f:
            f.write(meta.replace('\nversion,', '\nversion,9.9.0\nold_version,'))
        results.append(('a run of another version: exit 2, one line, nothing written',
                        tap.attempt(refused, [REPORT, old], os.path.join(old, 'report.html'),
                                    'written by concbench 9.9.0')))
        summ = os.path.join(old, 'run.summary.csv')
        shutil.copy(runs['a'][:-4] + '.meta.csv', mpath)
        with open(summ, 'w', encoding='utf-8') as f:
            f.write('workload,runner\ncountdown,serial\n')
        results.append(('a summary CSV of another shape: exit 2, one line, nothing written',
                        tap.attempt(refused, [REPORT, old], os.path.join(old, 'report.html'),
                                    'run.summary.csv')))
        theirs = os.path.join(tmp, 'theirs.html')
        with open(theirs, 'w', encoding='utf-8') as f:
            f.write('<!DOCTYPE html>\n<p>someone else\'s page</p>\n')

        def not_ours_kept():
            for cmd in ([REPORT, runs['a'], '-o', theirs],
                        [COMPARE, runs['a'], runs['b'], '--format', 'html', '-o', theirs]):
                why = refused(cmd, theirs, 'not a page of ours')
                if why:
                    return why
                with open(theirs, encoding='utf-8') as f:
                    if 'someone else' not in f.read():
                        return 'the file not ours was replaced'
            return ''
        results.append(('a file not ours at -o: exit 2, one line, kept (report and compare)',
                        tap.attempt(not_ours_kept)))
    return tap.report(results)


if __name__ == '__main__':
    sys.exit(main())
