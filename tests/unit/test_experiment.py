"""Unit tests of :func:`impactlib.experiment.difference_in_means` and ``balance_table``.

Four kinds of checks: a published figure on real data, independent re-computations of the
estimators with numpy, seeded Monte Carlo runs against a known truth, and invariants and
refusals. The Monte Carlo runs are deterministic (seeded), so a failure is never flaky.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from impactlib.core import InputError
from impactlib.experiment import (
    PowerDesign,
    balance_table,
    difference_in_means,
    joint_balance_test,
    randomization_inference,
)

TRUE_ATE = 1.5
NSW_COVARIATES = ["age", "educ", "re74", "re75"]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nsw() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    return causaldata.nsw_mixtape.load_pandas().data


@pytest.fixture(scope="module")
def cps() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    return causaldata.cps_mixtape.load_pandas().data


def small_frame(seed: int = 0, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.permutation(np.repeat([0, 1], n // 2))
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = 1.0 + TRUE_ATE * t + x1 - 0.5 * x2 + rng.normal(size=n) * (1 + t)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": x2, "g": np.repeat(np.arange(8), n // 8)})


def clustered_frame(seed: int = 7, n_clusters: int = 12, size: int = 6) -> pd.DataFrame:
    """Cluster-randomised data with unequal cluster sizes and a unit-level covariate."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(size - 3, size + 4, size=n_clusters)
    g = np.repeat(np.arange(n_clusters), sizes)
    treated_clusters = rng.permutation(np.repeat([0, 1], n_clusters // 2))
    t = treated_clusters[g]
    u = rng.normal(size=n_clusters)[g]
    x = rng.normal(size=len(g))
    y = TRUE_ATE * t + u + 0.8 * x + rng.normal(size=len(g))
    # Cluster labels as strings, not in sorted order, to exercise the factorisation.
    labels = np.array([f"c{(7 * k) % n_clusters:02d}" for k in range(n_clusters)])
    return pd.DataFrame({"y": y, "t": t, "x": x, "school": labels[g]})


# --- published figures on the real NSW data ---------------------------------------------


def test_nsw_experimental_benchmark(nsw):
    # LaLonde (1986), "Evaluating the Econometric Evaluations of Training Programs with
    # Experimental Data", AER 76(4); Dehejia & Wahba (1999), "Causal Effects in
    # Nonexperimental Studies", JASA 94(448). On the Dehejia-Wahba NSW sample (185 treated,
    # 260 controls) the experimental benchmark is $1,794.34 (quoted e.g. in Cunningham 2021,
    # Causal Inference: The Mixtape, ch. "Matching and Subclassification").
    assert len(nsw) == 445
    est = difference_in_means(nsw, outcome="re78", treatment="treat")
    assert round(est.value, 2) == 1794.34
    assert est.n == 445
    assert est.n_treated == 185
    assert est.n_control == 260
    assert est.n_dropped == 0
    assert est.n_clusters is None
    assert est.design == "rct" and est.estimand == "ATE"
    assert est.outcome == "re78" and est.treatment == "treat"
    assert est.ci_low < 1794.34 < est.ci_high
    assert est.extra == {"df": 443.0, "covariates": [], "cluster": None}
    assert "Difference in means" in est.method and "HC2" in est.method


def test_nsw_treated_against_cps_controls(nsw, cps):
    # Same sources: the naive comparison of NSW treated units with CPS controls is badly
    # biased (Dehejia & Wahba 1999; Cunningham 2021 quotes -8,497.52).
    assert (cps["treat"] == 0).all()
    both = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True)
    est = difference_in_means(both, outcome="re78", treatment="treat")
    assert round(est.value, 2) == -8497.52
    assert est.n == 185 + len(cps)
    assert est.n_treated == 185
    assert est.n_control == len(cps)


# --- independent re-computations ---------------------------------------------------------


def neyman_se(y: np.ndarray, t: np.ndarray) -> float:
    y1, y0 = y[t == 1], y[t == 0]
    return float(np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0)))


