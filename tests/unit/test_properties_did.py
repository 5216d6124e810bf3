"""Property-based tests of the difference-in-differences family on degenerate panels.

Each public function receives generated panels (constant, near-constant and exactly fitted
outcomes, one unit per group, NaN and inf, duplicated keys, a missing row, extreme scales)
and wrong parameters: it must return finite, correctly shaped results or refuse with an
``InputError`` naming a parameter or a column. One explicit test per class of defect the
issue found follows the properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactlib.core.validation import InputError
from impactlib.did import (
    callaway_santanna,
    cohort_table,
    did_2x2,
    event_study,
    treatment_status,
    twfe,
    twfe_weights,
)
from support.strategies_panel import (
    BAD_VALUES,
    CLUSTER,
    COHORT,
    COVARIATE,
    EXAMPLES,
    FAST,
    GROUP,
    OUTCOME,
    POST,
    TIME,
    TREATED,
    UNIT,
    check_estimate,
    check_table,
    holds,
    panels,
)

COLUMNS = [OUTCOME, UNIT, TIME, GROUP, POST, TREATED, COHORT, CLUSTER, COVARIATE, "data"]
PANEL = {"outcome": OUTCOME, "unit": UNIT, "time": TIME}


def _check_event_study(result) -> None:
    for est in result.effects.values():
        check_estimate(est)
    reference = result.table["reference"].to_numpy()
    check_table(result.table.loc[~reference])
    if result.pretrend_test is not None:
        assert np.isfinite([result.pretrend_test.statistic, result.pretrend_test.p_value]).all()


def _check_staggered(result) -> None:
    """The headline is checked when the result is made; each other aggregation, and its
    table, is a call of its own that may refuse (a level without a standard error)."""
    check_estimate(result.estimate)
    for kind in ("group", "dynamic", "calendar"):
        names = [OUTCOME, COHORT]
        holds(lambda kind=kind: result.aggregate(kind), check_estimate, names=names)
        holds(lambda kind=kind: result.aggregate_table(kind), check_table, names=names)
    post = result.group_time.loc[result.group_time["post"]]
    check_table(post, allow_nan=["std_error", "ci_low", "ci_high", "p_value"])
    assert np.isfinite(post["value"]).all()
    assert result.n_dropped == sum(v for k, v in result.dropped.items() if k.endswith("_rows"))


# --- generated panels ---------------------------------------------------------------------


@FAST
@given(panel=panels(staggered=False), cluster=st.sampled_from([None, CLUSTER]))
def test_did_2x2_holds_on_generated_panels(panel, cluster):
    holds(
        lambda: did_2x2(panel, **PANEL, treatment=GROUP, post=POST, cluster=cluster),
        check_estimate,
        names=COLUMNS,
    )


@FAST
@given(panel=panels(), cluster=st.sampled_from([None, CLUSTER]))
def test_twfe_holds_on_generated_panels(panel, cluster):
    holds(
        lambda: twfe(panel, **PANEL, treatment=TREATED, cluster=cluster),
        check_estimate,
        names=COLUMNS,
    )


@FAST
@given(panel=panels(), leads=st.sampled_from([None, 1, 2]), lags=st.sampled_from([None, 0, 1]))
def test_event_study_holds_on_generated_panels(panel, leads, lags):
    holds(
        lambda: event_study(panel, **PANEL, cohort=COHORT, leads=leads, lags=lags),
        _check_event_study,
        names=[*COLUMNS, "reference", "leads", "lags"],
    )


@settings(FAST, max_examples=max(10, EXAMPLES * 2 // 3))
@given(
    panel=panels(max_units=14, max_periods=5),
    control=st.sampled_from(["never_treated", "not_yet_treated"]),
    covariates=st.sampled_from([None, COVARIATE]),
)
def test_callaway_santanna_holds_on_generated_panels(panel, control, covariates):
    holds(
        lambda: callaway_santanna(
            panel, **PANEL, cohort=COHORT, control_group=control, covariates=covariates
        ),
        _check_staggered,
        names=[*COLUMNS, "control_group"],
    )


def _check_adoption(frame) -> None:
    check_table(frame if isinstance(frame, pd.DataFrame) else frame.to_frame())


@FAST
@given(panel=panels())
def test_adoption_tables_hold_on_generated_panels(panel):
    names = [*COLUMNS, "cohort", "unit"]
    holds(lambda: treatment_status(panel, time=TIME, cohort=COHORT), _check_adoption, names=names)
    holds(
        lambda: cohort_table(panel, unit=UNIT, time=TIME, cohort=COHORT),
        _check_adoption,
        names=names,
    )
    weights = holds(
        lambda: twfe_weights(panel, unit=UNIT, time=TIME, cohort=COHORT),
        _check_adoption,
        names=names,
    )
    if weights is not None:
        assert weights["twfe_weight"].sum() == pytest.approx(1.0)
        assert weights["simple_weight"].sum() == pytest.approx(1.0)


# --- wrong parameters ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    unit, year = np.repeat(np.arange(24), 5), np.tile(np.arange(2001, 2006), 24)
    cohort = np.where(unit < 6, 2003, np.where(unit < 12, 2004, 0))
    treated = (cohort > 0) & (year >= cohort)
    return pd.DataFrame(
        {
            UNIT: unit,
            TIME: year,
            OUTCOME: 0.2 * unit + 0.1 * year + treated + rng.normal(size=len(unit)),
            GROUP: (unit < 12).astype(int),
            POST: (year >= 2003).astype(int),
            TREATED: treated.astype(int),
            COHORT: cohort,
            CLUSTER: unit // 2,
            COVARIATE: rng.normal(size=len(unit)),
        }
    )


CALLS = {
    "did_2x2": (did_2x2, {**PANEL, "treatment": GROUP, "post": POST}),
    "twfe": (twfe, {**PANEL, "treatment": TREATED}),
    "event_study": (event_study, {**PANEL, "cohort": COHORT}),
    "callaway_santanna": (callaway_santanna, {**PANEL, "cohort": COHORT}),
}
CHECKS = {
    "did_2x2": check_estimate,
    "twfe": check_estimate,
    "event_study": _check_event_study,
    "callaway_santanna": _check_staggered,
}
PARAMETERS = {
    "did_2x2": ["outcome", "unit", "time", "treatment", "post", "cluster", "alpha"],
    "twfe": ["outcome", "unit", "time", "treatment", "cluster", "alpha"],
    "event_study": ["outcome", "cohort", "leads", "lags", "reference", "cluster", "alpha"],
    "callaway_santanna": [
        "outcome",
        "cohort",
        "control_group",
        "covariates",
        "estimator",
        "alpha",
        "vcov",
        "n_resamples",
        "seed",
    ],
}


@pytest.mark.parametrize("function", sorted(CALLS))
@settings(FAST, max_examples=max(10, EXAMPLES * 2 // 3))
@given(data=st.data())
def test_wrong_parameters_are_refused_by_name(good_panel, function, data):
    call, kwargs = CALLS[function]
    name = data.draw(st.sampled_from(PARAMETERS[function]), label="parameter")
    value = data.draw(st.sampled_from(BAD_VALUES), label="value")
    holds(
        lambda: call(good_panel, **{**kwargs, name: value}),
        CHECKS[function],
        names=[name, *COLUMNS],
    )


# --- one test per class of defect ---------------------------------------------------------


def test_constant_outcome_is_refused_by_every_estimator(good_panel):
    """Class: a constant outcome passed 2x2 and staggered DiD with a p-value of rounding
    noise; the event study failed in numpy's solver."""
    flat = good_panel.assign(**{OUTCOME: 5.0})
    near = good_panel.assign(**{OUTCOME: 1e12 + good_panel[OUTCOME] * 1e-3})
    for frame, pattern in ((flat, "is constant"), (near, "rounding noise")):
        for _function, (call, kwargs) in CALLS.items():
            with pytest.raises(InputError, match=rf"outcome column '{OUTCOME}' .*{pattern}"):
                call(frame, **kwargs)


