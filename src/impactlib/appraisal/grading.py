"""Certainty of evidence by the GRADE approach, with every reason in French.

No Python library implements GRADE (the GRADEpro tool is a web application); the rules
are written in :mod:`impactlib.appraisal.grade_rules` from the GRADE publications cited in
:func:`grade_evidence`, and tested rule by rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import impactlib.appraisal.grade_rules as rules
from impactlib.appraisal.grade_rules import JUDGEMENTS, LEVEL_LABELS, LEVELS, RISK_OF_BIAS
from impactlib.core.designs import get_design
from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    InputError,
    require_choice,
    require_in_range,
    require_integer,
    require_positive,
)


@dataclass(frozen=True)
class EvidenceGrade:
    """A GRADE level of certainty and the reasons for it, in French.

    ``level`` is one of :data:`LEVELS` (English keys), ``label`` its French label.
    """

    level: str
    label: str
    reasons: tuple[str, ...]
    start_level: str
    design: str
    downgrade: int
    upgrade: int

    @property
    def rank(self) -> int:
        """0 (very low) to 3 (high), for sorting and comparisons."""
        return LEVELS.index(self.level)

    @property
    def symbols(self) -> str:
        """GRADE's circles: ``⊕⊕⊕◯`` for moderate."""
        return "\u2295" * (self.rank + 1) + "\u25ef" * (3 - self.rank)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data

    def summary(self) -> str:
        lines = [f"Certitude des preuves : {self.label} {self.symbols}"]
        lines += [f"  - {reason}" for reason in self.reasons]
        return "\n".join(lines)


