"""Small-study effects and publication bias: Egger, Begg-Mazumdar, trim and fill.

The algorithms are metafor's ``regtest``, ``ranktest`` and ``trimfill`` (Viechtbauer 2010):

- :func:`egger_test` regresses the effects on their standard errors ``sei``. With
  ``model="rma"`` (the default, metafor's ``regtest``) this is a meta-regression with the
  same tau^2 estimator as the main analysis; with ``model="lm"`` it is Egger et al.'s (1997)
  original test, a weighted regression with multiplicative dispersion (statsmodels' WLS),
  identical to the OLS of the standardised effect ``yi / sei`` on the precision ``1 / sei``
  whose intercept is the coefficient of ``sei`` here.
- :func:`rank_test` is Begg & Mazumdar's (1994) Kendall's tau between the standardised
  deviates from the fixed-effect estimate and the variances (scipy's ``kendalltau``, exact
  p-value when there are no ties, as R's ``cor.test``).
- :func:`trim_and_fill` is Duval & Tweedie's (2000) iterative L0 (or R0) estimator; the side
  of the missing studies is chosen from the sign of the slope of the ``sei`` regression, as
  metafor does: a negative slope puts them on the right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from impactlib.core.validation import InputError, require_probability
from impactlib.meta.pooling import (
    MetaResult,
    pool_arrays,
    study_labels,
)
from impactlib.meta.regression import meta_regression
from impactlib.meta.tau2 import (
    _check_knapp_hartung,
    check_inputs,
    fit_model,
)


@dataclass(frozen=True)
class EggerResult:
    """Regression test for funnel-plot asymmetry.

    ``statistic`` tests the coefficient ``bias`` of the standard error (z, or t on ``df``
    degrees of freedom); ``limit_estimate`` is the intercept, the effect expected for a
    study of infinite precision, with its interval.
    """

    statistic: float
    p_value: float
    df: int | None
    bias: float
    bias_se: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    model: str
    method: str
    k: int

    def summary(self) -> str:
        test = (
            f"t = {self.statistic:.4f}, df = {self.df}" if self.df else f"z = {self.statistic:.4f}"
        )
        return (
            f"Egger regression test ({self.model}, predictor: standard error), k = {self.k}\n"
            f"  test for funnel plot asymmetry: {test}, p = {self.p_value:.4f}\n"
            f"  limit estimate (sei -> 0): {self.limit_estimate:.4f} "
            f"[{self.limit_ci_low:.4f}, {self.limit_ci_high:.4f}]"
        )


def egger_test(
    effects: object,
    variances: object,
    *,
    model: str = "rma",
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
) -> EggerResult:
    """Egger's regression test for funnel-plot asymmetry, with the standard error as predictor.

    Parameters
    ----------
    model : {"rma", "lm"}
        ``"rma"``: mixed-effects meta-regression ``yi ~ sei`` with ``method`` (metafor's
        ``regtest`` default); ``"lm"``: Egger et al. (1997), weighted least squares with
        weights ``1 / vi`` and an estimated dispersion, t test on ``k - 2`` df.

    Examples
    --------
    >>> res = egger_test([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.01], model="lm")
    >>> res.df
    3
    """
    if model not in ("rma", "lm"):
        raise InputError(f"model must be 'rma' or 'lm'; got {model!r}")
    y, v = check_inputs(effects, variances, method=method, min_k=3)
    require_probability(alpha, name="alpha")
    sei = np.sqrt(v)
    if model == "rma":
        fit = meta_regression(
            y, v, pd.DataFrame({"sei": sei}), method=method, knapp_hartung=knapp_hartung,
            alpha=alpha,
        )  # fmt: skip
        slope, intercept = fit.coefficients.loc["sei"], fit.coefficients.loc["intercept"]
        return EggerResult(
            statistic=float(slope["statistic"]),
            p_value=float(slope["p_value"]),
            df=fit.df,
            bias=float(slope["estimate"]),
            bias_se=float(slope["std_error"]),
            limit_estimate=float(intercept["estimate"]),
            limit_ci_low=float(intercept["ci_low"]),
            limit_ci_high=float(intercept["ci_high"]),
            model="mixed-effects meta-regression"
            if method != "FE"
            else "fixed-effects meta-regression",
            method=method,
            k=len(y),
        )
    if _check_knapp_hartung(knapp_hartung) is not None:
        raise InputError("knapp_hartung does not apply to model='lm' (its dispersion is estimated)")
    wls = sm.WLS(y, np.column_stack([np.ones_like(y), sei]), weights=1.0 / v).fit()
    low, high = wls.conf_int(alpha=alpha)[0]
    return EggerResult(
        statistic=float(wls.tvalues[1]),
        p_value=float(wls.pvalues[1]),
        df=int(wls.df_resid),
        bias=float(wls.params[1]),
        bias_se=float(wls.bse[1]),
        limit_estimate=float(wls.params[0]),
        limit_ci_low=float(low),
        limit_ci_high=float(high),
        model="weighted regression with multiplicative dispersion",
        method="lm",
        k=len(y),
    )


@dataclass(frozen=True)
class RankTestResult:
    """Begg & Mazumdar's rank correlation test: Kendall's tau and its two-sided p-value."""

    tau: float
    p_value: float
    k: int
    exact: bool

    def summary(self) -> str:
        kind = "exact" if self.exact else "normal approximation"
        return (
            f"Rank correlation test for funnel plot asymmetry, k = {self.k}\n"
            f"  Kendall's tau = {self.tau:.4f}, p = {self.p_value:.4f} ({kind})"
        )


def rank_test(effects: object, variances: object) -> RankTestResult:
    """Begg & Mazumdar (1994) rank correlation test (metafor's ``ranktest``).

    Kendall's tau between ``(yi - mu_FE) / sqrt(vi - 1/sum(1/vi))`` and ``vi``; the p-value
    is exact without ties and from the normal approximation otherwise.

    Examples
    --------
    >>> round(rank_test([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.03]).tau, 2)
    0.6
    """
    y, v = check_inputs(effects, variances, min_k=3)
    w = 1.0 / v
    theta = np.sum(w * y) / w.sum()
    y_star = (y - theta) / np.sqrt(v - 1.0 / w.sum())
    exact = len(np.unique(y_star)) == len(y) and len(np.unique(v)) == len(v)
    res = stats.kendalltau(y_star, v, method="exact" if exact else "asymptotic")
    return RankTestResult(float(res.statistic), float(res.pvalue), len(y), exact)


@dataclass(frozen=True, eq=False)
class TrimAndFillResult:
    """Trim and fill: ``k0`` studies imputed on ``side``, and the pooled effect with them.

    ``adjusted`` is the pooled result on the augmented data (the original ``k`` studies
    plus the ``k0`` mirror images in ``filled_effects`` / ``filled_variances``); it is the
    original result when ``k0 = 0``. ``se_k0`` is the estimator's standard error and
    ``p_k0`` the p-value of "no missing study" (R0 only).
    """

    k0: int
    side: str
    se_k0: float
    p_k0: float | None
    estimator: str
    original: MetaResult
    adjusted: MetaResult
    filled_effects: np.ndarray
    filled_variances: np.ndarray

    def summary(self) -> str:
        return (
            f"Trim and fill ({self.estimator}): {self.k0} missing studies imputed on the "
            f"{self.side} side (SE = {self.se_k0:.4f})\n" + self.adjusted.summary()
        )


def trim_and_fill(
    effects: object,
    variances: object,
    *,
    method: str = "REML",
    side: str | None = None,
    estimator: str = "L0",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    max_iter: int = 100,
    labels: Sequence | None = None,
) -> TrimAndFillResult:
    """Duval & Tweedie's trim and fill (metafor's ``trimfill``), with the L0 estimator.

    The studies are ranked by their distance to the pooled estimate of the studies left
    after trimming the ``k0`` most extreme ones on the side opposite the missing ones;
    ``k0`` is re-estimated until it no longer changes. The trimmed studies are then
    mirrored around that estimate and everything is pooled again with ``method``.

    Parameters
    ----------
    side : {"left", "right"}, optional
        Side of the funnel where studies are missing; by default chosen as metafor does
        (the sign of the slope of the regression of the effects on their standard errors).
    estimator : {"L0", "R0"}

    Examples
    --------
    >>> res = trim_and_fill([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.03],
    ...                     method="FE")
    >>> res.side, res.k0
    ('left', 2)
    """
    y, v = check_inputs(effects, variances, method=method, min_k=3)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    if estimator not in ("L0", "R0"):
        raise InputError(f"estimator must be 'L0' or 'R0'; got {estimator!r}")
    k = len(y)
    labels = study_labels(effects, labels, k)
    original = pool_arrays(y, v, method, kh, alpha, labels)
    if side is None:
        design = np.column_stack([np.ones(k), np.sqrt(v)])
        slope = fit_model(y, v, design, method, None).beta[1]
        side = "right" if slope < 0 else "left"
    elif side not in ("left", "right"):
        raise InputError(f"side must be 'left' or 'right'; got {side!r}")

    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y, kind="stable")
    ys, vs = sign * y[order], v[order]
    k0, previous, beta, se_k0 = 0, -1, 0.0, 0.0
    for _ in range(max_iter):
        if k0 == previous:
            break
        previous = k0
        beta = pool_arrays(ys[: k - k0], vs[: k - k0], method, None, alpha).value
        centred = ys - beta
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        signed = np.sign(centred) * ranks
        if estimator == "L0":
            s_r = float(signed[signed > 0].sum())
            k0_raw = (4 * s_r - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1) + 10 * k0_raw**3 + 27 * k0_raw**2 + 17 * k0_raw
                - 18 * k * k0_raw**2 - 18 * k * k0_raw + 6 * k**2 * k0_raw
            ) / 24  # fmt: skip
            se_k0 = 4 * math.sqrt(max(var_sr, 0.0)) / (2 * k - 1)
        else:
            negative = -signed[signed < 0]
            k0_raw = k - (negative.max() if negative.size else 0) - 1
            se_k0 = math.sqrt(2 * max(0.0, k0_raw) + 2)
        k0 = max(0, round(k0_raw))
    else:
        raise InputError(f"trim and fill did not converge in {max_iter} iterations")

    # R0's test of "no missing study" (metafor): P(R0 >= k0 | none missing) = 2^-(k0 + 1).
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else None
    if k0 == 0:
        filled_y, filled_v, adjusted = np.empty(0), np.empty(0), original
    else:
        filled_y = sign * (2 * beta - ys[k - k0 :])
        filled_v = vs[k - k0 :].copy()
        new_labels = [*labels, *(f"Imputée {j + 1}" for j in range(k0))]
        adjusted = pool_arrays(
            np.concatenate([y, filled_y]), np.concatenate([v, filled_v]), method, kh, alpha,
            new_labels,
        )  # fmt: skip
    return TrimAndFillResult(
        k0, side, se_k0, p_k0, estimator, original, adjusted, filled_y, filled_v
    )
