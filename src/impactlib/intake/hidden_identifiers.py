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

Both the disclosure check of a published table (``publish.disclosure``) and the import of
a partner's file (``intake.validation``, through :func:`nir_positions` and
:func:`identifier_labels`) run these scans. The float scan is vectorised: numpy keeps the
numbers in the two ranges a NIR can take (1e12 to 3e12, 1e14 to 3e14) before any is written
out in digits, and a regular expression run by pyarrow picks the text cells worth parsing.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from impactlib.core.validation import plain
from impactlib.intake.identifiers import Finding, find_identifier

_NIR_DIGITS = re.compile(r"[12]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)\d{8}(?:\d{2})?")
_SCIENTIFIC = re.compile(r"\s*[12]\.\d{1,14}[eE]\+?1[24]\s*")
_EXPONENT = r"[eE]\+?1[24]"  # a superset of _SCIENTIFIC that pyarrow's RE2 runs on the column
_RANGES = ((1e12, 3e12), (1e14, 3e14))  # 13 and 15 digits, the first one 1 or 2


def _nir_shaped(numbers: np.ndarray) -> np.ndarray:
    """Which numbers are whole, of 13 or 15 digits, and of the NIR's shape.

    A numpy pre-filter keeps those in the two ranges that hold such numbers (all below
    2**53, so whole one by one); only these are written in digits for the pattern.
    """
    shaped = np.zeros(len(numbers), dtype=bool)
    candidate = np.zeros(len(numbers), dtype=bool)
    for low, high in _RANGES:  # NaN and infinities fall outside
        candidate |= (numbers >= low) & (numbers < high)
    positions = np.flatnonzero(candidate)
    values = numbers[positions]
    positions = positions[values == np.floor(values)]
    shaped[positions] = [bool(_NIR_DIGITS.fullmatch(str(int(v)))) for v in numbers[positions]]
    return shaped


def nir_positions(series: pd.Series) -> np.ndarray:
    """Positions (0-based) of the cells holding a NIR-shaped whole number.

    Float columns are scanned, and text cells written in scientific notation
    (``1.85057800608e+14``); other columns give no position.
    """
    if pd.api.types.is_float_dtype(series):
        return np.flatnonzero(_nir_shaped(series.to_numpy(dtype=float, na_value=np.nan)))
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return np.zeros(0, dtype=int)
    text = series if isinstance(series.dtype, pd.StringDtype) else series.astype("string")
    candidates = np.flatnonzero(text.str.contains(_EXPONENT).fillna(False).to_numpy(dtype=bool))
    values = [series.iloc[p] for p in candidates]
    scientific = [isinstance(v, str) and bool(_SCIENTIFIC.fullmatch(v)) for v in values]
    candidates = candidates[np.array(scientific, dtype=bool)]
    numbers = np.array([float(series.iloc[p]) for p in candidates], dtype=float)
    return candidates[_nir_shaped(numbers)]


def identifier_labels(columns: Iterable[Hashable]) -> list[tuple[int, str, str]]:
    """The position (0-based), kind and shape of each column label that looks like a
    direct identifier (:func:`~impactlib.intake.identifiers.find_identifier`)."""
    found = ((position, find_identifier(str(label))) for position, label in enumerate(columns))
    return [(position, hit[0], hit[1]) for position, hit in found if hit]


def find_hidden_identifiers(frame: pd.DataFrame) -> list[Finding]:
    """NIRs hidden in float columns (or scientific notation), identifiers used as labels."""
    findings: list[Finding] = []
    for position, kind, shape in identifier_labels(frame.columns):
        findings.append(
            Finding(
                "direct identifier (column label)",
                None,
                None,
                f"the label of column {position} (0-based) looks like "
                f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} "
                f"(shape {shape!r}; label not shown): rename the column",
            )
        )
    for position, column in enumerate(frame.columns):
        if any(f.detail.startswith(f"the label of column {position} ") for f in findings):
            continue
        series = frame.iloc[:, position]
        rows = [plain(label) for label in series.index[nir_positions(series)]]
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
