"""Unit tests of :mod:`impactlib.experiment`: rate ratios and rate differences of count outcomes.

Four kinds of checks, as in ``test_experiment.py``: independent re-computations (crude rates
and the CR1 sandwich written out with numpy, and a direct statsmodels call), seeded Monte
Carlo runs against the known truth of :func:`cluster_count_trial`, invariants, and
refusals of bad input. No published figure is reproduced here: no real trial with
individual counts and exposures is available offline, so the reference is the known truth
of the simulation. The Monte Carlo runs are seeded, so a failure is never flaky.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from impactlib.appraisal import grade_evidence
from impactlib.core import InputError
from impactlib.experiment import (
    cluster_count_trial,
    implied_icc,
    rate_difference,
    rate_ratio,
)

TRUE_RR = 0.77  # the value the report autonomie-chutes-essai is calibrated on
COLUMNS = {"outcome": "events", "treatment": "treatment", "exposure": "exposure"}


def trial(seed: int = 3, **changes) -> pd.DataFrame:
    """A realistic small cluster-randomised trial of falls (the DGP of the report)."""
    settings_ = {
        "n_clusters": 40,
        "cluster_size": (15, 35),
        "baseline_rate": 0.8,
        "rate_ratio": TRUE_RR,
        "cluster_sd": 0.2,
        "overdispersion": 1.0,
        "dropout": 0.1,
    }
    settings_.update(changes)
    return cluster_count_trial(seed=seed, **settings_)


def design_matrix(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(frame)), frame["treatment"].to_numpy(dtype=float)])


# --- the simulator -------------------------------------------------------------------------


def test_simulator_shape_randomisation_and_attrs():
    data = trial(seed=1, n_clusters=41)
    assert list(data.columns) == [
        "cluster",
        "person",
        "treatment",
        "exposure",
        "events",
        "prior_events",
    ]
    arms = data.groupby("cluster")["treatment"].agg(["nunique", "first"])
    assert (arms["nunique"] == 1).all()  # clusters, not people, are randomised
    assert arms["first"].sum() == 41 // 2
    sizes = data.groupby("cluster").size()
    assert sizes.between(15, 35).all()
    assert (data["exposure"] > 0).all() and (data["exposure"] <= 1.0).all()
    # dropout = 0.1: about a tenth of people are followed for less than the full year
    assert 0.05 < (data["exposure"] < 1.0).mean() < 0.15
    dgp = data.attrs["dgp"]
    assert dgp["rate_ratio"] == TRUE_RR
    assert dgp["log_rate_ratio"] == pytest.approx(math.log(TRUE_RR))
    assert dgp["icc"] == pytest.approx(
        implied_icc(baseline_rate=0.8, cluster_sd=0.2, overdispersion=1.0)
    )


def test_simulator_is_deterministic_given_the_seed():
    pd.testing.assert_frame_equal(trial(seed=5), trial(seed=5))
    assert not trial(seed=5).equals(trial(seed=6))


def test_simulator_marginal_rates_are_the_truth():
    # Large run: the mean-one cluster effect and frailty keep the marginal rates exact.
    data = cluster_count_trial(
        n_clusters=400,
        cluster_size=100,
        baseline_rate=0.8,
        rate_ratio=TRUE_RR,
        cluster_sd=0.2,
        overdispersion=1.0,
        seed=11,
    )
    sums = data.groupby("treatment")[["events", "exposure"]].sum()
    rates = sums["events"] / sums["exposure"]
    assert rates[0] == pytest.approx(0.8, rel=0.03)
    assert rates[1] == pytest.approx(0.8 * TRUE_RR, rel=0.03)
    assert data["prior_events"].mean() == pytest.approx(0.8, rel=0.03)


def test_implied_icc_by_hand_and_empirically():
    # Formula written out: mu = 0.8, v = exp(0.04) - 1, a = 1.
    v = math.exp(0.04) - 1
    by_hand = 0.64 * v / (0.8 + 0.64 * (2 * (1 + v) - 1))
    assert implied_icc(baseline_rate=0.8, cluster_sd=0.2, overdispersion=1.0) == pytest.approx(
        by_hand, rel=1e-12
    )
    # One-way ANOVA estimator of the ICC on a large control-only simulation.
    data = cluster_count_trial(
        n_clusters=1000,
        cluster_size=20,
        baseline_rate=0.8,
        rate_ratio=1.0,
        cluster_sd=0.5,
        overdispersion=0.5,
        seed=2,
    )
    y = data["prior_events"].to_numpy(dtype=float).reshape(1000, 20)
    msb = 20 * y.mean(axis=1).var(ddof=1)
    msw = y.var(axis=1, ddof=1).mean()
    anova = (msb - msw) / (msb + 19 * msw)
    truth = implied_icc(baseline_rate=0.8, cluster_sd=0.5, overdispersion=0.5)
    assert anova == pytest.approx(truth, abs=0.015)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n_clusters": 3}, "n_clusters must be an integer >= 4"),
        ({"n_clusters": 10.0}, "n_clusters must be an integer"),
        ({"cluster_size": 0}, "cluster_size must be an integer >= 1"),
        ({"cluster_size": (10, 5)}, r"cluster_size\[1\] must be an integer >= 10"),
        ({"cluster_size": (1, 2, 3)}, "cluster_size must be an int or"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed must be an integer >= 0"),
        ({"baseline_rate": -0.5}, "baseline_rate must be a finite number > 0"),
        ({"rate_ratio": 0}, "rate_ratio must be a finite number > 0"),
        ({"cluster_sd": -0.1}, "cluster_sd must be a finite number >= 0"),
        ({"overdispersion": float("nan")}, "overdispersion must be a finite number"),
        ({"dropout": 1.5}, r"dropout must be in \[0, 1\]"),
    ],
)
def test_simulator_refuses_bad_parameters(changes, match):
    with pytest.raises(InputError, match=match):
        trial(**changes)


# --- independent re-computations --------------------------------------------------------------


def test_poisson_reproduces_the_crude_rate_ratio_and_a_hand_written_cr1():
    data = trial(seed=4)
    est = rate_ratio(data, **COLUMNS, cluster="cluster", model="poisson")
    sums = data.groupby("treatment")[["events", "exposure"]].sum()
    crude = (sums.loc[1, "events"] / sums.loc[1, "exposure"]) / (
        sums.loc[0, "events"] / sums.loc[0, "exposure"]
    )
    assert est.extra["rate_ratio"] == pytest.approx(crude, rel=1e-9)
    assert est.value == pytest.approx(math.log(crude), rel=1e-9)
    # CR1 sandwich of the Poisson GLM, written out: bread (X' diag(mu) X)^-1, cluster scores
    # X_g' (y_g - mu_g), factor G/(G-1) * (N-1)/(N-k) (statsmodels' and Stata's default).
    x = design_matrix(data)
    y = data["events"].to_numpy(dtype=float)
    rates = (sums["events"] / sums["exposure"]).to_numpy()
    mu = rates[data["treatment"].to_numpy()] * data["exposure"].to_numpy()
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    groups = data["cluster"].to_numpy()
    meat = np.zeros((2, 2))
    for label in np.unique(groups):
        score = x[groups == label].T @ (y - mu)[groups == label]
        meat += np.outer(score, score)
    n, k, g = len(y), 2, len(np.unique(groups))
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    se = math.sqrt(vcov[1, 1])
    assert est.std_error == pytest.approx(se, rel=1e-7)
    crit = stats.t.ppf(0.975, g - 1)
    assert est.ci_low == pytest.approx(est.value - crit * se, rel=1e-7)
    assert est.ci_high == pytest.approx(est.value + crit * se, rel=1e-7)
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(est.value) / se, g - 1), rel=1e-6)
    assert est.extra["rate_ratio_ci"] == pytest.approx(
        [math.exp(est.ci_low), math.exp(est.ci_high)]
    )


def test_negative_binomial_agrees_with_a_direct_statsmodels_call():
    data = trial(seed=8)
    est = rate_ratio(data, **COLUMNS, cluster="cluster")
    x, y = design_matrix(data), data["events"].to_numpy(dtype=float)
    offset = np.log(data["exposure"].to_numpy())
    nb = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(method="newton", disp=0)
    assert est.extra["nb_alpha"] == pytest.approx(nb.params[-1], rel=1e-5)
    assert est.value == pytest.approx(nb.params[1], rel=1e-5)  # full ML coefficient
    groups = pd.factorize(data["cluster"])[0]
    glm = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=nb.params[-1]), offset=offset).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    assert est.value == pytest.approx(glm.params[1], rel=1e-6)
    assert est.std_error == pytest.approx(glm.bse[1], rel=1e-5)
    assert est.n == len(data) and est.n_clusters == 40
    assert est.n_treated == int(data["treatment"].sum())
    assert est.design == "cluster_rct"
    assert est.estimand.startswith("log rate ratio")
    assert "Negative-binomial" in est.method and "CR1" in est.method
    assert est.extra["df"] == 39.0 and est.extra["model"] == "negative_binomial"
    assert est.extra["events_treated"] == data.loc[data["treatment"] == 1, "events"].sum()


def test_without_cluster_uses_hc0_and_normal_inference():
    data = trial(seed=9)
    est = rate_ratio(data, **COLUMNS, model="poisson")
    x, y = design_matrix(data), data["events"].to_numpy(dtype=float)
    offset = np.log(data["exposure"].to_numpy())
    glm = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(cov_type="HC0")
    assert est.std_error == pytest.approx(glm.bse[1], rel=1e-7)
    assert est.ci_high == pytest.approx(est.value + stats.norm.ppf(0.975) * glm.bse[1])
    assert est.n_clusters is None and est.extra["df"] is None and est.design == "rct"


def test_covariates_agree_with_statsmodels_and_gain_precision():
    data = trial(seed=12).assign(log_prior=lambda d: np.log1p(d["prior_events"]))
    est = rate_ratio(data, **COLUMNS, cluster="cluster", covariates="log_prior")
    x = np.column_stack([design_matrix(data), data["log_prior"] - data["log_prior"].mean()])
    y, offset = data["events"].to_numpy(dtype=float), np.log(data["exposure"].to_numpy())
    nb = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(method="newton", disp=0)
    assert est.value == pytest.approx(nb.params[1], rel=1e-5)
    assert est.extra["covariates"] == ["log_prior"]
    plain = rate_ratio(data, **COLUMNS, cluster="cluster")
    assert est.std_error < plain.std_error  # prior falls are strongly prognostic


def test_rate_difference_by_the_delta_method():
    data = trial(seed=4)
    diff = rate_difference(data, **COLUMNS, cluster="cluster", model="poisson")
    sums = data.groupby("treatment")[["events", "exposure"]].sum()
    rates = sums["events"] / sums["exposure"]
    assert diff.value == pytest.approx(rates[1] - rates[0], rel=1e-9)
    assert diff.extra["rate_control"] == pytest.approx(rates[0], rel=1e-9)
    # Delta method on (b0, b1): gradient (r1 - r0, r1) with the CR1 covariance of statsmodels.
    x, y = design_matrix(data), data["events"].to_numpy(dtype=float)
    glm = sm.GLM(
        y, x, family=sm.families.Poisson(), offset=np.log(data["exposure"].to_numpy())
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(data["cluster"])[0]})
    grad = np.array([rates[1] - rates[0], rates[1]])
    assert diff.std_error == pytest.approx(math.sqrt(grad @ glm.cov_params() @ grad), rel=1e-7)
    assert diff.estimand.startswith("rate difference")
    with pytest.raises(TypeError):
        rate_difference(data, **COLUMNS, covariates="prior_events")  # not accepted


# --- Monte Carlo against the known truth -----------------------------------------------------


def test_recovers_a_known_rate_ratio_on_a_large_trial():
    data = cluster_count_trial(
        n_clusters=300,
        cluster_size=(20, 40),
        baseline_rate=0.8,
        rate_ratio=TRUE_RR,
        cluster_sd=0.2,
        overdispersion=1.0,
        dropout=0.1,
        seed=2024,
    )
    for model in ("negative_binomial", "poisson"):
        est = rate_ratio(data, **COLUMNS, cluster="cluster", model=model)
        assert est.ci_low < math.log(TRUE_RR) < est.ci_high
        assert est.extra["rate_ratio"] == pytest.approx(TRUE_RR, abs=0.04)
        assert est.std_error < 0.05
    nb = rate_ratio(data, **COLUMNS, cluster="cluster")
    assert nb.extra["nb_alpha"] == pytest.approx(1.0, abs=0.15)  # frailty + cluster variance


def coverage(replications: int, *, model: str, first_seed: int, **design) -> tuple[float, float]:
    """Share of 95 % intervals covering log(0.77), and the mean bias of the estimate."""
    truth = math.log(TRUE_RR)
    hits, errors = 0, []
    for r in range(replications):
        data = trial(seed=first_seed + r, **design)
        est = rate_ratio(data, **COLUMNS, cluster="cluster", model=model)
        hits += est.ci_low < truth < est.ci_high
        errors.append(est.value - truth)
    return hits / replications, float(np.mean(errors))


@pytest.mark.parametrize("model", ["negative_binomial", "poisson"])
def test_cluster_robust_coverage_is_nominal(model):
    # 200 seeded trials of 20 clusters of about 10 people: few clusters, the hard case.
    share, bias = coverage(200, model=model, first_seed=1000, n_clusters=20, cluster_size=10)
    assert 0.92 <= share <= 0.98
    assert abs(bias) < 0.05  # Monte Carlo standard error of the mean about 0.018


@pytest.mark.slow
@pytest.mark.parametrize("model", ["negative_binomial", "poisson"])
def test_cluster_robust_coverage_is_nominal_long_run(model):
    share, bias = coverage(1000, model=model, first_seed=50_000, n_clusters=60)
    assert 0.935 <= share <= 0.965
    assert abs(bias) < 0.01


# --- invariants -------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([1.0, 12.0, 365.25]))
def test_invariant_to_row_order_and_exposure_units(seed, scale):
    data = trial(seed=seed, n_clusters=12, cluster_size=8)
    est = rate_ratio(data, **COLUMNS, cluster="cluster", model="poisson")
    shuffled = data.sample(frac=1.0, random_state=seed).assign(
        exposure=lambda d: d.exposure * scale
    )
    other = rate_ratio(shuffled, **COLUMNS, cluster="cluster", model="poisson")
    assert other.value == pytest.approx(est.value, abs=1e-9)
    assert other.std_error == pytest.approx(est.std_error, rel=1e-6)


def test_swapping_the_arms_inverts_the_ratio():
    data = trial(seed=21)
    est = rate_ratio(data, **COLUMNS, cluster="cluster")
    swapped = rate_ratio(data.assign(treatment=1 - data["treatment"]), **COLUMNS, cluster="cluster")
    assert swapped.value == pytest.approx(-est.value, rel=1e-5)
    assert swapped.std_error == pytest.approx(est.std_error, rel=1e-4)


def test_treatment_varying_within_clusters_is_not_a_cluster_rct():
    data = trial(seed=2)
    data["treatment"] = (data["person"] % 2).astype(int)
    assert rate_ratio(data, **COLUMNS, cluster="cluster", model="poisson").design == "rct"


def test_design_name_is_accepted_by_grade_evidence():
    est = rate_ratio(trial(seed=3), **COLUMNS, cluster="cluster")
    grade = grade_evidence(design=est.design, risk_of_bias="low", estimate=est)
    assert grade.reasons[0].startswith("Essai randomisé par grappes")


def test_missing_rows_are_dropped_and_counted():
    data = trial(seed=6).astype({"events": float})
    data.loc[[0, 5, 9], "events"] = np.nan
    data.loc[[12], "exposure"] = np.nan
    est = rate_ratio(data, **COLUMNS, cluster="cluster", model="poisson")
    assert est.n_dropped == 4 and est.n == len(data) - 4
    complete = rate_ratio(data.dropna(), **COLUMNS, cluster="cluster", model="poisson")
    assert est == dataclasses.replace(complete, n_dropped=4)


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_a_missing_column():
    with pytest.raises(InputError, match=r"exposure 'time' not found in data"):
        rate_ratio(trial(), outcome="events", treatment="treatment", exposure="time")
    with pytest.raises(InputError, match=r"cluster 'commune' not found"):
        rate_ratio(trial(), **COLUMNS, cluster="commune")


@pytest.mark.parametrize("bad", [-0.5, 0.0])
def test_refuses_non_positive_exposure(bad):
    data = trial()
    data.loc[3, "exposure"] = bad
    with pytest.raises(InputError, match=r"exposure column 'exposure' must be > 0.*1 value"):
        rate_ratio(data, **COLUMNS)


def test_refuses_a_non_binary_treatment():
    data = trial()
    data.loc[0, "treatment"] = 2
    with pytest.raises(InputError, match=r"treatment column 'treatment' must be binary 0/1"):
        rate_ratio(data, **COLUMNS)


@pytest.mark.parametrize("bad", [1.5, -1.0])
def test_refuses_non_integer_or_negative_counts(bad):
    data = trial().astype({"events": float})
    data.loc[7, "events"] = bad
    with pytest.raises(InputError, match=r"outcome column 'events' must hold counts"):
        rate_ratio(data, **COLUMNS)


def test_refuses_text_counts_and_infinite_exposure():
    data = trial()
    with pytest.raises(InputError, match=r"outcome column 'events' must be numeric"):
        rate_ratio(data.astype({"events": str}), **COLUMNS)
    data.loc[1, "exposure"] = np.inf
    with pytest.raises(InputError, match=r"exposure column 'exposure' has 1 infinite"):
        rate_ratio(data, **COLUMNS)


def test_refuses_an_arm_without_events_and_other_bad_arguments():
    data = trial()
    data.loc[data["treatment"] == 1, "events"] = 0
    with pytest.raises(InputError, match=r"no event in the treated group"):
        rate_ratio(data, **COLUMNS, model="poisson")
    with pytest.raises(InputError, match=r"model must be one of negative_binomial, poisson"):
        rate_ratio(trial(), **COLUMNS, model="zip")
    with pytest.raises(InputError, match=r"alpha must be in \(0, 1\)"):
        rate_ratio(trial(), **COLUMNS, alpha=5)
    with pytest.raises(InputError, match=r"single cluster"):
        rate_ratio(trial().assign(one="a"), **COLUMNS, cluster="one")
    with pytest.raises(InputError, match=r"also used as outcome/treatment/exposure"):
        rate_ratio(trial(), **COLUMNS, covariates=["exposure"])
    with pytest.raises(InputError, match=r"must be a pandas DataFrame"):
        rate_ratio([1, 2, 3], **COLUMNS)
