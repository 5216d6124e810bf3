"""Event studies: dynamic effects relative to the period before treatment, with a pre-trend
test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.result import Result
from impactlib.core.validation import (
    InputError,
    refuse_exact_fit,
    require_integer,
    require_std_error,
)
from impactlib.did.panel import _check_cohorts, _prepare_panel, _require_cluster, _require_whole
from impactlib.did.twoway import _FE_MODEL, _feols, _fit_counts, _within_frame
from impactlib.did.wald import WaldTest, f_test

#: Columns of :attr:`EventStudyResult.table`.
TABLE_COLUMNS = (
    "relative_period",
    "value",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "reference",
    "binned",
)


def period_term(k: int) -> str:
    """The term of relative period ``k`` in :meth:`EventStudyResult.tidy`: ``"e=-2"``."""
    return f"e={k}"


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare by identity
class EventStudyResult(Result):
    """Dynamic effects by period relative to treatment, from a TWFE event-study regression.

    The headline :attr:`estimate` is the effect at the first treated period (relative
    period 0, or the first estimated period after it): the effect on impact, the one
    estimate of the event study that does not depend on how long units are followed.
    :meth:`estimates` and :meth:`~impactlib.core.result.Result.tidy` give every relative
    period, by term ``"e=<k>"`` (:func:`period_term`), the headline first.

    Attributes
    ----------
    effects : dict of int to Estimate
        One estimate per estimated relative period (the reference period is not estimated),
        in increasing order.
    table : DataFrame
        One row per relative period including the reference (value 0, missing standard
        error): ``relative_period``, ``value``, ``std_error``, ``ci_low``, ``ci_high``,
        ``p_value``, ``reference``, ``binned``.
    pretrend_test : WaldTest or None
        Joint test that every pre-treatment coefficient is zero (None without any).
    window : tuple of int
        First and last estimated relative periods (end points bin the periods beyond).
    df : float
        Degrees of freedom of the t intervals and of the F test's denominator, G - 1.
    """

    effects: dict[int, Estimate]
    table: pd.DataFrame
    pretrend_test: WaldTest | None
    reference: int
    outcome: str
    n: int
    n_dropped: int
    n_clusters: int
    alpha: float
    method: str
    window: tuple[int, int]
    cluster: str
    df: float

    @property
    def estimate(self) -> Estimate:
        """The effect at the first treated period (relative period 0 when estimated)."""
        return self.effects[min(k for k in self.effects if k >= 0)]

    def estimates(self) -> dict[str, Estimate]:
        """Every relative period's effect by term ``"e=<k>"``, the headline first."""
        first = min(k for k in self.effects if k >= 0)
        order = [first, *(k for k in self.effects if k != first)]
        return {period_term(k): self.effects[k] for k in order}

    def summary(self) -> str:
        """A short plain-text summary for people."""
        lines = [self.method, f"  outcome: {self.outcome}   reference period: {self.reference}"]
        for _, row in self.table.iterrows():
            k = int(row["relative_period"])
            if row["reference"]:
                lines.append(f"  {k:>4}   0 (reference)")
            else:
                lines.append(
                    f"  {k:>4}   {row['value']:.4f}  ({row['std_error']:.4f})   "
                    f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}]"
                )
        if self.pretrend_test is not None:
            lines.append(f"  {self.pretrend_test.summary()}")
        lines.append(f"  n = {self.n}, {self.n_clusters} clusters")
        if self.n_dropped:
            lines[-1] += f"; {self.n_dropped} row(s) dropped"
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class _Window(NamedTuple):
    """Relative periods of the rows (NaN for never-treated units) and the estimated ones."""

    rel: np.ndarray  # clipped to [low, high]
    low: int
    high: int
    periods: list[int]  # estimated relative periods, increasing, without the reference
    binned: dict[int, bool]  # whether an end point pools the periods beyond it


def _check_window_options(leads: int | None, lags: int | None, reference: int) -> None:
    for name, value, low in (("leads", leads, 1), ("lags", lags, 0)):
        if value is not None:
            require_integer(value, name=name, minimum=low)
    if require_integer(reference, name="reference") >= 0:
        raise InputError(f"reference must be a negative integer, got {reference!r}")


