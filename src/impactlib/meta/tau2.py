"""Pooling effect sizes: fixed effect and random effects (DL, REML, PM); the model engine.

This follows R's metafor ``rma.uni`` (Viechtbauer 2010, J. Stat. Softw. 36(3)), the
field's reference. statsmodels' ``combine_effects`` has DerSimonian-Laird and
Paule-Mandel but neither REML nor moderators, so the model is written here in numpy:

- ``tau2`` by DerSimonian-Laird (moment estimator, truncated at 0), REML by metafor's
  Fisher scoring (Hedges' estimate as start, step halving to stay at or above 0) and
  Paule-Mandel by solving its estimating equation ``Q(tau2) = k - p`` with Brent's method
  (0 when ``Q(0) <= k - p``). metafor stops Fisher scoring once tau2 changes by less than
  ``threshold = 1e-5``, an absolute rule that leaves an error of that order (a few percent
  of a small tau2); here scoring runs to a relative change of 1e-10 and, if it is slow,
  the REML score equation is solved by Brent's method, so the result is the maximum of
  the restricted likelihood. ``reml_threshold=1e-5`` reproduces metafor's stopping rule,
  hence its printed digits, exactly.
- coefficients by weighted least squares with weights ``1 / (v + tau2)``; Wald z tests,
  or with ``knapp_hartung`` the Knapp-Hartung (2003) adjustment: the covariance is scaled
  by ``q = sum w e^2 / (k - p)`` and tests and intervals use Student's t with ``k - p``
  degrees of freedom. Like metafor's ``test="knha"`` the factor is NOT truncated by
  default (it may shrink the interval); ``knapp_hartung="truncated"`` floors it at 1
  (metafor's ``test="adhoc"``).
- heterogeneity as metafor reports it: Cochran's ``Q`` (fixed-effect weights),
  ``I2 = tau2 / (tau2 + s2)`` and ``H2 = (tau2 + s2) / s2`` with the "typical" sampling
  variance ``s2 = (k - p) / tr(P)``; for the fixed-effect model ``I2 = (Q - df) / Q``.
- the prediction interval ``mu +/- crit * sqrt(se^2 + tau2)``, with the same critical
  value as the confidence interval (normal, or t with ``k - p`` df with Knapp-Hartung).

Every result is checked in the tests against metafor's printed output, statsmodels'
stored metafor vectors and pymare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from impactlib.core.validation import InputError, is_negligible, is_real, require_probability

#: Estimators of the between-study variance tau^2 (``"FE"``: none, tau^2 = 0).
TAU2_ESTIMATORS = ("FE", "DL", "REML", "PM")


TAU2_ESTIMATOR_NAMES = {
    "FE": "fixed-effect",
    "DL": "random-effects, DerSimonian-Laird",
    "REML": "random-effects, REML",
    "PM": "random-effects, Paule-Mandel",
}


METAFOR_THRESHOLD = 1e-5  # metafor's default stopping threshold for Fisher scoring


_REML_MAXITER = 100


# --- input checks ----------------------------------------------------------------------


def _as_vector(values: object, name: str) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        raise InputError(f"{name} must be one-dimensional (a Series or an array), got a DataFrame")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers: {exc}") from None
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def check_inputs(
    effects: object, variances: object, *, tau2_estimator: str = "FE", min_k: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate effects and variances; each refusal names the parameter and the study."""
    if tau2_estimator not in TAU2_ESTIMATORS:
        raise InputError(
            f"tau2_estimator must be one of {', '.join(TAU2_ESTIMATORS)}; got {tau2_estimator!r}"
        )
    if isinstance(effects, pd.Series) and isinstance(variances, pd.Series):
        if not effects.index.equals(variances.index):
            raise InputError(
                "effects and variances are Series with different indexes: they would be paired "
                "by position, not by study; align them (variances.reindex(effects.index))"
            )
    y = _as_vector(effects, "effects")
    v = _as_vector(variances, "variances")
    if len(y) != len(v):
        raise InputError(
            f"effects and variances must have the same length, got {len(y)} and {len(v)}"
        )
    for name, array in (("effects", y), ("variances", v)):
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            raise InputError(
                f"{name} has missing or infinite value(s) at position(s) {bad.tolist()} "
                "(0-based): remove or fix these studies"
            )
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        shown = ", ".join(f"position {i}: {v[i]:g}" for i in bad[:5])
        raise InputError(f"variances must be positive; got {shown}")
    needed = (1 if tau2_estimator == "FE" else 2) if min_k is None else min_k
    if len(y) < needed:
        raise InputError(
            f"tau2_estimator={tau2_estimator!r} needs at least {needed} studies "
            f"(k >= {needed}), got k = {len(y)}"
        )
    return y, v


