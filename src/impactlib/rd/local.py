"""The local-polynomial regression-discontinuity estimate (rdrobust), robust bias-corrected."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.result import Result
from impactlib.core.validation import InputError, require_column_name, require_probability
from impactlib.rd.inputs import (
    _check_bandwidth,
    _check_cutoff,
    _check_fit_numbers,
    _check_kernel,
    _check_order,
    _check_selector,
    _check_vcov,
    _check_window,
    _fit,
    _prepare,
    _rdrobust_args,
)
from impactlib.rd.records import SharpRDFields

_CITATION = "(Calonico, Cattaneo & Titiunik 2014)"


@dataclass(frozen=True)
class RDResult(SharpRDFields, Result):
    """A sharp RD estimate by rdrobust: conventional and robust bias-corrected inference.

    ``estimate`` is the headline :class:`Estimate`: the **conventional** estimate and
    standard error with the **robust bias-corrected** interval and p-value (which are
    centred on ``bias_corrected``, not on ``value``). ``tidy()`` has three rows: that
    headline (``estimate``), the ``conventional`` inference and the ``robust``
    bias-corrected one. The fields below are also recorded in ``estimate.extra``.

    Attributes
    ----------
    outcome, running : str
    cutoff : float
        Units with ``running >= cutoff`` are treated.
    kernel : str
    p, q : int
        Orders of the local polynomial and of the bias correction.
    selector : str
        Bandwidth selector (``"mserd"``...), or ``"manual"`` when the bandwidth was given.
    vcov : str
        Variance estimator as rdrobust names it (``"NN"``, ``"HC1"``, ``"CR1"``...).
    cluster : str or None
    value, std_error : float
        Conventional estimate and its standard error.
    conventional_ci : (float, float)
    conventional_p_value : float
    bias_corrected, robust_se : float
        Bias-corrected estimate and its robust standard error.
    robust_ci : (float, float)
    robust_p_value : float
    h_left, h_right, b_left, b_right : float
        Estimation (``h``) and bias (``b``) bandwidths on each side.
    n_left, n_right, n_effective_left, n_effective_right : int
        Observations below / at or above the cutoff, in total and within ``h``.
    n_clusters : int or None
    n_dropped : int
        Rows removed for missing values.
    alpha : float
    messages : tuple of str
        What rdrobust printed or warned.
    """

    outcome: str
    running: str
    cutoff: float
    kernel: str
    p: int
    q: int
    selector: str
    vcov: str
    cluster: str | None
    value: float
    std_error: float
    conventional_ci: tuple[float, float]
    conventional_p_value: float
    bias_corrected: float
    robust_se: float
    robust_ci: tuple[float, float]
    robust_p_value: float
    h_left: float
    h_right: float
    b_left: float
    b_right: float
    n_left: int
    n_right: int
    n_effective_left: int
    n_effective_right: int
    n_clusters: int | None
    n_dropped: int
    alpha: float
    messages: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Observations used, on both sides."""
        return self.n_left + self.n_right

    @property
    def n_effective(self) -> int:
        """Observations within the bandwidth ``h``, on both sides."""
        return self.n_effective_left + self.n_effective_right

    @property
    def _settings(self) -> str:
        bandwidth = f"{self.selector} bandwidth"
        return f"local polynomial p={self.p} ({self.kernel} kernel, {bandwidth}) by rdrobust"

    @property
    def _variance(self) -> str:
        if self.vcov == "NN":
            return "nearest-neighbour"
        kind = "cluster-robust" if self.vcov.startswith("CR") else "heteroskedasticity-robust"
        return f"{self.vcov} {kind}"

    @cached_property
    def estimate(self) -> Estimate:
        """Conventional estimate and standard error, robust bias-corrected interval and p."""
        return Estimate(
            value=self.value,
            std_error=self.std_error,
            ci_low=self.robust_ci[0],
            ci_high=self.robust_ci[1],
            p_value=self.robust_p_value,
            method=(
                f"Sharp RD, {self._settings}; conventional estimate and {self._variance} std. "
                f"error, robust bias-corrected interval and p-value {_CITATION}"
            ),
            n_clusters=self.n_clusters,
            **self._estimate_fields(),
            extra={
                "cutoff": self.cutoff,
                "running": self.running,
                "kernel": self.kernel,
                "p": self.p,
                "q": self.q,
                "selector": self.selector,
                "vcov": self.vcov,
                "cluster": self.cluster,
                "h_left": self.h_left,
                "h_right": self.h_right,
                "b_left": self.b_left,
                "b_right": self.b_right,
                "n_left": self.n_left,
                "n_right": self.n_right,
                "n_effective_left": self.n_effective_left,
                "n_effective_right": self.n_effective_right,
                "bias_corrected": self.bias_corrected,
                "robust_se": self.robust_se,
                "conventional_ci": list(self.conventional_ci),
                "conventional_p_value": self.conventional_p_value,
                "messages": list(self.messages),
            },
        )

    def estimates(self) -> dict[str, Estimate]:
        """The headline, then the conventional and the robust bias-corrected inference."""
        headline = self.estimate
        conventional = replace(
            headline,
            ci_low=self.conventional_ci[0],
            ci_high=self.conventional_ci[1],
            p_value=self.conventional_p_value,
            method=f"Sharp RD, {self._settings}; conventional inference, {self._variance} "
            "std. error",
        )
        robust = replace(
            headline,
            value=self.bias_corrected,
            std_error=self.robust_se,
            method=f"Sharp RD, {self._settings}; bias-corrected estimate (order q={self.q}), "
            f"robust std. error, interval and p-value {_CITATION}",
        )
        return {"estimate": headline, "conventional": conventional, "robust": robust}

    def summary(self) -> str:
        """The headline, the bandwidths and both inferences, in plain text."""
        level = f"{1 - self.alpha:.0%}"
        rows = self.tidy()
        lines = [
            self.estimate.summary(),
            f"  h: {self.h_left:.4g} left, {self.h_right:.4g} right ({self.selector}); "
            f"b: {self.b_left:.4g}, {self.b_right:.4g}; within h: {self.n_effective_left} "
            f"left, {self.n_effective_right} right",
        ]
        for term, name in (("conventional", "conventional"), ("robust", "robust bias-corrected")):
            row = rows.loc[term]
            lines.append(
                f"  {name}: {row['value']:.4f} ({row['std_error']:.4f}), {level} CI "
                f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}], p-value {row['p_value']:.4g}"
            )
        return "\n".join(lines)


