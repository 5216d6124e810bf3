"""Certainty of evidence by the GRADE approach, with every reason in French.

No Python library implements GRADE (the GRADEpro tool is a web application); the rules
are written here from the GRADE publications cited in :func:`grade_evidence` and tested
rule by rule."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from impactlib.appraisal.standardised import MINUS, NNBSP, _positive_number
from impactlib.core.designs import DESIGNS, Design, get_design
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError

# --- GRADE ---------------------------------------------------------------------------------

#: The four GRADE levels, from lowest to highest, with the French labels the book prints.
LEVELS = ("very_low", "low", "moderate", "high")


LEVEL_LABELS = {"high": "élevé", "moderate": "modéré", "low": "faible", "very_low": "très faible"}


#: Judgements of a domain and the number of levels they remove.
JUDGEMENTS = {"not_serious": 0, "serious": 1, "very_serious": 2}


#: ``risk_of_bias`` also accepts ``"low"`` (the wording of risk-of-bias tools) for not serious.
RISK_OF_BIAS = {"low": 0, **JUDGEMENTS}


#: Reasons to rate up, and by how many levels. The first four are GRADE's; the last is
#: this project's rule for quasi-experimental designs (see :func:`grade_evidence`).
UPGRADES = {
    "large_effect": 1,
    "very_large_effect": 2,
    "dose_response": 1,
    "plausible_confounding": 1,
    "credible_identification": 1,
}


_UPGRADE_LABELS = {
    "large_effect": "effet important",
    "very_large_effect": "effet très important",
    "dose_response": "relation dose-effet",
    "plausible_confounding": "les biais plausibles réduiraient l'effet observé",
    "credible_identification": "stratégie d'identification crédible",
}


#: I² (a share, as :mod:`impactlib.meta` stores it) above which pooled results are rated
#: down for inconsistency when no explicit judgement is given.
I_SQUARED_THRESHOLD = 0.5


_DOMAIN_FR = {
    "risk_of_bias": "Risque de biais",
    "inconsistency": "Incohérence",
    "indirectness": "Caractère indirect",
    "imprecision": "Imprécision",
    "publication_bias": "Biais de publication",
}


_MASCULINE = {"not_serious": "non sérieux", "serious": "sérieux", "very_serious": "très sérieux"}


_FEMININE = {"not_serious": "non sérieuse", "serious": "sérieuse", "very_serious": "très sérieuse"}


#: How each domain's judgement reads in French (grammatical agreement; GRADE's own
#: wording for publication bias: undetected, strongly suspected).
_JUDGEMENT_FR = {
    "risk_of_bias": _MASCULINE,
    "inconsistency": _FEMININE,
    "indirectness": _MASCULINE,
    "imprecision": _FEMININE,
    "publication_bias": {
        "not_serious": "non détecté",
        "serious": "fortement suspecté",
        "very_serious": "très fortement suspecté",
    },
}


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


def _start_reason(design: Design) -> str:
    """The first reason of every grade: where the design starts, in French."""
    label = design.label[0].upper() + design.label[1:]
    if design.randomised:
        return f"{label} : niveau de départ élevé."
    if design.group == "quasi_experimental":
        return (
            f"Quasi-expérience ({design.label}) : niveau de départ faible, "
            "comme toute étude non randomisée."
        )
    return f"{label} : niveau de départ faible."


def _points(levels: int) -> str:
    return f"{MINUS}{levels}" if levels > 0 else "aucun déclassement"


def _judgement(value: object, *, name: str, allowed: Mapping[str, int]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _percent(share: float) -> str:
    return f"{round(100 * share)}{NNBSP}%"


def _number_fr(value: float) -> str:
    text = f"{value:.4g}".replace(".", ",").replace("-", MINUS)
    return text


def _domain_reason(domain: str, judgement: str, *, detail: str = "") -> str:
    detail = f" ({detail})" if detail else ""
    words = _JUDGEMENT_FR[domain][judgement]
    return f"{_DOMAIN_FR[domain]} {words}{detail} : {_points(JUDGEMENTS[judgement])}."


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
    rob = RISK_OF_BIAS[_judgement(risk_of_bias, name="risk_of_bias", allowed=RISK_OF_BIAS)]
    inconsistency = _judgement(inconsistency, name="inconsistency", allowed=JUDGEMENTS)
    indirectness = _judgement(indirectness, name="indirectness", allowed=JUDGEMENTS)
    imprecision = _judgement(imprecision, name="imprecision", allowed=JUDGEMENTS)
    publication_bias = _judgement(publication_bias, name="publication_bias", allowed=JUDGEMENTS)
    if estimate is not None and not isinstance(estimate, Estimate):
        raise InputError(f"estimate must be an Estimate, got {type(estimate).__name__}")
    if isinstance(replications, bool) or not isinstance(replications, numbers.Integral):
        raise InputError(f"replications must be a non-negative integer, got {replications!r}")
    if replications < 0:
        raise InputError(f"replications must be a non-negative integer, got {replications!r}")
    i_squared = _i_squared(i_squared, estimate)
    mid = _optional_positive(minimal_important_difference, name="minimal_important_difference")
    ois = _optional_positive(optimal_information_size, name="optimal_information_size")
    n = _optional_positive(sample_size, name="sample_size")

    reasons: list[str] = []
    start = registered.start_level
    reasons.append(_start_reason(registered))

    down = 0
    # Risk of bias.
    rob_key = {0: "not_serious", 1: "serious", 2: "very_serious"}[rob]
    reasons.append(_domain_reason("risk_of_bias", rob_key))
    down += rob

    # Inconsistency.
    if inconsistency is not None:
        detail = f"I² = {_percent(i_squared)}" if i_squared is not None else ""
        reasons.append(_domain_reason("inconsistency", inconsistency, detail=detail))
        down += JUDGEMENTS[inconsistency]
    elif i_squared is not None:
        if i_squared > I_SQUARED_THRESHOLD:
            reasons.append(
                f"Incohérence : I² = {_percent(i_squared)} (> {_percent(I_SQUARED_THRESHOLD)}) "
                f"entre les études poolées : {MINUS}1."
            )
            down += 1
        else:
            reasons.append(
                f"Incohérence non sérieuse : I² = {_percent(i_squared)} "
                f"(≤ {_percent(I_SQUARED_THRESHOLD)}) : aucun déclassement."
            )
    else:
        reasons.append("Incohérence : non évaluée.")

    # Indirectness.
    if indirectness is not None:
        reasons.append(_domain_reason("indirectness", indirectness))
        down += JUDGEMENTS[indirectness]
    else:
        reasons.append("Caractère indirect : non évalué.")

    # Imprecision.
    if imprecision is not None:
        reasons.append(_domain_reason("imprecision", imprecision))
        down += JUDGEMENTS[imprecision]
    else:
        triggers = _imprecision_triggers(estimate, mid, ois, n)
        if triggers is None:
            reasons.append("Imprécision : non évaluée (aucune estimation fournie).")
        elif triggers:
            reasons.append(f"Imprécision : {' ; '.join(triggers)} : {MINUS}1.")
            down += 1
        else:
            reasons.append("Imprécision non sérieuse : aucun déclassement.")

    # Publication bias.
    if publication_bias is not None:
        reasons.append(_domain_reason("publication_bias", publication_bias))
        down += JUDGEMENTS[publication_bias]
    else:
        reasons.append("Biais de publication : non évalué.")

    up = _upgrades(upgrades, design=design, rated_down=down > 0, reasons=reasons)

    if replications:
        plural = "s" if replications > 1 else ""
        reasons.append(
            f"Réplication{plural} indépendante{plural} de même signe : {replications} "
            "(consigné, sans effet sur le niveau : GRADE ne relève pas le niveau pour ce motif)."
        )

    score = LEVELS.index(start) - down + up
    clamped = min(max(score, 0), len(LEVELS) - 1)
    if score < clamped:
        reasons.append(
            f"Niveau borné à « {LEVEL_LABELS['very_low']} » : les déclassements cumulés "
            f"({MINUS}{down}) dépassent l'échelle."
        )
    elif score > clamped:
        reasons.append(f"Niveau borné à « {LEVEL_LABELS['high']} », le plus haut de l'échelle.")
    level = LEVELS[clamped]
    return EvidenceGrade(
        level=level,
        label=LEVEL_LABELS[level],
        reasons=tuple(reasons),
        start_level=start,
        design=design,
        downgrade=down,
        upgrade=up,
    )


def _optional_positive(value: object, *, name: str) -> float | None:
    if value is None:
        return None
    return _positive_number(value, name=name)


def _pooled(estimate: Estimate | None) -> bool:
    """A pooled result of a meta-analysis: its ``extra["k"]`` counts the studies (and ``n``
    counts studies too, not participants)."""
    return estimate is not None and "k" in estimate.extra


def _i_squared(value: object, estimate: Estimate | None) -> float | None:
    if value is None and _pooled(estimate):
        value = estimate.extra.get("i2")
        if value is None:
            return None
        name = "estimate.extra['i2']"
    else:
        name = "i_squared"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r}")
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise InputError(f"{name} must be a share in [0, 1] (0.72 for 72 %), got {value!r}")
    return share


def _imprecision_triggers(
    estimate: Estimate | None, mid: float | None, ois: float | None, n: float | None
) -> list[str] | None:
    """French phrases for each imprecision criterion met; None when nothing can be checked."""
    if estimate is None:
        if mid is not None:
            raise InputError("minimal_important_difference needs an estimate to compare with")
        if ois is not None and n is None:
            raise InputError("optimal_information_size needs sample_size or an estimate")
        if ois is None:
            return None
    triggers = []
    if estimate is not None:
        low, high = estimate.ci_low, estimate.ci_high
        if low <= 0 <= high:
            triggers.append("l'intervalle de confiance inclut zéro")
        if mid is not None and any(low < bound < high for bound in (-mid, mid)):
            triggers.append(
                f"l'intervalle de confiance inclut le seuil de différence minimale importante "
                f"(±{_number_fr(mid)})"
            )
    if ois is not None:
        if n is None:
            if _pooled(estimate):
                raise InputError(
                    "sample_size is required with optimal_information_size for a meta-analysis: "
                    "its n counts studies, not participants"
                )
            n = float(estimate.n)
        if n < ois:
            triggers.append(
                f"effectif faible (n = {_number_fr(n)} < {_number_fr(ois)}, "
                "taille d'information optimale)"
            )
    return triggers


def _upgrades(
    upgrades: Mapping[str, str] | None, *, design: str, rated_down: bool, reasons: list[str]
) -> int:
    if not upgrades:
        return 0
    if not isinstance(upgrades, Mapping):
        raise InputError(f"upgrades must map a domain to its stated reason, got {upgrades!r}")
    unknown = [key for key in upgrades if key not in UPGRADES]
    if unknown:
        raise InputError(f"upgrades: unknown domain(s) {unknown}; allowed: {', '.join(UPGRADES)}")
    if get_design(design).randomised:
        raise InputError(
            f"upgrades are not applied to randomised designs (design={design!r}): GRADE rates "
            "up non-randomised evidence (Guyatt et al. 2011, GRADE guidelines 9)"
        )
    if rated_down:
        raise InputError(
            "upgrades apply only to evidence not rated down in any domain "
            "(Guyatt et al. 2011, GRADE guidelines 9)"
        )
    if "large_effect" in upgrades and "very_large_effect" in upgrades:
        raise InputError("upgrades: give large_effect or very_large_effect, not both")
    if "credible_identification" in upgrades and get_design(design).group != "quasi_experimental":
        quasi = [code for code, d in DESIGNS.items() if d.group == "quasi_experimental"]
        raise InputError(
            f"upgrades: credible_identification applies to quasi-experimental designs "
            f"({', '.join(quasi)}), not design={design!r}"
        )
    total = 0
    for key, stated in upgrades.items():
        if not isinstance(stated, str) or not stated.strip():
            raise InputError(f"upgrades[{key!r}] needs a stated reason, got {stated!r}")
        levels = UPGRADES[key]
        label = _UPGRADE_LABELS[key]
        reasons.append(f"Rehaussement, {label} : {stated.strip().rstrip('.')} : +{levels}.")
        total += levels
    return total
