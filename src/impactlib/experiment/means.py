"""Difference in means: simple, covariate-adjusted (Lin 2013), stratified and clustered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_interval
from impactlib.core.validation import (
    InputError,
    as_list,
    drop_missing,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
)


def _stratum_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes 0..B-1 in sorted order of the labels (row-order invariant)."""
    codes, labels = pd.factorize(values, sort=True)
    return codes, list(labels)


def _cluster_codes(data: pd.DataFrame, cluster: str) -> tuple[np.ndarray, int]:
    """Integer codes of the clusters and their number; a single cluster is refused."""
    groups = pd.factorize(data[cluster])[0]
    n_clusters = int(groups.max() + 1)
    if n_clusters < 2:
        raise InputError(f"cluster column {cluster!r} has a single cluster")
    return groups, n_clusters


def _trial_design(treated: np.ndarray, groups: np.ndarray | None) -> str:
    """``"cluster_rct"`` when every cluster is in a single arm, else ``"rct"``.

    Clustered errors do not make a trial cluster-randomised: units randomised one by one
    and grouped by site, say, remain an individually randomised trial.
    """
    if groups is None:
        return "rct"
    arms_per_cluster = pd.Series(treated).groupby(groups).nunique()
    return "cluster_rct" if (arms_per_cluster == 1).all() else "rct"


