"""Intraclass correlation of a clustered outcome: estimated from data (one-way ANOVA) and
implied by the count model of :func:`~impactlib.experiment.cluster_count_trial`.

It is the correlation the design effect ``1 + (m - 1) * ICC`` of a cluster-randomised trial
uses: a page checks that its sample has the ICC it assumes, or that a simulation does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    drop_missing,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
)
from impactlib.experiment.checks import finite


def implied_icc(
    *, baseline_rate: float, cluster_sd: float, overdispersion: float, exposure: float = 1.0
) -> float:
    """Intra-cluster correlation of the control-arm counts implied by the simulation model.

    With ``mu = baseline_rate * exposure``, ``v = exp(cluster_sd**2) - 1`` (the variance of
    the mean-one lognormal cluster effect) and ``a = overdispersion``, two people of the same
    cluster have covariance ``mu**2 * v`` and each count has variance
    ``mu + mu**2 * ((1 + a) * (1 + v) - 1)``; the ICC is their ratio.

    Examples
    --------
    >>> round(implied_icc(baseline_rate=0.8, cluster_sd=0.2, overdispersion=1.0), 4)
    0.0175
    >>> implied_icc(baseline_rate=0.8, cluster_sd=0.0, overdispersion=1.0)
    0.0
    """
    rate = finite(baseline_rate, name="baseline_rate", above=0)
    sd = finite(cluster_sd, name="cluster_sd", at_least=0)
    a = finite(overdispersion, name="overdispersion", at_least=0)
    mu = rate * finite(exposure, name="exposure", above=0)
    v = math.expm1(sd**2)
    return float(mu**2 * v / (mu + mu**2 * ((1 + a) * (1 + v) - 1)))


def intraclass_correlation(data: pd.DataFrame, *, outcome: str, cluster: str) -> float:
    """One-way ANOVA estimate of the intraclass correlation of ``outcome`` within ``cluster``.

    ``(MSB - MSW) / (MSB + (m0 - 1) * MSW)`` with ``m0 = (N - sum m_j**2 / N) / (J - 1)``,
    the one-way random-effects ANOVA estimator for unequal cluster sizes; it can be negative
    when clusters differ less than chance would make them. Rows with a missing value are
    ignored.

    Examples
    --------
    >>> from impactlib.experiment import cluster_trial
    >>> df = cluster_trial(n_clusters=200, cluster_size=(20, 20), icc=0.2, effect=0.0, seed=3)
    >>> round(intraclass_correlation(df, outcome="outcome", cluster="cluster"), 1)
    0.2
    """
    data = require_dataframe(data)
    require_columns(data, [outcome], role="outcome")
    require_columns(data, [cluster], role="cluster")
    kept, _ = drop_missing(data, [outcome, cluster])
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    codes = pd.factorize(kept[cluster])[0]
    y = kept[outcome].to_numpy(dtype=float)
    sizes = np.bincount(codes)
    n_groups, n = len(sizes), len(y)
    if n_groups < 2 or n <= n_groups:
        raise InputError(
            f"cluster column {cluster!r}: need at least two clusters and one with two people"
        )
    means = np.bincount(codes, weights=y) / sizes
    ss_between = float((sizes * (means - y.mean()) ** 2).sum())
    ss_within = float(((y - means[codes]) ** 2).sum())
    ms_between = ss_between / (n_groups - 1)
    ms_within = ss_within / (n - n_groups)
    m0 = (n - (sizes**2).sum() / n) / (n_groups - 1)
    denominator = ms_between + (m0 - 1) * ms_within
    if denominator <= 0:
        raise InputError(f"outcome column {outcome!r} is constant: the ICC is not defined")
    return float((ms_between - ms_within) / denominator)
