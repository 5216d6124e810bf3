"""French number formatting used for every glued number."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

from impactlib.core import Estimate, InputError
from impactlib.report import (
    admonition,
    estimates_table,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_pvalue,
    fmt_pvalue_phrase,
    fmt_year,
)
from impactlib.report.plots import estimates_plot

matplotlib.use("Agg")

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1794.3424, 2, f"1{NNBSP}794,34"),
        (-8497.516, 2, f"\u22128{NNBSP}497,52"),
        (0.0, 0, "0"),
        (-0.001, 2, "0,00"),  # rounds to zero: no minus sign on zero
        (1234567.0, 0, f"1{NNBSP}234{NNBSP}567"),
    ],
)
def test_fmt_number(value, decimals, expected):
    assert fmt_number(value, decimals) == expected


def test_other_formats():
    assert fmt_percent(0.394, 0) == f"39{NNBSP}%"
    assert fmt_interval(475.61, 3113.07, 0) == f"[476 ; 3{NNBSP}113]"
    assert fmt_pvalue(0.0004) == f"<{NNBSP}0,001"
    assert fmt_pvalue(0.0078) == "0,008"
    assert fmt_pvalue(None) == "n.d."


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError, match="nan"):
        fmt_number(float("nan"))


def test_pvalue_phrase_and_year():
    assert fmt_pvalue_phrase(0.1234) == "p = 0,123"
    assert fmt_pvalue_phrase(0.00001) == f"p <{NNBSP}0,001"
    assert fmt_pvalue_phrase(None) == "p = n.d."
    assert fmt_year(2004.0) == "2004"
    with pytest.raises(ValueError, match="as a year"):
        fmt_year(2004.5)


def _estimate(value, low, high, p=0.01):
    return Estimate(
        value=value, std_error=(high - low) / 3.92, ci_low=low, ci_high=high, p_value=p,
        n=400, method="test", outcome="y",
    )  # fmt: skip


def test_estimates_table_formats_each_estimate():
    table = estimates_table({"A": _estimate(2.0, 1.0, 3.0), "B": _estimate(-1.5, -2.0, -1.0)})
    assert list(table.index) == ["A", "B"]
    assert table.loc["B", "Effet"] == "\u22121,50"
    assert table.loc["A", f"Intervalle à 95{NNBSP}%"] == "[1,00 ; 3,00]"
    with pytest.raises(InputError, match="estimate 'C' is float, not an Estimate"):
        estimates_table({"C": 1.0})


def test_estimates_plot_draws_each_interval_transformed():
    estimates = {"A": _estimate(0.1, 0.0, 0.2), "B": _estimate(-0.1, -0.3, 0.1)}
    fig = estimates_plot(
        estimates,
        xlabel="x",
        transform=lambda x: 100 * np.expm1(x),
        colors={"B": "#e07a5f"},
    )
    (ax,) = fig.axes
    points = [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "o"]
    assert points == pytest.approx([100 * math.expm1(0.1), 100 * math.expm1(-0.1)])
    ticks = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    assert ticks == {1: "A", 0: "B"}  # the first label on top
    with pytest.raises(InputError, match=r"colors names labels that are not estimates: \['Z'\]"):
        estimates_plot(estimates, xlabel="x", colors={"Z": "red"})


def test_admonition_escapes_its_title_and_refuses_an_unknown_kind():
    box = admonition("Données <simulées>", "<strong>texte</strong>").data
    assert box.startswith('<div class="admonition warning">')
    assert "Données &lt;simulées&gt;" in box and "<strong>texte</strong>" in box
    with pytest.raises(InputError, match="kind must be note, warning"):
        admonition("t", "b", kind="danger")