def grade_evidence(
    *,
    design: str,
    risk_of_bias: str,
    estimate: Estimate | None = None,
    inconsistency: str | None = None,
    i_squared: float | None = None,
    indirectness: str | None = None,
    imprecision: str | None = None,
    minimal_important_difference: float | None = None,
    optimal_information_size: int | None = None,
    sample_size: int | None = None,
    publication_bias: str | None = None,
    replications: int = 0,
    upgrades: Mapping[str, str] | None = None,
) -> EvidenceGrade:
    """Certainty of the evidence for one outcome, by the GRADE approach.

    Rules (Guyatt et al., "GRADE: an emerging consensus on rating quality of evidence and
    strength of recommendations", *BMJ* 336, 2008; Schünemann, Brożek, Guyatt & Oxman
    (eds.), *GRADE Handbook*, 2013):

    1. **Start** at the design's level in the registry (:mod:`impactlib.core.designs`):
       randomised trials start *high*; every non-randomised design starts *low*,
       observational studies and quasi-experimental designs alike (difference in
       differences, regression discontinuity, synthetic control, instrumental variables,
       quasi-randomised trials). *Project decision*: a
       credible identification strategy does not change the start; it may only be credited
       as an explicit upgrade, with the reason stated (``upgrades={"credible_identification":
       "..."}``). This keeps the rule of GRADE and makes any departure visible on the page.
       (GRADE guidelines 18, Schünemann et al., *J Clin Epidemiol* 111, 2019, describe an
       alternative start for non-randomised studies assessed with ROBINS-I; it is not
       implemented here.)
    2. **Rate down** by domain, each judged ``"not_serious"`` (0), ``"serious"`` (-1) or
       ``"very_serious"`` (-2):

       - *risk of bias* (required; ``"low"`` is accepted for not serious);
       - *inconsistency*: the explicit judgement if given; otherwise, for pooled results,
         -1 when ``i_squared`` (a share in [0, 1]; read from ``estimate.extra["i2"]`` when
         the estimate is pooled by a meta-analysis, i.e. carries ``extra["k"]``) exceeds
         :data:`I_SQUARED_THRESHOLD` (0.5). The Cochrane Handbook describes I² from 50 %
         to 90 % as possibly substantial heterogeneity; GRADE warns that such thresholds
         are arbitrary, hence the explicit judgement takes precedence (and its reason
         quotes I²);
       - *indirectness*: explicit judgement;
       - *imprecision*: the explicit judgement if given; otherwise -1 when any of these
         holds: the estimate's confidence interval includes zero (no effect; effects on a
         ratio scale must be on the log scale), it includes the minimal important
         difference (``+/- minimal_important_difference``: the interval spans effects that
         matter and effects that do not), or the sample size is below the
         ``optimal_information_size`` (the size of an adequately powered single trial; no
         default is assumed). The sample size is ``sample_size`` if given, else
         ``estimate.n`` (refused for a meta-analysis, whose ``n`` counts studies);
       - *publication bias*: explicit judgement.

       A domain left at ``None`` is recorded as not assessed and removes nothing.
    3. **Rate up** (``upgrades``: domain -> the stated reason, in French) only for
       non-randomised designs and only when nothing was rated down, as GRADE guidelines 9
       advise (Guyatt et al., "Rating up the quality of evidence", *J Clin Epidemiol*
       64(12), 2011): ``"large_effect"`` (+1), ``"very_large_effect"`` (+2),
       ``"dose_response"`` (+1), ``"plausible_confounding"`` (+1), and the project's
       ``"credible_identification"`` (+1, quasi-experimental designs only).
    4. **Replications.** ``replications`` independent replications consistent in sign are
       recorded as a reason but change nothing: GRADE has no upgrade for replication
       (agreement between studies is judged under inconsistency), and so it can never lift
       a randomised trial above high.
    5. **Clamp** the result to [very low, high]; a clamp is stated as a reason.

    Parameters
    ----------
    design : str
        A code of the design registry (:data:`impactlib.core.designs.DESIGNS`), as every
        estimator writes it in ``estimate.design``: the design of the study, or of the
        studies pooled.
    risk_of_bias : {"low", "not_serious", "serious", "very_serious"}
    estimate : Estimate, optional
        The effect graded, for the automatic imprecision and inconsistency checks.
    inconsistency, indirectness, imprecision, publication_bias : str, optional
        ``"not_serious"``, ``"serious"`` or ``"very_serious"``; ``None`` when not judged.
    i_squared : float, optional
        I² of the pooled studies, a share in [0, 1].
    minimal_important_difference : float, optional
        Smallest effect that matters, > 0, in the units of the estimate.
    optimal_information_size : int, optional
        Sample size an adequately powered trial would need.
    sample_size : int, optional
        Participants behind the estimate (defaults to ``estimate.n``).
    replications : int, default 0
        Independent replications whose effect has the same sign.
    upgrades : mapping of str to str, optional
        Reasons to rate up, each with its stated justification.

    Returns
    -------
    EvidenceGrade

    Examples
    --------
    >>> grade = grade_evidence(design="rct", risk_of_bias="serious")
    >>> grade.level, grade.label
    ('moderate', 'modéré')
    >>> grade.reasons[0]
    'Essai randomisé : niveau de départ élevé.'
    """
    registered = get_design(design)
    if risk_of_bias is None:
        raise InputError("risk_of_bias is required: one of " + ", ".join(RISK_OF_BIAS))
    risk_of_bias = require_choice(risk_of_bias, name="risk_of_bias", allowed=RISK_OF_BIAS)
    judged = {
        name: None if value is None else require_choice(value, name=name, allowed=JUDGEMENTS)
        for name, value in (
            ("inconsistency", inconsistency),
            ("indirectness", indirectness),
            ("imprecision", imprecision),
            ("publication_bias", publication_bias),
        )
    }
    if estimate is not None and not isinstance(estimate, Estimate):
        raise InputError(f"estimate must be an Estimate, got {type(estimate).__name__}")
    replications = require_integer(replications, name="replications", minimum=0)
    i_squared = _i_squared(i_squared, estimate)
    mid, ois, n = (
        None if value is None else require_positive(value, name=name)
        for name, value in (
            ("minimal_important_difference", minimal_important_difference),
            ("optimal_information_size", optimal_information_size),
            ("sample_size", sample_size),
        )
    )

    # Low risk of bias, in the words of risk-of-bias tools, is GRADE's "not serious".
    rated_down = [
        rules.judged("risk_of_bias", "not_serious" if risk_of_bias == "low" else risk_of_bias),
        rules.inconsistency(judged["inconsistency"], i_squared),
        rules.judged("indirectness", judged["indirectness"]),
        rules.imprecision(judged["imprecision"], estimate, mid, ois, n),
        rules.judged("publication_bias", judged["publication_bias"]),
    ]
    down = sum(levels for _, levels in rated_down)
    rated_up = rules.upgrade_reasons(upgrades, design=design, rated_down=down > 0)
    up = sum(levels for _, levels in rated_up)
    reasons = [rules.start_reason(registered)]
    reasons += [reason for reason, _ in rated_down + rated_up]
    if replications:
        reasons.append(rules.replication_reason(replications))
    level, clamp = rules.clamped_level(registered.start_level, down, up)
    if clamp:
        reasons.append(clamp)
    return EvidenceGrade(
        level=level,
        label=LEVEL_LABELS[level],
        reasons=tuple(reasons),
        start_level=registered.start_level,
        design=design,
        downgrade=down,
        upgrade=up,
    )


def _i_squared(value: object, estimate: Estimate | None) -> float | None:
    """I² as given, else as a meta-analysis recorded it in its pooled estimate."""
    name = "i_squared"
    if value is None and rules.pooled(estimate):
        value, name = estimate.extra.get("i2"), "estimate.extra['i2']"
    if value is None:
        return None
    return require_in_range(value, name=name, low=0, high=1, hint=" (a share: 0.72 for 72 %)")
