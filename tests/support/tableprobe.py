"""A sortable table of the built book, probed in headless Chromium at a given width.

:func:`probe_table` copies the page beside itself with a probe script added (so that its
relative links still resolve), serves the site on ``127.0.0.1``, opens the copy in a window
of the given width and reads back what the probe wrote into the page: whether DataTables
turned the table into a sortable one, whether anything is wider than the window or cut by
a scrolling box (the table, any of its ancestors, the page), and the first text column of
the rows before and after a click on a column's header.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from support.sitecheck import _browser, _run_browser, serve

PROBE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body style="margin:0">
<iframe id="page" src="%(page)s" style="border:0;width:%(width)dpx;height:%(height)dpx"></iframe>
<script type="module">
const ID = %(table_id)s, COLUMN = %(column)d, KEY = %(key)d;
const pause = (ms) => new Promise((done) => setTimeout(done, ms));
const frame = document.getElementById("page");
function write(out) {
  const pre = document.createElement("pre");
  pre.id = "impact-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
function clipped(win, table) {
  const found = [];
  for (let el = table; el; el = el.parentElement) {
    if (el.scrollWidth > el.clientWidth + 1 && win.getComputedStyle(el).overflowX !== "visible")
      found.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
  }
  return found;
}
async function probe() {
  for (let i = 0; i < 400 && !frame.contentDocument?.querySelector(`#${ID}.dataTable`); i++)
    await pause(50);
  const win = frame.contentWindow, doc = frame.contentDocument;
  const table = doc.getElementById(ID);
  const rows = () => [...table.querySelectorAll("tbody tr")].map(
    (tr) => (tr.cells[KEY] ? tr.cells[KEY].textContent.trim() : ""));
  const out = { ready: !!doc.querySelector(`#${ID}.dataTable`), width: win.innerWidth };
  out.page_width = doc.documentElement.scrollWidth;
  out.table_right = table.getBoundingClientRect().right;
  out.clipped = clipped(win, table);
  out.wider = [...table.querySelectorAll("th, td")].filter(
    (cell) => cell.getBoundingClientRect().right > win.innerWidth + 1).length;
  out.before = rows();
  const header = table.querySelectorAll("thead th")[COLUMN];
  header.click();
  await pause(200);
  out.after = rows();
  header.click();
  await pause(200);
  out.after_twice = rows();
  write(out);
}
probe().catch((error) => write({ error: String(error) }));
</script>
</body></html>
"""


@dataclass
class TableProbe:
    """What the probe saw (see the module's docstring); ``rows_*``: the key column."""

    ready: bool
    width: int
    page_width: int
    table_right: float
    clipped: list[str]
    wider: int
    rows_before: list[str]
    rows_after: list[str]
    rows_after_twice: list[str]

    @property
    def fits(self) -> bool:
        """Nothing wider than the window, nothing cut by a scrolling box."""
        return (
            self.page_width <= self.width
            and self.table_right <= self.width + 1
            and not self.clipped
            and self.wider == 0
        )


def probe_table(
    site: Path,
    page: str,
    table_id: str,
    *,
    width: int,
    column: int,
    key: int = 1,
    browser: str | None = None,
    height: int = 900,
    budget_ms: int = 20000,
    timeout: float = 120,
) -> TableProbe:
    """Open ``page`` of ``site`` at ``width`` px, click header ``column`` of ``table_id``."""
    name = PurePosixPath(page)
    probe = PROBE % {
        "page": html.escape(name.name),
        "width": width,
        "height": height,
        "table_id": json.dumps(table_id),
        "column": column,
        "key": key,
    }
    copy = site / name.with_name(f"{name.stem}.probe.html")
    copy.write_text(probe, encoding="utf-8")
    try:
        with serve(site) as server:
            url = server.page_url(str(copy.relative_to(site)))
            window = f"--window-size={width + 40},{height + 200}"
            dom, external = _run_browser(
                _browser(browser), [window, "--dump-dom", url], budget_ms=budget_ms, timeout=timeout
            )
    finally:
        copy.unlink(missing_ok=True)
    if external:
        raise AssertionError(f"{page} requested other hosts: {external}")
    found = re.search(r'<pre id="impact-probe"[^>]*>(.*?)</pre>', dom, re.S)
    if not found:
        raise AssertionError(f"the probe of {page} wrote nothing (the script did not finish)")
    out = json.loads(html.unescape(found.group(1)))
    if "error" in out:
        raise AssertionError(f"the probe of {page} failed: {out['error']}")
    return TableProbe(
        ready=out["ready"],
        width=out["width"],
        page_width=out["page_width"],
        table_right=out["table_right"],
        clipped=out["clipped"],
        wider=out["wider"],
        rows_before=out["before"],
        rows_after=out["after"],
        rows_after_twice=out["after_twice"],
    )