def lin_design(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=0)
    return np.column_stack([np.ones(len(t)), t, xc, xc * t[:, None]])


def hc2(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients by lstsq and the HC2 sandwich, written out."""
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    bread = np.linalg.inv(design.T @ design)
    leverage = np.einsum("ij,jk,ik->i", design, bread, design)
    meat = design.T @ (design * (resid**2 / (1 - leverage))[:, None])
    return beta, bread @ meat @ bread


def cr1(design: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and the CR1 cluster-robust sandwich (Stata's small-sample factor)."""
    n, k = design.shape
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    bread = np.linalg.inv(design.T @ design)
    labels = np.unique(groups)
    meat = np.zeros((k, k))
    for label in labels:
        score = design[groups == label].T @ resid[groups == label]
        meat += np.outer(score, score)
    n_groups = len(labels)
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    return beta, factor * bread @ meat @ bread


def test_unadjusted_se_is_neyman_on_nsw(nsw):
    y = nsw["re78"].to_numpy(dtype=float)
    t = nsw["treat"].to_numpy(dtype=int)
    est = difference_in_means(nsw, outcome="re78", treatment="treat")
    assert est.value == pytest.approx(y[t == 1].mean() - y[t == 0].mean(), rel=1e-12)
    se = neyman_se(y, t)
    assert est.std_error == pytest.approx(se, rel=1e-9)
    crit = stats.t.ppf(0.975, len(y) - 2)
    assert est.ci_low == pytest.approx(est.value - crit * se, rel=1e-9)
    assert est.ci_high == pytest.approx(est.value + crit * se, rel=1e-9)
    assert est.p_value == pytest.approx(2 * stats.t.sf(est.value / se, len(y) - 2), rel=1e-6)


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.32])
def test_unadjusted_interval_uses_t_with_n_minus_2_df(alpha):
    df = small_frame(seed=3, n=24)
    y, t = df["y"].to_numpy(), df["t"].to_numpy()
    est = difference_in_means(df, "y", "t", alpha=alpha)
    se = neyman_se(y, t)
    crit = stats.t.ppf(1 - alpha / 2, 22)
    assert est.alpha == alpha
    assert est.std_error == pytest.approx(se, rel=1e-9)
    assert est.ci_low == pytest.approx(est.value - crit * se, rel=1e-9)
    assert est.ci_high == pytest.approx(est.value + crit * se, rel=1e-9)


def test_docstring_example_by_hand():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0], "t": [0, 0, 0, 1, 1, 1]})
    est = difference_in_means(df, outcome="y", treatment="t")
    assert est.value == pytest.approx(4.0)
    # s1^2 = 4, s0^2 = 1: sqrt(4/3 + 1/3)
    assert est.std_error == pytest.approx(np.sqrt(5 / 3), rel=1e-12)


def test_lin_adjustment_on_nsw_matches_lstsq_and_hc2(nsw):
    y = nsw["re78"].to_numpy(dtype=float)
    t = nsw["treat"].to_numpy(dtype=float)
    design = lin_design(t, nsw[NSW_COVARIATES].to_numpy(dtype=float))
    beta, vcov = hc2(design, y)
    est = difference_in_means(nsw, "re78", "treat", covariates=NSW_COVARIATES)
    assert est.value == pytest.approx(beta[1], rel=1e-9)
    assert est.std_error == pytest.approx(np.sqrt(vcov[1, 1]), rel=1e-9)
    df_resid = len(y) - design.shape[1]
    assert est.extra["df"] == df_resid == 445 - 10
    crit = stats.t.ppf(0.975, df_resid)
    assert est.ci_low == pytest.approx(beta[1] - crit * np.sqrt(vcov[1, 1]), rel=1e-9)
    assert est.extra["covariates"] == NSW_COVARIATES
    assert "Lin (2013)" in est.method
    # Sanity: the adjustment moves the estimate but keeps it near the benchmark.
    assert 1000 < est.value < 2500


