"""Sharp regression discontinuity: local-polynomial estimate, bandwidths, density test, plot.

Numerics are delegated to the packages of Cattaneo and co-authors: ``rdrobust`` (estimate
and bandwidth selection, Calonico, Cattaneo & Titiunik 2014) and ``rddensity`` (the
manipulation test of Cattaneo, Jansson & Ma 2020). Those packages print notes (for example
"Mass points detected in the running variable.") and raise warnings; this module captures
both on purpose, so that it prints nothing, and returns what they said in
``extra["messages"]`` (or the ``messages`` field). The binned plot is drawn by hand with
numpy and matplotlib, because ``rdrobust.rdplot`` draws with plotnine and prints.

Units whose running variable equals the cutoff are treated (``running >= cutoff``), as in
``rdrobust``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from impactlib.estimate import Estimate
from impactlib.report import PALETTE, french_axis
from impactlib.validation import (
    InputError,
    drop_missing,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
)

_KERNELS = {"triangular": "tri", "epanechnikov": "epa", "uniform": "uni"}
_SELECTORS = (
    "mserd",
    "msetwo",
    "msesum",
    "msecomb1",
    "msecomb2",
    "cerrd",
    "certwo",
    "cersum",
    "cercomb1",
    "cercomb2",
)


# --- shared checks ------------------------------------------------------------------------


def _quiet(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call ``function`` with its printed output and warnings captured; return both."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    messages = [line.strip() for line in printed.getvalue().splitlines() if line.strip()]
    messages += [str(w.message).strip() for w in caught]
    return result, messages


def _check_cutoff(cutoff: object) -> float:
    if isinstance(cutoff, bool) or not isinstance(cutoff, int | float | np.integer | np.floating):
        raise InputError(f"cutoff must be a number, got {cutoff!r}")
    if not np.isfinite(cutoff):
        raise InputError(f"cutoff must be finite, got {cutoff!r}")
    return float(cutoff)


def _check_order(p: object, *, name: str = "p") -> int:
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 0 <= p <= 10:
        raise InputError(f"{name} (polynomial order) must be an integer from 0 to 10, got {p!r}")
    return int(p)


def _check_kernel(kernel: str) -> str:
    if kernel not in _KERNELS:
        raise InputError(f"kernel must be one of {sorted(_KERNELS)}, got {kernel!r}")
    return _KERNELS[kernel]


def _check_bandwidth(bandwidth: object) -> float | list[float] | None:
    if bandwidth is None:
        return None
    values = np.atleast_1d(np.asarray(bandwidth, dtype=object))
    ok = values.size in (1, 2) and all(
        isinstance(v, int | float | np.integer | np.floating)
        and not isinstance(v, bool)
        and np.isfinite(v)
        and v > 0
        for v in values
    )
    if not ok:
        raise InputError(
            f"bandwidth must be one positive number or two (left, right), got {bandwidth!r}"
        )
    numbers = [float(v) for v in values]
    return numbers[0] if len(numbers) == 1 else numbers


def _prepare(
    data: object,
    *,
    running: str,
    cutoff: float,
    outcome: str | None = None,
    cluster: str | None = None,
    min_distinct: int = 1,
) -> tuple[pd.DataFrame, int]:
    """Check the columns and the cutoff; return the complete rows and how many were dropped."""
    data = require_dataframe(data)
    if outcome is not None:
        require_columns(data, [outcome], role="outcome")
    require_columns(data, [running], role="running variable")
    if cluster is not None:
        require_columns(data, [cluster], role="cluster")
    used = [c for c in (outcome, running, cluster) if c is not None]
    if len(set(used)) < len(used):
        raise InputError(f"outcome, running variable and cluster must differ, got {used}")
    require_numeric(data, running, role="running variable")
    if pd.api.types.is_bool_dtype(data[running]):
        raise InputError(f"running variable column {running!r} must be numeric, got booleans")
    if outcome is not None:
        require_numeric(data, outcome, role="outcome")
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_finite(kept, [running], role="running variable")
    if outcome is not None:
        require_finite(kept, [outcome], role="outcome")
    x = kept[running].to_numpy(dtype=float)
    low, high = float(x.min()), float(x.max())
    if not low <= cutoff <= high:
        raise InputError(
            f"cutoff {cutoff:g} is outside the range of running variable {running!r} "
            f"[{low:g}, {high:g}]"
        )
    sides = {
        "left (below)": (x[x < cutoff], f"{running} < {cutoff:g}"),
        "right (at or above)": (x[x >= cutoff], f"{running} >= {cutoff:g}"),
    }
    for side, (values, condition) in sides.items():
        if values.size == 0:
            raise InputError(
                f"no observation on the {side} side of the cutoff {cutoff:g} "
                f"({condition} is never true): a discontinuity needs both sides"
            )
        distinct = np.unique(values).size
        if distinct < min_distinct:
            raise InputError(
                f"only {distinct} distinct value(s) of {running!r} on the {side} side of the "
                f"cutoff {cutoff:g}; at least {min_distinct} are needed for this polynomial order"
            )
    return kept, n_dropped


def _rdrobust_args(
    kept: pd.DataFrame, *, outcome: str, running: str, cluster: str | None
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "y": kept[outcome].to_numpy(dtype=float),
        "x": kept[running].to_numpy(dtype=float),
    }
    if cluster is not None:
        codes, _ = pd.factorize(kept[cluster], sort=True)
        args["cluster"] = codes
    return args


# --- estimate -------------------------------------------------------------------------------


def regression_discontinuity(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | tuple[float, float] | None = None,
    p: int = 1,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Sharp RD effect at the cutoff by local polynomials, delegated to ``rdrobust``.

    Calls ``rdrobust.rdrobust`` with its defaults (local linear, triangular kernel, one
    common MSE-optimal bandwidth ``mserd``, bias correction of order ``q = p + 1``,
    nearest-neighbour variance, or CR1 cluster-robust variance with ``cluster``) and maps
    its output onto :class:`Estimate` as follows:

    - ``value``: the **conventional** local-polynomial estimate (``rdrobust``'s
      "Conventional" coefficient);
    - ``std_error``: its **conventional** standard error;
    - ``ci_low``/``ci_high``: the **robust bias-corrected** interval of Calonico, Cattaneo &
      Titiunik (2014), centred on the bias-corrected estimate, not on ``value``;
    - ``p_value``: the robust bias-corrected p-value;
    - ``extra``: the bandwidths ``h_left``/``h_right`` (estimation) and
      ``b_left``/``b_right`` (bias), the effective sample sizes ``n_effective_left`` /
      ``n_effective_right`` (within ``h``), ``n_left``/``n_right``, the bias-corrected
      estimate ``bias_corrected`` and its robust standard error ``robust_se``, the
      conventional interval, the settings and any ``messages`` rdrobust printed or warned.

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
        ``b = h``, as in rdrobust. Default: the ``mserd`` data-driven choice.
    p : int, default 1
        Order of the local polynomial.
    cluster : str, optional
        Cluster identifier for CR1 cluster-robust variance.
    alpha : float, default 0.05
        One minus the level of the interval.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000)
    >>> df = pd.DataFrame({"x": x, "y": 1 + x + 2 * (x >= 0) + rng.normal(0, 0.5, 1000)})
    >>> est = regression_discontinuity(df, outcome="y", running="x")
    >>> est.ci_low < 2 < est.ci_high, est.n, est.n_dropped
    (True, 1000, 0)
    """
    from rdrobust import rdrobust

    require_probability(alpha, name="alpha")
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    kernel_code = _check_kernel(kernel)
    h = _check_bandwidth(bandwidth)
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, cluster=cluster, min_distinct=p + 2
    )
    args = _rdrobust_args(kept, outcome=outcome, running=running, cluster=cluster)
    fit, messages = _quiet(
        rdrobust, **args, c=cutoff, p=p, kernel=kernel_code, h=h, level=100 * (1 - alpha)
    )

    value = float(fit.coef.iloc[0, 0])
    se = float(fit.se.iloc[0, 0])
    robust_low, robust_high = (float(v) for v in fit.ci.iloc[2])
    conv_low, conv_high = (float(v) for v in fit.ci.iloc[0])
    n_left, n_right = (int(v) for v in fit.N)
    n_clusters = int(fit.n_clust) if cluster is not None and fit.n_clust is not None else None
    variance = "CR1 cluster-robust" if cluster is not None else "nearest-neighbour"
    bandwidths = "mserd bandwidth" if h is None else "manual bandwidth"
    return Estimate(
        value=value,
        std_error=se,
        ci_low=robust_low,
        ci_high=robust_high,
        p_value=float(fit.pv.iloc[2, 0]),
        n=n_left + n_right,
        method=(
            f"Sharp RD, local polynomial p={p} ({kernel} kernel, {bandwidths}) by rdrobust; "
            f"conventional estimate and {variance} std. error, robust bias-corrected interval "
            "and p-value (Calonico, Cattaneo & Titiunik 2014)"
        ),
        outcome=outcome,
        treatment=f"{running} >= {cutoff:g}",
        design="rd",
        estimand="ATE at the cutoff",
        n_treated=n_right,
        n_control=n_left,
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        alpha=alpha,
        extra={
            "cutoff": cutoff,
            "running": running,
            "kernel": kernel,
            "p": p,
            "q": int(fit.q),
            "bwselect": "mserd" if h is None else "manual",
            "vce": str(fit.vce),
            "cluster": cluster,
            "h_left": float(fit.bws.iloc[0, 0]),
            "h_right": float(fit.bws.iloc[0, 1]),
            "b_left": float(fit.bws.iloc[1, 0]),
            "b_right": float(fit.bws.iloc[1, 1]),
            "n_left": n_left,
            "n_right": n_right,
            "n_effective_left": int(fit.N_h[0]),
            "n_effective_right": int(fit.N_h[1]),
            "bias_corrected": float(fit.coef.iloc[1, 0]),
            "robust_se": float(fit.se.iloc[2, 0]),
            "conventional_ci": [conv_low, conv_high],
            "conventional_p_value": float(fit.pv.iloc[0, 0]),
            "messages": messages,
        },
    )


