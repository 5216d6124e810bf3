"""Synthetic control and synthetic difference-in-differences on a long panel.

Two estimators for a policy that hits one unit (or a few units at once):

- :func:`synthetic_control`: the synthetic control of Abadie, Diamond & Hainmueller
  (2010), with placebo-in-space inference and the gap series (a :class:`SyntheticControl`).
  Its donor weights come from an exact simplex least-squares solve (scipy's NNLS, the
  default) or from synthdid-py's regularised Frank-Wolfe solver (``solver="synthdid"``).
- :func:`synthetic_did`: the synthetic difference-in-differences of Arkhangelsky, Athey,
  Hirshberg, Imbens & Wager (2021), delegated to synthdid-py (import name ``synthdid``),
  a port of the authors' R package (a :class:`SyntheticDiD`).

Both read the timing of treatment from a 0/1 ``treatment`` column (D_it) and need a
balanced panel (every unit observed once in every period) with no missing outcome: they
refuse anything else rather than drop rows. Their figures are in
:mod:`impactlib.report.plots`.
"""

from impactlib.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "SyntheticControl": ".control",
        "synthetic_control": ".control",
        "MIN_DONORS": ".panel",
        "MIN_PRE_PERIODS": ".panel",
        "SyntheticDiD": ".sdid",
        "synthetic_did": ".sdid",
        "simplex_weights": ".weights",
        "synthetic_weights": ".weights",
    },
)
