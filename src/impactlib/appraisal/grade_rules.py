"""The rules of GRADE, domain by domain, and the French sentence that gives each reason.

Each rule returns the reason the book prints and the number of levels it removes or adds;
:func:`impactlib.appraisal.grade_evidence` adds them up. The publications behind the rules
are cited in its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping

from impactlib.appraisal.standardised import MINUS, NNBSP
from impactlib.core.designs import DESIGNS, Design, get_design
from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError

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


_NOT_ASSESSED = {
    "risk_of_bias": "Risque de biais : non évalué.",
    "inconsistency": "Incohérence : non évaluée.",
    "indirectness": "Caractère indirect : non évalué.",
    "imprecision": "Imprécision : non évaluée (aucune estimation fournie).",
    "publication_bias": "Biais de publication : non évalué.",
}


def start_reason(design: Design) -> str:
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


def _percent(share: float) -> str:
    return f"{round(100 * share)}{NNBSP}%"


def _number_fr(value: float) -> str:
    text = f"{value:.4g}".replace(".", ",").replace("-", MINUS)
    return text


def domain_reason(domain: str, judgement: str, *, detail: str = "") -> str:
    detail = f" ({detail})" if detail else ""
    words = _JUDGEMENT_FR[domain][judgement]
    return f"{_DOMAIN_FR[domain]} {words}{detail} : {_points(JUDGEMENTS[judgement])}."


def judged(domain: str, judgement: str | None) -> tuple[str, int]:
    """The reason and the levels removed by an explicit judgement (none: not assessed)."""
    if judgement is None:
        return _NOT_ASSESSED[domain], 0
    return domain_reason(domain, judgement), JUDGEMENTS[judgement]


def inconsistency(judgement: str | None, i_squared: float | None) -> tuple[str, int]:
    """The explicit judgement, quoting I² when known; else the rule of I² for pooled results."""
    if judgement is not None:
        detail = f"I² = {_percent(i_squared)}" if i_squared is not None else ""
        return domain_reason("inconsistency", judgement, detail=detail), JUDGEMENTS[judgement]
    if i_squared is None:
        return _NOT_ASSESSED["inconsistency"], 0
    if i_squared > I_SQUARED_THRESHOLD:
        return (
            f"Incohérence : I² = {_percent(i_squared)} (> {_percent(I_SQUARED_THRESHOLD)}) "
            f"entre les études poolées : {MINUS}1."
        ), 1
    return (
        f"Incohérence non sérieuse : I² = {_percent(i_squared)} "
        f"(≤ {_percent(I_SQUARED_THRESHOLD)}) : aucun déclassement."
    ), 0


def imprecision(
    judgement: str | None,
    estimate: Estimate | None,
    mid: float | None,
    ois: float | None,
    n: float | None,
) -> tuple[str, int]:
    """The explicit judgement; else -1 when any criterion of imprecision is met."""
    if judgement is not None:
        return judged("imprecision", judgement)
    triggers = _imprecision_triggers(estimate, mid, ois, n)
    if triggers is None:
        return _NOT_ASSESSED["imprecision"], 0
    if triggers:
        return f"Imprécision : {' ; '.join(triggers)} : {MINUS}1.", 1
    return "Imprécision non sérieuse : aucun déclassement.", 0


def replication_reason(replications: int) -> str:
    """Replications are recorded, never counted: GRADE has no upgrade for them."""
    plural = "s" if replications > 1 else ""
    return (
        f"Réplication{plural} indépendante{plural} de même signe : {replications} "
        "(consigné, sans effet sur le niveau : GRADE ne relève pas le niveau pour ce motif)."
    )


def clamped_level(start: str, down: int, up: int) -> tuple[str, str | None]:
    """The level reached from ``start``, kept within the scale, and the reason if it was cut."""
    score = LEVELS.index(start) - down + up
    clamped = min(max(score, 0), len(LEVELS) - 1)
    reason = None
    if score < clamped:
        reason = (
            f"Niveau borné à « {LEVEL_LABELS['very_low']} » : les déclassements cumulés "
            f"({MINUS}{down}) dépassent l'échelle."
        )
    elif score > clamped:
        reason = f"Niveau borné à « {LEVEL_LABELS['high']} », le plus haut de l'échelle."
    return LEVELS[clamped], reason


def pooled(estimate: Estimate | None) -> bool:
    """A pooled result of a meta-analysis: its ``extra["k"]`` counts the studies (and ``n``
    counts studies too, not participants)."""
    return estimate is not None and "k" in estimate.extra


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
            if pooled(estimate):
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


def upgrade_reasons(
    upgrades: Mapping[str, str] | None, *, design: str, rated_down: bool
) -> list[tuple[str, int]]:
    """The reason and the levels added by each upgrade, refusing those GRADE does not allow."""
    if not upgrades:
        return []
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
    rated_up = []
    for key, stated in upgrades.items():
        if not isinstance(stated, str) or not stated.strip():
            raise InputError(f"upgrades[{key!r}] needs a stated reason, got {stated!r}")
        levels = UPGRADES[key]
        label = _UPGRADE_LABELS[key]
        rated_up.append(
            (f"Rehaussement, {label} : {stated.strip().rstrip('.')} : +{levels}.", levels)
        )
    return rated_up
