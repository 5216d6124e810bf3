"""Small counts: primary and secondary suppression so that margins cannot give a
suppressed cell back."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, as_list, plain, require_columns

DEFAULT_THRESHOLD = 11


class SuppressedCell(NamedTuple):
    """A suppressed cell: its row (index label), its column, and why ("primary"/"secondary")."""

    row: Hashable
    column: str
    kind: str


class Suppression(NamedTuple):
    """The table with small counts set to missing, and the cells suppressed (in order)."""

    table: pd.DataFrame
    cells: tuple[SuppressedCell, ...]

    @property
    def mask(self) -> pd.DataFrame:
        """Boolean frame of the table's shape: ``True`` where a cell was suppressed."""
        mask = pd.DataFrame(False, index=self.table.index, columns=self.table.columns)
        for cell in self.cells:
            mask.loc[cell.row, cell.column] = True
        return mask


def require_counts(frame: pd.DataFrame, columns: Sequence[str], *, allow_missing: bool) -> None:
    """Refuse count columns that are not whole numbers >= 0 (or missing, when allowed)."""
    require_columns(frame, columns, role="count column")
    for column in columns:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise InputError(f"count column {column!r} must be numeric, got {series.dtype}")
        present = series.dropna()
        if not allow_missing and len(present) < len(series):
            row = plain(series.index[series.isna().to_numpy()][0])
            raise InputError(
                f"count column {column!r} has a missing value at row {row!r}: suppress from "
                "the complete table"
            )
        values = present.to_numpy(dtype=float)
        bad = (values < 0) | (values != np.round(values)) | ~np.isfinite(values)
        if bad.any():
            row = plain(present.index[np.flatnonzero(bad)[0]])
            raise InputError(
                f"count column {column!r} must hold non-negative whole numbers; row {row!r} "
                "does not"
            )


def _check_margins(
    values: np.ndarray,
    rows: list[Hashable],
    columns: list[str],
    total_column: int | None,
    total_row: int | None,
) -> None:
    inner_r = [i for i in range(len(rows)) if i != total_row]
    inner_c = [j for j in range(len(columns)) if j != total_column]
    if total_column is not None:
        sums = values[:, inner_c].sum(axis=1)
        wrong = np.flatnonzero(~np.isclose(sums, values[:, total_column]))
        if wrong.size:
            raise InputError(
                f"row total column {columns[total_column]!r} is not the sum of the other count "
                f"columns at row {rows[wrong[0]]!r}"
            )
    if total_row is not None:
        sums = values[inner_r, :].sum(axis=0)
        wrong = np.flatnonzero(~np.isclose(sums, values[total_row, :]))
        if wrong.size:
            raise InputError(
                f"total row {rows[total_row]!r} is not the sum of the other rows in column "
                f"{columns[wrong[0]]!r}"
            )


def _lines(n_rows: int, n_cols: int, total_column: int | None, total_row: int | None):
    """The additive relations of the table: lists of (i, j) cells summing to a total cell.

    Each line includes its total, so that a line with exactly one unknown cell is one
    whose unknown can be recomputed by subtraction.
    """
    lines: list[list[tuple[int, int]]] = []
    if total_column is not None:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if total_row is not None:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return lines


