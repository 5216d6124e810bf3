"""Randomised designs: difference in means, covariate and block adjustment, clustering,
randomisation inference, balance, attrition, power and minimum detectable effects.

Numerics are delegated to statsmodels (OLS with robust covariance estimators, Wald
tests) and scipy (normal quantiles); this module adds the checks, the Lin (2013) design
matrix, the stratified estimator, a vectorised randomisation-inference engine and the
:class:`~impactlib.estimate.Estimate` record. Multiple-testing corrections live in
:mod:`impactlib.multiple` and are re-exported here (:func:`adjust_pvalues`).
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from impactlib.estimate import Estimate
from impactlib.multiple import adjust_pvalues
from impactlib.validation import (
    InputError,
    as_list,
    drop_missing,
    is_real,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
    require_probability,
)

__all__ = [
    "JointBalanceTest",
    "RandomizationInference",
    "adjust_pvalues",
    "attrition",
    "balance_table",
    "difference_in_means",
    "joint_balance_test",
    "minimum_detectable_effect",
    "randomization_inference",
    "sample_size",
]


def _stratum_codes(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes 0..B-1 in sorted order of the labels (row-order invariant)."""
    codes, labels = pd.factorize(values, sort=True)
    return codes, list(labels)


def _check_strata_arms(
    t: np.ndarray,
    codes: np.ndarray,
    labels: list[Any],
    *,
    strata: str,
    minimum: int,
    unit: str = "unit",
) -> None:
    """Each stratum needs ``minimum`` treated and ``minimum`` control units."""
    treated = np.bincount(codes, weights=t, minlength=len(labels)).astype(int)
    total = np.bincount(codes, minlength=len(labels))
    control = total - treated
    short = [
        f"{labels[b]!r} ({treated[b]} treated, {control[b]} control)"
        for b in range(len(labels))
        if min(treated[b], control[b]) < minimum
    ]
    if short:
        shown = ", ".join(short[:5]) + (" ..." if len(short) > 5 else "")
        raise InputError(
            f"strata column {strata!r}: each stratum needs at least {minimum} treated and "
            f"{minimum} control {unit}(s); too few in {len(short)} stratum/strata: {shown}"
        )


# --- difference in means ---------------------------------------------------------------


def difference_in_means(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    covariates: str | Sequence[str] | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Average treatment effect in a randomised experiment.

    Without covariates this is the difference of the group means with the Neyman
    (conservative) standard error, computed as OLS of the outcome on the treatment with
    HC2 errors, which equals it exactly. With ``covariates`` it is Lin's (2013) fully
    interacted regression adjustment: the outcome on the treatment, the covariates centred
    at their sample means and their interactions with the treatment, with HC2 errors; the
    treatment coefficient is then the ATE and is never less precise asymptotically than the
    unadjusted estimate. With ``cluster`` the errors are cluster-robust (statsmodels' CR1,
    Stata's small-sample correction) and inference uses ``G - 1`` degrees of freedom.
    Intervals and p-values use Student's t with the residual degrees of freedom, as R's
    ``estimatr::lm_robust`` does.

    With ``strata`` (a block-randomised design) the estimate is the stratum-size-weighted
    average of the within-stratum differences in means, ``sum_b (N_b / N) * tau_b``, with
    the Neyman variance ``sum_b (N_b / N)^2 * (s2_1b / n_1b + s2_0b / n_0b)`` (Imbens &
    Rubin 2015, ch. 9, "stratified randomized experiments"). It is computed as the Lin
    regression with the centred stratum indicators as the covariates (the treatment
    interacted with every stratum): the treatment coefficient and its HC2 variance equal
    those two formulas exactly, and the residual degrees of freedom are ``n - 2B``. Each
    stratum needs at least two treated and two control units. With ``covariates`` *and*
    ``strata`` both sets enter the same Lin regression (the stratum indicators are extra
    centred covariates, every one interacted with the treatment): the estimand is still the
    ATE, the covariate slopes are common to all strata within each arm, and the estimate is
    the block-weighted difference corrected for the covariates. With ``cluster`` and
    ``strata`` the clusters should be nested in the strata; the errors are CR1.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Binary (0/1 or boolean) treatment column.
    covariates : str or list of str, optional
        Pre-treatment covariates for the Lin adjustment.
    cluster : str, optional
        Column identifying the unit of randomisation when it is a group.
    strata : str, optional
        Column identifying the randomisation blocks (strata).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``value`` is the estimated ATE; ``n_dropped`` counts rows removed for missing values.
        With ``strata``, ``extra`` also holds ``strata`` and ``n_strata``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0], "t": [0, 0, 0, 1, 1, 1]})
    >>> est = difference_in_means(df, outcome="y", treatment="t")
    >>> round(est.value, 4), round(est.std_error, 4)
    (4.0, 1.291)
    >>> blocks = pd.DataFrame({"y": [1.0, 2.0, 4.0, 5.0, 10.0, 11.0, 15.0, 17.0],
    ...                        "t": [0, 0, 1, 1, 0, 0, 1, 1], "b": [1, 1, 1, 1, 2, 2, 2, 2]})
    >>> round(difference_in_means(blocks, "y", "t", strata="b").value, 4)  # (3 + 5.5) / 2
    4.25
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_probability(alpha, name="alpha")
    require_columns(data, [outcome], role="outcome")
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    if cluster is not None:
        require_columns(data, [cluster], role="cluster")
    if strata is not None:
        require_columns(data, [strata], role="strata")
    overlap = {outcome, treatment} & set(covariates)
    if overlap:
        raise InputError(f"covariate(s) {sorted(overlap)} also used as outcome or treatment")
    if strata is not None and strata in {outcome, treatment}:
        raise InputError(f"strata column {strata!r} is also used as outcome or treatment")

    used = [outcome, treatment, *covariates, *([cluster] if cluster else [])]
    used += [strata] if strata is not None else []
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, covariates, role="covariate")
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is no effect to estimate")
    t = require_binary(kept, treatment)
    n_treated, n_control = int(t.sum()), int(len(t) - t.sum())

    dummies = np.empty((len(t), 0))
    n_strata = None
    if strata is not None:
        codes, labels = _stratum_codes(kept[strata])
        n_strata = len(labels)
        _check_strata_arms(t, codes, labels, strata=strata, minimum=2)
        dummies = (codes[:, None] == np.arange(1, n_strata)[None, :]).astype(float)

    # Each arm fits its own regression in the Lin adjustment: with k covariates it needs
    # more than k + 1 units, or its residuals are all zero and HC2 ignores its variance.
    needed = len(covariates) + dummies.shape[1] + 2
    if min(n_treated, n_control) < needed:
        extra_terms = f" and {dummies.shape[1]} stratum indicator(s)" if strata else ""
        raise InputError(
            f"treatment column {treatment!r}: each group needs at least {needed} units "
            f"with {len(covariates)} covariate(s){extra_terms} "
            f"(treated {n_treated}, control {n_control})"
        )

    y = kept[outcome].to_numpy(dtype=float)
    columns = [np.ones_like(y), t.astype(float)]
    x = dummies
    if covariates:
        raw = kept[covariates].to_numpy(dtype=float)
        constant = [c for c, sd in zip(covariates, raw.std(axis=0), strict=True) if sd == 0]
        if constant:
            raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
        x = np.column_stack([raw, dummies])
    if x.shape[1]:
        centred = x - x.mean(axis=0)
        columns += [*centred.T, *(centred * t[:, None]).T]
    design = np.column_stack(columns)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        where = " and the strata" if strata else ""
        raise InputError(
            f"covariates {covariates}{where} are collinear (with each other or within a "
            "treatment arm): drop redundant ones"
        )

    model = sm.OLS(y, design)
    if cluster is None:
        fit = model.fit(cov_type="HC2", use_t=True)
        df = float(fit.df_resid)
        n_clusters = None
        variance = "HC2 (Neyman)" if not covariates else "HC2"
    else:
        groups = pd.factorize(kept[cluster])[0]
        n_clusters = int(groups.max() + 1)
        if n_clusters < 2:
            raise InputError(f"cluster column {cluster!r} has a single cluster")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df = float(n_clusters - 1)
        variance = "CR1 cluster-robust"

    value, se = float(fit.params[1]), float(fit.bse[1])
    crit = stats.t.ppf(1 - alpha / 2, df)
    p_value = float(2 * stats.t.sf(abs(value / se), df)) if se > 0 else None
    if covariates:
        label = "Lin (2013) interacted regression adjustment"
        label += " with stratum indicators" if strata else ""
    elif strata:
        label = "Difference in means within strata (stratum-size weighted)"
    else:
        label = "Difference in means"
    method = f"{label}, {variance} standard errors"
    extra: dict[str, Any] = {"df": df, "covariates": covariates, "cluster": cluster}
    if strata is not None:
        extra.update(strata=strata, n_strata=n_strata)
    return Estimate(
        value=value,
        std_error=se,
        ci_low=value - crit * se,
        ci_high=value + crit * se,
        p_value=p_value,
        n=len(y),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design="rct",
        estimand="ATE",
        n_treated=n_treated,
        n_control=n_control,
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        alpha=alpha,
        extra=extra,
    )


