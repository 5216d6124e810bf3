"""Selection on observables: propensity score, inverse probability weighting, augmented
(doubly robust) weighting, nearest-neighbour matching, overlap and balance diagnostics.

The propensity score is a statsmodels ``Logit`` (or ``Probit``) fit, and its scores and
Hessian feed the standard errors. The weighting estimators are M-estimators: their
standard errors come from the sandwich of the stacked estimating equations (the effect
and the propensity-score model together, as Stata's ``teffects`` does), written out here
because statsmodels' ``TreatmentEffect`` clips the scores at 0.01/0.99 inside its GMM and
has no doubly robust effect on the treated; the results are tested against Stata's output
stored with statsmodels. Matching uses scipy's k-d tree and the Abadie-Imbens (2006)
variance, written here because no Python package offers it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from scipy.spatial import cKDTree
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from impactlib.estimate import Estimate
from impactlib.experiment import difference_in_means
from impactlib.validation import (
    InputError,
    as_list,
    drop_missing,
    is_real,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
)

__all__ = [
    "Overlap",
    "PropensityScore",
    "aipw",
    "compare_estimators",
    "ipw",
    "ipw_weights",
    "nearest_neighbor_match",
    "overlap",
    "propensity_score",
    "trim_by_propensity",
    "weighted_balance",
]

_LINKS = {"logit": sm.Logit, "probit": sm.Probit}
_ESTIMANDS = ("ATT", "ATE")
_EXTREME = 1e-10  # a score this close to 0 or 1 is a perfect prediction


# --- propensity score --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PropensityScore:
    """A fitted propensity-score model (see :func:`propensity_score`).

    Attributes
    ----------
    scores : Series
        Estimated probability of treatment, indexed like the rows of ``data`` that were used.
    model : statsmodels results
        The ``Logit``/``Probit`` fit. Its regressors are the covariates standardised to mean
        0 and standard deviation 1 (for numerical stability), preceded by a constant;
        :attr:`coefficients` gives the coefficients on the original scale.
    treatment, covariates, link
        What was modelled, and how.
    n, n_dropped : int
        Rows used, rows dropped for missing values.
    """

    scores: pd.Series
    model: Any
    treatment: str
    covariates: list[str]
    link: str
    n: int
    n_dropped: int
    center: np.ndarray
    scale: np.ndarray

    @property
    def logit(self) -> pd.Series:
        """Log-odds of the scores, the scale on which matching calipers are set."""
        return pd.Series(
            _log_odds(self.model, self.scores.to_numpy()), index=self.scores.index, name="logit"
        )

    @property
    def coefficients(self) -> pd.Series:
        """Coefficients on the original scale of the covariates (intercept first)."""
        params = np.asarray(self.model.params)
        slopes = params[1:] / self.scale
        intercept = params[0] - float(np.sum(slopes * self.center))
        return pd.Series([intercept, *slopes], index=["const", *self.covariates])

    def summary(self) -> str:
        treated = self.scores[self.model.model.endog == 1]
        control = self.scores[self.model.model.endog == 0]
        return "\n".join(
            [
                f"Propensity score ({self.link}) of {self.treatment!r} on "
                f"{len(self.covariates)} covariate(s)",
                f"  treated: {len(treated)} units, scores in [{treated.min():.4g}, "
                f"{treated.max():.4g}]",
                f"  control: {len(control)} units, scores in [{control.min():.4g}, "
                f"{control.max():.4g}]",
                f"  n = {self.n}"
                + (
                    f"; {self.n_dropped} row(s) dropped for missing values"
                    if self.n_dropped
                    else ""
                ),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _prepare(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    outcome: str | None = None,
    more: Sequence[str] = (),
) -> tuple[pd.DataFrame, int, np.ndarray]:
    """Check the columns, drop and count rows with missing values, return the 0/1 treatment."""
    data = require_dataframe(data)
    if not covariates:
        raise InputError("covariates must name at least one column")
    if outcome is not None:
        require_columns(data, [outcome], role="outcome")
    require_columns(data, [treatment], role="treatment")
    every = list(dict.fromkeys([*covariates, *more]))
    require_columns(data, every, role="covariate")
    clash = {treatment, *([outcome] if outcome else [])} & set(every)
    if clash:
        raise InputError(f"covariate(s) {sorted(clash)} also used as outcome or treatment")
    used = [*([outcome] if outcome else []), treatment, *every]
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    if outcome is not None:
        require_numeric(kept, outcome, role="outcome")
        require_finite(kept, [outcome], role="outcome")
    for name in every:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, every, role="covariate")
    t = require_binary(kept, treatment)
    return kept, n_dropped, t


def _log_odds(fit: Any, scores: np.ndarray) -> np.ndarray:
    """Log-odds of the scores: the linear predictor of a logit (finite even where the score
    rounds to 0 or 1), ``log(e / (1 - e))`` of a probit."""
    if isinstance(fit.model, sm.Logit):
        return np.asarray(fit.model.exog @ np.asarray(fit.params), dtype=float)
    with np.errstate(divide="ignore"):
        return special.logit(scores)


def _separating(x: np.ndarray, t: np.ndarray, covariates: Sequence[str]) -> list[str]:
    """Covariates that alone separate the arms (every treated above every control, or below)."""
    found = []
    for j, name in enumerate(covariates):
        treated, control = x[t == 1, j], x[t == 0, j]
        if treated.min() >= control.max() or treated.max() <= control.min():
            found.append(name)
    return found


def _fit_propensity(
    t: np.ndarray, x: np.ndarray, *, treatment: str, covariates: Sequence[str], link: str
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """Fit the score model on standardised covariates; refuse separation clearly."""
    if link not in _LINKS:
        raise InputError(f"link must be one of {sorted(_LINKS)}, got {link!r}")
    center, scale = x.mean(axis=0), x.std(axis=0)
    constant = [c for c, s in zip(covariates, scale, strict=True) if s == 0]
    if constant:
        raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
    design = np.column_stack([np.ones(len(t)), (x - center) / scale])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise InputError(
            f"covariates {list(covariates)} are collinear in the propensity-score model: "
            "drop redundant ones"
        )
    model = _LINKS[link](t.astype(float), design)
    problem = None
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        try:
            fit = model.fit(disp=0, method="newton", maxiter=100)
            scores = np.asarray(fit.predict(), dtype=float)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            fit, problem = None, str(exc)
    if fit is not None:
        separated = any(
            issubclass(w.category, PerfectSeparationWarning | ConvergenceWarning) for w in caught
        )
        converged = bool(fit.mle_retvals.get("converged", True))
        if separated or not converged or not np.isfinite(fit.params).all():
            problem = "the fit did not converge"
    if problem is not None:
        if fit is not None:
            ones = int(((scores >= 1 - _EXTREME) & (t == 1)).sum())
            zeros = int(((scores <= _EXTREME) & (t == 0)).sum())
            counts = (
                f"{ones} treated unit(s) have a propensity score of 1 and {zeros} control "
                "unit(s) a score of 0 to numerical precision; "
            )
        else:
            counts = ""
        alone = _separating(x, t, covariates)
        culprit = f"covariate(s) {alone} alone separate the arms; " if alone else ""
        raise InputError(
            f"propensity-score model of treatment {treatment!r}: perfect or quasi-perfect "
            f"separation ({problem}): {counts}{culprit}units with propensity scores of 0 or 1 "
            "have no comparable units in the other arm. Drop or coarsen the offending "
            "covariates, or restrict the sample to the region of common support"
        )
    return fit, scores, center, scale


def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    link: str = "logit",
) -> PropensityScore:
    """Estimate the propensity score ``P(treatment = 1 | covariates)``.

    A logit (or probit) of the treatment on a constant and the covariates, fitted by
    statsmodels (Newton-Raphson) on standardised covariates; the scores do not depend on
    that rescaling. Add squares and interactions as columns to enrich the specification.
    Perfect or quasi-perfect separation (scores of 0 or 1) is refused with a message that
    counts the units concerned and names any covariate that separates the arms alone.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> df = pd.DataFrame({"x": x, "t": (rng.random(500) < 1 / (1 + np.exp(-x))).astype(int)})
    >>> ps = propensity_score(df, treatment="t", covariates=["x"])
    >>> ps.n, bool(ps.scores.between(0, 1).all()), float(round(ps.coefficients["x"], 2))
    (500, True, 1.27)
    """
    covariates = as_list(covariates)
    kept, n_dropped, t = _prepare(data, treatment=treatment, covariates=covariates)
    x = kept[covariates].to_numpy(dtype=float)
    fit, scores, center, scale = _fit_propensity(
        t, x, treatment=treatment, covariates=covariates, link=link
    )
    return PropensityScore(
        scores=pd.Series(scores, index=kept.index, name="propensity_score"),
        model=fit,
        treatment=treatment,
        covariates=covariates,
        link=link,
        n=len(kept),
        n_dropped=n_dropped,
        center=center,
        scale=scale,
    )


# --- inverse probability weighting and doubly robust estimation ------------------------


def _check_estimand(estimand: str) -> None:
    if estimand not in _ESTIMANDS:
        raise InputError(f"estimand must be one of {list(_ESTIMANDS)}, got {estimand!r}")


def _trim_bounds(trim: float | tuple[float, float] | None) -> tuple[float, float] | None:
    if trim is None:
        return None
    if is_real(trim):
        if not 0 < trim < 0.5:
            raise InputError(f"trim must be in (0, 0.5) or a (lower, upper) pair, got {trim!r}")
        return float(trim), 1.0 - float(trim)
    try:
        lower, upper = (float(v) for v in trim)
    except (TypeError, ValueError):
        raise InputError(f"trim must be a number or a (lower, upper) pair, got {trim!r}") from None
    if not 0.0 <= lower < upper <= 1.0:
        raise InputError(f"trim bounds must satisfy 0 <= lower < upper <= 1, got {trim!r}")
    return lower, upper


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
    crit = stats.norm.ppf(1 - alpha / 2)
    p_value = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else None
    n_treated = int(fitted.t.sum())
    return Estimate(
        value=value,
        std_error=se,
        ci_low=value - crit * se,
        ci_high=value + crit * se,
        p_value=p_value,
        n=len(fitted.t),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design="selection on observables",
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


def _ols(y: np.ndarray, x: np.ndarray, arm: str, outcome: str) -> np.ndarray:
    if len(y) <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        raise InputError(
            f"outcome model of {outcome!r} in the {arm} arm: {len(y)} units cannot fit "
            f"{x.shape[1]} coefficients (too few units or collinear covariates in that arm)"
        )
    return np.asarray(sm.OLS(y, x).fit().params)


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
    _check_estimand(estimand)
    require_probability(alpha, name="alpha")
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
        trim=trim,
        link=link,
    )
    y, t, e = fitted.y, fitted.t, fitted.scores
    _refuse_infinite_weights(e, t, estimand, treatment)
    n = len(y)
    xo = np.column_stack([np.ones(n), fitted.kept[outcome_covariates].to_numpy(dtype=float)])
    q = xo.shape[1]
    gamma0 = _ols(y[t == 0], xo[t == 0], "control", outcome)
    m0 = xo @ gamma0
    score, hessian, density = _ps_blocks(fitted)
    x = fitted.ps_design
    k = x.shape[1]
    psi_gamma0 = ((1 - t) * (y - m0))[:, None] * xo
    jac_gamma0 = -(xo * (1 - t)[:, None]).T @ xo / n
    if estimand == "ATE":
        gamma1 = _ols(y[t == 1], xo[t == 1], "treated", outcome)
        m1 = xo @ gamma1
        phi1 = m1 + t * (y - m1) / e
        phi0 = m0 + (1 - t) * (y - m0) / (1 - e)
        mu1, mu0 = phi1.mean(), phi0.mean()
        psi_gamma1 = (t * (y - m1))[:, None] * xo
        psi = np.column_stack([phi1 - mu1, phi0 - mu0, psi_gamma1, psi_gamma0, score])
        size = 2 + 2 * q + k
        g1, g0, b = slice(2, 2 + q), slice(2 + q, 2 + 2 * q), slice(2 + 2 * q, size)
        jac = np.zeros((size, size))
        jac[0, 0] = jac[1, 1] = -1.0
        jac[0, g1] = (1 - t / e) @ xo / n
        jac[0, b] = (-t * (y - m1) / e**2 * density) @ x / n
        jac[1, g0] = (1 - (1 - t) / (1 - e)) @ xo / n
        jac[1, b] = ((1 - t) * (y - m0) / (1 - e) ** 2 * density) @ x / n
        jac[g1, g1] = -(xo * t[:, None]).T @ xo / n
        jac[g0, g0] = jac_gamma0
        jac[b, b] = hessian
        value = mu1 - mu0
        label = "ATE"
    else:
        w = (1 - t) * e / (1 - e)
        resid = y - m0
        a = (t @ resid) / t.sum()
        c = (w @ resid) / w.sum()
        psi = np.column_stack([t * (resid - a), w * (resid - c), psi_gamma0, score])
        size = 2 + q + k
        g0, b = slice(2, 2 + q), slice(2 + q, size)
        jac = np.zeros((size, size))
        jac[0, 0] = -t.mean()
        jac[1, 1] = -w.mean()
        jac[0, g0] = -(t @ xo) / n
        jac[1, g0] = -(w @ xo) / n
        jac[1, b] = ((1 - t) * (resid - c) / (1 - e) ** 2 * density) @ x / n
        jac[g0, g0] = jac_gamma0
        jac[b, b] = hessian
        value = a - c
        label = "ATT"
    vcov = _sandwich(psi, jac)
    contrast = np.zeros(size)
    contrast[:2] = [1.0, -1.0]
    extra = {
        **_ps_extra(fitted, link, trim, covariates),
        "outcome_covariates": outcome_covariates,
        "se_method": "influence function (stacked M-estimation sandwich, nuisance models "
        "accounted for)",
    }
    return _estimate(
        float(value),
        float(contrast @ vcov @ contrast),
        alpha=alpha,
        fitted=fitted,
        outcome=outcome,
        treatment=treatment,
        estimand=label,
        method=(
            f"Augmented inverse probability weighting, doubly robust ({label}, {link} "
            "propensity score, linear outcome model), influence-function standard errors"
        ),
        extra=extra,
    )


# --- matching ------------------------------------------------------------------------------


def _metric_space(x: np.ndarray, metric: str, covariates: Sequence[str]) -> np.ndarray:
    """Coordinates in which the matching distance is Euclidean."""
    if metric == "inverse_variance":
        scale = x.std(axis=0, ddof=1)
        return x / scale
    if metric == "mahalanobis":
        cov = np.atleast_2d(np.cov(x, rowvar=False))
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise InputError(
                f"covariates {list(covariates)} are collinear: the Mahalanobis distance is "
                "undefined"
            ) from None
        return np.linalg.solve(chol, x.T).T
    raise InputError(f"metric must be 'inverse_variance' or 'mahalanobis', got {metric!r}")


def _match(
    source: np.ndarray, target: np.ndarray, m: int, radius: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest neighbours in ``target`` of each ``source`` point, with replacement.

    Returns, as flat arrays, the source row, the target row and the weight ``1 / |J(i)|``
    of each match; ties at the ``m``-th distance are all kept (Abadie & Imbens 2006).
    With ``radius`` only targets that close count; sources with none are left out.
    """
    tree = cKDTree(target)
    dist, _ = tree.query(source, k=min(m, len(target)))
    dist = dist.reshape(len(source), -1)[:, -1]
    reach = dist * (1 + 1e-9) + 1e-12
    if radius is not None:
        reach = np.minimum(reach, radius)
    found = tree.query_ball_point(source, r=reach)
    counts = np.array([len(f) for f in found])
    rows = np.repeat(np.arange(len(source)), counts)
    cols = np.concatenate([np.asarray(f, dtype=np.intp) for f in found]) if rows.size else rows
    weights = np.repeat(1.0 / np.maximum(counts, 1), counts)
    return rows, cols, weights


