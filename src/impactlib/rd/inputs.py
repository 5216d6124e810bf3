"""Checks and arguments shared by the regression-discontinuity functions (cutoff, kernel,
order, bandwidth, selector, variance) and the capture of rdrobust's printed notes."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    drop_missing,
    require_column_name,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_spread,
    require_std_error,
)

_KERNELS = {"triangular": "tri", "epanechnikov": "epa", "uniform": "uni"}

# rdrobust's variance estimators: heteroskedasticity-robust ones without clusters,
# cluster-robust ones with them (rdrobust would switch silently, with a warning).
_VCOV = ("nn", "hc0", "hc1", "hc2", "hc3")
_CLUSTER_VCOV = ("cr1", "cr2", "cr3")

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


# Errors the RD packages raise on data they cannot fit (rdrobust and rddensity raise bare
# ``Exception``s); anything else (a TypeError...) is a bug and is left to propagate.
_FIT_ERRORS = (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError)


def _fit(
    function: Callable[..., Any],
    *args: Any,
    package: str,
    where: tuple[np.ndarray, float, str],
    **kwargs: Any,
) -> tuple[Any, list[str]]:
    """:func:`_quiet`, turning the package's refusal of the data into an :class:`InputError`.

    The checks of :func:`_prepare` come first; what they cannot foresee (a bandwidth
    selector whose pilot estimates collapse on a few mass points...) is reported with the
    package's own words and the counts of distinct values of the running variable.
    ``where`` is the running variable's values, the cutoff and the column's name.
    """
    try:
        return _quiet(function, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - narrowed just below
        if not (type(exc) is Exception or isinstance(exc, _FIT_ERRORS)):
            raise
        x, cutoff, running = where
        left, right = np.unique(x[x < cutoff]).size, np.unique(x[x >= cutoff]).size
        raise InputError(
            f"{package} could not fit this regression discontinuity (running variable "
            f"{running!r} has {left} distinct value(s) below the cutoff {cutoff:g} and {right} "
            f"at or above it): {exc}"
        ) from exc


def _check_fit_numbers(numbers: dict[str, float], y: np.ndarray, *, outcome: str, method: str):
    """Refuse a fit whose numbers are not finite, or whose standard errors are rounding noise."""
    for name, value in numbers.items():
        if name.endswith("std_error") or name.endswith("_se"):
            require_std_error(value, y, name=outcome, method=f"{method} ({name})")
        elif not np.isfinite(value):
            raise InputError(
                f"{method} gives a non-finite {name} ({value!r}) for outcome column {outcome!r}"
            )


def _sequence(values: object, *, name: str) -> list[Any]:
    """A list of the items of ``values``: a list, tuple, array or other iterable, not a scalar
    or a string (which would be read letter by letter)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InputError(f"{name} must be a list of values, got {type(values).__name__} {values!r}")
    return list(values)


def _check_cutoff(cutoff: object, *, name: str = "cutoff") -> float:
    if isinstance(cutoff, bool) or not isinstance(cutoff, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number, got {cutoff!r}")
    if not np.isfinite(cutoff):
        raise InputError(f"{name} must be finite, got {cutoff!r}")
    return float(cutoff)


def _check_order(p: object, *, name: str = "p") -> int:
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 0 <= p <= 10:
        raise InputError(f"{name} (polynomial order) must be an integer from 0 to 10, got {p!r}")
    return int(p)


def _check_kernel(kernel: str) -> str:
    if not isinstance(kernel, str) or kernel not in _KERNELS:
        raise InputError(f"kernel must be one of {sorted(_KERNELS)}, got {kernel!r}")
    return _KERNELS[kernel]


def _check_selector(selector: str) -> str:
    if not isinstance(selector, str) or selector not in _SELECTORS:
        raise InputError(f"selector must be one of {list(_SELECTORS)}, got {selector!r}")
    return selector


def _check_vcov(vcov: str | None, cluster: str | None) -> str:
    """rdrobust's ``vce``: ``nn`` by default, ``cr1`` with clusters."""
    if vcov is None:
        return "nn" if cluster is None else "cr1"
    allowed = _VCOV if cluster is None else _CLUSTER_VCOV
    if vcov not in allowed:
        given = "without cluster" if cluster is None else f"with cluster {cluster!r}"
        raise InputError(f"vcov must be one of {list(allowed)} {given}, got {vcov!r}")
    return vcov


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
    for role, column in (("outcome", outcome), ("running", running), ("cluster", cluster)):
        if column is not None or role == "running":
            require_column_name(column, role=role)
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
        require_spread(kept[outcome], name=outcome)
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
    if cluster is not None:
        _require_clusters(
            kept[cluster], x < cutoff, cluster=cluster, cutoff=cutoff, minimum=max(2, min_distinct)
        )
    return kept, n_dropped


def _require_clusters(
    clusters: pd.Series, below: np.ndarray, *, cluster: str, cutoff: float, minimum: int
) -> None:
    """``minimum`` clusters (``p + 2``) at least on each side: with ``p + 1`` or fewer the
    cluster-robust variance of a fit of order ``p`` is degenerate (rdrobust warns so)."""
    for side, rows in (("below", below), ("at or above", ~below)):
        count = int(clusters[rows].nunique())
        if count < minimum:
            raise InputError(
                f"cluster column {cluster!r} has {count} cluster(s) {side} the cutoff "
                f"{cutoff:g}: cluster-robust errors of this fit need at least {minimum} on "
                "each side"
            )


def _check_window(
    x: np.ndarray,
    *,
    cutoff: float,
    h: float | list[float],
    p: int,
    kernel: str,
    running: str,
    fit: str = "a local polynomial of order p={p} with its bias correction",
) -> None:
    """A manual bandwidth must hold, with positive kernel weight, the ``p + 2`` distinct
    values of the running variable on each side that rdrobust's fits of order ``p`` and
    ``q = p + 1`` (bias bandwidth ``b = h``) need; ``fit`` names the fit in the message."""
    h_left, h_right = (h, h) if isinstance(h, float) else h
    distance = np.abs(x - cutoff)
    for side, rows, width in (("below", x < cutoff, h_left), ("at or above", x >= cutoff, h_right)):
        inside = distance <= width if kernel == "uni" else distance < width
        distinct = np.unique(x[rows & inside]).size
        if distinct < p + 2:
            raise InputError(
                f"bandwidth {width:g} holds {distinct} distinct value(s) of running variable "
                f"{running!r} {side} the cutoff {cutoff:g} with positive kernel weight; "
                f"{fit.format(p=p)} needs {p + 2}: widen it"
            )


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