# --- randomisation inference -------------------------------------------------------------

_RI_STATISTICS = ("difference_in_means", "studentized")
_ALTERNATIVES = ("two-sided", "greater", "less")
_TABLE_MAX = 4096  # strata with at most this many assignments are drawn from a table
_BERNOULLI_MIN = 1024  # strata with at least this many units: Bernoulli draws, exact fix-up
_CELLS = 500_000  # draws x randomisation units per batch (cache-sized)


@dataclass(frozen=True)
class RandomizationInference:
    """Result of :func:`randomization_inference`: a p-value for the sharp null of no effect.

    Attributes
    ----------
    statistic : str
        Test statistic (``"difference_in_means"`` or ``"studentized"``).
    observed : float
        Its value on the observed assignment.
    p_value : float
        Share of assignments whose statistic is at least as extreme as ``observed``.
    method : str
        ``"exact"`` (every assignment enumerated) or ``"monte carlo"``.
    n_draws : int
        Assignments evaluated: all of them when exact, the random draws otherwise.
    log10_assignments : float
        log10 of the number of distinct assignments the design allows.
    alternative, outcome, treatment, strata, cluster, seed, n, n_dropped
        What was tested, on how many rows, with which seed.
    null_distribution : ndarray
        The statistic under each enumerated or drawn assignment (not in :meth:`to_dict`).
    """

    statistic: str
    observed: float
    p_value: float
    method: str
    n_draws: int
    log10_assignments: float
    alternative: str
    outcome: str
    treatment: str
    n: int
    n_dropped: int = 0
    strata: str | None = None
    cluster: str | None = None
    seed: int | None = None
    null_distribution: np.ndarray = field(
        default_factory=lambda: np.empty(0), repr=False, compare=False
    )

    def to_dict(self) -> dict[str, Any]:
        """Every field but the null distribution, as plain Python values."""
        return {
            "statistic": self.statistic,
            "observed": float(self.observed),
            "p_value": float(self.p_value),
            "method": self.method,
            "n_draws": int(self.n_draws),
            "log10_assignments": float(self.log10_assignments),
            "alternative": self.alternative,
            "outcome": self.outcome,
            "treatment": self.treatment,
            "n": int(self.n),
            "n_dropped": int(self.n_dropped),
            "strata": self.strata,
            "cluster": self.cluster,
            "seed": self.seed,
        }

    def summary(self) -> str:
        """A short plain-text summary for people."""
        design = []
        if self.strata:
            design.append(f"within strata {self.strata!r}")
        if self.cluster:
            design.append(f"clusters {self.cluster!r} permuted")
        how = (
            f"exact, all {self.n_draws} assignments"
            if self.method == "exact"
            else f"Monte Carlo, {self.n_draws} draws, seed {self.seed}"
        )
        lines = [
            "Randomisation inference (sharp null of no effect)",
            f"  outcome: {self.outcome}   treatment: {self.treatment}"
            + (f"   ({', '.join(design)})" if design else ""),
            f"  statistic: {self.statistic} = {self.observed:.4f}",
            f"  p-value ({self.alternative}): {self.p_value:.4g}   [{how}]",
            f"  n = {self.n}" + (f"; {self.n_dropped} row(s) dropped" if self.n_dropped else ""),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def attach(self, estimate: Estimate) -> Estimate:
        """Return ``estimate`` with this p-value recorded in ``extra``.

        The Neyman p-value in ``estimate.p_value`` is kept; the randomisation p-value goes to
        ``extra["ri_p_value"]`` with ``ri_method``, ``ri_draws``, ``ri_statistic`` and
        ``ri_alternative``.
        """
        if estimate.outcome != self.outcome or (
            estimate.treatment and estimate.treatment != self.treatment
        ):
            raise InputError(
                f"estimate is for outcome {estimate.outcome!r} / treatment "
                f"{estimate.treatment!r}, the test for {self.outcome!r} / {self.treatment!r}"
            )
        extra = {
            **estimate.extra,
            "ri_p_value": float(self.p_value),
            "ri_method": self.method,
            "ri_draws": int(self.n_draws),
            "ri_statistic": self.statistic,
            "ri_alternative": self.alternative,
        }
        return replace(estimate, extra=extra)


@dataclass
class _Blocks:
    """Randomisation units grouped by stratum.

    ``units[b]`` holds, for each randomisation unit of stratum ``b`` (a row, or a cluster),
    the sum of the outcome, the number of rows and the sum of squared outcomes; ``assigned``
    the observed treatment of each unit; ``k`` the number of treated units per stratum.
    """

    units: list[np.ndarray]
    assigned: list[np.ndarray]
    k: np.ndarray
    totals: np.ndarray  # (B, 3)
    weights: np.ndarray  # (B,) share of rows in each stratum

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(u) for u in self.units])