def check_model(
    effects: object,
    variances: object,
    *,
    tau2_estimator: str,
    knapp_hartung: bool | str,
    alpha: float,
    reml_threshold: float | None = None,
) -> tuple[np.ndarray, np.ndarray, str | None, float | None]:
    """Validated ``(effects, variances, knapp_hartung, reml_threshold)`` of a model to fit.

    ``knapp_hartung`` comes back as the engine's code (``None``, ``"knha"``, ``"truncated"``).
    """
    y, v = check_inputs(effects, variances, tau2_estimator=tau2_estimator)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    return y, v, kh, _threshold(reml_threshold)


def _threshold(value: float | None) -> float | None:
    if value is None:
        return None
    if not (is_real(value) and math.isfinite(value) and value > 0):
        raise InputError(f"reml_threshold must be a positive number; got {value!r}")
    return float(value)


def _check_knapp_hartung(knapp_hartung: bool | str) -> str | None:
    if knapp_hartung is False or knapp_hartung is None:
        return None
    if knapp_hartung is True:
        return "knha"
    if knapp_hartung == "truncated":
        return "truncated"
    raise InputError(f"knapp_hartung must be False, True or 'truncated'; got {knapp_hartung!r}")


# --- the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    """Raw fit of the (mixed-effects) model; public results are built from it."""

    beta: np.ndarray
    vcov: np.ndarray
    tau2: float
    qe: float
    i2: float
    h2: float
    df_resid: int
    weights: np.ndarray
    kh_factor: float | None


def _wls(y: np.ndarray, v: np.ndarray, x: np.ndarray, tau2: float):
    w = 1.0 / (v + tau2)
    xtw = x.T * w
    inv = np.linalg.inv(xtw @ x)
    beta = inv @ (xtw @ y)
    resid = y - x @ beta
    return w, inv, beta, resid


def _trace_p(w: np.ndarray, x: np.ndarray, inv: np.ndarray) -> float:
    """tr(P) with P = W - W X (X'WX)^-1 X'W, without forming the k x k matrix."""
    b = (x.T * w**2) @ x
    return float(w.sum() - np.trace(inv @ b))


def _tau2_dl(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    w, inv, _, resid = _wls(y, v, x, 0.0)
    qe = float(np.sum(w * resid**2))
    return max(0.0, (qe - (len(y) - x.shape[1])) / _trace_p(w, x, inv))


def _tau2_pm(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    target = len(y) - x.shape[1]

    def excess(tau2: float) -> float:
        w, _, _, resid = _wls(y, v, x, tau2)
        return float(np.sum(w * resid**2)) - target

    if excess(0.0) <= 0:
        return 0.0
    upper = max(float(np.var(y)), float(np.median(v)), 1e-8)
    while excess(upper) > 0:
        upper *= 4.0
        if upper > 1e12:  # pragma: no cover - would need absurd data
            raise InputError("Paule-Mandel: no root of Q(tau2) = k - p found")
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-14, rtol=1e-14, maxiter=500))