def _match_without_replacement(
    source: np.ndarray, target: np.ndarray, m: int, radius: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy matching without replacement, hardest source first (largest distance to its
    nearest target), each source taking its ``m`` nearest unused targets."""
    tree = cKDTree(target)
    first, _ = tree.query(source, k=1)
    order = np.argsort(-np.asarray(first), kind="stable")
    used = np.zeros(len(target), dtype=bool)
    rows, cols = [], []
    for i in order:
        k = min(len(target), m + int(used.sum()))
        dist, idx = tree.query(source[i], k=k)
        dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
        keep = ~used[idx]
        if radius is not None:
            keep &= dist <= radius
        chosen = idx[keep][:m]
        used[chosen] = True
        rows += [i] * len(chosen)
        cols += chosen.tolist()
    rows_a, cols_a = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    counts = np.bincount(rows_a, minlength=len(source))
    return rows_a, cols_a, 1.0 / counts[rows_a]


def _conditional_variance(z: np.ndarray, y: np.ndarray, j: int) -> np.ndarray:
    """Abadie & Imbens (2006, eq. 14): ``J / (J + 1) * (Y_i - mean of its J nearest
    same-arm neighbours)^2``."""
    tree = cKDTree(z)
    _, idx = tree.query(z, k=j + 1)
    idx = idx.reshape(len(z), -1)
    others = idx != np.arange(len(z))[:, None]
    # Keep the first J neighbours that are not the unit itself.
    keep = others & (np.cumsum(others, axis=1) <= j)
    neighbours = idx[keep].reshape(len(z), j)
    return j / (j + 1) * (y - y[neighbours].mean(axis=1)) ** 2


def nearest_neighbor_match(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    on: str = "covariates",
    n_neighbors: int = 1,
    caliper: float | None = None,
    replace: bool = True,
    estimand: str = "ATT",
    metric: str = "inverse_variance",
    bias_adjust: bool = False,
    variance_neighbors: int = 2,
    link: str = "logit",
    alpha: float = 0.05,
) -> Estimate:
    """Nearest-neighbour matching estimator of the ATT (or ATE).

    Each treated unit is matched to its ``n_neighbors`` nearest controls (ties kept) and
    its missing outcome imputed by their mean; for the ATE controls are matched to treated
    units too (Abadie & Imbens 2006). ``on="covariates"`` matches on the covariates with
    the ``metric`` distance (``"inverse_variance"``: Euclidean after dividing each covariate
    by its standard deviation, as in Abadie & Imbens; or ``"mahalanobis"``);
    ``on="propensity"`` matches on the logit of the :func:`propensity_score` of the
    covariates. ``caliper`` (propensity matching only) is a maximum distance in standard
    deviations of the logit score, pooled over the arms (0.2 is Austin's 2011 advice):
    treated units without a control that close are left out (for the ATE, controls without
    a treated unit too), which changes the estimand to the effect on the matched units
    (``extra["n_unmatched"]`` counts the others). With ``bias_adjust`` the
    imputed outcomes are corrected by a linear regression of the outcome on the covariates
    among the matched units of the other arm (Abadie & Imbens 2011).

    Standard error: the Abadie-Imbens (2006, Theorem 7) variance for the population effect,
    ``(1/N1^2) [sum_treated (Y_i - Yhat_i(0) - tau)^2 + sum_controls (K_j^2 - K2_j)
    sigma2_j]`` for the ATT (``K_j`` the number of times control ``j`` is used, each match
    weighted by ``1 / |J(i)|``, ``K2_j`` the sum of the squared weights) and its analogue
    for the ATE, with ``sigma2`` estimated by matching within arms on ``variance_neighbors``
    neighbours. It is valid for matching on covariates with replacement. It treats the
    propensity score as known: with an estimated score the correct variance differs
    (Abadie & Imbens 2016), in either direction for the ATT, so do not rely on its coverage
    with ``on="propensity"``. Without replacement (``replace=False``, greedy, ATT only) it
    reduces to the matched-pair variance, which ignores that the pairs depend on the sample.
    Without bias adjustment matching on several continuous covariates is biased in finite
    samples (Abadie & Imbens 2006). Normal intervals.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=1500)
    >>> t = (rng.random(1500) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "t": t, "y": 2.0 * t + x + rng.normal(size=1500)})
    >>> est = nearest_neighbor_match(df, outcome="y", treatment="t", covariates="x")
    >>> round(est.value, 2), round(est.std_error, 3), est.n_treated
    (2.16, 0.072, 791)
    """
    _check_estimand(estimand)
    require_probability(alpha, name="alpha")
    covariates = as_list(covariates)
    if on not in ("covariates", "propensity"):
        raise InputError(f"on must be 'covariates' or 'propensity', got {on!r}")
    for name, value in (("n_neighbors", n_neighbors), ("variance_neighbors", variance_neighbors)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    if caliper is not None:
        if on != "propensity":
            raise InputError(
                "caliper is in standard deviations of the logit propensity score: use it "
                "with on='propensity'"
            )
        if not (is_real(caliper) and math.isfinite(caliper) and caliper > 0):
            raise InputError(f"caliper must be a positive number, got {caliper!r}")
    if not replace and estimand != "ATT":
        raise InputError("matching without replacement is implemented for the ATT only")
    kept, n_dropped, t = _prepare(data, treatment=treatment, covariates=covariates, outcome=outcome)
    y = kept[outcome].to_numpy(dtype=float)
    x = kept[covariates].to_numpy(dtype=float)
    treated, control = t == 1, t == 0
    smallest = min(int(treated.sum()), int(control.sum()))
    if smallest <= variance_neighbors:
        raise InputError(
            f"treatment column {treatment!r}: each arm needs more than {variance_neighbors} "
            f"units to estimate the variance (treated {int(treated.sum())}, control "
            f"{int(control.sum())})"
        )
    radius = None
    if on == "propensity":
        fit, scores, _, _ = _fit_propensity(
            t, x, treatment=treatment, covariates=covariates, link=link
        )
        logit = _log_odds(fit, scores)
        if not np.isfinite(logit).all():
            raise InputError(
                f"treatment {treatment!r}: propensity scores of exactly 0 or 1 cannot be "
                "matched on the logit scale: restrict the sample to the region of overlap"
            )
        z = logit[:, None]
        if caliper is not None:
            pooled = math.sqrt((logit[treated].var(ddof=1) + logit[control].var(ddof=1)) / 2)
            radius = caliper * pooled
    else:
        constant = [c for c, s in zip(covariates, x.std(axis=0), strict=True) if s == 0]
        if constant:
            raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
        z = _metric_space(x, metric, covariates)

    index = {1: np.flatnonzero(treated), 0: np.flatnonzero(control)}
    design = np.column_stack([np.ones(len(y)), x])
    k1, k2 = np.zeros(len(y)), np.zeros(len(y))
    imputed = np.full(len(y), np.nan)  # the other arm's outcome, where it was imputed
    sources = (1,) if estimand == "ATT" else (1, 0)
    n_unmatched = 0
    for arm in sources:
        src, tgt = index[arm], index[1 - arm]
        if replace:
            rows, cols, weights = _match(z[src], z[tgt], n_neighbors, radius)
        else:
            rows, cols, weights = _match_without_replacement(z[src], z[tgt], n_neighbors, radius)
        matched = np.unique(rows)
        n_unmatched += len(src) - len(matched)
        if matched.size == 0:
            src_arm, tgt_arm = ("treated", "control") if arm == 1 else ("control", "treated")
            raise InputError(
                f"caliper {caliper} leaves no {src_arm} unit with a {tgt_arm} unit within "
                f"{radius:.4g} on the logit propensity score: widen the caliper"
            )
        target_rows = tgt[cols]
        values = y[target_rows]
        if bias_adjust:
            used = np.bincount(cols, weights=weights, minlength=len(tgt))
            sel = used > 0
            slope = np.asarray(
                sm.WLS(y[tgt][sel], design[tgt][sel], weights=used[sel]).fit().params
            )
            values = values + (design[src[rows]] - design[target_rows]) @ slope
        imputed[src[matched]] = np.bincount(rows, weights=weights * values, minlength=len(src))[
            matched
        ]
        np.add.at(k1, target_rows, weights)
        np.add.at(k2, target_rows, weights**2)
    has = ~np.isnan(imputed)
    effect = np.where(treated, y - imputed, imputed - y)
    if estimand == "ATT":
        units = has & treated
    else:
        units = has
    value = float(effect[units].mean())
    size = int(units.sum())
    sigma2 = np.empty(len(y))
    for arm in (1, 0):
        sigma2[index[arm]] = _conditional_variance(z[index[arm]], y[index[arm]], variance_neighbors)
    spread = float(((effect[units] - value) ** 2).sum())
    if estimand == "ATT":
        extra_term = float(((k1**2 - k2) * sigma2)[control].sum())
        sample_term = float(sigma2[units].sum() + (k1**2 * sigma2)[control].sum())
    else:
        extra_term = float(((k1**2 + 2 * k1 - k2) * sigma2).sum())
        sample_term = float(((1 + k1) ** 2 * sigma2).sum())
    variance = (spread + extra_term) / size**2
    se = math.sqrt(max(variance, 0.0))
    crit = stats.norm.ppf(1 - alpha / 2)
    p_value = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else None
    what = "logit propensity score" if on == "propensity" else f"covariates ({metric})"
    method = (
        f"Nearest-neighbour matching on the {what}, {n_neighbors} neighbour(s), "
        + ("with" if replace else "without")
        + " replacement"
        + (f", caliper {caliper} SD" if caliper is not None else "")
        + (", bias-adjusted" if bias_adjust else "")
        + f" ({estimand}), Abadie-Imbens standard errors"
    )
    return Estimate(
        value=value,
        std_error=se,
        ci_low=value - crit * se,
        ci_high=value + crit * se,
        p_value=p_value,
        n=len(y),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design="selection on observables",
        estimand=estimand,
        n_treated=int((units & treated).sum()),
        n_control=int(control.sum()) if estimand == "ATT" else int((units & control).sum()),
        n_dropped=n_dropped,
        alpha=alpha,
        extra={
            "covariates": covariates,
            "on": on,
            "metric": metric if on == "covariates" else None,
            "n_neighbors": int(n_neighbors),
            "caliper": caliper,
            "caliper_distance": radius,
            "replace": bool(replace),
            "bias_adjust": bool(bias_adjust),
            "n_unmatched": int(n_unmatched),
            "n_controls_used": int((k1[control] > 0).sum()),
            "se_sample": math.sqrt(sample_term) / size,
            "se_method": "Abadie-Imbens (2006) population variance"
            + ("; propensity score treated as known" if on == "propensity" else ""),
        },
    )


# --- overlap and balance ---------------------------------------------------------------------


def _scores_frame(
    data: pd.DataFrame, ps: str | Sequence[float] | pd.Series | PropensityScore
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``data`` that have a score, and the scores as an array."""
    data = require_dataframe(data)
    if isinstance(ps, PropensityScore):
        missing = ps.scores.index.difference(data.index)
        if len(missing):
            raise InputError(
                f"the propensity scores cover {len(missing)} row label(s) absent from data"
            )
        frame, scores = data.loc[ps.scores.index], ps.scores.to_numpy(dtype=float)
    elif isinstance(ps, str):
        require_columns(data, [ps], role="propensity score")
        require_numeric(data, ps, role="propensity score")
        frame, scores = data, data[ps].to_numpy(dtype=float)
    else:
        scores = np.asarray(ps, dtype=float)
        if scores.shape != (len(data),):
            raise InputError(
                f"ps must have one value per row of data ({len(data)}), got shape {scores.shape}"
            )
        frame = data
    if np.isnan(scores).any():
        raise InputError(f"propensity scores have {int(np.isnan(scores).sum())} missing value(s)")
    if ((scores < 0) | (scores > 1)).any():
        raise InputError("propensity scores must lie in [0, 1]")
    return frame, scores


