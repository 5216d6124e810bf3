"""Tables of the book: HTML with French numbers and a stable id."""

from __future__ import annotations

import math
import numbers

import pandas as pd
from IPython.display import HTML

from impactlib.report.formats import fmt_number


def french_table(frame: pd.DataFrame, name: str, *, precision: int = 2) -> HTML:
    """Render a table as HTML with French numbers and a stable id (``name``).

    A pandas ``Styler`` would give the table a random id and a text representation holding
    a memory address, so every run of a report would differ; this HTML does not.
    ``name`` must be unique within a page.
    """

    def french(value: object) -> object:
        # Integers (counts, years) are left without separators; decimals are French.
        if isinstance(value, bool | numbers.Integral):
            return str(value).replace("-", "\u2212")
        if isinstance(value, numbers.Real) and math.isfinite(value):
            return fmt_number(float(value), precision)
        return value

    styler = frame.style.format(french)
    return HTML(styler.set_uuid(name).to_html())
