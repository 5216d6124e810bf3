"""Input checks shared by the estimators: each failure names the column and the problem."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd


class InputError(ValueError):
    """Bad input to an impactlib function; the message names what is wrong."""


def require_dataframe(data: object, *, name: str = "data") -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise InputError(f"{name} has no rows")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[str], *, role: str = "column") -> None:
    """Raise :class:`InputError` naming every requested column that ``data`` lacks."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        available = ", ".join(repr(c) for c in data.columns[:20])
        raise InputError(f"{role} {listed} not found in data (columns: {available})")


def require_numeric(data: pd.DataFrame, column: str, *, role: str) -> None:
    if not (
        pd.api.types.is_numeric_dtype(data[column]) or pd.api.types.is_bool_dtype(data[column])
    ):
        raise InputError(
            f"{role} column {column!r} must be numeric, got dtype {data[column].dtype}"
        )


def require_binary(data: pd.DataFrame, column: str, *, role: str = "treatment") -> np.ndarray:
    """Return ``column`` as 0/1 integers, refusing anything else or a column that never varies."""
    values = data[column]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise InputError(f"{role} column {column!r} has {n_missing} missing value(s)")
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(int)
    require_numeric(data.assign(**{column: values}), column, role=role)
    distinct = set(pd.unique(values).tolist())  # Python scalars, for readable messages
    if not distinct <= {0, 1}:
        shown = ", ".join(repr(v) for v in sorted(distinct)[:5])
        raise InputError(f"{role} column {column!r} must be binary 0/1, found values {shown}")
    if len(distinct) < 2:
        raise InputError(
            f"{role} column {column!r} never varies (only {next(iter(distinct))!r}): "
            "both a treated and a control group are needed"
        )
    return values.to_numpy(dtype=int)


def require_finite(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    """Refuse infinite values, which ``dropna`` keeps and which would poison every mean."""
    for column in columns:
        n_infinite = int(np.isinf(data[column].to_numpy(dtype=float)).sum())
        if n_infinite:
            raise InputError(f"{role} column {column!r} has {n_infinite} infinite value(s)")


def require_probability(value: float, *, name: str, open_interval: bool = True) -> float:
    ok = 0.0 < value < 1.0 if open_interval else 0.0 <= value <= 1.0
    if not ok:
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise InputError(f"{name} must be in {bounds}, got {value!r}")
    return float(value)


def drop_missing(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Drop rows missing any of ``columns``; return the rows kept and how many were removed.

    The count goes into the result so that no row disappears silently.
    """
    kept = data.dropna(subset=list(columns))
    return kept, len(data) - len(kept)


def as_list(columns: str | Sequence[str] | None) -> list[str]:
    """One column name or several, as a list (``None`` gives an empty list)."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def plain(value: object) -> object:
    """A numpy scalar as the Python scalar, so that messages read ``7``, not ``np.int64(7)``."""
    return value.item() if isinstance(value, np.generic) else value


def is_real(value: object) -> bool:
    """A real number (Python or numpy), not a boolean."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def require_unique_unit_period(data: pd.DataFrame, unit: str, time: str) -> None:
    """Refuse a unit observed more than once in a period, naming the first such pair."""
    keyed = data.dropna(subset=[unit, time])
    repeated = keyed.duplicated(subset=[unit, time], keep=False)
    if repeated.any():
        position = int(np.flatnonzero(repeated.to_numpy())[0])
        u, t = plain(keyed[unit].iloc[position]), plain(keyed[time].iloc[position])
        times = int(((keyed[unit] == u) & (keyed[time] == t)).sum())
        n_pairs = int(keyed.loc[repeated].drop_duplicates(subset=[unit, time]).shape[0])
        raise InputError(
            f"unit {u!r} (column {unit!r}) is observed {times} times in period {t!r} "
            f"(column {time!r}); {n_pairs} unit-period pair(s) are repeated: a panel needs "
            "one row per unit and period"
        )