def regression_discontinuity(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | tuple[float, float] | None = None,
    selector: str = "mserd",
    p: int = 1,
    cluster: str | None = None,
    vcov: str | None = None,
    alpha: float = 0.05,
) -> RDResult:
    """Sharp RD effect at the cutoff by local polynomials, delegated to ``rdrobust``.

    Calls ``rdrobust.rdrobust`` with its defaults (local linear, triangular kernel, one
    common MSE-optimal bandwidth ``mserd``, bias correction of order ``q = p + 1``,
    nearest-neighbour variance, or CR1 cluster-robust variance with ``cluster``). The
    headline :class:`Estimate` (``result.estimate``) holds:

    - ``value``, ``std_error``: the **conventional** local-polynomial estimate and its
      standard error (rdrobust's "Conventional" row);
    - ``ci_low``, ``ci_high``, ``p_value``: the **robust bias-corrected** interval and
      p-value of Calonico, Cattaneo & Titiunik (2014), centred on the bias-corrected
      estimate, not on ``value``;
    - ``extra``: the fields of :class:`RDResult` (bandwidths, effective sample sizes, the
      bias-corrected estimate and its robust standard error, the conventional interval
      and p-value, the settings, rdrobust's ``messages``).

    ``n_treated`` and ``n_control`` are the observations at/above and below the cutoff.
    Rows with a missing outcome, running variable or cluster are dropped and counted in
    ``n_dropped``.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome, running : str
        Outcome and running-variable (score) columns, numeric.
    cutoff : float, default 0.0
        Units with ``running >= cutoff`` are treated.
    kernel : {"triangular", "epanechnikov", "uniform"}, default "triangular"
    bandwidth : float or (float, float), optional
        Main bandwidth ``h`` (one value, or left and right); the bias bandwidth is then
        ``b = h``, as in rdrobust. Default: chosen by ``selector``.
    selector : str, default "mserd"
        rdbwselect's rule for a data-driven bandwidth (see :func:`bandwidth`).
    p : int, default 1
        Order of the local polynomial.
    cluster : str, optional
        Cluster identifier for cluster-robust variance.
    vcov : {"nn", "hc0", "hc1", "hc2", "hc3"} or, with cluster, {"cr1", "cr2", "cr3"}
        rdrobust's variance estimator; default ``"nn"`` (nearest neighbours), ``"cr1"``
        with ``cluster``.
    alpha : float, default 0.05
        One minus the level of the intervals.

    Returns
    -------
    RDResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000)
    >>> df = pd.DataFrame({"x": x, "y": 1 + x + 2 * (x >= 0) + rng.normal(0, 0.5, 1000)})
    >>> res = regression_discontinuity(df, outcome="y", running="x")
    >>> res.estimate.ci_low < 2 < res.estimate.ci_high, res.n, res.n_dropped
    (True, 1000, 0)
    """
    from rdrobust import rdrobust

    require_probability(alpha, name="alpha")
    require_column_name(outcome, role="outcome")
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    kernel_code = _check_kernel(kernel)
    h = _check_bandwidth(bandwidth)
    selector = _check_selector(selector)
    if h is not None and selector != "mserd":
        raise InputError(
            f"give bandwidth or selector, not both: selector {selector!r} chooses the bandwidth"
        )
    vce = _check_vcov(vcov, cluster)
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, cluster=cluster, min_distinct=p + 2
    )
    args = _rdrobust_args(kept, outcome=outcome, running=running, cluster=cluster)
    if h is not None:
        _check_window(args["x"], cutoff=cutoff, h=h, p=p, kernel=kernel_code, running=running)
    fit, messages = _fit(
        rdrobust,
        package="rdrobust",
        where=(args["x"], cutoff, running),
        **args,
        c=cutoff,
        p=p,
        kernel=kernel_code,
        h=h,
        bwselect=selector,
        vce=vce,
        level=100 * (1 - alpha),
    )
    n_left, n_right = (int(v) for v in fit.N)
    _check_fit_numbers(
        {
            "estimate": float(fit.coef.iloc[0, 0]),
            "std_error": float(fit.se.iloc[0, 0]),
            "robust_se": float(fit.se.iloc[2, 0]),
            "bandwidth": float(fit.bws.iloc[0, 0] + fit.bws.iloc[0, 1]),
        },
        args["y"],
        outcome=outcome,
        method="rdrobust",
    )
    return RDResult(
        outcome=outcome,
        running=running,
        cutoff=cutoff,
        kernel=kernel,
        p=p,
        q=int(fit.q),
        selector=selector if h is None else "manual",
        vcov=str(fit.vce),
        cluster=cluster,
        value=float(fit.coef.iloc[0, 0]),
        std_error=float(fit.se.iloc[0, 0]),
        conventional_ci=tuple(float(v) for v in fit.ci.iloc[0]),
        conventional_p_value=float(fit.pv.iloc[0, 0]),
        bias_corrected=float(fit.coef.iloc[1, 0]),
        robust_se=float(fit.se.iloc[2, 0]),
        robust_ci=tuple(float(v) for v in fit.ci.iloc[2]),
        robust_p_value=float(fit.pv.iloc[2, 0]),
        h_left=float(fit.bws.iloc[0, 0]),
        h_right=float(fit.bws.iloc[0, 1]),
        b_left=float(fit.bws.iloc[1, 0]),
        b_right=float(fit.bws.iloc[1, 1]),
        n_left=n_left,
        n_right=n_right,
        n_effective_left=int(fit.N_h[0]),
        n_effective_right=int(fit.N_h[1]),
        n_clusters=int(fit.n_clust) if cluster is not None and fit.n_clust is not None else None,
        n_dropped=n_dropped,
        alpha=alpha,
        messages=tuple(messages),
    )
