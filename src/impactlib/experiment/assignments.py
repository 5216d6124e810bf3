"""Re-randomisation engine of randomisation inference: the randomisation units by block,
the statistics, exact tables and seeded samplers of assignments within blocks, and the
null distributions they give."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError
from impactlib.experiment.samples import check_strata_arms, stratum_codes

_TABLE_MAX = 4096  # strata with at most this many assignments are drawn from a table


_BERNOULLI_MIN = 1024  # strata with at least this many units: Bernoulli draws, exact fix-up


_CELLS = 500_000  # draws x randomisation units per batch (cache-sized)


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


def _randomised_units(
    kept: pd.DataFrame,
    t: np.ndarray,
    codes: np.ndarray,
    *,
    cluster: str | None,
    strata: str | None,
    treatment: str,
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The unit of randomisation of each row (the row itself, or its cluster), the number of
    units, and each unit's stratum and arm; clusters must be assigned whole, within strata."""
    if cluster is None:
        return np.arange(len(t)), len(t), codes, t
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
    return unit, n_units, unit_stratum, high


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
        codes, labels = stratum_codes(kept[strata])
    else:
        codes, labels = np.zeros(len(y), dtype=int), [None]
    # Centre within strata: neither statistic changes, the sums of squares stay accurate.
    means = np.bincount(codes, weights=y) / np.bincount(codes)
    y = y - means[codes]
    unit, n_units, unit_stratum, unit_t = _randomised_units(
        kept, t, codes, cluster=cluster, strata=strata, treatment=treatment
    )
    sums = np.column_stack(
        [
            np.bincount(unit, weights=y, minlength=n_units),
            np.bincount(unit, minlength=n_units).astype(float),
            np.bincount(unit, weights=y * y, minlength=n_units),
        ]
    )
    if strata is not None:
        check_strata_arms(
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


def _exact_counts(blocks: _Blocks, log10_total: float, max_exact: int) -> list[int] | None:
    """Assignments of each stratum when all of them (at most ``max_exact``) are enumerated."""
    if max_exact == 0 or log10_total > math.log10(max_exact) + 1e-9:
        return None
    counts = [math.comb(len(u), int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)]
    return counts if math.prod(counts) <= max_exact else None


def _exact_null(statistic: str, blocks: _Blocks, counts: list[int]) -> np.ndarray:
    """The statistic under every assignment, in batches of the product of the tables."""
    tables = [_assignment_table(u, int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)]
    total = math.prod(counts)
    batch = max(1, _CELLS // max(len(tables), 1))
    pieces = []
    for start in range(0, total, batch):
        index = np.unravel_index(np.arange(start, min(total, start + batch)), counts)
        treated = np.stack([tb[i] for tb, i in zip(tables, index, strict=True)], axis=1)
        pieces.append(_ri_statistic(statistic, treated, blocks))
    return np.concatenate(pieces)


def _monte_carlo_null(
    statistic: str, blocks: _Blocks, n_resamples: int, seed: int | None
) -> np.ndarray:
    """The statistic under ``n_resamples`` seeded random assignments."""
    rng = np.random.default_rng(seed)
    sampler = _Sampler(blocks, statistic)
    pieces = []
    for start in range(0, n_resamples, sampler.batch):
        draws = min(sampler.batch, n_resamples - start)
        pieces.append(_ri_statistic(statistic, sampler.draw(rng, draws), blocks))
    return np.concatenate(pieces)
