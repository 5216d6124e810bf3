"""Inverse probability weighting (ATE, ATT) with sandwich standard errors of the stacked
estimating equations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_interval
from impactlib.core.validation import (
    InputError,
    as_list,
    require_binary,
    require_columns,
    require_probability,
)
from impactlib.weighting.propensity import (
    PropensityScore,
    _check_estimand,
    _fit_propensity,
    _prepare,
    _scores_frame,
    _trim_bounds,
)


@dataclass
class _Fitted:
    """Data and propensity model after checks and optional trimming."""

    y: np.ndarray
    t: np.ndarray
    ps_design: np.ndarray
    fit: Any
    scores: np.ndarray
    kept: pd.DataFrame
    n_dropped: int
    n_trimmed: int


def _fit_for_effect(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: list[str],
    more: Sequence[str],
    trim: float | tuple[float, float] | None,
    link: str,
) -> _Fitted:
    kept, n_dropped, t = _prepare(
        data, treatment=treatment, covariates=covariates, outcome=outcome, more=more
    )
    bounds = _trim_bounds(trim)
    x = kept[covariates].to_numpy(dtype=float)
    fit, scores, _, _ = _fit_propensity(t, x, treatment=treatment, covariates=covariates, link=link)
    n_trimmed = 0
    if bounds is not None:
        inside = (scores >= bounds[0]) & (scores <= bounds[1])
        n_trimmed = int((~inside).sum())
        kept = kept[inside]
        t = t[inside]
        if min(t.sum(), len(t) - t.sum()) < 2:
            raise InputError(
                f"trim {bounds}: fewer than two treated or control units have a propensity "
                f"score inside the bounds ({int(t.sum())} treated, {int(len(t) - t.sum())} "
                "control)"
            )
        x = kept[covariates].to_numpy(dtype=float)
        fit, scores, _, _ = _fit_propensity(
            t, x, treatment=treatment, covariates=covariates, link=link
        )
    return _Fitted(
        y=kept[outcome].to_numpy(dtype=float),
        t=t.astype(float),
        ps_design=np.asarray(fit.model.exog),
        fit=fit,
        scores=scores,
        kept=kept,
        n_dropped=n_dropped,
        n_trimmed=n_trimmed,
    )


def _refuse_infinite_weights(scores: np.ndarray, t: np.ndarray, estimand: str, treatment: str):
    bad_treated = int(((scores <= 0) & (t == 1)).sum()) if estimand == "ATE" else 0
    bad_control = int(((scores >= 1) & (t == 0)).sum())
    if bad_treated or bad_control:
        raise InputError(
            f"treatment {treatment!r}: propensity scores of 0 or 1 give infinite weights "
            f"({bad_treated} treated unit(s) with score 0, {bad_control} control unit(s) with "
            "score 1): restrict the sample to the region of overlap (trim=...)"
        )


def _sandwich(psi: np.ndarray, jacobian: np.ndarray) -> np.ndarray:
    """Covariance of an M-estimator: ``A^-1 B A^-T / n`` with ``A`` the mean Jacobian of
    the estimating functions and ``B`` their mean outer product (Stefanski & Boos 2002)."""
    n = psi.shape[0]
    meat = psi.T @ psi / n
    bread = np.linalg.inv(jacobian)
    return bread @ meat @ bread.T / n


def _ps_blocks(fitted: _Fitted) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores and mean Hessian of the propensity model, and the density at each unit."""
    model, params = fitted.fit.model, np.asarray(fitted.fit.params)
    score = model.score_obs(params)
    hessian = model.hessian(params) / len(fitted.t)
    density = model.pdf(fitted.ps_design @ params)
    return score, hessian, density


def _estimate(
    value: float,
    variance: float,
    *,
    alpha: float,
    fitted: _Fitted,
    outcome: str,
    treatment: str,
    estimand: str,
    method: str,
    extra: dict[str, Any],
) -> Estimate:
    se = math.sqrt(max(variance, 0.0))
    ci_low, ci_high, p_value = wald_interval(value, se, alpha=alpha)
    n_treated = int(fitted.t.sum())
    return Estimate(
        value=value,
        std_error=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n=len(fitted.t),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design="weighting",
        estimand=estimand,
        n_treated=n_treated,
        n_control=len(fitted.t) - n_treated,
        n_dropped=fitted.n_dropped,
        alpha=alpha,
        extra=extra,
    )


def _ps_extra(fitted: _Fitted, link: str, trim, covariates: list[str]) -> dict[str, Any]:
    s, t = fitted.scores, fitted.t == 1
    return {
        "ps_covariates": covariates,
        "link": link,
        "trim": list(_trim_bounds(trim)) if trim is not None else None,
        "n_trimmed": fitted.n_trimmed,
        "ps_range_treated": [float(s[t].min()), float(s[t].max())],
        "ps_range_control": [float(s[~t].min()), float(s[~t].max())],
    }