def test_lin_with_single_covariate_given_as_string():
    df = small_frame(seed=11)
    by_string = difference_in_means(df, "y", "t", covariates="x1")
    by_list = difference_in_means(df, "y", "t", covariates=["x1"])
    assert by_string == by_list
    beta, vcov = hc2(lin_design(df["t"].to_numpy(float), df[["x1"]].to_numpy()), df["y"].to_numpy())
    assert by_string.value == pytest.approx(beta[1], rel=1e-9)
    assert by_string.std_error == pytest.approx(np.sqrt(vcov[1, 1]), rel=1e-9)


@pytest.mark.parametrize("covariates", [None, ["x"]])
def test_cluster_robust_se_is_cr1(covariates):
    df = clustered_frame()
    y = df["y"].to_numpy()
    t = df["t"].to_numpy(dtype=float)
    design = (
        np.column_stack([np.ones(len(y)), t])
        if covariates is None
        else lin_design(t, df[covariates].to_numpy())
    )
    beta, vcov = cr1(design, y, df["school"].to_numpy())
    se = np.sqrt(vcov[1, 1])
    est = difference_in_means(df, "y", "t", covariates=covariates, cluster="school")
    n_groups = df["school"].nunique()
    assert est.n_clusters == n_groups == 12
    assert est.value == pytest.approx(beta[1], rel=1e-9)
    assert est.std_error == pytest.approx(se, rel=1e-9)
    crit = stats.t.ppf(0.975, n_groups - 1)
    assert est.extra["df"] == n_groups - 1
    assert est.extra["cluster"] == "school"
    assert est.ci_low == pytest.approx(beta[1] - crit * se, rel=1e-9)
    assert est.ci_high == pytest.approx(beta[1] + crit * se, rel=1e-9)
    p = 2 * stats.t.sf(abs(beta[1] / se), n_groups - 1)
    assert est.p_value == pytest.approx(p, rel=1e-6)
    assert "CR1" in est.method


# --- known truth: seeded Monte Carlo -----------------------------------------------------