def test_exact_fit_is_refused(good_panel):
    """Class: an outcome equal to a function of the regressors gave p = 0 or no p-value."""
    copy = good_panel.assign(**{OUTCOME: good_panel[TREATED].astype(float)})
    with pytest.raises(InputError, match=rf"'{OUTCOME}' is fitted exactly by the unit and time"):
        twfe(copy, **PANEL, treatment=TREATED)
    cells = good_panel.assign(**{OUTCOME: 1.0 + good_panel[GROUP] * good_panel[POST]})
    with pytest.raises(InputError, match=r"fitted exactly by group, period and their product"):
        did_2x2(cells, **PANEL, treatment=GROUP, post=POST)


@pytest.mark.parametrize("seed", range(6))
def test_exact_fit_on_an_unbalanced_panel_is_refused(seed):
    """Class: pyfixest's iterative demeaning (tolerance 1e-6) leaves an exact fit on an
    unbalanced panel residuals of 4e-11 to 4e-10 of the outcome and a standard error of 2e-12
    to 7e-12; with rounding noise at 1e-12 of the data, twfe returned an effect with a p-value
    for seeds 0, 2, 4 and 5."""
    rng = np.random.default_rng(seed)
    unit, period = np.repeat(np.arange(40), 12), np.tile(np.arange(12), 40)
    now = (unit >= 20) & (period >= 6)
    y = rng.normal(size=40)[unit] + rng.normal(size=12)[period] + 2.0 * now
    frame = pd.DataFrame({UNIT: unit, TIME: period, OUTCOME: y, TREATED: now.astype(int)})
    frame = frame.drop(index=rng.choice(len(frame), 5, replace=False))
    with pytest.raises(InputError, match=rf"'{OUTCOME}' is fitted exactly|'{OUTCOME}'.*rounding"):
        twfe(frame, **PANEL, treatment=TREATED)


