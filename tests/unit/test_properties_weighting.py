"""Property tests of the weighting family under degenerate data and bad parameters (issue 12).

Propensity score, IPW, AIPW, matching, their comparison and the overlap and balance
diagnostics get generated observational samples in every mode of
``support.strategies.TRIAL_MODES`` (the arm ``t`` and covariates ``x1``, ``x2``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.weighting import (
    aipw,
    compare_estimators,
    ipw,
    ipw_weights,
    nearest_neighbor_match,
    overlap,
    propensity_score,
    trim_by_propensity,
    weighted_balance,
)
from support.strategies import (
    MUST_REFUSE,
    PROPERTY,
    SLOW_PROPERTY,
    bad_probabilities,
    bad_ranges,
    check_outcome,
    trial_frames,
    with_duplicated_column,
)

COVARIATES = st.sampled_from([["x1"], ["x1", "x2"]])
# One unit in an arm: no standard error (IPW gave p = 6e-7 with a single treated unit).
REFUSE = {**MUST_REFUSE}
NAMES = ("y", "t", "x1", "x2")


def _must(case, covariates):
    must = case.mode in REFUSE
    if case.mode == "collinear" and covariates == ["x1", "x2"]:
        must = True
    if case.mode == "constant_covariate" and "x2" in covariates:
        must = True
    return must


@PROPERTY
@given(case=trial_frames(), covariates=COVARIATES, link=st.sampled_from(["logit", "probit"]))
def test_propensity_score_degenerate(case, covariates, link):
    must = _must(case, covariates) and case.mode not in ("constant_outcome", "inf_outcome")
    check_outcome(
        lambda: propensity_score(case.data, treatment="t", covariates=covariates, link=link),
        must_refuse=must,
        names=NAMES,
    )


@PROPERTY
@given(
    case=trial_frames(),
    covariates=COVARIATES,
    estimand=st.sampled_from(["ATE", "ATT"]),
    trim=st.sampled_from([None, 0.05, (0.02, 0.98)]),
)
def test_ipw_degenerate(case, covariates, estimand, trim):
    check_outcome(
        lambda: ipw(
            case.data,
            outcome="y",
            treatment="t",
            covariates=covariates,
            estimand=estimand,
            trim=trim,
        ),
        must_refuse=_must(case, covariates),
        names=NAMES,
    )


@SLOW_PROPERTY
@given(case=trial_frames(), covariates=COVARIATES, estimand=st.sampled_from(["ATE", "ATT"]))
def test_aipw_degenerate(case, covariates, estimand):
    check_outcome(
        lambda: aipw(
            case.data, outcome="y", treatment="t", covariates=covariates, estimand=estimand
        ),
        must_refuse=_must(case, covariates),
        names=NAMES,
    )


@SLOW_PROPERTY
@given(
    case=trial_frames(),
    covariates=COVARIATES,
    metric=st.sampled_from(["inverse_variance", "mahalanobis"]),
    on=st.sampled_from(["covariates", "propensity"]),
)
def test_matching_degenerate(case, covariates, metric, on):
    check_outcome(
        lambda: nearest_neighbor_match(
            case.data, outcome="y", treatment="t", covariates=covariates, metric=metric, on=on
        ),
        must_refuse=_must(case, covariates),
        names=(*NAMES, "variance_neighbors"),
    )


@SLOW_PROPERTY
@given(case=trial_frames(), estimand=st.sampled_from(["ATE", "ATT"]))
def test_compare_estimators_degenerate(case, estimand):
    check_outcome(
        lambda: compare_estimators(
            case.data, outcome="y", treatment="t", covariates=["x1"], estimand=estimand
        ),
        must_refuse=case.mode in REFUSE,
        names=(*NAMES, "variance_neighbors"),
    )


@PROPERTY
@given(case=trial_frames(), alpha=bad_probabilities())
def test_effect_estimators_name_a_bad_alpha(case, alpha):
    for function in (ipw, aipw, nearest_neighbor_match, compare_estimators):
        with pytest.raises(InputError, match="alpha"):
            function(case.data, outcome="y", treatment="t", covariates="x1", alpha=alpha)


@PROPERTY
@given(case=trial_frames(), trim=bad_ranges())
def test_trim_names_a_bad_range(case, trim):
    with pytest.raises(InputError, match="trim"):
        ipw(case.data, outcome="y", treatment="t", covariates="x1", trim=trim)
    with pytest.raises(InputError, match="trim"):
        trim_by_propensity(case.data, ps=np.full(len(case.data), 0.5), trim=trim)


@st.composite
def scores(draw, n):
    kind = draw(st.sampled_from(["uniform", "zeros_ones", "nan", "outside", "constant"]))
    rng = np.random.default_rng(draw(st.integers(0, 999)))
    e = rng.uniform(0.05, 0.95, size=n)
    if kind == "zeros_ones":
        e[: max(1, n // 4)] = draw(st.sampled_from([0.0, 1.0]))
    elif kind == "nan":
        e[0] = np.nan
    elif kind == "outside":
        e[0] = draw(st.sampled_from([-0.1, 1.2, np.inf]))
    elif kind == "constant":
        e[:] = 0.5
    return kind, e


@PROPERTY
@given(case=trial_frames(), data=st.data(), estimand=st.sampled_from(["ATE", "ATT", "ATC"]))
def test_score_diagnostics_degenerate(case, data, estimand):
    kind, e = data.draw(scores(len(case.data)))
    names = ("ps", "t", "estimand")
    # Scores of 0 or 1 are refused only where they give an infinite weight (checked).
    check_outcome(
        lambda: ipw_weights(case.data, treatment="t", ps=e, estimand=estimand),
        must_refuse=kind in ("nan", "outside") or estimand == "ATC",
        names=names,
    )
    check_outcome(
        lambda: overlap(case.data, treatment="t", ps=e),
        must_refuse=kind in ("nan", "outside"),
        names=names,
    )
    # The rows kept come back as they are (their NaN too): the check is on their number.
    check_outcome(
        lambda: len(trim_by_propensity(case.data, ps=e, trim=0.1)),
        must_refuse=kind in ("nan", "outside"),
        names=names,
    )


@PROPERTY
@given(case=trial_frames(), weights=st.sampled_from(["ones", "zeros", "negative", "nan", "inf"]))
def test_weighted_balance_degenerate(case, weights):
    n = len(case.data)
    w = {
        "ones": np.ones(n),
        "zeros": np.zeros(n),
        "negative": -np.ones(n),
        "nan": np.r_[np.nan, np.ones(n - 1)],
        "inf": np.r_[np.inf, np.ones(n - 1)],
    }[weights]
    must = weights != "ones" or case.mode in ("one_treated", "one_control")
    allow = ("smd", "smd_weighted") if case.mode == "constant_covariate" else ()
    check_outcome(
        lambda: weighted_balance(case.data, treatment="t", covariates=["x1", "x2"], weights=w),
        must_refuse=must,
        names=("weights", "t", "x1", "x2"),
        allow_nan=allow,
    )


def test_single_treated_unit_is_refused():
    """Class 3: IPW with a single treated unit returned a p-value of 6e-7."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"y": rng.normal(size=30), "x": rng.normal(size=30)})
    frame["t"] = np.r_[1, np.zeros(29, dtype=int)]
    for function in (ipw, aipw, nearest_neighbor_match):
        with pytest.raises(InputError, match="1 treated unit"):
            function(frame, outcome="y", treatment="t", covariates="x")


