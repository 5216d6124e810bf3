"""Randomisation inference: exact or Monte Carlo p-values under the sharp null, by block."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    InputError,
    drop_missing,
    require_binary,
    require_columns,
    require_dataframe,
    require_finite,
    require_numeric,
)
from impactlib.experiment.assignments import (
    _CELLS,
    _assignment_table,
    _Blocks,
    _log10_comb,
    _Sampler,
)
from impactlib.experiment.means import _check_strata_arms, _stratum_codes

# --- randomisation inference -------------------------------------------------------------

_RI_STATISTICS = ("difference_in_means", "studentized")


_ALTERNATIVES = ("two-sided", "greater", "less")


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
        :class:`~impactlib.core.Estimate`.

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