def test_staggered_did_without_comparison_units_is_refused(good_panel):
    """Class: no never-treated and no not-yet-treated unit failed at aggregation with
    'Estimate.std_error must be finite'."""
    same = good_panel.assign(**{COHORT: 2003})
    with pytest.raises(InputError, match=rf"cohort column '{COHORT}': every unit kept is first"):
        callaway_santanna(same, **PANEL, cohort=COHORT, control_group="not_yet_treated")
    few = good_panel.loc[good_panel[COHORT].gt(0) | good_panel[UNIT].isin([12, 13])]
    with pytest.raises(InputError, match=r"needs at least 5 never-treated units .* got 2"):
        callaway_santanna(few, **PANEL, cohort=COHORT)


def test_single_treated_cluster_is_refused_by_twfe(good_panel):
    """Class: one treated unit gave a cluster-robust p-value from a single cluster."""
    one = good_panel.assign(**{TREATED: (good_panel[UNIT].eq(0) & good_panel[POST].eq(1))})
    with pytest.raises(InputError, match=r"the treated group spans 1 cluster\(s\)"):
        twfe(one.astype({TREATED: int}), **PANEL, treatment=TREATED)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_resamples": "99"}, r"n_resamples must be a positive integer, got '99'"),
        ({"seed": "0"}, r"seed must be an integer, got '0'"),
        ({"control_group": ["never_treated"]}, r"unknown control_group \['never_treated'\]"),
        ({"outcome": [OUTCOME]}, rf"outcome must be one column name .* \['{OUTCOME}'\]"),
        ({"alpha": "0.05"}, r"alpha must be a number, got str '0.05'"),
    ],
)
def test_wrong_type_parameters_are_named(good_panel, kwargs, message):
    """Class: a string or a list where a number or a name is expected crashed in int() or
    in pandas (unhashable type)."""
    with pytest.raises(InputError, match=message):
        callaway_santanna(good_panel, **{**CALLS["callaway_santanna"][1], **kwargs})