def test_covariate_missing_in_a_whole_arm_is_named():
    """Class 3: a covariate missing in a whole arm divided by zero."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"y": rng.normal(size=30), "x": rng.normal(size=30)})
    frame["t"] = np.arange(30) % 2
    frame.loc[frame["t"] == 1, "x"] = np.nan
    with pytest.raises(InputError, match="'x' is missing in every row"):
        ipw(frame, outcome="y", treatment="t", covariates="x")
    with pytest.raises(InputError, match="covariate column 'x'"):
        weighted_balance(frame, treatment="t", covariates="x", weights=np.ones(30))


@pytest.mark.parametrize("scale", [1e-12, 1.0, 1e12])
def test_collinearity_is_judged_by_rank_at_every_scale(scale):
    """Class 3: collinear covariates are refused, independent ones accepted, at any scale."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y": rng.normal(size=60), "x1": rng.normal(size=60) * scale})
    frame["t"] = (rng.random(60) < 0.5).astype(int)
    frame["x2"] = rng.normal(size=60) * scale
    assert np.isfinite(ipw(frame, outcome="y", treatment="t", covariates=["x1", "x2"]).value)
    frame["x2"] = 2.0 * frame["x1"] + 1e-3 * scale
    with pytest.raises(InputError, match="collinear"):
        ipw(frame, outcome="y", treatment="t", covariates=["x1", "x2"])


