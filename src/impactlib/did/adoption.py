"""The timing of a staggered adoption: the treatment status it implies, its cohorts, and
the weights a two-way fixed effects regression gives each cohort and period."""

from __future__ import annotations

import pandas as pd

from impactlib.core.validation import (
    InputError,
    plain,
    require_column_name,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_unique_unit_period,
)
from impactlib.did.panel import _check_cohorts, _refuse_missing_cohort


def _cohort_panel(data: object, *, unit: str | None, time: str, cohort: str) -> pd.DataFrame:
    """Check the columns of a staggered adoption (no missing value is accepted)."""
    frame = require_dataframe(data)
    roles = {"unit": unit, "time": time, "cohort": cohort}
    for role, column in roles.items():
        if column is not None or role != "unit":
            require_column_name(column, role=role)
            require_columns(frame, [column], role=role)
    _refuse_missing_cohort(frame, cohort)
    require_numeric(frame, time, role="time")
    require_finite(frame, [time], role="time")
    if unit is None:
        require_numeric(frame, cohort, role="cohort")
        return frame
    if frame[unit].isna().any():
        raise InputError(f"unit column {unit!r} has missing values")
    require_unique_unit_period(frame, unit, time)
    _check_cohorts(frame, cohort=cohort, unit=unit, time=time)
    return frame


def treatment_status(data: pd.DataFrame, *, time: str, cohort: str) -> pd.Series:
    """The treatment status D_it of a staggered adoption: 1 from the unit's cohort on.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    time : str
        Numeric period column.
    cohort : str
        First treated period of the unit; 0 for never-treated units.

    Returns
    -------
    Series of int
        0/1, aligned with ``data`` (a cohort after the last period is never reached).

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2003, 2004, 2003, 2004], "g": [2004, 2004, 0, 0]})
    >>> treatment_status(df, time="year", cohort="g").tolist()
    [0, 1, 0, 0]
    """
    frame = _cohort_panel(data, unit=None, time=time, cohort=cohort)
    return ((frame[cohort] > 0) & (frame[time] >= frame[cohort])).astype(int)


def cohort_table(data: pd.DataFrame, *, unit: str, time: str, cohort: str) -> pd.DataFrame:
    """Units of each cohort and how many of the panel's periods find them treated.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    unit, time : str
        Unit identifier and numeric period columns.
    cohort : str
        First treated period of the unit, constant within unit; 0 for never-treated units.

    Returns
    -------
    DataFrame
        Indexed by ``cohort`` (increasing, 0 first): ``units`` and ``treated_periods``
        (periods of the panel from the cohort on; 0 for never-treated units).

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2], "year": [2003, 2004] * 2, "g": [2004] * 2 + [0] * 2})
    >>> cohort_table(df, unit="id", time="year", cohort="g").to_dict(orient="index")
    {0: {'units': 1, 'treated_periods': 0}, 2004: {'units': 1, 'treated_periods': 1}}
    """
    frame = _cohort_panel(data, unit=unit, time=time, cohort=cohort)
    sizes = frame.drop_duplicates(subset=[unit]).groupby(cohort).size()
    periods = frame[time].unique()
    treated = [int((periods >= g).sum()) if g > 0 else 0 for g in sizes.index]
    table = pd.DataFrame({"units": sizes.to_numpy(), "treated_periods": treated}, index=sizes.index)
    table.index.name = "cohort"
    return table


def twfe_weights(data: pd.DataFrame, *, unit: str, time: str, cohort: str) -> pd.DataFrame:
    """Weights of each treated cohort and period in the two-way fixed effects coefficient.

    The TWFE coefficient of a staggered adoption is a weighted sum of the treated cells'
    effects, with weights proportional to the residual of D_it on unit and time effects
    (de Chaisemartin & D'Haultfoeuille 2020, AER 110(9), theorem 1): the weights sum to 1,
    and can be negative for early cohorts observed long after their adoption. Beside them,
    the weights of Callaway & Sant'Anna's simple aggregation (cohort size, for every
    treated cell), which never are. The residual is the exact two-way within
    transformation, so the panel must be balanced.

    The parameters are those of :func:`cohort_table`; ``data`` is a balanced panel.

    Returns
    -------
    DataFrame
        Indexed by ``cohort`` and ``time`` (treated cells): ``relative_period``,
        ``twfe_weight``, ``simple_weight``.
    """
    frame = _cohort_panel(data, unit=unit, time=time, cohort=cohort)
    counts = frame.groupby(unit)[time].size()
    short = counts.index[counts.to_numpy() < frame[time].nunique()]
    if len(short):
        raise InputError(
            f"unit {plain(short[0])!r} (column {unit!r}) is missing periods: twfe_weights needs a "
            "balanced panel"
        )
    d = treatment_status(frame, time=time, cohort=cohort).astype(float)
    if not (d == 1).any():
        raise InputError(f"cohort column {cohort!r}: no unit is treated within the panel")
    residual = (
        d
        - d.groupby(frame[unit]).transform("mean")
        - d.groupby(frame[time]).transform("mean")
        + d.mean()
    )
    treated = d == 1
    cells = [frame.loc[treated, cohort].rename("cohort"), frame.loc[treated, time].rename("time")]
    weights = residual[treated].groupby(cells).sum()
    if abs(weights.sum()) <= 1e-12 * len(frame):
        raise InputError(
            f"cohort column {cohort!r}: the treatment status is absorbed by the unit and time "
            "effects (treated units are treated in every period, or all switch on at once "
            "with no untreated unit): the TWFE coefficient is not identified, nor its weights"
        )
    sizes = frame.drop_duplicates(subset=[unit]).groupby(cohort).size()
    size = weights.index.get_level_values("cohort").map(sizes).to_numpy(dtype=float)
    g, t = (weights.index.get_level_values(level) for level in ("cohort", "time"))
    return pd.DataFrame(
        {
            "relative_period": t - g,
            "twfe_weight": (weights / weights.sum()).to_numpy(),
            "simple_weight": size / size.sum(),
        },
        index=weights.index,
    )