def simulate_heteroskedastic(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    t = rng.permutation(np.repeat([0, 1], n // 2))
    y0 = rng.normal(0.0, 1.0, size=n)
    y1 = TRUE_ATE + rng.normal(0.0, 2.0, size=n)
    return pd.DataFrame({"y": np.where(t == 1, y1, y0), "t": t})


def simulate_with_covariates(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    t = rng.permutation(np.repeat([0, 1], n // 2))
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    signal = 1.0 * x1 - 0.8 * x2
    y0 = signal + rng.normal(0.0, 1.0, size=n)
    y1 = TRUE_ATE + signal + rng.normal(0.0, 2.0, size=n)
    return pd.DataFrame({"y": np.where(t == 1, y1, y0), "t": t, "x1": x1, "x2": x2})


def simulate_clustered(
    rng: np.random.Generator, n_clusters: int = 40, size: int = 10
) -> pd.DataFrame:
    g = np.repeat(np.arange(n_clusters), size)
    t = rng.permutation(np.repeat([0, 1], n_clusters // 2))[g]
    u = rng.normal(0.0, 1.0, size=n_clusters)[g]
    noise = rng.normal(size=n_clusters * size) * np.where(t == 1, 1.5, 1.0)
    return pd.DataFrame({"y": TRUE_ATE * t + u + noise, "t": t, "g": g})


def monte_carlo(simulate, reps: int, seed: int, **kwargs) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    values, ses, covered = np.empty(reps), np.empty(reps), np.empty(reps, dtype=bool)
    for r in range(reps):
        est = difference_in_means(simulate(rng), "y", "t", **kwargs)
        values[r], ses[r] = est.value, est.std_error
        covered[r] = est.ci_low <= TRUE_ATE <= est.ci_high
    return {"value": values, "se": ses, "covered": covered}


def assert_calibrated(result: dict[str, np.ndarray], low: float = 0.92, high: float = 0.98):
    reps = len(result["value"])
    coverage = result["covered"].mean()
    assert low <= coverage <= high, f"coverage {coverage:.3f} over {reps} replications"
    mc_se = result["value"].std(ddof=1) / np.sqrt(reps)
    bias = result["value"].mean() - TRUE_ATE
    assert abs(bias) <= 3 * mc_se, f"mean estimate off by {bias:.4f} (MC s.e. {mc_se:.4f})"
    # The average standard error tracks the spread of the estimates (within 15%).
    assert result["se"].mean() == pytest.approx(result["value"].std(ddof=1), rel=0.15)


def test_monte_carlo_heteroskedastic_experiment():
    assert_calibrated(monte_carlo(simulate_heteroskedastic, reps=400, seed=20240601))


def test_monte_carlo_lin_adjustment_is_calibrated_and_more_precise():
    seed = 20240602
    adjusted = monte_carlo(simulate_with_covariates, 300, seed, covariates=["x1", "x2"])
    unadjusted = monte_carlo(simulate_with_covariates, 300, seed)
    assert_calibrated(adjusted)
    assert_calibrated(unadjusted)
    assert adjusted["se"].mean() < unadjusted["se"].mean()
    assert adjusted["value"].std() < unadjusted["value"].std()


def test_monte_carlo_cluster_randomised():
    result = monte_carlo(simulate_clustered, reps=300, seed=20240603, cluster="g")
    assert_calibrated(result)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("simulate", "kwargs"),
    [
        (simulate_heteroskedastic, {}),
        (simulate_with_covariates, {"covariates": ["x1", "x2"]}),
        (simulate_clustered, {"cluster": "g"}),
    ],
    ids=["neyman", "lin", "cluster"],
)
def test_monte_carlo_large(simulate, kwargs):
    # 2000 replications: the Monte Carlo s.e. of the coverage is about 0.5 point, so the
    # band is tighter than in the default run.
    result = monte_carlo(simulate, reps=2000, seed=99, **kwargs)
    assert_calibrated(result, low=0.935, high=0.965)


# --- invariants ---------------------------------------------------------------------------


@st.composite
def experiments(draw) -> pd.DataFrame:
    n_treated = draw(st.integers(2, 12))
    n_control = draw(st.integers(2, 12))
    n = n_treated + n_control
    outcome = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
    y = draw(st.lists(outcome, min_size=n, max_size=n))
    # A constant outcome is refused (tested separately). The spread must also survive the
    # shifts and scalings of the properties below: [0, 0, 0, 1e-38] + 1 is constant in floats.
    assume(max(y) - min(y) > 1e-6 * (1.0 + max(abs(v) for v in y)))
    return pd.DataFrame({"y": y, "t": [1] * n_treated + [0] * n_control})


def seeded_frame(seed: int, kind: str) -> tuple[pd.DataFrame, dict]:
    df = small_frame(seed=seed, n=40)
    kwargs = {"plain": {}, "lin": {"covariates": ["x1", "x2"]}, "cluster": {"cluster": "g"}}
    return df, kwargs[kind]


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), scale)


@settings(max_examples=25, deadline=None)
@given(df=experiments(), data=st.data())
def test_permuting_rows_changes_nothing(df, data):
    order = data.draw(st.permutations(range(len(df))))
    before = difference_in_means(df, "y", "t")
    after = difference_in_means(df.iloc[list(order)], "y", "t")
    scale = 1.0 + df["y"].abs().max()
    assert close(after.value, before.value, scale)
    assert close(after.std_error, before.std_error, scale)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["plain", "lin", "cluster"]),
    data=st.data(),
)
def test_permuting_rows_changes_nothing_with_covariates_or_clusters(seed, kind, data):
    df, kwargs = seeded_frame(seed, kind)
    order = data.draw(st.permutations(range(len(df))))
    before = difference_in_means(df, "y", "t", **kwargs)
    after = difference_in_means(df.iloc[list(order)].reset_index(drop=True), "y", "t", **kwargs)
    assert after.value == pytest.approx(before.value, rel=1e-9)
    assert after.std_error == pytest.approx(before.std_error, rel=1e-9)
    assert after.p_value == pytest.approx(before.p_value, rel=1e-6)
    assert after.n_clusters == before.n_clusters


@settings(max_examples=25, deadline=None)
@given(df=experiments(), c=st.floats(1e-3, 1e3))
def test_scaling_the_outcome_scales_value_and_se(df, c):
    before = difference_in_means(df, "y", "t")
    after = difference_in_means(df.assign(y=df["y"] * c), "y", "t")
    scale = c * (1.0 + df["y"].abs().max())
    assert close(after.value, c * before.value, scale)
    assert close(after.std_error, c * before.std_error, scale)


@settings(max_examples=25, deadline=None)
@given(df=experiments(), shift=st.floats(-1e3, 1e3))
def test_shifting_the_outcome_changes_nothing(df, shift):
    before = difference_in_means(df, "y", "t")
    after = difference_in_means(df.assign(y=df["y"] + shift), "y", "t")
    scale = 1.0 + df["y"].abs().max() + abs(shift)
    assert close(after.value, before.value, scale)
    assert close(after.std_error, before.std_error, scale)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["plain", "lin", "cluster"]),
    c=st.floats(1e-2, 1e2),
    shift=st.floats(-100, 100),
)
def test_affine_outcome_transform_with_covariates_or_clusters(seed, kind, c, shift):
    df, kwargs = seeded_frame(seed, kind)
    before = difference_in_means(df, "y", "t", **kwargs)
    after = difference_in_means(df.assign(y=c * df["y"] + shift), "y", "t", **kwargs)
    assert after.value == pytest.approx(c * before.value, rel=1e-9, abs=1e-9 * (c + abs(shift)))
    assert after.std_error == pytest.approx(c * before.std_error, rel=1e-9)
    assert after.p_value == pytest.approx(before.p_value, rel=1e-6, abs=1e-12)


def test_boolean_treatment_accepted_and_equal_to_integer():
    df = small_frame(seed=5)
    as_int = difference_in_means(df, "y", "t")
    as_bool = difference_in_means(df.assign(t=df["t"].astype(bool)), "y", "t")
    assert as_bool == as_int
    assert as_bool.n_treated == 20 and as_bool.n_control == 20


def test_float_treatment_accepted():
    df = small_frame(seed=5)
    assert difference_in_means(df.assign(t=df["t"].astype(float)), "y", "t") == (
        difference_in_means(df, "y", "t")
    )


# --- missing values -----------------------------------------------------------------------


def test_rows_with_missing_outcome_or_covariate_are_dropped_and_counted():
    df = small_frame(seed=2)
    df.loc[[0, 5], "y"] = np.nan
    df.loc[[5, 9, 13], "x1"] = np.nan  # row 5 is missing twice: counted once
    df.loc[[1, 2], "x2"] = np.nan  # x2 is not used below: rows 1 and 2 stay
    est = difference_in_means(df, "y", "t", covariates=["x1"])
    assert est.n_dropped == 4
    assert est.n == 36
    complete = df.drop(index=[0, 5, 9, 13])
    assert est.n_treated == int(complete["t"].sum())
    assert est.n_treated + est.n_control == 36
    reference = difference_in_means(complete, "y", "t", covariates=["x1"])
    assert est.value == reference.value and est.std_error == reference.std_error
    assert reference.n_dropped == 0
    assert "4 row(s) dropped" in est.summary()


def test_missing_outcome_only_unadjusted():
    df = small_frame(seed=2)
    df.loc[[3, 4, 30], "y"] = np.nan
    est = difference_in_means(df, "y", "t")
    assert (est.n, est.n_dropped) == (37, 3)
    kept = df.dropna(subset=["y"])
    y, t = kept["y"].to_numpy(), kept["t"].to_numpy()
    assert est.value == pytest.approx(y[t == 1].mean() - y[t == 0].mean(), rel=1e-12)
    assert est.std_error == pytest.approx(neyman_se(y, t), rel=1e-9)


def test_missing_treatment_and_cluster_are_dropped_and_counted():
    df = small_frame(seed=4)
    df["t"] = df["t"].astype(float)
    df.loc[[0, 1], "t"] = np.nan
    df["g"] = df["g"].astype(float)
    df.loc[[2], "g"] = np.nan
    est = difference_in_means(df, "y", "t", cluster="g")
    assert (est.n, est.n_dropped) == (37, 3)
    assert est.n_clusters == 8


def test_all_rows_missing_is_refused():
    df = small_frame(seed=2)
    df["y"] = np.nan
    with pytest.raises(InputError, match="no row left after removing missing values"):
        difference_in_means(df, "y", "t")


# --- bad input ----------------------------------------------------------------------------


@pytest.fixture
def frame() -> pd.DataFrame:
    return small_frame(seed=1, n=16)


def test_refuses_missing_outcome_column(frame):
    with pytest.raises(ValueError, match=r"outcome 'earnings' not found in data"):
        difference_in_means(frame, "earnings", "t")


def test_refuses_missing_treatment_column(frame):
    with pytest.raises(ValueError, match=r"treatment 'assigned' not found in data"):
        difference_in_means(frame, "y", "assigned")


def test_refuses_missing_covariate_column(frame):
    with pytest.raises(ValueError, match=r"covariate 'income' not found in data"):
        difference_in_means(frame, "y", "t", covariates=["x1", "income"])


def test_refuses_missing_cluster_column(frame):
    with pytest.raises(ValueError, match=r"cluster 'village' not found in data"):
        difference_in_means(frame, "y", "t", cluster="village")


def test_refuses_non_binary_treatment(frame):
    bad = frame.assign(arm=np.arange(len(frame)) % 3)
    with pytest.raises(ValueError, match=r"treatment column 'arm' must be binary 0/1"):
        difference_in_means(bad, "y", "arm")


def test_refuses_treatment_that_never_varies(frame):
    with pytest.raises(ValueError, match=r"treatment column 'arm' never varies"):
        difference_in_means(frame.assign(arm=1), "y", "arm")


def test_refuses_treatment_that_varies_only_in_dropped_rows(frame):
    bad = frame.assign(y=np.where(frame["t"] == 1, np.nan, frame["y"]))
    with pytest.raises(ValueError, match=r"treatment column 't' never varies"):
        difference_in_means(bad, "y", "t")


def test_refuses_string_outcome(frame):
    bad = frame.assign(label=frame["y"].round(2).astype(str))
    with pytest.raises(ValueError, match=r"outcome column 'label' must be numeric"):
        difference_in_means(bad, "label", "t")


def test_refuses_string_covariate(frame):
    bad = frame.assign(region=np.where(frame["x1"] > 0, "north", "south"))
    with pytest.raises(ValueError, match=r"covariate column 'region' must be numeric"):
        difference_in_means(bad, "y", "t", covariates=["x1", "region"])


@pytest.mark.parametrize("alpha", [1.5, 0.0, 1.0, -0.1])
def test_refuses_alpha_outside_unit_interval(frame, alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        difference_in_means(frame, "y", "t", alpha=alpha)


def test_refuses_collinear_covariates(frame):
    bad = frame.assign(x3=2.0 * frame["x1"] - frame["x2"])
    with pytest.raises(ValueError, match=r"covariates \['x1', 'x2', 'x3'\] are collinear"):
        difference_in_means(bad, "y", "t", covariates=["x1", "x2", "x3"])


def test_refuses_constant_covariate(frame):
    with pytest.raises(ValueError, match=r"covariate\(s\) \['flat'\] never vary"):
        difference_in_means(frame.assign(flat=3.0), "y", "t", covariates=["x1", "flat"])


def test_refuses_covariate_equal_to_treatment(frame):
    with pytest.raises(ValueError, match=r"covariate\(s\) \['t'\] also used"):
        difference_in_means(frame, "y", "t", covariates=["t"])


@pytest.mark.parametrize("group", [0, 1])
def test_refuses_group_with_single_unit(group):
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0], "t": [1 - group] * 4 + [group]})
    with pytest.raises(ValueError, match=r"treatment column 't': each group needs at least 2"):
        difference_in_means(df, "y", "t")


