"""Simulated cluster-randomised trials with a known effect, for pages and tests.

Two simulators, one shape: :func:`cluster_trial` (a continuous outcome and its baseline)
and :func:`cluster_count_trial` (counts of events over a follow-up time). A study scaffolded
with ``impact new-study --design cluster_rct`` has no registered source with a clustered
randomisation; until its ``source`` parameter names one, the page runs on
:func:`cluster_trial` and says so. Each data-generating process is documented in its
function's docstring and every parameter is a parameter of the page, so the truth the
estimator should recover is known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, is_real, require_probability
from impactlib.experiment.checks import finite, integer
from impactlib.experiment.icc import implied_icc


def _clusters(n_clusters: object, cluster_size: object, *, smallest: int) -> tuple[int, int, int]:
    """The number of clusters (at least 4, two per arm) and the bounds of their sizes.

    ``cluster_size`` is one size for every cluster or the bounds ``(low, high)`` of a
    uniform draw; each size is at least ``smallest``.
    """
    g = integer(n_clusters, name="n_clusters", minimum=4)
    if isinstance(cluster_size, Sequence) and not isinstance(cluster_size, str):
        if len(cluster_size) != 2:
            raise InputError(f"cluster_size must be an int or (low, high), got {cluster_size!r}")
        low = integer(cluster_size[0], name="cluster_size[0]", minimum=smallest)
        high = integer(cluster_size[1], name="cluster_size[1]", minimum=low)
    else:
        low = high = integer(cluster_size, name="cluster_size", minimum=smallest)
    return g, low, high


def cluster_count_trial(
    *,
    n_clusters: int,
    cluster_size: int | Sequence[int],
    baseline_rate: float,
    rate_ratio: float,
    exposure: float = 1.0,
    cluster_sd: float = 0.0,
    overdispersion: float = 0.0,
    dropout: float = 0.0,
    seed: int,
) -> pd.DataFrame:
    """Simulate a cluster-randomised trial whose outcome is a count of events.

    Data-generating process, every draw from ``numpy.random.default_rng(seed)``:

    1. ``n_clusters`` clusters (communes, clubs...), of ``cluster_size`` people each, or of
       a size drawn uniformly in ``[low, high]`` when ``cluster_size = (low, high)``.
    2. Complete randomisation of clusters: exactly ``n_clusters // 2`` are treated.
    3. Cluster effect ``u_j ~ Normal(-cluster_sd**2 / 2, cluster_sd**2)``, so that
       ``E[exp(u_j)] = 1`` (lognormal, mean one): the marginal rates are exactly
       ``baseline_rate`` and ``baseline_rate * rate_ratio``.
    4. Individual frailty ``g_i ~ Gamma(shape=1/a, scale=a)`` with ``a = overdispersion``
       (mean 1, variance ``a``; ``g_i = 1`` when ``a = 0``): given the cluster, the counts
       are negative binomial (NB2) with dispersion ``a``.
    5. Follow-up ``exposure`` (e.g. years); a share ``dropout`` of people, drawn at random,
       leave early, at a time uniform on ``(0, exposure)``.
    6. Events during follow-up ``Y_i ~ Poisson(baseline_rate * rate_ratio**T_j * exp(u_j)
       * g_i * exposure_i)``, and events in the year before randomisation
       ``prior_events_i ~ Poisson(baseline_rate * exp(u_j) * g_i)``, a prognostic baseline
       covariate (the same person, untreated).

    The true log rate ratio is ``log(rate_ratio)``; the ICC this model implies is given by
    :func:`implied_icc` and stored, with every parameter, in ``frame.attrs["dgp"]``.

    Parameters
    ----------
    n_clusters : int
        Clusters randomised (at least 4, two per arm).
    cluster_size : int or (int, int)
        People per cluster, or the bounds of a uniform draw of each cluster's size.
    baseline_rate : float
        Control-arm events per unit of exposure, > 0.
    rate_ratio : float
        True rate ratio, treated / control, > 0.
    exposure : float, default 1.0
        Planned follow-up per person, > 0.
    cluster_sd : float, default 0.0
        Standard deviation of the cluster effect on the log rate.
    overdispersion : float, default 0.0
        Variance of the individual gamma frailty (NB2 dispersion).
    dropout : float, default 0.0
        Share of people followed for less than ``exposure``, in [0, 1].
    seed : int
        Seed of the random generator.

    Returns
    -------
    DataFrame
        One row per person: ``cluster`` (label), ``person``, ``treatment`` (0/1),
        ``exposure``, ``events`` (int) and ``prior_events`` (int).

    Examples
    --------
    >>> trial = cluster_count_trial(n_clusters=10, cluster_size=20, baseline_rate=0.8,
    ...                             rate_ratio=0.77, cluster_sd=0.2, overdispersion=1.0, seed=1)
    >>> trial.shape, int(trial.groupby("cluster")["treatment"].first().sum())
    ((200, 6), 5)
    """
    g, low, high = _clusters(n_clusters, cluster_size, smallest=1)
    rate = finite(baseline_rate, name="baseline_rate", above=0)
    ratio = finite(rate_ratio, name="rate_ratio", above=0)
    follow_up = finite(exposure, name="exposure", above=0)
    sd = finite(cluster_sd, name="cluster_sd", at_least=0)
    a = finite(overdispersion, name="overdispersion", at_least=0)
    if not is_real(dropout):
        raise InputError(f"dropout must be a number in [0, 1], got {dropout!r}")
    require_probability(dropout, name="dropout", open_interval=False)
    seed = integer(seed, name="seed", minimum=0)

    rng = np.random.default_rng(seed)
    sizes = rng.integers(low, high, size=g, endpoint=True)
    treated_clusters = rng.permutation(np.repeat([0, 1], [g - g // 2, g // 2]))
    u = rng.normal(-(sd**2) / 2, sd, size=g)
    cluster = np.repeat(np.arange(g), sizes)
    n = len(cluster)
    frailty = rng.gamma(1 / a, a, size=n) if a > 0 else np.ones(n)
    leaves = rng.random(n) < dropout
    time = np.where(leaves, rng.uniform(0, follow_up, size=n), follow_up)
    t = treated_clusters[cluster]
    person_rate = rate * np.exp(u[cluster]) * frailty
    prior = rng.poisson(person_rate)
    events = rng.poisson(person_rate * ratio**t * time)
    width = len(str(g))
    labels = np.array([f"grappe-{j + 1:0{width}d}" for j in range(g)])
    frame = pd.DataFrame(
        {
            "cluster": labels[cluster],
            "person": np.arange(1, n + 1),
            "treatment": t.astype(int),
            "exposure": time,
            "events": events.astype(int),
            "prior_events": prior.astype(int),
        }
    )
    frame.attrs["dgp"] = {
        "n_clusters": g,
        "cluster_size": [int(low), int(high)],
        "baseline_rate": rate,
        "rate_ratio": ratio,
        "log_rate_ratio": math.log(ratio),
        "exposure": follow_up,
        "cluster_sd": sd,
        "overdispersion": a,
        "dropout": float(dropout),
        "icc": implied_icc(baseline_rate=rate, cluster_sd=sd, overdispersion=a, exposure=follow_up),
        "seed": int(seed),
    }
    return frame


def cluster_trial(
    *,
    n_clusters: int,
    cluster_size: int | Sequence[int],
    icc: float,
    effect: float,
    sd: float = 1.0,
    mean: float = 0.0,
    baseline_correlation: float = 0.5,
    share_treated: float = 0.5,
    seed: int,
) -> pd.DataFrame:
    """A cluster-randomised trial with a continuous outcome and a known effect.

    Data-generating process, for cluster ``j = 1..J`` and person ``i`` in cluster ``j``:

    - the size ``m_j`` is ``cluster_size``, or drawn uniformly among the integers of
      ``cluster_size = (low, high)`` (low and high included);
    - exactly ``round(share_treated * J)`` clusters are treated (``T_j = 1``), drawn by
      complete randomisation of clusters;
    - a cluster effect ``u_j ~ N(0, icc * sd**2)`` and two individual terms
      ``e0_ij, e1_ij ~ N(0, (1 - icc) * sd**2)`` with correlation ``baseline_correlation``;
    - the baseline measure ``baseline_ij = mean + u_j + e0_ij`` (before randomisation) and
      the outcome ``outcome_ij = mean + effect * T_j + u_j + e1_ij``.

    So the outcome's standard deviation in each arm is ``sd``, its intraclass correlation
    is ``icc``, and the true average effect (per person and per cluster) is ``effect``.
    Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the
    same table.

    Parameters
    ----------
    n_clusters : int
        Number of clusters ``J`` (at least 4, so that each arm has two).
    cluster_size : int or (int, int)
        People per cluster, or the smallest and largest cluster size (at least 2 each).
    icc : float
        Intraclass correlation of the outcome, in [0, 1).
    effect : float
        True effect of the treatment on the outcome.
    sd : float, default 1.0
        Standard deviation of the outcome within an arm (> 0).
    mean : float, default 0.0
        Mean outcome without treatment.
    baseline_correlation : float, default 0.5
        Correlation of the individual terms of the baseline and the outcome, in (-1, 1).
    share_treated : float, default 0.5
        Share of clusters treated, in (0, 1).
    seed : int
        Seed of the generator.

    Returns
    -------
    DataFrame
        One row per person: ``cluster`` (1..J), ``treat`` (0/1), ``baseline``, ``outcome``.
        ``attrs["truth"]`` holds the parameters of the process.

    Examples
    --------
    >>> df = cluster_trial(n_clusters=20, cluster_size=(10, 20), icc=0.1, effect=0.3, seed=1)
    >>> sorted(df.columns), int(df.groupby("cluster")["treat"].first().sum())
    (['baseline', 'cluster', 'outcome', 'treat'], 10)
    """
    n_clusters, low, high = _clusters(n_clusters, cluster_size, smallest=2)
    icc = finite(icc, name="icc")
    if not 0 <= icc < 1:
        raise InputError(f"icc must be in [0, 1), got {icc!r}")
    effect = finite(effect, name="effect")
    sd = finite(sd, name="sd", above=0)
    mean = finite(mean, name="mean")
    rho = finite(baseline_correlation, name="baseline_correlation")
    if not -1 < rho < 1:
        raise InputError(f"baseline_correlation must be in (-1, 1), got {rho!r}")
    share = finite(share_treated, name="share_treated")
    n_treated = round(share * n_clusters)
    if not 0 < share < 1 or not 2 <= n_treated <= n_clusters - 2:
        raise InputError(
            f"share_treated={share_treated!r} must leave at least two clusters in each arm "
            f"of {n_clusters}"
        )
    seed = integer(seed, name="seed", minimum=0)

    rng = np.random.default_rng(seed)
    sizes = rng.integers(low, high, size=n_clusters, endpoint=True)
    treated = np.zeros(n_clusters, dtype=int)
    treated[rng.permutation(n_clusters)[:n_treated]] = 1
    u = rng.normal(0.0, np.sqrt(icc) * sd, size=n_clusters)
    cluster = np.repeat(np.arange(1, n_clusters + 1), sizes)
    n = int(sizes.sum())
    within = np.sqrt(1 - icc) * sd
    z0, z1 = rng.standard_normal((2, n))
    e0 = within * z0
    e1 = within * (rho * z0 + np.sqrt(1 - rho**2) * z1)
    t = treated[cluster - 1]
    frame = pd.DataFrame(
        {
            "cluster": cluster,
            "treat": t,
            "baseline": mean + u[cluster - 1] + e0,
            "outcome": mean + effect * t + u[cluster - 1] + e1,
        }
    )
    frame.attrs["truth"] = {
        "n_clusters": n_clusters,
        "cluster_size": [low, high],
        "icc": icc,
        "effect": effect,
        "sd": sd,
        "mean": mean,
        "baseline_correlation": rho,
        "share_treated": share,
        "seed": seed,
    }
    return frame