def _check_strata_arms(
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


# --- difference in means ---------------------------------------------------------------


def difference_in_means(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    covariates: str | Sequence[str] | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Average treatment effect in a randomised experiment.

    Without covariates this is the difference of the group means with the Neyman
    (conservative) standard error, computed as OLS of the outcome on the treatment with
    HC2 errors, which equals it exactly. With ``covariates`` it is Lin's (2013) fully
    interacted regression adjustment: the outcome on the treatment, the covariates centred
    at their sample means and their interactions with the treatment, with HC2 errors; the
    treatment coefficient is then the ATE and is never less precise asymptotically than the
    unadjusted estimate. With ``cluster`` the errors are cluster-robust (statsmodels' CR1,
    Stata's small-sample correction) and inference uses ``G - 1`` degrees of freedom.
    Intervals and p-values use Student's t with the residual degrees of freedom, as R's
    ``estimatr::lm_robust`` does.

    With ``strata`` (a block-randomised design) the estimate is the stratum-size-weighted
    average of the within-stratum differences in means, ``sum_b (N_b / N) * tau_b``, with
    the Neyman variance ``sum_b (N_b / N)^2 * (s2_1b / n_1b + s2_0b / n_0b)`` (Imbens &
    Rubin 2015, ch. 9, "stratified randomized experiments"). It is computed as the Lin
    regression with the centred stratum indicators as the covariates (the treatment
    interacted with every stratum): the treatment coefficient and its HC2 variance equal
    those two formulas exactly, and the residual degrees of freedom are ``n - 2B``. Each
    stratum needs at least two treated and two control units. With ``covariates`` *and*
    ``strata`` both sets enter the same Lin regression (the stratum indicators are extra
    centred covariates, every one interacted with the treatment): the estimand is still the
    ATE, the covariate slopes are common to all strata within each arm, and the estimate is
    the block-weighted difference corrected for the covariates. With ``cluster`` and
    ``strata`` the clusters should be nested in the strata; the errors are CR1.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Binary (0/1 or boolean) treatment column.
    covariates : str or list of str, optional
        Pre-treatment covariates for the Lin adjustment.
    cluster : str, optional
        Column identifying the unit of randomisation when it is a group.
    strata : str, optional
        Column identifying the randomisation blocks (strata).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``value`` is the estimated ATE; ``n_dropped`` counts rows removed for missing values.
        With ``strata``, ``extra`` also holds ``strata`` and ``n_strata``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0], "t": [0, 0, 0, 1, 1, 1]})
    >>> est = difference_in_means(df, outcome="y", treatment="t")
    >>> round(est.value, 4), round(est.std_error, 4)
    (4.0, 1.291)
    >>> blocks = pd.DataFrame({"y": [1.0, 2.0, 4.0, 5.0, 10.0, 11.0, 15.0, 17.0],
    ...                        "t": [0, 0, 1, 1, 0, 0, 1, 1], "b": [1, 1, 1, 1, 2, 2, 2, 2]})
    >>> round(difference_in_means(blocks, "y", "t", strata="b").value, 4)  # (3 + 5.5) / 2
    4.25
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_probability(alpha, name="alpha")
    require_columns(data, [outcome], role="outcome")
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    if cluster is not None:
        require_columns(data, [cluster], role="cluster")
    if strata is not None:
        require_columns(data, [strata], role="strata")
    overlap = {outcome, treatment} & set(covariates)
    if overlap:
        raise InputError(f"covariate(s) {sorted(overlap)} also used as outcome or treatment")
    if strata is not None and strata in {outcome, treatment}:
        raise InputError(f"strata column {strata!r} is also used as outcome or treatment")

    used = [outcome, treatment, *covariates, *([cluster] if cluster else [])]
    used += [strata] if strata is not None else []
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, covariates, role="covariate")
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is no effect to estimate")
    t = require_binary(kept, treatment)
    n_treated, n_control = int(t.sum()), int(len(t) - t.sum())

    dummies = np.empty((len(t), 0))
    n_strata = None
    if strata is not None:
        codes, labels = _stratum_codes(kept[strata])
        n_strata = len(labels)
        _check_strata_arms(t, codes, labels, strata=strata, minimum=2)
        dummies = (codes[:, None] == np.arange(1, n_strata)[None, :]).astype(float)

    # Each arm fits its own regression in the Lin adjustment: with k covariates it needs
    # more than k + 1 units, or its residuals are all zero and HC2 ignores its variance.
    needed = len(covariates) + dummies.shape[1] + 2
    if min(n_treated, n_control) < needed:
        extra_terms = f" and {dummies.shape[1]} stratum indicator(s)" if strata else ""
        raise InputError(
            f"treatment column {treatment!r}: each group needs at least {needed} units "
            f"with {len(covariates)} covariate(s){extra_terms} "
            f"(treated {n_treated}, control {n_control})"
        )

    y = kept[outcome].to_numpy(dtype=float)
    columns = [np.ones_like(y), t.astype(float)]
    x = dummies
    if covariates:
        raw = kept[covariates].to_numpy(dtype=float)
        constant = [c for c, sd in zip(covariates, raw.std(axis=0), strict=True) if sd == 0]
        if constant:
            raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
        x = np.column_stack([raw, dummies])
    if x.shape[1]:
        centred = x - x.mean(axis=0)
        columns += [*centred.T, *(centred * t[:, None]).T]
    design = np.column_stack(columns)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        where = " and the strata" if strata else ""
        raise InputError(
            f"covariates {covariates}{where} are collinear (with each other or within a "
            "treatment arm): drop redundant ones"
        )

    model = sm.OLS(y, design)
    groups = None
    if cluster is None:
        fit = model.fit(cov_type="HC2", use_t=True)
        df = float(fit.df_resid)
        n_clusters = None
        variance = "HC2 (Neyman)" if not covariates else "HC2"
    else:
        groups, n_clusters = _cluster_codes(kept, cluster)
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df = float(n_clusters - 1)
        variance = "CR1 cluster-robust"

    value, se = float(fit.params[1]), float(fit.bse[1])
    ci_low, ci_high, p_value = wald_interval(value, se, alpha=alpha, df=df)
    if covariates:
        label = "Lin (2013) interacted regression adjustment"
        label += " with stratum indicators" if strata else ""
    elif strata:
        label = "Difference in means within strata (stratum-size weighted)"
    else:
        label = "Difference in means"
    method = f"{label}, {variance} standard errors"
    extra: dict[str, Any] = {"df": df, "covariates": covariates, "cluster": cluster}
    if strata is not None:
        extra.update(strata=strata, n_strata=n_strata)
    return Estimate(
        value=value,
        std_error=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n=len(y),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design=_trial_design(t, groups),
        estimand="ATE",
        n_treated=n_treated,
        n_control=n_control,
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        alpha=alpha,
        extra=extra,
    )
