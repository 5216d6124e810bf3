"""A table the reader sorts and filters in the browser, offline, and reads on a phone.

The table is plain HTML written here (each cell escaped, with the value it sorts by in
``data-order`` and its column's name in ``data-label``); a short module script turns it
into a DataTables table. DataTables is the bundle itables ships (``dt_for_itables``:
DataTables 2 and its extensions, MIT licence), vendored in ``book/_vendor/datatables/``
and copied by Sphinx to ``_static/datatables/``: nothing is fetched from another host.
Without JavaScript (a notebook viewer, a PDF) the same table is there, unsorted.

Why not ``itables.show``: its offline mode writes the 600 kB bundle, base64-encoded, into
every executed notebook; its cells are the frame's values, so a French number (text)
would sort as text, and its table id is random unless given. Here the bundle is one file
of the book, the sort value of each cell is its number, and the HTML is the same bytes on
every run.

On a narrow screen (:data:`NARROW_PX` and below) each row becomes a card, each cell on its
own line after its column's name, and the headers a row of buttons that still sort: the
table never needs a horizontal scroll.
"""

from __future__ import annotations

import html
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from impactlib.core.validation import InputError

#: Where the book serves the vendored DataTables, relative to a page at the book's root.
ASSETS = "_static/datatables"
#: Widths (CSS pixels) at and below which rows are shown as cards.
NARROW_PX = 760
#: The French words of DataTables' controls.
LANGUAGE_FR = {
    "search": "Filtrer :",
    "searchPlaceholder": "un mot, un thème…",
    "info": "_TOTAL_ ligne(s)",
    "infoEmpty": "aucune ligne",
    "infoFiltered": "(sur _MAX_)",
    "zeroRecords": "Aucune ligne ne correspond au filtre.",
    "emptyTable": "Aucune ligne.",
    "orderClear": "Retirer le tri",
}


@dataclass(frozen=True)
class Cell:
    """A cell: the text shown, the value it sorts by, an optional second line and tooltip.

    ``order`` is a number (sorted as a number) or ``None`` (a missing value, sorted first
    ascending); text cells sort by their text unless ``order`` is given.
    """

    text: str
    order: float | None = None
    detail: str | None = None
    title: str | None = None


def _order(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise InputError(f"Cell.order must be a number or None, got {value!r}")
    return repr(float(value))


def _td(label: str, value: object) -> str:
    attrs = f' data-label="{html.escape(label)}"'
    if isinstance(value, Cell):
        attrs += f' data-order="{_order(value.order)}"'
        if value.title:
            attrs += f' title="{html.escape(value.title)}"'
        body = html.escape(value.text)
        if value.detail:
            body += f'<br><span class="impact-detail">{html.escape(value.detail)}</span>'
        # One child: on a narrow screen the cell is a grid (its label, then its value).
        return f"<td{attrs}><div>{body}</div></td>"
    if isinstance(value, numbers.Number) or value is None:
        raise InputError(f"column {label!r}: give numbers as Cell(text, order), got {value!r}")
    return f"<td{attrs}>{html.escape(str(value))}</td>"


def _css(table_id: str) -> str:
    t = f"#{table_id}"
    return f"""<style>
{t} {{ width: 100%; table-layout: auto; font-size: 0.86em; }}
{t} th, {t} td {{ white-space: normal; overflow-wrap: break-word; vertical-align: top; }}
{t} .impact-detail {{ font-size: 0.85em; color: #555; }}
{t}_wrapper .dt-search input {{ max-width: 12em; }}
@media (max-width: {NARROW_PX}px) {{
  {t}, {t} tbody, {t} tr, {t} td {{ display: block; width: 100% !important; }}
  {t} thead tr {{ display: flex; flex-wrap: wrap; gap: 0.3em; }}
  {t} thead th {{ display: block; border: 1px solid #bbb !important; border-radius: 1em;
    padding: 0.1em 1.6em 0.1em 0.6em !important; font-size: 0.85em; width: auto !important; }}
  {t} tbody tr {{ border-top: 2px solid #888; padding: 0.4em 0; }}
  {t} tbody td {{ display: grid; grid-template-columns: 40% 60%; text-align: left !important;
    border: none !important; padding: 0.1em 0.2em !important; }}
  {t} tbody td::before {{ content: attr(data-label); font-weight: 600; padding-right: 0.5em; }}
}}
</style>"""


def sortable_table(
    frame: pd.DataFrame,
    name: str,
    *,
    caption: str | None = None,
    assets: str = ASSETS,
    options: Mapping[str, object] | None = None,
) -> HTML:
    """A table sorted and filtered in the browser by the vendored DataTables.

    Parameters
    ----------
    frame : DataFrame
        One row per line, one column per column (its index is not shown); a cell is text or
        a :class:`Cell` (a number is refused: give its French text and its sort value).
    name : str
        The table's id is ``T_<name>``; unique within a page.
    caption : str, optional
        Shown under the table.
    assets : str
        The folder of ``dt_bundle.js`` and ``dt_bundle.css``, relative to the page.
    options : mapping, optional
        DataTables options added to the defaults (no paging, French words, no initial sort).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    table_id = f"T_{name}"
    labels = [str(column) for column in frame.columns]
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body = "\n".join(
        "<tr>"
        + "".join(_td(label, value) for label, value in zip(labels, row, strict=True))
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    tail = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    settings = {"paging": False, "order": [], "autoWidth": False, "language": LANGUAGE_FR}
    settings.update(options or {})
    module = assets if assets.startswith((".", "/")) else f"./{assets}"
    arguments = json.dumps(settings, ensure_ascii=False, sort_keys=True)
    return HTML(
        f'<link rel="stylesheet" href="{html.escape(assets)}/dt_bundle.css">\n'
        f"{_css(table_id)}\n"
        f'<table id="{table_id}" class="display compact impact-sortable">{tail}\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n"
        f'<script type="module">\nimport DataTable from "{module}/dt_bundle.js";\n'
        f'new DataTable("#{table_id}", {arguments});\n'
        "</script>"
    )