def _reml_negloglik(tau2: float, y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    w, inv, _, resid = _wls(y, v, x, tau2)
    _, logdet = np.linalg.slogdet(inv)
    return 0.5 * float(np.sum(np.log(v + tau2)) - logdet + np.sum(w * resid**2))


def _tau2_he(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    """Hedges' (HE) moment estimator from the OLS residuals: metafor's REML start value."""
    inv = np.linalg.inv(x.T @ x)
    resid = y - x @ (inv @ (x.T @ y))
    trace_pv = float(v.sum() - np.trace(inv @ ((x.T * v) @ x)))
    return max(0.0, (float(resid @ resid) - trace_pv) / (len(y) - x.shape[1]))


def _reml_score(tau2: float, y: np.ndarray, v: np.ndarray, x: np.ndarray):
    """Twice the REML score ``y'PPy - tr(P)``, and the Fisher information ``tr(PP)``."""
    w, inv, _, resid = _wls(y, v, x, tau2)
    b = (x.T * w**2) @ x
    c = (x.T * w**3) @ x
    ab = inv @ b
    trace_p = w.sum() - np.trace(ab)
    trace_pp = np.sum(w**2) - 2 * np.trace(inv @ c) + np.trace(ab @ ab)
    return float(np.sum((w * resid) ** 2) - trace_p), float(trace_pp)


def _tau2_reml(
    y: np.ndarray, v: np.ndarray, x: np.ndarray, threshold: float | None = None
) -> tuple[float, bool]:
    """REML tau2 by Fisher scoring from Hedges' estimate, kept >= 0 by step halving.

    With ``threshold`` (metafor's ``control$threshold``, 1e-5 by default there) the
    iteration stops at the first change below it, as metafor does; without it, at a
    relative change of 1e-10, the score equation being solved by Brent's method if
    scoring has not got there in 100 iterations.
    """
    tau2 = _tau2_he(y, v, x)
    step = 0.0
    for _ in range(_REML_MAXITER):
        score, information = _reml_score(tau2, y, v, x)
        step = score / information
        if tau2 == 0 and step < 0:
            return 0.0, True  # the restricted likelihood decreases from tau2 = 0
        while tau2 + step < 0:
            step /= 2
        new = tau2 + step
        limit = threshold if threshold is not None else 1e-14 + 1e-10 * new
        if abs(new - tau2) <= limit:
            return new, True
        tau2 = new
    if threshold is not None:
        return tau2, False  # metafor would stop with "did not converge"
    return _solve_reml_score(y, v, x, tau2, abs(step))


def _solve_reml_score(
    y: np.ndarray, v: np.ndarray, x: np.ndarray, guess: float, width: float
) -> tuple[float, bool]:
    """Root of the REML score near ``guess`` by Brent's method (slow scoring fallback)."""

    def score(t: float) -> float:
        return _reml_score(t, y, v, x)[0]

    width = max(width, 1e-8 * max(guess, 1.0))
    low, high = max(0.0, guess - width), guess + width
    while low > 0 and score(low) < 0:
        low = max(0.0, low - 2 * (guess - low) - width)
    if low == 0 and score(0.0) <= 0:
        return 0.0, True
    while score(high) > 0:
        high += 2 * (high - guess) + width
        if high > 1e12:  # pragma: no cover - would need absurd data
            return guess, False
    root = optimize.brentq(score, low, high, xtol=1e-15, rtol=1e-12, maxiter=500)
    return float(root), True


def fit_model(
    y: np.ndarray,
    v: np.ndarray,
    x: np.ndarray,
    tau2_estimator: str,
    knapp_hartung: str | None,
    reml_threshold: float | None = None,
) -> _Fit:
    """Fit the fixed-, random- or mixed-effects model with design matrix ``x``; numbers
    beyond what floating point can weigh (variances of 1e-300, effects of 1e200) are refused
    with an :class:`InputError` rather than a numpy error."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            return _fit_model(y, v, x, tau2_estimator, knapp_hartung, reml_threshold)
    except (np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError, OverflowError):
        raise InputError(
            "the effects and variances are on a scale the model cannot be computed on "
            f"(effects up to {np.max(np.abs(y)):g} in absolute value, variances from "
            f"{np.min(v):g} to {np.max(v):g}): rescale them"
        ) from None


def _fit_model(
    y: np.ndarray,
    v: np.ndarray,
    x: np.ndarray,
    tau2_estimator: str,
    knapp_hartung: str | None,
    reml_threshold: float | None = None,
) -> _Fit:
    """Fit the fixed-, random- or mixed-effects model with design matrix ``x``."""
    k, p = x.shape
    df_resid = k - p
    if tau2_estimator == "FE" or k == 1:
        tau2 = 0.0
    elif tau2_estimator == "DL":
        tau2 = _tau2_dl(y, v, x)
    elif tau2_estimator == "PM":
        tau2 = _tau2_pm(y, v, x)
    else:
        tau2, converged = _tau2_reml(y, v, x, reml_threshold)
        if not converged:
            raise InputError(
                f"REML did not converge (Fisher scoring, reml_threshold={reml_threshold}): "
                "leave reml_threshold at None or use tau2_estimator='PM'"
            )

    w_fe, inv_fe, _, resid_fe = _wls(y, v, x, 0.0)
    qe = float(np.sum(w_fe * resid_fe**2))
    if df_resid <= 0:
        i2, h2 = math.nan, math.nan
    elif tau2_estimator == "FE":
        i2 = max(0.0, (qe - df_resid) / qe) if qe > 0 else 0.0
        h2 = qe / df_resid
    else:
        s2 = df_resid / _trace_p(w_fe, x, inv_fe)  # "typical" within-study variance
        i2 = tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2

    w, inv, beta, resid = _wls(y, v, x, tau2)
    kh_factor = None
    vcov = inv
    if knapp_hartung is not None:
        if df_resid < 1:
            raise InputError(f"Knapp-Hartung needs k > p (k = {k}, p = {p})")
        kh_factor = float(np.sum(w * resid**2) / df_resid)
        if knapp_hartung == "knha" and is_negligible(resid, scale=y):
            raise InputError(
                "Knapp-Hartung: the effects are fitted exactly (all equal, or exactly on the "
                "moderators), so the Knapp-Hartung factor is 0 and the interval would have no "
                "width; use knapp_hartung='truncated' or False"
            )
        if knapp_hartung == "truncated":
            kh_factor = max(1.0, kh_factor)
        vcov = inv * kh_factor
    return _Fit(beta, vcov, tau2, qe, i2, h2, df_resid, w, kh_factor)
