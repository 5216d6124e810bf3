"""The manipulation test of the running variable (rddensity, Cattaneo, Jansson & Ma 2020)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError
from impactlib.rd.inputs import _check_cutoff, _fit, _prepare
from impactlib.rd.records import OneRowRecord


@dataclass(frozen=True)
class DensityTest(OneRowRecord):
    """Result of :func:`density_test`: the robust bias-corrected manipulation test.

    Attributes
    ----------
    statistic, p_value : float
        Robust bias-corrected t statistic (jackknife variance) for the null that the
        density of the running variable is continuous at the cutoff, and its two-sided
        p-value. A small p-value is evidence of sorting around the cutoff.
    density_left, density_right : float
        Bias-corrected density estimates just below and just above the cutoff.
    h_left, h_right : float
        Bandwidths.
    n_left, n_right, n_effective_left, n_effective_right : int
        Observations on each side, in total and within the bandwidth.
    running : str
        The running variable tested.
    cutoff : float
    n_dropped : int
        Rows removed because the running variable was missing.
    method : str
        How the test was computed.
    messages : list of str
        What rddensity printed or warned.
    """

    term = "density_test"

    statistic: float
    p_value: float
    density_left: float
    density_right: float
    h_left: float
    h_right: float
    n_left: int
    n_right: int
    n_effective_left: int
    n_effective_right: int
    running: str
    cutoff: float
    n_dropped: int
    method: str
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The test in plain text."""
        return "\n".join(
            [
                self.method,
                f"  cutoff: {self.cutoff:g}   T = {self.statistic:.4f}   p-value: "
                f"{self.p_value:.4g}",
                f"  density left {self.density_left:.4g}, right {self.density_right:.4g}",
                f"  n = {self.n_left} left, {self.n_right} right (within bandwidth: "
                f"{self.n_effective_left}, {self.n_effective_right})",
            ]
        )


def density_test(data: pd.DataFrame, *, running: str, cutoff: float = 0.0) -> DensityTest:
    """Manipulation test of Cattaneo, Jansson & Ma (2020), delegated to ``rddensity``.

    Runs ``rddensity.rddensity`` with its defaults: local quadratic density estimators
    (``p = 2``) fitted separately on each side (unrestricted model), triangular kernel,
    data-driven bandwidths (``comb``), jackknife variance, and reports the robust
    bias-corrected statistic ``T_jk`` and its p-value. The rddensity module sets a global
    warnings filter when first imported; the import here undoes it.

    Returns
    -------
    DensityTest
        A frozen record with ``summary()``, ``tidy()`` (one row) and ``to_dict()``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> density_test(df, running="x").p_value > 0.05
    True
    """
    with warnings.catch_warnings():  # rddensity calls warnings.simplefilter at import
        from rddensity import rddensity

    cutoff = _check_cutoff(cutoff)
    kept, n_dropped = _prepare(data, running=running, cutoff=cutoff, min_distinct=4)
    x = kept[running].to_numpy(dtype=float)
    fit, messages = _fit(rddensity, x, c=cutoff, package="rddensity", where=(x, cutoff, running))
    numbers = {
        "statistic": float(fit.test["t_jk"]),
        "p_value": float(fit.test["p_jk"]),
        "density_left": float(fit.hat["left"]),
        "density_right": float(fit.hat["right"]),
        "h_left": float(fit.h["left"]),
        "h_right": float(fit.h["right"]),
    }
    bad = {name: value for name, value in numbers.items() if not np.isfinite(value)}
    if bad:
        raise InputError(
            f"rddensity gives non-finite {sorted(bad)} for running variable {running!r} at "
            f"cutoff {cutoff:g}: too few observations near the cutoff, or too few distinct values"
        )
    return DensityTest(
        **numbers,
        n_left=int(fit.n["left"]),
        n_right=int(fit.n["right"]),
        n_effective_left=int(fit.n["eff_left"]),
        n_effective_right=int(fit.n["eff_right"]),
        running=running,
        cutoff=cutoff,
        n_dropped=n_dropped,
        method=(
            "Density discontinuity test (Cattaneo, Jansson & Ma 2020) by rddensity: local "
            "quadratic, unrestricted, jackknife variance, robust bias-corrected statistic"
        ),
        messages=messages,
    )
