"""Event studies: dynamic effects relative to the period before treatment, with a pre-trend
test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_interval
from impactlib.core.validation import (
    InputError,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from impactlib.did.panel import _check_cohorts, _prepare_panel, _require_cluster, _require_whole
from impactlib.did.twoway import WaldTest, _feols


def _effects_figure(
    x: np.ndarray,
    value: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    reference: float | None,
    xlabel: str,
    ylabel: str,
    decimals: int,
) -> Figure:
    """Dots and intervals by relative period, pre-periods in the second palette colour."""
    from matplotlib.figure import Figure

    from impactlib.report.figures import PALETTE, french_axis

    fig = Figure(figsize=(7.0, 4.2))
    ax = fig.subplots()
    ax.axhline(0.0, color=PALETTE[4], linewidth=0.8)
    ax.axvline(-0.5, color=PALETTE[4], linewidth=0.8, linestyle="--")
    pre = x < 0
    for mask, color, label in (
        (pre, PALETTE[1], "Avant le traitement"),
        (~pre, PALETTE[0], "Après le traitement"),
    ):
        if mask.any():
            errors = np.vstack([value[mask] - low[mask], high[mask] - value[mask]])
            ax.errorbar(
                x[mask], value[mask], yerr=errors, fmt="o", color=color, capsize=3, label=label
            )
    if reference is not None:
        ax.plot([reference], [0.0], "o", color=PALETTE[1], markerfacecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xticks(np.unique(np.append(x, [] if reference is None else [reference])))
    french_axis(ax.yaxis, decimals)
    ax.legend(loc="best")
    return fig


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare by identity
class EventStudyResult:
    """Dynamic effects by period relative to treatment, from a TWFE event-study regression.

    Attributes
    ----------
    estimates : dict of int to Estimate
        One estimate per estimated relative period (the reference period is not estimated).
    table : DataFrame
        Tidy table, one row per relative period including the reference (estimate 0,
        missing standard error): ``relative_period``, ``estimate``, ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``, ``reference``, ``binned``.
    pretrend_test : WaldTest or None
        Joint test that every pre-treatment coefficient is zero (None without any).
    """

    estimates: dict[int, Estimate]
    table: pd.DataFrame
    pretrend_test: WaldTest | None
    reference: int
    outcome: str
    n: int
    n_dropped: int
    n_clusters: int
    alpha: float
    method: str
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A short plain-text summary for people."""
        lines = [self.method, f"  outcome: {self.outcome}   reference period: {self.reference}"]
        for _, row in self.table.iterrows():
            k = int(row["relative_period"])
            if row["reference"]:
                lines.append(f"  {k:>4}   0 (reference)")
            else:
                lines.append(
                    f"  {k:>4}   {row['estimate']:.4f}  ({row['std_error']:.4f})   "
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

    def plot(
        self,
        *,
        xlabel: str = "Période relative au traitement",
        ylabel: str = "Effet estimé",
        decimals: int = 2,
    ) -> Figure:
        """Event-study figure (book palette, French axis): estimates and their intervals."""
        rows = self.table[~self.table["reference"]]
        return _effects_figure(
            rows["relative_period"].to_numpy(dtype=float),
            rows["estimate"].to_numpy(dtype=float),
            rows["ci_low"].to_numpy(dtype=float),
            rows["ci_high"].to_numpy(dtype=float),
            reference=self.reference,
            xlabel=xlabel,
            ylabel=ylabel,
            decimals=decimals,
        )


def _dummy_name(k: int) -> str:
    return f"rel_m{-k}" if k < 0 else f"rel_p{k}"


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
    >>> sorted(res.estimates)
    [-2, 0, 1]
    >>> round(res.estimates[0].value, 1)
    1.0
    """
    kept, n_dropped, cluster = _prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        roles={"cohort": cohort},
        cluster=cluster,
        alpha=alpha,
    )
    _check_cohorts(kept, cohort=cohort, unit=unit, time=time)
    _require_whole(kept, [time, cohort])
    for name, value, low in (("leads", leads, 1), ("lags", lags, 0)):
        if value is not None and (int(value) != value or value < low):
            raise InputError(f"{name} must be an integer >= {low}, got {value!r}")
    if int(reference) != reference or reference >= 0:
        raise InputError(f"reference must be a negative integer, got {reference!r}")
    treated_unit = kept[cohort].to_numpy() > 0
    if not treated_unit.any():
        raise InputError(f"cohort column {cohort!r} has no treated unit (all 0)")
    rel_all = np.array(kept[time] - kept[cohort], dtype=float)
    # Never treated, or first treated after the panel ends: every indicator stays at zero.
    rel_all[~treated_unit | (kept[cohort].to_numpy() > kept[time].max())] = np.nan
    if np.isnan(rel_all).all():
        raise InputError(f"cohort column {cohort!r}: no unit is treated within the panel")
    low = -int(leads) if leads is not None else int(np.nanmin(rel_all))
    high = int(lags) if lags is not None else int(np.nanmax(rel_all))
    if not low <= reference <= high:
        raise InputError(f"reference {reference} lies outside the window [{low}, {high}]")
    rel = np.clip(rel_all, low, high)
    observed = set(np.unique(rel[~np.isnan(rel)]).astype(int).tolist())
    if reference not in observed:
        raise InputError(f"reference period {reference} is not observed for any treated unit")
    periods = sorted(observed - {reference})
    if not periods:
        raise InputError("no relative period left to estimate besides the reference")
    _require_cluster(kept, cluster)

    frame = pd.DataFrame(
        {
            "y": kept[outcome].to_numpy(dtype=float),
            "unit": pd.factorize(kept[unit])[0],
            "time": pd.factorize(kept[time])[0],
            "cluster": pd.factorize(kept[cluster])[0],
        }
    )
    names = [_dummy_name(k) for k in periods]
    dummies = pd.DataFrame(
        {name: (rel == k).astype(float) for name, k in zip(names, periods, strict=True)}
    )
    frame = pd.concat([frame, dummies], axis=1)
    fit = _feols(frame, names)
    fitted = [] if fit is None else [str(c) for c in fit._coefnames]
    lost = [k for k, name in zip(periods, names, strict=True) if name not in fitted]
    if lost:
        raise InputError(
            f"relative period(s) {lost} are collinear with the fixed effects: add never-treated "
            "units (cohort 0) or bin the end points with leads/lags"
        )
    n_used = int(fit._N)
    n_clusters = int(np.min(fit._G))
    df = float(n_clusters - 1)
    coef, se = fit.coef(), fit.se()
    method = (
        f"TWFE event study (pyfixest feols, unit and time effects, reference period "
        f"{reference}), CRV1 cluster-robust errors by {cluster!r}"
    )
    estimates: dict[int, Estimate] = {}
    rows = []
    binned = {
        k: (k == low and leads is not None and np.nanmin(rel_all) < low)
        or (k == high and lags is not None and np.nanmax(rel_all) > high)
        for k in periods
    }
    for k, name in zip(periods, names, strict=True):
        value, std = float(coef[name]), float(se[name])
        ci_low, ci_high, p_value = wald_interval(value, std, alpha=alpha, df=df)
        n_at_k = int(kept.loc[rel == k, unit].nunique())
        estimates[k] = Estimate(
            value=value,
            std_error=std,
            ci_low=ci_low,
            ci_high=ci_high,
            p_value=p_value,
            n=n_used,
            method=method,
            outcome=outcome,
            treatment=cohort,
            design="did",
            estimand=f"effect at relative period {k} (vs {reference})",
            n_treated=n_at_k,
            n_clusters=n_clusters,
            n_dropped=n_dropped + len(frame) - n_used,
            alpha=alpha,
            extra={"df": df, "relative_period": k, "binned": bool(binned[k])},
        )
        p_row = np.nan if p_value is None else p_value
        rows.append((k, value, std, ci_low, ci_high, p_row, False, bool(binned[k])))
    rows.append((reference, 0.0, np.nan, np.nan, np.nan, np.nan, True, False))
    table = pd.DataFrame(
        rows,
        columns=[
            "relative_period",
            "estimate",
            "std_error",
            "ci_low",
            "ci_high",
            "p_value",
            "reference",
            "binned",
        ],
    ).sort_values("relative_period", ignore_index=True)

    pre = [name for k, name in zip(periods, names, strict=True) if k < 0]
    pretrend = None
    if pre:
        index = [fitted.index(name) for name in pre]
        b = coef.to_numpy()[index]
        v = np.asarray(fit._vcov)[np.ix_(index, index)]
        wald = float(b @ np.linalg.solve(v, b))
        q = len(pre)
        pretrend = WaldTest(
            statistic=wald / q,
            df=q,
            df_denominator=df,
            p_value=float(stats.f.sf(wald / q, q, df)),
            distribution="F",
            hypothesis="all pre-treatment coefficients are zero",
        )
    return EventStudyResult(
        estimates=estimates,
        table=table,
        pretrend_test=pretrend,
        reference=int(reference),
        outcome=outcome,
        n=n_used,
        n_dropped=n_dropped + len(frame) - n_used,
        n_clusters=n_clusters,
        alpha=alpha,
        method=method,
        extra={"window": [low, high], "cluster": cluster, "df": df},
    )
