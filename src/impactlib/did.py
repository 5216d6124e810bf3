"""Difference-in-differences: the 2x2 design, two-way fixed effects, event studies and
staggered adoption (Callaway & Sant'Anna 2021).

Numerics are delegated: statsmodels fits the 2x2 regression and its cluster-robust
covariance, pyfixest absorbs the fixed effects of the two-way and event-study regressions
(CRV1 errors), moderndid computes the group-time effects of Callaway & Sant'Anna, their
aggregations and influence-function standard errors. This module adds the checks (one row
per unit and period, cohorts constant within units, never-treated units present...), the
accounting of dropped rows and the :class:`~impactlib.estimate.Estimate` records.

Conventions shared by the functions taking a ``cohort`` column: the cohort of a unit is the
period in which it is first treated, in the units of ``time``; **never-treated units have
cohort 0** (the convention of the R package ``did`` and of moderndid). A missing cohort is
refused rather than guessed, and a unit whose cohort lies after the last observed period is
not treated within the panel, so it counts as never treated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from impactlib.estimate import Estimate
from impactlib.inference import t_interval, z_interval
from impactlib.validation import (
    InputError,
    as_list,
    drop_missing,
    plain,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
    require_unique_unit_period,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AGGREGATIONS = ("simple", "group", "dynamic", "calendar")
CONTROL_GROUPS = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}
EST_METHODS = {"dr": "doubly robust", "ipw": "inverse probability weighting", "reg": "regression"}
_TABLE_KEY = {"group": "cohort", "dynamic": "relative_period", "calendar": "time"}


# --- shared checks -------------------------------------------------------------------------


def _require_constant_within(
    data: pd.DataFrame, column: str, by: str, *, role: str, hint: str = ""
) -> None:
    """Refuse a column that takes more than one value within a level of ``by``."""
    counts = data.groupby(by, sort=True)[column].nunique()
    varying = counts[counts > 1]
    if len(varying):
        level = plain(varying.index[0])
        values = sorted(pd.unique(data.loc[data[by] == level, column]).tolist())[:4]
        raise InputError(
            f"{role} column {column!r} changes within {by!r} = {level!r} (values {values}); "
            f"it must be constant there ({len(varying)} such level(s)){hint}"
        )


def _require_cluster(data: pd.DataFrame, cluster: str) -> int:
    n_clusters = int(data[cluster].nunique())
    if n_clusters < 2:
        raise InputError(f"cluster column {cluster!r} has a single cluster")
    return n_clusters


def _prepare_panel(
    data: object,
    *,
    outcome: str,
    unit: str,
    time: str,
    roles: dict[str, str],
    cluster: str | None,
    covariates: Sequence[str] = (),
    alpha: float,
) -> tuple[pd.DataFrame, int, str]:
    """Common checks; return the complete rows, how many were dropped, and the cluster."""
    frame = require_dataframe(data)
    require_probability(alpha, name="alpha")
    require_columns(frame, [outcome], role="outcome")
    require_columns(frame, [unit], role="unit")
    require_columns(frame, [time], role="time")
    for role, column in roles.items():
        require_columns(frame, [column], role=role)
    require_columns(frame, covariates, role="covariate")
    if cluster is not None:
        require_columns(frame, [cluster], role="cluster")
    named = [outcome, unit, time, *roles.values(), *covariates]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise InputError(f"column(s) {repeated} given for more than one role")
    require_unique_unit_period(frame, unit, time)
    if "cohort" in roles:
        _refuse_missing_cohort(frame, roles["cohort"])
    cluster = unit if cluster is None else cluster
    used = list(dict.fromkeys([*named, cluster]))
    kept, n_dropped = drop_missing(frame, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, list(covariates), role="covariate")
    return kept, n_dropped, cluster


def _refuse_missing_cohort(data: pd.DataFrame, cohort: str) -> None:
    """A missing cohort is ambiguous (never treated? unknown?): refuse it, never drop it."""
    n_missing = int(data[cohort].isna().sum())
    if n_missing:
        raise InputError(
            f"cohort column {cohort!r} has {n_missing} missing value(s): code never-treated "
            "units as 0 (the first treated period otherwise)"
        )


def _check_cohorts(data: pd.DataFrame, *, cohort: str, unit: str, time: str) -> None:
    """Validate the cohort column: numeric, >= 0, constant within units."""
    require_numeric(data, cohort, role="cohort")
    require_numeric(data, time, role="time")
    require_finite(data, [cohort, time], role="cohort or time")
    negative = data[cohort] < 0
    if negative.any():
        raise InputError(
            f"cohort column {cohort!r} has {int(negative.sum())} negative value(s): it holds "
            "the first treated period, or 0 for never-treated units"
        )
    _require_constant_within(
        data, cohort, unit, role="cohort", hint=": a unit is first treated once"
    )


# --- 2x2 --------------------------------------------------------------------------------


def did_2x2(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    post: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Canonical two-group, two-period difference in differences.

    OLS of the outcome on the group indicator, the period indicator and their product; the
    coefficient of the product is the DiD estimate, equal to
    ``(treated post - treated pre) - (control post - control pre)`` in cell means. Several
    periods on each side are pooled into "pre" and "post". The errors are cluster-robust
    (statsmodels' CR1, Stata's small-sample factor), by ``unit`` unless ``cluster`` says
    otherwise, and inference uses Student's t with ``G - 1`` degrees of freedom.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier and period columns; a unit may appear once per period.
    treated : str
        Binary group indicator, constant within each unit (1 = treated group).
    post : str
        Binary period indicator, constant within each period (1 = after the treatment).
    cluster : str, optional
        Column of clusters for the standard errors; defaults to ``unit``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``estimand`` is the ATT; ``n_treated`` and ``n_control`` count units; ``n_dropped``
        counts rows removed for missing values; ``extra`` holds the four cell means.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "id": [1, 1, 2, 2, 3, 3, 4, 4], "year": [0, 1] * 4,
    ...     "y": [1.0, 2.0, 1.5, 2.5, 1.0, 4.0, 2.0, 5.2],
    ...     "g": [0, 0, 0, 0, 1, 1, 1, 1], "after": [0, 1] * 4})
    >>> est = did_2x2(df, outcome="y", unit="id", time="year", treated="g", post="after")
    >>> round(est.value, 2)
    2.1
    """
    kept, n_dropped, cluster = _prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        roles={"treated": treated, "post": post},
        cluster=cluster,
        alpha=alpha,
    )
    if kept[post].nunique() < 2:
        raise InputError(
            f"post column {post!r} never varies: the design needs periods before and after"
        )
    d = require_binary(kept, treated, role="treated")
    p = require_binary(kept, post, role="post")
    _require_constant_within(
        kept,
        treated,
        unit,
        role="treated",
        hint=": it marks the group; use twfe() for a treatment that switches on",
    )
    _require_constant_within(kept, post, time, role="post")
    cells = {(g, q): (d == g) & (p == q) for g in (0, 1) for q in (0, 1)}  # (treated, post) -> rows
    names = {(1, 1): "treated_post", (1, 0): "treated_pre", (0, 1): "control_post"}
    names[(0, 0)] = "control_pre"
    empty = [names[key] for key, rows in cells.items() if not rows.any()]
    if empty:
        raise InputError(f"no observation in cell(s) {empty}: every group needs both periods")
    n_clusters = _require_cluster(kept, cluster)

    y = kept[outcome].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(y), d, p, d * p]).astype(float)
    groups = pd.factorize(kept[cluster])[0]
    fit = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    value, se = float(fit.params[3]), float(fit.bse[3])
    df = float(n_clusters - 1)
    ci_low, ci_high, p_value = t_interval(value, se, df, alpha)
    units = kept.drop_duplicates(subset=[unit])
    n_treated = int(units[treated].astype(int).sum())
    return Estimate(
        value=value,
        std_error=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n=len(y),
        method=f"Difference in differences (2x2 OLS), CR1 cluster-robust errors by {cluster!r}",
        outcome=outcome,
        treatment=treated,
        design="did",
        estimand="ATT",
        n_treated=n_treated,
        n_control=len(units) - n_treated,
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        alpha=alpha,
        extra={
            "df": df,
            "cluster": cluster,
            "post": post,
            "cell_means": {names[k]: float(y[rows].mean()) for k, rows in cells.items()},
        },
    )