# --- bandwidth ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bandwidths:
    """Bandwidths chosen by ``rdrobust.rdbwselect`` on each side of the cutoff.

    ``h_*`` is the estimation bandwidth, ``b_*`` the bias-correction bandwidth; ``n`` the
    rows used, ``n_dropped`` the rows removed for missing values, ``messages`` what
    rdbwselect printed or warned.
    """

    selector: str
    h_left: float
    h_right: float
    b_left: float
    b_right: float
    cutoff: float
    n: int
    n_dropped: int
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bandwidth(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    selector: str = "mserd",
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    p: int = 1,
    cluster: str | None = None,
) -> Bandwidths:
    """Data-driven RD bandwidths by ``rdrobust.rdbwselect`` (Calonico, Cattaneo & Farrell 2020).

    ``selector`` is one of rdbwselect's: ``"mserd"`` (default: one MSE-optimal bandwidth
    for both sides, the one :func:`regression_discontinuity` uses), ``"msetwo"`` (one per
    side), ``"msesum"``, ``"msecomb1"``, ``"msecomb2"``, and their coverage-error-optimal
    counterparts ``"cerrd"``, ``"certwo"``, ``"cersum"``, ``"cercomb1"``, ``"cercomb2"``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000)
    >>> df = pd.DataFrame({"x": x, "y": 1 + x + 2 * (x >= 0) + rng.normal(0, 0.5, 1000)})
    >>> bw = bandwidth(df, outcome="y", running="x")
    >>> bw.selector, bw.h_left == bw.h_right, 0 < bw.h_left < bw.b_left
    ('mserd', True, True)
    """
    from rdrobust import rdbwselect

    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    kernel_code = _check_kernel(kernel)
    if selector not in _SELECTORS:
        raise InputError(f"selector must be one of {list(_SELECTORS)}, got {selector!r}")
    kept, n_dropped = _prepare(
        data, running=running, cutoff=cutoff, outcome=outcome, cluster=cluster, min_distinct=p + 2
    )
    args = _rdrobust_args(kept, outcome=outcome, running=running, cluster=cluster)
    fit, messages = _quiet(rdbwselect, **args, c=cutoff, p=p, kernel=kernel_code, bwselect=selector)
    row = fit.bws.iloc[0]
    return Bandwidths(
        selector=selector,
        h_left=float(row.iloc[0]),
        h_right=float(row.iloc[1]),
        b_left=float(row.iloc[2]),
        b_right=float(row.iloc[3]),
        cutoff=cutoff,
        n=len(kept),
        n_dropped=n_dropped,
        messages=messages,
    )


