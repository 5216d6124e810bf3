"""Input checks shared by the estimators: each failure names the column and the problem."""

from __future__ import annotations

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
