"""The analysis sample of a trial as arrays: the assignment indicator, covariates, strata and
clusters, with the checks every estimator of the family shares (each failure names the
column)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    as_list,
    drop_missing,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
)


def complete_rows(
    data: object, columns: Mapping[str, str | Sequence[str] | None]
) -> tuple[pd.DataFrame, int]:
    """The rows of ``data`` with none of ``columns`` missing, and how many were dropped.

    ``columns`` maps each role to its column or columns (``{"outcome": "y", "covariate":
    ["age"], "cluster": None}``; None is skipped): a missing column is refused by its role,
    and so is a sample left empty.
    """
    data = require_dataframe(data)
    used: list[str] = []
    for role, names in columns.items():
        names = as_list(names)
        require_columns(data, names, role=role)
        used += names
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    return kept, n_dropped


def assignment_indicator(
    data: pd.DataFrame, *, treatment: str, treated_value: Any = 1
) -> pd.Series:
    """The arm of each row as 0/1 integers: 1 where ``treatment`` equals ``treated_value``.

    A partner's file often codes the arm as text (``"intervention"``/``"contrôle"``,
    ``"oui"``/``"non"``); the estimators take a 0/1 column. The column must hold exactly two
    distinct values, one of them ``treated_value``, and no missing value: an arm cannot be
    guessed, so a row without one is refused (with the number of such rows) rather than
    dropped. A 0/1 column with ``treated_value=1`` comes back unchanged. The result keeps
    ``data``'s index and the column's name.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["intervention", "contrôle", "intervention"]})
    >>> assignment_indicator(df, treatment="arm", treated_value="intervention").tolist()
    [1, 0, 1]
    """
    data = require_dataframe(data)
    require_columns(data, [treatment], role="treatment")
    values = data[treatment]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise InputError(
            f"treatment column {treatment!r} has {n_missing} row(s) with a missing value: "
            "the arm of every row must be known (remove or complete those rows)"
        )
    distinct = sorted(pd.unique(values).tolist(), key=str)  # Python scalars, for messages
    if len(distinct) != 2:
        shown = ", ".join(repr(v) for v in distinct[:10]) + (" ..." if len(distinct) > 10 else "")
        raise InputError(
            f"treatment column {treatment!r} must hold exactly two distinct values (the two "
            f"arms), found {len(distinct)}: {shown}"
        )
    if treated_value not in distinct:
        raise InputError(
            f"treated_value {treated_value!r} is not a value of treatment column "
            f"{treatment!r} (its values: {distinct[0]!r}, {distinct[1]!r})"
        )
    return (values == treated_value).astype("int64").rename(treatment)


def numeric_outcome(kept: pd.DataFrame, outcome: str) -> np.ndarray:
    """The outcome as floats, refusing a non-numeric or infinite one."""
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    return kept[outcome].to_numpy(dtype=float)


def stratum_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes 0..B-1 in sorted order of the labels (row-order invariant)."""
    codes, labels = pd.factorize(values, sort=True)
    return codes, list(labels)


def cluster_codes(
    data: pd.DataFrame, cluster: str, treated: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Integer codes of the clusters and their number; a single cluster is refused, and so,
    given the arm of each row (``treated``), is an arm found in fewer than two clusters: its
    cluster-robust variance would be zero up to rounding (a p-value of 1e-16)."""
    groups = pd.factorize(data[cluster])[0]
    n_clusters = int(groups.max() + 1)
    if n_clusters < 2:
        raise InputError(f"cluster column {cluster!r} has a single cluster")
    if treated is not None:
        arms = np.asarray(treated).astype(bool)
        for arm, label in ((arms, "treated"), (~arms, "control")):
            found = len(np.unique(groups[arm]))
            if found < 2:
                raise InputError(
                    f"cluster column {cluster!r}: the {label} arm is found in {found} "
                    "cluster(s); at least 2 per arm are needed for a cluster-robust standard error"
                )
    return groups, n_clusters


def trial_design(treated: np.ndarray, groups: np.ndarray | None) -> str:
    """``"cluster_rct"`` when every cluster is in a single arm, else ``"rct"``.

    Clustered errors do not make a trial cluster-randomised: units randomised one by one
    and grouped by site, say, remain an individually randomised trial.
    """
    if groups is None:
        return "rct"
    arms_per_cluster = pd.Series(treated).groupby(groups).nunique()
    return "cluster_rct" if (arms_per_cluster == 1).all() else "rct"


def check_strata_arms(
    t: np.ndarray,
    codes: np.ndarray,
    labels: list[Any],
    *,
    strata: str,
    minimum: int,
    unit: str = "unit",
) -> None:
    """Each stratum needs ``minimum`` treated and ``minimum`` control units."""
    treated = np.bincount(codes, weights=t, minlength=len(labels)).astype(int)
    total = np.bincount(codes, minlength=len(labels))
    control = total - treated
    short = [
        f"{labels[b]!r} ({treated[b]} treated, {control[b]} control)"
        for b in range(len(labels))
        if min(treated[b], control[b]) < minimum
    ]
    if short:
        shown = ", ".join(short[:5]) + (" ..." if len(short) > 5 else "")
        raise InputError(
            f"strata column {strata!r}: each stratum needs at least {minimum} treated and "
            f"{minimum} control {unit}(s); too few in {len(short)} stratum/strata: {shown}"
        )


def stratum_dummies(codes: np.ndarray, n_strata: int) -> np.ndarray:
    """Indicators of every stratum but the first (codes from :func:`stratum_codes`)."""
    return (codes[:, None] == np.arange(1, n_strata)[None, :]).astype(float)


def covariate_matrix(kept: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """The covariates as a float matrix, refusing non-numeric, infinite and constant ones."""
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, covariates, role="covariate")
    x = kept[list(covariates)].to_numpy(dtype=float)
    constant = [c for c, sd in zip(covariates, x.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
    return x
