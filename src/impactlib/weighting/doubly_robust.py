"""Augmented inverse probability weighting: the doubly robust estimator."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, as_list, has_full_rank
from impactlib.weighting.mestimation import _estimate, _fit_for_effect, _Fitted, _ps_blocks


def _ols(y: np.ndarray, x: np.ndarray, arm: str, outcome: str) -> np.ndarray:
    if len(y) <= x.shape[1] or not has_full_rank(x):
        raise InputError(
            f"outcome model of {outcome!r} in the {arm} arm: {len(y)} units cannot fit "
            f"{x.shape[1]} coefficients (too few units or collinear outcome_covariates in "
            "that arm)"
        )
    return np.asarray(sm.OLS(y, x).fit().params)


def _arm_model(
    fitted: _Fitted, xo: np.ndarray, arm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outcome regression fitted in one arm: its predictions for every unit, its
    estimating functions and their mean Jacobian."""
    y, t = fitted.y, fitted.t
    in_arm = t if arm == 1 else 1 - t
    name = "treated" if arm == 1 else "control"
    gamma = _ols(y[t == arm], xo[t == arm], name, fitted.outcome)
    m = xo @ gamma
    psi = (in_arm * (y - m))[:, None] * xo
    jacobian = -(xo * in_arm[:, None]).T @ xo / len(y)
    return m, psi, jacobian


def _ate_equations(fitted: _Fitted, xo: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """ATE: the two augmented means, both outcome regressions and the propensity score."""
    y, t, e = fitted.y, fitted.t, fitted.scores
    n, q = xo.shape
    m1, psi_gamma1, jac_gamma1 = _arm_model(fitted, xo, 1)
    m0, psi_gamma0, jac_gamma0 = _arm_model(fitted, xo, 0)
    score, hessian, density = _ps_blocks(fitted)
    x = fitted.ps_design
    phi1 = m1 + t * (y - m1) / e
    phi0 = m0 + (1 - t) * (y - m0) / (1 - e)
    mu1, mu0 = phi1.mean(), phi0.mean()
    psi = np.column_stack([phi1 - mu1, phi0 - mu0, psi_gamma1, psi_gamma0, score])
    size = psi.shape[1]
    g1, g0, b = slice(2, 2 + q), slice(2 + q, 2 + 2 * q), slice(2 + 2 * q, size)
    jac = np.zeros((size, size))
    jac[0, 0] = jac[1, 1] = -1.0
    jac[0, g1] = (1 - t / e) @ xo / n
    jac[0, b] = (-t * (y - m1) / e**2 * density) @ x / n
    jac[1, g0] = (1 - (1 - t) / (1 - e)) @ xo / n
    jac[1, b] = ((1 - t) * (y - m0) / (1 - e) ** 2 * density) @ x / n
    jac[g1, g1] = jac_gamma1
    jac[g0, g0] = jac_gamma0
    jac[b, b] = hessian
    return mu1 - mu0, psi, jac


def _att_equations(fitted: _Fitted, xo: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """ATT: the treated and weighted control means of the control-model residuals, the
    control regression and the propensity score."""
    y, t, e = fitted.y, fitted.t, fitted.scores
    n, q = xo.shape
    m0, psi_gamma0, jac_gamma0 = _arm_model(fitted, xo, 0)
    score, hessian, density = _ps_blocks(fitted)
    x = fitted.ps_design
    w = (1 - t) * e / (1 - e)
    resid = y - m0
    a = (t @ resid) / t.sum()
    c = (w @ resid) / w.sum()
    psi = np.column_stack([t * (resid - a), w * (resid - c), psi_gamma0, score])
    size = psi.shape[1]
    g0, b = slice(2, 2 + q), slice(2 + q, size)
    jac = np.zeros((size, size))
    jac[0, 0] = -t.mean()
    jac[1, 1] = -w.mean()
    jac[0, g0] = -(t @ xo) / n
    jac[1, g0] = -(w @ xo) / n
    jac[1, b] = ((1 - t) * (resid - c) / (1 - e) ** 2 * density) @ x / n
    jac[g0, g0] = jac_gamma0
    jac[b, b] = hessian
    return a - c, psi, jac


def aipw(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    outcome_covariates: str | Sequence[str] | None = None,
    estimand: str = "ATE",
    trim: float | tuple[float, float] | None = None,
    link: str = "logit",
    alpha: float = 0.05,
) -> Estimate:
    """Augmented inverse probability weighting: the doubly robust estimator.

    Consistent when either the propensity-score model or the outcome model is correct
    (Robins, Rotnitzky & Zhao 1994; Bang & Robins 2005). The outcome model is OLS of the
    outcome on ``outcome_covariates`` (default: ``covariates``), fitted in each arm. ATE:
    ``mean(m1 - m0 + T (Y - m1) / e - (1 - T) (Y - m0) / (1 - e))``, the form of Stata's
    ``teffects aipw``. ATT: ``mean_T(Y - m0) - sum(w (Y - m0)) / sum(w)`` with
    ``w = (1 - T) e / (1 - e)``, the normalised doubly robust estimator of the effect on
    the treated (Sant'Anna & Zhao 2020, eq. 3.1, with one period). The standard error comes
    from the influence function of the whole procedure: the sandwich of the stacked
    estimating equations of the effect, the outcome regressions and the propensity-score
    likelihood (it reproduces Stata's standard error for the ATE). Normal intervals;
    ``trim`` as in :func:`ipw`.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=2000)
    >>> t = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "t": t, "y": 2.0 * t + x + rng.normal(size=2000)})
    >>> est = aipw(df, outcome="y", treatment="t", covariates="x", estimand="ATT")
    >>> bool(est.ci_low < 2.0 < est.ci_high)
    True
    """
    covariates = as_list(covariates)
    outcome_covariates = covariates if outcome_covariates is None else as_list(outcome_covariates)
    if not outcome_covariates:
        raise InputError("outcome_covariates must name at least one column")
    fitted = _fit_for_effect(
        data,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        more=outcome_covariates,
        estimand=estimand,
        trim=trim,
        link=link,
        alpha=alpha,
    )
    regressors = fitted.kept[outcome_covariates].to_numpy(dtype=float)
    xo = np.column_stack([np.ones(len(fitted.y)), regressors])
    equations = _ate_equations if estimand == "ATE" else _att_equations
    value, psi, jac = equations(fitted, xo)
    return _estimate(
        fitted,
        value,
        psi,
        jac,
        method=(
            f"Augmented inverse probability weighting, doubly robust ({estimand}, {link} "
            "propensity score, linear outcome model), influence-function standard errors"
        ),
        extra={
            "outcome_covariates": outcome_covariates,
            "se_method": "influence function (stacked M-estimation sandwich, nuisance models "
            "accounted for)",
        },
    )
