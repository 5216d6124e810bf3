"""A Sphinx extension of the book PDF only: the notebooks' HTML tables as real tables.

The reports show their tables as HTML outputs (:func:`impactlib.report.french_table`), with
a text/plain fallback that reads ``<IPython.core.display.HTML object>``: that is what the
LaTeX builder printed, 67 times in the book. :data:`MIME_PRIORITY` makes myst-nb keep the
HTML for the LaTeX builder (as a raw node, which LaTeX would drop); this extension then
turns each raw HTML table into a docutils table, which Sphinx's LaTeX writer typesets like
the book's other tables. A cell spanning rows or columns is followed by empty cells. Raw
HTML that holds no table (e.g. ``<id>`` in a Markdown page, which MyST reads as an HTML
tag) is left for LaTeX to drop, with a warning naming it and its page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# myst-nb's mime priority for the LaTeX builder: text/html before text/plain (60).
MIME_PRIORITY = [["latex", "text/html", 45]]


class _TableParser(HTMLParser):
    """The rows of the first ``<table>`` of an HTML fragment: ``(header, [text, ...])``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[bool, list[tuple[str, int, int]]]] = []
        self._in_table = self._done = False
        self._head = False
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        values = dict(attrs)
        if tag == "table":
            self._in_table = True
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._in_table:
            self.rows.append((self._head, []))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
            self._span = (_int(values.get("rowspan")), _int(values.get("colspan")))
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.rows[-1][1].append((text, *self._span))
            self._cell = None
        elif tag == "table" and self._in_table:
            self._done, self._in_table = True, False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _int(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def table_rows(html: str) -> list[tuple[bool, list[str]]]:
    """The rows of the first table of ``html``, spans filled with empty cells, every row
    as wide as the widest; ``[]`` when there is no table.

    >>> table_rows("<table><tr><th rowspan=2>a</th><td>b</td></tr><tr><td>c</td></tr></table>")
    [(False, ['a', 'b']), (False, ['', 'c'])]
    """
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    grid: list[tuple[bool, list[str]]] = []
    spanned: set[tuple[int, int]] = set()  # (row, column) covered by a cell above
    for r, (header, cells) in enumerate(parser.rows):
        row: list[str] = []
        for text, rowspan, colspan in cells:
            while (r, len(row)) in spanned:
                row.append("")
            column = len(row)
            row.extend([text] + [""] * (colspan - 1))
            spanned |= {
                (r + below, c)
                for below in range(1, rowspan)
                for c in range(column, column + colspan)
            }
        while (r, len(row)) in spanned:
            row.append("")
        grid.append((header, row))
    width = max((len(row) for _, row in grid), default=0)
    return [(header, row + [""] * (width - len(row))) for header, row in grid if row]


def table_node(rows: list[tuple[bool, list[str]]]) -> nodes.table:
    """A docutils table of ``rows``: the leading header rows as its head."""
    width = len(rows[0][1])
    # longtable: a long or tall table breaks across pages, its head repeated.
    table = nodes.table(classes=["output", "html-table", "longtable"])
    group = nodes.tgroup(cols=width)
    table += group
    for _ in range(width):
        group += nodes.colspec(colwidth=1)
    head_rows = 0
    while head_rows < len(rows) and rows[head_rows][0]:
        head_rows += 1
    for part, chunk in ((nodes.thead(), rows[:head_rows]), (nodes.tbody(), rows[head_rows:])):
        if not chunk:
            continue
        for _, cells in chunk:
            row = nodes.row()
            for text in cells:
                entry = nodes.entry()
                entry += nodes.paragraph(text=text)
                row += entry
            part += row
        group += part
    return table


# Characters of a line of a table at its type size (\small, \footnotesize), and what a
# column's two \tabcolsep take, in characters: rough measures of the book's 17 cm lines.
LINE_CHARS = {"small": 95, "footnotesize": 110}
PADDING = 3


def column_spec(rows: list[tuple[bool, list[str]]]) -> str:
    r"""The LaTeX columns of a table: ragged right, widths after their content.

    Each column gets at least its longest word (header included); what the line has left
    goes to the columns whose cells are longer, in proportion (a cell counts up to 60
    characters). Sphinx's ``\X{weight}{total}`` turns the weights into shares of the line.

    >>> column_spec([(True, ["Nom", "Description longue"]), (False, ["a", "b c" * 20])])
    '|>{\\raggedright\\arraybackslash}\\X{6}{69}|>{\\raggedright\\arraybackslash}\\X{63}{69}|'
    """
    width = len(rows[0][1])
    least, wanted = [], []
    for column in range(width):
        body = max((len(cells[column]) for header, cells in rows if not header), default=0)
        word = max((len(w) for _, cells in rows for w in cells[column].split()), default=1)
        least.append(word + PADDING)
        wanted.append(max(word, min(60, body)) + PADDING)
    spare = LINE_CHARS[_size(rows)] - sum(least)
    more = sum(wanted) - sum(least)
    if sum(wanted) > LINE_CHARS[_size(rows)] and more:
        share = max(0.0, spare) / more
        wanted = [lo + round((hi - lo) * share) for lo, hi in zip(least, wanted, strict=True)]
    total = sum(wanted)
    ragged = r">{\raggedright\arraybackslash}"
    return "|" + "|".join(rf"{ragged}\X{{{w}}}{{{total}}}" for w in wanted) + "|"


def _size(rows: list[tuple[bool, list[str]]]) -> str:
    """The type size of a table: smaller for a wide one."""
    return "footnotesize" if len(rows[0][1]) > 6 else "small"


def _width_text(entry: nodes.Element) -> str:
    """The text of a cell, its code a third longer: monospace letters are that much wider
    than the text's, and a name in code cannot break."""
    text = entry.astext()
    for literal in entry.findall(nodes.literal):
        code = literal.astext()
        text = text.replace(code, code + "_" * (len(code) // 3))
    return text


def _docutils_rows(table: nodes.table) -> list[tuple[bool, list[str]]] | None:
    """The text of a table of the book's own pages; None when a cell spans columns."""
    rows = [
        (isinstance(row.parent, nodes.thead), [_width_text(entry) for entry in row.children])
        for row in table.findall(nodes.row)
    ]
    widths = {len(cells) for _, cells in rows}
    spans = any("morecols" in entry for entry in table.findall(nodes.entry))
    return rows if len(widths) == 1 and not spans else None


def _size_tables(doctree: nodes.document) -> None:
    """Ragged-right columns sized after their content (:func:`column_spec`) for the tables
    of the pages too, unless a ``tabularcolumns`` directive sets them."""
    for table in list(doctree.findall(nodes.table)):
        index = table.parent.index(table)
        before = table.parent[index - 1] if index else None
        if isinstance(before, addnodes.tabular_col_spec) or "colwidths-given" in table["classes"]:
            continue
        rows = _docutils_rows(table)
        if rows and rows[0][1]:
            spec = addnodes.tabular_col_spec()
            spec["spec"] = column_spec(rows)
            table.parent.insert(index, spec)


def _replace_html_tables(app: Any, doctree: nodes.document) -> None:
    if app.builder.name != "latex":
        return
    _size_tables(doctree)
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split():
            continue
        rows = table_rows(raw.astext())
        if rows and rows[0][1]:
            spec = addnodes.tabular_col_spec()
            spec["spec"] = column_spec(rows)
            raw.replace_self(
                [
                    nodes.raw("", rf"\begingroup\{_size(rows)}", format="latex"),
                    spec,
                    table_node(rows),
                    nodes.raw("", r"\endgroup", format="latex"),
                ]
            )
        else:
            source = raw.source or doctree.get("source", "?")
            LOGGER.warning(f"book PDF: raw HTML {raw.astext()[:80]!r} in {source} is not printed")


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-read", _replace_html_tables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
