"""French number formatting used for every glued number."""

from __future__ import annotations

import pytest

from impactlib.report import fmt_interval, fmt_number, fmt_percent, fmt_pvalue

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
