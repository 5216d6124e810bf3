"""Several selection-on-observables estimators side by side on the same data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.result import Result
from impactlib.core.validation import as_list, require_probability
from impactlib.weighting.doubly_robust import aipw
from impactlib.weighting.inverse_probability import ipw
from impactlib.weighting.matching import nearest_neighbor_match
from impactlib.weighting.propensity import _prepare, _trim_bounds, propensity_score
from impactlib.weighting.support import trim_by_propensity

#: Term of the naive comparison in :meth:`EstimatorComparison.estimates`.
NAIVE = "difference in means (naive)"
#: Term of the headline, the doubly robust estimate.
HEADLINE = "AIPW"


@dataclass(frozen=True, eq=False)
class EstimatorComparison(Result):
    """Selection-on-observables estimators side by side (see :func:`compare_estimators`).

    Attributes
    ----------
    records : dict of str to Estimate
        The estimates by term, in the order of the table: ``"difference in means (naive)"``,
        ``"IPW"``, ``"AIPW"``, ``"matching (propensity score)"`` and, with
        ``match_covariates``, ``"matching (covariates, bias-adjusted)"``.
    trim : (float, float) or None
        The propensity-score band the sample was restricted to.
    n_trimmed : int
        Units left out by that restriction.
    """

    records: dict[str, Estimate]
    trim: tuple[float, float] | None
    n_trimmed: int

    @property
    def estimate(self) -> Estimate:
        """The doubly robust (AIPW) estimate: consistent when either the propensity score or
        the outcome model is right, the headline of the table."""
        return self.records[HEADLINE]

    def estimates(self) -> dict[str, Estimate]:
        """Every estimate by term, in the order of the table (the naive comparison first)."""
        return dict(self.records)

    def summary(self) -> str:
        """One line per estimator: estimate, standard error, interval and sizes."""
        first = next(iter(self.records.values()))
        lines = [f"Selection on observables: {first.outcome} by {first.treatment}"]
        if self.trim is not None:
            lines.append(
                f"  propensity scores in [{self.trim[0]:g}, {self.trim[1]:g}]; "
                f"{self.n_trimmed} unit(s) left out"
            )
        width = max(len(term) for term in self.records)
        for term, est in self.records.items():
            lines.append(
                f"  {term:<{width}}  {est.estimand:<3} {est.value:12.4f} ({est.std_error:.4f}) "
                f"[{est.ci_low:.4f}, {est.ci_high:.4f}]  n = {est.n} "
                f"({est.n_treated} treated)"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _naive_difference(
    data: pd.DataFrame, *, outcome: str, treatment: str, alpha: float
) -> Estimate:
    """The difference of the arms' mean outcomes, without adjustment.

    OLS of the outcome on the treatment with HC2 errors (the Neyman variance) and Student's t
    with ``n - 2`` degrees of freedom: the numbers of ``difference_in_means`` of the
    experiment family without covariates, for an observational comparison.
    """
    kept, n_dropped, t = _prepare(data, treatment=treatment, covariates=[], outcome=outcome)
    y = kept[outcome].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(y), t.astype(float)])
    fit = sm.OLS(y, design).fit(cov_type="HC2", use_t=True)
    df = float(fit.df_resid)
    n_treated = int(t.sum())
    return wald_estimate(
        float(fit.params[1]),
        float(fit.bse[1]),
        alpha=alpha,
        df=df,
        n=len(y),
        method="Naive difference in means (no adjustment), HC2 standard errors",
        outcome=outcome,
        treatment=treatment,
        design="observational",
        estimand="ATE",
        n_treated=n_treated,
        n_control=len(y) - n_treated,
        n_dropped=n_dropped,
        extra={"df": df},
    )


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
) -> EstimatorComparison:
    """The naive difference in means beside IPW, AIPW and matching.

    ``covariates`` specify the propensity score of :func:`ipw` and :func:`aipw` (and of
    propensity-score matching); ``outcome_covariates`` the outcome model of :func:`aipw`;
    ``match_covariates`` adds bias-adjusted matching on those covariates. The naive
    comparison is the difference of the arms' means with HC2 (Neyman) standard errors and
    Student's t, on the rows complete in ``outcome`` and ``treatment``. With ``trim`` (a
    number ``a`` for ``[a, 1 - a]`` or a ``(lower, upper)`` pair) the sample is first
    restricted to the units whose propensity score (estimated on all units) lies within the
    bounds, and every estimator, the naive one included, runs on that sample
    (``n_trimmed`` counts the rest).

    Recipe for the NSW treated units against CPS controls (Dehejia & Wahba 1999, 2002): add
    ``age**2``, ``age**3``, ``educ**2``, ``u74 = (re74 == 0)``, ``u75 = (re75 == 0)`` and
    ``educ * re74`` to ``age, educ, marr, nodegree, black, hisp, re74, re75`` as the
    propensity specification (the one Cunningham 2021, *Causal Inference: The Mixtape*,
    ch. 5, uses for these data) and compare with the experimental 1794.34.

    Returns
    -------
    EstimatorComparison
        ``.estimates()`` by term, ``.tidy()`` one row per estimator, ``.estimate`` the
        doubly robust headline.
    """
    covariates = as_list(covariates)
    require_probability(alpha, name="alpha")
    bounds, n_trimmed = _trim_bounds(trim), 0
    if bounds is not None:
        first = propensity_score(data, treatment=treatment, covariates=covariates)
        data = trim_by_propensity(data, ps=first, trim=bounds)
        n_trimmed = int(data.attrs["n_trimmed"])
    common = {"outcome": outcome, "treatment": treatment, "alpha": alpha}
    effect = {**common, "covariates": covariates, "estimand": estimand}
    records = {
        NAIVE: _naive_difference(data, **common),
        "IPW": ipw(data, **effect),
        HEADLINE: aipw(data, outcome_covariates=outcome_covariates, **effect),
        "matching (propensity score)": nearest_neighbor_match(data, on="propensity", **effect),
    }
    if match_covariates is not None:
        records["matching (covariates, bias-adjusted)"] = nearest_neighbor_match(
            data,
            **{**effect, "covariates": as_list(match_covariates)},
            bias_adjust=True,
        )
    return EstimatorComparison(records=records, trim=bounds, n_trimmed=n_trimmed)
