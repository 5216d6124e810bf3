"""What the synthetic estimators share: the checks of a balanced long panel, the timing of
treatment read from a 0/1 ``treatment`` column (the treated units, the first treated
period) and the base of their results."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.result import Result
from impactlib.core.validation import (
    InputError,
    plain,
    require_binary,
    require_column_name,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_spread,
    require_unique_unit_period,
)

#: Fewest donor units (units never treated) the synthetic estimators accept. With two
#: donors each placebo still has one donor to copy, so inference is defined.
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
        require_column_name(column, role=role)
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
    if pd.api.types.is_numeric_dtype(data[time]):
        require_finite(data, [time], role="time")
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
    require_spread(data[outcome], name=outcome)
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


def _post_periods(periods: pd.Index, start: object, time: str, *, treatment: str) -> np.ndarray:
    """Boolean mask of the periods at or after ``start``, refusing too short a pre-period."""
    post = np.asarray(periods >= start, dtype=bool)
    n_pre = int((~post).sum())
    if n_pre < MIN_PRE_PERIODS:
        raise InputError(
            f"treatment column {treatment!r} switches on in period {plain(start)!r}, which "
            f"leaves {n_pre} pre-treatment period(s); at least {MIN_PRE_PERIODS} are needed to "
            f"fit the synthetic unit (observed periods of {time!r} run from "
            f"{plain(periods[0])!r} to {plain(periods[-1])!r})"
        )
    return post


# --- the timing of treatment ----------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    """The checked panel of a synthetic estimator, wide, and its treated block."""

    wide: pd.DataFrame  # one row per unit, one column per period
    treated: list[Hashable]  # treated units, in the panel's order
    start: object  # first treated period, a label of the time column
    post: np.ndarray  # periods at or after ``start``
    controls: list[Hashable]  # units never treated (the donors)

    @property
    def n_pre(self) -> int:
        return int((~self.post).sum())


def _treatment_timing(
    data: pd.DataFrame,
    wide: pd.DataFrame,
    *,
    treatment: str,
    unit: str,
    time: str,
    estimator: str,
    single: bool,
) -> tuple[list[Hashable], object]:
    """Treated units and first treated period of a 0/1 column (D_it), with the refusals.

    The treatment must be absorbing (on for good once on) and switch on at one period
    shared by every treated unit; with ``single`` only one unit may be treated.
    """
    values = data[treatment]
    if values.notna().all() and pd.api.types.is_numeric_dtype(values) and (values == 0).all():
        raise InputError(
            f"treatment column {treatment!r} never varies (only 0): no unit of column {unit!r} "
            f"is treated (is the treated unit missing from the panel?); {estimator} needs one"
        )
    status = data.assign(**{treatment: require_binary(data, treatment)}).pivot(
        index=unit, columns=time, values=treatment
    )
    status = status.loc[wide.index, wide.columns].to_numpy(dtype=int)
    switched_off = np.flatnonzero((np.diff(status, axis=1) < 0).any(axis=1))
    if switched_off.size:
        k = switched_off[0]
        off = int(np.flatnonzero(np.diff(status[k]) < 0)[0]) + 1
        raise InputError(
            f"treatment column {treatment!r} switches off for unit {plain(wide.index[k])!r} in "
            f"period {plain(wide.columns[off])!r} of {time!r} after being on "
            f"({switched_off.size} unit(s) so): {estimator} needs a treatment that stays on"
        )
    ever = status.any(axis=1)
    treated = list(wide.index[ever])
    if single and len(treated) > 1:
        raise InputError(
            f"treatment column {treatment!r} marks {len(treated)} treated units in column "
            f"{unit!r} ({_shown(treated)}): {estimator} handles one treated unit (synthetic_did "
            "takes several treated at the same period)"
        )
    firsts = status[ever].argmax(axis=1)
    if np.ptp(firsts) > 0:
        early, late = int(firsts.argmin()), int(firsts.argmax())
        raise InputError(
            f"treatment column {treatment!r} switches on at different periods of {time!r} "
            f"(unit {plain(treated[early])!r} in {plain(wide.columns[firsts[early]])!r}, unit "
            f"{plain(treated[late])!r} in {plain(wide.columns[firsts[late]])!r}): {estimator} "
            "needs one adoption period shared by all treated units (staggered adoption: "
            "impactlib.did.callaway_santanna)"
        )
    return treated, wide.columns[firsts[0]]


def _design(
    data: object,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    estimator: str,
    single: bool = False,
) -> _Design:
    """Check the panel and the treatment column of ``estimator``; the design, wide."""
    wide = _balanced_panel(data, outcome=outcome, unit=unit, time=time)
    require_column_name(treatment, role="treatment")
    require_columns(data, [treatment], role="treatment")
    for role, column in (("outcome", outcome), ("unit", unit), ("time", time)):
        if treatment == column:
            raise InputError(f"treatment {treatment!r} is also the {role} column")
    treated, start = _treatment_timing(
        data, wide, treatment=treatment, unit=unit, time=time, estimator=estimator, single=single
    )
    post = _post_periods(wide.columns, start, time, treatment=treatment)
    controls = [u for u in wide.index if u not in set(treated)]
    if len(controls) < MIN_DONORS:
        raise InputError(
            f"{estimator} needs at least {MIN_DONORS} control units (never treated in column "
            f"{treatment!r}) in column {unit!r}, got {len(controls)}"
        )
    return _Design(wide=wide, treated=treated, start=start, post=post, controls=controls)


# --- what both results share ----------------------------------------------------------------


class _SyntheticResult(Result):
    """What the results of both estimators share: the headline and the treatment period.

    A subclass is a dataclass with the fields ``_estimate`` (the headline), ``treated``
    (the treated path, indexed by period) and ``treatment_time``.
    """

    _estimate: Estimate
    treated: pd.Series
    treatment_time: object

    @property
    def estimate(self) -> Estimate:
        """The post-treatment average effect on the treated (the headline)."""
        return self._estimate

    @property
    def post(self) -> np.ndarray:
        """Boolean mask of the periods at or after :attr:`treatment_time`."""
        return np.asarray(self.treated.index >= self.treatment_time, dtype=bool)