@dataclass(frozen=True, eq=False)
class Overlap:
    """Overlap diagnostics (see :func:`overlap`)."""

    table: pd.DataFrame
    common_support: tuple[float, float]
    n_outside: int
    share_outside: float

    def summary(self) -> str:
        low, high = self.common_support
        lines = [
            "Overlap of the propensity score",
            f"  common support (min-max): [{low:.4g}, {high:.4g}]; {self.n_outside} unit(s) "
            f"outside ({self.share_outside:.1%})",
        ]
        for arm, row in self.table.iterrows():
            lines.append(
                f"  {arm}: n = {int(row['n'])}, range [{row['min']:.4g}, {row['max']:.4g}], "
                f"outside support {row['share_outside']:.1%}, outside [0.1, 0.9] "
                f"{row['share_outside_crump']:.1%}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def overlap(
    data: pd.DataFrame,
    *,
    treatment: str,
    ps: str | Sequence[float] | pd.Series | PropensityScore,
) -> Overlap:
    """Propensity-score overlap by arm: ranges, quantiles and units outside common support.

    The common support is the min-max interval where both arms have scores
    (``[max(min1, min0), min(max1, max0)]``, Dehejia & Wahba 1999); the table also gives
    the share of each arm outside ``[0.1, 0.9]``, the Crump et al. (2009) rule of thumb.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "e": [0.3, 0.6, 0.95, 0.05, 0.2, 0.5]})
    >>> ov = overlap(df, treatment="t", ps="e")
    >>> ov.common_support, ov.n_outside
    ((0.3, 0.5), 4)
    """
    frame, scores = _scores_frame(data, ps)
    require_columns(frame, [treatment], role="treatment")
    t = require_binary(frame, treatment) == 1
    low = max(scores[t].min(), scores[~t].min())
    high = min(scores[t].max(), scores[~t].max())
    outside = (scores < low) | (scores > high)
    crump = (scores < 0.1) | (scores > 0.9)
    rows = {}
    for label, arm in (("treated", t), ("control", ~t)):
        s = scores[arm]
        rows[label] = {
            "n": int(arm.sum()),
            "min": float(s.min()),
            "p01": float(np.quantile(s, 0.01)),
            "p05": float(np.quantile(s, 0.05)),
            "median": float(np.median(s)),
            "p95": float(np.quantile(s, 0.95)),
            "p99": float(np.quantile(s, 0.99)),
            "max": float(s.max()),
            "n_outside": int(outside[arm].sum()),
            "share_outside": float(outside[arm].mean()),
            "share_outside_crump": float(crump[arm].mean()),
        }
    return Overlap(
        table=pd.DataFrame.from_dict(rows, orient="index"),
        common_support=(float(low), float(high)),
        n_outside=int(outside.sum()),
        share_outside=float(outside.mean()),
    )


