"""The frame of concbench's HTML pages (scripts/report, compare --format html): one file
that opens from disk with no server and no network — the styles, the plots (SVG as data:
URIs, so the ids of one figure never meet another's) and the small script that sorts the
tables are all inline. Written whole or not at all, and never over a file not ours."""

import base64
import html
import os

import cbresults as cr
import plotaxes as pa
from cbresults import ResultsError

# Every page of ours begins so; an existing target that does not is refused (as
# concbench's -o refuses a CSV not its own: bench/fileset.c).
DOCTYPE = '<!DOCTYPE html>\n'
MARKER = '<!-- concbench page: written by scripts/report or scripts/compare -->\n'
OURS = (DOCTYPE + MARKER).encode('utf-8')

CSS = """
:root { --fg:#1a1a1a; --muted:#555; --line:#ccc; --bg:#fff; --band:#f4f4f4;
        --fail:#b00020; --noisy:#8a5a00; --pass:#1b6e20; }
* { box-sizing:border-box; }
body { font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--fg); background:var(--bg); margin:0 auto; padding:1em 1.5em; max-width:1240px; }
h1 { font-size:1.6em; margin:.2em 0 .4em; }
h2 { font-size:1.3em; margin:1.6em 0 .3em; border-bottom:2px solid var(--line); }
h3 { font-size:1.1em; margin:1.2em 0 .3em; }
p.question { font-size:1.05em; margin:.2em 0 .6em; }
.muted, figcaption { color:var(--muted); font-size:.9em; }
code { font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:.9em;
       background:var(--band); padding:0 .2em; overflow-wrap:anywhere; }
dl.machine { display:grid; grid-template-columns:max-content 1fr; gap:.1em 1em; margin:.5em 0; }
dl.machine dt { font-weight:600; } dl.machine dd { margin:0; overflow-wrap:anywhere; }
.wrap { overflow-x:auto; max-width:100%; }
table { border-collapse:collapse; margin:.5em 0 1em; font-size:.9em; }
th, td { border:1px solid var(--line); padding:.2em .45em; text-align:right; vertical-align:top; }
th { background:var(--band); position:sticky; top:0; }
th.sort { cursor:pointer; user-select:none; }
th.sort::after { content:"\\2195"; color:var(--muted); font-weight:normal; font-size:.8em;
                 margin-left:.15em; }
th[aria-sort=ascending]::after { content:"\\2191"; }
th[aria-sort=descending]::after { content:"\\2193"; }
td { white-space:nowrap; } td.t, th.t { text-align:left; white-space:normal; }
tr.failed td { background:#fde8ec; } tr.noisy td { background:#fff6e0; }
.mark-failed { color:var(--fail); font-weight:700; }
.mark-noisy { color:var(--noisy); font-weight:700; }
.PASS { color:var(--pass); font-weight:700; } .FAIL { color:var(--fail); font-weight:700; }
.SKIP { color:var(--noisy); font-weight:700; }
.faster { color:var(--pass); font-weight:700; white-space:nowrap; }
.slower { color:var(--fail); font-weight:700; white-space:nowrap; }
.swatch { display:inline-block; width:.8em; height:.8em; margin-right:.3em; border-radius:2px;
          vertical-align:-.05em; }
figure { margin:.5em 0 1em; } figure img { max-width:100%; height:auto; display:block; }
ul.summary li { margin:.25em 0; }
nav.toc { font-size:.9em; } nav.toc ul { columns:3 16em; margin:.3em 0; }
@media (max-width:700px) {
  body { padding:.5em .6em; font-size:14px; }
  h1 { font-size:1.3em; } nav.toc ul { columns:1; }
  dl.machine { grid-template-columns:1fr; } dl.machine dd { margin-left:.8em; }
  table { font-size:.8em; }
}
"""

