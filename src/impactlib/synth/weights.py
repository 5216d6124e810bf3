"""Donor weights of a synthetic control: exact simplex least squares or synthdid's solver."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from impactlib.core.validation import InputError
from impactlib.synth.panel import _Design, _design

_SYNTHDID_DISTRIBUTION = "synthdid-py"
_SOLVERS = ("simplex", "synthdid")


# --- synthdid-py ------------------------------------------------------------------------


def _synthdid() -> Any:
    """Import synthdid-py, refusing the unrelated PyPI package that shares its import name."""
    try:
        version = importlib.metadata.version(_SYNTHDID_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ImportError(
            "synthdid-py is not installed (pip install 'synthdid-py==0.1.*'); note that the "
            "PyPI package named 'synthdid' is a different project"
        ) from exc
    if not version.startswith("0.1."):
        raise ImportError(f"impactlib was validated with synthdid-py 0.1.*, found {version}")
    module = importlib.import_module("synthdid")
    expected = importlib.metadata.distribution(_SYNTHDID_DISTRIBUTION).locate_file(
        "synthdid/__init__.py"
    )
    if Path(module.__file__).resolve() != Path(str(expected)).resolve():
        raise ImportError(
            f"the module 'synthdid' at {module.__file__} does not come from synthdid-py: "
            "another package named 'synthdid' shadows it"
        )
    return module


# --- synthetic control ------------------------------------------------------------------


def simplex_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0`` summing to one that minimise ``||target - donors @ w||``.

    The exact minimiser, computed with scipy's Lawson-Hanson NNLS: with ``A`` the columns
    ``target - donors[:, j]``, minimising ``||A u||^2 + (sum(u) - 1)^2`` over ``u >= 0`` and
    normalising ``w = u / sum(u)`` solves the simplex problem (for ``u = t w`` the inner
    minimum over ``t`` is ``||A w||^2 / (1 + ||A w||^2)``, increasing in ``||A w||``).

    Parameters
    ----------
    target : array of shape (T,)
        Pre-treatment path of the unit to reproduce.
    donors : array of shape (T, J)
        Pre-treatment paths of the donors, one column each.

    Examples
    --------
    >>> donors = np.array([[0.0, 2.0], [0.0, 2.0]])
    >>> simplex_weights(np.array([0.5, 0.5]), donors).round(6).tolist()
    [0.75, 0.25]
    """
    gaps = np.asarray(target, dtype=float)[:, None] - np.asarray(donors, dtype=float)
    scale = float(np.abs(gaps).max())
    n_donors = gaps.shape[1]
    if scale == 0.0:  # every donor reproduces the target exactly: any weights do
        return np.full(n_donors, 1.0 / n_donors)
    system = np.vstack([gaps / scale, np.ones(n_donors)])
    rhs = np.zeros(system.shape[0])
    rhs[-1] = 1.0
    u, _ = optimize.nnls(system, rhs, maxiter=100 * max(n_donors, 10))
    return u / u.sum()


def _synthdid_sc_weights(target: np.ndarray, donors: np.ndarray, n_pre: int) -> np.ndarray:
    """Unit weights of synthdid-py's ``sc_estimate`` (full paths: donors are (T, J))."""
    sd = _synthdid()
    y = np.vstack([np.asarray(donors, dtype=float).T, np.asarray(target, dtype=float)[None, :]])
    fit = sd.sc_estimate(y, y.shape[0] - 1, n_pre)
    return np.asarray(fit.weights.omega, dtype=float)


def _fit(target: np.ndarray, donors: np.ndarray, n_pre: int, solver: str) -> np.ndarray:
    """Donor weights for one (real or placebo) treated path; arrays are (T,) and (T, J)."""
    if solver == "simplex":
        return simplex_weights(target[:n_pre], donors[:n_pre])
    return _synthdid_sc_weights(target, donors, n_pre)


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(gap))))


def _fit_stats(gap: np.ndarray, post: np.ndarray) -> dict[str, float]:
    """Pre- and post-treatment RMSPE of a gap series, their ratio and the average effect."""
    pre, after = _rmspe(gap[~post]), _rmspe(gap[post])
    ratio = after / pre if pre > 0 else (np.inf if after > 0 else 1.0)
    return {
        "pre_rmspe": pre,
        "post_rmspe": after,
        "ratio": ratio,
        "effect": float(gap[post].mean()),
    }


def _donor_fit(
    data: object, *, outcome: str, unit: str, time: str, treatment: str, solver: str
) -> tuple[_Design, np.ndarray]:
    """The checked design of a synthetic control and the treated unit's donor weights."""
    if solver not in _SOLVERS:
        raise InputError(f"solver must be 'simplex' or 'synthdid', got {solver!r}")
    design = _design(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        treatment=treatment,
        estimator="synthetic_control",
        single=True,
    )
    wide = design.wide
    paths = wide.loc[design.controls].to_numpy().T  # (T, J)
    weights = _fit(wide.loc[design.treated[0]].to_numpy(), paths, design.n_pre, solver)
    return design, weights


def synthetic_weights(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    solver: Literal["simplex", "synthdid"] = "simplex",
) -> pd.Series:
    """Donor weights of the synthetic control, without the placebo inference.

    The weights :func:`synthetic_control` uses (same checks, same ``solver``), for when
    only the fit is wanted: the placebo runs of :func:`synthetic_control` refit the
    weights ``2 J`` times, which takes a while with ``solver="synthdid"``.

    Returns
    -------
    Series
        Non-negative weights summing to one, indexed by donor.

    Examples
    --------
    >>> rows = [(u, t, base + t, int(u == "T" and t >= 3))
    ...         for u, base in [("A", 0.0), ("B", 2.0), ("T", 1.0)] for t in range(4)]
    >>> df = pd.DataFrame(rows, columns=["unit", "year", "y", "d"])
    >>> synthetic_weights(df, outcome="y", unit="unit", time="year",
    ...                   treatment="d").round(3).to_dict()
    {'A': 0.5, 'B': 0.5}
    """
    design, weights = _donor_fit(
        data, outcome=outcome, unit=unit, time=time, treatment=treatment, solver=solver
    )
    return pd.Series(weights, index=pd.Index(design.controls, name=unit), name="weight")