def test_refuses_single_cluster(frame):
    with pytest.raises(ValueError, match=r"cluster column 'village' has a single cluster"):
        difference_in_means(frame.assign(village="A"), "y", "t", cluster="village")


def test_refuses_non_dataframe_and_empty_frame(frame):
    with pytest.raises(ValueError, match="data must be a pandas DataFrame, got dict"):
        difference_in_means(frame.to_dict(), "y", "t")
    with pytest.raises(ValueError, match="data has no rows"):
        difference_in_means(frame.iloc[:0], "y", "t")


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


def test_refuses_infinite_outcome_naming_the_column(frame):
    bad = frame.copy()
    bad.loc[0, "y"] = np.inf
    with pytest.raises(ValueError, match="'y'"):
        difference_in_means(bad, "y", "t")


def test_refuses_lin_adjustment_when_an_arm_is_saturated():
    df = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
            "t": [0, 0, 0, 0, 1, 1],
            "x": [1.0, 2.0, 3.0, 5.0, 4.0, 9.0],
        }
    )
    with pytest.raises(ValueError, match="'t'"):
        difference_in_means(df, "y", "t", covariates=["x"])


# --- balance_table -------------------------------------------------------------------------


def test_balance_table_by_hand():
    df = pd.DataFrame(
        {
            "t": [0, 0, 0, 1, 1, 1],
            "age": [20.0, 30.0, 40.0, 22.0, 34.0, 37.0],
            "educ": [10, 12, np.nan, 9, 11, 16],
        }
    )
    table = balance_table(df, "t", ["age", "educ"])
    assert list(table.index) == ["age", "educ"]
    assert list(table.columns) == [
        "mean_treated",
        "mean_control",
        "difference",
        "smd",
        "p_value",
        "n_missing",
    ]
    # age: treated mean 31, control mean 30; variances 63 and 100 (ddof=1).
    age = table.loc["age"]
    assert age["mean_treated"] == pytest.approx(31.0)
    assert age["mean_control"] == pytest.approx(30.0)
    assert age["difference"] == pytest.approx(1.0)
    assert age["smd"] == pytest.approx(1.0 / np.sqrt((63.0 + 100.0) / 2))
    welch = stats.ttest_ind([22, 34, 37], [20, 30, 40], equal_var=False).pvalue
    assert age["p_value"] == pytest.approx(welch)
    assert age["n_missing"] == 0
    # educ: the missing control value is left out; treated 12 (var 13), control 11 (var 2).
    educ = table.loc["educ"]
    assert educ["difference"] == pytest.approx(1.0)
    assert educ["smd"] == pytest.approx(1.0 / np.sqrt((13.0 + 2.0) / 2))
    assert educ["n_missing"] == 1