def test_outcome_equal_to_treatment_is_refused_by_weighting():
    """Class 2 in the weighting family."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=30), "t": np.arange(30) % 2})
    with pytest.raises(InputError, match="both as outcome and as treatment"):
        ipw(frame, outcome="t", treatment="t", covariates="x")


@PROPERTY
@given(case=trial_frames(modes=["duplicated_index", "plain"]))
def test_scores_on_a_repeated_index_are_refused(case):
    """Duplicated keys: a PropensityScore is matched to data by label."""
    try:
        score = propensity_score(case.data, treatment="t", covariates="x1")
    except InputError:
        return
    repeated = case.data.index.has_duplicates
    for call in (
        lambda: overlap(case.data, treatment="t", ps=score),
        lambda: trim_by_propensity(case.data, ps=score, trim=0.1),
        lambda: ipw_weights(case.data, treatment="t", ps=score, estimand="ATE"),
    ):
        check_outcome(call, must_refuse=repeated, names=("ps", "t"))


@PROPERTY
@given(case=trial_frames(modes=["plain"]), column=st.sampled_from(["y", "t", "x1"]))
def test_a_repeated_column_name_is_named(case, column):
    frame = with_duplicated_column(case.data, column)
    ones = np.ones(len(frame))
    calls = [
        lambda: ipw(frame, outcome="y", treatment="t", covariates="x1"),
        lambda: aipw(frame, outcome="y", treatment="t", covariates="x1"),
        lambda: nearest_neighbor_match(frame, outcome="y", treatment="t", covariates="x1"),
    ]
    if column != "y":  # these two do not read the outcome
        calls += [
            lambda: propensity_score(frame, treatment="t", covariates="x1"),
            lambda: weighted_balance(frame, treatment="t", covariates="x1", weights=ones),
        ]
    for call in calls:
        with pytest.raises(InputError, match=f"'{column}' appears more than once"):
            call()


@PROPERTY
@given(
    option=st.sampled_from(
        [
            ("replace", "no"),
            ("replace", 0),
            ("bias_adjust", 1),
            ("link", "cloglog"),
            ("n_neighbors", "1"),
            ("variance_neighbors", 0),
            ("metric", "l1"),
            ("on", "ps"),
        ]
    )
)
def test_matching_names_a_bad_option(option):
    """A truthy string or an unused link was taken silently."""
    name, bad = option
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": rng.normal(size=40), "x": rng.normal(size=40)})
    frame["t"] = np.arange(40) % 2
    with pytest.raises(InputError, match=name):
        nearest_neighbor_match(frame, outcome="y", treatment="t", covariates="x", **{name: bad})


def test_text_weights_and_scores_are_named():
    frame = pd.DataFrame({"t": np.arange(10) % 2, "x": np.arange(10.0), "w": list("abcdefghij")})
    with pytest.raises(InputError, match="weights"):
        weighted_balance(frame, treatment="t", covariates="x", weights="w")
    with pytest.raises(InputError, match="ps must hold numbers"):
        overlap(frame, treatment="t", ps=list("abcdefghij"))