def trim_by_propensity(
    data: pd.DataFrame,
    *,
    ps: str | Sequence[float] | pd.Series | PropensityScore,
    lower: float = 0.1,
    upper: float = 0.9,
) -> pd.DataFrame:
    """Keep the rows whose propensity score lies in ``[lower, upper]``.

    The default is the rule of thumb of Crump, Hotz, Imbens & Mitnik (2009, Biometrika
    96(1)): dropping units with scores outside [0.1, 0.9] gives a nearly efficient estimate
    of the effect on the remaining population. ``attrs["n_trimmed"]`` counts the rows
    removed. The estimand changes to that population: say so when reporting.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "e": [0.95, 0.5, 0.4, 0.02]})
    >>> kept = trim_by_propensity(df, ps="e")
    >>> len(kept), kept.attrs["n_trimmed"]
    (2, 2)
    """
    bounds = _trim_bounds((lower, upper))
    frame, scores = _scores_frame(data, ps)
    inside = (scores >= bounds[0]) & (scores <= bounds[1])
    kept = frame[inside].copy()
    kept.attrs["n_trimmed"] = int((~inside).sum())
    return kept


def weighted_balance(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    weights: str | Sequence[float] | pd.Series,
) -> pd.DataFrame:
    """Standardised mean differences before and after weighting.

    Both use the unweighted pooled standard deviation ``sqrt((s1^2 + s0^2) / 2)`` as the
    denominator, so that the change reflects the means only (Austin & Stuart 2015, Stat.
    Med. 34(28)); |SMD| below 0.1 is the usual target. Feed it :func:`ipw_weights`, or
    matching weights.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "x": [1.0, 3.0, 0.0, 4.0], "w": [1, 1, 3, 1]})
    >>> weighted_balance(df, treatment="t", covariates="x", weights="w")["smd_weighted"].round(3)
    x    0.447
    Name: smd_weighted, dtype: float64
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    if isinstance(weights, str):
        require_columns(data, [weights], role="weights")
        w = data[weights].to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(data),):
            raise InputError(f"weights must have one value per row of data ({len(data)})")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("weights must be finite and non-negative")
    t = require_binary(data, treatment) == 1
    if w[t].sum() == 0 or w[~t].sum() == 0:
        raise InputError("weights must give each arm a positive total weight")
    rows = {}
    for name in covariates:
        require_numeric(data, name, role="covariate")
        x = data[name].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        x1, x0 = x[t & ok], x[~t & ok]
        w1, w0 = w[t & ok], w[~t & ok]
        sd = math.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
        m1, m0 = x1.mean(), x0.mean()
        mw1, mw0 = np.average(x1, weights=w1), np.average(x0, weights=w0)
        rows[name] = {
            "mean_treated": m1,
            "mean_control": m0,
            "smd": (m1 - m0) / sd if sd > 0 else np.nan,
            "mean_treated_weighted": mw1,
            "mean_control_weighted": mw0,
            "smd_weighted": (mw1 - mw0) / sd if sd > 0 else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# --- side by side ----------------------------------------------------------------------------


def compare_estimators(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str],
    outcome_covariates: str | Sequence[str] | None = None,
    match_covariates: str | Sequence[str] | None = None,
    estimand: str = "ATT",
    trim: float | tuple[float, float] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The naive difference in means beside IPW, AIPW and matching, as a tidy table.

    ``covariates`` specify the propensity score of :func:`ipw` and :func:`aipw` (and of
    propensity-score matching); ``outcome_covariates`` the outcome model of :func:`aipw`;
    ``match_covariates`` adds a row for bias-adjusted matching on those covariates. One
    row per method with estimate, standard error, interval, n and the :class:`Estimate`
    itself (column ``record``). With ``trim`` the sample is first restricted to the units
    whose propensity score (estimated on all units) lies within the bounds, and every
    estimator, the naive one included, runs on that sample (``n_trimmed`` counts the rest).

    Recipe for the NSW treated units against CPS controls (Dehejia & Wahba 1999, 2002): add
    ``age**2``, ``age**3``, ``educ**2``, ``u74 = (re74 == 0)``, ``u75 = (re75 == 0)`` and
    ``educ * re74`` to ``age, educ, marr, nodegree, black, hisp, re74, re75`` as the
    propensity specification (the one Cunningham 2021, *Causal Inference: The Mixtape*,
    ch. 5, uses for these data) and compare with the experimental 1794.34.
    """
    covariates = as_list(covariates)
    n_trimmed = 0
    if trim is not None:
        bounds = _trim_bounds(trim)
        first = propensity_score(data, treatment=treatment, covariates=covariates)
        data = trim_by_propensity(data, ps=first, lower=bounds[0], upper=bounds[1])
        n_trimmed = int(data.attrs["n_trimmed"])
    common = {"outcome": outcome, "treatment": treatment, "alpha": alpha}
    rows = [("difference in means (naive)", difference_in_means(data, **common))]
    rows.append(("IPW", ipw(data, covariates=covariates, estimand=estimand, **common)))
    rows.append(
        (
            "AIPW",
            aipw(
                data,
                covariates=covariates,
                outcome_covariates=outcome_covariates,
                estimand=estimand,
                **common,
            ),
        )
    )
    rows.append(
        (
            "matching (propensity score)",
            nearest_neighbor_match(
                data, covariates=covariates, on="propensity", estimand=estimand, **common
            ),
        )
    )
    if match_covariates is not None:
        rows.append(
            (
                "matching (covariates, bias-adjusted)",
                nearest_neighbor_match(
                    data,
                    covariates=as_list(match_covariates),
                    estimand=estimand,
                    bias_adjust=True,
                    **common,
                ),
            )
        )
    return pd.DataFrame(
        [
            {
                "method": name,
                "estimand": est.estimand,
                "estimate": est.value,
                "std_error": est.std_error,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "n": est.n,
                "n_treated": est.n_treated,
                "n_trimmed": n_trimmed,
                "record": est,
            }
            for name, est in rows
        ]
    )
