"""The check every published table passes: direct identifiers, small counts, k-anonymity."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, as_list, plain, require_columns, require_flag
from impactlib.intake.hidden_identifiers import find_hidden_identifiers
from impactlib.intake.identifiers import (
    Finding,
    find_direct_identifiers,
    scanned_columns,
)
from impactlib.publish.disclosure.errors import DisclosureError
from impactlib.publish.disclosure.suppression import (
    DEFAULT_THRESHOLD,
    SuppressedCell,
    recoverable_cells,
    require_counts,
    suppress_small_counts,
)

DEFAULT_K = 5


@dataclass(frozen=True)
class DisclosureReport:
    """What :func:`check_table` checked and, in non-strict mode, what it suppressed.

    ``table`` is the table safe to publish (the input, or its suppressed copy).
    """

    name: str
    table: pd.DataFrame
    n_rows: int
    columns_scanned: tuple[str, ...]
    suppressed: tuple[SuppressedCell, ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    smallest_class: int | None = None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        lines = [
            f"table {self.name!r}: {self.n_rows} rows, {len(self.columns_scanned)} text "
            "column(s) scanned for direct identifiers: none found"
        ]
        if self.suppressed:
            lines.append(f"{len(self.suppressed)} small-count cell(s) suppressed")
        if self.quasi_identifiers:
            lines.append(
                f"{len(self.quasi_identifiers)} quasi-identifier(s), smallest class "
                f"{self.smallest_class}"
            )
        return "\n".join(lines + list(self.notes))


# --------------------------------------------------------------------------- k-anonymity


def smallest_class(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Size and values of the smallest equivalence class of the quasi-identifiers.

    Missing values form their own class. Returns the class's quasi-identifier values with
    its size under ``"size"``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": ["30-39"] * 6 + ["90+"], "sexe": ["F"] * 7})
    >>> smallest_class(frame, ["age", "sexe"]).to_dict()
    {'age': '90+', 'sexe': 'F', 'size': 1}
    """
    sizes = frame.groupby(list(quasi_identifiers), dropna=False, sort=True).size()
    sizes = sizes.rename("size").reset_index()
    return sizes.sort_values("size", kind="stable").iloc[0]


# --------------------------------------------------------------------------- the check


