"""Synthetic difference in differences (Arkhangelsky et al. 2021), delegated to synthdid-py."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import InputError, require_probability, require_std_error
from impactlib.synth.panel import _Design, _design, _label, _SyntheticResult
from impactlib.synth.weights import _SYNTHDID_DISTRIBUTION, _synthdid

_VCOVS = ("placebo", "bootstrap", "jackknife")
_ALGORITHM = {"placebo": 4, "bootstrap": 2, "jackknife": 3}  # of Arkhangelsky et al. (2021)


@dataclass(frozen=True, eq=False)
class SyntheticDiD(_SyntheticResult):
    """Result of :func:`synthetic_did`.

    Attributes
    ----------
    estimate : Estimate
        The weighted difference in differences, averaged over treated units and post periods.
    unit_weights : Series
        The control units' weights ω (non-negative, summing to one), indexed by control.
    time_weights : Series
        The pre-treatment periods' weights λ (non-negative, summing to one), indexed by period.
    treated : Series
        Outcome path of the treated units (their average when there are several), by period.
    synthetic : Series
        The controls' outcome paths weighted by ω, by period.
    treated_units : list
        The treated units, read from the ``treatment`` column.
    treatment_time : object
        Their first treated period.
    outcome : str
        Outcome column.
    """

    _estimate: Estimate = field(repr=False)
    unit_weights: pd.Series
    time_weights: pd.Series
    treated: pd.Series
    synthetic: pd.Series
    treated_units: list[Any]
    treatment_time: Any
    outcome: str

    @property
    def level_shift(self) -> float:
        """Treated minus ω-weighted controls, averaged over the pre-periods with weights λ.

        Synthetic DiD lets the synthetic path sit at a constant distance from the treated
        one: this distance.
        """
        lam, pre = self.time_weights, self.time_weights.index
        return float(lam @ self.treated.loc[pre] - lam @ self.synthetic.loc[pre])

    @property
    def counterfactual(self) -> pd.Series:
        """The ω-weighted controls shifted by :attr:`level_shift`: the path without treatment.

        The estimate is the post-period average of ``treated - counterfactual``.
        """
        return (self.synthetic + self.level_shift).rename("counterfactual")


def _check_vcov(vcov: str, n_resamples: int, seed: int) -> None:
    if not isinstance(vcov, str) or vcov not in _VCOVS:
        raise InputError(f"vcov must be one of {_VCOVS}, got {vcov!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise InputError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 2:
        raise InputError(f"n_resamples must be at least 2, got {n_resamples}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")


def _check_design_for_vcov(design: _Design, vcov: str) -> None:
    n0, n1 = len(design.controls), len(design.treated)
    if vcov == "placebo" and n0 <= n1:
        raise InputError(
            f"vcov 'placebo' needs more control units than treated units ({n0} control, "
            f"{n1} treated)"
        )
    if vcov != "placebo" and n1 == 1:
        raise InputError(
            f"vcov {vcov!r} is undefined with a single treated unit "
            "(Arkhangelsky et al. 2021): use 'placebo'"
        )


def _standard_error(sd: Any, fit: Any, vcov: str, n_resamples: int, seed: int) -> float:
    """synthdid-py's standard error, its draws from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    if vcov == "placebo":
        se = sd.placebo_se(fit, replications=n_resamples, random_state=rng)
    elif vcov == "bootstrap":
        se = sd.bootstrap_se(fit, replications=n_resamples, random_state=rng)
    else:
        se = sd.jackknife_se(fit)
    if not np.isfinite(se):
        raise InputError(
            f"vcov {vcov!r} gave no standard error on this panel (synthdid-py returned nan, "
            "e.g. a jackknife with a single control carrying all the weight)"
        )
    return float(se)


def _check_numbers(value: float, se: float, design: _Design, *, outcome: str, vcov: str) -> None:
    """Refuse a non-finite estimate, or a standard error that is rounding noise."""
    if not np.isfinite(value):
        raise InputError(f"synthdid-py gives a non-finite effect ({value!r}) for {outcome!r}")
    require_std_error(
        se, design.wide.to_numpy(), name=outcome, method=f"synthetic_did's {vcov} variance"
    )


