"""Simulated cluster-randomised trials: the process is the one documented, its truth recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.core import InputError
from impactlib.experiment import cluster_trial, difference_in_means, intraclass_correlation


def test_cluster_trial_has_the_documented_shape():
    df = cluster_trial(n_clusters=30, cluster_size=(5, 12), icc=0.1, effect=0.4, seed=7)
    assert list(df.columns) == ["cluster", "treat", "baseline", "outcome"]
    sizes = df.groupby("cluster").size()
    assert len(sizes) == 30 and sizes.min() >= 5 and sizes.max() <= 12
    # Treatment is assigned by cluster: constant within each, half of the clusters.
    assert (df.groupby("cluster")["treat"].nunique() == 1).all()
    assert int(df.groupby("cluster")["treat"].first().sum()) == 15
    assert df.attrs["truth"]["effect"] == 0.4


def test_cluster_trial_is_reproducible_from_its_seed():
    options = dict(n_clusters=12, cluster_size=[4, 9], icc=0.2, effect=1.0, seed=3)
    pd.testing.assert_frame_equal(cluster_trial(**options), cluster_trial(**options))
    other = cluster_trial(**{**options, "seed": 4})
    assert not np.allclose(other["outcome"].head(), cluster_trial(**options)["outcome"].head())


def test_moments_of_the_process():
    # Many clusters: the sample moments approach the parameters of the process (tolerances
    # are about 4 standard errors of each moment).
    df = cluster_trial(
        n_clusters=20000, cluster_size=(5, 5), icc=0.15, effect=0.5, sd=2.0, mean=10.0, seed=11
    )
    control, treated = df[df["treat"] == 0], df[df["treat"] == 1]
    assert control["outcome"].mean() == pytest.approx(10.0, abs=0.05)
    assert treated["outcome"].mean() - control["outcome"].mean() == pytest.approx(0.5, abs=0.06)
    assert control["outcome"].std() == pytest.approx(2.0, rel=0.03)
    icc = intraclass_correlation(control, outcome="outcome", cluster="cluster")
    assert icc == pytest.approx(0.15, abs=0.02)
    # Baseline and outcome share the cluster effect and correlated individual terms:
    # corr = icc + (1 - icc) * rho within an arm.
    rho = np.corrcoef(control["baseline"], control["outcome"])[0, 1]
    assert rho == pytest.approx(0.15 + 0.85 * 0.5, abs=0.02)


def test_icc_equals_an_independent_anova_computation_with_equal_sizes():
    df = cluster_trial(n_clusters=25, cluster_size=(8, 8), icc=0.3, effect=0.0, seed=5)
    m, k = 8, 25
    groups = df.groupby("cluster")["outcome"]
    msb = m * ((groups.mean() - df["outcome"].mean()) ** 2).sum() / (k - 1)
    msw = ((df["outcome"] - groups.transform("mean")) ** 2).sum() / (k * (m - 1))
    expected = (msb - msw) / (msb + (m - 1) * msw)
    assert intraclass_correlation(df, outcome="outcome", cluster="cluster") == pytest.approx(
        expected, rel=1e-12
    )


def test_cluster_robust_interval_covers_the_true_effect():
    # Seeded, bounded Monte Carlo: the CR1 interval of difference_in_means(cluster=...) on
    # the simulated trials of the scaffold's default size covers the true effect ~95 %.
    rng = np.random.default_rng(20260101)
    covered = 0
    draws = 1000
    for seed in rng.integers(0, 2**31, size=draws):
        df = cluster_trial(
            n_clusters=40, cluster_size=(15, 30), icc=0.05, effect=0.2, seed=int(seed)
        )
        est = difference_in_means(df, "outcome", "treat", cluster="cluster")
        covered += est.ci_low <= 0.2 <= est.ci_high
    assert 0.92 <= covered / draws <= 0.98


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_clusters": 3}, "n_clusters must be an integer >= 4"),
        ({"n_clusters": 10.0}, "n_clusters must be an integer"),
        ({"cluster_size": (1, 5)}, r"cluster_size\[0\] must be an integer >= 2"),
        ({"cluster_size": (6, 5)}, r"cluster_size\[1\] must be an integer >= 6"),
        ({"cluster_size": 1}, "cluster_size must be an integer >= 2, got 1"),
        ({"cluster_size": (5, 6, 7)}, r"cluster_size must be an int or \(low, high\)"),
        ({"icc": 1.0}, r"icc must be in \[0, 1\)"),
        ({"icc": float("nan")}, "icc must be a finite number"),
        ({"sd": 0.0}, "sd must be a finite number > 0"),
        ({"baseline_correlation": 1.0}, "baseline_correlation must be in"),
        ({"share_treated": 0.05}, "at least two clusters in each arm"),
        ({"seed": -1}, "seed must be an integer >= 0"),
    ],
)
def test_bad_parameters_are_refused(options, message):
    base = dict(n_clusters=10, cluster_size=(5, 10), icc=0.1, effect=0.0, seed=1)
    with pytest.raises(InputError, match=message):
        cluster_trial(**{**base, **options})


def test_icc_refuses_bad_input():
    df = pd.DataFrame({"g": [1, 1, 2, 2], "y": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(InputError, match="constant"):
        intraclass_correlation(df, outcome="y", cluster="g")
    with pytest.raises(InputError, match="cluster"):
        intraclass_correlation(df, outcome="y", cluster="missing")
    with pytest.raises(InputError, match="at least two clusters"):
        intraclass_correlation(df[df["g"] == 1], outcome="y", cluster="g")


def test_cluster_trial_takes_one_size_for_every_cluster():
    df = cluster_trial(n_clusters=6, cluster_size=7, icc=0.1, effect=0.0, seed=2)
    assert (df.groupby("cluster").size() == 7).all()
    assert df.attrs["truth"]["cluster_size"] == [7, 7]


def test_icc_with_unequal_cluster_sizes_by_hand():
    # One-way ANOVA with unequal sizes: m0 = (N - sum m_j^2 / N) / (J - 1).
    df = pd.DataFrame({"g": [1, 1, 2, 2, 2, 3, 3, 3, 3], "y": [1, 2, 2, 3, 4, 6, 5, 7, 8.0]})
    sizes = df.groupby("g").size().to_numpy(float)
    means = df.groupby("g")["y"].mean().to_numpy()
    n, k = len(df), 3
    msb = (sizes * (means - df["y"].mean()) ** 2).sum() / (k - 1)
    msw = ((df["y"] - df.groupby("g")["y"].transform("mean")) ** 2).sum() / (n - k)
    m0 = (n - (sizes**2).sum() / n) / (k - 1)
    expected = (msb - msw) / (msb + (m0 - 1) * msw)
    assert intraclass_correlation(df, outcome="y", cluster="g") == pytest.approx(expected)
