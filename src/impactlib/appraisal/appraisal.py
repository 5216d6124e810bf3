"""What every evaluation report says after its estimate: cost, evidence, scale-up, comparison.

The sections "Coûts et efficience", "Passage à l'échelle" and "Niveau de preuve" of the
report template, and the block each report gives to the comparison of impacts, are the same
computation whatever the design. :func:`appraise` does it once, so that reports differ only
in what is specific to them (design, data, checks), and the numbers of those sections are
glued under the same names in every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from impactlib import report
from impactlib.appraisal.comparison import comparison_block
from impactlib.appraisal.costs import (
    NO_COST_REASON,
    CostEffectiveness,
    cost_effectiveness,
)
from impactlib.appraisal.grading import EvidenceGrade
from impactlib.appraisal.scale_up import (
    ScaleUpProjection,
    scale_up_projection,
)
from impactlib.appraisal.standardised import StandardisedEffect
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, require_number, require_positive


@dataclass(frozen=True)
class Appraisal:
    """Cost-effectiveness, scale-up projection and level of evidence of one headline effect."""

    headline: Estimate
    standardised: StandardisedEffect
    grade: EvidenceGrade
    efficiency: CostEffectiveness | None
    projection: ScaleUpProjection
    cost_per_beneficiary: float | None
    target_population: int
    take_up: tuple[float, float]
    attenuation: float

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
        eff = self.efficiency
        if eff is None:
            for name in ("cost", "per_1000", "cost_per_unit", "scale_cost"):
                glue(name, "non applicable")
            for name in ("per_1000_ci", "cost_per_unit_ci", "scale_cost_ci"):
                glue(name, NO_COST_REASON)
        else:
            self._glue_costs(decimals)
        glue("grade", self.grade.label)
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
            "projection": self.projection.to_dict(),
            "cost_per_beneficiary": self.cost_per_beneficiary,
            "target_population": self.target_population,
            "take_up": list(self.take_up),
            "attenuation": self.attenuation,
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
            self.projection.summary(),
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
        default the headline's, see :func:`impactlib.appraisal.comparison_block`)."""
        return comparison_block(
            title=title,
            theme=theme,
            innovation=innovation,
            design=design,
            outcome=outcome,
            headline=self.headline,
            standardised_effect=self.standardised,
            evidence=self.grade,
            cost_effectiveness=self.efficiency,
            scale_up=self.projection,
            cost_source=cost_source,
            simulated=simulated,
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
    efficiency = (
        None
        if cost_per_beneficiary is None
        else cost_effectiveness(
            headline,
            cost_per_beneficiary,
            higher_is_better=higher_is_better,
            effect_unit=effect_unit,
            currency=currency,
        )
    )
    per_beneficiary = (
        headline
        if rate_per == 1
        else replace(
            headline,
            value=headline.value / rate_per,
            std_error=headline.std_error / rate_per,
            ci_low=headline.ci_low / rate_per,
            ci_high=headline.ci_high / rate_per,
        )
    )
    projection = scale_up_projection(
        per_beneficiary,
        target_population=target_population,
        take_up=take_up,
        cost_per_beneficiary=cost_per_beneficiary,
        attenuation=attenuation,
        higher_is_better=higher_is_better,
        effect_unit=projection_unit or effect_unit,
        currency=currency,
        seed=seed,
    )
    return Appraisal(
        headline=headline,
        standardised=standardised,
        grade=grade,
        efficiency=efficiency,
        projection=projection,
        cost_per_beneficiary=(
            None if cost_per_beneficiary is None else float(cost_per_beneficiary)
        ),
        target_population=int(target_population),
        take_up=take_up,  # type: ignore[arg-type]
        attenuation=float(attenuation),
    )
