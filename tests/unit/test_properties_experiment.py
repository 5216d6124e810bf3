"""Property tests of the experiment family under degenerate data and bad parameters (issue 12).

Every public function of :mod:`impactlib.experiment` gets generated trials in every mode of
``support.strategies.TRIAL_MODES``: it returns finite results or refuses with an
``InputError`` naming the column or parameter; in the modes of ``MUST_REFUSE`` (a constant
outcome, one unit in an arm, an infinite outcome) it must refuse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.experiment import (
    PowerDesign,
    adjust_estimates,
    adjust_pvalues,
    assignment_indicator,
    attrition,
    balance_table,
    cluster_count_trial,
    cluster_trial,
    complier_effect,
    difference_in_means,
    implied_icc,
    intraclass_correlation,
    joint_balance_test,
    randomization_inference,
    rate_difference,
    rate_ratio,
)
from support.strategies import (
    MUST_REFUSE,
    PROPERTY,
    SLOW_PROPERTY,
    bad_integers,
    bad_probabilities,
    check_outcome,
    trial_frames,
    with_duplicated_column,
)

OPTIONS = {
    "plain": {},
    "lin": {"covariates": ["x1", "x2"]},
    "cluster": {"cluster": "c"},
    "strata": {"strata": "s"},
}


def _refusal(case):
    names = MUST_REFUSE.get(case.mode)
    return names is not None, names or ()


@PROPERTY
@given(case=trial_frames(), option=st.sampled_from(sorted(OPTIONS)))
def test_difference_in_means_degenerate(case, option):
    must, names = _refusal(case)
    check_outcome(
        lambda: difference_in_means(case.data, "y", "t", **OPTIONS[option]),
        must_refuse=must,
        names=names,
    )


@PROPERTY
@given(case=trial_frames(), alpha=bad_probabilities())
def test_estimators_name_a_bad_alpha(case, alpha):
    frame = case.data
    calls = [
        lambda: difference_in_means(frame, "y", "t", alpha=alpha),
        lambda: attrition(frame, treatment="t", observed="observed", alpha=alpha),
        lambda: complier_effect(
            frame, outcome="y", treatment="t", received="received", alpha=alpha
        ),
        lambda: rate_ratio(
            frame, outcome="k", treatment="t", exposure="exposure", model="poisson", alpha=alpha
        ),
    ]
    for call in calls:
        with pytest.raises(InputError, match="alpha"):
            call()


@PROPERTY
@given(case=trial_frames(), option=st.sampled_from(["plain", "strata", "cluster"]))
def test_attrition_degenerate(case, option):
    kwargs = {"strata": {"strata": "s"}, "cluster": {"cluster": "c"}, "plain": {}}[option]
    # With no attrition at all, 0 with a point interval and no test is the documented answer.
    varies = case.data["observed"].nunique() > 1
    must = case.mode in ("one_treated", "one_control") and varies
    check_outcome(
        lambda: attrition(case.data, treatment="t", observed="observed", **kwargs),
        must_refuse=must,
        names=("t", "observed") if must else (),
    )


@SLOW_PROPERTY
@given(case=trial_frames())
def test_complier_effect_degenerate(case):
    must, names = _refusal(case)
    check_outcome(
        lambda: complier_effect(case.data, outcome="y", treatment="t", received="received"),
        must_refuse=must,
        names=(*names, "y", "t", "received"),
    )


@SLOW_PROPERTY
@given(
    case=trial_frames(),
    model=st.sampled_from(["poisson", "negative_binomial"]),
    effect=st.sampled_from(["ratio", "difference"]),
)
def test_rates_degenerate(case, model, effect):
    function = rate_ratio if effect == "ratio" else rate_difference
    must = case.mode in ("one_treated", "one_control")
    check_outcome(
        lambda: function(case.data, outcome="k", treatment="t", exposure="exposure", model=model),
        must_refuse=must,
        names=("t", "k") if must else (),
    )


@SLOW_PROPERTY
@given(case=trial_frames(), statistic=st.sampled_from(["difference_in_means", "t"]))
def test_randomization_inference_degenerate(case, statistic):
    # One unit in an arm is a valid exact test (p >= 1/n): only the other modes must refuse.
    must = case.mode in ("constant_outcome", "inf_outcome")
    names = MUST_REFUSE.get(case.mode, ())
    check_outcome(
        lambda: randomization_inference(
            case.data, outcome="y", treatment="t", n_resamples=99, seed=1, statistic=statistic
        ),
        must_refuse=must,
        names=(*names, "statistic"),
    )


@PROPERTY
@given(case=trial_frames(), n_resamples=bad_integers())
def test_randomization_inference_names_bad_resamples(case, n_resamples):
    with pytest.raises(InputError, match="n_resamples"):
        randomization_inference(case.data, outcome="y", treatment="t", n_resamples=n_resamples)


@PROPERTY
@given(case=trial_frames())
def test_balance_degenerate(case):
    must = case.mode in ("one_treated", "one_control")
    # A constant covariate has no standardised difference: NaN says "undefined" there.
    allow = ("smd", "p_value") if case.mode == "constant_covariate" else ()
    check_outcome(
        lambda: balance_table(case.data, "t", ["x1", "x2"]),
        must_refuse=must,
        names=("t", "x1", "x2"),
        allow_nan=allow,
    )
    check_outcome(
        lambda: joint_balance_test(case.data, treatment="t", covariates=["x1", "x2"]),
        must_refuse=must,
        names=("t", "x1", "x2"),
    )


@PROPERTY
@given(case=trial_frames())
def test_intraclass_correlation_degenerate(case):
    must = case.mode in ("constant_outcome", "inf_outcome")
    check_outcome(
        lambda: intraclass_correlation(case.data, outcome="y", cluster="c"),
        must_refuse=must,
        names=("y",) if must else ("y", "c"),
    )


@PROPERTY
@given(case=trial_frames(), value=st.sampled_from([1, 0, "1", 2, None]))
def test_assignment_indicator_degenerate(case, value):
    check_outcome(lambda: assignment_indicator(case.data, treatment="t", treated_value=value))


@PROPERTY
@given(
    name=st.sampled_from(["baseline_rate", "cluster_sd", "overdispersion", "exposure"]),
    bad=st.sampled_from(["0.8", -1.0, np.nan, np.inf, None, [0.8]]),
)
def test_implied_icc_names_a_bad_parameter(name, bad):
    kwargs = {"baseline_rate": 0.8, "cluster_sd": 0.2, "overdispersion": 1.0, "exposure": 1.0}
    with pytest.raises(InputError, match=name):
        implied_icc(**{**kwargs, name: bad})


@PROPERTY
@given(
    name=st.sampled_from(["share_treated", "alpha", "power", "sd", "icc", "cluster_size", "r2"]),
    bad=st.sampled_from(["0.5", -1.0, np.nan, np.inf, [0.5], 7.0]),
)
def test_power_design_names_a_bad_parameter(name, bad):
    if name in ("sd", "cluster_size") and bad == 7.0:
        return  # a valid value for these
    kwargs = {"icc": 0.05, "cluster_size": 20} if name in ("icc", "cluster_size") else {}
    with pytest.raises(InputError, match=name):
        PowerDesign(**{**kwargs, name: bad})


@PROPERTY
@given(n=st.sampled_from(["100", 0, -5, np.nan, np.inf, None]), effect=st.sampled_from([0, -0.0]))
def test_power_design_names_bad_sizes(n, effect):
    design = PowerDesign()
    with pytest.raises(InputError, match="n"):
        design.minimum_detectable_effect(n)
    with pytest.raises(InputError, match="effect"):
        design.sample_size(effect)


@PROPERTY
@given(
    name=st.sampled_from(["n_clusters", "cluster_size", "icc", "share_treated", "seed", "sd"]),
    bad=st.sampled_from(["4", -1, 0.5, np.nan, None, [4]]),
)
def test_cluster_trial_names_a_bad_parameter(name, bad):
    kwargs = {"n_clusters": 10, "cluster_size": 5, "icc": 0.1, "effect": 0.2, "seed": 1}
    if name in ("icc", "share_treated", "sd") and bad == 0.5:
        return  # a valid value
    with pytest.raises(InputError, match=name):
        cluster_trial(**{**kwargs, name: bad})


@PROPERTY
@given(
    name=st.sampled_from(["n_clusters", "baseline_rate", "rate_ratio", "dropout", "seed"]),
    bad=st.sampled_from(["4", -1, np.nan, np.inf, None, [4]]),
)
def test_cluster_count_trial_names_a_bad_parameter(name, bad):
    kwargs = {"n_clusters": 10, "cluster_size": 5, "baseline_rate": 0.5, "rate_ratio": 0.8}
    with pytest.raises(InputError, match=name):
        cluster_count_trial(**{**kwargs, "seed": 1, name: bad})


@PROPERTY
@given(
    pvalues=st.lists(
        st.one_of(st.floats(0, 1), st.sampled_from([np.nan, -0.1, 1.5, np.inf])),
        min_size=0,
        max_size=8,
    ),
    correction=st.sampled_from(["holm", "bonferroni", "fdr_bh", "nope"]),
)
def test_adjust_pvalues_degenerate(pvalues, correction):
    result = check_outcome(
        lambda: adjust_pvalues(pvalues, correction=correction), names=("pvalues", "correction")
    )
    if result == "result":
        adjusted = np.asarray(adjust_pvalues(pvalues, correction=correction))
        assert adjusted.shape == (len(pvalues),)
        assert ((adjusted >= 0) & (adjusted <= 1)).all()


def test_outcome_equal_to_treatment_is_refused():
    """Class 2: the outcome column equal to the treatment gave an effect of 1 with p = 0."""
    frame = pd.DataFrame({"t": [0, 1] * 10, "y": np.arange(20.0)})
    with pytest.raises(InputError, match="'t' is given both as outcome and as treatment"):
        difference_in_means(frame, "t", "t")
    with pytest.raises(InputError, match="'t'"):
        randomization_inference(frame, outcome="t", treatment="t", n_resamples=99)


def test_wrong_type_alpha_is_named():
    """Class 1: alpha given as a string names alpha (not a numpy or pandas error)."""
    frame = pd.DataFrame({"t": [0, 1] * 10, "y": np.arange(20.0)})
    with pytest.raises(InputError, match="alpha must be a number"):
        difference_in_means(frame, "y", "t", alpha="0.05")


@PROPERTY
@given(case=trial_frames(modes=["plain"]), column=st.sampled_from(["y", "t", "x1", "c"]))
def test_a_repeated_column_name_is_named(case, column):
    """Duplicated keys: a column name that appears twice (a careless merge) is named."""
    frame = with_duplicated_column(case.data, column)
    calls = [
        (lambda: difference_in_means(frame, "y", "t", covariates="x1", cluster="c"), "ytx1c"),
        (lambda: randomization_inference(frame, outcome="y", treatment="t", cluster="c"), "ytc"),
        (lambda: balance_table(frame, "t", ["x1", "y"]), "tx1y"),
        (lambda: intraclass_correlation(frame, outcome="y", cluster="c"), "yc"),
    ]
    for call, used in calls:
        if column not in used:
            continue
        with pytest.raises(InputError, match=f"'{column}' appears more than once"):
            call()


@PROPERTY
@given(
    case=trial_frames(modes=["plain", "duplicated_rows", "huge_scale"]),
    model=st.sampled_from(["means", "rates"]),
)
def test_clusters_that_are_the_arms_are_refused(case, model):
    """One cluster per arm gave a cluster-robust p-value of 3e-16 (a silent number)."""
    frame = case.data.assign(arm_cluster=case.data["t"])
    if model == "means":
        call = lambda: difference_in_means(frame, "y", "t", cluster="arm_cluster")  # noqa: E731
    else:
        call = lambda: rate_ratio(  # noqa: E731
            frame, outcome="k", treatment="t", exposure="exposure", cluster="arm_cluster"
        )
    check_outcome(call, must_refuse=True, names=("arm_cluster",))


@PROPERTY
@given(
    option=st.sampled_from(
        [("seed", "x"), ("seed", -1), ("seed", 1.5), ("max_exact", "x"), ("alternative", "up")]
    )
)
def test_randomization_inference_names_a_bad_option(option):
    name, bad = option
    frame = pd.DataFrame({"t": [0, 1] * 30, "y": np.arange(60.0) % 7})
    with pytest.raises(InputError, match=name):
        randomization_inference(frame, outcome="y", treatment="t", n_resamples=50, **{name: bad})


def test_adjust_estimates_and_balance_flags_name_the_parameter():
    with pytest.raises(InputError, match="do not hold an Estimate"):
        adjust_estimates([1, 2])
    frame = pd.DataFrame({"t": [0, 1] * 5, "x": np.arange(10.0)})
    with pytest.raises(InputError, match="joint"):
        balance_table(frame, "t", ["x"], joint="yes")
