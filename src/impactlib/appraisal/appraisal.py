"""What every evaluation report says after its estimate: cost, evidence, scale-up, comparison.

The sections "Coûts et efficience", "Passage à l'échelle" and "Niveau de preuve" of the
report template, and the block each report gives to the comparison of impacts, are the same
computation whatever the design. :func:`appraise` does it once, so that reports differ only
in what is specific to them (design, data, checks), and the numbers of those sections are
glued under the same names in every report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from impactlib import report
from impactlib.appraisal.comparison import comparison_block, effect_conversion
from impactlib.appraisal.costs import (
    NO_COST_REASON,
    CostEffectiveness,
    cost_effectiveness,
)
from impactlib.appraisal.grading import EvidenceGrade
from impactlib.appraisal.net_benefit import (
    BENEFIT_COST_GLUE,
    MoneyBasis,
    NetBenefit,
    benefit_cost_texts,
    cost_in_base,
    outcome_in_base,
    report_benefit_cost,
)
from impactlib.appraisal.scale_up import (
    ScaleUpProjection,
    scale_up_projection,
)
from impactlib.appraisal.standardised import StandardisedEffect
from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    InputError,
    require_choice,
    require_number,
    require_positive,
    require_text,
)

#: Kinds of study: an evaluation of an innovation, a diagnostic that measures a problem (no
#: cost, scale-up or benefit-cost), an illustration on simulated data (no level of evidence).
STUDY_KINDS = ("evaluation", "diagnostic", "illustration")
#: Why a diagnostic has no cost, scale-up or benefit-cost section (French, for the book).
DIAGNOSTIC_REASON = (
    "sans objet : ce rapport mesure un problème (diagnostic) et n'évalue pas une innovation ; "
    "il n'y a ni coût, ni passage à l'échelle, ni bilan coûts-bénéfices à calculer"
)
#: Why an illustration has no level of evidence (French, for the book).
ILLUSTRATION_GRADE = "sans objet : données simulées (illustration, pas une preuve)"


@dataclass(frozen=True)
class Appraisal:
    """Cost-effectiveness, scale-up projection and level of evidence of one headline effect.

    ``effect_unit`` is the unit of the headline as measured; ``conversion`` is ``None`` when
    the efficiency and the projection hold the headline as is, else what converted it to
    the money of the costs (:func:`impactlib.appraisal.comparison.effect_conversion`).
    """

    headline: Estimate
    standardised: StandardisedEffect
    grade: EvidenceGrade
    efficiency: CostEffectiveness | None
    projection: ScaleUpProjection
    cost_per_beneficiary: float | None
    target_population: int
    take_up: tuple[float, float]
    attenuation: float
    study_kind: str = "evaluation"
    benefit_cost: NetBenefit | None = None
    benefit_cost_reason: str | None = None
    cost_currency: str = "EUR"
    effect_unit: str | None = None
    conversion: Mapping[str, Any] | None = None

    def glue(self, *, decimals: int = 0, standardised_decimals: int = 2) -> None:
        """Glue the numbers of the template's cost, scale-up and evidence sections.

        Names: ``smd``, ``smd_ci`` (standardised effect), ``cost``, ``per_1000``,
        ``per_1000_ci``, ``cost_per_unit``, ``cost_per_unit_ci`` (or the reason it is not
        defined), ``grade``, ``target_population``, ``take_up_low``, ``take_up_high``,
        ``attenuation``, ``scale_beneficiaries``, ``scale_cost``, ``scale_cost_ci``,
        ``scale_effect``, ``scale_effect_ci``. ``decimals`` applies to numbers in the
        outcome's unit.
        """
        glue, number, interval = report.glue, report.fmt_number, report.fmt_interval
        std = self.standardised
        if std.defined:
            glue("smd", number(std.value, standardised_decimals))
            glue("smd_ci", interval(std.ci_low, std.ci_high, standardised_decimals))
        else:
            glue("smd", "non défini")
            glue("smd_ci", std.reason or "non défini")
        glue("grade", ILLUSTRATION_GRADE if self.study_kind == "illustration" else self.grade.label)
        if self.study_kind == "diagnostic":
            for name in _COST_GLUE + _SCALE_GLUE + BENEFIT_COST_GLUE:
                glue(name, DIAGNOSTIC_REASON)
            return
        eff = self.efficiency
        if eff is None:
            for name in ("cost", "per_1000", "cost_per_unit", "scale_cost"):
                glue(name, "non applicable")
            for name in ("per_1000_ci", "cost_per_unit_ci", "scale_cost_ci"):
                glue(name, NO_COST_REASON)
        else:
            self._glue_costs(decimals)
        glue("target_population", number(self.target_population, 0))
        glue("take_up_low", report.fmt_percent(self.take_up[0]))
        glue("take_up_high", report.fmt_percent(self.take_up[1]))
        glue("attenuation", report.fmt_percent(self.attenuation))
        proj = self.projection
        glue("scale_beneficiaries", number(proj.beneficiaries, 0))
        glue("scale_effect", number(proj.total_effect, decimals))
        glue(
            "scale_effect_ci",
            interval(proj.total_effect_ci_low, proj.total_effect_ci_high, decimals),
        )
        self._glue_benefit_cost()

    def _glue_benefit_cost(self) -> None:
        """Names ``bc_*``: the benefit-cost section (or its reason in every name), and
        ``bc_summary``, one French sentence that says it all."""
        glue, bc = report.glue, self.benefit_cost
        if bc is None:
            for name in BENEFIT_COST_GLUE:
                glue(name, self.benefit_cost_reason or "non calculé")
            return
        texts = benefit_cost_texts(bc)
        for name, text in texts.items():
            glue(name, text)

    def _glue_costs(self, decimals: int) -> None:
        glue, number, interval = report.glue, report.fmt_number, report.fmt_interval
        eff, proj = self.efficiency, self.projection
        glue("cost", number(self.cost_per_beneficiary, 0))
        glue("per_1000", number(eff.impact_per_1000, decimals))
        glue(
            "per_1000_ci",
            interval(eff.impact_per_1000_ci_low, eff.impact_per_1000_ci_high, decimals),
        )
        if eff.cost_per_unit is not None and eff.cost_per_unit_ci_low is not None:
            glue("cost_per_unit", number(eff.cost_per_unit, 0))
            glue(
                "cost_per_unit_ci",
                interval(eff.cost_per_unit_ci_low, eff.cost_per_unit_ci_high, 0),
            )
        else:
            glue("cost_per_unit", "non défini")
            glue("cost_per_unit_ci", eff.cost_per_unit_reason or "non défini")
        glue("scale_cost", number(proj.total_cost, 0))
        glue("scale_cost_ci", interval(proj.total_cost_ci_low, proj.total_cost_ci_high, 0))

    def to_dict(self) -> dict[str, Any]:
        """Every part as plain Python values (those of each part's own ``to_dict()``)."""
        return {
            "headline": self.headline.to_dict(),
            "standardised": self.standardised.to_dict(),
            "grade": self.grade.to_dict(),
            "efficiency": self.efficiency.to_dict() if self.efficiency else None,
            "projection": self.projection.to_dict() if self.projection else None,
            "cost_per_beneficiary": self.cost_per_beneficiary,
            "target_population": self.target_population,
            "take_up": list(self.take_up),
            "attenuation": self.attenuation,
            "study_kind": self.study_kind,
            "benefit_cost": self.benefit_cost.to_dict() if self.benefit_cost else None,
            "benefit_cost_reason": self.benefit_cost_reason,
            "effect_unit": self.effect_unit,
            "conversion": None if self.conversion is None else dict(self.conversion),
        }

    def summary(self) -> str:
        """The summaries of the parts, one after the other."""
        efficiency = (
            self.efficiency.summary()
            if self.efficiency
            else "Cost-effectiveness: not applicable (no cost per beneficiary)"
        )
        parts = [
            self.headline.summary(),
            self.standardised.summary(),
            efficiency,
            self.projection.summary() if self.projection else "Scale-up: not applicable",
            self.grade.summary(),
        ]
        return "\n\n".join(parts)

    def reasons_markdown(self) -> str:
        """The reasons of the level of evidence, as a Markdown bullet list."""
        return "\n".join(f"- {reason}" for reason in self.grade.reasons)

    def comparison(
        self,
        *,
        title: str,
        theme: str,
        innovation: str,
        outcome: str,
        cost_source: str,
        simulated: bool = False,
        design: str | None = None,
    ) -> dict[str, Any]:
        """The block this report gives to the comparison of impacts (``design``: by
        default the headline's, see :func:`impactlib.appraisal.comparison_block`), with
        the study's kind, its benefit-cost in base-year money (``None`` without one), the
        headline's unit and the conversion of the effect for the efficiency, if any.
        A simulated study is an illustration whatever its declared kind."""
        kind = "illustration" if simulated else self.study_kind
        return comparison_block(
            title=title,
            theme=theme,
            innovation=innovation,
            design=design,
            outcome=outcome,
            headline=self.headline,
            effect_unit=self.effect_unit,
            conversion=self.conversion,
            standardised_effect=self.standardised,
            evidence=self.grade,
            cost_effectiveness=self.efficiency,
            scale_up=self.projection,
            cost_source=cost_source,
            simulated=simulated,
            study_kind=kind,
            benefit_cost=self.benefit_cost.to_comparison() if self.benefit_cost else None,
        )


_COST_GLUE = (
    "cost",
    "per_1000",
    "per_1000_ci",
    "cost_per_unit",
    "cost_per_unit_ci",
    "scale_cost",
    "scale_cost_ci",
)
_SCALE_GLUE = (
    "target_population",
    "take_up_low",
    "take_up_high",
    "attenuation",
    "scale_beneficiaries",
    "scale_effect",
    "scale_effect_ci",
)


def appraise(
    headline: Estimate,
    *,
    standardised: StandardisedEffect,
    grade: EvidenceGrade,
    cost_per_beneficiary: float | None,
    target_population: int,
    take_up: Sequence[float],
    attenuation: float,
    seed: int,
    effect_unit: str,
    higher_is_better: bool = True,
    currency: str = "EUR",
    rate_per: float = 1.0,
    projection_unit: str | None = None,
    study_kind: str = "evaluation",
    money: MoneyBasis | None = None,
    cost_price_year: int | Sequence[int] | None = None,
    cost_is_published: bool = False,
    cost_source: str = "hypothèse de travail",
    monetisation: Mapping[str, Any] | None = None,
    headline_unit: str | None = None,
) -> Appraisal:
    """Cost-effectiveness and a seeded scale-up projection of ``headline``.

    Parameters
    ----------
    headline : Estimate
        The report's main effect, in the outcome's unit per beneficiary.
    standardised : StandardisedEffect
        The same effect on a comparable scale (:func:`impactlib.appraisal.standardised_effect`).
    grade : EvidenceGrade
        Its level of evidence (:func:`impactlib.appraisal.grade_evidence`).
    cost_per_beneficiary : float or None
        Cost of the innovation per beneficiary; the report names its source. ``None`` for
        an innovation with no cost per beneficiary (a regulation): there is then no
        cost-effectiveness, the projection gives beneficiaries and total effect only, and
        the report's ``cost_source`` must say why.
    target_population : int
        People who could benefit if the innovation were extended.
    take_up : sequence of two floats
        Low and high share of the target population expected to take it up.
    attenuation : float
        Share of the measured effect expected at scale (1 = none lost).
    seed : int
        Seed of the Monte Carlo draws that propagate the effect's uncertainty.
    effect_unit : str
        The outcome's unit, in French, as the report prints it.
    higher_is_better, currency
        Passed to :func:`impactlib.appraisal.cost_effectiveness` and
        :func:`impactlib.appraisal.scale_up_projection`.
    rate_per : float, default 1
        When the outcome is a rate per ``rate_per`` people (deaths per 100 000 children),
        the projection divides the effect by ``rate_per``: its total then counts events
        (deaths avoided) rather than summing rates over beneficiaries. Cost-effectiveness
        stays in the outcome's own unit.
    projection_unit : str, optional
        Unit of the projected total effect (default ``effect_unit``), e.g. "décès".
    headline_unit : str, optional
        The unit of the headline as measured, when the appraisal converts it (an outcome in
        money, ``monetisation`` naming ``outcome_currency``: ``"dollars de 1978 de revenu
        annuel"``, while ``effect_unit`` is then the converted unit, ``"euros de 2017 de
        revenu annuel"``). Required then; otherwise it may only repeat ``effect_unit``.

    Examples
    --------
    >>> from impactlib.core.estimate import Estimate
    >>> from impactlib.appraisal import grade_evidence, standardised_effect
    >>> effect = Estimate(value=2.0, std_error=0.5, ci_low=1.02, ci_high=2.98, p_value=0.0001,
    ...                   n=400, method="difference in means", outcome="y")
    >>> result = appraise(
    ...     effect,
    ...     standardised=standardised_effect(effect, kind="smd", sd=10.0),
    ...     grade=grade_evidence(design="rct", risk_of_bias="low", estimate=effect),
    ...     cost_per_beneficiary=500.0, target_population=1000, take_up=(0.4, 0.6),
    ...     attenuation=0.8, seed=1, effect_unit="points",
    ... )
    >>> round(result.efficiency.impact_per_1000, 1)
    4.0
    """
    if not isinstance(take_up, Sequence) or isinstance(take_up, str) or len(take_up) != 2:
        raise InputError(f"take_up must give a low and a high share, got {take_up!r}")
    take_up = tuple(require_number(x, name="take_up") for x in take_up)
    rate_per = require_positive(rate_per, name="rate_per")
    kind = require_choice(study_kind, name="study_kind", allowed=STUDY_KINDS)
    common = {
        "headline": headline,
        "standardised": standardised,
        "grade": grade,
        "target_population": int(target_population),
        "take_up": take_up,
        "attenuation": float(attenuation),
        "study_kind": kind,
    }
    if kind == "diagnostic":
        return Appraisal(
            **common,
            efficiency=None,
            projection=None,
            cost_per_beneficiary=None,
            benefit_cost_reason=DIAGNOSTIC_REASON,
            effect_unit=_headline_unit(effect_unit, headline_unit, converted=False),
        )
    cost, cost_money, currency = cost_in_base(
        money, cost_per_beneficiary, currency, cost_price_year
    )
    point_cost = None if cost is None else (sum(cost) / 2 if isinstance(cost, tuple) else cost)
    in_base, converted = outcome_in_base(headline, money, monetisation)
    common["effect_unit"] = _headline_unit(
        effect_unit, headline_unit, converted=converted is not None
    )
    if converted is not None:
        common["conversion"] = effect_conversion(converted.to_dict(), unit=effect_unit)
    efficiency = (
        None
        if point_cost is None
        else cost_effectiveness(
            in_base,
            point_cost,
            higher_is_better=higher_is_better,
            effect_unit=effect_unit,
            currency=currency,
        )
    )
    projection = scale_up_projection(
        _per_person(in_base, rate_per),
        target_population=target_population,
        take_up=take_up,
        cost_per_beneficiary=cost,
        attenuation=attenuation,
        higher_is_better=higher_is_better,
        effect_unit=projection_unit or effect_unit,
        currency=currency,
        seed=seed,
    )
    bc, reason = report_benefit_cost(
        headline,
        money=money,
        monetisation=monetisation,
        cost=cost_money if cost_is_published else None,
        cost_source=cost_source,
        attenuation=attenuation,
        higher_is_better=higher_is_better,
        seed=seed,
    )
    return Appraisal(
        **common,
        efficiency=efficiency,
        projection=projection,
        cost_per_beneficiary=point_cost,
        benefit_cost=bc,
        benefit_cost_reason=reason,
        cost_currency=currency,
    )


def _headline_unit(effect_unit: str, headline_unit: str | None, *, converted: bool) -> str:
    """The unit of the headline as measured: ``headline_unit`` when the appraisal converts
    the effect (then required), else ``effect_unit`` (which ``headline_unit`` may repeat)."""
    unit = require_text(effect_unit, name="effect_unit")
    if converted:
        if headline_unit is None:
            raise InputError(
                f"headline_unit is missing: the effect is converted to other money for the "
                f"efficiency and the scale-up (effect_unit {unit!r}); give the unit of the "
                "headline as measured (e.g. 'dollars de 1978 de revenu annuel')"
            )
        return require_text(headline_unit, name="headline_unit")
    if headline_unit is not None and headline_unit != unit:
        raise InputError(
            f"headline_unit {headline_unit!r} differs from effect_unit {unit!r}, but the "
            "effect is not converted (no outcome_currency in monetisation): give one unit"
        )
    return unit


def _per_person(effect: Estimate, rate_per: float) -> Estimate:
    """A rate per ``rate_per`` people as an effect per person (events, not rates, add up)."""
    if rate_per == 1:
        return effect
    return replace(
        effect,
        value=effect.value / rate_per,
        std_error=effect.std_error / rate_per,
        ci_low=effect.ci_low / rate_per,
        ci_high=effect.ci_high / rate_per,
    )
