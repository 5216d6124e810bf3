"""Randomisation inference: exact or Monte Carlo p-values under the sharp null, by block."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.result import Result
from impactlib.core.validation import (
    InputError,
    require_binary,
    require_distinct_columns,
)
from impactlib.experiment.assignments import (
    _exact_counts,
    _exact_null,
    _log10_comb,
    _monte_carlo_null,
    _ri_blocks,
    _ri_statistic,
    _tail_share,
)
from impactlib.experiment.checks import integer
from impactlib.experiment.samples import complete_rows, numeric_outcome
from impactlib.experiment.significance import SignificanceTest

# --- randomisation inference -------------------------------------------------------------

_RI_STATISTICS = ("difference_in_means", "studentized")


_ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class RandomizationInference(SignificanceTest, Result):
    """Result of :func:`randomization_inference`: a p-value for the sharp null of no effect.

    A test (``statistic``, ``p_value``, ``method``, ``summary()``) that also carries the
    effect it tests when :func:`randomization_inference` was given one (``estimate=``): then
    :attr:`estimate` is that :class:`Estimate` with the randomisation p-value recorded in its
    ``extra`` and :meth:`tidy` is its row, with :class:`Estimate`'s field names. Without it,
    :meth:`tidy` is the test's one-row table and :attr:`estimate` refuses.

    Attributes
    ----------
    statistic : float
        The test statistic on the observed assignment.
    p_value : float
        Share of assignments whose statistic is at least as extreme as ``statistic``.
    method : str
        How the p-value was computed, in words.
    statistic_name : str
        Which statistic: ``"difference_in_means"`` or ``"studentized"``.
    exact : bool
        Every assignment enumerated (True) or ``n_resamples`` drawn at random (False).
    n_resamples : int
        Assignments evaluated: all of them when exact, the random draws otherwise.
    log10_assignments : float
        log10 of the number of distinct assignments the design allows.
    alternative, outcome, treatment, strata, cluster, seed, n, n_dropped
        What was tested, on how many rows, with which seed.
    null_distribution : ndarray
        The statistic under each enumerated or drawn assignment (not in :meth:`to_dict`).
    """

    term = "randomization_inference"

    statistic: float
    p_value: float
    method: str
    statistic_name: str
    exact: bool
    n_resamples: int
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
    tested: Estimate | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        tested = self.tested
        if tested is None:
            return
        if tested.outcome != self.outcome or (
            tested.treatment and tested.treatment != self.treatment
        ):
            raise InputError(
                f"estimate is for outcome {tested.outcome!r} / treatment {tested.treatment!r}, "
                f"the test for {self.outcome!r} / {self.treatment!r}"
            )

    @property
    def estimate(self) -> Estimate:
        """The tested :class:`Estimate`, with this test in ``extra``.

        Its own (Neyman) p-value is kept; ``extra`` gains ``ri_p_value``, ``ri_method``
        (``"exact"`` or ``"monte carlo"``), ``ri_n_resamples``, ``ri_statistic`` and
        ``ri_alternative``.
        """
        if self.tested is None:
            raise InputError(
                "estimate: randomization_inference was given no estimate= to test, so this "
                "result is a test only (read statistic and p_value)"
            )
        extra = {
            **self.tested.extra,
            "ri_p_value": float(self.p_value),
            "ri_method": "exact" if self.exact else "monte carlo",
            "ri_n_resamples": int(self.n_resamples),
            "ri_statistic": self.statistic_name,
            "ri_alternative": self.alternative,
        }
        return replace(self.tested, extra=extra)

    def tidy(self) -> pd.DataFrame:
        """The tested estimate's row (see :class:`~impactlib.core.result.Result`), or the
        test's one-row table when no estimate was given."""
        if self.tested is None:
            return SignificanceTest.tidy(self)
        return Result.tidy(self)

    def to_dict(self) -> dict[str, Any]:
        """Every field of the test (not the null distribution nor the estimate), as plain
        Python values."""
        return {
            "statistic": float(self.statistic),
            "p_value": float(self.p_value),
            "method": self.method,
            "statistic_name": self.statistic_name,
            "exact": bool(self.exact),
            "n_resamples": int(self.n_resamples),
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
        """The test in plain text, then the tested estimate when there is one."""
        design = []
        if self.strata:
            design.append(f"within strata {self.strata!r}")
        if self.cluster:
            design.append(f"clusters {self.cluster!r} permuted")
        lines = [
            "Randomisation inference (sharp null of no effect)",
            f"  outcome: {self.outcome}   treatment: {self.treatment}"
            + (f"   ({', '.join(design)})" if design else ""),
            f"  statistic: {self.statistic_name} = {self.statistic:.4f}",
            f"  p-value ({self.alternative}): {self.p_value:.4g}   [{self._draws()}]",
            f"  n = {self.n}" + (f"; {self.n_dropped} row(s) dropped" if self.n_dropped else ""),
        ]
        if self.tested is not None:
            lines += ["Tested estimate:", self.tested.summary()]
        return "\n".join(lines)

    def _draws(self) -> str:
        if self.exact:
            return f"exact, all {self.n_resamples} assignments"
        return f"Monte Carlo, {self.n_resamples} draws, seed {self.seed}"


def randomization_inference(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    statistic: str = "difference_in_means",
    strata: str | None = None,
    cluster: str | None = None,
    n_resamples: int = 10_000,
    seed: int | None = 0,
    alternative: str = "two-sided",
    max_exact: int = 20_000,
    estimate: Estimate | None = None,
) -> RandomizationInference:
    """Fisher randomisation test of the sharp null of no effect for any unit.

    Under the sharp null every outcome is fixed whatever the assignment, so the statistic's
    distribution over the assignments the design could have produced is known. The design
    is complete randomisation holding fixed the number of treated units (within each
    stratum when ``strata`` is given; of whole clusters when ``cluster`` is given, clusters
    nested in strata). When the design allows at most ``max_exact`` distinct assignments
    they are all enumerated and the p-value is exact: the share of assignments whose
    statistic is at least as extreme as the observed one (Imbens & Rubin 2015, ch. 5).
    Otherwise ``n_resamples`` assignments are drawn at random (seeded, deterministic) and
    the p-value is ``(1 + #{as extreme}) / (1 + n_resamples)``, which is never zero and
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
    n_resamples : int, default 10000
        Random assignments drawn when enumeration is not used.
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng`` for the Monte Carlo draws.
    alternative : {"two-sided", "greater", "less"}
        Direction of the alternative.
    max_exact : int, default 20000
        Enumerate every assignment when there are at most this many (0 never enumerates).
    estimate : Estimate, optional
        The estimate of the same outcome and treatment whose randomisation p-value this is
        (e.g. :func:`difference_in_means` on the same data): the result's
        :attr:`~RandomizationInference.estimate` is then that estimate with the p-value
        recorded in its ``extra``.

    Returns
    -------
    RandomizationInference
        Observed statistic, p-value, exact or Monte Carlo, number of assignments evaluated
        and, with ``estimate``, the estimate carrying the p-value.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [3.0, 5.0, 8.0, 9.0, 1.0, 2.0, 4.0, 6.0],
    ...                    "t": [1, 1, 1, 1, 0, 0, 0, 0]})
    >>> ri = randomization_inference(df, outcome="y", treatment="t")
    >>> ri.exact, ri.n_resamples, round(ri.statistic, 2), round(ri.p_value, 4)
    (True, 70, 3.0, 0.1714)
    """
    if statistic not in _RI_STATISTICS:
        raise InputError(f"statistic must be one of {list(_RI_STATISTICS)}, got {statistic!r}")
    if alternative not in _ALTERNATIVES:
        raise InputError(f"alternative must be one of {list(_ALTERNATIVES)}, got {alternative!r}")
    n_resamples = integer(n_resamples, name="n_resamples", minimum=1)
    max_exact = integer(max_exact, name="max_exact", minimum=0)
    if seed is not None:
        seed = integer(seed, name="seed", minimum=0)
    if estimate is not None and not isinstance(estimate, Estimate):
        raise InputError(f"estimate must be an Estimate, got {type(estimate).__name__}")
    kept, n_dropped, t = _test_sample(data, outcome, treatment, strata, cluster)
    minimum = 2 if statistic == "studentized" else 1
    blocks = _ri_blocks(kept, outcome, t, strata, cluster, treatment, minimum)

    observed_sums = np.stack(
        [u[a].sum(axis=0) for u, a in zip(blocks.units, blocks.assigned, strict=True)]
    )[None]
    observed = float(_ri_statistic(statistic, observed_sums, blocks)[0])
    log10_total = sum(
        _log10_comb(len(u), int(k)) for u, k in zip(blocks.units, blocks.k, strict=True)
    )
    counts = _exact_counts(blocks, log10_total, max_exact)
    if counts is not None:
        null = _exact_null(statistic, blocks, counts)
        p_value = float(_tail_share(null, observed, alternative).mean())
        evaluated, used_seed = len(null), None
    else:
        null = _monte_carlo_null(statistic, blocks, n_resamples, seed)
        hits = int(_tail_share(null, observed, alternative).sum())
        p_value = (1 + hits) / (1 + n_resamples)
        evaluated, used_seed = n_resamples, seed
    how = (
        f"exact (all {evaluated} assignments)"
        if counts is not None
        else f"Monte Carlo ({evaluated} draws, seed {used_seed})"
    )
    return RandomizationInference(
        statistic=observed,
        p_value=p_value,
        method=(
            f"Randomisation inference of the sharp null, {statistic.replace('_', ' ')} "
            f"statistic, {how}, {alternative}"
        ),
        statistic_name=statistic,
        exact=counts is not None,
        n_resamples=int(evaluated),
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
        tested=estimate,
    )


def _test_sample(
    data: pd.DataFrame, outcome: str, treatment: str, strata: str | None, cluster: str | None
) -> tuple[pd.DataFrame, int, np.ndarray]:
    """Check the columns; return the complete rows, the number dropped and the 0/1 arm."""
    roles = {"outcome": outcome, "treatment": treatment, "strata": strata, "cluster": cluster}
    require_distinct_columns(outcome=outcome, treatment=treatment)
    kept, n_dropped = complete_rows(data, roles)
    numeric_outcome(kept, outcome)
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is nothing to test")
    return kept, n_dropped, require_binary(kept, treatment)