def test_balance_table_docstring_example():
    df = pd.DataFrame({"t": [0, 0, 1, 1], "age": [20, 30, 22, 34]})
    assert balance_table(df, "t", ["age"]).loc["age", "difference"] == 3.0


def test_balance_table_constant_covariate_has_nan_smd():
    df = pd.DataFrame({"t": [0, 0, 1, 1], "age": [20, 30, 22, 34], "flag": [1, 1, 1, 1]})
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        table = balance_table(df, "t", ["age", "flag"])
    assert table.loc["flag", "difference"] == 0.0
    assert np.isnan(table.loc["flag", "smd"])


def test_balance_table_on_nsw_is_balanced(nsw):
    table = balance_table(nsw, "treat", NSW_COVARIATES)
    assert table.loc["age", "mean_treated"] == pytest.approx(nsw.loc[nsw.treat == 1, "age"].mean())
    assert (table["smd"].abs() < 0.25).all()


def test_balance_table_refuses_missing_covariate_column():
    df = pd.DataFrame({"t": [0, 0, 1, 1], "age": [20, 30, 22, 34]})
    with pytest.raises(ValueError, match=r"covariate 'income' not found in data"):
        balance_table(df, "t", ["age", "income"])


def test_balance_table_refuses_missing_treatment_and_non_numeric():
    df = pd.DataFrame({"t": [0, 0, 1, 1], "city": ["a", "b", "a", "b"]})
    with pytest.raises(ValueError, match=r"treatment 'arm' not found in data"):
        balance_table(df, "arm", ["city"])
    with pytest.raises(ValueError, match=r"covariate column 'city' must be numeric"):
        balance_table(df, "t", ["city"])


