"""Comparable effects: an estimate put on a scale shared across outcomes, or the reason
there is none."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, require_choice, require_positive, require_text

NNBSP = "\u202f"  # narrow no-break space, before % and : in French


MINUS = "\u2212"


KINDS = ("smd", "relative", "ratio", "none")


_KIND_LABELS = {
    "smd": "Différence standardisée (en écarts-types du groupe témoin)",
    "relative": "Variation relative par rapport au niveau de référence",
    "ratio": f"Variation relative (rapport {MINUS} 1)",
    "none": "Non standardisable",
}


DEFAULT_NONE_REASON = "Une standardisation n'a pas de sens pour cet indicateur."


#: The note of a relative change whose interval (or value) was brought back to −100 %.
BOUNDED_NOTE = (
    f"Borne ramenée à {MINUS}100{NNBSP}% : un indicateur qui ne peut être négatif ne baisse "
    f"pas de plus de 100{NNBSP}% ; l'intervalle de la différence allait au-delà, signe de son "
    "imprécision."
)


@dataclass(frozen=True)
class StandardisedEffect:
    """An effect on a scale shared across outcomes, or the reason there is none.

    ``value``, ``ci_low`` and ``ci_high`` are ``None`` exactly when ``kind == "none"``;
    ``reason`` (French) is then set, and ``None`` otherwise. Relative changes are fractions
    (0.12 for +12 %). ``note`` (French) says when a bound was brought back to the possible
    values (:data:`BOUNDED_NOTE`), ``None`` otherwise.
    """

    value: float | None
    ci_low: float | None
    ci_high: float | None
    kind: str
    label: str
    reason: str | None
    outcome: str
    alpha: float
    note: str | None = None

    @property
    def defined(self) -> bool:
        """Whether the effect could be put on a comparable scale."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        head = f"Standardised effect of {self.outcome} ({self.kind}: {self.label})"
        if not self.defined:
            return f"{head}\n  not defined: {self.reason}"
        level = f"{1 - self.alpha:.0%}"
        text = (
            f"{head}\n  {self.value:.4f}   {level} interval [{self.ci_low:.4f}, {self.ci_high:.4f}]"
        )
        return f"{text}\n  {self.note}" if self.note else text


def _scale(value: object, *, name: str, kind: str) -> float:
    """The standard deviation or baseline a kind divides by: required, > 0."""
    if value is None:
        raise InputError(f"{name} is required for kind={kind!r}")
    return require_positive(value, name=name)


