"""Property-based tests of the synthetic control family on degenerate panels.

``synthetic_control``, ``synthetic_weights``, ``synthetic_did`` and ``simplex_weights``
receive generated panels (constant or near-constant outcomes, one donor, NaN and inf,
duplicated keys, a missing row, the treated unit missing, extreme scales) and wrong
parameters: finite, correctly shaped results or an ``InputError`` naming a parameter or a
column. One explicit test per class of defect follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from impactlib.core.validation import InputError
from impactlib.synth import simplex_weights, synthetic_control, synthetic_did, synthetic_weights
from support.strategies_panel import (
    BAD_VALUES,
    EXAMPLES,
    FAST,
    OUTCOME,
    TIME,
    TREATED,
    UNIT,
    check_estimate,
    check_table,
    holds,
    panels,
)

PANEL = {"outcome": OUTCOME, "unit": UNIT, "time": TIME, "treatment": TREATED}
COLUMNS = [OUTCOME, UNIT, TIME, TREATED, "data"]


def _check_weights(weights) -> None:
    values = np.asarray(weights, dtype=float)
    assert np.isfinite(values).all() and (values >= 0).all()
    assert values.sum() == pytest.approx(1.0)


def _check_sc(result) -> None:
    check_estimate(result.estimate)
    _check_weights(result.weights)
    assert len(result.weights) == len(result.donors)
    assert np.isfinite(result.synthetic.to_numpy()).all()
    check_table(result.placebo_table, allow_nan=["ratio"])  # inf: a placebo fitted exactly
    assert np.isfinite(result.placebo_effects.to_numpy()).all()
    check_table(result.tidy())


def _check_sdid(result) -> None:
    check_estimate(result.estimate)
    _check_weights(result.unit_weights)
    _check_weights(result.time_weights)
    assert np.isfinite(result.counterfactual.to_numpy()).all()
    check_table(result.tidy())


@FAST
@given(panel=panels(max_units=7, max_periods=6, staggered=False))
def test_synthetic_control_holds_on_generated_panels(panel):
    single = panel.loc[panel[UNIT] != panel[UNIT].max() - 1]  # often one treated unit
    holds(lambda: synthetic_control(single, **PANEL), _check_sc, names=COLUMNS)
    holds(lambda: synthetic_weights(single, **PANEL), _check_weights, names=COLUMNS)


@settings(FAST, max_examples=max(10, EXAMPLES // 2))
@given(
    panel=panels(max_units=7, max_periods=6),
    vcov=st.sampled_from(["placebo", "jackknife", "bootstrap"]),
)
def test_synthetic_did_holds_on_generated_panels(panel, vcov):
    holds(
        lambda: synthetic_did(panel, **PANEL, vcov=vcov, n_resamples=20),
        _check_sdid,
        names=[*COLUMNS, "vcov"],
    )


@FAST
@given(
    target=hnp.arrays(float, st.integers(1, 6), elements=st.floats(-1e12, 1e12)),
    n_donors=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_simplex_weights_are_on_the_simplex(target, n_donors, seed):
    rng = np.random.default_rng(seed)
    donors = rng.normal(size=(len(target), n_donors)) * rng.choice([1e-12, 1.0, 1e12])
    _check_weights(simplex_weights(target, donors))


# --- wrong parameters ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [
        (u, 2000 + t, u + 0.5 * t + rng.normal(0, 0.3) + (2.0 if u == 7 and t >= 5 else 0.0))
        for u in range(8)
        for t in range(8)
    ]
    frame = pd.DataFrame(rows, columns=[UNIT, TIME, OUTCOME])
    return frame.assign(**{TREATED: ((frame[UNIT] == 7) & (frame[TIME] >= 2005)).astype(int)})


CALLS = {
    "synthetic_control": (synthetic_control, {}, _check_sc),
    "synthetic_weights": (synthetic_weights, {}, _check_weights),
    "synthetic_did": (synthetic_did, {"n_resamples": 20}, _check_sdid),
}
PARAMETERS = {
    "synthetic_control": ["outcome", "unit", "time", "treatment", "alpha", "solver"],
    "synthetic_weights": ["outcome", "treatment", "solver"],
    "synthetic_did": ["outcome", "treatment", "vcov", "n_resamples", "seed", "alpha"],
}


@pytest.mark.parametrize("function", sorted(CALLS))
@settings(FAST, max_examples=max(10, EXAMPLES // 2))
@given(data=st.data())
def test_wrong_parameters_are_refused_by_name(good_panel, function, data):
    call, fixed, check = CALLS[function]
    name = data.draw(st.sampled_from(PARAMETERS[function]), label="parameter")
    value = data.draw(st.sampled_from(BAD_VALUES), label="value")
    if name == "n_resamples" and value == 1e12:
        value = 1e12 + 0.5  # not an integer: 1e12 draws would run for days
    holds(
        lambda: call(good_panel, **{**PANEL, **fixed, name: value}),
        check,
        names=[name, *COLUMNS],
    )


# --- one test per class of defect ---------------------------------------------------------


@pytest.mark.parametrize("function", sorted(CALLS))
def test_constant_outcome_is_refused(good_panel, function):
    """Class: a constant outcome gave an effect of 0 with a standard error of 0 (p = 1 or
    no p-value), a silent number."""
    call, fixed, _ = CALLS[function]
    with pytest.raises(InputError, match=rf"outcome column '{OUTCOME}' is constant"):
        call(good_panel.assign(**{OUTCOME: 3.0}), **PANEL, **fixed)


def test_treated_unit_missing_from_the_panel_is_named(good_panel):
    """Class: the treated unit missing from the panel."""
    without = good_panel.loc[good_panel[UNIT] != 7]
    with pytest.raises(InputError, match=r"is the treated unit missing from the panel\?"):
        synthetic_control(without, **PANEL)


def test_too_few_pre_periods_are_refused(good_panel):
    late = good_panel.assign(**{TREATED: ((good_panel[UNIT] == 7) & (good_panel[TIME] >= 2001))})
    with pytest.raises(InputError, match=r"leaves 1 pre-treatment period\(s\); at least 2"):
        synthetic_control(late.astype({TREATED: int}), **PANEL)


def test_seed_of_the_wrong_type_is_named(good_panel):
    """Class: a string seed crashed in numpy's SeedSequence."""
    with pytest.raises(InputError, match=r"seed must be a non-negative integer, got 's'"):
        synthetic_did(good_panel, **PANEL, n_resamples=20, seed="s")