def test_balance_table_does_not_put_missing_treatment_in_an_arm():
    df = pd.DataFrame({"t": [0, 0, 1, 1, np.nan, 1], "age": [20, 30, 22, 34, 40, 25]})
    try:
        table = balance_table(df, "t", ["age"])
    except ValueError as exc:  # refusing, naming the column, would be fine too
        assert "'t'" in str(exc)
    else:
        assert table.loc["age", "mean_treated"] == pytest.approx(28.0)
        assert table.loc["age", "mean_control"] == pytest.approx(25.0)


def test_refuses_a_constant_outcome():
    df = pd.DataFrame({"y": [1.0] * 6, "t": [0, 0, 0, 1, 1, 1]})
    with pytest.raises(ValueError, match="outcome column 'y' is constant"):
        difference_in_means(df, "y", "t")


# --- design tools on the NSW experiment (more in test_experiment_design.py) -----------------

NSW_ALL = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def test_nsw_randomization_inference_agrees_with_neyman(nsw):
    # The observed statistic is the published benchmark (1794.34, see above); 10 000 seeded
    # random assignments of 185 treated among 445 give a p-value of the same order as the
    # Neyman t test.
    neyman = difference_in_means(nsw, "re78", "treat")
    ri = randomization_inference(nsw, outcome="re78", treatment="treat", estimate=neyman)
    assert round(ri.statistic, 2) == 1794.34
    assert not ri.exact and ri.n_resamples == 10_000 and ri.seed == 0
    assert ri.p_value < 0.05 and neyman.p_value < 0.05
    assert ri.p_value == pytest.approx(neyman.p_value, abs=0.01)
    assert ri.estimate.extra["ri_p_value"] == ri.p_value
    assert round(ri.estimate.value, 2) == 1794.34