# --- two-way fixed effects ----------------------------------------------------------------


def _feols(frame: pd.DataFrame, regressors: list[str]):
    """Fit ``y ~ regressors | unit + time`` with CRV1 errors by ``cluster`` (pyfixest).

    Returns None when every regressor is absorbed by the fixed effects. The callers read
    ``_coefnames``, ``_N``, ``_G`` and ``_vcov`` of the fit (pyfixest 0.60 has no public
    accessor for the rows used and the cluster count); the tests pin their meaning.
    """
    import pyfixest as pf  # imported here: heavy, and only these estimators need it

    formula = f"y ~ {' + '.join(regressors)} | unit + time"
    try:
        return pf.feols(formula, data=frame, vcov={"CRV1": "cluster"})
    except ValueError as exc:
        if "collinear" not in str(exc):
            raise
        return None  # every regressor is absorbed by the fixed effects


def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Two-way fixed effects regression of the outcome on a binary treatment.

    Fits ``outcome ~ treatment | unit + time`` with pyfixest (``feols``) and CRV1
    cluster-robust errors, by ``unit`` unless ``cluster`` says otherwise; intervals use
    Student's t with ``G - 1`` degrees of freedom, as pyfixest and fixest do. Units observed
    once (singletons) are removed by pyfixest and counted in ``n_dropped``.

    .. warning::
       With staggered adoption and effects that vary across cohorts or over time since
       treatment, the TWFE coefficient is a weighted average of 2x2 comparisons, some of
       which use already-treated units as controls, with weights that can be negative: it
       can be far from any average treatment effect, even of the wrong sign
       (Goodman-Bacon 2021, J. Econometrics 225(2); de Chaisemartin & D'Haultfoeuille 2020,
       AER 110(9)). It is unbiased for a common, constant effect or a single adoption date.
       With staggered adoption use :func:`callaway_santanna`.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier and period columns (any labels: they become fixed effects).
    treatment : str
        Binary treatment status of the unit in the period (0/1 or boolean).
    cluster : str, optional
        Column of clusters for the standard errors; defaults to ``unit``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``n_treated`` counts units treated at least once, ``n_control`` the others.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> unit, year = np.repeat(np.arange(40), 4), np.tile(np.arange(4), 40)
    >>> d = ((unit < 20) & (year >= 2)).astype(int)
    >>> y = unit * 0.1 + year + 2.0 * d + rng.normal(scale=0.1, size=160)
    >>> df = pd.DataFrame({"y": y, "id": unit, "year": year, "d": d})
    >>> est = twfe(df, outcome="y", unit="id", time="year", treatment="d")
    >>> bool(est.ci_low < 2.0 < est.ci_high), est.n_treated, est.n_clusters
    (True, 20, 40)
    """
    kept, n_missing, cluster = _prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        roles={"treatment": treatment},
        cluster=cluster,
        alpha=alpha,
    )
    d = require_binary(kept, treatment)
    n_clusters_in = _require_cluster(kept, cluster)
    frame = pd.DataFrame(
        {
            "y": kept[outcome].to_numpy(dtype=float),
            "d": d.astype(float),
            "unit": pd.factorize(kept[unit])[0],
            "time": pd.factorize(kept[time])[0],
            "cluster": pd.factorize(kept[cluster])[0],
        }
    )
    fit = _feols(frame, ["d"])
    if fit is None or "d" not in list(fit._coefnames):
        raise InputError(
            f"treatment column {treatment!r} is collinear with the unit and time fixed "
            "effects (no unit changes status, or all change at once): TWFE cannot estimate it"
        )
    value, se = float(fit.coef()["d"]), float(fit.se()["d"])
    n_used = int(fit._N)
    n_clusters = int(np.min(fit._G)) if fit._G is not None else n_clusters_in
    df = float(n_clusters - 1)
    ci_low, ci_high, p_value = t_interval(value, se, df, alpha)
    ever = frame.groupby("unit")["d"].max()
    return Estimate(
        value=value,
        std_error=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        n=n_used,
        method=(
            "Two-way fixed effects (pyfixest feols, unit and time effects), "
            f"CRV1 cluster-robust errors by {cluster!r}"
        ),
        outcome=outcome,
        treatment=treatment,
        design="did",
        estimand="ATT (TWFE-weighted)",
        n_treated=int((ever > 0).sum()),
        n_control=int((ever == 0).sum()),
        n_clusters=n_clusters,
        n_dropped=n_missing + len(frame) - n_used,
        alpha=alpha,
        extra={"df": df, "cluster": cluster, "n_singletons": len(frame) - n_used},
    )


# --- event study ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero.

    ``statistic`` is F (Wald / ``df``, compared with F(``df``, ``df_denominator``)) or the
    chi-square Wald statistic (``df_denominator`` is then None).
    """

    statistic: float
    df: int
    df_denominator: float | None
    p_value: float
    distribution: str
    hypothesis: str = ""

    def summary(self) -> str:
        dof = f"{self.df}" + (
            f", {self.df_denominator:g}" if self.df_denominator is not None else ""
        )
        return (
            f"{self.hypothesis}: {self.distribution}({dof}) = {self.statistic:.4f}, "
            f"p-value {self.p_value:.4g}"
        )


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

    from impactlib.report import PALETTE, french_axis

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


def _require_whole(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        values = data[column].to_numpy(dtype=float)
        if not np.all(values == np.round(values)):
            raise InputError(
                f"column {column!r} must hold whole numbers (periods) for relative periods"
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
        ci_low, ci_high, p_value = t_interval(value, std, df, alpha)
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
        ci_low, ci_high, p_value = z_interval(value, se, self.alpha)
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
            design="did",
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
        crit = stats.norm.ppf(1 - self.alpha / 2)
        key = np.asarray(agg.event_times, dtype=float)
        return pd.DataFrame(
            {
                _TABLE_KEY[kind]: key.astype(int) if np.all(key == np.round(key)) else key,
                "estimate": value,
                "std_error": se,
                "ci_low": value - crit * se,
                "ci_high": value + crit * se,
                "p_value": 2 * stats.norm.sf(np.abs(value / se)),
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
    crit = stats.norm.ppf(1 - alpha / 2)
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
