"""Staggered adoption: group-time effects of Callaway & Sant'Anna (2021) and their
aggregations (moderndid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate, wald_interval
from impactlib.core.result import Result
from impactlib.core.validation import (
    InputError,
    as_list,
    require_std_error,
)
from impactlib.did.panel import (
    AGGREGATIONS,
    CONTROL_GROUPS,
    ESTIMATORS,
    _check_cohorts,
    _power_of_two_scale,
    _prepare_panel,
)
from impactlib.did.sample import _balanced_sample, _check_options
from impactlib.did.wald import WaldTest, chi2_test

_TABLE_KEY = {"group": "cohort", "dynamic": "relative_period", "calendar": "time"}


# --- Callaway & Sant'Anna -----------------------------------------------------------------


def _effects_frame(key: str, keys: np.ndarray, value: np.ndarray, se: np.ndarray, alpha: float):
    """Effects with pointwise normal intervals, one row per ``keys`` (cohort, period...)."""
    ci_low, ci_high, p_value = wald_interval(value, se, alpha=alpha)
    return pd.DataFrame(
        {
            key: keys,
            "value": value,
            "std_error": se,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "p_value": p_value,
        }
    )


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare by identity
class CallawaySantAnnaResult(Result):
    """Group-time average effects ATT(g, t) and their aggregations (moderndid).

    The headline :attr:`estimate` is the simple aggregation (post-treatment ATT(g, t)
    weighted by cohort size); :meth:`estimates` gives the overall effect of each of the
    four aggregations by term (``"simple"``, ``"group"``, ``"dynamic"``, ``"calendar"``),
    :meth:`aggregate` one of them, :meth:`aggregate_table` their per-level effects.

    Attributes
    ----------
    group_time : DataFrame
        One row per cohort ``g`` and period ``t``: ``cohort``, ``time``, ``relative_period``,
        ``value`` (ATT(g, t)), ``std_error``, ``ci_low``, ``ci_high`` (pointwise),
        ``p_value``, ``post`` (t >= g). Pre-treatment rows are placebo effects (short
        differences, "varying" base period). ``std_error`` (and the interval and p-value)
        is NaN where moderndid finds no variation in a cell's influence function; the
        aggregations refuse the levels built on such cells rather than report them.
    pretrend_test : WaldTest or None
        moderndid's chi-square Wald pre-test that every pre-treatment ATT(g, t) is zero.
    n_periods : int
        Periods of the panel.
    dropped : dict of str to int
        Rows (and units) removed before estimation, by reason (see
        :func:`callaway_santanna`); the rows add up to ``n_dropped``.
    """

    group_time: pd.DataFrame
    pretrend_test: WaldTest | None
    outcome: str
    cohort: str
    control_group: str
    estimator: str
    covariates: list[str]
    alpha: float
    vcov: str
    n_resamples: int
    seed: int
    n: int
    n_units: int
    n_treated: int
    n_control: int
    n_dropped: int
    n_periods: int
    dropped: dict[str, int]
    _mp: Any = field(repr=False, compare=False)
    # moderndid's aggregations by kind: each is computed once (the bootstrap is seeded, so a
    # second computation would give the same numbers, only slower).
    _aggregated: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The largest absolute outcome, against which a standard error is judged rounding noise.
    _magnitude: float = field(default=0.0, repr=False, compare=False)
    # The power of two the outcome was divided by for moderndid (see _moderndid_frame).
    _scale: float = field(default=1.0, repr=False, compare=False)

    def _aggte(self, kind: str):
        if kind not in AGGREGATIONS:
            raise InputError(f"unknown aggregation {kind!r}: choose one of {list(AGGREGATIONS)}")
        if kind not in self._aggregated:
            from moderndid import aggte

            self._aggregated[kind] = aggte(
                self._mp,
                type=kind,
                boot=self.vcov == "bootstrap",
                biters=self.n_resamples,
                cband=False,
                alp=self.alpha,
                random_state=self.seed,
            )
        return self._aggregated[kind]

    @property
    def _se_label(self) -> str:
        if self.vcov == "bootstrap":
            return f"multiplier bootstrap ({self.n_resamples} draws, seed {self.seed})"
        return "analytical influence-function"

    @property
    def estimate(self) -> Estimate:
        """The simple aggregation: the headline of a staggered difference in differences."""
        return self.aggregate("simple")

    def estimates(self) -> dict[str, Estimate]:
        """The overall effect of each aggregation, by kind, the simple one (headline) first."""
        return {kind: self.aggregate(kind) for kind in AGGREGATIONS}

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
        extra: dict[str, Any] = {
            "aggregation": kind,
            "control_group": self.control_group,
            "estimator": self.estimator,
            "covariates": list(self.covariates),
            "vcov": self.vcov,
            "n_periods": self.n_periods,
            "dropped": dict(self.dropped),
        }
        if kind != "simple":
            extra["by"] = self._table(agg, kind).to_dict(orient="records")
        att, se = self._checked(agg, kind)
        return wald_estimate(
            att,
            se,
            alpha=self.alpha,
            n=self.n,
            method=(
                f"Callaway & Sant'Anna (2021) staggered DiD, {kind} aggregation "
                f"({ESTIMATORS[self.estimator]}, {self.control_group.replace('_', '-')} "
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
            extra=extra,
        )

    def _checked(self, agg, kind: str) -> tuple[float, float]:
        """The overall effect and standard error, in the outcome's units, or a refusal."""
        label = f"the {kind} aggregation of Callaway & Sant'Anna (moderndid)"
        att, se = float(agg.overall_att) * self._scale, float(agg.overall_se) * self._scale
        try:
            se = require_std_error(se, [self._magnitude], name=self.outcome, method=label)
            if not np.isfinite(att):
                raise InputError(f"{label} gives no finite effect for outcome {self.outcome!r}")
        except InputError as error:
            if not self.covariates:
                raise
            raise InputError(
                f"{error}; with covariates {self.covariates}, check that none is constant, "
                "collinear with the others or predicts the cohort perfectly"
            ) from error
        return att, se

    def _table(self, agg, kind: str) -> pd.DataFrame:
        """Per-level effects; refuses levels without a finite, positive standard error
        (moderndid, as R's did, gives NaN where the influence function vanishes)."""
        key = np.asarray(agg.event_times, dtype=float)
        key = key.astype(int) if np.all(key == np.round(key)) else key
        att = np.asarray(agg.att_by_event, dtype=float) * self._scale
        se = np.asarray(agg.se_by_event, dtype=float) * self._scale
        bad = ~(np.isfinite(att) & np.isfinite(se) & (se > 0))
        if bad.any():
            raise InputError(
                f"the {kind} aggregation of Callaway & Sant'Anna has no standard error for "
                f"{_TABLE_KEY[kind]} {key[bad].tolist()} of outcome {self.outcome!r} (moderndid "
                "gives NaN where the cells' influence functions vanish: e.g. one treated unit "
                "whose outcome does not change); a level without uncertainty cannot be reported"
            )
        return _effects_frame(_TABLE_KEY[kind], key, att, se, self.alpha)

    def aggregate_table(self, kind: str) -> pd.DataFrame:
        """Per-cohort (``"group"``), per-relative-period (``"dynamic"``) or per-period
        (``"calendar"``) effects with pointwise intervals: the key column (``cohort``,
        ``relative_period`` or ``time``), then ``value``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``."""
        if kind == "simple":
            raise InputError("the 'simple' aggregation has a single effect: use aggregate()")
        return self._table(self._aggte(kind), kind)

    def summary(self) -> str:
        """Overall effects of the four aggregations and the pre-test."""
        lines = [
            f"Callaway & Sant'Anna (2021): {self.outcome}, {self.n_units} units "
            f"({self.n_treated} treated, {self.n_control} never treated)"
        ]
        for kind, est in self.estimates().items():
            lines.append(
                f"  {kind:<9} {est.value:.4f}  ({est.std_error:.4f})   "
                f"[{est.ci_low:.4f}, {est.ci_high:.4f}]"
            )
        if self.pretrend_test is not None:
            lines.append(f"  {self.pretrend_test.summary()}")
        if self.n_dropped:
            lines.append(f"  {self.n_dropped} row(s) dropped ({self.dropped})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _moderndid_frame(
    kept: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str, covariates: list[str]
) -> pd.DataFrame:
    """Columns y, id (1..N), t, g (0 for never treated within the panel), x0, x1...

    moderndid's tolerances are absolute: an outcome or a covariate far from ordinary
    magnitudes is divided by a power of two (exact; see ``_power_of_two_scale``), the
    outcome's kept in ``attrs["scale"]`` to multiply effects and errors back. Effects do
    not depend on the scale of a covariate.
    """
    g = kept[cohort].to_numpy(dtype=float)
    y = kept[outcome].to_numpy(dtype=float)
    scale = _power_of_two_scale(float(np.abs(y).max()))
    frame = pd.DataFrame(
        {
            "y": y / scale,
            "id": pd.factorize(kept[unit])[0] + 1,
            "t": kept[time].to_numpy(),
            "g": np.where((g == 0) | (g > kept[time].max()), 0, g),
        }
    )
    for j, column in enumerate(covariates):
        x = kept[column].to_numpy(dtype=float)
        frame[f"x{j}"] = x / _power_of_two_scale(float(np.abs(x).max()))
    frame.attrs["scale"] = scale
    return frame