def _log10_comb(n: int, k: int) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(10)


def _assignment_table(units: np.ndarray, k: int) -> np.ndarray:
    """Sums of ``units`` over the treated set, for every assignment of ``k`` treated units.

    Rows follow :func:`itertools.combinations` order. When ``k`` is more than half the
    units the controls are enumerated instead (the same sets, fewer indices).
    """
    n = len(units)
    pick = min(k, n - k)
    count = math.comb(n, pick)
    if pick == 0:
        chosen = np.zeros((1, 0), dtype=np.intp)
    else:
        flat = itertools.chain.from_iterable(itertools.combinations(range(n), pick))
        chosen = np.fromiter(flat, dtype=np.intp, count=count * pick).reshape(count, pick)
    sums = units[chosen].sum(axis=1)
    return sums if pick == k else units.sum(axis=0) - sums


def _fix_counts(
    rng: np.random.Generator,
    mask: np.ndarray,
    counts: np.ndarray,
    sums: np.ndarray,
    units: np.ndarray,
    k: int,
) -> None:
    """Turn Bernoulli draws into draws of exactly ``k`` treated units, in place.

    A row with ``m > k`` treated units loses ``m - k`` of them chosen uniformly among its
    treated, a row with ``m < k`` gains ``k - m`` chosen uniformly among its controls.
    Conditional on ``m`` a Bernoulli draw is a uniform ``m``-subset, so the result is a
    uniform ``k``-subset: the draw of a completely randomised experiment. The units to move
    are the first eligible ones in a uniformly random sequence of distinct positions; a row
    whose sequence runs short starts again with a fresh one.
    """
    n = mask.shape[1]
    for row in np.flatnonzero(counts != k):
        surplus = int(counts[row]) - k
        remove = surplus > 0
        need = abs(surplus)
        pool = counts[row] if remove else n - counts[row]
        length = min(n, int(1.5 * need * n / pool) + 16)
        while True:
            pos = rng.choice(n, size=length, replace=False)
            pos = pos[mask[row, pos] == remove]
            if len(pos) >= need:
                break
        moved = units[pos[:need]].sum(axis=0)
        sums[row] += -moved if remove else moved