def _secondary(
    values: np.ndarray,
    suppressed: np.ndarray,
    lines: list[list[tuple[int, int]]],
    margins: set[tuple[int, int]],
) -> list[tuple[int, int]]:
    added: list[tuple[int, int]] = []
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if suppressed[cell]]
            if len(hidden) != 1:
                continue
            open_cells = [cell for cell in line if not suppressed[cell]]
            # Smallest inner cell first (least information lost); a total only if no inner
            # cell is left; ties broken by position, so the result is deterministic.
            choice = min(open_cells, key=lambda c: (c in margins, values[c], c))
            suppressed[choice] = True
            added.append(choice)
            changed = True
    return added


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    count_columns: str | Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
    row_total: str | None = None,
    total_row: Hashable | None = None,
    keep_zeros: bool = False,
) -> Suppression:
    """Suppress counts below ``threshold`` and enough other cells that totals cannot restore them.

    **Primary suppression**: every cell of ``count_columns`` (totals included) below
    ``threshold`` becomes missing (zeros too, unless ``keep_zeros``).

    **Secondary suppression**: the table's totals are additive relations: each row's cells
    sum to its ``row_total`` column, each column's cells sum to its ``total_row``. A
    relation with exactly one missing cell gives that cell back by subtraction. So, until
    no relation has exactly one missing cell, the smallest visible cell of such a relation
    is suppressed as well (an inner cell before a total; ties broken by position). A cell
    suppressed to protect a row may leave a column with one missing cell, hence the loop;
    it ends because cells are only ever added.

    Limits: this guarantees that no suppressed cell is the difference between *one*
    printed total and printed cells. It does not guarantee a protection interval: combining
    several relations (linear programming on the whole table) can narrow, and in some
    patterns pin down, a suppressed value; nor does it protect against differencing with
    other published tables (a sub-total published elsewhere, a hierarchy of tables). The
    greedy choice is not the optimal (least loss) pattern, which is an integer programme:
    tau-Argus or R's sdcTable compute that. Without a declared total there is no relation,
    and only primary suppression happens.

    Parameters
    ----------
    table : DataFrame
        Rows are categories; ``count_columns`` hold counts (non-negative whole numbers, no
        missing value). Other columns (labels) are left alone.
    count_columns : str or sequence of str
        Columns of counts, including ``row_total`` if there is one.
    threshold : int, default 11
        Smallest count that may be shown.
    row_total : str, optional
        Count column that holds each row's total of the other count columns.
    total_row : hashable, optional
        Index label of the row that holds each column's total of the other rows.
    keep_zeros : bool, default False
        Show zero cells (structural zeros that disclose nothing in the table at hand).

    Returns
    -------
    Suppression
        ``(table, cells)``: the table with suppressed cells missing (count columns as
        pandas ``Int64``) and the cells suppressed, primary ones first; ``mask`` flags them.

    Raises
    ------
    InputError
        A count column missing, not numeric, with a negative, fractional or missing value;
        a declared total that is not the sum of its cells; a bad threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [3, 40, 43], "b": [20, 30, 50], "total": [23, 70, 93]},
    ...                  index=["x", "y", "total"])
    >>> table, cells = suppress_small_counts(t, count_columns=["a", "b", "total"],
    ...                                      row_total="total", total_row="total")
    >>> [(c.row, c.column, c.kind) for c in cells]
    [('x', 'a', 'primary'), ('x', 'b', 'secondary'), ('y', 'a', 'secondary'), \
('y', 'b', 'secondary')]
    >>> table.loc["total"].tolist()
    [43, 50, 93]
    """
    columns = as_list(count_columns)
    if not columns:
        raise InputError("count_columns is empty: name the columns that hold counts")
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise InputError(f"threshold must be a positive whole number, got {threshold!r}")
    require_counts(table, columns, allow_missing=False)
    if row_total is not None and row_total not in columns:
        raise InputError(f"row_total {row_total!r} must be one of count_columns")
    if table.index.has_duplicates:
        raise InputError("table index has duplicate labels: cells could not be named")
    rows = [plain(r) for r in table.index]
    if total_row is not None and total_row not in table.index:
        raise InputError(f"total_row {total_row!r} is not a row label of the table")
    values = table[columns].to_numpy(dtype=float)
    t_col = columns.index(row_total) if row_total is not None else None
    t_row = table.index.get_loc(total_row) if total_row is not None else None
    _check_margins(values, rows, columns, t_col, t_row)

    small = values < threshold
    if keep_zeros:
        small &= values != 0
    suppressed = small.copy()
    margins = {(i, j) for i in range(len(rows)) for j in range(len(columns))}
    margins = {(i, j) for i, j in margins if i == t_row or j == t_col}
    lines = _lines(len(rows), len(columns), t_col, t_row)
    added = _secondary(values, suppressed, lines, margins)

    primary = [(int(i), int(j)) for i, j in np.argwhere(small)]
    cells = [SuppressedCell(rows[i], columns[j], "primary") for i, j in primary]
    cells += [SuppressedCell(rows[i], columns[j], "secondary") for i, j in added]
    out = table.copy()
    for j, column in enumerate(columns):
        out[column] = pd.array(
            [pd.NA if suppressed[i, j] else int(values[i, j]) for i in range(len(rows))],
            dtype="Int64",
        )
    return Suppression(out, tuple(cells))


def recoverable_cells(
    table: pd.DataFrame,
    *,
    count_columns: str | Sequence[str],
    row_total: str | None = None,
    total_row: Hashable | None = None,
) -> list[tuple[Hashable, str]]:
    """Missing cells that one printed total gives back (the only unknown of its relation).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [pd.NA, 40], "b": [20, 30], "total": [23, 70]},
    ...                  index=["x", "y"]).astype("Int64")
    >>> recoverable_cells(t, count_columns=["a", "b", "total"], row_total="total")
    [('x', 'a')]
    """
    columns = as_list(count_columns)
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    require_counts(table, columns, allow_missing=True)
    if row_total is not None and row_total not in columns:
        raise InputError(f"row_total {row_total!r} must be one of count_columns")
    if total_row is not None and total_row not in table.index:
        raise InputError(f"total_row {total_row!r} is not a row label of the table")
    missing = table[columns].isna().to_numpy()
    rows = [plain(r) for r in table.index]
    t_col = columns.index(row_total) if row_total is not None else None
    t_row = table.index.get_loc(total_row) if total_row is not None else None
    found: list[tuple[Hashable, str]] = []
    for line in _lines(len(rows), len(columns), t_col, t_row):
        hidden = [cell for cell in line if missing[cell]]
        if len(hidden) == 1:
            i, j = hidden[0]
            if (rows[i], columns[j]) not in found:
                found.append((rows[i], columns[j]))
    return found
