"""Nearest-neighbour matching on covariates or the propensity score, with the Abadie-Imbens
(2006) variance."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.spatial import cKDTree

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import InputError, is_real, require_flag
from impactlib.weighting.propensity import (
    _LINKS,
    _check_effect_options,
    _fit_propensity,
    _log_odds,
    _prepare,
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


@dataclass(frozen=True)
class _Options:
    """The choices of a matching estimator, checked when they are gathered."""

    on: str
    n_neighbors: int
    caliper: float | None
    replace: bool
    estimand: str
    metric: str
    bias_adjust: bool
    variance_neighbors: int
    link: str

    def __post_init__(self) -> None:
        if self.on not in ("covariates", "propensity"):
            raise InputError(f"on must be 'covariates' or 'propensity', got {self.on!r}")
        for name in ("n_neighbors", "variance_neighbors"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        caliper = self.caliper
        if caliper is not None:
            if self.on != "propensity":
                raise InputError(
                    "caliper is in standard deviations of the logit propensity score: use it "
                    "with on='propensity'"
                )
            if not (is_real(caliper) and math.isfinite(caliper) and caliper > 0):
                raise InputError(f"caliper must be a positive number, got {caliper!r}")
        if not self.replace and self.estimand != "ATT":
            raise InputError(
                "replace=False (matching without replacement) is implemented for the ATT "
                f"only, got estimand={self.estimand!r}"
            )

    def describe(self) -> str:
        """How the estimate was computed (``Estimate.method``)."""
        what = (
            "logit propensity score" if self.on == "propensity" else f"covariates ({self.metric})"
        )
        return (
            f"Nearest-neighbour matching on the {what}, {self.n_neighbors} neighbour(s), "
            + ("with" if self.replace else "without")
            + " replacement"
            + (f", caliper {self.caliper} SD" if self.caliper is not None else "")
            + (", bias-adjusted" if self.bias_adjust else "")
            + f" ({self.estimand}), Abadie-Imbens standard errors"
        )


def _matching_space(
    x: np.ndarray, t: np.ndarray, options: _Options, *, treatment: str, covariates: list[str]
) -> tuple[np.ndarray, float | None]:
    """The coordinates units are matched in, and the caliper as a distance there."""
    if options.on == "covariates":
        constant = [c for c, s in zip(covariates, x.std(axis=0), strict=True) if s == 0]
        if constant:
            raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
        return _metric_space(x, options.metric, covariates), None
    fit, scores, _, _ = _fit_propensity(
        t, x, treatment=treatment, covariates=covariates, link=options.link
    )
    logit = _log_odds(fit, scores)
    if not np.isfinite(logit).all():
        raise InputError(
            f"treatment {treatment!r}: propensity scores of exactly 0 or 1 cannot be "
            "matched on the logit scale: restrict the sample to the region of overlap"
        )
    if options.caliper is None:
        return logit[:, None], None
    treated, control = t == 1, t == 0
    pooled = math.sqrt((logit[treated].var(ddof=1) + logit[control].var(ddof=1)) / 2)
    return logit[:, None], options.caliper * pooled


@dataclass
class _Imputation:
    """The other arm's outcome where it was imputed (NaN elsewhere), and how often each unit
    served as a match: ``k1`` sums its match weights, ``k2`` their squares."""

    imputed: np.ndarray
    k1: np.ndarray
    k2: np.ndarray
    n_unmatched: int


def _impute(
    z: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    t: np.ndarray,
    options: _Options,
    radius: float | None,
) -> _Imputation:
    """Impute each source unit's missing outcome from its matches in the other arm (the
    treated for the ATT, both arms for the ATE)."""
    index = {1: np.flatnonzero(t == 1), 0: np.flatnonzero(t == 0)}
    design = np.column_stack([np.ones(len(y)), x])
    out = _Imputation(np.full(len(y), np.nan), np.zeros(len(y)), np.zeros(len(y)), 0)
    find = _match if options.replace else _match_without_replacement
    for arm in (1,) if options.estimand == "ATT" else (1, 0):
        src, tgt = index[arm], index[1 - arm]
        rows, cols, weights = find(z[src], z[tgt], options.n_neighbors, radius)
        matched = np.unique(rows)
        out.n_unmatched += len(src) - len(matched)
        if matched.size == 0:
            src_arm, tgt_arm = ("treated", "control") if arm == 1 else ("control", "treated")
            raise InputError(
                f"caliper {options.caliper} leaves no {src_arm} unit with a {tgt_arm} unit "
                f"within {radius:.4g} on the logit propensity score: widen the caliper"
            )
        target_rows = tgt[cols]
        values = y[target_rows]
        if options.bias_adjust:
            used = np.bincount(cols, weights=weights, minlength=len(tgt))
            sel = used > 0
            slope = np.asarray(
                sm.WLS(y[tgt][sel], design[tgt][sel], weights=used[sel]).fit().params
            )
            values = values + (design[src[rows]] - design[target_rows]) @ slope
        imputed = np.bincount(rows, weights=weights * values, minlength=len(src))
        out.imputed[src[matched]] = imputed[matched]
        np.add.at(out.k1, target_rows, weights)
        np.add.at(out.k2, target_rows, weights**2)
    return out


def _abadie_imbens_variance(
    effect: np.ndarray,
    units: np.ndarray,
    sigma2: np.ndarray,
    found: _Imputation,
    control: np.ndarray,
    estimand: str,
) -> tuple[float, float]:
    """The population variance of Abadie & Imbens (2006, Theorem 7) and the sum of the
    conditional variances of the sample effect (the latter for ``se_sample``)."""
    k1, k2 = found.k1, found.k2
    value = effect[units].mean()
    spread = float(((effect[units] - value) ** 2).sum())
    if estimand == "ATT":
        extra_term = float(((k1**2 - k2) * sigma2)[control].sum())
        sample_term = float(sigma2[units].sum() + (k1**2 * sigma2)[control].sum())
    else:
        extra_term = float(((k1**2 + 2 * k1 - k2) * sigma2).sum())
        sample_term = float(((1 + k1) ** 2 * sigma2).sum())
    size = int(units.sum())
    return (spread + extra_term) / size**2, sample_term


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
    covariates = _check_effect_options(covariates, estimand=estimand, alpha=alpha)
    if link not in _LINKS:
        raise InputError(f"link must be one of {sorted(_LINKS)}, got {link!r}")
    options = _Options(
        on=on,
        n_neighbors=n_neighbors,
        caliper=caliper,
        replace=require_flag(replace, name="replace"),
        estimand=estimand,
        metric=metric,
        bias_adjust=require_flag(bias_adjust, name="bias_adjust"),
        variance_neighbors=variance_neighbors,
        link=link,
    )
    kept, n_dropped, t = _prepare(data, treatment=treatment, covariates=covariates, outcome=outcome)
    y = kept[outcome].to_numpy(dtype=float)
    x = kept[covariates].to_numpy(dtype=float)
    treated, control = t == 1, t == 0
    if min(int(treated.sum()), int(control.sum())) <= variance_neighbors:
        raise InputError(
            f"treatment column {treatment!r}: each arm needs more than variance_neighbors = "
            f"{variance_neighbors} units to estimate the variance (treated "
            f"{int(treated.sum())}, control {int(control.sum())})"
        )
    z, radius = _matching_space(x, t, options, treatment=treatment, covariates=covariates)
    found = _impute(z, y, x, t, options, radius)
    has = ~np.isnan(found.imputed)
    effect = np.where(treated, y - found.imputed, found.imputed - y)
    units = has & treated if estimand == "ATT" else has
    sigma2 = np.empty(len(y))
    for arm in (treated, control):
        sigma2[arm] = _conditional_variance(z[arm], y[arm], variance_neighbors)
    variance, sample_term = _abadie_imbens_variance(effect, units, sigma2, found, control, estimand)
    return wald_estimate(
        float(effect[units].mean()),
        math.sqrt(max(variance, 0.0)),
        alpha=alpha,
        n=len(y),
        method=options.describe(),
        outcome=outcome,
        treatment=treatment,
        design="matching",
        estimand=estimand,
        n_treated=int((units & treated).sum()),
        n_control=int(control.sum()) if estimand == "ATT" else int((units & control).sum()),
        n_dropped=n_dropped,
        extra={
            "covariates": covariates,
            "on": on,
            "metric": metric if on == "covariates" else None,
            "n_neighbors": int(n_neighbors),
            "caliper": caliper,
            "caliper_distance": radius,
            "replace": bool(replace),
            "bias_adjust": bool(bias_adjust),
            "n_unmatched": int(found.n_unmatched),
            "n_controls_used": int((found.k1[control] > 0).sum()),
            "se_sample": math.sqrt(sample_term) / int(units.sum()),
            "se_method": "Abadie-Imbens (2006) population variance"
            + ("; propensity score treated as known" if on == "propensity" else ""),
        },
    )