def test_placebos_without_spread_are_refused(good_panel):
    """Class: donors that copy each other gave placebo effects of zero spread, hence a
    zero-width interval."""
    frame = good_panel.assign(**{OUTCOME: good_panel[TIME] - 2000.0})
    frame.loc[frame[UNIT].eq(7) & frame[TIME].ge(2005), OUTCOME] += 2.0
    with pytest.raises(InputError, match=r"placebo-in-space effects .* rounding noise"):
        synthetic_control(frame, **PANEL)


def test_duplicated_keys_and_non_finite_outcomes_are_named(good_panel):
    twice = pd.concat([good_panel, good_panel.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=rf"column '{UNIT}'\) is observed 2 times"):
        synthetic_control(twice, **PANEL)
    infinite = good_panel.assign(
        **{OUTCOME: good_panel[OUTCOME].where(good_panel.index != 5, -np.inf)}
    )
    with pytest.raises(InputError, match=rf"outcome column '{OUTCOME}' has 1 infinite"):
        synthetic_did(infinite, **PANEL)


def test_an_infinite_period_is_named(good_panel):
    """Class: a period labelled inf was taken as the last period."""
    times = good_panel[TIME].where(good_panel[TIME] != 2007, np.inf)
    with pytest.raises(InputError, match=rf"time column '{TIME}' has 8 infinite"):
        synthetic_control(good_panel.assign(**{TIME: times}), **PANEL)
