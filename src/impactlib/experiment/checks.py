"""Checks of the scalar arguments of the family (counts, sizes, rates, seeds, draws): one
wording everywhere, naming the parameter and the accepted range."""

from __future__ import annotations

import math
import numbers

from impactlib.core.validation import InputError, is_real


def integer(value: object, *, name: str, minimum: int) -> int:
    """``value`` as an ``int`` if it is an integer (Python or numpy, not a bool) >= ``minimum``.

    Examples
    --------
    >>> integer(3, name="n_clusters", minimum=2)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def finite(
    value: object, *, name: str, above: float | None = None, at_least: float | None = None
) -> float:
    """``value`` as a ``float`` if it is a finite real number, ``> above`` or ``>= at_least``.

    Examples
    --------
    >>> finite(0.8, name="baseline_rate", above=0)
    0.8
    """
    ok = is_real(value) and math.isfinite(float(value))
    bound = ""
    if above is not None:
        ok = ok and float(value) > above
        bound = f" > {above:g}"
    if at_least is not None:
        ok = ok and float(value) >= at_least
        bound = f" >= {at_least:g}"
    if not ok:
        raise InputError(f"{name} must be a finite number{bound}, got {value!r}")
    return float(value)