# Sorting by any column (click or Enter on its heading): numbers by data-v, words by
# text; and a marker in the page once every image has loaded and no error fired, which
# the browser test reads from the DOM.
SCRIPT = """
(function () {

  function key(td) {
    var v = td.getAttribute('data-v');
    return v === null ? td.textContent.trim().toLowerCase() : (v === '' ? null : parseFloat(v));
  }
  function sortBy(th) {
    var table = th.closest('table'), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[i]), y = key(b.cells[i]);
      if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('th.sort').forEach(function (th) {
    th.tabIndex = 0;
    th.addEventListener('click', function () { sortBy(th); });
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortBy(th); });
  });
  window.addEventListener('load', function () {
    var imgs = document.images, bad = 0;
    for (var j = 0; j < imgs.length; j++) if (!imgs[j].complete || !imgs[j].naturalWidth) bad++;
    var m = document.createElement('p');
    m.id = 'page-check'; m.hidden = true;
    // wider than the window: the page would scroll sideways (a table scrolls in its box)
    var over = document.documentElement.scrollWidth > window.innerWidth + 1 ? 1 : 0;
    m.textContent = 'page-check images=' + imgs.length + ' svgs=' +
      document.getElementsByTagName('svg').length + ' broken=' + bad +
      ' errors=' + window.cbErrors + ' overflow=' + over;
    document.body.appendChild(m);
  });
})();
"""


# In <head>, before anything else runs: an uncaught error, a resource that failed to load,
# or a console.error, counted for the load check.
WATCH = """
window.cbErrors = 0;
window.addEventListener('error', function () { window.cbErrors++; }, true);
(function (original) {
  console.error = function () { window.cbErrors++; return original.apply(console, arguments); };
})(console.error);
"""


def esc(text):
    return html.escape(str(text), quote=True)


def page(title, body):
    return (DOCTYPE + MARKER + '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{esc(title)}</title>\n<script>{WATCH}</script>\n'
            f'<style>{CSS}</style>\n</head>\n<body>\n'
            f'{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n')


def svg_img(svg_bytes, alt, width=None):
    """An <img> of an SVG as a data: URI; alt says what it shows in words."""
    data = base64.b64encode(svg_bytes).decode('ascii')
    w = f' width="{width}"' if width else ''
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}"{w}>'


def swatch(runner):
    return f'<span class="swatch" style="background:{pa.color(runner)}" aria-hidden="true"></span>'


def table(head, rows, caption=None, sortable=True, cls=''):
    """head: [(label, is_text)]; rows: [(row class, [(html, sort value or None)])]. A
    number column sorts by its value, a text column by its words."""
    out = [f'<div class="wrap"><table class="{cls}">']
    if caption:
        out.append(f'<caption class="muted">{caption}</caption>')
    ths = ''.join(f'<th scope="col" class="{"t " if t else ""}{"sort" if sortable else ""}">'
                  f'{esc(h)}</th>' for h, t in head)
    out.append(f'<thead><tr>{ths}</tr></thead><tbody>')
    for cls_, cells in rows:
        tds = []
        for (text, value), (_, is_text) in zip(cells, head):
            v = '' if is_text else f' data-v="{"" if value is None else value}"'
            c = ' class="t"' if is_text else ''
            tds.append(f'<td{c}{v}>{text}</td>')
        out.append(f'<tr class="{cls_}">{"".join(tds)}</tr>')
    out.append('</tbody></table></div>')
    return '\n'.join(out)


def check_target(path):
    """The output may be replaced only when it is a regular file of ours (or empty), or
    not there; ResultsError otherwise, before any work is done."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise ResultsError(f'{path}: {e.strerror}') from None
    import stat
    if not stat.S_ISREG(st.st_mode):
        raise ResultsError(f'{path}: not a regular file (a folder, link or device is in '
                           'the way); name another -o')
    if st.st_size == 0:
        return
    try:
        with open(path, 'rb') as f:
            head = f.read(len(OURS))
    except OSError as e:
        raise ResultsError(f'{path}: {e.strerror}') from None
    if head != OURS:
        raise ResultsError(f'{path}: not a page of ours (it does not begin with '
                           f'"<!DOCTYPE html>" and our marker comment); remove it or name '
                           'another -o')


def write(path, text):
    """The page whole or not at all (a temporary file beside it, then a rename)."""
    check_target(path)
    cr.write_outputs({path: text})