def _relative_periods(
    kept: pd.DataFrame,
    *,
    time: str,
    cohort: str,
    leads: int | None,
    lags: int | None,
    reference: int,
) -> _Window:
    """Relative period of each row, the window [-leads, lags] and the periods to estimate."""
    treated_unit = kept[cohort].to_numpy() > 0
    if not treated_unit.any():
        raise InputError(f"cohort column {cohort!r} has no treated unit (all 0)")
    rel_all = np.array(kept[time] - kept[cohort], dtype=float)
    # Never treated, or first treated after the panel ends: every indicator stays at zero.
    rel_all[~treated_unit | (kept[cohort].to_numpy() > kept[time].max())] = np.nan
    if np.isnan(rel_all).all():
        raise InputError(f"cohort column {cohort!r}: no unit is treated within the panel")
    first, last = int(np.nanmin(rel_all)), int(np.nanmax(rel_all))
    low = -int(leads) if leads is not None else first
    high = int(lags) if lags is not None else last
    if not low <= reference <= high:
        raise InputError(f"reference {reference} lies outside the window [{low}, {high}]")
    rel = np.clip(rel_all, low, high)
    observed = set(np.unique(rel[~np.isnan(rel)]).astype(int).tolist())
    if reference not in observed:
        raise InputError(f"reference period {reference} is not observed for any treated unit")
    periods = sorted(observed - {reference})
    if not any(k >= 0 for k in periods):
        raise InputError(
            f"cohort column {cohort!r}: no treated unit is observed from its first treated "
            "period on, so no effect after treatment can be estimated"
        )
    binned = {
        k: (k == low and leads is not None and first < low)
        or (k == high and lags is not None and last > high)
        for k in periods
    }
    return _Window(rel, low, high, periods, binned)


def _dummy_name(k: int) -> str:
    return f"rel_m{-k}" if k < 0 else f"rel_p{k}"


def _effects_table(effects: dict[int, Estimate], window: _Window, reference: int):
    """The tidy table of :class:`EventStudyResult`, the reference row included."""
    rows = [
        (k, e.value, e.std_error, e.ci_low, e.ci_high, e.p_value, False, window.binned[k])
        for k, e in effects.items()
    ]
    rows.append((reference, 0.0, np.nan, np.nan, np.nan, np.nan, True, False))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table["p_value"] = table["p_value"].astype(float)  # a None p-value (zero SE) is NaN
    return table.sort_values("relative_period", ignore_index=True)


def _pretrend_test(fit, names: list[str], periods: list[int], df: float) -> WaldTest | None:
    """Joint F test that every pre-treatment coefficient is zero (None without any)."""
    fitted = [str(c) for c in fit._coefnames]
    pre = [fitted.index(name) for k, name in zip(periods, names, strict=True) if k < 0]
    if not pre:
        return None
    return f_test(
        fit.coef().to_numpy()[pre],
        np.asarray(fit._vcov)[np.ix_(pre, pre)],
        df_denominator=df,
        method="Wald test with the CRV1 covariance of the event-study coefficients, F = W / q",
        hypothesis="all pre-treatment coefficients are zero",
    )