def _group_time(mp, alpha: float, scale: float) -> tuple[pd.DataFrame, WaldTest | None]:
    """The ATT(g, t) table (in the outcome's units) and moderndid's chi-square pre-test."""
    groups = np.asarray(mp.groups, dtype=float)
    times = np.asarray(mp.times, dtype=float)
    se = np.asarray(mp.se_gt, dtype=float) * scale
    att = np.asarray(mp.att_gt, dtype=float) * scale
    table = _effects_frame("cohort", groups, att, se, alpha)
    table.insert(1, "time", times)
    table.insert(2, "relative_period", times - groups)
    table["post"] = times >= groups
    if mp.wald_stat is None:
        return table, None
    return table, chi2_test(
        mp.wald_stat,
        int(((groups > times) & np.isfinite(se)).sum()),
        method="moderndid's Wald pre-test of the pre-treatment ATT(g, t), chi-square",
        hypothesis="all pre-treatment ATT(g, t) are zero",
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
    estimator: str = "dr",
    alpha: float = 0.05,
    vcov: str = "analytical",
    n_resamples: int = 999,
    seed: int = 0,
) -> CallawaySantAnnaResult:
    """Staggered difference in differences of Callaway & Sant'Anna (2021), via moderndid.

    Estimates every group-time effect ATT(g, t) with moderndid's ``att_gt`` (a port of the
    R package ``did``), each from a 2x2 comparison of cohort ``g`` with the chosen controls
    against the period before treatment, so that already-treated units never serve as
    controls; :meth:`CallawaySantAnnaResult.aggregate` averages them (moderndid's
    ``aggte``). Standard errors are analytical, from the influence function (clustered by
    unit), so results are deterministic; with ``vcov="bootstrap"`` they come from
    moderndid's multiplier bootstrap seeded by ``seed``. Intervals are pointwise and normal.

    Before calling moderndid, rows with missing values are dropped, then units treated in
    the first period (no pre-period: "always treated"), then units not observed in every
    period (the panel is balanced, as ``did`` does). With not-yet-treated controls and no
    never-treated unit, moderndid (as ``did``) also drops the periods from the last cohort's
    first treated period on. All are counted in ``n_dropped`` and detailed in
    ``dropped`` (and the estimates' ``extra["dropped"]``).

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
    estimator : {"dr", "ipw", "reg"}
        Doubly robust (Sant'Anna & Zhao 2020), inverse probability weighting or outcome
        regression; without covariates the three coincide.
    alpha : float, default 0.05
        One minus the confidence level.
    vcov : {"analytical", "bootstrap"}, default "analytical"
        Standard errors from the influence function, or from moderndid's multiplier
        bootstrap (clustered by unit either way).
    n_resamples : int, default 999
        Bootstrap draws (only with ``vcov="bootstrap"``).
    seed : int, default 0
        Seed of the bootstrap (only with ``vcov="bootstrap"``).

    Returns
    -------
    CallawaySantAnnaResult
        Its headline ``estimate`` is the simple aggregation.

    Examples
    --------
    >>> from moderndid import load_mpdta
    >>> mpdta = load_mpdta().to_pandas()
    >>> res = callaway_santanna(mpdta, outcome="lemp", unit="countyreal", time="year",
    ...                         cohort="first.treat")
    >>> round(res.estimate.value, 4), list(res.tidy().index)
    (-0.04, ['simple', 'group', 'dynamic', 'calendar'])
    """
    if not (covariates is None or isinstance(covariates, str | list | tuple)):
        raise InputError(
            f"covariates must be a column name or a list of them, got {type(covariates).__name__} "
            f"{covariates!r}"
        )
    covariates = as_list(covariates)
    _check_options(control_group, estimator, vcov, n_resamples, seed)
    kept, n_missing, _ = _prepare_panel(
        data, outcome, unit, time, roles={"cohort": cohort}, covariates=covariates, alpha=alpha
    )
    _check_cohorts(kept, cohort=cohort, unit=unit, time=time)
    n_periods = kept[time].nunique()
    kept, dropped = _balanced_sample(
        kept,
        unit=unit,
        time=time,
        cohort=cohort,
        control_group=control_group,
        n_covariates=len(covariates),
    )
    frame = _moderndid_frame(
        kept, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=covariates
    )
    from moderndid import att_gt

    try:
        mp = att_gt(
            data=frame,
            yname="y",
            tname="t",
            idname="id",
            gname="g",
            xformla="~" + (" + ".join(frame.columns[4:]) if covariates else "1"),
            alp=alpha,
            cband=False,
            boot=vcov == "bootstrap",
            biters=int(n_resamples),
            est_method=estimator,
            control_group=CONTROL_GROUPS[control_group],
            random_state=int(seed),
        )
    except ValueError as exc:  # moderndid's own refusals, e.g. groups too small
        raise InputError(f"moderndid could not estimate ATT(g, t): {exc}") from exc
    group_time, pretrend = _group_time(mp, alpha, frame.attrs["scale"])
    units = frame.drop_duplicates(subset=["id"])
    n_control = int((units["g"] == 0).sum())
    # Without never-treated units, moderndid (as R's did) keeps only the periods before the
    # last cohort is treated, that cohort serving as the last controls: count those rows.
    n_used = int(mp.estimation_params.get("n_obs", len(frame)))
    dropped = {"missing_values_rows": n_missing, **dropped}
    dropped["after_last_cohort_rows"] = len(frame) - n_used
    result = CallawaySantAnnaResult(
        group_time=group_time,
        pretrend_test=pretrend,
        outcome=outcome,
        cohort=cohort,
        control_group=control_group,
        estimator=estimator,
        covariates=covariates,
        alpha=alpha,
        vcov=vcov,
        n_resamples=int(n_resamples),
        seed=int(seed),
        n=n_used,
        n_units=len(units),
        n_treated=len(units) - n_control,
        n_control=n_control,
        n_dropped=sum(v for k, v in dropped.items() if k.endswith("_rows")),
        n_periods=n_periods,
        dropped=dropped,
        _mp=mp,
        _magnitude=float(np.abs(kept[outcome]).max()),
        _scale=frame.attrs["scale"],
    )
    result.aggregate("simple")  # refuse now, not when read, an effect without a standard error
    return result
