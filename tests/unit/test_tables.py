"""The one table layer of the book (:func:`impactlib.report.french_table`, Great Tables)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from impactlib.core import Estimate, InputError
from impactlib.report import estimates_table, fmt_pvalue, french_table
from impactlib.report.tables import french_cell

NNBSP = "\u202f"


class _Cells(HTMLParser):
    """The text of each cell (th or td) of the table, row by row, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._cell is not None and not self._in_style:
            self._cell.append(data)


def _cells(html: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(html)
    return parser.rows


def test_a_pvalue_below_the_threshold_is_escaped_not_written_raw():
    est = Estimate(
        value=2.0,
        std_error=0.5,
        ci_low=1.0,
        ci_high=3.0,
        p_value=1e-6,
        n=400,
        method="t",
        outcome="y",
    )
    html = french_table(estimates_table({"Principale": est}), "estimates").data
    assert f"&lt;{NNBSP}0,001" in html
    assert f"<{NNBSP}0,001" not in html  # the old Styler wrote it raw: a broken tag
    assert _cells(html)[1][4] == fmt_pvalue(1e-6)  # read back as the reader sees it
    assert "<script" not in french_table(pd.DataFrame({"a": ["<script>x</script>"]}), "s").data


def test_numbers_are_french_with_the_index_as_row_labels():
    frame = pd.DataFrame(
        {"Effet": [1794.3424, -0.5], "Observations": [1200, 3], "Note": ["a", None]},
        index=pd.Index(["NSW", "JOBS II"], name="Étude"),
    )
    rows = _cells(french_table(frame, "demo", precision=1).data)
    assert rows[0] == ["Étude", "Effet", "Observations", "Note"]
    assert rows[1] == ["NSW", f"1{NNBSP}794,3", "1200", "a"]
    assert rows[2] == ["JOBS II", "\u22120,5", "3", "\u2014"]


def test_the_default_index_is_not_shown_and_column_levels_are_flattened():
    frame = pd.DataFrame(np.arange(4.0).reshape(2, 2))
    frame.columns = pd.MultiIndex.from_tuples([("Effet", "valeur"), ("Effet", "IC")])
    rows = _cells(french_table(frame, "flat").data)
    assert rows[0] == ["Effet \u2013 valeur", "Effet \u2013 IC"]
    assert rows[1] == ["0,00", "1,00"]


def test_the_html_is_stable_has_the_named_id_and_styles_this_table_only():
    frame = pd.DataFrame({"x": [1.5]}, index=pd.Index(["a"], name="k"))
    first, second = french_table(frame, "stable").data, french_table(frame, "stable").data
    assert first == second  # no random id: an executed notebook diffs only when numbers do
    assert 'id="T_stable"' in first
    css = re.search(r"<style>(.*?)</style>", first, re.S).group(1)
    for rule in re.findall(r"(?:^|})\s*([^{}]+)\{", css):
        for selector in rule.split(","):
            assert selector.strip().startswith("#T_stable"), selector  # nothing page-wide


def test_cells_and_refusals():
    assert french_cell(2.0, 0) == "2"
    assert french_cell(np.int64(-4)) == "\u22124"
    assert french_cell(float("inf")) == "inf"
    assert french_cell(np.nan) == "\u2014"
    with pytest.raises(InputError, match="frame must be a pandas DataFrame, got list"):
        french_table([1, 2], "x")
    same = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", ""), ("a", "")]))
    with pytest.raises(InputError, match="column names repeat once flattened"):
        french_table(same, "x")
