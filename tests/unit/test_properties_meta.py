"""Property tests of the meta-analysis family under degenerate input (issue 12).

Effects and variances in every mode of ``support.strategies.META_MODES`` (identical effects
or variances, tiny variances, huge effects, two studies, a NaN effect, a zero variance)
go through pooling with every tau² estimator and Knapp-Hartung option, meta-regression,
the sensitivity analyses and the small-study tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.meta import (
    TAU2_ESTIMATORS,
    cumulative,
    effect_sizes,
    egger_test,
    leave_one_out,
    meta_regression,
    pool,
    pool_by,
    rank_test,
    trim_and_fill,
)
from support.strategies import (
    PROPERTY,
    SLOW_PROPERTY,
    bad_probabilities,
    check_outcome,
    meta_inputs,
)

NAMES = ("effects", "variances", "tau2_estimator", "knapp_hartung", "Knapp-Hartung", "scale")
INVALID = {"nan_effect": ("effects",), "zero_variance": ("variances",)}
KH = st.sampled_from([False, True, "truncated"])


def _pooled(mode, y, v, tau2, kh):
    """The pooled result, or None when pooling refused (checked by the pooling test)."""
    try:
        return pool(y, v, tau2_estimator=tau2, knapp_hartung=kh)
    except InputError:
        return None


@PROPERTY
@given(inputs=meta_inputs(), tau2=st.sampled_from(TAU2_ESTIMATORS), kh=KH)
def test_pool_degenerate(inputs, tau2, kh):
    mode, y, v = inputs
    must = mode in INVALID or (mode in ("identical_effects", "both_identical") and kh is True)
    outcome = check_outcome(
        lambda: pool(y, v, tau2_estimator=tau2, knapp_hartung=kh, measure="RR"),
        must_refuse=must,
        names=(*INVALID.get(mode, NAMES), "scale"),
    )
    if outcome == "result":
        result = pool(y, v, tau2_estimator=tau2, knapp_hartung=kh, measure="RR")
        check_outcome(result.transformed, names=("transformed",))


@PROPERTY
@given(inputs=meta_inputs(), alpha=bad_probabilities())
def test_pool_names_a_bad_alpha(inputs, alpha):
    mode, y, v = inputs
    if mode in INVALID:
        return
    with pytest.raises(InputError, match="alpha"):
        pool(y, v, alpha=alpha)


@PROPERTY
@given(
    inputs=meta_inputs(),
    tau2=st.sampled_from(["FE", "DL", "REML"]),
    kh=KH,
    moderator=st.sampled_from(["random", "constant", "binary", "huge"]),
)
def test_meta_regression_degenerate(inputs, tau2, kh, moderator):
    mode, y, v = inputs
    rng = np.random.default_rng(len(y))
    values = {
        "random": rng.normal(size=len(y)),
        "constant": np.full(len(y), 2.0),
        "binary": np.arange(len(y)) % 2,
        "huge": rng.normal(size=len(y)) * 1e12,
    }[moderator]
    moderators = pd.DataFrame({"m": values})
    check_outcome(
        lambda: meta_regression(y, v, moderators, tau2_estimator=tau2, knapp_hartung=kh),
        must_refuse=mode in INVALID or moderator == "constant",
        names=(*NAMES, "moderators", "m", "studies"),
    )


@SLOW_PROPERTY
@given(inputs=meta_inputs(), tau2=st.sampled_from(["FE", "DL", "REML"]), kh=KH)
def test_sensitivity_degenerate(inputs, tau2, kh):
    mode, y, v = inputs
    result = _pooled(mode, y, v, tau2, kh)
    if result is None:
        return
    for analysis in (leave_one_out, cumulative):
        check_outcome(lambda a=analysis: a(result), names=(*NAMES, "studies", "result"))
    groups = ["a", "b"] * (len(y) // 2) + ["a"] * (len(y) % 2)
    check_outcome(lambda: pool_by(result, groups), names=(*NAMES, "by", "studies", "subgroup"))


@PROPERTY
@given(inputs=meta_inputs(), tau2=st.sampled_from(["FE", "DL", "REML"]), kh=KH)
def test_small_study_tests_degenerate(inputs, tau2, kh):
    mode, y, v = inputs
    result = _pooled(mode, y, v, tau2, kh)
    if result is None:
        return
    identical_v = mode in ("identical_variances", "both_identical")
    identical_y = mode in ("identical_effects", "both_identical")
    names = (*NAMES, "result", "studies", "egger_test", "rank_test", "variances", "effects")
    check_outcome(lambda: rank_test(result), must_refuse=identical_v or identical_y, names=names)
    check_outcome(lambda: egger_test(result), must_refuse=identical_v, names=names)
    check_outcome(
        lambda: egger_test(result, model="lm"),
        must_refuse=identical_v or identical_y,
        names=names,
    )
    check_outcome(lambda: trim_and_fill(result), names=names)


@st.composite
def two_by_two(draw):
    k = draw(st.integers(1, 6))
    cell = st.one_of(st.integers(0, 50), st.sampled_from([-1, 1.5, np.nan, 10**9]))
    data = {c: draw(st.lists(cell, min_size=k, max_size=k)) for c in ("ai", "bi", "ci", "di")}
    return pd.DataFrame(data)


@PROPERTY
@given(
    table=two_by_two(),
    measure=st.sampled_from(["RR", "OR", "RD"]),
    to=st.sampled_from(["only0", "all", "none"]),
)
def test_effect_sizes_degenerate(table, measure, to):
    result = check_outcome(
        lambda: effect_sizes(table, measure, to=to),
        names=("ai", "bi", "ci", "di", "add", "to"),
    )
    if result == "result":
        sizes = effect_sizes(table, measure, to=to)
        assert list(sizes.columns) == ["yi", "vi"] and len(sizes) == len(table)
        assert (sizes["vi"] > 0).all()


@PROPERTY
@given(table=two_by_two(), add=st.sampled_from(["0.5", -0.5, np.nan, np.inf, None, [0.5]]))
def test_effect_sizes_name_a_bad_add(table, add):
    with pytest.raises(InputError, match="add"):
        effect_sizes(table.fillna(1).clip(lower=0), "OR", add=add)


@PROPERTY
@given(
    r=st.lists(st.sampled_from([0.3, -0.99, 1.0, -1.0, 1.5, np.nan]), min_size=1, max_size=5),
    n=st.sampled_from([3, 4, 50, 2.5, -10]),
)
def test_correlations_degenerate(r, n):
    table = pd.DataFrame({"ri": r, "ni": [n] * len(r)})
    check_outcome(lambda: effect_sizes(table, "ZCOR"), names=("ri", "ni"))


def test_identical_effects_with_knapp_hartung_are_refused():
    """Class 4: identical effects gave a ZeroDivisionError or a p-value of 1e-33 under KH."""
    with pytest.raises(InputError, match="Knapp-Hartung"):
        pool([0.2, 0.2, 0.2], [0.01, 0.02, 0.03], knapp_hartung=True)
    truncated = pool([0.2, 0.2, 0.2], [0.01, 0.02, 0.03], knapp_hartung="truncated")
    assert math.isfinite(truncated.estimate.std_error) and truncated.estimate.std_error > 0


def test_rank_and_egger_refuse_identical_inputs():
    """Class 4: identical variances gave NaN (rank test) or a spurious p = 0.03 (Egger, lm)."""
    same_v = pool([0.1, 0.2, 0.3, 0.4], [0.01] * 4)
    with pytest.raises(InputError, match="variances are all equal"):
        rank_test(same_v)
    with pytest.raises(InputError, match="variances are all equal"):
        egger_test(same_v, model="lm")
    same_y = pool([0.2] * 5, [0.01, 0.02, 0.03, 0.04, 0.05])
    with pytest.raises(InputError, match="effects are all equal"):
        rank_test(same_y)
    with pytest.raises(InputError, match="dispersion is 0"):
        egger_test(same_y, model="lm")


@PROPERTY
@given(
    option=st.sampled_from(
        [
            ("tau2_estimator", "reml"),
            ("tau2_estimator", None),
            ("knapp_hartung", "yes"),
            ("knapp_hartung", 1.5),
            ("reml_threshold", -1.0),
            ("reml_threshold", "1e-8"),
            ("labels", ["a"]),
        ]
    )
)
def test_pool_names_a_bad_option(option):
    name, bad = option
    with pytest.raises(InputError, match=name):
        pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.03], **{name: bad})


@PROPERTY
@given(
    option=st.sampled_from(
        [("side", "up"), ("estimator", "L1"), ("max_iter", "100"), ("max_iter", 0)]
    )
)
def test_trim_and_fill_names_a_bad_option(option):
    name, bad = option
    result = pool([0.1, 0.3, 0.35, 0.6, 0.2], [0.01, 0.02, 0.05, 0.09, 0.03])
    with pytest.raises(InputError, match=name):
        trim_and_fill(result, **{name: bad})


@PROPERTY
@given(inputs=meta_inputs(modes=["plain"]), shift=st.integers(1, 4))
def test_misaligned_series_are_refused(inputs, shift):
    """Duplicated or shuffled keys: Series are paired by study, never silently by position."""
    _, y, v = inputs
    labels = [f"s{i}" for i in range(len(y))]
    turn = shift % len(y) or 1  # a rotation that moves every label
    effects = pd.Series(y, index=labels)
    variances = pd.Series(v, index=labels[turn:] + labels[:turn])
    with pytest.raises(InputError, match="different indexes"):
        pool(effects, variances)
    moderators = pd.DataFrame({"m": np.arange(len(y), dtype=float)}, index=variances.index)
    with pytest.raises(InputError, match="different indexes"):
        meta_regression(effects, variances.reindex(effects.index), moderators)


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ({"measure": "XX"}, "measure"),
        ({"labels": ["a", "b", None]}, "labels"),
        ({"labels": "abc"}, "labels"),
    ],
)
def test_pool_names_bad_labels_and_measure(option, named):
    with pytest.raises(InputError, match=named):
        pool([0.1, 0.3, 0.2], [0.01, 0.02, 0.03], **option)