def check_table(
    frame: pd.DataFrame,
    *,
    name: str,
    quasi_identifiers: str | Sequence[str] = (),
    count_columns: str | Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    k: int = DEFAULT_K,
    strict: bool = True,
    row_total: str | None = None,
    total_row: Hashable | None = None,
    allow_names: Sequence[str] = (),
    keep_zeros: bool = False,
) -> DisclosureReport:
    """Refuse a table that would disclose a person; return what was checked.

    The checks, in order: direct identifiers (column names, then text content), small
    counts in ``count_columns``, then k-anonymity on ``quasi_identifiers``.

    Parameters
    ----------
    frame : DataFrame
        The table as it would be published.
    name : str
        Its name, used in every message.
    quasi_identifiers : str or sequence of str
        Columns that, combined, could single a person out in microdata (age band, sex,
        commune...); every combination must be shared by at least ``k`` rows.
    count_columns : str or sequence of str
        Columns of counts of people. Missing cells are taken as already suppressed.
    threshold : int, default 11
        Smallest count that may be shown.
    k : int, default 5
        Smallest equivalence class allowed.
    strict : bool, default True
        Refuse a count below ``threshold`` (naming the cell). With ``False``, suppress it
        (and the secondary cells, see :func:`suppress_small_counts`) and return the
        suppressed table in the report.
    row_total, total_row
        The table's totals (see :func:`suppress_small_counts`); in strict mode, a table
        whose missing cell one total gives back is refused.
    allow_names : sequence of str
        Columns whose name looks like an identifier but is not (their content is still
        scanned).
    keep_zeros : bool, default False
        Let zero counts through (see :func:`suppress_small_counts`).

    Returns
    -------
    DisclosureReport

    Raises
    ------
    DisclosureError
        Naming the table and the column, cell or classes found.

    Examples
    --------
    >>> import pandas as pd
    >>> clean = pd.DataFrame({"commune": ["A", "B"], "beneficiaires": [25, 40]})
    >>> check_table(clean, name="demo", count_columns="beneficiaires").n_rows
    2
    >>> leaky = clean.assign(contact=["écrire à m.dupont@example.org", ""])
    >>> try:
    ...     check_table(leaky, name="demo")
    ... except DisclosureError as error:
    ...     print(error)
    table 'demo': column 'contact' holds what looks like an e-mail address at row 0 \
(shape 'x.xxxxxx@xxxxxxx.xxx'; 1 row(s) in all; value not shown)
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"table {name!r} must be a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a positive whole number, got {k!r}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise InputError(f"threshold must be a positive whole number, got {threshold!r}")
    require_flag(strict, name="strict")
    require_flag(keep_zeros, name="keep_zeros")
    qis = as_list(quasi_identifiers)
    counts = as_list(count_columns)

    findings = find_direct_identifiers(frame, allow_names=allow_names)
    findings += find_hidden_identifiers(frame)
    if findings:
        listed = "\n  ".join(f.detail for f in findings)
        sep = "\n  " if len(findings) > 1 else ""
        raise DisclosureError(f"table {name!r}: {sep}{listed}", findings)

    table = frame
    suppressed: tuple[SuppressedCell, ...] = ()
    if counts:
        require_counts(frame, counts, allow_missing=True)
        values = frame[counts]
        small = (values < threshold).fillna(False).to_numpy(dtype=bool)
        if keep_zeros:
            small = small & ~(values == 0).fillna(False).to_numpy(dtype=bool)
        if strict and small.any():
            i, j = (int(x[0]) for x in np.nonzero(small))
            row, column = plain(frame.index[i]), counts[j]
            n_small = int(small.sum())
            raise DisclosureError(
                f"table {name!r}: cell (row {row!r}, column {column!r}) counts fewer than "
                f"{threshold} (small-count rule; {n_small} such cell(s)): suppress it with "
                "suppress_small_counts",
                [Finding("small count", column, row, f"count below {threshold}")],
            )
        if strict:
            back = recoverable_cells(
                frame, count_columns=counts, row_total=row_total, total_row=total_row
            )
            if back:
                row, column = back[0]
                raise DisclosureError(
                    f"table {name!r}: suppressed cell (row {row!r}, column {column!r}) is "
                    "given back by a total (secondary suppression missing)",
                    [Finding("secondary suppression", column, row, "recoverable")],
                )
        elif small.any():
            table, suppressed = suppress_small_counts(
                frame,
                count_columns=counts,
                threshold=threshold,
                row_total=row_total,
                total_row=total_row,
                keep_zeros=keep_zeros,
            )

    smallest = None
    if qis:
        require_columns(frame, qis, role="quasi-identifier")
        cls = smallest_class(frame, qis)
        smallest = int(cls["size"])
        if smallest < k:
            sizes = frame.groupby(qis, dropna=False).size()
            n_small = int((sizes < k).sum())
            values = ", ".join(f"{q}={plain(cls[q])!r}" for q in qis)
            raise DisclosureError(
                f"table {name!r}: not {k}-anonymous on quasi-identifiers "
                f"{', '.join(repr(q) for q in qis)}: the smallest class has {smallest} "
                f"row(s) ({values}); {n_small} class(es) have fewer than {k}",
                [Finding("k-anonymity", None, None, f"smallest class {smallest}")],
            )

    return DisclosureReport(
        name=name,
        table=table,
        n_rows=len(frame),
        columns_scanned=tuple(str(c) for c in scanned_columns(frame)),
        suppressed=tuple(suppressed),
        quasi_identifiers=tuple(qis),
        smallest_class=smallest,
    )
