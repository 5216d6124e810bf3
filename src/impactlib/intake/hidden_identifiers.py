"""Direct identifiers the content scan of :mod:`impactlib.intake.identifiers` does not see.

- **A NIR in a float column.** An identifier column with one blank cell is read as floats
  (``185057800608123.0``, or ``1.85057800608e+14`` once a spreadsheet has rounded it): a
  whole number of 13 or 15 digits whose first 13 have the NIR's shape (sex 1 or 2, year,
  month 01-12 or 20-99, then 8 digits) is refused. Its key is not checked: a float may have
  lost the last digits, and a column of such numbers is an identifier either way. Text
  cells written in that scientific notation are read the same way.
- **An identifier as a column label.** The labels themselves are scanned with
  :func:`~impactlib.intake.identifiers.find_identifier` (an e-mail address used as a column
  name, as a pivoted table may produce). The message gives the column's position and the
  label's shape, never the label.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

import numpy as np
import pandas as pd

from impactlib.core.validation import plain
from impactlib.intake.identifiers import Finding, find_identifier

_NIR_DIGITS = re.compile(r"[12]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)\d{8}(?:\d{2})?")
_SCIENTIFIC = re.compile(r"\s*[12]\.\d{1,14}[eE]\+?1[24]\s*")
_EXACT = 2.0**53  # floats beyond it are not whole numbers one by one


def _whole_digits(values: np.ndarray) -> np.ndarray:
    """The decimal digits of the finite whole numbers below 2**53 (others give '')."""
    ok = np.isfinite(values) & (np.abs(values) < _EXACT)
    ok[ok] = values[ok] == np.round(values[ok])
    return np.array([str(int(v)) if good else "" for v, good in zip(values, ok, strict=True)])


def _nir_rows(series: pd.Series) -> list[Hashable]:
    """Index labels of the cells holding a NIR-shaped number (float or scientific text)."""
    if pd.api.types.is_float_dtype(series):
        present = series.dropna()
        digits = _whole_digits(present.to_numpy(dtype=float))
    elif pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
        present = series.dropna()
        scientific = present.map(lambda v: isinstance(v, str) and bool(_SCIENTIFIC.fullmatch(v)))
        present = present[scientific.astype(bool)]
        digits = _whole_digits(present.astype(float).to_numpy())
    else:
        return []
    hits = [bool(_NIR_DIGITS.fullmatch(d)) for d in digits]
    return [plain(label) for label, hit in zip(present.index, hits, strict=True) if hit]


def find_hidden_identifiers(frame: pd.DataFrame) -> list[Finding]:
    """NIRs hidden in float columns (or scientific notation), identifiers used as labels."""
    findings: list[Finding] = []
    for position, column in enumerate(frame.columns):
        found = find_identifier(str(column))
        if found:
            findings.append(
                Finding(
                    "direct identifier (column label)",
                    None,
                    None,
                    f"the label of column {position} (0-based) looks like "
                    f"{'an' if found[0][0] in 'aeiou' else 'a'} {found[0]} "
                    f"(shape {found[1]!r}; label not shown): rename the column",
                )
            )
    for position, column in enumerate(frame.columns):
        if any(f.detail.startswith(f"the label of column {position} ") for f in findings):
            continue
        rows = _nir_rows(frame.iloc[:, position])
        if rows:
            findings.append(
                Finding(
                    "direct identifier (content)",
                    str(column),
                    rows[0],
                    f"column {str(column)!r} holds numbers shaped like a social security "
                    f"number (NIR) at row {rows[0]!r} ({len(rows)} row(s) in all; value not "
                    "shown): a float column of identifiers, perhaps with a blank cell",
                )
            )
    return findings