def _bernoulli_sums(
    rng: np.random.Generator,
    units: np.ndarray,
    columns: np.ndarray,
    k: int,
    draws: int,
    fields: Sequence[int],
    buffer: np.ndarray,
) -> np.ndarray:
    """Treated sums for ``draws`` complete randomisations of a large stratum.

    Each unit is first treated with probability ``threshold / 256`` (one random byte per
    unit, compared with the threshold), the sums are matrix-vector products, then
    :func:`_fix_counts` makes the number treated exactly ``k``. ``columns`` is ``units``
    transposed (contiguous rows for the products); only ``fields`` are summed (the others
    are meaningless, except the count, filled in when every unit is one row); ``buffer``
    holds the 0/1 matrix.
    """
    n = len(units)
    threshold = min(255, max(1, round(256 * k / n)))
    raw = rng.bit_generator.random_raw(-(-draws * n // 8)).view(np.uint8)[: draws * n]
    mask = raw.reshape(draws, n) < threshold
    z = buffer[: draws * n].reshape(draws, n)
    np.copyto(z, mask)
    sums = np.zeros((draws, 3))
    for f in fields:
        sums[:, f] = z @ columns[f]
    counts = np.rint(sums[:, 1] if 1 in fields else z @ columns[1]).astype(np.int64)
    if 1 not in fields:  # one row per unit: the count is the number treated
        sums[:, 1] = counts
    _fix_counts(rng, mask, counts, sums, units, k)
    return sums


class _Sampler:
    """Draws treated sums per stratum, ``(draws, B, 3)``, for complete randomisation
    within each stratum. Three exact regimes, chosen per stratum by its size: a lookup in
    the table of all assignments (small strata, e.g. pairs), ``Generator.permuted`` on the
    observed assignment (medium strata, grouped by size) and Bernoulli draws with an exact
    fix-up of the count (large strata: one pass over random bytes and a matrix product).
    """

    def __init__(self, blocks: _Blocks, statistic: str):
        self.blocks = blocks
        sizes = blocks.sizes
        log_counts = [_log10_comb(int(n), int(k)) for n, k in zip(sizes, blocks.k, strict=True)]
        limit = math.log10(_TABLE_MAX) + 1e-9
        self.table_ids = [b for b, lc in enumerate(log_counts) if lc <= limit]
        rest = [b for b in range(len(sizes)) if log_counts[b] > limit]
        self.large_ids = [b for b in rest if sizes[b] >= _BERNOULLI_MIN]
        medium = [b for b in rest if sizes[b] < _BERNOULLI_MIN]
        self.medium_groups: list[tuple[list[int], np.ndarray, np.ndarray]] = []
        for size in sorted({int(sizes[b]) for b in medium}):
            ids = [b for b in medium if sizes[b] == size]
            assigned = np.stack([blocks.assigned[b] for b in ids]).astype(float)
            units = np.stack([blocks.units[b] for b in ids])
            self.medium_groups.append((ids, assigned, units))
        if self.table_ids:
            tables = [_assignment_table(blocks.units[b], int(blocks.k[b])) for b in self.table_ids]
            self.table_counts = np.array([len(tb) for tb in tables])
            self.table_offsets = np.concatenate([[0], np.cumsum(self.table_counts)[:-1]])
            self.table_flat = np.concatenate(tables)
        one_row_each = all((u[:, 1] == 1).all() for u in blocks.units)
        self.fields = [
            0,
            *([] if one_row_each else [1]),
            *([2] if statistic == "studentized" else []),
        ]
        self.batch = max(1, _CELLS // int(sizes.sum()))
        self.columns = {b: np.ascontiguousarray(blocks.units[b].T) for b in self.large_ids}
        largest = max((int(sizes[b]) for b in self.large_ids), default=0)
        self.buffer = np.empty(self.batch * largest)

    def draw(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        out = np.empty((draws, len(self.blocks.units), 3))
        if self.table_ids:
            index = rng.integers(0, self.table_counts, size=(draws, len(self.table_ids)))
            out[:, self.table_ids, :] = self.table_flat[self.table_offsets + index]
        for ids, assigned, units in self.medium_groups:
            shuffled = np.broadcast_to(assigned, (draws, *assigned.shape)).copy()
            rng.permuted(shuffled, axis=2, out=shuffled)
            out[:, ids, :] = np.einsum("dbs,bsf->dbf", shuffled, units)
        for b in self.large_ids:
            out[:, b, :] = _bernoulli_sums(
                rng,
                self.blocks.units[b],
                self.columns[b],
                int(self.blocks.k[b]),
                draws,
                self.fields,
                self.buffer,
            )
        return out


def _ri_statistic(kind: str, treated: np.ndarray, blocks: _Blocks) -> np.ndarray:
    """Statistic for each row of per-stratum treated sums ``(draws, B, 3)``."""
    s1, n1, q1 = treated[..., 0], treated[..., 1], treated[..., 2]
    total_s, total_n, total_q = blocks.totals.T
    s0, n0, q0 = total_s - s1, total_n - n1, total_q - q1
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (s1 / n1 - s0 / n0) @ blocks.weights
        if kind == "difference_in_means":
            return value
        v1 = np.maximum(q1 - s1**2 / n1, 0.0) / (n1 - 1)
        v0 = np.maximum(q0 - s0**2 / n0, 0.0) / (n0 - 1)
        se = np.sqrt((v1 / n1 + v0 / n0) @ blocks.weights**2)
        ratio = value / se
    # A zero variance with a zero difference is no evidence either way.
    return np.where(np.isnan(ratio), 0.0, ratio)


def _ri_blocks(
    kept: pd.DataFrame,
    outcome: str,
    t: np.ndarray,
    strata: str | None,
    cluster: str | None,
    treatment: str,
    minimum: int,
) -> _Blocks:
    y = kept[outcome].to_numpy(dtype=float)
    if strata is not None:
        codes, labels = _stratum_codes(kept[strata])
    else:
        codes, labels = np.zeros(len(y), dtype=int), [None]
    # Centre within strata: neither statistic changes, the sums of squares stay accurate.
    means = np.bincount(codes, weights=y) / np.bincount(codes)
    y = y - means[codes]
    if cluster is not None:
        unit, _ = pd.factorize(kept[cluster])
        n_units = int(unit.max() + 1)
        low = np.full(n_units, 2)
        np.minimum.at(low, unit, t)
        high = np.zeros(n_units, dtype=int)
        np.maximum.at(high, unit, t)
        if (low != high).any():
            raise InputError(
                f"treatment column {treatment!r} varies within {int((low != high).sum())} "
                f"cluster(s) of {cluster!r}: clusters must be assigned as a whole"
            )
        unit_stratum = np.full(n_units, -1)
        unit_stratum[unit] = codes
        if (unit_stratum[unit] != codes).any():
            raise InputError(
                f"cluster column {cluster!r}: some clusters span several strata of "
                f"{strata!r}; clusters must be nested in strata"
            )
        unit_t = high
    else:
        unit, n_units = np.arange(len(y)), len(y)
        unit_stratum, unit_t = codes, t
    sums = np.column_stack(
        [
            np.bincount(unit, weights=y, minlength=n_units),
            np.bincount(unit, minlength=n_units).astype(float),
            np.bincount(unit, weights=y * y, minlength=n_units),
        ]
    )
    if strata is not None:
        _check_strata_arms(
            unit_t,
            unit_stratum,
            labels,
            strata=strata,
            minimum=minimum,
            unit="cluster" if cluster else "unit",
        )
    else:
        n1 = int(unit_t.sum())
        if min(n1, n_units - n1) < minimum:
            what = "clusters" if cluster else "units"
            raise InputError(
                f"treatment column {treatment!r}: each arm needs at least {minimum} {what} "
                f"for this statistic (treated {n1}, control {n_units - n1})"
            )
    groups = [np.flatnonzero(unit_stratum == b) for b in range(len(labels))]
    units = [sums[g] for g in groups]
    totals = np.stack([u.sum(axis=0) for u in units])
    return _Blocks(
        units=units,
        assigned=[unit_t[g].astype(bool) for g in groups],
        k=np.array([int(unit_t[g].sum()) for g in groups]),
        totals=totals,
        weights=totals[:, 1] / totals[:, 1].sum(),
    )


def _tail_share(null: np.ndarray, observed: float, alternative: str) -> np.ndarray:
    """Indicator of draws at least as extreme as ``observed`` (with a rounding tolerance)."""
    scale = max(abs(observed), float(np.max(np.abs(null), initial=0.0)), 1e-300)
    tol = 1e-9 * scale
    if alternative == "two-sided":
        return np.abs(null) >= abs(observed) - tol
    if alternative == "greater":
        return null >= observed - tol
    return null <= observed + tol


def randomization_inference(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    statistic: str = "difference_in_means",
    strata: str | None = None,
    cluster: str | None = None,
    n_permutations: int = 10_000,
    seed: int | None = 0,
    alternative: str = "two-sided",
    max_exact: int = 20_000,
) -> RandomizationInference:
    """Fisher randomisation test of the sharp null of no effect for any unit.

    Under the sharp null every outcome is fixed whatever the assignment, so the statistic's
    distribution over the assignments the design could have produced is known. The design
    is complete randomisation holding fixed the number of treated units (within each
    stratum when ``strata`` is given; of whole clusters when ``cluster`` is given, clusters
    nested in strata). When the design allows at most ``max_exact`` distinct assignments
    they are all enumerated and the p-value is exact: the share of assignments whose
    statistic is at least as extreme as the observed one (Imbens & Rubin 2015, ch. 5).
    Otherwise ``n_permutations`` assignments are drawn at random (seeded, deterministic) and
    the p-value is ``(1 + #{as extreme}) / (1 + n_permutations)``, which is never zero and
    keeps the test valid (Phipson & Smyth 2010). "Two-sided" compares absolute values.

    The statistics: ``"difference_in_means"`` is the difference of the arm means of the
    rows (with strata, the stratum-size-weighted difference of :func:`difference_in_means`);
    ``"studentized"`` divides it by its Neyman standard error, which keeps the test
    asymptotically valid for the weak null of no average effect too (Wu & Ding 2021,
    JASA 116(536)). Ties within a relative tolerance of 1e-9 count as "as extreme".

    The draws are vectorised: random bytes compared with a threshold, a matrix product for
    the sums and an exact fix-up of the number treated (large strata); a table of all
    assignments (small strata such as pairs); ``numpy.random.Generator.permuted`` otherwise.
    No library offers stratified, clustered randomisation tests, so this is written here and
    tested against hand counts and :func:`scipy.stats.permutation_test`.

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome, treatment : str
        Numeric outcome and binary treatment columns.
    statistic : {"difference_in_means", "studentized"}
        Test statistic.
    strata : str, optional
        Randomisation blocks: assignments are permuted within each.
    cluster : str, optional
        Unit of randomisation: whole clusters are permuted; the treatment must be constant
        within each cluster.
    n_permutations : int, default 10000
        Random assignments drawn when enumeration is not used.
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng`` for the Monte Carlo draws.
    alternative : {"two-sided", "greater", "less"}
        Direction of the alternative.
    max_exact : int, default 20000
        Enumerate every assignment when there are at most this many (0 never enumerates).

    Returns
    -------
    RandomizationInference
        Observed statistic, p-value, method (``"exact"`` or ``"monte carlo"``) and number
        of draws; :meth:`RandomizationInference.attach` copies the p-value into an
        :class:`~impactlib.estimate.Estimate`.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [3.0, 5.0, 8.0, 9.0, 1.0, 2.0, 4.0, 6.0],
    ...                    "t": [1, 1, 1, 1, 0, 0, 0, 0]})
    >>> ri = randomization_inference(df, outcome="y", treatment="t")
    >>> ri.method, ri.n_draws, round(ri.observed, 2), round(ri.p_value, 4)
    ('exact', 70, 3.0, 0.1714)
    """
    data = require_dataframe(data)
    if statistic not in _RI_STATISTICS:
        raise InputError(f"statistic must be one of {list(_RI_STATISTICS)}, got {statistic!r}")
    if alternative not in _ALTERNATIVES:
        raise InputError(f"alternative must be one of {list(_ALTERNATIVES)}, got {alternative!r}")
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, numbers.Integral):
        raise InputError(f"n_permutations must be an integer, got {n_permutations!r}")
    if n_permutations < 1:
        raise InputError(f"n_permutations must be at least 1, got {n_permutations}")
    if isinstance(max_exact, bool) or not isinstance(max_exact, numbers.Integral) or max_exact < 0:
        raise InputError(f"max_exact must be a non-negative integer, got {max_exact!r}")
    require_columns(data, [outcome], role="outcome")
    require_columns(data, [treatment], role="treatment")
    for column, role in ((strata, "strata"), (cluster, "cluster")):
        if column is not None:
            require_columns(data, [column], role=role)
    used = [outcome, treatment, *[c for c in (strata, cluster) if c is not None]]
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    require_numeric(kept, outcome, role="outcome")
    require_finite(kept, [outcome], role="outcome")
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is nothing to test")
    t = require_binary(kept, treatment)
    minimum = 2 if statistic == "studentized" else 1
    blocks = _ri_blocks(kept, outcome, t, strata, cluster, treatment, minimum)

    observed_sums = np.stack(
        [u[a].sum(axis=0) for u, a in zip(blocks.units, blocks.assigned, strict=True)]
    )[None]
    observed = float(_ri_statistic(statistic, observed_sums, blocks)[0])
    log10_total = sum(
        _log10_comb(len(u), int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)
    )
    exact = log10_total <= math.log10(max_exact) + 1e-9 if max_exact > 0 else False
    if exact:
        counts = [math.comb(len(u), int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)]
        exact = math.prod(counts) <= max_exact
    if exact:
        tables = [_assignment_table(u, int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)]
        total = math.prod(counts)
        batch = max(1, _CELLS // max(len(tables), 1))
        pieces = []
        for start in range(0, total, batch):
            index = np.unravel_index(np.arange(start, min(total, start + batch)), counts)
            treated = np.stack([tb[i] for tb, i in zip(tables, index, strict=True)], axis=1)
            pieces.append(_ri_statistic(statistic, treated, blocks))
        null = np.concatenate(pieces)
        p_value = float(_tail_share(null, observed, alternative).mean())
        method, n_draws, used_seed = "exact", total, None
    else:
        rng = np.random.default_rng(seed)
        sampler = _Sampler(blocks, statistic)
        pieces = []
        for start in range(0, n_permutations, sampler.batch):
            draws = min(sampler.batch, n_permutations - start)
            pieces.append(_ri_statistic(statistic, sampler.draw(rng, draws), blocks))
        null = np.concatenate(pieces)
        hits = int(_tail_share(null, observed, alternative).sum())
        p_value = (1 + hits) / (1 + n_permutations)
        method, n_draws, used_seed = "monte carlo", int(n_permutations), seed
    return RandomizationInference(
        statistic=statistic,
        observed=observed,
        p_value=p_value,
        method=method,
        n_draws=int(n_draws),
        log10_assignments=float(log10_total),
        alternative=alternative,
        outcome=outcome,
        treatment=treatment,
        n=len(kept),
        n_dropped=n_dropped,
        strata=strata,
        cluster=cluster,
        seed=used_seed,
        null_distribution=null,
    )


# --- balance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JointBalanceTest:
    """Joint test that the covariates do not predict the treatment (see
    :func:`joint_balance_test`)."""

    statistic: float
    df_num: int
    df_den: float
    p_value: float
    n: int
    n_dropped: int
    covariates: list[str]
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": float(self.statistic),
            "df_num": int(self.df_num),
            "df_den": float(self.df_den),
            "p_value": float(self.p_value),
            "n": int(self.n),
            "n_dropped": int(self.n_dropped),
            "covariates": list(self.covariates),
            "method": self.method,
        }

    def summary(self) -> str:
        return (
            f"{self.method}\n  F({self.df_num}, {self.df_den:g}) = {self.statistic:.4f}   "
            f"p-value: {self.p_value:.4g}\n  n = {self.n}"
            + (f"; {self.n_dropped} row(s) dropped for missing values" if self.n_dropped else "")
        )

    def __str__(self) -> str:
        return self.summary()


def joint_balance_test(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    strata: str | None = None,
    cluster: str | None = None,
) -> JointBalanceTest:
    """Omnibus test of balance: do the covariates jointly predict the treatment?

    The treatment indicator is regressed on a constant and the covariates (a linear
    probability model, plus stratum indicators when ``strata`` is given, since assignment
    probabilities may differ by stratum) and the covariate coefficients are tested jointly
    with a Wald test on the HC2 covariance (CR1 with ``cluster``), reported as an F
    statistic ``W / k`` with ``(k, n - p)`` degrees of freedom (``(k, G - 1)`` with
    clusters). Under successful randomisation the covariates have no predictive power. This
    is the "joint test of orthogonality" of Bruhn & McKenzie (2009, AEJ Applied 1(4)),
    made robust to heteroskedasticity; statsmodels fits the regression and its covariance.
    Rows missing the treatment or any covariate are dropped and counted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"t": rng.permutation([0, 1] * 50), "age": rng.normal(40, 9, 100),
    ...                    "educ": rng.integers(6, 17, 100)})
    >>> test = joint_balance_test(df, treatment="t", covariates=["age", "educ"])
    >>> test.df_num, test.df_den, 0 <= test.p_value <= 1
    (2, 97.0, True)
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    if not covariates:
        raise InputError("covariates must name at least one column")
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    for column, role in ((strata, "strata"), (cluster, "cluster")):
        if column is not None:
            require_columns(data, [column], role=role)
    used = [treatment, *covariates, *[c for c in (strata, cluster) if c is not None]]
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    for name in covariates:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, covariates, role="covariate")
    t = require_binary(kept, treatment).astype(float)
    x = kept[covariates].to_numpy(dtype=float)
    constant = [c for c, sd in zip(covariates, x.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
    columns = [np.ones(len(t)), *x.T]
    if strata is not None:
        codes, labels = _stratum_codes(kept[strata])
        columns += [*(codes[:, None] == np.arange(1, len(labels))[None, :]).astype(float).T]
    design = np.column_stack(columns)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise InputError(f"covariates {covariates} are collinear: drop redundant ones")
    if design.shape[0] <= design.shape[1]:
        raise InputError(
            f"{design.shape[0]} rows cannot test {len(covariates)} covariate(s) jointly"
        )
    model = sm.OLS(t, design)
    k = len(covariates)
    if cluster is None:
        fit = model.fit(cov_type="HC2")
        df_den = float(fit.df_resid)
        variance = "HC2"
    else:
        groups = pd.factorize(kept[cluster])[0]
        n_clusters = int(groups.max() + 1)
        if n_clusters <= k:
            raise InputError(
                f"cluster column {cluster!r}: {n_clusters} clusters cannot test {k} "
                "covariate(s) jointly"
            )
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        df_den = float(n_clusters - 1)
        variance = "CR1 cluster-robust"
    coef = fit.params[1 : k + 1]
    vcov = fit.cov_params()[1 : k + 1, 1 : k + 1]
    wald = float(coef @ np.linalg.solve(vcov, coef))
    f_stat = wald / k
    return JointBalanceTest(
        statistic=f_stat,
        df_num=k,
        df_den=df_den,
        p_value=float(stats.f.sf(f_stat, k, df_den)),
        n=len(t),
        n_dropped=n_dropped,
        covariates=covariates,
        method=(
            "Joint balance test: treatment regressed on the covariates"
            + (" and stratum indicators" if strata else "")
            + f", Wald F test with {variance} covariance"
        ),
    )


def balance_table(
    data: pd.DataFrame, treatment: str, covariates: Sequence[str], *, joint: bool = False
) -> pd.DataFrame:
    """Covariate means by arm, their difference, standardised difference and Welch p-value.

    The standardised mean difference divides the difference by the pooled standard
    deviation ``sqrt((s1^2 + s0^2) / 2)``, so that |SMD| > 0.1 flags a notable imbalance
    whatever the unit (Austin 2009). With ``joint=True`` the omnibus test of
    :func:`joint_balance_test` is run too and stored, as a dictionary, in
    ``table.attrs["joint_test"]``; the table itself is unchanged.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 1], "age": [20, 30, 22, 34]})
    >>> balance_table(df, "t", ["age"]).loc["age", "difference"]
    np.float64(3.0)
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    t = require_binary(data, treatment).astype(bool)
    rows = {}
    for name in covariates:
        require_numeric(data, name, role="covariate")
        treated = data.loc[t, name].dropna().astype(float)
        control = data.loc[~t, name].dropna().astype(float)
        pooled_sd = np.sqrt((treated.var() + control.var()) / 2)
        difference = treated.mean() - control.mean()
        rows[name] = {
            "mean_treated": treated.mean(),
            "mean_control": control.mean(),
            "difference": difference,
            "smd": difference / pooled_sd if pooled_sd > 0 else np.nan,
            "p_value": stats.ttest_ind(treated, control, equal_var=False).pvalue,
            "n_missing": int(data[name].isna().sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if joint:
        table.attrs["joint_test"] = joint_balance_test(
            data, treatment=treatment, covariates=covariates
        ).to_dict()
    return table


# --- attrition -----------------------------------------------------------------------------


def attrition(
    data: pd.DataFrame,
    *,
    treatment: str,
    observed: str,
    strata: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Attrition by arm and the differential attrition (treated minus control).

    ``observed`` says, for every randomised unit, whether its outcome was observed (1) or
    lost (0). The estimate is the difference of the attrition rates (share with
    ``observed == 0``) between the arms, computed by :func:`difference_in_means` on the
    attrition indicator, so the same standard errors apply (Neyman/HC2, CR1 with
    ``cluster``, block-weighted with ``strata``). A clear difference warns that the
    complete cases may no longer be comparable (What Works Clearinghouse standards and
    Lee 2009 bounds build on these rates). ``extra`` holds the rate and count of lost units
    in each arm. When no unit is lost the difference is exactly 0 with a zero standard
    error and no p-value.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 1, 1, 0, 0, 0, 0], "seen": [1, 1, 0, 0, 1, 1, 1, 0]})
    >>> est = attrition(df, treatment="t", observed="seen")
    >>> round(est.value, 4), est.extra["rate_treated"], est.extra["rate_control"]
    (0.25, 0.5, 0.25)
    """
    data = require_dataframe(data)
    require_probability(alpha, name="alpha")
    require_columns(data, [treatment], role="treatment")
    require_columns(data, [observed], role="observed")
    if observed == treatment:
        raise InputError(f"observed column {observed!r} is also the treatment column")
    values = data[observed]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise InputError(
            f"observed column {observed!r} has {n_missing} missing value(s): it must say for "
            "every unit whether the outcome was observed (1) or not (0)"
        )
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(int)
    require_numeric(data.assign(**{observed: values}), observed, role="observed")
    distinct = set(pd.unique(values).tolist())
    if not distinct <= {0, 1}:
        shown = ", ".join(repr(v) for v in sorted(distinct)[:5])
        raise InputError(f"observed column {observed!r} must be binary 0/1, found values {shown}")
    lost_column = "__attrited__"
    frame = data.assign(**{lost_column: 1.0 - values.astype(float)})
    kept, n_dropped = drop_missing(frame, [treatment, *[c for c in (strata, cluster) if c]])
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {treatment!r}")
    t = require_binary(kept, treatment).astype(bool)
    lost = kept[lost_column].to_numpy()
    rates = {
        "rate_treated": float(lost[t].mean()),
        "rate_control": float(lost[~t].mean()),
        "n_attrited_treated": int(lost[t].sum()),
        "n_attrited_control": int(lost[~t].sum()),
    }
    estimand = "difference in attrition rates (treated - control)"
    if lost.min() == lost.max():
        return Estimate(
            value=0.0,
            std_error=0.0,
            ci_low=0.0,
            ci_high=0.0,
            p_value=None,
            n=len(kept),
            method="Differential attrition: none (every unit in the same state)",
            outcome=observed,
            treatment=treatment,
            design="rct",
            estimand=estimand,
            n_treated=int(t.sum()),
            n_control=int((~t).sum()),
            n_dropped=n_dropped,
            alpha=alpha,
            extra=rates,
        )
    est = difference_in_means(
        kept, lost_column, treatment, cluster=cluster, strata=strata, alpha=alpha
    )
    return replace(
        est,
        outcome=observed,
        estimand=estimand,
        method="Differential attrition: " + est.method[0].lower() + est.method[1:],
        n_dropped=n_dropped,
        extra={**est.extra, **rates},
    )


# --- power ---------------------------------------------------------------------------------


def _power_inputs(
    share_treated: float,
    alpha: float,
    power: float,
    sd: float,
    icc: float | None,
    cluster_size: float | None,
    r2: float,
    two_sided: bool,
) -> tuple[float, float]:
    """Return the multiplier ``z_(1-alpha/2) + z_power`` and the variance factor."""
    require_probability(share_treated, name="share_treated")
    require_probability(alpha, name="alpha")
    require_probability(power, name="power")
    if not (is_real(sd) and math.isfinite(sd) and sd > 0):
        raise InputError(f"sd must be a positive number, got {sd!r}")
    if not (is_real(r2) and 0.0 <= r2 < 1.0):
        raise InputError(f"r2 must be in [0, 1), got {r2!r}")
    if (icc is None) != (cluster_size is None):
        raise InputError(
            "icc and cluster_size go together: give both for a cluster-randomised design, "
            f"neither for an individual one (got icc={icc!r}, cluster_size={cluster_size!r})"
        )
    design_effect = 1.0
    if icc is not None:
        if not (is_real(icc) and 0.0 <= icc <= 1.0):
            raise InputError(f"icc must be in [0, 1], got {icc!r}")
        if not (is_real(cluster_size) and cluster_size >= 1):
            raise InputError(f"cluster_size must be at least 1, got {cluster_size!r}")
        design_effect = 1.0 + (cluster_size - 1.0) * icc
    z_alpha = stats.norm.ppf(1 - alpha / 2) if two_sided else stats.norm.ppf(1 - alpha)
    multiplier = float(z_alpha + stats.norm.ppf(power))
    factor = sd**2 * (1.0 - r2) * design_effect / (share_treated * (1.0 - share_treated))
    return multiplier, factor


def minimum_detectable_effect(
    n: float,
    *,
    share_treated: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    icc: float | None = None,
    cluster_size: float | None = None,
    r2: float = 0.0,
    two_sided: bool = True,
) -> float:
    """Smallest true effect the design detects with probability ``power`` (Bloom 1995).

    ``MDE = (z_(1 - alpha/2) + z_power) * sd * sqrt((1 - r2) * D / (n * P * (1 - P)))``
    with ``n`` units in total, a share ``P`` treated, ``D = 1 + (m - 1) * icc`` the design
    effect of randomising clusters of ``m`` units with intra-cluster correlation ``icc``
    (``D = 1`` for individual randomisation) and ``r2`` the share of the outcome variance
    explained by baseline covariates. This is Bloom (1995, Evaluation Review 19(5)) and
    Duflo, Glennerster & Kremer (2007, "Using Randomization in Development Economics
    Research: A Toolkit", eqs. 6 and 11) under the normal approximation: with few clusters
    the t quantiles with ``J - 2`` degrees of freedom they give are larger, so this MDE is
    then optimistic. ``r2`` scales the total variance (a simplification for clusters, where
    covariates may explain the two variance components differently). With
    ``two_sided=False`` the test is one-sided at level ``alpha``. Numbers are in units of
    ``sd`` (the outcome's standard deviation): keep ``sd=1`` for an effect size.

    Examples
    --------
    >>> round(minimum_detectable_effect(1000), 4)
    0.1772
    >>> round(minimum_detectable_effect(1000, icc=0.05, cluster_size=20), 4)
    0.2474
    """
    if not (is_real(n) and math.isfinite(n) and n > 0):
        raise InputError(f"n must be a positive number of units, got {n!r}")
    multiplier, factor = _power_inputs(
        share_treated, alpha, power, sd, icc, cluster_size, r2, two_sided
    )
    return float(multiplier * math.sqrt(factor / n))


def sample_size(
    effect: float,
    *,
    share_treated: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    sd: float = 1.0,
    icc: float | None = None,
    cluster_size: int | None = None,
    r2: float = 0.0,
    two_sided: bool = True,
) -> int:
    """Total number of units needed to detect ``effect``: the inverse of
    :func:`minimum_detectable_effect`.

    ``n = ((z_(1 - alpha/2) + z_power) * sd / effect)^2 * (1 - r2) * D / (P * (1 - P))``,
    rounded up; for a cluster-randomised design (``icc`` and ``cluster_size`` given) it is
    rounded up to whole clusters, so the number of clusters is ``n / cluster_size``. Same
    formulas, references and normal approximation as :func:`minimum_detectable_effect`;
    the sign of ``effect`` does not matter.

    Examples
    --------
    >>> sample_size(0.2)
    785
    >>> sample_size(0.2, icc=0.05, cluster_size=20)
    1540
    """
    if not (is_real(effect) and math.isfinite(effect) and effect != 0):
        raise InputError(f"effect must be a non-zero number, got {effect!r}")
    multiplier, factor = _power_inputs(
        share_treated, alpha, power, sd, icc, cluster_size, r2, two_sided
    )
    exact = (multiplier / abs(effect)) ** 2 * factor
    # Guard against 784.0000000001 becoming 785 through rounding noise.
    n = math.ceil(exact - 1e-9)
    if cluster_size is not None:
        n = math.ceil(cluster_size * math.ceil(n / cluster_size - 1e-12) - 1e-9)
    return int(n)