def _sdid_record(
    design: _Design,
    value: float,
    se: float,
    weights: tuple[np.ndarray, np.ndarray],
    *,
    outcome: str,
    unit: str,
    time: str,
    vcov: str,
    n_resamples: int,
    seed: int,
    alpha: float,
) -> Estimate:
    omega, lam = weights
    draws = "" if vcov == "jackknife" else f", {n_resamples} draws, seed {seed}"
    treated = [_label(u) for u in design.treated]
    return wald_estimate(
        value,
        se,
        alpha=alpha,
        n=int(design.wide.size),
        method=(
            "Synthetic difference-in-differences (Arkhangelsky et al. 2021, synthdid-py "
            f"synthdid_estimate); {vcov} standard error (Algorithm {_ALGORITHM[vcov]}{draws}), "
            "normal interval"
        ),
        outcome=outcome,
        treatment=f"{unit} in {treated} from {time} {_label(design.start)}",
        design="synthetic_did",
        estimand="ATT (treated units, post-period average)",
        n_treated=len(design.treated),
        n_control=len(design.controls),
        n_dropped=0,
        extra={
            "vcov": vcov,
            "n_resamples": None if vcov == "jackknife" else int(n_resamples),
            "seed": int(seed),
            "treated_units": treated,
            "treatment_time": _label(design.start),
            "n_pre_periods": design.n_pre,
            "n_post_periods": int(design.post.sum()),
            "unit_weights": {
                str(_label(u)): float(w) for u, w in zip(design.controls, omega, strict=True)
            },
            "time_weights": {
                str(_label(t)): float(w)
                for t, w in zip(design.wide.columns[: design.n_pre], lam, strict=True)
            },
            "synthdid_version": importlib.metadata.version(_SYNTHDID_DISTRIBUTION),
        },
    )


def synthetic_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    vcov: Literal["placebo", "bootstrap", "jackknife"] = "placebo",
    n_resamples: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
) -> SyntheticDiD:
    """Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

    Delegates to synthdid-py 0.1 (``synthdid.synthdid_estimate``, a port of the authors' R
    package): unit weights make the donors' pre-treatment trend parallel to the treated
    units', time weights make the pre-periods resemble the post-periods, and the effect is
    the weighted difference in differences, averaged over treated units and post periods.
    The regularisation is the package default (``eta_omega = (N1 T1)^(1/4)``).

    The ``treatment`` column (0/1 per unit and period, D_it) gives the treated block: the
    units ever treated, all switching on at one common period and staying on.

    ``std_error`` comes from synthdid-py: ``vcov="placebo"`` (Algorithm 4 of the paper, the
    only one defined with a single treated unit: ``n_resamples`` random relabellings of
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
    treatment : str
        0/1 column, 1 for the treated units from the common first treated period on.
    vcov : {"placebo", "bootstrap", "jackknife"}, default "placebo"
    n_resamples : int, default 200
        Draws of the placebo or bootstrap (the R package's default).
    seed : int, default 0
        Seed of the draws.
    alpha : float, default 0.05

    Returns
    -------
    SyntheticDiD
        ``.estimate`` (an :class:`Estimate`: ``n`` counts unit-period rows,
        ``n_treated``/``n_control`` units; ``extra`` records the weights and the settings),
        ``.unit_weights`` (ω), ``.time_weights`` (λ), ``.treated``, ``.synthetic``,
        ``.level_shift`` and ``.counterfactual``.

    Raises
    ------
    InputError
        The refusals of :func:`synthetic_control` (but several treated units are accepted
        when they switch on at the same period), a bad ``vcov`` or ``n_resamples``, a
        ``vcov`` undefined on this design.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> rows = [(u, t, u + 0.5 * t + rng.normal(0, 0.1) + (2.0 if u == 9 and t >= 6 else 0),
    ...          int(u == 9 and t >= 6)) for u in range(10) for t in range(8)]
    >>> df = pd.DataFrame(rows, columns=["unit", "year", "y", "d"])
    >>> sdid = synthetic_did(df, outcome="y", unit="unit", time="year", treatment="d",
    ...                      n_resamples=20, seed=3)
    >>> abs(sdid.estimate.value - 2.0) < 0.3
    True
    """
    require_probability(alpha, name="alpha")
    _check_vcov(vcov, n_resamples, seed)
    design = _design(
        data, outcome=outcome, unit=unit, time=time, treatment=treatment, estimator="synthetic_did"
    )
    _check_design_for_vcov(design, vcov)
    sd = _synthdid()
    wide, order = design.wide, design.controls + design.treated
    fit = sd.synthdid_estimate(
        wide.loc[order].to_numpy(),
        len(design.controls),
        design.n_pre,
        unit_names=[str(_label(u)) for u in order],
    )
    se = _standard_error(sd, fit, vcov, n_resamples, seed)
    _check_numbers(float(fit), se, design, outcome=outcome, vcov=vcov)
    omega = np.asarray(fit.weights.omega, dtype=float)
    lam = np.asarray(fit.weights.lambda_, dtype=float)
    estimate = _sdid_record(
        design,
        float(fit),
        se,
        (omega, lam),
        outcome=outcome,
        unit=unit,
        time=time,
        vcov=vcov,
        n_resamples=n_resamples,
        seed=seed,
        alpha=alpha,
    )
    unit_weights = pd.Series(omega, index=pd.Index(design.controls, name=unit), name="omega")
    return SyntheticDiD(
        _estimate=estimate,
        unit_weights=unit_weights,
        time_weights=pd.Series(lam, index=wide.columns[: design.n_pre], name="lambda"),
        treated=wide.loc[design.treated].mean().rename(outcome),
        synthetic=(unit_weights @ wide.loc[design.controls]).rename("synthetic"),
        treated_units=design.treated,
        treatment_time=design.start,
        outcome=outcome,
    )
