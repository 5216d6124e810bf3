"""Staggered adoption: group-time effects of Callaway & Sant'Anna (2021) and their
aggregations (moderndid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.estimate import Estimate
from impactlib.core.inference import critical_value, two_sided_p_value, wald_interval
from impactlib.core.validation import (
    InputError,
    as_list,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from impactlib.did.dynamic import _effects_figure
from impactlib.did.panel import (
    AGGREGATIONS,
    CONTROL_GROUPS,
    EST_METHODS,
    _check_cohorts,
    _prepare_panel,
)
from impactlib.did.twoway import WaldTest

_TABLE_KEY = {"group": "cohort", "dynamic": "relative_period", "calendar": "time"}


# --- Callaway & Sant'Anna -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare by identity
class CallawaySantAnnaResult:
    """Group-time average effects ATT(g, t) and their aggregations (moderndid).

    Attributes
    ----------
    group_time : DataFrame
        One row per cohort ``g`` and period ``t``: ``cohort``, ``time``, ``relative_period``,
        ``att``, ``std_error``, ``ci_low``, ``ci_high`` (pointwise), ``post`` (t >= g).
        Pre-treatment rows are placebo effects (short differences, "varying" base period).
    pretrend_test : WaldTest or None
        moderndid's chi-square Wald pre-test that every pre-treatment ATT(g, t) is zero.
    """

    group_time: pd.DataFrame
    pretrend_test: WaldTest | None
    outcome: str
    cohort: str
    control_group: str
    est_method: str
    covariates: list[str]
    alpha: float
    bootstrap: bool
    n_boot: int
    seed: int
    n: int
    n_units: int
    n_treated: int
    n_control: int
    n_dropped: int
    extra: dict[str, Any]
    _mp: Any = field(repr=False, compare=False)

    def _aggte(self, kind: str):
        if kind not in AGGREGATIONS:
            raise InputError(f"unknown aggregation {kind!r}: choose one of {list(AGGREGATIONS)}")
        from moderndid import aggte

        return aggte(
            self._mp,
            type=kind,
            boot=self.bootstrap,
            biters=self.n_boot,
            cband=False,
            alp=self.alpha,
            random_state=self.seed,
        )

    @property
    def _se_label(self) -> str:
        if self.bootstrap:
            return f"multiplier bootstrap ({self.n_boot} draws, seed {self.seed})"
        return "analytical influence-function"

    def aggregate(self, kind: str = "simple") -> Estimate:
        """Aggregate the ATT(g, t) into one overall effect.

        ``"simple"``: average of the post-treatment ATT(g, t) weighted by cohort size;
        ``"group"``: average over cohorts of each cohort's average effect, weighted by cohort
        size (the summary Callaway & Sant'Anna recommend); ``"dynamic"``: average of the
        event-time effects for ``e >= 0``; ``"calendar"``: average of the calendar-period
        effects. The per-level effects are in ``extra["by"]`` and
        :meth:`aggregate_table`.
        """
        agg = self._aggte(kind)
        value, se = float(agg.overall_att), float(agg.overall_se)
        ci_low, ci_high, p_value = wald_interval(value, se, alpha=self.alpha)
        extra: dict[str, Any] = {
            "aggregation": kind,
            "control_group": self.control_group,
            "est_method": self.est_method,
            "covariates": list(self.covariates),
            "bootstrap": self.bootstrap,
            **self.extra,
        }
        if kind != "simple":
            extra["by"] = self._table(agg, kind).to_dict(orient="records")
        return Estimate(
            value=value,
            std_error=se,
            ci_low=ci_low,
            ci_high=ci_high,
            p_value=p_value,
            n=self.n,
            method=(
                f"Callaway & Sant'Anna (2021) staggered DiD, {kind} aggregation "
                f"({EST_METHODS[self.est_method]}, {self.control_group.replace('_', '-')} "
                f"controls; moderndid), {self._se_label} standard errors clustered by unit"
            ),
            outcome=self.outcome,
            treatment=self.cohort,
            design="staggered_did",
            estimand=f"ATT ({kind} aggregation)",
            n_treated=self.n_treated,
            n_control=self.n_control,
            n_clusters=self.n_units,
            n_dropped=self.n_dropped,
            alpha=self.alpha,
            extra=extra,
        )

    def _table(self, agg, kind: str) -> pd.DataFrame:
        value = np.asarray(agg.att_by_event, dtype=float)
        se = np.asarray(agg.se_by_event, dtype=float)
        crit = critical_value(self.alpha)
        key = np.asarray(agg.event_times, dtype=float)
        return pd.DataFrame(
            {
                _TABLE_KEY[kind]: key.astype(int) if np.all(key == np.round(key)) else key,
                "estimate": value,
                "std_error": se,
                "ci_low": value - crit * se,
                "ci_high": value + crit * se,
                "p_value": two_sided_p_value(value / se),
            }
        )

    def aggregate_table(self, kind: str) -> pd.DataFrame:
        """Per-cohort (``"group"``), per-relative-period (``"dynamic"``) or per-period
        (``"calendar"``) effects with pointwise intervals."""
        if kind == "simple":
            raise InputError("the 'simple' aggregation has a single effect: use aggregate()")
        return self._table(self._aggte(kind), kind)

    def summary(self) -> str:
        """Overall effects of the four aggregations and the pre-test."""
        lines = [
            f"Callaway & Sant'Anna (2021): {self.outcome}, {self.n_units} units "
            f"({self.n_treated} treated, {self.n_control} never treated)"
        ]
        for kind in AGGREGATIONS:
            est = self.aggregate(kind)
            lines.append(
                f"  {kind:<9} {est.value:.4f}  ({est.std_error:.4f})   "
                f"[{est.ci_low:.4f}, {est.ci_high:.4f}]"
            )
        if self.pretrend_test is not None:
            lines.append(f"  {self.pretrend_test.summary()}")
        if self.n_dropped:
            lines.append(f"  {self.n_dropped} row(s) dropped ({self.extra['dropped']})")
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
        """Event-study figure of the dynamic aggregation (pointwise intervals)."""
        table = self.aggregate_table("dynamic")
        return _effects_figure(
            table["relative_period"].to_numpy(dtype=float),
            table["estimate"].to_numpy(dtype=float),
            table["ci_low"].to_numpy(dtype=float),
            table["ci_high"].to_numpy(dtype=float),
            reference=None,
            xlabel=xlabel,
            ylabel=ylabel,
            decimals=decimals,
        )


def callaway_santanna(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "never_treated",
    covariates: str | Sequence[str] | None = None,
    est_method: str = "dr",
    alpha: float = 0.05,
    bootstrap: bool = False,
    n_boot: int = 999,
    seed: int = 0,
) -> CallawaySantAnnaResult:
    """Staggered difference in differences of Callaway & Sant'Anna (2021), via moderndid.

    Estimates every group-time effect ATT(g, t) with moderndid's ``att_gt`` (a port of the
    R package ``did``), each from a 2x2 comparison of cohort ``g`` with the chosen controls
    against the period before treatment, so that already-treated units never serve as
    controls; :meth:`CallawaySantAnnaResult.aggregate` averages them (moderndid's
    ``aggte``). Standard errors are analytical, from the influence function (clustered by
    unit), so results are deterministic; with ``bootstrap=True`` they come from moderndid's
    multiplier bootstrap seeded by ``seed``. Intervals are pointwise and normal.

    Before calling moderndid, rows with missing values are dropped, then units treated in
    the first period (no pre-period: "always treated"), then units not observed in every
    period (the panel is balanced, as ``did`` does). With not-yet-treated controls and no
    never-treated unit, moderndid (as ``did``) also drops the periods from the last cohort's
    first treated period on. All are counted in ``n_dropped`` and detailed in
    ``extra["dropped"]``.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period (pandas; converted for moderndid).
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier (any labels) and numeric period columns.
    cohort : str
        First treated period of the unit, constant within unit; 0 for never-treated units
        (a cohort after the last period also counts as never treated, as in ``did``).
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units: the never treated, or also those not yet treated at ``t``.
    covariates : str or list of str, optional
        Pre-treatment covariates for conditional parallel trends (values of the base period
        are used).
    est_method : {"dr", "ipw", "reg"}
        Doubly robust (Sant'Anna & Zhao 2020), inverse probability weighting or outcome
        regression; without covariates the three coincide.
    alpha : float, default 0.05
        One minus the confidence level.
    bootstrap : bool, default False
        Multiplier bootstrap standard errors instead of analytical ones.
    n_boot : int, default 999
        Bootstrap draws (only with ``bootstrap=True``).
    seed : int, default 0
        Seed of the bootstrap (only with ``bootstrap=True``).

    Returns
    -------
    CallawaySantAnnaResult

    Examples
    --------
    >>> from moderndid import load_mpdta
    >>> mpdta = load_mpdta().to_pandas()
    >>> res = callaway_santanna(mpdta, outcome="lemp", unit="countyreal", time="year",
    ...                         cohort="first.treat")
    >>> round(res.aggregate("simple").value, 4)
    -0.04
    """
    covariates = as_list(covariates)
    if control_group not in CONTROL_GROUPS:
        raise InputError(
            f"unknown control_group {control_group!r}: choose one of {list(CONTROL_GROUPS)}"
        )
    if est_method not in EST_METHODS:
        raise InputError(f"unknown est_method {est_method!r}: choose one of {list(EST_METHODS)}")
    if int(n_boot) != n_boot or n_boot < 1:
        raise InputError(f"n_boot must be a positive integer, got {n_boot!r}")
    if int(seed) != seed:
        raise InputError(f"seed must be an integer, got {seed!r}")
    kept, n_missing, _ = _prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        roles={"cohort": cohort},
        cluster=None,
        covariates=covariates,
        alpha=alpha,
    )
    _check_cohorts(kept, cohort=cohort, unit=unit, time=time)
    periods = np.sort(kept[time].unique())
    first, last = periods[0], periods[-1]
    g = kept[cohort].to_numpy(dtype=float)
    never = (g == 0) | (g > last)
    if control_group == "never_treated" and not never.any():
        raise InputError(
            f"no never-treated unit (cohort 0 in {cohort!r}) to serve as controls with "
            "control_group='never_treated': use control_group='not_yet_treated'"
        )
    always = ~never & (g <= first)
    n_always_units = int(kept.loc[always, unit].nunique())
    kept = kept.loc[~always]
    counts = kept.groupby(unit)[time].transform("size")
    incomplete = (counts < len(periods)).to_numpy()
    n_incomplete_units = int(kept.loc[incomplete, unit].nunique())
    n_always_rows, n_incomplete_rows = int(always.sum()), int(incomplete.sum())
    kept = kept.loc[~incomplete]
    if kept.empty:
        raise InputError("no unit is observed in every period: the panel cannot be balanced")
    g = kept[cohort].to_numpy(dtype=float)
    never = (g == 0) | (g > last)
    if never.all():
        raise InputError(
            f"cohort column {cohort!r}: no unit is first treated after the first period, "
            "so no effect can be estimated"
        )
    if control_group == "never_treated" and not never.any():
        raise InputError(
            "no never-treated unit observed in every period: use control_group='not_yet_treated'"
        )

    frame = pd.DataFrame(
        {
            "y": kept[outcome].to_numpy(dtype=float),
            "id": pd.factorize(kept[unit])[0] + 1,
            "t": kept[time].to_numpy(),
            "g": np.where(never, 0, g),
        }
    )
    safe = [f"x{j}" for j in range(len(covariates))]
    for name, column in zip(safe, covariates, strict=True):
        frame[name] = kept[column].to_numpy(dtype=float)
    from moderndid import att_gt

    try:
        mp = att_gt(
            data=frame,
            yname="y",
            tname="t",
            idname="id",
            gname="g",
            xformla="~" + (" + ".join(safe) if safe else "1"),
            alp=alpha,
            cband=False,
            boot=bool(bootstrap),
            biters=int(n_boot),
            est_method=est_method,
            control_group=CONTROL_GROUPS[control_group],
            random_state=int(seed),
        )
    except ValueError as exc:  # moderndid's own refusals, e.g. groups too small
        raise InputError(f"moderndid could not estimate ATT(g, t): {exc}") from exc

    groups = np.asarray(mp.groups, dtype=float)
    times = np.asarray(mp.times, dtype=float)
    att = np.asarray(mp.att_gt, dtype=float)
    se = np.asarray(mp.se_gt, dtype=float)
    crit = critical_value(alpha)
    group_time = pd.DataFrame(
        {
            "cohort": groups,
            "time": times,
            "relative_period": times - groups,
            "att": att,
            "std_error": se,
            "ci_low": att - crit * se,
            "ci_high": att + crit * se,
            "post": times >= groups,
        }
    )
    pretrend = None
    if mp.wald_stat is not None:
        q = int(((groups > times) & np.isfinite(se)).sum())
        pretrend = WaldTest(
            statistic=float(mp.wald_stat),
            df=q,
            df_denominator=None,
            p_value=float(stats.chi2.sf(float(mp.wald_stat), q)),
            distribution="chi2",
            hypothesis="all pre-treatment ATT(g, t) are zero",
        )
    units = frame.drop_duplicates(subset=["id"])
    n_control = int((units["g"] == 0).sum())
    # Without never-treated units, moderndid (as R's did) keeps only the periods before the
    # last cohort is treated, that cohort serving as the last controls: count those rows.
    n_used = int(mp.estimation_params.get("n_obs", len(frame)))
    n_after_last = len(frame) - n_used
    return CallawaySantAnnaResult(
        group_time=group_time,
        pretrend_test=pretrend,
        outcome=outcome,
        cohort=cohort,
        control_group=control_group,
        est_method=est_method,
        covariates=covariates,
        alpha=alpha,
        bootstrap=bool(bootstrap),
        n_boot=int(n_boot),
        seed=int(seed),
        n=n_used,
        n_units=len(units),
        n_treated=len(units) - n_control,
        n_control=n_control,
        n_dropped=n_missing + n_always_rows + n_incomplete_rows + n_after_last,
        extra={
            "n_periods": len(periods),
            "dropped": {
                "missing_values_rows": n_missing,
                "always_treated_units": n_always_units,
                "always_treated_rows": n_always_rows,
                "unbalanced_units": n_incomplete_units,
                "unbalanced_rows": n_incomplete_rows,
                "after_last_cohort_rows": n_after_last,
            },
        },
        _mp=mp,
    )
