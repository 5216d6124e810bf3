"""Honest (bias-aware) RD confidence intervals of Armstrong & Kolesar (2020), by rdhonest."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version
from typing import Literal

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.result import Result
from impactlib.core.validation import InputError, is_real, require_column_name, require_probability
from impactlib.rd.inputs import (
    _check_cutoff,
    _check_fit_numbers,
    _check_kernel,
    _check_window,
    _fit,
    _prepare,
)
from impactlib.rd.records import SharpRDFields

# rdhonest's names of its variance estimators, and of the columns of its coefficients.
_VCOV = {"nn": "nn", "ehw": "EHW"}
_COLUMNS = {
    "value": "estimate",
    "std_error": "std.error",
    "ci_low": "conf.low",
    "ci_high": "conf.high",
    "p_value": "p.value",
    "ci_low_one_sided": "conf.low.onesided",
    "ci_high_one_sided": "conf.high.onesided",
    "maximum_bias": "maximum.bias",
    "critical_value": "cv",
    "smoothness": "M",
    "bandwidth": "bandwidth",
    "n_effective": "eff.obs",
    "leverage": "leverage",
}


@dataclass(frozen=True)
class HonestRDResult(SharpRDFields, Result):
    """A sharp RD estimate with the honest interval of Armstrong & Kolesar (2020).

    The interval is ``value +/- critical_value * std_error``, where the critical value
    accounts for the largest bias a conditional mean whose second derivative is bounded by
    ``smoothness`` (the constant M of RDHonest) can produce: it is not a Wald interval.
    ``estimate`` is the :class:`Estimate` (its ``extra`` records the fields below as
    rdhonest names them: ``maximum_bias``, ``M``, ``bandwidth``, ``kernel``, ``eff_obs``,
    ``conf_low_onesided``, ``conf_high_onesided``, ``vcov`` and ``messages``).

    Attributes
    ----------
    outcome, running : str
    cutoff : float
    value, std_error : float
        Local linear estimate and its standard error.
    ci_low, ci_high, p_value : float
        Honest two-sided interval and p-value.
    ci_low_one_sided, ci_high_one_sided : float
        Honest one-sided bounds (each at level ``1 - alpha``).
    maximum_bias : float
        Largest bias over the smoothness class.
    critical_value : float
    smoothness : float
        The bound M on the second derivative (rule of thumb of the authors when not given).
    bandwidth : float
        The same on both sides (MSE-optimal for the class when not given).
    kernel : str
    vcov : str
        ``"nn"`` (nearest neighbours) or ``"ehw"`` (Eicker-Huber-White).
    n_effective : float
        rdhonest's effective number of observations (a kernel-weighted count).
    leverage : float
        Largest leverage of an observation (rdhonest warns above 0.1).
    n_left, n_right, n_dropped : int
    alpha : float
    messages : tuple of str
        What rdhonest printed or warned.
    """

    outcome: str
    running: str
    cutoff: float
    value: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    ci_low_one_sided: float
    ci_high_one_sided: float
    maximum_bias: float
    critical_value: float
    smoothness: float
    bandwidth: float
    kernel: str
    vcov: str
    n_effective: float
    leverage: float
    n_left: int
    n_right: int
    n_dropped: int
    alpha: float
    messages: tuple[str, ...] = ()

    @cached_property
    def estimate(self) -> Estimate:
        """The estimate with its honest interval and p-value."""
        vcov = _VCOV[self.vcov]
        return Estimate(
            value=self.value,
            std_error=self.std_error,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            p_value=self.p_value,
            method=(
                "Honest (bias-aware) RD confidence interval of Armstrong & Kolesar (2020) by "
                f"rdhonest {version('rdhonest')}: local linear, {self.kernel} kernel, "
                f"bandwidth {self.bandwidth:.4g}, Holder class M = {self.smoothness:.4g}, "
                f"{vcov} standard error"
            ),
            **self._estimate_fields(),
            extra={
                "maximum_bias": self.maximum_bias,
                "M": self.smoothness,
                "bandwidth": self.bandwidth,
                "kernel": self.kernel,
                "eff_obs": self.n_effective,
                "conf_low_onesided": self.ci_low_one_sided,
                "conf_high_onesided": self.ci_high_one_sided,
                "vcov": vcov,
                "messages": list(self.messages),
            },
        )

    def summary(self) -> str:
        """The estimate and what the honest interval allows for, in plain text."""
        return "\n".join(
            [
                self.estimate.summary(),
                f"  maximum bias {self.maximum_bias:.4g} (M = {self.smoothness:.4g}), "
                f"critical value {self.critical_value:.4g}, bandwidth {self.bandwidth:.4g}, "
                f"effective observations {self.n_effective:.1f}",
            ]
        )


def _check_positive(value: object, *, name: str) -> float | None:
    if value is None:
        return None
    if not is_real(value) or not 0 < value < float("inf"):
        raise InputError(f"{name} must be one positive number, got {value!r}")
    return float(value)


def honest_rd(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | None = None,
    smoothness: float | None = None,
    vcov: Literal["nn", "ehw"] = "nn",
    alpha: float = 0.05,
) -> HonestRDResult:
    """Sharp RD estimate with the honest confidence interval, delegated to ``rdhonest``.

    Calls ``rdhonest.rd_honest`` (the Python port of the R package RDHonest of Kolesar and
    Armstrong) on the complete rows: local linear regression on each side, Holder
    smoothness class with bound ``smoothness`` on the second derivative of the conditional
    mean (the constant M; default: the rule of thumb of Armstrong & Kolesar 2020, which
    rdhonest announces in ``messages``), bandwidth MSE-optimal for that class unless given.
    The interval is widened by the largest possible bias instead of correcting it, so it
    keeps its coverage for every function of the class.

    Parameters
    ----------
    data : DataFrame
    outcome, running : str
    cutoff : float, default 0.0
        Units with ``running >= cutoff`` are treated.
    kernel : {"triangular", "epanechnikov", "uniform"}, default "triangular"
    bandwidth : float, optional
        One bandwidth for both sides.
    smoothness : float, optional
        The bound M.
    vcov : {"nn", "ehw"}, default "nn"
        Nearest-neighbour or Eicker-Huber-White standard error.
    alpha : float, default 0.05

    Returns
    -------
    HonestRDResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000)
    >>> df = pd.DataFrame({"x": x, "y": 1 + x + 2 * (x >= 0) + rng.normal(0, 0.5, 1000)})
    >>> res = honest_rd(df, outcome="y", running="x", smoothness=1.0)
    >>> res.ci_low < 2 < res.ci_high, res.maximum_bias > 0
    (True, True)
    """
    import rdhonest

    require_probability(alpha, name="alpha")
    require_column_name(outcome, role="outcome")
    cutoff = _check_cutoff(cutoff)
    kernel_code = _check_kernel(kernel)
    bandwidth = _check_positive(bandwidth, name="bandwidth")
    smoothness = _check_positive(smoothness, name="smoothness")
    if not isinstance(vcov, str) or vcov not in _VCOV:
        raise InputError(f"vcov must be one of {list(_VCOV)}, got {vcov!r}")
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, min_distinct=3
    )
    x = kept[running].to_numpy(dtype=float)
    y = kept[outcome].to_numpy(dtype=float)
    if bandwidth is not None:
        fit_text = "a local linear fit with its variance"
        _check_window(
            x, cutoff=cutoff, h=bandwidth, p=1, kernel=kernel_code, running=running, fit=fit_text
        )
    fit, messages = _fit(
        rdhonest.rd_honest,
        package="rdhonest",
        where=(x, cutoff, running),
        Y=y,
        X=x,
        cutoff=cutoff,
        M=smoothness,
        kern=kernel,
        h=bandwidth,
        se_method=_VCOV[vcov],
        alpha=alpha,
    )
    co = fit.coefficients.iloc[0]
    numbers = {name: float(co[column]) for name, column in _COLUMNS.items()}
    _check_fit_numbers(numbers, y, outcome=outcome, method="rdhonest")
    n_right = int((x >= cutoff).sum())
    return HonestRDResult(
        outcome=outcome,
        running=running,
        cutoff=cutoff,
        **numbers,
        kernel=str(co["kernel"]),
        vcov=vcov,
        n_left=len(kept) - n_right,
        n_right=n_right,
        n_dropped=n_dropped,
        alpha=alpha,
        messages=tuple(messages),
    )
