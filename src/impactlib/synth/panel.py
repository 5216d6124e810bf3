"""Checks shared by the synthetic estimators: a balanced long panel, the treated unit and the
post-treatment periods."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    plain,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_unique_unit_period,
)

#: Fewest donor units (units other than the treated one) :func:`synthetic_control` accepts.
#: With two donors each placebo still has one donor to copy, so inference is defined.
MIN_DONORS = 2


#: Fewest pre-treatment periods: one period fits trivially and leaves no pre-period fit
#: to judge; synthdid-py also needs two to estimate its noise level.
MIN_PRE_PERIODS = 2


# --- panel checks -----------------------------------------------------------------------


def _label(value: object) -> str | int | float:
    """A unit or period label as a JSON-friendly scalar."""
    value = plain(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _shown(values: Sequence[object], limit: int = 5) -> str:
    items = [repr(plain(v)) for v in list(values)[:limit]]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(items) + more


def _balanced_panel(data: object, *, outcome: str, unit: str, time: str) -> pd.DataFrame:
    """Check the long panel and return it wide: one row per unit, one column per period."""
    data = require_dataframe(data)
    for role, column in (("outcome", outcome), ("unit", unit), ("time", time)):
        require_columns(data, [column], role=role)
    if len({outcome, unit, time}) < 3:
        raise InputError(
            f"outcome, unit and time must be three different columns, got {outcome!r}, "
            f"{unit!r}, {time!r}"
        )
    for role, column in (("unit", unit), ("time", time)):
        n_missing = int(data[column].isna().sum())
        if n_missing:
            raise InputError(f"{role} column {column!r} has {n_missing} missing value(s)")
    if not (
        pd.api.types.is_numeric_dtype(data[time])
        or pd.api.types.is_datetime64_any_dtype(data[time])
    ) or pd.api.types.is_bool_dtype(data[time]):
        raise InputError(
            f"time column {time!r} must be numeric (e.g. a year) or a date, "
            f"got dtype {data[time].dtype}"
        )
    require_numeric(data, outcome, role="outcome")
    missing = data[outcome].isna().to_numpy()
    if missing.any():
        first = data.loc[missing].iloc[0]
        raise InputError(
            f"outcome column {outcome!r} has {int(missing.sum())} missing value(s) (first: unit "
            f"{plain(first[unit])!r} in period {plain(first[time])!r}); these estimators need "
            "every unit observed in every period: drop or impute those units first"
        )
    require_finite(data, [outcome], role="outcome")

    require_unique_unit_period(data, unit, time)

    wide = data.pivot(index=unit, columns=time, values=outcome).sort_index().sort_index(axis=1)
    holes = wide.isna()
    if holes.to_numpy().any():
        incomplete = holes.index[holes.any(axis=1)]
        first = incomplete[0]
        lacking = list(holes.columns[holes.loc[first].to_numpy()])
        raise InputError(
            f"unbalanced panel: unit {plain(first)!r} has no row for period(s) "
            f"{_shown(lacking)} of column {time!r} ({len(incomplete)} unit(s) incomplete); "
            "these estimators need every unit observed in every period"
        )
    return wide.astype(float)


def _post_periods(periods: pd.Index, treatment_time: object, time: str) -> np.ndarray:
    """Boolean mask of the periods at or after ``treatment_time``, with the checks."""
    try:
        post = np.asarray(periods >= treatment_time, dtype=bool)
    except TypeError as exc:
        raise InputError(
            f"treatment_time {treatment_time!r} cannot be compared with the periods of "
            f"column {time!r} (dtype {periods.dtype})"
        ) from exc
    span = f"observed periods of {time!r} run from {plain(periods[0])!r} to {plain(periods[-1])!r}"
    n_pre, n_post = int((~post).sum()), int(post.sum())
    if n_pre == 0:
        raise InputError(
            f"treatment_time {treatment_time!r} leaves no pre-treatment period: {span}"
        )
    if n_post == 0:
        raise InputError(
            f"treatment_time {treatment_time!r} leaves no post-treatment period: {span}"
        )
    if n_pre < MIN_PRE_PERIODS:
        raise InputError(
            f"treatment_time {treatment_time!r} leaves {n_pre} pre-treatment period(s); at "
            f"least {MIN_PRE_PERIODS} are needed to fit the synthetic unit ({span})"
        )
    return post


def _require_unit(wide: pd.DataFrame, label: object, unit: str, *, name: str) -> None:
    try:
        found = label in wide.index
    except TypeError:
        found = False
    if not found:
        raise InputError(
            f"{name} {label!r} not found in unit column {unit!r} "
            f"({len(wide)} units: {_shown(list(wide.index))})"
        )


# --- synthetic difference-in-differences --------------------------------------------------


def _treated_from_column(
    data: pd.DataFrame, wide: pd.DataFrame, *, treatment: str, unit: str, time: str
) -> tuple[list[Hashable], object]:
    """Treated units and first treated period from a 0/1 column; simultaneous adoption only."""
    require_columns(data, [treatment], role="treatment")
    status = data.assign(**{treatment: require_binary(data, treatment)}).pivot(
        index=unit, columns=time, values=treatment
    )
    status = status.loc[wide.index, wide.columns].to_numpy(dtype=int)
    ever = status.any(axis=1)
    first = int(np.flatnonzero(status.any(axis=0))[0])
    expected = np.zeros_like(status)
    expected[ever, first:] = 1
    bad = np.flatnonzero((status != expected).any(axis=1))
    if bad.size:
        label = plain(wide.index[bad[0]])
        raise InputError(
            f"treatment column {treatment!r} does not describe one adoption date shared by all "
            f"treated units, absorbing afterwards (first offending unit: {label!r}; "
            f"{bad.size} unit(s)): synthetic_did handles simultaneous adoption only"
        )
    return list(wide.index[ever]), wide.columns[first]
