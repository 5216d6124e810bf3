"""Checks of a regression discontinuity that re-estimate it: other bandwidths, fake cutoffs.

Both take the data and the main :class:`~impactlib.rd.local.RDResult`, and estimate again
with the result's settings (outcome, running variable, kernel, order, variance, level) and
one change, so that a notebook states only what it varies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, is_real, require_columns, require_dataframe
from impactlib.rd.inputs import _check_cutoff
from impactlib.rd.local import RDResult, regression_discontinuity


def _settings(result: RDResult) -> dict[str, Any]:
    if not isinstance(result, RDResult):
        raise InputError(f"result must be an RDResult, got {type(result).__name__}")
    return {
        "outcome": result.outcome,
        "running": result.running,
        "kernel": result.kernel,
        "p": result.p,
        "cluster": result.cluster,
        "vcov": result.vcov.lower(),  # rdrobust's label of the estimator it was given
        "alpha": result.alpha,
    }


def bandwidth_sensitivity(
    data: pd.DataFrame, result: RDResult, *, multipliers: Iterable[float] = (0.5, 1.0, 2.0)
) -> dict[float, RDResult]:
    """The estimate of ``result`` again with the bandwidth ``h`` multiplied, by multiplier.

    For a multiplier of 1 the value is ``result`` itself: estimating again with its ``h``
    given by hand would also set the bias bandwidth ``b`` to ``h``, as rdrobust does with
    a manual bandwidth, and change the estimate's robust interval.
    """
    settings = _settings(result)
    out = {}
    for m in multipliers:
        if not (is_real(m) and 0 < m < np.inf):
            raise InputError(f"multipliers must be positive numbers, got {m!r}")
        if m == 1:
            out[m] = result
            continue
        h_left, h_right = m * result.h_left, m * result.h_right
        bandwidth = h_left if h_left == h_right else (h_left, h_right)
        out[m] = regression_discontinuity(
            data, **settings, cutoff=result.cutoff, bandwidth=bandwidth
        )
    return out


def cutoff_name(cutoff: float) -> str:
    """A name for a cutoff usable in glue names and JSON keys: ``m10`` for -10, ``p2_5``.

    Examples
    --------
    >>> cutoff_name(-10.0), cutoff_name(2.5), cutoff_name(0)
    ('m10', 'p2_5', 'p0')
    """
    return f"{'m' if cutoff < 0 else 'p'}{abs(cutoff):g}".replace(".", "_")


def placebo_cutoffs(
    data: pd.DataFrame,
    result: RDResult,
    *,
    cutoffs: Iterable[float],
    bandwidth: float | None = None,
) -> dict[str, RDResult]:
    """The estimation of ``result`` at fake cutoffs, where nothing should jump.

    Each fake cutoff below the true one is estimated on the units below the true cutoff
    only, each one above on the units at or above it, so that the true jump cannot
    contaminate the estimate. ``bandwidth`` is the data-driven choice unless given (e.g.
    the main ``h``). Keys are :func:`cutoff_name` of the cutoffs; each result's
    ``cutoff`` is the fake cutoff.
    """
    settings = _settings(result)
    data = require_dataframe(data)
    require_columns(data, [result.running], role="running variable")
    running = data[result.running]
    out = {}
    for fake in cutoffs:
        fake = _check_cutoff(fake, name="cutoffs")
        if fake == result.cutoff:
            raise InputError(f"cutoffs must differ from the true cutoff {result.cutoff:g}")
        side = running < result.cutoff if fake < result.cutoff else running >= result.cutoff
        out[cutoff_name(fake)] = regression_discontinuity(
            data[side], **settings, cutoff=fake, bandwidth=bandwidth
        )
    return out
