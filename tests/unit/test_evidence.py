"""Unit tests of :mod:`impactlib.appraisal`: standardised effects and GRADE levels.

The GRADE rules tested here are those of Guyatt et al. (BMJ 2008) and the GRADE Handbook
(Schünemann et al. eds., 2013), as documented in :func:`impactlib.appraisal.grade_evidence`:
randomised trials start high, other designs low; each domain rates down by 0, 1 or 2; the
level is clamped to [very low, high]. Each rule is one test; the French sentences the book
prints are checked verbatim.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impactlib.appraisal import LEVEL_LABELS, LEVELS, grade_evidence, standardised_effect
from impactlib.core import DESIGNS, Estimate, InputError

OBSERVATIONAL = sorted(c for c, d in DESIGNS.items() if d.group == "observational")
QUASI_EXPERIMENTAL = sorted(c for c, d in DESIGNS.items() if d.group == "quasi_experimental")

MINUS = "\u2212"


def estimate(value: float, ci_low: float, ci_high: float, **kw) -> Estimate:
    return Estimate(
        value=value,
        std_error=(ci_high - ci_low) / 3.92,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=None,
        n=kw.pop("n", 400),
        method="test",
        outcome=kw.pop("outcome", "score"),
        **kw,
    )


PRECISE = estimate(0.5, 0.3, 0.7)
STRADDLING = estimate(0.2, -0.1, 0.5)


# --- standardised effects -----------------------------------------------------------------------


def test_smd_divides_effect_and_interval_by_the_control_sd():
    # Hand example: an effect of 3 points [1; 5] on a score whose control-group sd is 10.
    result = standardised_effect(estimate(3.0, 1.0, 5.0), kind="smd", sd=10.0)
    assert (result.value, result.ci_low, result.ci_high) == pytest.approx((0.3, 0.1, 0.5))
    assert result.kind == "smd" and result.reason is None and result.defined
    assert "écarts-types" in result.label
    assert result.outcome == "score" and result.alpha == 0.05


def test_relative_divides_by_the_baseline():
    # Hand example: +3 points [1; 5] on a control mean of 20 is +15 % [5 %; 25 %].
    result = standardised_effect(estimate(3.0, 1.0, 5.0), kind="relative", baseline=20.0)
    assert (result.value, result.ci_low, result.ci_high) == pytest.approx((0.15, 0.05, 0.25))
    assert result.label == "Variation relative par rapport au niveau de référence"


def test_ratio_turns_a_log_ratio_into_a_relative_change():
    # Input: the REML pooled log risk ratio of the 13 BCG vaccine trials, -0.7145
    # [-1.0669; -0.3622] (metafor's rma() on dat.bcg, Viechtbauer 2010, J. Stat. Softw.
    # 36(3)). The relative change is exp(x) - 1.
    bcg = estimate(-0.7145, -1.0669, -0.3622, outcome="tb")
    result = standardised_effect(bcg, kind="ratio")
    assert result.value == pytest.approx(math.exp(-0.7145) - 1, rel=1e-12)
    assert result.ci_low == pytest.approx(math.exp(-1.0669) - 1, rel=1e-12)
    assert result.ci_high == pytest.approx(math.exp(-0.3622) - 1, rel=1e-12)
    assert result.ci_low < result.value < result.ci_high < 0
    assert result.label == f"Variation relative (rapport {MINUS} 1)"


def test_ratio_of_a_null_effect_is_zero():
    assert standardised_effect(estimate(0.0, -0.2, 0.2), kind="ratio").value == 0.0


def test_none_never_returns_a_number():
    result = standardised_effect(PRECISE, kind="none")
    assert result.value is None and result.ci_low is None and result.ci_high is None
    assert not result.defined
    assert result.reason == "Une standardisation n'a pas de sens pour cet indicateur."
    assert result.label == "Non standardisable"
    custom = standardised_effect(
        PRECISE, kind="none", reason="Nombre d'emplois créés : aucune échelle commune."
    )
    assert custom.reason == "Nombre d'emplois créés : aucune échelle commune."
    assert custom.value is None
    data = custom.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert all(data[key] is None for key in ("value", "ci_low", "ci_high"))


@settings(max_examples=40, deadline=None)
@given(
    value=st.floats(-50, 50),
    half_width=st.floats(0.01, 20),
    sd=st.floats(0.1, 100),
    c=st.floats(0.01, 100),
)
def test_smd_does_not_depend_on_the_unit_of_the_outcome(value, half_width, sd, c):
    before = standardised_effect(
        estimate(value, value - half_width, value + half_width), kind="smd", sd=sd
    )
    rescaled = estimate(c * value, c * (value - half_width), c * (value + half_width))
    after = standardised_effect(rescaled, kind="smd", sd=c * sd)
    assert after.value == pytest.approx(before.value, rel=1e-9, abs=1e-12)
    assert after.ci_low == pytest.approx(before.ci_low, rel=1e-9, abs=1e-12)
    assert after.ci_high == pytest.approx(before.ci_high, rel=1e-9, abs=1e-12)


def test_standardised_effect_is_frozen():
    result = standardised_effect(PRECISE, kind="smd", sd=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "cohen"}, r"kind must be one of smd, relative, ratio, none; got 'cohen'"),
        ({"kind": "smd"}, r"sd is required for kind='smd'"),
        ({"kind": "smd", "sd": 0.0}, r"sd must be > 0, got 0.0"),
        ({"kind": "smd", "sd": -2.0}, r"sd must be > 0, got -2.0"),
        ({"kind": "smd", "sd": math.nan}, r"sd must be finite, got nan"),
        ({"kind": "smd", "sd": "10"}, r"sd must be a number, got str"),
        ({"kind": "relative"}, r"baseline is required for kind='relative'"),
        ({"kind": "relative", "baseline": 0.0}, r"baseline must be > 0, got 0.0"),
        ({"kind": "relative", "baseline": -3.0}, r"baseline must be > 0"),
        ({"kind": "relative", "sd": 2.0, "baseline": 4.0}, r"sd applies to kind='smd' only"),
        ({"kind": "smd", "sd": 2.0, "baseline": 4.0}, r"baseline applies to kind='relative'"),
        ({"kind": "ratio", "sd": 2.0}, r"sd applies to kind='smd' only, not kind='ratio'"),
        ({"kind": "smd", "sd": 2.0, "reason": "x"}, r"reason applies to kind='none' only"),
        ({"kind": "none", "reason": "  "}, r"reason must be a non-empty string"),
        ({"kind": "smd", "sd": 2.0, "nonnegative": False}, r"nonnegative applies to kind='rel"),
        ({"kind": "relative", "baseline": 4.0, "nonnegative": 1}, r"nonnegative must be True"),
    ],
)
def test_standardised_effect_refusals(kwargs, match):
    with pytest.raises(InputError, match=match):
        standardised_effect(PRECISE, **kwargs)


# Head Start (territoires-headstart, results/territoires-headstart/estimates.json as the
# pipeline wrote it at main f608bc1): a fall in the mortality of children aged 5 to 9 of
# -2.3823 per 100 000, robust bias-corrected interval [-5.4229; -0.0825], on a baseline of
# 3.0425 deaths per 100 000 (counties just above the cutoff). The interval of the relative
# change read "-78 % [-178; -3]": a fall of more than 100 % in a mortality.
HEADSTART = Estimate(
    value=-2.382333995940512,
    std_error=1.1977383332779854,
    ci_low=-5.422896709660818,
    ci_high=-0.08250145950274312,
    p_value=0.04332934732566013,
    n=3103,
    method="rd",
    outcome="mortality",
)
HEADSTART_BASELINE = 3.0425481686532247


def test_a_relative_change_of_a_nonnegative_outcome_never_falls_below_minus_100_percent():
    result = standardised_effect(HEADSTART, kind="relative", baseline=HEADSTART_BASELINE)
    assert result.ci_low == -1.0  # not -1.78
    assert result.value == pytest.approx(HEADSTART.value / HEADSTART_BASELINE)  # -0.783
    assert result.ci_high == pytest.approx(HEADSTART.ci_high / HEADSTART_BASELINE)  # -0.027
    assert result.ci_high < 0  # it still agrees with the headline's interval, which excludes 0
    assert result.note is not None and f"{MINUS}100" in result.note
    assert "Borne ramenée" in result.summary()
    # The interval of the difference is untouched in the other bounds' cases.
    assert standardised_effect(PRECISE, kind="relative", baseline=2.0).note is None


def test_a_point_estimate_below_minus_100_percent_is_brought_back_too():
    result = standardised_effect(estimate(-5.0, -8.0, -2.0), kind="relative", baseline=4.0)
    assert (result.value, result.ci_low, result.ci_high) == (-1.0, -1.0, -0.5)


def test_an_outcome_that_can_be_negative_keeps_its_interval():
    result = standardised_effect(
        HEADSTART, kind="relative", baseline=HEADSTART_BASELINE, nonnegative=False
    )
    assert result.ci_low == pytest.approx(HEADSTART.ci_low / HEADSTART_BASELINE)
    assert result.ci_low < -1 and result.note is None


@settings(max_examples=60, deadline=None)
@given(
    value=st.floats(-50, 50),
    half=st.floats(0.01, 50),
    baseline=st.floats(0.1, 100),
)
def test_no_relative_interval_of_a_nonnegative_outcome_shows_an_impossible_value(
    value, half, baseline
):
    result = standardised_effect(
        estimate(value, value - half, value + half), kind="relative", baseline=baseline
    )
    assert -1.0 <= result.ci_low <= result.value <= result.ci_high


def test_standardised_effect_refuses_a_non_estimate():
    with pytest.raises(InputError, match=r"estimate must be an Estimate, got float"):
        standardised_effect(0.5, kind="smd", sd=1.0)


def test_ratio_refuses_an_effect_not_on_the_log_scale():
    with pytest.raises(InputError, match=r"kind='ratio' expects an effect on the log scale"):
        standardised_effect(estimate(800.0, 700.0, 900.0), kind="ratio")


# --- GRADE: starting levels -----------------------------------------------------------------------


def test_rct_with_low_risk_of_bias_and_precise_estimate_is_high():
    grade = grade_evidence(design="rct", risk_of_bias="low", estimate=PRECISE)
    assert grade.level == "high" and grade.label == "élevé"
    assert grade.reasons[0] == "Essai randomisé : niveau de départ élevé."
    assert "Risque de biais non sérieux : aucun déclassement." in grade.reasons
    assert "Imprécision non sérieuse : aucun déclassement." in grade.reasons
    assert grade.start_level == "high" and grade.downgrade == 0 and grade.upgrade == 0
    assert grade.symbols == "\u2295\u2295\u2295\u2295" and grade.rank == 3


def test_rct_whose_interval_includes_zero_drops_one_level_for_imprecision():
    grade = grade_evidence(design="rct", risk_of_bias="low", estimate=STRADDLING)
    assert grade.level == "moderate" and grade.label == "modéré"
    assert f"Imprécision : l'intervalle de confiance inclut zéro : {MINUS}1." in grade.reasons
    assert grade.downgrade == 1


@pytest.mark.parametrize("design", OBSERVATIONAL)
def test_observational_designs_start_low(design):
    grade = grade_evidence(design=design, risk_of_bias="not_serious", estimate=PRECISE)
    assert grade.level == "low" and grade.label == "faible" and grade.start_level == "low"
    label = DESIGNS[design].label
    assert grade.reasons[0] == f"{label[0].upper()}{label[1:]} : niveau de départ faible."
    assert grade_evidence(design="observational", risk_of_bias="low").reasons[0] == (
        "Étude observationnelle : niveau de départ faible."
    )


@pytest.mark.parametrize("design", QUASI_EXPERIMENTAL)
def test_quasi_experimental_designs_start_low_as_well(design):
    grade = grade_evidence(design=design, risk_of_bias="low", estimate=PRECISE)
    assert grade.level == "low"
    assert grade.reasons[0].startswith(f"Quasi-expérience ({DESIGNS[design].label})")


def test_there_are_no_design_aliases():
    # One vocabulary: the synth module writes "synthetic_control", and only that is known.
    with pytest.raises(InputError, match="design must be one of .*; got 'synthetic control'"):
        grade_evidence(design="synthetic control", risk_of_bias="low")
    grade = grade_evidence(design="synthetic_control", risk_of_bias="low")
    assert grade.reasons[0].startswith("Quasi-expérience (contrôle synthétique)")


def test_cluster_rct_starts_high():
    grade = grade_evidence(design="cluster_rct", risk_of_bias="low")
    assert grade.reasons[0] == "Essai randomisé par grappes : niveau de départ élevé."
    assert grade.level == "high"


# --- GRADE: rating down ---------------------------------------------------------------------------


def test_serious_risk_of_bias_drops_one_level():
    grade = grade_evidence(design="rct", risk_of_bias="serious", estimate=PRECISE)
    assert grade.level == "moderate"
    assert f"Risque de biais sérieux : {MINUS}1." in grade.reasons


def test_very_serious_risk_of_bias_drops_two_levels():
    grade = grade_evidence(design="rct", risk_of_bias="very_serious", estimate=PRECISE)
    assert grade.level == "low" and grade.downgrade == 2
    assert f"Risque de biais très sérieux : {MINUS}2." in grade.reasons


@pytest.mark.parametrize(
    ("domain", "judgement", "sentence"),
    [
        ("inconsistency", "serious", f"Incohérence sérieuse : {MINUS}1."),
        ("inconsistency", "very_serious", f"Incohérence très sérieuse : {MINUS}2."),
        ("indirectness", "serious", f"Caractère indirect sérieux : {MINUS}1."),
        ("indirectness", "very_serious", f"Caractère indirect très sérieux : {MINUS}2."),
        ("imprecision", "serious", f"Imprécision sérieuse : {MINUS}1."),
        ("publication_bias", "serious", f"Biais de publication fortement suspecté : {MINUS}1."),
        (
            "publication_bias",
            "not_serious",
            "Biais de publication non détecté : aucun déclassement.",
        ),
    ],
)
def test_each_domain_rates_down_by_its_judgement(domain, judgement, sentence):
    grade = grade_evidence(design="rct", risk_of_bias="low", **{domain: judgement})
    assert sentence in grade.reasons
    assert grade.rank == 3 - {"not_serious": 0, "serious": 1, "very_serious": 2}[judgement]


def test_domains_not_judged_are_recorded_as_not_assessed():
    grade = grade_evidence(design="rct", risk_of_bias="low")
    assert grade.level == "high"
    assert "Incohérence : non évaluée." in grade.reasons
    assert "Caractère indirect : non évalué." in grade.reasons
    assert "Imprécision : non évaluée (aucune estimation fournie)." in grade.reasons
    assert "Biais de publication : non évalué." in grade.reasons


def test_i_squared_above_half_rates_down_pooled_results():
    high_i2 = grade_evidence(design="rct", risk_of_bias="low", estimate=PRECISE, i_squared=0.72)
    assert high_i2.level == "moderate"
    assert (
        f"Incohérence : I² = 72\u202f% (> 50\u202f%) entre les études poolées : {MINUS}1."
        in high_i2.reasons
    )
    low_i2 = grade_evidence(design="rct", risk_of_bias="low", estimate=PRECISE, i_squared=0.3)
    assert low_i2.level == "high"
    assert "Incohérence non sérieuse : I² = 30\u202f% (≤ 50\u202f%) : aucun déclassement." in (
        low_i2.reasons
    )
    at_threshold = grade_evidence(design="rct", risk_of_bias="low", i_squared=0.5)
    assert at_threshold.level == "high"


def test_i_squared_is_read_from_a_pooled_estimate():
    pooled = estimate(0.5, 0.3, 0.7, n=13, design="rct", extra={"i2": 0.9222, "k": 13})
    grade = grade_evidence(design="rct", risk_of_bias="low", estimate=pooled)
    assert grade.level == "moderate"
    assert any(reason.startswith("Incohérence : I² = 92\u202f%") for reason in grade.reasons)


def test_explicit_inconsistency_judgement_wins_and_quotes_i_squared():
    grade = grade_evidence(
        design="rct", risk_of_bias="low", inconsistency="not_serious", i_squared=0.6
    )
    assert grade.level == "high"
    assert "Incohérence non sérieuse (I² = 60\u202f%) : aucun déclassement." in grade.reasons


def test_interval_crossing_the_minimal_important_difference_is_imprecise():
    est = estimate(0.3, 0.1, 0.5)  # excludes zero, includes 0.3
    grade = grade_evidence(
        design="rct", risk_of_bias="low", estimate=est, minimal_important_difference=0.3
    )
    assert grade.level == "moderate"
    assert (
        "Imprécision : l'intervalle de confiance inclut le seuil de différence minimale "
        f"importante (±0,3) : {MINUS}1."
    ) in grade.reasons
    clear = grade_evidence(
        design="rct", risk_of_bias="low", estimate=est, minimal_important_difference=0.05
    )
    assert clear.level == "high"


def test_sample_below_the_optimal_information_size_is_imprecise():
    grade = grade_evidence(
        design="rct", risk_of_bias="low", estimate=PRECISE, optimal_information_size=1000
    )
    assert grade.level == "moderate"
    assert any("effectif faible (n = 400 < 1000" in reason for reason in grade.reasons)
    enough = grade_evidence(
        design="rct", risk_of_bias="low", estimate=PRECISE, optimal_information_size=300
    )
    assert enough.level == "high"
    by_size = grade_evidence(
        design="rct", risk_of_bias="low", sample_size=250, optimal_information_size=300
    )
    assert by_size.level == "moderate"


def test_several_imprecision_criteria_still_remove_one_level():
    grade = grade_evidence(
        design="rct",
        risk_of_bias="low",
        estimate=STRADDLING,
        optimal_information_size=1000,
    )
    assert grade.level == "moderate" and grade.downgrade == 1
    sentence = next(r for r in grade.reasons if r.startswith("Imprécision"))
    assert "inclut zéro ; effectif faible" in sentence and sentence.endswith(f"{MINUS}1.")


def test_explicit_imprecision_judgement_wins():
    grade = grade_evidence(
        design="rct", risk_of_bias="low", estimate=STRADDLING, imprecision="very_serious"
    )
    assert grade.level == "low"
    assert f"Imprécision très sérieuse : {MINUS}2." in grade.reasons


# --- GRADE: replications, upgrades, clamping -----------------------------------------------


def test_replication_is_recorded_but_never_lifts_an_rct_above_high():
    grade = grade_evidence(design="rct", risk_of_bias="low", estimate=PRECISE, replications=2)
    assert grade.level == "high" and grade.upgrade == 0
    assert any(r.startswith("Réplications indépendantes de même signe : 2") for r in grade.reasons)
    one = grade_evidence(design="observational", risk_of_bias="low", replications=1)
    assert one.level == "low"
    assert any(r.startswith("Réplication indépendante de même signe : 1") for r in one.reasons)


def test_large_effect_rates_up_an_observational_study():
    grade = grade_evidence(
        design="cohort",
        risk_of_bias="low",
        estimate=PRECISE,
        upgrades={"large_effect": "risque relatif de 0,4 dans trois cohortes"},
    )
    assert grade.level == "moderate" and grade.upgrade == 1
    assert (
        "Rehaussement, effet important : risque relatif de 0,4 dans trois cohortes : +1."
        in grade.reasons
    )


def test_credible_identification_upgrade_for_a_quasi_experiment():
    grade = grade_evidence(
        design="did",
        risk_of_bias="low",
        estimate=PRECISE,
        upgrades={"credible_identification": "tendances parallèles sur six années."},
    )
    assert grade.level == "moderate"
    assert (
        "Rehaussement, stratégie d'identification crédible : tendances parallèles sur six "
        "années : +1."
    ) in grade.reasons


def test_upgrades_are_clamped_at_high():
    grade = grade_evidence(
        design="rd",
        risk_of_bias="low",
        upgrades={
            "very_large_effect": "effet cinq fois plus grand",
            "dose_response": "gradient",
            "credible_identification": "seuil non manipulé",
        },
    )
    assert grade.level == "high" and grade.upgrade == 4
    assert grade.reasons[-1] == "Niveau borné à « élevé », le plus haut de l'échelle."


def test_downgrades_are_clamped_at_very_low():
    grade = grade_evidence(
        design="observational",
        risk_of_bias="very_serious",
        indirectness="serious",
        estimate=STRADDLING,
    )
    assert grade.level == "very_low" and grade.label == "très faible"
    assert grade.downgrade == 4
    assert grade.reasons[-1] == (
        f"Niveau borné à « très faible » : les déclassements cumulés ({MINUS}4) dépassent "
        "l'échelle."
    )
    assert grade.symbols == "\u2295\u25ef\u25ef\u25ef"


def test_reaching_very_low_exactly_is_not_a_clamp():
    grade = grade_evidence(design="observational", risk_of_bias="serious")
    assert grade.level == "very_low"
    assert not any(reason.startswith("Niveau borné") for reason in grade.reasons)


@settings(max_examples=60, deadline=None)
@given(
    design=st.sampled_from(sorted(DESIGNS)),
    rob=st.sampled_from(["low", "not_serious", "serious", "very_serious"]),
    others=st.lists(
        st.sampled_from([None, "not_serious", "serious", "very_serious"]), min_size=4, max_size=4
    ),
)
def test_level_is_start_minus_downgrades_clamped(design, rob, others):
    inconsistency, indirectness, imprecision, publication_bias = others
    grade = grade_evidence(
        design=design,
        risk_of_bias=rob,
        inconsistency=inconsistency,
        indirectness=indirectness,
        imprecision=imprecision,
        publication_bias=publication_bias,
    )
    cost = {None: 0, "low": 0, "not_serious": 0, "serious": 1, "very_serious": 2}
    down = sum(cost[j] for j in (rob, *others))
    start = 3 if DESIGNS[design].randomised else 1
    assert grade.downgrade == down
    assert grade.rank == max(0, start - down)
    assert grade.label == LEVEL_LABELS[grade.level] and grade.level in LEVELS
    # One reason for the start and one per GRADE domain, plus a clamp when it applies.
    assert len(grade.reasons) == 6 + (start - down < 0)


def test_grade_to_dict_and_summary():
    grade = grade_evidence(design="rct", risk_of_bias="serious", estimate=STRADDLING)
    data = grade.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["level"] == "low" and data["label"] == "faible"
    assert data["reasons"][0] == "Essai randomisé : niveau de départ élevé."
    assert grade.summary().startswith("Certitude des preuves : faible")
    with pytest.raises(dataclasses.FrozenInstanceError):
        grade.level = "high"  # type: ignore[misc]


def test_french_labels_of_the_four_levels():
    assert LEVEL_LABELS == {
        "high": "élevé",
        "moderate": "modéré",
        "low": "faible",
        "very_low": "très faible",
    }


# --- GRADE: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"design": "survey"}, r"design must be one of rct, cluster_rct, .*; got 'survey'"),
        ({"design": "RCT"}, r"design must be one of .*; got 'RCT'"),
        ({"design": "meta-analysis"}, r"design must be one of .*; got 'meta-analysis'"),
        ({"risk_of_bias": "high"}, r"risk_of_bias must be one of low, not_serious, serious"),
        ({"risk_of_bias": None}, r"risk_of_bias is required"),
        ({"inconsistency": "low"}, r"inconsistency must be one of not_serious, serious"),
        ({"indirectness": "moderate"}, r"indirectness must be one of"),
        ({"imprecision": 1}, r"imprecision must be one of"),
        ({"publication_bias": "suspected"}, r"publication_bias must be one of"),
        (
            {"i_squared": 72.0},
            r"i_squared must be in \[0, 1\] \(a share: 0.72 for 72 %\), got 72.0",
        ),
        ({"i_squared": -0.1}, r"i_squared must be in \[0, 1\]"),
        ({"replications": -1}, r"replications must be an integer >= 0, got -1"),
        ({"replications": 1.5}, r"replications must be an integer >= 0, got 1.5"),
        ({"estimate": 0.4}, r"estimate must be an Estimate, got float"),
        ({"minimal_important_difference": -0.2}, r"minimal_important_difference must be > 0"),
        ({"minimal_important_difference": 0.2}, r"minimal_important_difference needs an estimate"),
        ({"optimal_information_size": 300}, r"optimal_information_size needs sample_size"),
        ({"sample_size": 0, "optimal_information_size": 10}, r"sample_size must be > 0, got 0"),
    ],
)
def test_grade_refusals(kwargs, match):
    arguments = {"design": "rct", "risk_of_bias": "low"} | kwargs
    with pytest.raises(InputError, match=match):
        grade_evidence(**arguments)


def test_optimal_information_size_on_a_meta_analysis_needs_the_participants():
    pooled = estimate(0.5, 0.3, 0.7, n=13, design="rct", extra={"i2": 0.1, "k": 13})
    with pytest.raises(InputError, match=r"sample_size is required .* its n counts studies"):
        grade_evidence(
            design="rct", risk_of_bias="low", estimate=pooled, optimal_information_size=500
        )


@pytest.mark.parametrize(
    ("design", "kwargs", "upgrades", "match"),
    [
        ("rct", {}, {"large_effect": "x"}, r"not applied to randomised designs"),
        ("cohort", {"indirectness": "serious"}, {"large_effect": "x"}, r"not rated down"),
        ("cohort", {}, {"big_effect": "x"}, r"unknown domain\(s\) \['big_effect'\]"),
        ("cohort", {}, {"large_effect": "  "}, r"upgrades\['large_effect'\] needs a stated"),
        (
            "cohort",
            {},
            {"large_effect": "x", "very_large_effect": "y"},
            r"large_effect or very_large_effect, not both",
        ),
        (
            "observational",
            {},
            {"credible_identification": "x"},
            r"credible_identification applies to quasi-experimental designs",
        ),
        ("did", {}, ["large_effect"], r"upgrades must map a domain to its stated reason"),
    ],
)
def test_upgrade_refusals(design, kwargs, upgrades, match):
    with pytest.raises(InputError, match=match):
        grade_evidence(design=design, risk_of_bias="low", upgrades=upgrades, **kwargs)
