"""Event rates: rate ratios and rate differences from count outcomes with an exposure.

Falls per person-year, hospital admissions per month at home: the outcome is a count of
events over a follow-up time (the *exposure*) that differs from person to person. The
effect is a **rate ratio** (treated rate / control rate), estimated on the log scale by a
log-linear model with ``log(exposure)`` as offset, or a **rate difference** (events per
unit of exposure). Numerics are delegated to statsmodels: the negative-binomial dispersion
is its maximum-likelihood estimate (``statsmodels.discrete.NegativeBinomial``, NB2), the
coefficients and their sandwich covariance come from ``statsmodels.api.GLM`` (cluster-robust
CR1 when the clusters are given). This module adds the checks, the interval and the
:class:`~impactlib.core.Estimate` record (:func:`~impactlib.experiment.cluster_count_trial`
simulates such trials with a known truth).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    require_finite,
    require_numeric,
    require_per_arm,
    require_probability,
)
from impactlib.experiment.samples import (
    cluster_codes,
    complete_rows,
    covariate_matrix,
    numeric_outcome,
    trial_design,
)

#: Count models accepted by :func:`rate_ratio` and :func:`rate_difference`.
MODELS = ("negative_binomial", "poisson")


# --- estimation --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    """What :func:`rate_ratio` and :func:`rate_difference` share: one fitted GLM."""

    outcome: str
    treatment: str
    exposure: str
    cluster: str | None
    params: np.ndarray
    cov: np.ndarray
    df: float | None
    nb_alpha: float | None
    n: int
    n_dropped: int
    n_treated: int
    n_control: int
    n_clusters: int | None
    design: str
    method: str
    totals: dict[str, float]
    covariates: list[str]


def _check_counts(kept: pd.DataFrame, outcome: str) -> np.ndarray:
    y = numeric_outcome(kept, outcome)
    bad = (y < 0) | (y != np.round(y))
    if bad.any():
        first = kept[outcome].iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"outcome column {outcome!r} must hold counts (non-negative integers); "
            f"{int(bad.sum())} value(s) are not, e.g. {first!r}"
        )
    if y.sum() == 0:
        raise InputError(f"outcome column {outcome!r} has no event: no rate ratio to estimate")
    return y


def _check_exposure(kept: pd.DataFrame, exposure: str) -> np.ndarray:
    require_numeric(kept, exposure, role="exposure")
    require_finite(kept, [exposure], role="exposure")
    time = kept[exposure].to_numpy(dtype=float)
    bad = time <= 0
    if bad.any():
        first = kept[exposure].iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"exposure column {exposure!r} must be > 0 (follow-up time); {int(bad.sum())} "
            f"value(s) are zero or negative, e.g. {first!r}"
        )
    return time


def _nb_dispersion(y: np.ndarray, design: np.ndarray, offset: np.ndarray) -> float:
    """Maximum-likelihood NB2 dispersion, by statsmodels' discrete NegativeBinomial.

    The optimiser starts from the Poisson fit and a moment estimate of the dispersion
    (statsmodels' own default start can diverge to NaN on small samples).
    """
    poisson = sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit()
    mu = np.asarray(poisson.fittedvalues, dtype=float)
    moment = float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2))
    start = np.r_[np.asarray(poisson.params, dtype=float), min(max(moment, 0.05), 10.0)]
    model = sm.NegativeBinomial(y, design, loglike_method="nb2", offset=offset)
    for method in ("newton", "bfgs", "nm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence is checked below, not printed
            try:
                result = model.fit(start_params=start, method=method, maxiter=2000, disp=0)
            except (np.linalg.LinAlgError, ValueError):
                continue
        params = np.asarray(result.params, dtype=float)
        if result.mle_retvals.get("converged", False) and np.isfinite(params).all():
            return max(float(params[-1]), 0.0)
    raise InputError(
        "the negative-binomial dispersion could not be estimated (the fit did not converge); "
        "use model='poisson', whose cluster-robust errors stay valid under overdispersion"
    )


def _rate_sample(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    exposure: str,
    cluster: str | None,
    covariates: list[str],
    model: str,
    alpha: float,
) -> tuple[pd.DataFrame, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check the arguments; return the complete rows, the number dropped, the counts, the
    exposures, the 0/1 arm and the design matrix (constant, arm, centred covariates)."""
    require_probability(alpha, name="alpha")
    if model not in MODELS:
        raise InputError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    roles = {outcome: "outcome", treatment: "treatment", exposure: "exposure"}
    if len(roles) < 3:
        raise InputError("outcome, treatment and exposure must be three different columns")
    overlap = set(roles) & set(covariates)
    if overlap:
        raise InputError(f"covariate(s) {sorted(overlap)} also used as outcome/treatment/exposure")
    columns = {"outcome": outcome, "treatment": treatment, "exposure": exposure}
    kept, n_dropped = complete_rows(data, columns | {"covariate": covariates, "cluster": cluster})
    y = _check_counts(kept, outcome)
    time = _check_exposure(kept, exposure)
    t = require_binary(kept, treatment)
    require_per_arm(t, name=treatment, minimum=2)
    x = covariate_matrix(kept, covariates)
    # Centred covariates: the intercept is then the control log rate at the covariate means.
    design = np.column_stack([np.ones(len(y)), t.astype(float), x - x.mean(axis=0)])
    if not has_full_rank(design):
        raise InputError(f"covariates {covariates} are collinear with each other or the treatment")
    for arm, label in ((1, "treated"), (0, "control")):
        if y[t == arm].sum() == 0:
            raise InputError(
                f"outcome column {outcome!r} has no event in the {label} group: the log rate "
                "ratio is not defined"
            )
    return kept, n_dropped, y, time, t, design


def _fit(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    exposure: str,
    cluster: str | None,
    covariates: str | Sequence[str] | None,
    model: str,
    alpha: float,
) -> _Fit:
    covariates = as_list(covariates)
    kept, n_dropped, y, time, t, design = _rate_sample(
        data,
        outcome=outcome,
        treatment=treatment,
        exposure=exposure,
        cluster=cluster,
        covariates=covariates,
        model=model,
        alpha=alpha,
    )
    offset = np.log(time)

    nb_alpha = None
    if model == "negative_binomial":
        nb_alpha = _nb_dispersion(y, design, offset)
        family = sm.families.NegativeBinomial(alpha=nb_alpha)
        label = f"Negative-binomial (NB2, ML dispersion {nb_alpha:.4g}) log-rate GLM"
    else:
        family = sm.families.Poisson()
        label = "Poisson log-rate GLM"
    glm = sm.GLM(y, design, family=family, offset=offset)
    n_clusters = groups = None
    if cluster is None:
        result = glm.fit(cov_type="HC0")
        df = None
        variance = "HC0 robust (sandwich) standard errors, normal intervals"
    else:
        groups, n_clusters = cluster_codes(kept, cluster, treated=design[:, 1])
        result = glm.fit(cov_type="cluster", cov_kwds={"groups": groups})
        df = float(n_clusters - 1)
        variance = f"CR1 cluster-robust standard errors, t intervals with {n_clusters - 1} df"
    if not result.converged:
        raise InputError(f"the {model} GLM did not converge on outcome {outcome!r}")
    totals = {
        "events_treated": float(y[t == 1].sum()),
        "events_control": float(y[t == 0].sum()),
        "exposure_treated": float(time[t == 1].sum()),
        "exposure_control": float(time[t == 0].sum()),
    }
    adjusted = f", adjusted for {', '.join(covariates)}" if covariates else ""
    return _Fit(
        outcome=outcome,
        treatment=treatment,
        exposure=exposure,
        cluster=cluster,
        params=np.asarray(result.params, dtype=float),
        cov=np.asarray(result.cov_params(), dtype=float),
        df=df,
        nb_alpha=nb_alpha,
        n=len(y),
        n_dropped=n_dropped,
        n_treated=int(t.sum()),
        n_control=int(len(t) - t.sum()),
        n_clusters=n_clusters,
        design=trial_design(t, groups),
        method=f"{label} with log({exposure}) offset{adjusted}, {variance}",
        totals=totals,
        covariates=covariates,
    )


def _record(
    fit: _Fit, value: float, se: float, *, alpha: float, method: str, estimand: str
) -> Estimate:
    """The :class:`Estimate` of ``value`` (Wald interval with the fit's degrees of freedom)."""
    return wald_estimate(
        value,
        se,
        alpha=alpha,
        df=fit.df,
        n=fit.n,
        method=method,
        outcome=fit.outcome,
        treatment=fit.treatment,
        design=fit.design,
        estimand=estimand,
        n_treated=fit.n_treated,
        n_control=fit.n_control,
        n_clusters=fit.n_clusters,
        n_dropped=fit.n_dropped,
    )


def _extra(fit: _Fit, first: dict[str, Any], *, model: str, covariates: bool) -> dict[str, Any]:
    """``Estimate.extra``: ``first``, then the fit's details (``covariates`` when asked)."""
    details = {"df": fit.df, "model": model, "nb_alpha": fit.nb_alpha}
    if covariates:
        details["covariates"] = fit.covariates
    return {**first, **details, "cluster": fit.cluster, "exposure": fit.exposure, **fit.totals}


def rate_ratio(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    exposure: str,
    cluster: str | None = None,
    covariates: str | Sequence[str] | None = None,
    model: str = "negative_binomial",
    alpha: float = 0.05,
) -> Estimate:
    """Log rate ratio of a count outcome between a treated and a control group.

    The model is log-linear: ``log E[Y_i] = log(exposure_i) + b0 + b1 * T_i (+ covariates)``,
    fitted by ``statsmodels.api.GLM`` with ``log(exposure)`` as offset. ``b1`` is the log
    rate ratio; ``exp(b1)`` is the rate ratio (treated rate / control rate).

    - ``model="negative_binomial"``: NB2 family whose dispersion is first estimated by
      maximum likelihood (``statsmodels`` discrete ``NegativeBinomial``, the same model as
      R's ``MASS::glm.nb``); the GLM given that dispersion returns the same coefficients.
    - ``model="poisson"``: Poisson family; with robust errors its estimate stays valid under
      overdispersion (a Poisson quasi-likelihood), at some loss of efficiency.

    Standard errors are always sandwich (robust) estimates, so the interval does not rest on
    the count distribution being right: with ``cluster`` they are cluster-robust (CR1,
    statsmodels' default small-sample factor ``G/(G-1) * (N-1)/(N-k)``) and the interval
    and p-value use Student's t with ``G - 1`` degrees of freedom, as
    :func:`impactlib.experiment.difference_in_means` does; without ``cluster`` they are HC0
    and inference is normal. Covariates (pre-treatment only, e.g. the count of events in the
    year before) are centred; under randomisation the log rate ratio is collapsible, so
    adjusting changes its precision, not what it estimates, when the model holds.

    Parameters
    ----------
    data : DataFrame
        One row per person (or per unit followed).
    outcome : str
        Count of events: non-negative integers.
    treatment : str
        Binary (0/1 or boolean) treatment column.
    exposure : str
        Follow-up time (person-years...), > 0.
    cluster : str, optional
        Unit of randomisation when it is a group (commune, club...).
    covariates : str or list of str, optional
        Pre-treatment covariates.
    model : {"negative_binomial", "poisson"}
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``value`` is the **log** rate ratio, with its standard error, interval and p-value
        on the log scale. ``extra`` holds ``rate_ratio`` and ``rate_ratio_ci`` (the
        exponentiated estimate and interval), ``df`` (None for normal inference),
        ``model``, ``nb_alpha`` (NB2 dispersion, None for Poisson), ``covariates``,
        ``cluster``, ``exposure`` and the crude totals of events and exposure by arm.
        ``design`` is ``"cluster_rct"`` when ``cluster`` is given and the treatment is
        constant within every cluster (the name :func:`impactlib.appraisal.grade_evidence`
        accepts), ``"rct"`` otherwise; ``n_dropped`` counts rows removed for missing values.

    Examples
    --------
    >>> from impactlib.experiment import cluster_count_trial
    >>> trial = cluster_count_trial(n_clusters=40, cluster_size=25, baseline_rate=0.8,
    ...                             rate_ratio=0.77, cluster_sd=0.2, overdispersion=1.0, seed=3)
    >>> est = rate_ratio(trial, outcome="events", treatment="treatment", exposure="exposure",
    ...                  cluster="cluster")
    >>> est.design, est.n, est.n_clusters, est.extra["df"]
    ('cluster_rct', 1000, 40, 39.0)
    >>> low, high = est.extra["rate_ratio_ci"]
    >>> bool(low < est.extra["rate_ratio"] < high)
    True
    """
    fit = _fit(data, outcome, treatment, exposure, cluster, covariates, model, alpha)
    value, se = float(fit.params[1]), float(math.sqrt(fit.cov[1, 1]))
    est = _record(
        fit,
        value,
        se,
        alpha=alpha,
        method=fit.method,
        estimand="log rate ratio (treated / control)",
    )
    ratio = {
        "rate_ratio": math.exp(value),
        "rate_ratio_ci": [math.exp(est.ci_low), math.exp(est.ci_high)],
    }
    return replace(est, extra=_extra(fit, ratio, model=model, covariates=True))


def rate_difference(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    exposure: str,
    cluster: str | None = None,
    model: str = "negative_binomial",
    alpha: float = 0.05,
) -> Estimate:
    """Rate difference (treated minus control), in events per unit of exposure.

    The same fit as :func:`rate_ratio` without covariates: the control rate is
    ``exp(b0)``, the treated rate ``exp(b0 + b1)``, and their difference has the
    delta-method standard error from the same sandwich covariance (cluster-robust with
    ``cluster``; same degrees of freedom). A negative value means fewer events with the
    treatment. This is the absolute effect a cost per event averted needs. Covariates are
    not accepted: with them, the difference of rates would depend on the covariate values.

    Returns
    -------
    Estimate
        ``value`` in events per unit of exposure; ``extra`` holds ``rate_control``,
        ``rate_treated``, ``df``, ``model``, ``nb_alpha`` and the totals by arm.

    Examples
    --------
    >>> from impactlib.experiment import cluster_count_trial
    >>> trial = cluster_count_trial(n_clusters=40, cluster_size=25, baseline_rate=0.8,
    ...                             rate_ratio=0.77, cluster_sd=0.2, overdispersion=1.0, seed=3)
    >>> diff = rate_difference(trial, outcome="events", treatment="treatment",
    ...                        exposure="exposure", cluster="cluster", model="poisson")
    >>> # A Poisson GLM with one binary regressor reproduces the crude rates exactly.
    >>> crude = trial.groupby("treatment")[["events", "exposure"]].sum()
    >>> rates = crude["events"] / crude["exposure"]
    >>> bool(abs(diff.value - (rates[1] - rates[0])) < 1e-8)
    True
    """
    fit = _fit(data, outcome, treatment, exposure, cluster, None, model, alpha)
    b0, b1 = float(fit.params[0]), float(fit.params[1])
    rate_control, rate_treated = math.exp(b0), math.exp(b0 + b1)
    value = rate_treated - rate_control
    gradient = np.array([rate_treated - rate_control, rate_treated])
    se = float(math.sqrt(gradient @ fit.cov[:2, :2] @ gradient))
    est = _record(
        fit,
        value,
        se,
        alpha=alpha,
        method=fit.method.replace("log-rate GLM", "log-rate GLM, rate difference (delta method)"),
        estimand=f"rate difference (treated - control), events per unit of {exposure}",
    )
    rates = {"rate_control": rate_control, "rate_treated": rate_treated}
    return replace(est, extra=_extra(fit, rates, model=model, covariates=False))
