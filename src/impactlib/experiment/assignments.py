"""Re-randomisation engine of randomisation inference: exact tables and seeded samplers of
assignments within blocks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
