"""The stacked estimating equations shared by IPW and AIPW: the propensity model fitted for
an effect, its score and Hessian blocks, the M-estimation sandwich and the record."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import InputError
from impactlib.weighting.propensity import (
    _check_effect_options,
    _fit_propensity,
    _prepare,
    _trim_bounds,
)


@dataclass
class _Fitted:
    """Data and propensity model after checks and optional trimming, and the options of the
    estimator (what its record repeats)."""

    y: np.ndarray
    t: np.ndarray
    ps_design: np.ndarray
    fit: Any
    scores: np.ndarray
    kept: pd.DataFrame
    n_dropped: int
    n_trimmed: int
    outcome: str
    treatment: str
    covariates: list[str]
    estimand: str
    trim: float | tuple[float, float] | None
    link: str
    alpha: float


def _fit_for_effect(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    more: Sequence[str] = (),
    estimand: str,
    trim: float | tuple[float, float] | None,
    link: str,
    alpha: float,
) -> _Fitted:
    """Check the options, fit the propensity score (again on the units inside ``trim``) and
    refuse scores that give infinite weights."""
    covariates = _check_effect_options(covariates, estimand=estimand, alpha=alpha)
    bounds = _trim_bounds(trim)
    kept, n_dropped, t = _prepare(
        data, treatment=treatment, covariates=covariates, outcome=outcome, more=more
    )
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
    _refuse_infinite_weights(scores, t, estimand, treatment)
    return _Fitted(
        y=kept[outcome].to_numpy(dtype=float),
        t=t.astype(float),
        ps_design=np.asarray(fit.model.exog),
        fit=fit,
        scores=scores,
        kept=kept,
        n_dropped=n_dropped,
        n_trimmed=n_trimmed,
        outcome=outcome,
        treatment=treatment,
        covariates=covariates,
        estimand=estimand,
        trim=trim,
        link=link,
        alpha=alpha,
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
    fitted: _Fitted,
    value: float,
    psi: np.ndarray,
    jacobian: np.ndarray,
    *,
    method: str,
    extra: dict[str, Any],
) -> Estimate:
    """The record of an effect ``theta_0 - theta_1`` (the first two parameters of the
    stacked equations ``psi``), with its sandwich standard error."""
    vcov = _sandwich(psi, jacobian)
    contrast = np.zeros(psi.shape[1])
    contrast[:2] = [1.0, -1.0]
    variance = float(contrast @ vcov @ contrast)
    n_treated = int(fitted.t.sum())
    return wald_estimate(
        float(value),
        math.sqrt(max(variance, 0.0)),
        alpha=fitted.alpha,
        n=len(fitted.t),
        method=method,
        outcome=fitted.outcome,
        treatment=fitted.treatment,
        design="weighting",
        estimand=fitted.estimand,
        n_treated=n_treated,
        n_control=len(fitted.t) - n_treated,
        n_dropped=fitted.n_dropped,
        extra={**_ps_extra(fitted), **extra},
    )


def _ps_extra(fitted: _Fitted) -> dict[str, Any]:
    s, t = fitted.scores, fitted.t == 1
    return {
        "ps_covariates": fitted.covariates,
        "link": fitted.link,
        "trim": list(_trim_bounds(fitted.trim)) if fitted.trim is not None else None,
        "n_trimmed": fitted.n_trimmed,
        "ps_range_treated": [float(s[t].min()), float(s[t].max())],
        "ps_range_control": [float(s[~t].min()), float(s[~t].max())],
    }
