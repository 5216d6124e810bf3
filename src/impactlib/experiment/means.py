"""Difference in means: simple, covariate-adjusted (Lin 2013), stratified and clustered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import (
    InputError,
    as_list,
    has_full_rank,
    require_binary,
    require_distinct_columns,
    require_probability,
)
from impactlib.experiment.samples import (
    check_strata_arms,
    cluster_codes,
    complete_rows,
    covariate_matrix,
    numeric_outcome,
    stratum_codes,
    stratum_dummies,
    trial_design,
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
    covariates = as_list(covariates)
    kept, n_dropped, t, x = _analysis_sample(
        data, outcome, treatment, covariates=covariates, cluster=cluster, strata=strata, alpha=alpha
    )
    dummies, n_strata = _stratum_indicators(kept, t, strata)
    design = _lin_design(t, x, dummies, treatment=treatment, covariates=covariates, strata=strata)
    y = kept[outcome].to_numpy(dtype=float)
    value, se, df, groups, n_clusters, variance = _fit_effect(
        y, design, kept, cluster, neyman=not covariates
    )
    extra: dict[str, Any] = {"df": df, "covariates": covariates, "cluster": cluster}
    if strata is not None:
        extra.update(strata=strata, n_strata=n_strata)
    return wald_estimate(
        value,
        se,
        alpha=alpha,
        df=df,
        n=len(y),
        method=f"{_label(covariates, strata)}, {variance} standard errors",
        outcome=outcome,
        treatment=treatment,
        design=trial_design(t, groups),
        estimand="ATE",
        n_treated=int(t.sum()),
        n_control=int(len(t) - t.sum()),
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        extra=extra,
    )


def _analysis_sample(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    covariates: list[str],
    cluster: str | None,
    strata: str | None,
    alpha: float,
) -> tuple[pd.DataFrame, int, np.ndarray, np.ndarray]:
    """Check the arguments; return the complete rows, the number dropped, the 0/1 arm and
    the covariate matrix."""
    require_probability(alpha, name="alpha")
    require_distinct_columns(outcome=outcome, treatment=treatment)
    overlap = {outcome, treatment} & set(covariates)
    if overlap:
        raise InputError(f"covariate(s) {sorted(overlap)} also used as outcome or treatment")
    if strata is not None and strata in {outcome, treatment}:
        raise InputError(f"strata column {strata!r} is also used as outcome or treatment")
    roles = {"outcome": outcome, "treatment": treatment, "covariate": covariates}
    kept, n_dropped = complete_rows(data, roles | {"cluster": cluster, "strata": strata})
    numeric_outcome(kept, outcome)
    x = covariate_matrix(kept, covariates)
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is no effect to estimate")
    return kept, n_dropped, require_binary(kept, treatment), x


def _stratum_indicators(
    kept: pd.DataFrame, t: np.ndarray, strata: str | None
) -> tuple[np.ndarray, int | None]:
    """Indicators of every stratum but the first, and the number of strata (None without)."""
    if strata is None:
        return np.empty((len(t), 0)), None
    codes, labels = stratum_codes(kept[strata])
    check_strata_arms(t, codes, labels, strata=strata, minimum=2)
    return stratum_dummies(codes, len(labels)), len(labels)


def _lin_design(
    t: np.ndarray,
    x: np.ndarray,
    dummies: np.ndarray,
    *,
    treatment: str,
    covariates: list[str],
    strata: str | None,
) -> np.ndarray:
    """Constant, treatment, centred covariates and stratum indicators, and their
    interactions with the treatment (Lin 2013): a full-rank design matrix."""
    n_treated, n_control = int(t.sum()), int(len(t) - t.sum())
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
    columns = [np.ones(len(t)), t.astype(float)]
    x = np.column_stack([x, dummies])
    if x.shape[1]:
        centred = x - x.mean(axis=0)
        columns += [*centred.T, *(centred * t[:, None]).T]
    design = np.column_stack(columns)
    if not has_full_rank(design):
        where = " and the strata" if strata else ""
        raise InputError(
            f"covariates {covariates}{where} are collinear (with each other or within a "
            "treatment arm): drop redundant ones"
        )
    return design


def _fit_effect(
    y: np.ndarray, design: np.ndarray, kept: pd.DataFrame, cluster: str | None, *, neyman: bool
) -> tuple[float, float, float, np.ndarray | None, int | None, str]:
    """The treatment coefficient, its robust standard error, the degrees of freedom, the
    cluster codes and their number (None without clusters) and the variance's name.

    Without covariates HC2 is Neyman's conservative variance, and is named so.
    """
    model = sm.OLS(y, design)
    if cluster is None:
        fit = model.fit(cov_type="HC2", use_t=True)
        df, groups, n_clusters = float(fit.df_resid), None, None
        variance = "HC2 (Neyman)" if neyman else "HC2"
    else:
        groups, n_clusters = cluster_codes(kept, cluster, treated=design[:, 1])
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df, variance = float(n_clusters - 1), "CR1 cluster-robust"
    return float(fit.params[1]), float(fit.bse[1]), df, groups, n_clusters, variance


def _label(covariates: list[str], strata: str | None) -> str:
    """What the estimator is, for :attr:`Estimate.method`."""
    if covariates:
        label = "Lin (2013) interacted regression adjustment"
        return label + (" with stratum indicators" if strata else "")
    if strata:
        return "Difference in means within strata (stratum-size weighted)"
    return "Difference in means"
