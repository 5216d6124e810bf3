"""Synthetic difference in differences (Arkhangelsky et al. 2021), delegated to synthdid-py."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_interval
from impactlib.core.validation import (
    InputError,
    require_probability,
)
from impactlib.synth.panel import (
    MIN_DONORS,
    _balanced_panel,
    _label,
    _post_periods,
    _require_unit,
    _treated_from_column,
)
from impactlib.synth.weights import _SYNTHDID_DISTRIBUTION, _synthdid

_SE_METHODS = ("placebo", "bootstrap", "jackknife")


def synthetic_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Hashable | Sequence[Hashable] | None = None,
    treatment_time: object = None,
    treatment: str | None = None,
    se_method: Literal["placebo", "bootstrap", "jackknife"] = "placebo",
    replications: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
) -> Estimate:
    """Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

    Delegates to synthdid-py 0.1 (``synthdid.synthdid_estimate``, a port of the authors' R
    package): unit weights make the donors' pre-treatment trend parallel to the treated
    units', time weights make the pre-periods resemble the post-periods, and the effect is
    the weighted difference in differences, averaged over treated units and post periods.
    The regularisation is the package default (``eta_omega = (N1 T1)^(1/4)``).

    The treated block is given either by ``treated_unit`` (one label or several) with
    ``treatment_time`` (first treated period), or by a 0/1 ``treatment`` column that
    switches on at one common date for every treated unit and stays on.

    ``std_error`` comes from synthdid-py: ``"placebo"`` (Algorithm 4 of the paper, the only
    one defined with a single treated unit: ``replications`` random relabellings of
    controls as treated), ``"bootstrap"`` (Algorithm 2, resampling units) or
    ``"jackknife"`` (Algorithm 3). The random draws use ``numpy.random.default_rng(seed)``,
    so a given seed always gives the same result. The interval and p-value are normal
    (``value -/+ z * std_error``), as in the paper.

    Parameters
    ----------
    data : DataFrame
        Long balanced panel, one row per unit and period, no missing outcome.
    outcome, unit, time : str
        Outcome (numeric), unit and period (numeric or date) columns.
    treated_unit : label or list of labels, optional
        Treated unit(s); requires ``treatment_time``.
    treatment_time : scalar, optional
        First treated period.
    treatment : str, optional
        Alternative to the two above: a 0/1 column marking treated unit-periods.
    se_method : {"placebo", "bootstrap", "jackknife"}, default "placebo"
    replications : int, default 200
        Draws of the placebo or bootstrap (the R package's default).
    seed : int, default 0
        Seed of the draws.
    alpha : float, default 0.05

    Returns
    -------
    Estimate
        ``n`` counts unit-period rows, ``n_treated``/``n_control`` units; ``extra`` holds
        the unit weights (``omega``), the time weights (``lambda``) and the settings.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> rows = [(u, t, u + 0.5 * t + rng.normal(0, 0.1) + (2.0 if u == 9 and t >= 6 else 0))
    ...         for u in range(10) for t in range(8)]
    >>> df = pd.DataFrame(rows, columns=["unit", "year", "y"])
    >>> est = synthetic_did(df, outcome="y", unit="unit", time="year", treated_unit=9,
    ...                     treatment_time=6, replications=20, seed=3)
    >>> abs(est.value - 2.0) < 0.3
    True
    """
    require_probability(alpha, name="alpha")
    if se_method not in _SE_METHODS:
        raise InputError(f"se_method must be one of {_SE_METHODS}, got {se_method!r}")
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer):
        raise InputError(f"replications must be an integer, got {replications!r}")
    if replications < 2:
        raise InputError(f"replications must be at least 2, got {replications}")
    wide = _balanced_panel(data, outcome=outcome, unit=unit, time=time)

    if treatment is not None:
        if treated_unit is not None or treatment_time is not None:
            raise InputError(
                "give either treatment (a 0/1 column) or treated_unit with treatment_time, not both"
            )
        treated, treatment_time = _treated_from_column(
            data, wide, treatment=treatment, unit=unit, time=time
        )
    else:
        if treated_unit is None or treatment_time is None:
            raise InputError(
                "synthetic_did needs treated_unit and treatment_time, or a treatment column"
            )
        treated = (
            list(treated_unit)
            if isinstance(treated_unit, list | tuple | set | np.ndarray | pd.Index)
            else [treated_unit]
        )
        for label in treated:
            _require_unit(wide, label, unit, name="treated_unit")
        if len(set(treated)) < len(treated):
            raise InputError(f"treated_unit lists a unit twice: {treated!r}")
    post = _post_periods(wide.columns, treatment_time, time)
    controls = [u for u in wide.index if u not in set(treated)]
    n0, n1 = len(controls), len(treated)
    if n0 < MIN_DONORS:
        raise InputError(
            f"synthetic DiD needs at least {MIN_DONORS} control units in column {unit!r}, got {n0}"
        )
    if se_method == "placebo" and n0 <= n1:
        raise InputError(
            f"se_method 'placebo' needs more control units than treated units ({n0} control, "
            f"{n1} treated)"
        )
    if se_method != "placebo" and n1 == 1:
        raise InputError(
            f"se_method {se_method!r} is undefined with a single treated unit "
            "(Arkhangelsky et al. 2021): use 'placebo'"
        )
    sd = _synthdid()
    y = wide.loc[controls + treated].to_numpy()
    n_pre = int((~post).sum())
    fit = sd.synthdid_estimate(
        y, n0, n_pre, unit_names=[str(_label(u)) for u in controls + treated]
    )
    rng = np.random.default_rng(seed)
    if se_method == "placebo":
        se = sd.placebo_se(fit, replications=replications, random_state=rng)
    elif se_method == "bootstrap":
        se = sd.bootstrap_se(fit, replications=replications, random_state=rng)
    else:
        se = sd.jackknife_se(fit)
    if not np.isfinite(se):
        raise InputError(
            f"se_method {se_method!r} gave no standard error on this panel (synthdid-py "
            "returned nan, e.g. a jackknife with a single control carrying all the weight)"
        )
    value = float(fit)
    ci_low, ci_high, p_value = wald_interval(value, float(se), alpha=alpha)
    omega = np.asarray(fit.weights.omega, dtype=float)
    lam = np.asarray(fit.weights.lambda_, dtype=float)
    draws = "" if se_method == "jackknife" else f", {replications} draws, seed {seed}"
    algorithm = {"placebo": 4, "bootstrap": 2, "jackknife": 3}[se_method]
    return Estimate(
        value=value,
        std_error=float(se),
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n=int(wide.size),
        method=(
            "Synthetic difference-in-differences (Arkhangelsky et al. 2021, synthdid-py "
            f"synthdid_estimate); {se_method} standard error (Algorithm {algorithm}{draws}), "
            "normal interval"
        ),
        outcome=outcome,
        treatment=treatment
        if treatment is not None
        else f"{unit} in {[_label(u) for u in treated]} from {time} {_label(treatment_time)}",
        design="synthetic_did",
        estimand="ATT (treated units, post-period average)",
        n_treated=n1,
        n_control=n0,
        n_dropped=0,
        alpha=alpha,
        extra={
            "se_method": se_method,
            "replications": None if se_method == "jackknife" else int(replications),
            "seed": int(seed),
            "treated_units": [_label(u) for u in treated],
            "treatment_time": _label(treatment_time),
            "n_pre_periods": n_pre,
            "n_post_periods": int(post.sum()),
            "unit_weights": {
                str(_label(u)): float(w) for u, w in zip(controls, omega, strict=True)
            },
            "time_weights": {
                str(_label(t)): float(w) for t, w in zip(wide.columns[:n_pre], lam, strict=True)
            },
            "synthdid_version": importlib.metadata.version(_SYNTHDID_DISTRIBUTION),
        },
    )
