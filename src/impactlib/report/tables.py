"""Tables of the book: one layer (Great Tables), HTML with French numbers and a stable id."""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping

import pandas as pd
from great_tables import GT
from IPython.display import HTML

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent, fmt_pvalue


def french_table(frame: pd.DataFrame, name: str, *, precision: int = 2) -> HTML:
    """Render a table as HTML with French numbers and a stable id: the one table layer.

    Every table of the book's reports, notes and guides goes through here. The HTML is
    Great Tables' (``great_tables.GT``, id ``T_<name>``, ``name`` unique within a page):
    cells are text, escaped (a p-value ``< 0,001`` is written ``&lt; 0,001``), and the same
    frame always gives the same bytes. Numbers are formatted the French way
    (:func:`french_cell`: a comma for decimals, ``precision`` decimals, a narrow no-break
    space between thousands, a true minus; integers such as counts and years unchanged),
    missing values as an em dash, and numeric columns are aligned right. A named index (or
    any index but the default ``0, 1, 2...``) gives the row labels, its name heading them;
    a column index on several levels is flattened (``"level 1 – level 2"``).
    """
    table = _french_cells(frame, precision)
    gt = GT(table, rowname_col=_STUB if _STUB in table.columns else None, id=f"T_{name}")
    if _STUB in table.columns:
        gt = gt.tab_stubhead(_stub_label(frame))
    numeric = [
        str(column)
        for column, dtype in zip(table.columns, _flat_dtypes(frame, table), strict=True)
        if column != _STUB and dtype
    ]
    if numeric:
        gt = gt.cols_align("right", columns=numeric)
    gt = gt.tab_options(table_font_size="90%", table_font_names=_BOOK_FONT)
    return HTML(_scoped_css(gt.as_raw_html(), f"T_{name}"))


#: The column that holds the row labels (the frame's index) in the rendered table.
_STUB = "\u2063index"  # an invisible separator: no frame uses it as a column name
#: Inherit the book's font rather than Great Tables' own list.
_BOOK_FONT = ["inherit"]


def french_cell(value: object, precision: int = 2) -> str:
    """One cell as the book prints it: French numbers, integers unchanged, ``—`` if missing.

    Examples
    --------
    >>> french_cell(1794.342), french_cell(-3), french_cell(None), french_cell("< 0,001")
    ('1\u202f794,34', '\u22123', '\u2014', '< 0,001')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "\u2014"
    if isinstance(value, bool | numbers.Integral):
        return str(value).replace("-", "\u2212")
    if isinstance(value, numbers.Real):
        if math.isfinite(value):
            return fmt_number(float(value), precision)
        return "\u2014" if math.isnan(value) else str(value).replace("-", "\u2212")
    return str(value)


def _flat_name(column: object) -> str:
    if isinstance(column, tuple):
        return " \u2013 ".join(str(part) for part in column if str(part))
    return str(column)


def _stub_label(frame: pd.DataFrame) -> str:
    names = [str(n) for n in frame.index.names if n is not None]
    return " \u2013 ".join(names)


def _has_stub(frame: pd.DataFrame) -> bool:
    default = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    return not default


def _french_cells(frame: pd.DataFrame, precision: int) -> pd.DataFrame:
    """The frame as text cells, its index as the first column (:data:`_STUB`) if shown."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    names = [_flat_name(column) for column in frame.columns]
    if len(set(names)) != len(names):
        raise InputError(f"the table's column names repeat once flattened: {names}")
    cells = {
        name: [french_cell(v, precision) for v in frame.iloc[:, i]] for i, name in enumerate(names)
    }
    table = pd.DataFrame(cells, columns=names)
    if _has_stub(frame):
        labels = [
            " \u2013 ".join(map(french_cell, key)) if isinstance(key, tuple) else french_cell(key)
            for key in frame.index
        ]
        table.insert(0, _STUB, labels)
    return table


def _flat_dtypes(frame: pd.DataFrame, table: pd.DataFrame) -> list[bool]:
    """For each column of ``table``: whether the frame held numbers there."""
    numeric = [pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes]
    return ([False] if _STUB in table.columns else []) + numeric