def test_nsw_balance_table_with_joint_test(nsw):
    table = balance_table(nsw, "treat", NSW_ALL, joint=True)
    joint = table.attrs["joint_test"]
    assert joint == joint_balance_test(nsw, treatment="treat", covariates=NSW_ALL).to_dict()
    assert (joint["df_num"], joint["df_den"], joint["n"]) == (8, 436.0, 445)
    # The largest single imbalance is nodegree (Welch p about 0.002 in this sample); the
    # joint test is reported, not asserted against a published figure.
    assert table["p_value"].idxmin() == "nodegree"


def test_stratified_nsw_estimate_by_hand(nsw):
    # Post-stratifying on the no-degree indicator: block-weighted difference by hand.
    est = difference_in_means(nsw, "re78", "treat", strata="nodegree")
    value, variance = 0.0, 0.0
    for _, g in nsw.groupby("nodegree"):
        y1 = g.loc[g.treat == 1, "re78"].astype(float)
        y0 = g.loc[g.treat == 0, "re78"].astype(float)
        w = len(g) / len(nsw)
        value += w * (y1.mean() - y0.mean())
        variance += w**2 * (y1.var() / len(y1) + y0.var() / len(y0))
    assert est.value == pytest.approx(value, rel=1e-9)
    assert est.std_error == pytest.approx(np.sqrt(variance), rel=1e-8)
    assert est.extra["n_strata"] == 2 and est.extra["df"] == 445 - 4


def test_mde_accepts_numpy_numbers(nsw):
    sd = nsw["re78"].std()  # a numpy float32
    mde = PowerDesign(share_treated=185 / 445, sd=sd).minimum_detectable_effect(len(nsw))
    expected = (
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8))
        * float(sd)
        * np.sqrt(1 / (445 * (185 / 445) * (260 / 445)))
    )
    assert mde == pytest.approx(expected, rel=1e-6)
