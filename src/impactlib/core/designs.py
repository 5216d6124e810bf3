"""The one vocabulary of study designs: code, French label, starting level of evidence,
report template.

Every estimator writes one of these codes in :attr:`Estimate.design`; GRADE starts from
the design's level (:func:`impactlib.appraisal.grade_evidence`); ``impact new-study
--design`` takes the codes that have a report template (``notebooks/templates/<code>.md``);
the comparison of impacts and the book print the French label. There are no aliases: a
design has one code.

Examples
--------
>>> get_design("cluster_rct").label
'essai randomisé par grappes'
>>> get_design("rd").start_level
'low'
"""

from __future__ import annotations

from dataclasses import dataclass

from impactlib.core.validation import InputError

#: Groups of designs, as GRADE distinguishes them.
GROUPS = ("randomised", "quasi_experimental", "observational")


@dataclass(frozen=True)
class Design:
    """One study design.

    ``label`` is the French noun phrase the book prints (lower case: it is also used
    inside sentences). ``start_level`` is where GRADE starts (``"high"`` for randomised
    trials, ``"low"`` otherwise). ``template`` names the report template under
    ``notebooks/templates/`` (``None``: no template, the design is only graded).
    """

    code: str
    label: str
    group: str
    start_level: str
    template: str | None = None

    @property
    def randomised(self) -> bool:
        return self.group == "randomised"


def _design(code: str, label: str, group: str, template: bool = False) -> Design:
    start = "high" if group == "randomised" else "low"
    return Design(code, label, group, start, code if template else None)


DESIGNS: dict[str, Design] = {
    d.code: d
    for d in (
        _design("rct", "essai randomisé", "randomised", template=True),
        _design("cluster_rct", "essai randomisé par grappes", "randomised", template=True),
        _design("quasi_rct", "essai quasi randomisé", "quasi_experimental"),
        _design("did", "différence de différences", "quasi_experimental", template=True),
        _design(
            "staggered_did",
            "différence de différences à adoption échelonnée",
            "quasi_experimental",
            template=True,
        ),
        _design("synthetic_control", "contrôle synthétique", "quasi_experimental", template=True),
        _design("synthetic_did", "différence de différences synthétique", "quasi_experimental"),
        _design("rd", "régression sur discontinuité", "quasi_experimental", template=True),
        _design("iv", "variables instrumentales", "quasi_experimental"),
        _design(
            "weighting", "étude observationnelle (pondération)", "observational", template=True
        ),
        _design("matching", "étude observationnelle (appariement)", "observational"),
        _design("observational", "étude observationnelle", "observational"),
        _design("cohort", "étude de cohorte", "observational"),
        _design("case_control", "étude cas-témoins", "observational"),
        _design("before_after", "étude avant-après", "observational"),
    )
}

#: Codes of the designs that have a report template, for ``impact new-study --design``.
TEMPLATE_DESIGNS = tuple(code for code, d in DESIGNS.items() if d.template)


def get_design(code: object) -> Design:
    """The design registered under ``code``; an :class:`InputError` lists the codes."""
    if not isinstance(code, str) or code not in DESIGNS:
        raise InputError(f"design must be one of {', '.join(DESIGNS)}; got {code!r}")
    return DESIGNS[code]