def ipw_weights(
    data: pd.DataFrame,
    *,
    treatment: str,
    ps: str | Sequence[float] | pd.Series | PropensityScore,
    estimand: str = "ATT",
) -> pd.Series:
    """Normalised inverse-probability weights, each arm's weights summing to its size.

    ATE: treated ``1 / e``, controls ``1 / (1 - e)``; ATT: treated 1, controls
    ``e / (1 - e)``. Normalising within arm gives the Hajek estimator of :func:`ipw`.
    ``ps`` is a column, an array aligned with ``data`` or a :class:`PropensityScore`
    (then only its rows are weighted).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "e": [0.5, 0.5, 0.5, 0.2]})
    >>> ipw_weights(df, treatment="t", ps="e").round(2).tolist()
    [1.0, 1.0, 1.6, 0.4]
    """
    _check_estimand(estimand)
    frame, scores = _scores_frame(data, ps)
    require_columns(frame, [treatment], role="treatment")
    t = require_binary(frame, treatment) == 1
    _refuse_infinite_weights(scores, t.astype(float), estimand, treatment)
    if estimand == "ATE":
        raw = np.where(t, 1 / scores, 1 / (1 - scores))
    else:
        raw = np.where(t, 1.0, scores / (1 - scores))
    weights = raw.copy()
    for arm in (t, ~t):
        weights[arm] = raw[arm] / raw[arm].sum() * arm.sum()
    return pd.Series(weights, index=frame.index, name="weight")


def ipw(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    estimand: str = "ATT",
    trim: float | tuple[float, float] | None = None,
    link: str = "logit",
    alpha: float = 0.05,
) -> Estimate:
    """Inverse probability weighting with normalised (Hajek) weights.

    The ATE is ``sum(w1 * Y) / sum(w1) - sum(w0 * Y) / sum(w0)`` with ``w1 = T / e`` and
    ``w0 = (1 - T) / (1 - e)``; the ATT uses ``w1 = T`` and ``w0 = (1 - T) e / (1 - e)``
    (Hirano, Imbens & Ridder 2003; Imbens 2004). ``e`` is the :func:`propensity_score`.
    The standard error is the sandwich of the stacked estimating equations of the two
    weighted means and of the propensity-score likelihood, so it accounts for the estimated
    score (Lunceford & Davidian 2004); it reproduces Stata's ``teffects ipw``. Intervals and
    p-values are normal. With ``trim`` (a number ``a`` for ``[a, 1 - a]``, e.g. 0.1 for the
    Crump et al. 2009 rule of thumb, or a ``(lower, upper)`` pair) units whose first-stage
    score falls outside are dropped, the score is re-estimated on the rest, and the
    estimand becomes the effect in that overlap region; the trimming step itself is taken
    as fixed in the standard error. ``n_trimmed`` in ``extra`` counts the units dropped.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome, treatment : str
        Numeric outcome and binary treatment columns.
    covariates : str or list of str
        Regressors of the propensity-score model.
    estimand : {"ATT", "ATE"}
        Effect on the treated or average effect.
    trim : float or (float, float), optional
        Propensity-score bounds outside which units are dropped.
    link : {"logit", "probit"}
        Propensity-score model.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000)
    >>> t = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "t": t, "y": 2.0 * t + x + rng.normal(size=2000)})
    >>> est = ipw(df, outcome="y", treatment="t", covariates="x", estimand="ATE")
    >>> bool(est.ci_low < 2.0 < est.ci_high)
    True
    """
    _check_estimand(estimand)
    require_probability(alpha, name="alpha")
    covariates = as_list(covariates)
    fitted = _fit_for_effect(
        data,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        more=(),
        trim=trim,
        link=link,
    )
    y, t, e = fitted.y, fitted.t, fitted.scores
    _refuse_infinite_weights(e, t, estimand, treatment)
    if estimand == "ATE":
        w1, w0 = t / e, (1 - t) / (1 - e)
        dw1 = -t / e**2  # derivatives with respect to e
    else:
        w1, w0 = t, (1 - t) * e / (1 - e)
        dw1 = np.zeros_like(t)
    dw0 = (1 - t) / (1 - e) ** 2
    mu1, mu0 = (w1 @ y) / w1.sum(), (w0 @ y) / w0.sum()
    score, hessian, density = _ps_blocks(fitted)
    x = fitted.ps_design
    k = x.shape[1]
    psi = np.column_stack([w1 * (y - mu1), w0 * (y - mu0), score])
    jac = np.zeros((2 + k, 2 + k))
    jac[0, 0] = -w1.mean()
    jac[1, 1] = -w0.mean()
    jac[0, 2:] = (dw1 * (y - mu1) * density) @ x / len(y)
    jac[1, 2:] = (dw0 * (y - mu0) * density) @ x / len(y)
    jac[2:, 2:] = hessian
    vcov = _sandwich(psi, jac)
    contrast = np.zeros(2 + k)
    contrast[:2] = [1.0, -1.0]
    weights0 = w0[t == 0]
    extra = {
        **_ps_extra(fitted, link, trim, covariates),
        "mean_treated": float(mu1),
        "mean_control_weighted": float(mu0),
        "ess_control": float(weights0.sum() ** 2 / (weights0**2).sum()),
        "se_method": "M-estimation sandwich, propensity-score estimation accounted for",
    }
    return _estimate(
        float(mu1 - mu0),
        float(contrast @ vcov @ contrast),
        alpha=alpha,
        fitted=fitted,
        outcome=outcome,
        treatment=treatment,
        estimand=estimand,
        method=(
            f"Inverse probability weighting ({estimand}, normalised weights, {link} "
            "propensity score), M-estimation sandwich standard errors"
        ),
        extra=extra,
    )