def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    leads: int | None = None,
    lags: int | None = None,
    reference: int = -1,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """TWFE event study: effects by period relative to the first treated period.

    Regresses the outcome on indicators of the relative period ``time - cohort`` (all but
    ``reference``) with unit and time fixed effects, using pyfixest (``feols``) with CRV1
    errors clustered by ``unit`` unless ``cluster`` says otherwise; intervals use Student's
    t with ``G - 1`` degrees of freedom. Never-treated units (cohort 0) have all indicators
    at zero and anchor the time effects. Relative periods before ``-leads`` or after
    ``lags`` are binned into the end points (Schmidheiny & Siegloch 2023), whose estimates
    then average over the binned periods (``binned`` in the table).

    The pre-trend test is the joint Wald test that all pre-treatment coefficients are zero,
    reported as F = W / q against F(q, G - 1) (Stata's ``testparm`` after clustered
    regression). Under staggered adoption with heterogeneous effects, the TWFE coefficients
    mix effects of other periods (Sun & Abraham 2021, J. Econometrics 225(2)): prefer
    ``callaway_santanna(...).aggregate_table("dynamic")`` there.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier and period columns; periods are whole numbers (years, months...).
    cohort : str
        First treated period of the unit, constant within unit; 0 for never-treated units
        (as is a cohort after the last period: not treated within the panel).
    leads, lags : int, optional
        Earliest (``-leads``) and latest (``lags``) relative periods estimated separately;
        periods beyond are binned into these end points. Default: every observed period.
    reference : int, default -1
        Omitted relative period (negative), against which every effect is measured.
    cluster : str, optional
        Column of clusters for the standard errors; defaults to ``unit``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    EventStudyResult
        Its headline ``estimate`` is the effect at the first treated period.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> unit, year = np.repeat(np.arange(60), 6), np.tile(np.arange(1, 7), 60)
    >>> g = np.where(unit < 20, 4, np.where(unit < 40, 3, 0))
    >>> d = (g > 0) & (year >= g)
    >>> df = pd.DataFrame({"y": year + 1.0 * d + rng.normal(scale=0.1, size=360),
    ...                    "id": unit, "year": year, "g": g})
    >>> res = event_study(df, outcome="y", unit="id", time="year", cohort="g", leads=2, lags=1)
    >>> sorted(res.effects)
    [-2, 0, 1]
    >>> round(res.estimate.value, 1), list(res.tidy().index)
    (1.0, ['e=0', 'e=-2', 'e=1'])
    """
    kept, n_dropped, cluster = _prepare_panel(
        data, outcome, unit, time, roles={"cohort": cohort}, cluster=cluster, alpha=alpha
    )
    _check_cohorts(kept, cohort=cohort, unit=unit, time=time)
    _require_whole(kept, [time, cohort])
    _check_window_options(leads, lags, reference)
    window = _relative_periods(
        kept, time=time, cohort=cohort, leads=leads, lags=lags, reference=reference
    )
    _require_cluster(kept, cluster)
    names = [_dummy_name(k) for k in window.periods]
    frame = _within_frame(kept, outcome, unit, time, cluster).assign(
        **{
            name: (window.rel == k).astype(float)
            for name, k in zip(names, window.periods, strict=True)
        }
    )
    fit = _feols(frame, names)
    fitted = [] if fit is None else [str(c) for c in fit._coefnames]
    lost = [k for k, name in zip(window.periods, names, strict=True) if name not in fitted]
    if lost:
        raise InputError(
            f"relative period(s) {lost} are collinear with the fixed effects: add never-treated "
            "units (cohort 0) or bin the end points with leads/lags"
        )
    refuse_exact_fit(fit.resid(), frame["y"], name=outcome, model=_FE_MODEL)
    n_used, n_clusters, df = _fit_counts(fit)
    method = (
        f"TWFE event study (pyfixest feols, unit and time effects, reference period "
        f"{reference}), CRV1 cluster-robust errors by {cluster!r}"
    )
    coef, se = fit.coef() * frame.attrs["scale"], fit.se() * frame.attrs["scale"]
    effects = {
        k: wald_estimate(
            float(coef[name]),
            require_std_error(
                se[name],
                kept[outcome],
                name=outcome,
                method=f"the CRV1 variance of the event-study effect at relative period {k}",
            ),
            alpha=alpha,
            df=df,
            n=n_used,
            method=method,
            outcome=outcome,
            treatment=cohort,
            design="did",
            estimand=f"effect at relative period {k} (vs {reference})",
            n_treated=int(kept.loc[window.rel == k, unit].nunique()),
            n_clusters=n_clusters,
            n_dropped=n_dropped + len(frame) - n_used,
            extra={"df": df, "relative_period": k, "binned": bool(window.binned[k])},
        )
        for k, name in zip(window.periods, names, strict=True)
    }
    return EventStudyResult(
        effects=effects,
        table=_effects_table(effects, window, int(reference)),
        pretrend_test=_pretrend_test(fit, names, window.periods, df),
        reference=int(reference),
        outcome=outcome,
        n=n_used,
        n_dropped=n_dropped + len(frame) - n_used,
        n_clusters=n_clusters,
        alpha=alpha,
        method=method,
        window=(window.low, window.high),
        cluster=cluster,
        df=df,
    )
