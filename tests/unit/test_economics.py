"""Unit tests of :mod:`impactlib.appraisal`.

Every expected number is recomputed in the test from the formula written out (or from an
independent closed form, such as the present value of an annuity), never typed from a
table: there is no published figure to reproduce for these calculations. The Monte Carlo
projection is checked against the analytical normal interval, for determinism, and by a
seeded coverage run.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from impactlib.appraisal import (
    DISCOUNT_RATE_RANGE,
    MIN_RESAMPLES,
    benefit_cost,
    benefit_cost_ratio,
    cost_effectiveness,
    cost_per_beneficiary,
    net_present_value,
    scale_up_projection,
)
from impactlib.core import Estimate, InputError


def make_estimate(value: float, std_error: float, alpha: float = 0.05, **kw) -> Estimate:
    """An estimate with a normal interval, as the projection assumes."""
    z = stats.norm.ppf(1 - alpha / 2)
    return Estimate(
        value=value,
        std_error=std_error,
        ci_low=value - z * std_error,
        ci_high=value + z * std_error,
        p_value=None,
        n=kw.pop("n", 500),
        method="test",
        outcome=kw.pop("outcome", "y"),
        alpha=alpha,
        **kw,
    )


def plain_estimate(value: float, ci_low: float, ci_high: float) -> Estimate:
    return Estimate(
        value=value,
        std_error=(ci_high - ci_low) / 3.92,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=None,
        n=300,
        method="test",
        outcome="y",
    )


# --- cost per beneficiary ----------------------------------------------------------------------


def test_cost_per_beneficiary_by_hand():
    assert cost_per_beneficiary(150_000, 120) == 150_000 / 120
    assert cost_per_beneficiary(0, 10) == 0.0
    assert cost_per_beneficiary(1e6, np.int64(400)) == 2500.0
    assert cost_per_beneficiary(1e6, 400.0) == 2500.0  # an integral float, as YAML gives


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"total_cost": -1.0, "beneficiaries": 10}, r"total_cost must be >= 0"),
        ({"total_cost": math.nan, "beneficiaries": 10}, r"total_cost must be finite"),
        ({"total_cost": "1000", "beneficiaries": 10}, r"total_cost must be a number, got str"),
        ({"total_cost": 1000.0, "beneficiaries": 0}, r"beneficiaries must be an integer >= 1"),
        ({"total_cost": 1000.0, "beneficiaries": 12.5}, r"beneficiaries must be an integer >= 1"),
        (
            {"total_cost": 1000.0, "beneficiaries": True},
            r"beneficiaries must be a number, got bool",
        ),
    ],
)
def test_cost_per_beneficiary_refusals(kwargs, match):
    with pytest.raises(InputError, match=match):
        cost_per_beneficiary(**kwargs)


# --- cost-effectiveness --------------------------------------------------------------------------


def test_cost_effectiveness_by_hand():
    est = plain_estimate(0.5, 0.3, 0.7)
    cost = 1200.0
    ce = cost_effectiveness(est, cost, effect_unit="point de score")
    assert ce.cost_per_unit == pytest.approx(cost / 0.5)
    # The interval maps the bounds of the effect's interval: c / 0.7 and c / 0.3.
    assert ce.cost_per_unit_ci_low == pytest.approx(cost / 0.7)
    assert ce.cost_per_unit_ci_high == pytest.approx(cost / 0.3)
    assert ce.cost_per_unit_reason is None and ce.defined
    assert ce.impact_per_1000 == pytest.approx(0.5 * 1000 / cost)
    assert ce.impact_per_1000_ci_low == pytest.approx(0.3 * 1000 / cost)
    assert ce.impact_per_1000_ci_high == pytest.approx(0.7 * 1000 / cost)
    assert ce.effect_unit == "point de score" and ce.currency == "EUR" and ce.alpha == 0.05


def test_cost_effectiveness_when_lower_is_better():
    # Days in hospital: a reduction of 2 days [1, 3] for 500 EUR per person.
    est = plain_estimate(-2.0, -3.0, -1.0)
    ce = cost_effectiveness(est, 500.0, higher_is_better=False, effect_unit="jour")
    assert ce.cost_per_unit == pytest.approx(500.0 / 2.0)
    assert ce.cost_per_unit_ci_low == pytest.approx(500.0 / 3.0)
    assert ce.cost_per_unit_ci_high == pytest.approx(500.0 / 1.0)
    # Impact per 1000 EUR keeps the sign of the effect.
    assert ce.impact_per_1000 == pytest.approx(-2.0 * 1000 / 500.0)
    assert (ce.impact_per_1000_ci_low, ce.impact_per_1000_ci_high) == pytest.approx((-6.0, -2.0))


def test_cost_effectiveness_not_defined_when_interval_includes_zero():
    est = plain_estimate(0.3, -0.1, 0.7)
    ce = cost_effectiveness(est, 1000.0)
    assert ce.cost_per_unit is None and not ce.defined
    assert ce.cost_per_unit_ci_low is None and ce.cost_per_unit_ci_high is None
    assert ce.cost_per_unit_reason.startswith("Non défini")
    assert "inclut zéro" in ce.cost_per_unit_reason
    assert "95\u202f%" in ce.cost_per_unit_reason
    # Impact per 1000 stays defined, interval straddling zero.
    assert ce.impact_per_1000_ci_low < 0 < ce.impact_per_1000_ci_high


def test_reason_quotes_the_level_of_the_interval():
    est = Estimate(
        value=0.3,
        std_error=0.2,
        ci_low=-0.2,
        ci_high=0.8,
        p_value=None,
        n=50,
        method="test",
        outcome="y",
        alpha=0.025,
    )
    reason = cost_effectiveness(est, 100.0).cost_per_unit_reason
    assert "l'intervalle de confiance à 97,5\u202f% de l'effet inclut zéro" in reason


@pytest.mark.parametrize(("value", "higher"), [(-0.5, True), (0.5, False), (0.0, True)])
def test_cost_effectiveness_not_defined_when_effect_goes_the_wrong_way(value, higher):
    ce = cost_effectiveness(value, 1000.0, higher_is_better=higher)
    assert ce.cost_per_unit is None
    assert "sens favorable" in ce.cost_per_unit_reason
    assert ce.impact_per_1000 == pytest.approx(value)


def test_cost_effectiveness_of_a_bare_number_has_no_interval():
    ce = cost_effectiveness(2.0, 400.0)
    assert ce.cost_per_unit == 200.0
    assert ce.cost_per_unit_ci_low is None and ce.impact_per_1000_ci_low is None
    assert ce.alpha is None


def test_cost_effectiveness_result_is_frozen_and_serialisable():
    ce = cost_effectiveness(plain_estimate(0.5, 0.3, 0.7), 1200.0, currency="USD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ce.cost_per_unit = 0.0  # type: ignore[misc]
    data = ce.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["currency"] == "USD"
    assert "cost per unit of improvement" in ce.summary()


@settings(max_examples=30, deadline=None)
@given(
    value=st.floats(0.05, 10.0),
    width=st.floats(0.0, 0.04),
    cost=st.floats(1.0, 1e5),
    c=st.floats(0.01, 100.0),
)
def test_cost_effectiveness_scales_with_the_cost(value, width, cost, c):
    est = plain_estimate(value, value - width, value + width)
    before = cost_effectiveness(est, cost)
    after = cost_effectiveness(est, c * cost)
    assert after.cost_per_unit == pytest.approx(c * before.cost_per_unit, rel=1e-12)
    assert after.cost_per_unit_ci_high == pytest.approx(c * before.cost_per_unit_ci_high, rel=1e-12)
    assert after.impact_per_1000 == pytest.approx(before.impact_per_1000 / c, rel=1e-12)
    assert before.cost_per_unit_ci_low <= before.cost_per_unit <= before.cost_per_unit_ci_high


@pytest.mark.parametrize(
    ("effect", "cost", "kwargs", "match"),
    [
        (1.0, 0.0, {}, r"cost_per_beneficiary must be > 0"),
        (1.0, -5.0, {}, r"cost_per_beneficiary must be > 0"),
        (1.0, math.inf, {}, r"cost_per_beneficiary must be finite"),
        ("big", 10.0, {}, r"effect must be a number, got str"),
        (math.nan, 10.0, {}, r"effect must be finite"),
        (1.0, 10.0, {"higher_is_better": "yes"}, r"higher_is_better must be True or False"),
        (1.0, 10.0, {"currency": "euro"}, r"currency must be an ISO 4217 code"),
        (1.0, 10.0, {"effect_unit": " "}, r"effect_unit must be a non-empty string"),
    ],
)
def test_cost_effectiveness_refusals(effect, cost, kwargs, match):
    with pytest.raises(InputError, match=match):
        cost_effectiveness(effect, cost, **kwargs)


# --- net present value and benefit-cost ratio --------------------------------------------------


def present_value(flows, rate, first_exponent=1):
    """The textbook sum, written out: flow of year t over (1 + r) ** t."""
    return sum(f / (1 + rate) ** (t + first_exponent) for t, f in enumerate(flows))


def test_npv_and_bcr_by_hand_with_yearly_flows():
    benefits, costs, upfront, rate = [100.0, 200.0, 300.0], [50.0, 50.0, 80.0], 100.0, 0.04
    pv_b = present_value(benefits, rate)
    pv_c = upfront + present_value(costs, rate)
    bc = benefit_cost(benefits, costs, upfront_cost=upfront, discount_rate=rate, horizon_years=3)
    assert bc.pv_benefits == pytest.approx(pv_b, rel=1e-12)
    assert bc.pv_costs == pytest.approx(pv_c, rel=1e-12)
    assert bc.net_present_value == pytest.approx(pv_b - pv_c, rel=1e-12)
    assert bc.benefit_cost_ratio == pytest.approx(pv_b / pv_c, rel=1e-12)
    kwargs = {"upfront_cost": upfront, "discount_rate": rate, "horizon_years": 3}
    assert net_present_value(benefits, costs, **kwargs) == bc.net_present_value
    assert benefit_cost_ratio(benefits, costs, **kwargs) == bc.benefit_cost_ratio


def test_npv_of_a_constant_flow_is_the_annuity_formula():
    # Closed form, independent of the sum: PV = B (1 - (1 + r)^-H) / r.
    b, rate, horizon = 1000.0, 0.035, 12
    annuity = b * (1 - (1 + rate) ** -horizon) / rate
    npv = net_present_value(b, upfront_cost=5000.0, discount_rate=rate, horizon_years=horizon)
    assert npv == pytest.approx(annuity - 5000.0, rel=1e-12)
    # Flows at the start of each year: an annuity due, (1 + r) times the ordinary one.
    due = net_present_value(b, discount_rate=rate, horizon_years=horizon, timing="start")
    assert due == pytest.approx(annuity * (1 + rate), rel=1e-12)


def test_start_timing_leaves_the_first_year_undiscounted():
    bc = benefit_cost([10.0, 10.0], discount_rate=0.1, horizon_years=2, timing="start")
    assert bc.pv_benefits == pytest.approx(present_value([10.0, 10.0], 0.1, first_exponent=0))
    assert bc.benefit_cost_ratio is None  # no cost at all


def test_zero_rate_adds_the_flows():
    bc = benefit_cost([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], discount_rate=0.0, horizon_years=3)
    assert bc.pv_benefits == 6.0 and bc.pv_costs == 1.5 and bc.benefit_cost_ratio == 4.0


def test_benefit_cost_result_serialises():
    bc = benefit_cost(100.0, 40.0, discount_rate=0.02, horizon_years=5, currency="CHF")
    data = bc.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["currency"] == "CHF" and data["timing"] == "end"
    assert "NPV" in bc.summary()


@settings(max_examples=40, deadline=None)
@given(
    benefits=st.lists(st.floats(0, 1e6), min_size=1, max_size=15),
    cost=st.floats(1.0, 1e6),
    rate=st.floats(*DISCOUNT_RATE_RANGE),
)
def test_npv_positive_exactly_when_ratio_above_one(benefits, cost, rate):
    kwargs = {"upfront_cost": cost, "discount_rate": rate, "horizon_years": len(benefits)}
    npv = net_present_value(benefits, **kwargs)
    ratio = benefit_cost_ratio(benefits, **kwargs)
    assert ratio >= 0
    if abs(npv) > 1e-6 * cost:
        assert (npv > 0) == (ratio > 1)


@settings(max_examples=40, deadline=None)
@given(
    b=st.floats(1.0, 1e5),
    horizon=st.integers(1, 40),
    r1=st.floats(0, 0.1),
    dr=st.floats(0.001, 0.1),
)
def test_a_higher_rate_lowers_the_present_value(b, horizon, r1, dr):
    low = benefit_cost(b, discount_rate=r1, horizon_years=horizon).pv_benefits
    high = benefit_cost(b, discount_rate=r1 + dr, horizon_years=horizon).pv_benefits
    assert high < low


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"discount_rate": 4.5},
            r"discount_rate must be in \[0.0, 0.2\] \(a yearly fraction: 0.045 for 4.5 %\), "
            r"got 4.5",
        ),
        ({"discount_rate": -0.01}, r"discount_rate must be in \[0.0, 0.2\] \(a yearly fraction"),
        ({"discount_rate": None}, r"discount_rate must be a number, got NoneType"),
        ({"horizon_years": 0}, r"horizon_years must be an integer >= 1, got 0"),
        ({"horizon_years": -3}, r"horizon_years must be an integer >= 1"),
        ({"horizon_years": 2.5}, r"horizon_years must be an integer >= 1, got 2.5"),
        ({"benefits_per_year": [10.0, -1.0, 5.0]}, r"benefits_per_year\[1\] must be >= 0"),
        ({"benefits_per_year": -10.0}, r"benefits_per_year must be >= 0.*disbenefit"),
        ({"benefits_per_year": [1.0, 2.0]}, r"benefits_per_year has 2 value\(s\) but horizon"),
        ({"costs_per_year": [1.0, 2.0, math.nan]}, r"costs_per_year\[2\] must be finite"),
        ({"costs_per_year": -4.0}, r"costs_per_year must be >= 0"),
        ({"upfront_cost": -100.0}, r"upfront_cost must be >= 0"),
        ({"timing": "middle"}, r"timing must be one of end, start; got 'middle'"),
    ],
)
def test_npv_refusals(kwargs, match):
    arguments = {
        "benefits_per_year": 100.0,
        "costs_per_year": 10.0,
        "discount_rate": 0.03,
        "horizon_years": 3,
    } | kwargs
    benefits = arguments.pop("benefits_per_year")
    costs = arguments.pop("costs_per_year")
    with pytest.raises(InputError, match=match):
        net_present_value(benefits, costs, **arguments)


def test_bcr_refuses_a_programme_without_cost():
    with pytest.raises(InputError, match=r"benefit-cost ratio is not defined"):
        benefit_cost_ratio(100.0, discount_rate=0.03, horizon_years=3)


def test_benefit_cost_refuses_a_bad_currency():
    with pytest.raises(InputError, match=r"currency must be an ISO 4217 code"):
        benefit_cost(1.0, discount_rate=0.03, horizon_years=1, currency="eur")


# --- scale-up projection ------------------------------------------------------------------------

BASE = {"target_population": 20_000, "take_up": 0.4, "cost_per_beneficiary": 1200.0}


def test_projection_point_values_from_the_formula():
    est = make_estimate(0.5, 0.1)
    p = scale_up_projection(est, **BASE, attenuation=0.8)
    beneficiaries = 20_000 * 0.4
    assert p.beneficiaries == pytest.approx(beneficiaries)
    assert p.total_cost == pytest.approx(beneficiaries * 1200.0)
    assert p.total_effect == pytest.approx(beneficiaries * 0.5 * 0.8)
    assert p.cost_per_unit == pytest.approx(p.total_cost / p.total_effect)
    assert p.impact_per_1000 == pytest.approx(p.total_effect * 1000 / p.total_cost)
    assert p.cost_per_unit_ci_low < p.cost_per_unit < p.cost_per_unit_ci_high
    assert p.n_resamples == 10_000 and p.seed == 0 and p.alpha == 0.05
    assert "Monte Carlo" in p.method


def test_projection_without_uncertainty_is_degenerate_at_the_point():
    est = make_estimate(0.5, 0.0)
    p = scale_up_projection(est, **BASE, attenuation=0.9)
    for name in ("beneficiaries", "total_cost", "total_effect", "impact_per_1000"):
        point = getattr(p, name)
        assert getattr(p, f"{name}_ci_low") == point, name
        assert getattr(p, f"{name}_ci_high") == point, name
    assert p.cost_per_unit_ci_low == pytest.approx(p.cost_per_unit, rel=1e-12)
    assert p.cost_per_unit_ci_high == pytest.approx(p.cost_per_unit, rel=1e-12)
    assert scale_up_projection(0.5, **BASE).total_effect_ci_low == 20_000 * 0.4 * 0.5


def test_monte_carlo_interval_matches_the_analytical_normal_interval():
    # With take-up and cost fixed, total effect = B * a * effect is normal with mean
    # B * a * value and sd B * a * se: its interval is B * a * (value -/+ z se).
    value, se, attenuation, alpha = 0.5, 0.12, 0.7, 0.05
    est = make_estimate(value, se)
    p = scale_up_projection(est, **BASE, attenuation=attenuation, n_resamples=400_000, seed=11)
    scale = 20_000 * 0.4 * attenuation
    z = stats.norm.ppf(1 - alpha / 2)
    # The 2.5 % quantile of 400 000 normal draws has a standard error of about 0.004 sd;
    # a tolerance of 0.02 sd is five of them.
    tolerance = 0.02 * scale * se
    assert p.total_effect_ci_low == pytest.approx(scale * (value - z * se), abs=tolerance)
    assert p.total_effect_ci_high == pytest.approx(scale * (value + z * se), abs=tolerance)
    # The cost per unit maps the same quantiles through c / (a * effect).
    cost = BASE["cost_per_beneficiary"]
    assert p.cost_per_unit_ci_low == pytest.approx(
        cost / (attenuation * (value + z * se)), rel=0.01
    )
    assert p.cost_per_unit_ci_high == pytest.approx(
        cost / (attenuation * (value - z * se)), rel=0.01
    )


def test_uniform_take_up_range_gives_the_uniform_quantiles():
    low, high, alpha = 0.2, 0.5, 0.1
    p = scale_up_projection(
        make_estimate(0.5, 0.1),
        target_population=10_000,
        take_up=(low, high),
        cost_per_beneficiary=(900.0, 1100.0),
        n_resamples=200_000,
        alpha=alpha,
    )
    assert p.take_up == pytest.approx((low + high) / 2)
    assert p.take_up_range == (low, high) and p.cost_range == (900.0, 1100.0)
    assert p.cost_per_beneficiary == pytest.approx(1000.0)
    expected = [10_000 * (low + (high - low) * q) for q in (alpha / 2, 1 - alpha / 2)]
    assert p.beneficiaries_ci_low == pytest.approx(expected[0], rel=0.01)
    assert p.beneficiaries_ci_high == pytest.approx(expected[1], rel=0.01)
    # Point totals are expected totals (independent draws): mean of take-up times mean cost.
    assert p.total_cost == pytest.approx(10_000 * 0.35 * 1000.0)
    assert "take-up ~ uniform range" in p.method and "cost ~ uniform range" in p.method


def test_projection_is_deterministic_for_a_seed():
    kwargs = {**BASE, "take_up": (0.3, 0.5), "cost_per_beneficiary": (1000.0, 1400.0)}
    est = make_estimate(0.5, 0.2)
    first = json.dumps(scale_up_projection(est, **kwargs, seed=7).to_dict(), sort_keys=True)
    second = json.dumps(scale_up_projection(est, **kwargs, seed=7).to_dict(), sort_keys=True)
    assert first == second
    other = json.dumps(scale_up_projection(est, **kwargs, seed=8).to_dict(), sort_keys=True)
    assert other != first


def test_effect_draws_do_not_move_when_take_up_becomes_uncertain():
    # Each source has its own stream: the impact per 1000 EUR does not depend on take-up,
    # so its interval is identical with or without a take-up range.
    est = make_estimate(0.5, 0.2)
    fixed = scale_up_projection(est, **BASE, seed=3)
    ranged = scale_up_projection(est, **{**BASE, "take_up": (0.3, 0.5)}, seed=3)
    assert ranged.impact_per_1000_ci_low == fixed.impact_per_1000_ci_low
    assert ranged.impact_per_1000_ci_high == fixed.impact_per_1000_ci_high


@settings(max_examples=20, deadline=None)
@given(
    population=st.integers(1, 10**7),
    take_up=st.floats(0.01, 0.99),
    spread=st.floats(0.0, 0.005),
    seed=st.integers(0, 2**32 - 1),
)
def test_doubling_the_population_doubles_the_totals(population, take_up, spread, seed):
    est = make_estimate(0.5, 0.2)
    kwargs = {
        "take_up": (take_up - spread, take_up + spread),
        "cost_per_beneficiary": (800.0, 1200.0),
        "n_resamples": MIN_RESAMPLES,
        "seed": seed,
    }
    one = scale_up_projection(est, target_population=population, **kwargs)
    two = scale_up_projection(est, target_population=2 * population, **kwargs)
    for name in ("beneficiaries", "total_cost", "total_effect"):
        for suffix in ("", "_ci_low", "_ci_high"):
            key = name + suffix
            assert getattr(two, key) == pytest.approx(2 * getattr(one, key), rel=1e-12), key
    for key in ("cost_per_unit", "cost_per_unit_ci_low", "impact_per_1000_ci_high"):
        assert getattr(two, key) == getattr(one, key)


def test_attenuation_shrinks_the_effect_not_the_cost():
    est = make_estimate(0.5, 0.1)
    full = scale_up_projection(est, **BASE)
    half = scale_up_projection(est, **BASE, attenuation=0.5)
    assert half.total_cost == full.total_cost
    assert half.total_effect == pytest.approx(full.total_effect / 2)
    assert half.total_effect_ci_low == pytest.approx(full.total_effect_ci_low / 2)
    assert half.cost_per_unit == pytest.approx(2 * full.cost_per_unit)


def test_projection_when_lower_is_better():
    est = make_estimate(-2.0, 0.5)
    p = scale_up_projection(est, **BASE, higher_is_better=False)
    assert p.total_effect < 0 and p.total_effect_ci_high < 0
    assert p.cost_per_unit == pytest.approx(1200.0 / 2.0)
    assert 0 < p.cost_per_unit_ci_low < p.cost_per_unit < p.cost_per_unit_ci_high


def test_projection_cost_per_unit_not_defined_when_effect_uncertain():
    p = scale_up_projection(make_estimate(0.1, 0.1), **BASE)
    assert p.cost_per_unit is None and p.cost_per_unit_ci_low is None
    assert "intervalle de simulation" in p.cost_per_unit_reason
    assert p.total_effect_ci_low < 0 < p.total_effect_ci_high
    assert "not defined" in p.summary()
    wrong_way = scale_up_projection(make_estimate(0.5, 0.1), **BASE, higher_is_better=False)
    assert "sens favorable" in wrong_way.cost_per_unit_reason


def test_zero_take_up_projects_nothing():
    p = scale_up_projection(make_estimate(0.5, 0.1), **{**BASE, "take_up": 0.0})
    assert p.beneficiaries == p.total_cost == p.total_effect == 0.0
    assert p.cost_per_unit == pytest.approx(1200.0 / 0.5)  # per beneficiary, still defined


def test_projection_interval_covers_the_true_total_about_95_percent():
    # Known truth: the study's estimate is drawn around a true effect; the projection's
    # interval for the total effect should cover the true total in ~95 % of studies.
    rng = np.random.default_rng(2024)
    true_effect, se, reps = 0.4, 0.15, 1000
    truth = BASE["target_population"] * BASE["take_up"] * true_effect * 0.8
    covered = 0
    for rep in range(reps):
        est = make_estimate(float(rng.normal(true_effect, se)), se)
        p = scale_up_projection(est, **BASE, attenuation=0.8, n_resamples=2_000, seed=rep)
        covered += p.total_effect_ci_low <= truth <= p.total_effect_ci_high
    assert 0.92 <= covered / reps <= 0.98


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target_population": 0}, r"target_population must be an integer >= 1, got 0"),
        ({"target_population": 1000.5}, r"target_population must be an integer >= 1"),
        ({"target_population": -10}, r"target_population must be an integer >= 1"),
        ({"target_population": True}, r"target_population must be a number, got bool"),
        ({"take_up": 1.2}, r"take_up must be in \[0.0, 1.0\], got 1.2"),
        ({"take_up": -0.1}, r"take_up must be in \[0.0, 1.0\]"),
        ({"take_up": (0.5, 0.2)}, r"take_up range \(0.5, 0.2\) has low above high"),
        ({"take_up": (0.1, 1.5)}, r"take_up high must be in \[0.0, 1.0\]"),
        ({"take_up": (0.1, 0.2, 0.3)}, r"take_up range must be a pair"),
        ({"cost_per_beneficiary": 0.0}, r"cost_per_beneficiary must be in \(0.0, inf\)"),
        ({"cost_per_beneficiary": -5.0}, r"cost_per_beneficiary must be in \(0.0, inf\)"),
        ({"cost_per_beneficiary": (-1.0, 5.0)}, r"cost_per_beneficiary low must be in"),
        ({"attenuation": 0.0}, r"attenuation must be in \(0, 1\]"),
        ({"attenuation": 1.5}, r"attenuation must be in \(0, 1\]"),
        ({"n_resamples": 10}, r"n_resamples must be an integer >= 1000, got 10"),
        ({"seed": -1}, r"seed must be an integer >= 0"),
        ({"alpha": 1.5}, r"alpha must be in \(0, 1\)"),
        ({"currency": "€"}, r"currency must be an ISO 4217 code"),
        ({"higher_is_better": None}, r"higher_is_better must be True or False"),
    ],
)
def test_projection_refusals(kwargs, match):
    with pytest.raises(InputError, match=match):
        scale_up_projection(make_estimate(0.5, 0.1), **{**BASE, **kwargs})


def test_projection_refuses_a_non_numeric_effect():
    with pytest.raises(InputError, match=r"effect must be a number, got str"):
        scale_up_projection("0.5", **BASE)


def test_scale_up_without_a_cost_projects_the_effect_only():
    # A regulation has no cost per beneficiary: beneficiaries and total effect are projected
    # exactly as with a cost, and every cost field is None with the reason printed.
    est = Estimate(value=0.5, std_error=0.1, ci_low=0.3, ci_high=0.7, p_value=0.001,
                   n=400, method="difference in means", outcome="score")  # fmt: skip
    costed = scale_up_projection(
        est, target_population=20_000, take_up=0.4, cost_per_beneficiary=1200.0, seed=3
    )
    uncosted = scale_up_projection(
        est, target_population=20_000, take_up=0.4, cost_per_beneficiary=None, seed=3
    )
    assert uncosted.total_effect == costed.total_effect
    assert (uncosted.total_effect_ci_low, uncosted.total_effect_ci_high) == (
        costed.total_effect_ci_low,
        costed.total_effect_ci_high,
    )
    for field in ("cost_per_beneficiary", "total_cost", "total_cost_ci_low", "impact_per_1000",
                  "impact_per_1000_ci_high", "cost_per_unit"):  # fmt: skip
        assert getattr(uncosted, field) is None, field
    assert "Non applicable" in uncosted.cost_per_unit_reason
    assert "not applicable" in uncosted.summary()