def _scoped_css(html_text: str, table_id: str) -> str:
    """Great Tables' CSS with its page-wide rules confined to the table.

    Great Tables 1.1 writes two rules without the table's id (``thead, tbody, tfoot, tr,
    td, th`` lose their borders, ``tr`` its background): on a book page they would restyle
    every other table. They are rewritten to apply to this table only.
    """
    scope = f"#{table_id}"
    loose = f"{scope} thead, tbody, tfoot, tr, td, th {{"
    scoped = ", ".join(f"{scope} {tag}" for tag in ("thead", "tbody", "tfoot", "tr", "td", "th"))
    html_text = html_text.replace(loose, scoped + " {").replace(
        "\n tr { background-color", f"\n {scope} tr {{ background-color"
    )
    return html_text


def estimates_table(estimates: Mapping[str, Estimate], *, decimals: int = 2) -> pd.DataFrame:
    """Estimates side by side, formatted the French way, one row per label.

    Columns: effect, standard error, interval (at each estimate's level), p-value and
    observations; show it with :func:`french_table`.

    Examples
    --------
    >>> est = Estimate(value=2.0, std_error=0.5, ci_low=1.0, ci_high=3.0, p_value=0.0001,
    ...                n=400, method="difference in means", outcome="y")
    >>> estimates_table({"Principale": est}, decimals=1).loc["Principale", "Effet"]
    '2,0'
    """
    rows = []
    for label, est in estimates.items():
        if not isinstance(est, Estimate):
            raise InputError(f"estimate {label!r} is {type(est).__name__}, not an Estimate")
        rows.append(
            {
                "Estimation": label,
                "Effet": fmt_number(est.value, decimals),
                "Erreur type": fmt_number(est.std_error, decimals),
                f"Intervalle à {fmt_percent(est.level)}": fmt_interval(
                    est.ci_low, est.ci_high, decimals
                ),
                "p": fmt_pvalue(est.p_value),
                "Observations": fmt_number(est.n),
            }
        )
    return pd.DataFrame(rows).set_index("Estimation")


def admonition(title: str, body: str, *, kind: str = "warning") -> HTML:
    """A boxed note of the book's theme (``warning``, ``note``, ``important``...).

    ``body`` is HTML; the box is shown as the output of a cell, e.g. a page on simulated
    data saying so above its key figures.
    """
    if kind not in {"note", "warning", "important", "tip", "caution"}:
        raise InputError(f"kind must be note, warning, important, tip or caution, got {kind!r}")
    return HTML(
        f'<div class="admonition {kind}"><p class="admonition-title">{html.escape(title)}</p>'
        f"<p>{body}</p></div>"
    )


def french_balance(
    balance: pd.DataFrame,
    *,
    treated: str,
    control: str,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A balance table (:func:`impactlib.experiment.balance_table`) with French headers.

    ``treated`` and ``control`` name the arms as the page does (``"bénéficiaires"``,
    ``"grappes témoins"``); ``labels`` renames the covariates (rows). Show the result with
    :func:`french_table`.

    Examples
    --------
    >>> balance = pd.DataFrame({"mean_treated": [1.0], "mean_control": [0.5],
    ...     "difference": [0.5], "smd": [0.2], "p_value": [0.3], "n_missing": [0]},
    ...     index=["age"])
    >>> list(french_balance(balance, treated="traités", control="témoins").columns)[:2]
    ['Moyenne, traités', 'Moyenne, témoins']
    """
    headers = {
        "mean_treated": f"Moyenne, {treated}",
        "mean_control": f"Moyenne, {control}",
        "difference": "Différence",
        "smd": "Différence standardisée",
        "p_value": "p (Welch)",
        "n_missing": "Manquants",
    }
    missing = [column for column in headers if column not in balance.columns]
    if missing:
        raise InputError(f"balance lacks the column(s) {missing} of a balance table")
    return balance[list(headers)].rename(columns=headers, index=dict(labels or {}))