def standardised_effect(
    estimate: Estimate,
    *,
    kind: str,
    sd: float | None = None,
    baseline: float | None = None,
    reason: str | None = None,
    nonnegative: bool = True,
) -> StandardisedEffect:
    """Put an estimated effect on a scale comparable across outcomes.

    ``kind`` chooses the scale:

    - ``"smd"``: the effect divided by ``sd``, the standard deviation of the outcome in the
      control group (Glass's delta); the interval is divided the same way. ``sd`` is taken
      as known: its own sampling error is not added.
    - ``"relative"``: the effect divided by ``baseline``, the control-group mean or rate
      (> 0): a relative change (0.12 for +12 %), interval scaled the same way, baseline
      taken as known. An outcome that cannot be negative (a rate, a count, a mortality:
      ``nonnegative=True``, the default) cannot fall by more than 100 %: the relative
      change lives in [-1, +inf), and a bound of the interval (or the value) below -1 is
      brought back to -1, with :data:`BOUNDED_NOTE` in ``note``. This is the interval of
      the difference mapped to the relative scale (a monotone map, since the baseline is
      taken as known) and intersected with the possible values: it covers the true change
      whenever the interval of the difference does, so its coverage is at least as high,
      and it agrees with the test of the headline effect (it excludes 0 exactly when the
      difference's interval does). The alternative, a Wald interval for the log ratio
      ``log(1 + effect / baseline)`` by the delta method, was set aside: when the treated
      level ``baseline + effect`` is near zero (a mortality of a few deaths per 100 000)
      its linearisation breaks down, the interval explodes upwards and it contradicts the
      headline's own test. Ratios estimated on the log scale need no bound (kind
      ``"ratio"`` below).
    - ``"ratio"``: for an estimate on the log scale of a ratio (log risk ratio, log odds
      ratio, as :mod:`impactlib.meta` stores them): ``exp(effect) - 1``, the relative
      change, with the interval transformed the same way (the map is monotone).
    - ``"none"``: no standardisation is meaningful (a count of jobs created in a
      territory, a composite index...). The result carries no number, only ``reason``
      (French; a default sentence unless one is given).

    Parameters
    ----------
    estimate : Estimate
    kind : {"smd", "relative", "ratio", "none"}
    sd : float, optional
        Control-group standard deviation of the outcome, > 0; required for ``"smd"`` only.
    baseline : float, optional
        Control-group mean or rate, > 0; required for ``"relative"`` only.
    reason : str, optional
        For ``"none"`` only: why no standardisation makes sense.
    nonnegative : bool, default True
        For ``"relative"``: the outcome cannot be negative, so the change is bounded below
        by -100 %. Pass ``False`` for an outcome that can be negative (a balance, a score
        centred on zero).

    Returns
    -------
    StandardisedEffect

    Examples
    --------
    >>> est = Estimate(value=3.0, std_error=1.0, ci_low=1.0, ci_high=5.0, p_value=0.003,
    ...                n=200, method="difference in means", outcome="score")
    >>> standardised_effect(est, kind="smd", sd=10.0).value
    0.3
    >>> standardised_effect(est, kind="none").value is None
    True

    A fall in mortality of 2.4 deaths per 100 000 on a baseline of 3, interval
    [-5.4, -0.1], cannot be a fall of more than 100 %:

    >>> deaths = Estimate(value=-2.4, std_error=1.4, ci_low=-5.4, ci_high=-0.1,
    ...                   p_value=0.04, n=500, method="rd", outcome="mortality")
    >>> rel = standardised_effect(deaths, kind="relative", baseline=3.0)
    >>> round(rel.value, 2), rel.ci_low, round(rel.ci_high, 3)
    (-0.8, -1.0, -0.033)
    """
    if not isinstance(estimate, Estimate):
        raise InputError(f"estimate must be an Estimate, got {type(estimate).__name__}")
    kind = require_choice(kind, name="kind", allowed=KINDS)
    if sd is not None and kind != "smd":
        raise InputError(f"sd applies to kind='smd' only, not kind={kind!r}")
    if baseline is not None and kind != "relative":
        raise InputError(f"baseline applies to kind='relative' only, not kind={kind!r}")
    if reason is not None and kind != "none":
        raise InputError(f"reason applies to kind='none' only, not kind={kind!r}")
    if not isinstance(nonnegative, bool):
        raise InputError(f"nonnegative must be True or False, got {nonnegative!r}")
    if not nonnegative and kind != "relative":
        raise InputError(f"nonnegative applies to kind='relative' only, not kind={kind!r}")

    common = {"kind": kind, "label": _KIND_LABELS[kind], "outcome": estimate.outcome}
    common["alpha"] = estimate.alpha
    if kind == "none":
        text = DEFAULT_NONE_REASON if reason is None else require_text(reason, name="reason")
        return StandardisedEffect(value=None, ci_low=None, ci_high=None, reason=text, **common)
    if kind == "ratio":
        try:
            values = [math.expm1(x) for x in (estimate.value, estimate.ci_low, estimate.ci_high)]
        except OverflowError:
            raise InputError(
                f"estimate value or interval too large for exp() (got {estimate.value!r}): "
                "kind='ratio' expects an effect on the log scale"
            ) from None
    else:
        scale = (
            _scale(sd, name="sd", kind=kind)
            if kind == "smd"
            else _scale(baseline, name="baseline", kind=kind)
        )
        values = [x / scale for x in (estimate.value, estimate.ci_low, estimate.ci_high)]
        if kind == "relative" and nonnegative and min(values) < -1:
            values = [max(x, -1.0) for x in values]
            common["note"] = BOUNDED_NOTE
    value, low, high = values
    return StandardisedEffect(value=value, ci_low=low, ci_high=high, reason=None, **common)