def test_event_study_reference_of_the_wrong_type_is_named(good_panel):
    with pytest.raises(InputError, match=r"reference must be a number, got str 'x'"):
        event_study(good_panel, **PANEL, cohort=COHORT, reference="x")


def test_duplicated_keys_and_non_finite_values_are_named(good_panel):
    """Class: duplicated unit x period keys, NaN and inf in the outcome or the periods."""
    twice = pd.concat([good_panel, good_panel.iloc[[3]]], ignore_index=True)
    with pytest.raises(InputError, match=rf"column '{UNIT}'\) is observed 2 times"):
        twfe(twice, **PANEL, treatment=TREATED)
    infinite = good_panel.assign(
        **{OUTCOME: good_panel[OUTCOME].replace(good_panel[OUTCOME][0], np.inf)}
    )
    with pytest.raises(InputError, match=rf"outcome column '{OUTCOME}' has 1 infinite"):
        did_2x2(infinite, **PANEL, treatment=GROUP, post=POST)
    times = good_panel.assign(**{TIME: good_panel[TIME].where(good_panel.index != 0, np.inf)})
    with pytest.raises(InputError, match=rf"column '{TIME}' has 1 infinite"):
        event_study(times, **PANEL, cohort=COHORT)


def test_degenerate_covariates_are_named(good_panel):
    """Class: a constant or collinear covariate gave NaN standard errors in moderndid."""
    kwargs = {**CALLS["callaway_santanna"][1], "estimator": "dr"}
    flat = good_panel.assign(k=1.0)
    with pytest.raises(InputError, match=r"covariate column 'k' is constant"):
        callaway_santanna(flat, **kwargs, covariates="k")
    double = good_panel.assign(k=good_panel[COVARIATE] * 2 + 1)
    with pytest.raises(InputError, match=r"covariate column 'k' is a linear combination"):
        callaway_santanna(double, **kwargs, covariates=[COVARIATE, "k"])


def test_extreme_scales_give_the_same_effect_in_the_units_of_the_outcome(good_panel):
    """Class: an outcome in the 1e-12 gave moderndid a NaN standard error, one in the 1e12
    failed pyfixest's demeaning; both are rescaled by a power of two, exactly."""
    base = callaway_santanna(good_panel, **CALLS["callaway_santanna"][1]).estimate
    for scale in (1e-12, 1e12):
        frame = good_panel.assign(**{OUTCOME: good_panel[OUTCOME] * scale})
        scaled = callaway_santanna(frame, **CALLS["callaway_santanna"][1]).estimate
        assert scaled.value == pytest.approx(base.value * scale, rel=1e-9)
        assert scaled.std_error == pytest.approx(base.std_error * scale, rel=1e-9)
        assert scaled.p_value == pytest.approx(base.p_value, rel=1e-6)
        effect = event_study(frame, **PANEL, cohort=COHORT).estimate
        plain = event_study(good_panel, **PANEL, cohort=COHORT).estimate
        assert effect.value == pytest.approx(plain.value * scale, rel=1e-6)


def test_panel_emptied_by_singleton_removal_is_refused_not_aborted():
    """Class: a panel whose singletons pyfixest removes in turn until nothing is left made
    its compiled demeaning panic and abort the whole Python process."""
    panel = pd.DataFrame(
        {
            UNIT: [0, 0, 1, 1],
            TIME: [0, 1, 0, 2],
            OUTCOME: [0.0, 2.25, 0.5, 2.75],
            TREATED: [0, 1, 0, 1],
        }
    )
    with pytest.raises(InputError, match=rf"units of column '{UNIT}' and the periods of column"):
        twfe(panel, **PANEL, treatment=TREATED)
