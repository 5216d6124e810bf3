"""One design vocabulary: the registry, and every estimator writing a design it knows.

Each estimator runs on a small simulated data set of its design; its headline estimate
must carry a registered design, and ``grade_evidence(design=est.design, ...)`` must grade
it without an alias or a translation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.appraisal import grade_evidence
from impactlib.core import DESIGNS, TEMPLATE_DESIGNS, Estimate, InputError, Result, get_design
from impactlib.core.estimate import TIDY_COLUMNS
from impactlib.did import callaway_santanna, did_2x2, event_study, twfe
from impactlib.experiment import (
    complier_effect,
    difference_in_means,
    randomization_inference,
    rate_difference,
    rate_ratio,
)
from impactlib.meta import meta_regression, pool
from impactlib.rd import regression_discontinuity
from impactlib.synth import synthetic_control, synthetic_did
from impactlib.weighting import aipw, ipw, nearest_neighbor_match


def headline(result) -> Estimate:
    """The headline estimate: every estimator returns an Estimate or a Result."""
    assert isinstance(result, Estimate | Result), type(result).__name__
    est = result.estimate
    assert isinstance(est, Estimate)
    tidy = result.tidy()
    assert tidy.index.name == "term" and list(tidy.columns[: len(TIDY_COLUMNS)]) == list(
        TIDY_COLUMNS
    )
    assert isinstance(result.summary(), str)
    return est


# --- the registry ---------------------------------------------------------------------------


def test_registry_codes_are_slugs_with_a_french_label_and_a_start():
    for code, design in DESIGNS.items():
        assert design.code == code and code.replace("_", "").isalpha() and code.islower()
        assert design.label == design.label.strip() and design.label[0].islower()
        assert design.start_level == ("high" if design.group == "randomised" else "low")
    assert {"rct", "cluster_rct", "did", "staggered_did", "rd", "synthetic_control"} <= set(DESIGNS)
    assert set(TEMPLATE_DESIGNS) <= set(DESIGNS)


def test_unknown_design_is_refused_by_name():
    with pytest.raises(InputError, match=r"design must be one of rct, .*; got 'RCT'"):
        get_design("RCT")
    with pytest.raises(ValueError, match=r"Estimate.design 'synthetic control' is not a regis"):
        Estimate(
            value=1.0, std_error=0.1, ci_low=0.8, ci_high=1.2, p_value=None, n=10,
            method="m", outcome="y", design="synthetic control",
        )  # fmt: skip


# --- every estimator writes a registered design -------------------------------------------


def _trial(seed: int = 1, *, clusters: int = 30, per_cluster: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), per_cluster)
    arm = rng.permutation(np.arange(clusters) % 2)[cluster]
    x = rng.normal(size=cluster.size)
    exposure = rng.uniform(0.5, 1.5, size=cluster.size)
    rate = np.exp(0.2 - 0.3 * arm + 0.2 * x)
    return pd.DataFrame(
        {
            "y": 1.0 + 0.5 * arm + x + rng.normal(size=cluster.size),
            "treat": arm,
            "x": x,
            "cluster": cluster,
            "exposure": exposure,
            "events": rng.poisson(rate * exposure),
        }
    )


def _observational(seed: int = 2, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treat = (rng.uniform(size=n) < 1 / (1 + np.exp(-0.5 * x))).astype(int)
    return pd.DataFrame({"y": 1.0 * treat + x + rng.normal(size=n), "treat": treat, "x": x})


def _panel(seed: int = 3, units: int = 30, periods: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    time = np.tile(np.arange(1, periods + 1), units)
    cohort = np.choose(np.arange(units) % 3, [0, 4, 5])[unit]
    treated = (cohort > 0) & (time >= cohort)
    effect = 1.0 * treated
    y = rng.normal(size=units)[unit] + 0.1 * time + effect + rng.normal(scale=0.5, size=unit.size)
    return pd.DataFrame(
        {
            "unit": unit,
            "time": time,
            "cohort": cohort,
            "y": y,
            "d": treated.astype(int),
            "ever": (cohort > 0).astype(int),
            "post": (time >= 4).astype(int),
        }
    )


def _synth_panel(seed: int = 4, units: int = 12, periods: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factor = np.cumsum(rng.normal(size=periods))
    loading = rng.uniform(0.5, 1.5, size=units)
    y = np.outer(loading, factor) + rng.normal(scale=0.2, size=(units, periods))
    y[0, 10:] -= 2.0
    frame = pd.DataFrame(y, index=pd.Index(range(units), name="unit"))
    long = frame.stack().rename("y").rename_axis(["unit", "time"]).reset_index()
    return long.assign(d=((long["unit"] == 0) & (long["time"] >= 10)).astype(int))


def _rd(seed: int = 5, n: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=n)
    return pd.DataFrame({"x": x, "y": x + 1.0 * (x >= 0) + rng.normal(scale=0.3, size=n)})


def _studies(seed: int = 6, k: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    variances = rng.uniform(0.01, 0.05, size=k)
    moderator = rng.uniform(size=k)
    effects = -0.3 + 0.2 * moderator + rng.normal(scale=np.sqrt(variances + 0.02))
    return effects, variances, moderator


ESTIMATORS = {
    "difference_in_means": lambda: difference_in_means(_trial(), outcome="y", treatment="treat"),
    "difference_in_means_clustered": lambda: difference_in_means(
        _trial(), outcome="y", treatment="treat", cluster="cluster"
    ),
    "randomization_inference": lambda: randomization_inference(
        _trial(),
        outcome="y",
        treatment="treat",
        n_resamples=200,
        estimate=difference_in_means(_trial(), outcome="y", treatment="treat"),
    ),
    "complier_effect": lambda: complier_effect(
        _trial().assign(received=lambda d: d["treat"] * (d["x"] > -1)),
        outcome="y",
        treatment="treat",
        received="received",
    ),
    "rate_ratio": lambda: rate_ratio(
        _trial(), outcome="events", treatment="treat", exposure="exposure", cluster="cluster"
    ),
    "rate_difference": lambda: rate_difference(
        _trial(), outcome="events", treatment="treat", exposure="exposure"
    ),
    "ipw": lambda: ipw(_observational(), outcome="y", treatment="treat", covariates=["x"]),
    "aipw": lambda: aipw(_observational(), outcome="y", treatment="treat", covariates=["x"]),
    "nearest_neighbor_match": lambda: nearest_neighbor_match(
        _observational(), outcome="y", treatment="treat", covariates=["x"]
    ),
    "did_2x2": lambda: did_2x2(
        _panel(), outcome="y", unit="unit", time="time", treatment="ever", post="post"
    ),
    "twfe": lambda: twfe(_panel(), outcome="y", unit="unit", time="time", treatment="d"),
    "event_study": lambda: event_study(
        _panel(), outcome="y", unit="unit", time="time", cohort="cohort"
    ),
    "callaway_santanna": lambda: callaway_santanna(
        _panel(), outcome="y", unit="unit", time="time", cohort="cohort"
    ),
    "synthetic_control": lambda: synthetic_control(
        _synth_panel(), outcome="y", unit="unit", time="time", treatment="d"
    ),
    "synthetic_did": lambda: synthetic_did(
        _synth_panel(), outcome="y", unit="unit", time="time", treatment="d"
    ),
    "regression_discontinuity": lambda: regression_discontinuity(_rd(), outcome="y", running="x"),
    "pool": lambda: pool(*_studies()[:2]),
    "meta_regression": lambda: meta_regression(
        *_studies()[:2], pd.DataFrame({"moderator": _studies()[2]})
    ),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_estimator_writes_a_design_that_grading_knows(name):
    est = headline(ESTIMATORS[name]())
    assert est.design in DESIGNS, (name, est.design)
    grade = grade_evidence(design=est.design, risk_of_bias="low", estimate=est)
    assert grade.design == est.design
    assert grade.start_level == get_design(est.design).start_level


def test_a_clustered_trial_says_so():
    # Arms assigned by cluster: a cluster-randomised trial, whatever the estimator.
    trial = _trial()
    for est in (
        difference_in_means(trial, outcome="y", treatment="treat", cluster="cluster"),
        rate_ratio(
            trial, outcome="events", treatment="treat", exposure="exposure", cluster="cluster"
        ),
    ):
        assert est.design == "cluster_rct"
    # Units randomised one by one, errors clustered by site: still an individual trial.
    trial["treat"] = np.random.default_rng(7).permutation(np.arange(len(trial)) % 2)
    est = difference_in_means(trial, outcome="y", treatment="treat", cluster="cluster")
    assert est.design == "rct"
