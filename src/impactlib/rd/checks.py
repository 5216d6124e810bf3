"""Checks of a regression discontinuity around its main result: other bandwidths, fake
cutoffs, covariate balance (all three estimate again), raw means within the bandwidth.

They take the data and the main :class:`~impactlib.rd.local.RDResult`, and use the
result's settings (outcome, running variable, kernel, order, variance, level), so that a
notebook states only what it varies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.multiplicity import CORRECTIONS, adjust_pvalues
from impactlib.core.result import Result
from impactlib.core.validation import (
    InputError,
    is_real,
    require_column_name,
    require_columns,
    require_dataframe,
)
from impactlib.rd.inputs import _check_cutoff, _sequence
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


def _selector(result: RDResult) -> str:
    """The result's bandwidth selector, ``mserd`` when its bandwidth was given by hand."""
    return "mserd" if result.selector == "manual" else result.selector


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
    for m in _sequence(multipliers, name="multipliers"):
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
    cutoff = _check_cutoff(cutoff)
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
    contaminate the estimate. ``bandwidth`` is chosen by the result's selector unless
    given (e.g. the main ``h``). Keys are :func:`cutoff_name` of the cutoffs; each
    result's ``cutoff`` is the fake cutoff.
    """
    settings = _settings(result)
    selector = _selector(result) if bandwidth is None else "mserd"
    data = require_dataframe(data)
    require_columns(data, [result.running], role="running variable")
    running = data[result.running]
    out = {}
    for fake in _sequence(cutoffs, name="cutoffs"):
        fake = _check_cutoff(fake, name="cutoffs")
        if fake == result.cutoff:
            raise InputError(f"cutoffs must differ from the true cutoff {result.cutoff:g}")
        side = running < result.cutoff if fake < result.cutoff else running >= result.cutoff
        out[cutoff_name(fake)] = regression_discontinuity(
            data[side], **settings, cutoff=fake, bandwidth=bandwidth, selector=selector
        )
    return out


@dataclass(frozen=True)
class WindowMeans:
    """Raw means of the outcome within the bandwidth, on each side of the cutoff."""

    below: float
    above: float
    n_below: int
    n_above: int

    @property
    def gap(self) -> float:
        """``above - below``: the jump a comparison of raw means would show."""
        return self.above - self.below


def window_means(data: pd.DataFrame, result: RDResult) -> WindowMeans:
    """Mean outcome of the units within the bandwidth of ``result``, below and above.

    Units with ``cutoff - h_left <= running < cutoff`` and ``cutoff <= running <= cutoff +
    h_right``, among the rows with both the outcome and the running variable: the level
    just below the cutoff is the usual baseline of a relative effect, and the gap between
    the two means is what the local fits refine.
    """
    _settings(result)
    data = require_dataframe(data)
    require_columns(data, [result.outcome, result.running], role="column")
    kept = data.dropna(subset=[result.outcome, result.running])
    x, y = kept[result.running], kept[result.outcome]
    below = y[(x < result.cutoff) & (x >= result.cutoff - result.h_left)]
    above = y[(x >= result.cutoff) & (x <= result.cutoff + result.h_right)]
    for side, rows in (("below", below), ("at or above", above)):
        if rows.empty:
            raise InputError(
                f"no row of data with {result.outcome!r} and {result.running!r} lies within the "
                f"bandwidth {side} the cutoff {result.cutoff:g}: is data the one of result?"
            )
    return WindowMeans(
        below=float(below.mean()),
        above=float(above.mean()),
        n_below=len(below),
        n_above=len(above),
    )


@dataclass(frozen=True)
class CovariateBalance(Result):
    """Jumps of pre-determined covariates at the cutoff (see :func:`covariate_balance`).

    ``results`` holds the RD of each covariate, ``p_values`` their robust p-values and
    ``p_adjusted`` the same corrected for multiplicity (``correction``), by covariate;
    ``least`` names the least balanced covariate (smallest p-value), whose estimate is
    the headline. ``tidy()`` has one row per covariate with a ``p_adjusted`` column.
    """

    results: dict[str, RDResult]
    p_values: pd.Series
    p_adjusted: pd.Series
    correction: str

    @property
    def least(self) -> str:
        """The covariate with the smallest p-value."""
        return str(self.p_values.idxmin())

    @property
    def estimate(self) -> Estimate:
        return self.results[self.least].estimate

    def estimates(self) -> dict[str, Estimate]:
        return {column: result.estimate for column, result in self.results.items()}

    def tidy(self) -> pd.DataFrame:
        return super().tidy().assign(p_adjusted=self.p_adjusted)


def covariate_balance(
    data: pd.DataFrame, result: RDResult, *, covariates: Iterable[str], correction: str = "holm"
) -> CovariateBalance:
    """The RD of ``result`` with each pre-determined covariate as the outcome.

    A covariate fixed before the treatment cannot jump at the cutoff if units on either
    side are comparable. Each is estimated with the result's settings and its own
    bandwidth, chosen by the result's selector; the robust p-values are corrected for
    multiplicity by :func:`impactlib.core.multiplicity.adjust_pvalues` (``"holm"``,
    ``"bh"`` or ``"bonferroni"``).
    """
    settings = _settings(result)
    if isinstance(covariates, str):
        covariates = [covariates]
    columns = _sequence(covariates, name="covariates")
    for column in columns:
        require_column_name(column, role="covariates")
    if not columns:
        raise InputError("covariates is empty: no covariate to check")
    if correction not in CORRECTIONS:
        raise InputError(f"correction must be one of {list(CORRECTIONS)}, got {correction!r}")
    selector = _selector(result)
    results = {
        column: regression_discontinuity(
            data, **{**settings, "outcome": column}, cutoff=result.cutoff, selector=selector
        )
        for column in columns
    }
    p_values = pd.Series({c: r.estimate.p_value for c, r in results.items()}, dtype=float)
    return CovariateBalance(
        results=results,
        p_values=p_values,
        p_adjusted=adjust_pvalues(p_values, correction=correction),
        correction=correction,
    )
