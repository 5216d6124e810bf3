"""Unit tests of :func:`impactlib.experiment.assignment_indicator`: a partner's treatment
column (0/1, boolean or text) recoded to the 0/1 arm the estimators take, the refusals
(each naming the column), and the clustered difference in means on the recoded arm of an
individually randomised trial against an independent CR1 computation with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impactlib.core import InputError
from impactlib.experiment import assignment_indicator, difference_in_means


def site_trial(seed: int = 11, n_sites: int = 9) -> pd.DataFrame:
    """Applicants randomised one by one within sites (both arms in every site), the arm
    coded as text, a site effect shared by its applicants, unequal site sizes."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(8, 25, size=n_sites)
    site = np.repeat([f"agence-{k:02d}" for k in range(n_sites)], sizes)
    treated = np.concatenate([rng.permutation(np.arange(s) % 2) for s in sizes])
    shared = rng.normal(0.0, 2.0, size=n_sites).repeat(sizes)
    y = 10.0 + 1.5 * treated + shared + rng.normal(size=len(site))
    arm = np.where(treated == 1, "intervention", "contrôle")
    return pd.DataFrame({"y": y, "arm": arm, "site": site}, index=np.arange(len(y)) * 3)


def test_text_arms_are_recoded_with_the_index_and_the_name():
    df = pd.DataFrame({"arm": ["oui", "non", "non", "oui"]}, index=[10, 20, 30, 40])
    got = assignment_indicator(df, treatment="arm", treated_value="oui")
    expected = pd.Series([1, 0, 0, 1], index=[10, 20, 30, 40], name="arm", dtype="int64")
    pd.testing.assert_series_equal(got, expected)
    flipped = assignment_indicator(df, treatment="arm", treated_value="non")
    assert flipped.tolist() == [0, 1, 1, 0]


def test_a_zero_one_column_comes_back_unchanged_and_booleans_work():
    df = pd.DataFrame({"treat": np.array([0, 1, 1, 0], dtype="int8"), "b": [True, False] * 2})
    assert assignment_indicator(df, treatment="treat").tolist() == [0, 1, 1, 0]
    assert assignment_indicator(df, treatment="treat", treated_value=0).tolist() == [1, 0, 0, 1]
    assert assignment_indicator(df, treatment="b", treated_value=True).tolist() == [1, 0, 1, 0]
    strings = pd.DataFrame({"arm": pd.Series(["intervention", "contrôle"], dtype="string")})
    arm = assignment_indicator(strings, treatment="arm", treated_value="intervention")
    assert arm.tolist() == [1, 0]


def test_refuses_other_than_two_distinct_values():
    three = pd.DataFrame({"arm": ["intervention", "contrôle", "liste d'attente"]})
    with pytest.raises(
        InputError,
        match=r"treatment column 'arm' must hold exactly two distinct values \(the two arms\), "
        r"found 3: 'contrôle', 'intervention', \"liste d'attente\"",
    ):
        assignment_indicator(three, treatment="arm", treated_value="intervention")
    one = pd.DataFrame({"arm": ["oui", "oui"]})
    with pytest.raises(InputError, match=r"column 'arm' must hold exactly two .* found 1: 'oui'"):
        assignment_indicator(one, treatment="arm", treated_value="oui")
    assert issubclass(InputError, ValueError)


def test_refuses_a_treated_value_that_is_not_one_of_the_two():
    df = pd.DataFrame({"arm": ["oui", "non"]})
    with pytest.raises(
        InputError,
        match=r"treated_value 'Oui' is not a value of treatment column 'arm' "
        r"\(its values: 'non', 'oui'\)",
    ):
        assignment_indicator(df, treatment="arm", treated_value="Oui")
    with pytest.raises(InputError, match=r"treated_value 1 is not a value of treatment column"):
        assignment_indicator(df, treatment="arm")  # the default, 1, on a text column


def test_refuses_missing_arms_and_says_how_many_rows():
    df = pd.DataFrame({"arm": ["oui", None, "non", np.nan, "oui"]})
    with pytest.raises(
        InputError, match=r"treatment column 'arm' has 2 row\(s\) with a missing value"
    ):
        assignment_indicator(df, treatment="arm", treated_value="oui")


def test_refuses_a_missing_column():
    with pytest.raises(InputError, match=r"treatment 'arm' not found in data"):
        assignment_indicator(pd.DataFrame({"t": [0, 1]}), treatment="arm")


def cr1(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their CR1 standard errors: the cluster sandwich times
    G / (G - 1) * (n - 1) / (n - k), written out with numpy."""
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    residuals = y - x @ beta
    labels = np.unique(groups)
    scores = np.array([x[groups == g].T @ residuals[groups == g] for g in labels])
    g = len(labels)
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ (scores.T @ scores) @ bread
    return beta, np.sqrt(np.diag(vcov))


def test_clustered_difference_in_means_on_the_recoded_arm_is_cr1_with_g_minus_1_df():
    df = site_trial()
    arm = assignment_indicator(df, treatment="arm", treated_value="intervention")
    recoded = df.assign(arm=arm)
    est = difference_in_means(recoded, outcome="y", treatment="arm", cluster="site")
    t, y, sites = arm.to_numpy(), df["y"].to_numpy(), df["site"].to_numpy()
    beta, se = cr1(y, np.column_stack([np.ones(len(y)), t]), sites)
    assert est.value == pytest.approx(y[t == 1].mean() - y[t == 0].mean(), rel=1e-12)
    assert est.value == pytest.approx(beta[1], rel=1e-12)
    assert est.std_error == pytest.approx(se[1], rel=1e-10)
    assert est.n_clusters == 9 and est.extra["df"] == 8.0
    half = stats.t.ppf(0.975, 8) * se[1]
    assert (est.ci_low, est.ci_high) == pytest.approx((beta[1] - half, beta[1] + half))
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(beta[1] / se[1]), 8))
    # Randomised one by one: clustered errors, but still an individually randomised trial.
    assert est.design == "rct"
    assert (est.n_treated, est.n_control) == (int(t.sum()), int(len(t) - t.sum()))
