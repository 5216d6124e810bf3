"""Small-study effects and publication bias: Egger, Begg-Mazumdar, trim and fill.

The algorithms are metafor's ``regtest``, ``ranktest`` and ``trimfill`` (Viechtbauer 2010);
as in metafor, each takes a pooled result (:func:`~impactlib.meta.pooling.pool`) and uses
its studies and settings:

- :func:`egger_test` regresses the effects on their standard errors ``sei``. With
  ``model="rma"`` (the default, metafor's ``regtest``) this is a meta-regression with the
  same tau^2 estimator and Knapp-Hartung option as the pooled result; with ``model="lm"``
  it is Egger et al.'s (1997) original test, a weighted regression with multiplicative
  dispersion (statsmodels' WLS), identical to the OLS of the standardised effect
  ``yi / sei`` on the precision ``1 / sei`` whose intercept is the coefficient of ``sei``
  here.
- :func:`rank_test` is Begg & Mazumdar's (1994) Kendall's tau between the standardised
  deviates from the fixed-effect estimate and the variances (scipy's ``kendalltau``, exact
  p-value when there are no ties, as R's ``cor.test``).
- :func:`trim_and_fill` is Duval & Tweedie's (2000) iterative L0 (or R0) estimator; the side
  of the missing studies is chosen from the sign of the slope of the ``sei`` regression, as
  metafor does: a negative slope puts them on the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from impactlib.core.estimate import TIDY_COLUMNS, Estimate
from impactlib.core.result import Result
from impactlib.core.validation import InputError, is_constant, is_negligible, require_integer
from impactlib.meta.pooling import MetaResult, pool_arrays, pooled_frame, require_result
from impactlib.meta.regression import coefficient_estimate, regression_arrays
from impactlib.meta.tau2 import fit_model


def _studies(result: object, needed: int, what: str) -> MetaResult:
    result = require_result(result)
    if result.k < needed:
        raise InputError(f"{what} needs at least {needed} studies, got k = {result.k}")
    return result


def _cell(term: str, column: str, doc: str) -> property:
    """A number of the coefficient table of an :class:`EggerResult`, as a property."""
    return property(lambda self: float(self.coefficients.loc[term, column]), doc=doc)


@dataclass(frozen=True, eq=False)
class EggerResult(Result):
    """Regression test for funnel-plot asymmetry.

    ``coefficients`` holds the regression of the effects on their standard errors: the
    row ``sei`` is the asymmetry (its ``statistic``, z or t on ``df`` degrees of freedom,
    is the test), the row ``intercept`` the limit estimate, the effect expected for a
    study of infinite precision. ``estimate`` is that limit estimate (a bias-adjusted
    effect, like trim and fill's); ``tidy()`` has it (``"limit_estimate"``) and the
    asymmetry coefficient (``"asymmetry"``).
    """

    coefficients: pd.DataFrame
    df: int | None
    model: str
    pooled: MetaResult

    statistic = _cell("sei", "statistic", "The test statistic of the asymmetry (z, or t on df).")
    p_value = _cell("sei", "p_value", "Two-sided p-value of the test of asymmetry.")
    bias = _cell("sei", "estimate", "The coefficient of the standard error.")
    bias_se = _cell("sei", "std_error", "Its standard error.")
    limit_estimate = _cell("intercept", "estimate", "The effect of a study with sei -> 0.")
    limit_ci_low = _cell("intercept", "ci_low", "Lower bound of the limit estimate.")
    limit_ci_high = _cell("intercept", "ci_high", "Upper bound of the limit estimate.")

    @property
    def k(self) -> int:
        return self.pooled.k

    @property
    def estimate(self) -> Estimate:
        return self.estimates()["limit_estimate"]

    def estimates(self) -> dict[str, Estimate]:
        fields = {
            "n": self.k,
            "method": f"Egger regression test ({self.model})",
            "outcome": self.pooled.outcome,
            "treatment": self.pooled.treatment,
            "design": self.pooled.design,
            "alpha": self.pooled.alpha,
        }
        return {
            "limit_estimate": coefficient_estimate(
                self.coefficients, "intercept", estimand="limit estimate (sei -> 0)", **fields
            ),
            "asymmetry": coefficient_estimate(
                self.coefficients, "sei", estimand="funnel-plot asymmetry", **fields
            ),
        }

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


def egger_test(result: MetaResult, *, model: str = "rma") -> EggerResult:
    """Egger's regression test for funnel-plot asymmetry, with the standard error as predictor.

    Parameters
    ----------
    result : MetaResult
        The pooled studies (at least 3), from :func:`pool` (metafor's ``regtest(res)``).
    model : {"rma", "lm"}
        ``"rma"``: meta-regression ``yi ~ sei`` with the tau^2 estimator, Knapp-Hartung
        option and ``alpha`` of ``result`` (metafor's ``regtest`` default); ``"lm"``: Egger
        et al. (1997), weighted least squares with weights ``1 / vi`` and an estimated
        dispersion, t test on ``k - 2`` df.

    Examples
    --------
    >>> from impactlib.meta import pool
    >>> res = pool([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.01])
    >>> egger_test(res, model="lm").df
    3
    """
    if model not in ("rma", "lm"):
        raise InputError(f"model must be 'rma' or 'lm'; got {model!r}")
    result = _studies(result, 3, "egger_test")
    y, v = result.effects, result.variances
    sei = np.sqrt(v)
    if is_constant(sei):
        raise InputError(
            "egger_test: the variances are all equal, so the standard error (the predictor "
            "of Egger's regression) never varies: there is no asymmetry to test"
        )
    if model == "rma":
        fit = regression_arrays(
            y, v, pd.DataFrame({"sei": sei}), tau2_estimator=result.tau2_estimator,
            knapp_hartung=result.knapp_hartung, alpha=result.alpha,
            reml_threshold=result.reml_threshold,
        )  # fmt: skip
        kind = "fixed-effects" if result.tau2_estimator == "FE" else "mixed-effects"
        return EggerResult(fit.coefficients, fit.df, f"{kind} meta-regression", result)
    # Regressed on sei / its largest value, with weights scaled to at most 1: the same
    # test (t statistics and p-values do not change) at any scale of the variances.
    unit = float(sei.max())
    design = np.column_stack([np.ones_like(y), sei / unit])
    wls = sm.WLS(y, design, weights=float(v.min()) / v).fit()
    if is_negligible(wls.resid, scale=y):
        raise InputError(
            "egger_test(model='lm'): the effects lie exactly on a line in their standard "
            "errors (all equal, for instance), so the estimated dispersion is 0 and the test "
            "is undefined; use model='rma'"
        )
    interval = wls.conf_int(alpha=result.alpha)
    per_sei = np.array([1.0, 1.0 / unit])  # back to the coefficient of sei itself
    coefficients = pd.DataFrame(
        {
            "estimate": wls.params * per_sei,
            "std_error": wls.bse * per_sei,
            "statistic": wls.tvalues,
            "p_value": wls.pvalues,
            "ci_low": interval[:, 0] * per_sei,
            "ci_high": interval[:, 1] * per_sei,
        },
        index=pd.Index(["intercept", "sei"], name="term"),
    )
    model_name = "weighted regression with multiplicative dispersion"
    return EggerResult(coefficients, int(wls.df_resid), model_name, result)


@dataclass(frozen=True)
class RankTestResult:
    """Begg & Mazumdar's rank correlation test: Kendall's tau and its two-sided p-value.

    A test, not an effect: ``tidy()`` has one row (``"kendall_tau"``) with the columns of
    an :class:`Estimate` (``value`` is tau; no standard error or interval).
    """

    tau: float
    p_value: float
    k: int
    exact: bool

    @property
    def method(self) -> str:
        kind = "exact" if self.exact else "normal approximation"
        return f"Begg and Mazumdar rank correlation test ({kind})"

    def tidy(self) -> pd.DataFrame:
        row = {"value": self.tau, "p_value": self.p_value, "n": self.k, "method": self.method}
        index = pd.Index(["kendall_tau"], name="term")
        return pd.DataFrame([row], index=index, columns=list(TIDY_COLUMNS))

    def summary(self) -> str:
        return (
            f"{self.method}, k = {self.k}\n  Kendall's tau = {self.tau:.4f}, p = {self.p_value:.4f}"
        )


def rank_test(result: MetaResult) -> RankTestResult:
    """Begg & Mazumdar (1994) rank correlation test (metafor's ``ranktest(res)``).

    Kendall's tau between ``(yi - mu_FE) / sqrt(vi - 1/sum(1/vi))`` and ``vi`` for the
    studies of ``result`` (at least 3); the p-value is exact without ties and from the
    normal approximation otherwise.

    Examples
    --------
    >>> from impactlib.meta import pool
    >>> res = pool([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.03])
    >>> round(rank_test(res).tau, 2)
    0.6
    """
    result = _studies(result, 3, "rank_test")
    y, v = result.effects, result.variances
    for name, values in (("effects", y), ("variances", v)):
        if is_constant(values):
            raise InputError(
                f"rank_test: the {name} are all equal, so Kendall's tau between the "
                "standardised effects and the variances is undefined"
            )
    w = 1.0 / v
    theta = np.sum(w * y) / w.sum()
    y_star = (y - theta) / np.sqrt(v - 1.0 / w.sum())
    exact = len(np.unique(y_star)) == len(y) and len(np.unique(v)) == len(v)
    res = stats.kendalltau(y_star, v, method="exact" if exact else "asymptotic")
    return RankTestResult(float(res.statistic), float(res.pvalue), len(y), exact)


@dataclass(frozen=True, eq=False)
class TrimAndFillResult(Result):
    """Trim and fill: ``k0`` studies imputed on ``side``, and the pooled effect with them.

    ``adjusted`` is the pooled result on the augmented data (the original ``k`` studies
    plus the ``k0`` mirror images in ``filled_effects`` / ``filled_variances``); it is the
    original result when ``k0 = 0``. ``se_k0`` is the estimator's standard error and
    ``p_k0`` the p-value of "no missing study" (R0 only). ``estimate`` is the filled
    estimate; ``tidy()`` has it (``"filled"``) and the original one (``"original"``).
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

    @property
    def estimate(self) -> Estimate:
        return self.adjusted.estimate

    def estimates(self) -> dict[str, Estimate]:
        return {"filled": self.adjusted.estimate, "original": self.original.estimate}

    def tidy(self) -> pd.DataFrame:
        return pooled_frame({"filled": self.adjusted, "original": self.original})

    def summary(self) -> str:
        return (
            f"Trim and fill ({self.estimator}): {self.k0} missing studies imputed on the "
            f"{self.side} side (SE = {self.se_k0:.4f})\n" + self.adjusted.summary()
        )


def _count_missing(signed: np.ndarray, k: int, estimator: str) -> tuple[float, float]:
    """Duval and Tweedie's raw ``k0`` and its standard error from the signed ranks."""
    if estimator == "L0":
        s_r = float(signed[signed > 0].sum())
        k0 = (4 * s_r - k * (k + 1)) / (2 * k - 1)
        var_sr = (
            k * (k + 1) * (2 * k + 1) + 10 * k0**3 + 27 * k0**2 + 17 * k0
            - 18 * k * k0**2 - 18 * k * k0 + 6 * k**2 * k0
        ) / 24  # fmt: skip
        return k0, 4 * math.sqrt(max(var_sr, 0.0)) / (2 * k - 1)
    negative = -signed[signed < 0]
    k0 = k - (negative.max() if negative.size else 0) - 1
    return k0, math.sqrt(2 * max(0.0, k0) + 2)


def trim_and_fill(
    result: MetaResult, *, side: str | None = None, estimator: str = "L0", max_iter: int = 100
) -> TrimAndFillResult:
    """Duval & Tweedie's trim and fill (metafor's ``trimfill(res)``), with the L0 estimator.

    The studies of ``result`` (at least 3) are ranked by their distance to the pooled
    estimate of the studies left after trimming the ``k0`` most extreme ones on the side
    opposite the missing ones; ``k0`` is re-estimated until it no longer changes. The
    trimmed studies are then mirrored around that estimate and everything is pooled again
    with the settings of ``result``.

    Parameters
    ----------
    side : {"left", "right"}, optional
        Side of the funnel where studies are missing; by default chosen as metafor does
        (the sign of the slope of the regression of the effects on their standard errors).
    estimator : {"L0", "R0"}

    Examples
    --------
    >>> from impactlib.meta import pool
    >>> res = pool([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.03],
    ...            tau2_estimator="FE")
    >>> filled = trim_and_fill(res)
    >>> filled.side, filled.k0, filled.estimate.n
    ('left', 2, 7)
    """
    result = _studies(result, 3, "trim_and_fill")
    if estimator not in ("L0", "R0"):
        raise InputError(f"estimator must be 'L0' or 'R0'; got {estimator!r}")
    max_iter = require_integer(max_iter, name="max_iter", minimum=1)
    y, v, k = result.effects, result.variances, result.k
    settings = result.settings()
    if is_constant(y):
        raise InputError(
            "trim_and_fill: the effects are all equal, so the funnel is symmetric by "
            "construction and no study can be missing on either side"
        )
    if side is None and is_constant(v):
        raise InputError(
            "trim_and_fill: the variances are all equal, so the side of the missing studies "
            "cannot be read from the regression of the effects on their standard errors: give "
            "side='left' or side='right'"
        )
    if side is None:
        design = np.column_stack([np.ones(k), np.sqrt(v)])
        fit = fit_model(y, v, design, result.tau2_estimator, None, result.reml_threshold)
        side = "right" if fit.beta[1] < 0 else "left"
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
        trimmed = {**settings, "knapp_hartung": None}
        beta = pool_arrays(ys[: k - k0], vs[: k - k0], **trimmed).value
        centred = ys - beta
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        k0_raw, se_k0 = _count_missing(np.sign(centred) * ranks, k, estimator)
        k0 = max(0, round(k0_raw))
    else:
        raise InputError(f"trim and fill did not converge in {max_iter} iterations")

    # R0's test of "no missing study" (metafor): P(R0 >= k0 | none missing) = 2^-(k0 + 1).
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else None
    if k0 == 0:
        filled_y, filled_v, adjusted = np.empty(0), np.empty(0), result
    else:
        filled_y = sign * (2 * beta - ys[k - k0 :])
        filled_v = vs[k - k0 :].copy()
        labels = [*result.labels, *(f"Imputée {j + 1}" for j in range(k0))]
        adjusted = pool_arrays(
            np.concatenate([y, filled_y]), np.concatenate([v, filled_v]), labels, **settings
        )
    return TrimAndFillResult(k0, side, se_k0, p_k0, estimator, result, adjusted, filled_y, filled_v)
