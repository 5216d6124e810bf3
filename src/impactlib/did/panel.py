"""Checks shared by the difference-in-differences estimators: one row per unit and period,
cohorts constant within units, clusters, whole-number periods."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    drop_missing,
    plain,
    require_column_name,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
    require_spread,
    require_unique_unit_period,
)

AGGREGATIONS = ("simple", "group", "dynamic", "calendar")


CONTROL_GROUPS = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}


ESTIMATORS = {"dr": "doubly robust", "ipw": "inverse probability weighting", "reg": "regression"}


VCOVS = ("analytical", "bootstrap")


# --- shared checks -------------------------------------------------------------------------


def _require_constant_within(
    data: pd.DataFrame, column: str, by: str, *, role: str, hint: str = ""
) -> None:
    """Refuse a column that takes more than one value within a level of ``by``."""
    counts = data.groupby(by, sort=True)[column].nunique()
    varying = counts[counts > 1]
    if len(varying):
        level = plain(varying.index[0])
        values = sorted(pd.unique(data.loc[data[by] == level, column]).tolist())[:4]
        raise InputError(
            f"{role} column {column!r} changes within {by!r} = {level!r} (values {values}); "
            f"it must be constant there ({len(varying)} such level(s)){hint}"
        )


def _require_cluster(
    data: pd.DataFrame,
    cluster: str,
    treated: np.ndarray | None = None,
    *,
    treatment: str = "",
    groups: tuple[str, ...] = ("treated", "control"),
) -> int:
    """The number of clusters, refusing one, or fewer than two in one of ``groups`` when
    ``treated`` (a 0/1 array of the rows) is given: with a single treated (or control)
    cluster the cluster-robust variance rests on that cluster alone and over-rejects."""
    n_clusters = int(data[cluster].nunique())
    if n_clusters < 2:
        raise InputError(f"cluster column {cluster!r} has a single cluster")
    if treated is not None:
        for label, rows in (("treated", treated == 1), ("control", treated == 0)):
            if label not in groups:
                continue
            count = int(data.loc[rows, cluster].nunique())
            if count < 2:
                raise InputError(
                    f"treatment column {treatment!r}: the {label} group spans {count} cluster(s) "
                    f"of column {cluster!r}; cluster-robust errors need at least 2 in each group "
                    "(one treated unit: impactlib.synth.synthetic_control)"
                )
    return n_clusters


def _prepare_panel(
    data: object,
    outcome: str,
    unit: str,
    time: str,
    *,
    roles: dict[str, str],
    cluster: str | None = None,
    covariates: Sequence[str] = (),
    alpha: float,
) -> tuple[pd.DataFrame, int, str]:
    """Common checks; return the complete rows, how many were dropped, and the cluster.

    ``roles`` maps the role of each other column (``"treatment"``, ``"cohort"``...) to its
    name, for the messages; the cluster defaults to ``unit``.
    """
    frame = require_dataframe(data)
    require_probability(alpha, name="alpha")
    _require_names(outcome=outcome, unit=unit, time=time, cluster=cluster, **roles)
    for name in covariates:
        require_column_name(name, role="covariates")
    require_columns(frame, [outcome], role="outcome")
    require_columns(frame, [unit], role="unit")
    require_columns(frame, [time], role="time")
    for role, column in roles.items():
        require_columns(frame, [column], role=role)
    require_columns(frame, covariates, role="covariate")
    if cluster is not None:
        require_columns(frame, [cluster], role="cluster")
    named = [outcome, unit, time, *roles.values(), *covariates]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise InputError(f"column(s) {repeated} given for more than one role")
    require_unique_unit_period(frame, unit, time)
    if "cohort" in roles:
        _refuse_missing_cohort(frame, roles["cohort"])
    cluster = unit if cluster is None else cluster
    used = list(dict.fromkeys([*named, cluster]))
    kept, n_dropped = drop_missing(frame, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    require_spread(kept[outcome], name=outcome, where=" in the rows used")
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, list(covariates), role="covariate")
    for name in covariates:
        require_spread(kept[name], name=name, role="covariate")
    _require_independent(kept, list(covariates))
    return kept, n_dropped, cluster


def _require_independent(data: pd.DataFrame, covariates: list[str]) -> None:
    """Refuse covariates that are linearly dependent (with the intercept), judged by the
    numerical rank of the columns centred and scaled to unit norm, naming the first one
    that adds nothing to those before it."""
    if len(covariates) < 2:
        return
    columns = data[covariates].to_numpy(dtype=float)
    columns = columns - columns.mean(axis=0)
    columns = columns / np.linalg.norm(columns, axis=0)
    for k in range(2, len(covariates) + 1):
        if np.linalg.matrix_rank(columns[:, :k]) < k:
            raise InputError(
                f"covariate column {covariates[k - 1]!r} is a linear combination of the "
                f"covariates before it ({covariates[: k - 1]}) and the intercept: drop it"
            )


def _require_names(**columns: object) -> None:
    """Each role names one column (``None`` for an unused cluster), not a list or a number."""
    for role, column in columns.items():
        if column is not None or role != "cluster":
            require_column_name(column, role=role)


def _refuse_missing_cohort(data: pd.DataFrame, cohort: str) -> None:
    """A missing cohort is ambiguous (never treated? unknown?): refuse it, never drop it."""
    n_missing = int(data[cohort].isna().sum())
    if n_missing:
        raise InputError(
            f"cohort column {cohort!r} has {n_missing} missing value(s): code never-treated "
            "units as 0 (the first treated period otherwise)"
        )


def _check_cohorts(data: pd.DataFrame, *, cohort: str, unit: str, time: str) -> None:
    """Validate the cohort column: numeric, >= 0, constant within units."""
    require_numeric(data, cohort, role="cohort")
    require_numeric(data, time, role="time")
    require_finite(data, [cohort, time], role="cohort or time")
    negative = data[cohort] < 0
    if negative.any():
        raise InputError(
            f"cohort column {cohort!r} has {int(negative.sum())} negative value(s): it holds "
            "the first treated period, or 0 for never-treated units"
        )
    _require_constant_within(
        data, cohort, unit, role="cohort", hint=": a unit is first treated once"
    )


def _power_of_two_scale(magnitude: float) -> float:
    """1 for a magnitude in [2^-10, 2^20], else the power of two nearest to it."""
    if magnitude == 0 or 2.0**-10 <= magnitude <= 2.0**20:
        return 1.0
    return 2.0 ** round(np.log2(magnitude))


def _require_whole(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        values = data[column].to_numpy(dtype=float)
        if not np.all(values == np.round(values)):
            raise InputError(
                f"column {column!r} must hold whole numbers (periods) for relative periods"
            )
