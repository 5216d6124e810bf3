"""Monte Carlo studies of estimators (:func:`impactlib.experiment.simulation_study`): the
replications are seeded, the performance measures are those written out by hand, and the
CR1 interval of a cluster trial covers its truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impactlib.core import Estimate, InputError
from impactlib.experiment import (
    SimulationStudy,
    cluster_trial,
    difference_in_means,
    simulation_study,
)


def simulate(seed: int) -> pd.DataFrame:
    return cluster_trial(n_clusters=16, cluster_size=(6, 10), icc=0.1, effect=0.3, seed=seed)


ESTIMATORS = {
    "cr1": lambda d: difference_in_means(d, "outcome", "treat", cluster="cluster"),
    "naive": lambda d: difference_in_means(d, "outcome", "treat"),
}


@pytest.fixture(scope="module")
def study() -> SimulationStudy:
    return simulation_study(simulate, ESTIMATORS, truth=0.3, n_resamples=60, seed=4)


def test_replications_are_seeded_and_shared_by_the_estimators(study):
    again = simulation_study(simulate, ESTIMATORS, truth=0.3, n_resamples=60, seed=4)
    pd.testing.assert_frame_equal(study.draws["cr1"], again.draws["cr1"])
    seeds = np.random.SeedSequence(4).generate_state(60)
    first = difference_in_means(simulate(int(seeds[0])), "outcome", "treat", cluster="cluster")
    assert study.draws["cr1"].loc[0, "value"] == first.value
    # Same data for both estimators: same point estimate, different standard errors.
    assert np.allclose(study.draws["cr1"]["value"], study.draws["naive"]["value"])
    assert study.n_resamples == 60 and list(study.draws["cr1"].columns) == [
        "value",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
    ]


def test_performance_measures_by_hand(study):
    table = study.tidy()
    assert list(table.index) == ["cr1", "naive"] and table.index.name == "term"
    d = study.draws["cr1"]
    row = table.loc["cr1"]
    assert row["bias"] == pytest.approx(d["value"].mean() - 0.3)
    assert row["sd"] == pytest.approx(d["value"].std(ddof=1))
    assert row["bias_mc_se"] == pytest.approx(d["value"].std(ddof=1) / math.sqrt(60))
    assert row["mean_se"] == pytest.approx(d["std_error"].mean())
    covered = np.mean([lo < 0.3 < hi for lo, hi in zip(d["ci_low"], d["ci_high"], strict=True)])
    assert row["coverage"] == pytest.approx(covered)
    assert row["coverage_mc_se"] == pytest.approx(math.sqrt(covered * (1 - covered) / 60))
    rejected = np.mean([lo > 0 or hi < 0 for lo, hi in zip(d["ci_low"], d["ci_high"], strict=True)])
    assert row["rejection_rate"] == pytest.approx(rejected)
    # Ignoring the clusters understates the standard error.
    assert table.loc["naive", "mean_se"] < row["mean_se"]
    assert "60 replications, seed 4" in study.summary() and str(study) == study.summary()


def test_simulation_study_refusals():
    with pytest.raises(InputError, match=r"n_resamples must be an integer >= 2, got 1"):
        simulation_study(simulate, ESTIMATORS, truth=0.3, n_resamples=1, seed=0)
    with pytest.raises(InputError, match=r"seed must be an integer >= 0, got -1"):
        simulation_study(simulate, ESTIMATORS, truth=0.3, n_resamples=5, seed=-1)
    with pytest.raises(InputError, match=r"truth must be a finite number, got nan"):
        simulation_study(simulate, ESTIMATORS, truth=float("nan"), n_resamples=5, seed=0)
    with pytest.raises(InputError, match=r"estimators must name at least one estimator"):
        simulation_study(simulate, {}, truth=0.3, n_resamples=5, seed=0)
    with pytest.raises(InputError, match=r"estimator 'bad' returned float, not an Estimate"):
        simulation_study(simulate, {"bad": lambda d: 1.0}, truth=0.3, n_resamples=5, seed=0)


def test_an_estimate_without_p_value_is_recorded_as_nan():
    def no_p(data: pd.DataFrame) -> Estimate:
        est = difference_in_means(data, "outcome", "treat")
        return Estimate(
            value=est.value,
            std_error=est.std_error,
            ci_low=est.ci_low,
            ci_high=est.ci_high,
            p_value=None,
            n=est.n,
            method="m",
            outcome="outcome",
        )

    study = simulation_study(simulate, {"no_p": no_p}, truth=0.3, n_resamples=3, seed=0)
    assert study.draws["no_p"]["p_value"].isna().all()