# --- density test ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DensityTest:
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
    n_dropped : int
        Rows removed because the running variable was missing.
    """

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
    cutoff: float
    n_dropped: int
    method: str
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
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
        A small frozen record with ``summary()`` and ``to_dict()``.

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
    fit, messages = _quiet(rddensity, x, c=cutoff)
    return DensityTest(
        statistic=float(fit.test["t_jk"]),
        p_value=float(fit.test["p_jk"]),
        density_left=float(fit.hat["left"]),
        density_right=float(fit.hat["right"]),
        h_left=float(fit.h["left"]),
        h_right=float(fit.h["right"]),
        n_left=int(fit.n["left"]),
        n_right=int(fit.n["right"]),
        n_effective_left=int(fit.n["eff_left"]),
        n_effective_right=int(fit.n["eff_right"]),
        cutoff=cutoff,
        n_dropped=n_dropped,
        method=(
            "Density discontinuity test (Cattaneo, Jansson & Ma 2020) by rddensity: local "
            "quadratic, unrestricted, jackknife variance, robust bias-corrected statistic"
        ),
        messages=messages,
    )


# --- plot -----------------------------------------------------------------------------------


def _mserd_bandwidth(kept: pd.DataFrame, **kwargs: Any) -> float:
    """The common ``mserd`` bandwidth (``rd_plot``'s argument of that name hides the function)."""
    return bandwidth(kept, **kwargs).h_left


def _local_fit(
    x: np.ndarray, y: np.ndarray, *, cutoff: float, h: float, p: int, kernel: str
) -> np.ndarray:
    """Kernel-weighted polynomial coefficients in ``x - cutoff`` (lowest order first)."""
    u = np.abs(x - cutoff) / h
    inside = u <= 1
    weights = {
        "triangular": 1 - u,
        "epanechnikov": 0.75 * (1 - u**2),
        "uniform": np.full_like(u, 0.5),
    }[kernel][inside]
    design = np.vander(x[inside] - cutoff, p + 1, increasing=True)
    root = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(design * root[:, None], y[inside] * root, rcond=None)
    return coef


def rd_plot(
    data: pd.DataFrame,
    *,
    outcome: str,
    running: str,
    cutoff: float = 0.0,
    bins: int = 20,
    p: int = 1,
    kernel: Literal["triangular", "epanechnikov", "uniform"] = "triangular",
    bandwidth: float | None = None,
    title: str | None = None,
) -> Figure:
    """Binned means of the outcome with the local polynomial fits on either side.

    The dots are outcome means in ``bins`` equal-width bins on each side of the cutoff
    (over the whole range of the running variable). The lines are the kernel-weighted
    polynomial fits of order ``p`` within the bandwidth ``h`` on each side (the
    ``mserd`` bandwidth of :func:`bandwidth` unless given), i.e. the fits behind the
    conventional estimate of :func:`regression_discontinuity`: the gap between the two
    lines at the cutoff is that estimate. Drawn with numpy and matplotlib; nothing is
    printed and pyplot's global state is not touched.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 500)
    >>> df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 500)})
    >>> fig = rd_plot(df, outcome="y", running="x", bandwidth=0.5)
    >>> len(fig.axes)
    1
    """
    cutoff = _check_cutoff(cutoff)
    p = _check_order(p)
    _check_kernel(kernel)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a positive integer, got {bins!r}")
    if bandwidth is not None and (
        isinstance(bandwidth, bool)
        or not isinstance(bandwidth, int | float | np.integer | np.floating)
        or not np.isfinite(bandwidth)
        or bandwidth <= 0
    ):
        raise InputError(f"bandwidth must be one positive number, got {bandwidth!r}")
    kept, _ = _prepare(data, running=running, cutoff=cutoff, outcome=outcome, min_distinct=p + 2)
    h = (
        float(bandwidth)
        if bandwidth is not None
        else _mserd_bandwidth(
            kept, outcome=outcome, running=running, cutoff=cutoff, p=p, kernel=kernel
        )
    )
    x = kept[running].to_numpy(dtype=float)
    y = kept[outcome].to_numpy(dtype=float)

    fig = Figure(layout="constrained")
    ax = fig.subplots()
    for side, direction, color in ((x < cutoff, -1, PALETTE[0]), (x >= cutoff, 1, PALETTE[1])):
        xs, ys = x[side], y[side]
        edges = np.linspace(xs.min(), xs.max(), bins + 1)
        index = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, bins - 1)
        counts = np.bincount(index, minlength=bins)
        sums = np.bincount(index, weights=ys, minlength=bins)
        centres = (edges[:-1] + edges[1:]) / 2
        filled = counts > 0
        ax.scatter(centres[filled], sums[filled] / counts[filled], s=14, color=color, zorder=3)
        if np.sum(np.abs(xs - cutoff) < h) > p:  # the fit needs p + 1 points in the window
            coef = _local_fit(xs, ys, cutoff=cutoff, h=h, p=p, kernel=kernel)
            end = cutoff + direction * min(h, float(np.abs(xs - cutoff).max()))
            grid = np.linspace(cutoff, end, 100)
            ax.plot(grid, np.polyval(coef[::-1], grid - cutoff), color=color, lw=2)
    ax.axvline(cutoff, color=PALETTE[5], lw=0.8, ls=":")
    ax.set_xlabel(running)
    ax.set_ylabel(outcome)
    for axis, values in ((ax.xaxis, x), (ax.yaxis, y)):
        span = float(np.ptp(values)) or 1.0
        french_axis(axis, decimals=max(0, int(np.ceil(-np.log10(span / 10)))))
    if title:
        ax.set_title(title)
    return fig
