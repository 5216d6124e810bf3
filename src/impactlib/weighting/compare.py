"""Several selection-on-observables estimators side by side on the same data."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from impactlib.core.validation import (
    as_list,
)
from impactlib.experiment.means import difference_in_means
from impactlib.weighting.doubly_robust import aipw
from impactlib.weighting.inverse_probability import ipw
from impactlib.weighting.matching import nearest_neighbor_match
from impactlib.weighting.propensity import _trim_bounds, propensity_score
from impactlib.weighting.support import trim_by_propensity

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
