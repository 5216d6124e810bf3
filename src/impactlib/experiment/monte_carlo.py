"""Monte Carlo study of estimators under a data-generating process with a known truth.

A page that simulates its trial (:func:`~impactlib.experiment.cluster_count_trial`,
:func:`~impactlib.experiment.cluster_trial`) shows that the estimator recovers the truth
with the precision it announces: the same process is replayed with other seeds and each
estimator's bias, spread, coverage and rejection rate are measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError
from impactlib.experiment.checks import finite, integer

#: Columns of each estimator's table of draws.
DRAW_COLUMNS = ("value", "std_error", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class SimulationStudy:
    """Result of :func:`simulation_study`.

    Attributes
    ----------
    truth : float
        The value every estimator should recover.
    seed : int
        Seed of the sequence the replications' seeds were drawn from.
    draws : dict of str to DataFrame
        By estimator: one row per replication, columns ``value``, ``std_error``,
        ``ci_low``, ``ci_high`` and ``p_value`` (NaN when there is none).
    """

    truth: float
    seed: int
    draws: dict[str, pd.DataFrame]

    @property
    def n_resamples(self) -> int:
        """Number of replications."""
        return len(next(iter(self.draws.values())))

    def tidy(self) -> pd.DataFrame:
        """One row per estimator (``term``): its performance under the process.

        ``bias`` (mean estimate minus the truth) and its Monte Carlo standard error
        ``bias_mc_se``, ``sd`` (standard deviation of the estimates), ``mean_se`` (mean
        announced standard error), ``coverage`` (share of intervals strictly containing the
        truth) and its ``coverage_mc_se``, and ``rejection_rate`` (share of intervals that
        exclude zero: the power when the truth is not zero, the size when it is).
        """
        rows = {}
        reps = self.n_resamples
        for name, frame in self.draws.items():
            value = frame["value"]
            covered = (frame["ci_low"] < self.truth) & (self.truth < frame["ci_high"])
            coverage = float(covered.mean())
            rejected = (frame["ci_high"] < 0) | (frame["ci_low"] > 0)
            rows[name] = {
                "bias": float(value.mean() - self.truth),
                "bias_mc_se": float(value.std(ddof=1) / math.sqrt(reps)),
                "sd": float(value.std(ddof=1)),
                "mean_se": float(frame["std_error"].mean()),
                "coverage": coverage,
                "coverage_mc_se": math.sqrt(coverage * (1 - coverage) / reps),
                "rejection_rate": float(rejected.mean()),
            }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "term"
        return table

    def summary(self) -> str:
        """The performance of each estimator, in plain text."""
        lines = [f"Monte Carlo study: {self.n_resamples} replications, seed {self.seed}"]
        for name, row in self.tidy().iterrows():
            lines.append(
                f"  {name}: bias {row['bias']:.4f} (MC s.e. {row['bias_mc_se']:.4f}), "
                f"sd {row['sd']:.4f}, mean s.e. {row['mean_se']:.4f}, "
                f"coverage {row['coverage']:.3f}, rejection rate {row['rejection_rate']:.3f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def simulation_study(
    simulate: Callable[[int], pd.DataFrame],
    estimators: Mapping[str, Callable[[pd.DataFrame], Estimate]],
    *,
    truth: float,
    n_resamples: int,
    seed: int,
) -> SimulationStudy:
    """Replay a data-generating process ``n_resamples`` times and apply each estimator.

    The replications' seeds are ``numpy.random.SeedSequence(seed).generate_state(
    n_resamples)``: independent streams, the same for the same ``seed``. Each replication
    draws one data set, ``simulate(seed_r)``, and every estimator is applied to that same
    data set, so that the estimators are compared on the same draws.

    Parameters
    ----------
    simulate : callable
        ``simulate(seed) -> DataFrame``: one data set of the process.
    estimators : mapping of str to callable
        ``estimator(data) -> Estimate``, by name.
    truth : float
        The value the estimators should recover (on their scale).
    n_resamples : int
        Replications (at least 2).
    seed : int
        Seed of the sequence of the replications' seeds.

    Examples
    --------
    >>> from impactlib.experiment import cluster_trial, difference_in_means
    >>> study = simulation_study(
    ...     lambda s: cluster_trial(n_clusters=20, cluster_size=10, icc=0.1, effect=0.3, seed=s),
    ...     {"cr1": lambda d: difference_in_means(d, "outcome", "treat", cluster="cluster")},
    ...     truth=0.3, n_resamples=20, seed=1)
    >>> study.tidy().loc["cr1", "coverage"] > 0.5
    True
    """
    reps = integer(n_resamples, name="n_resamples", minimum=2)
    truth = finite(truth, name="truth")
    seed = integer(seed, name="seed", minimum=0)
    if not estimators:
        raise InputError("estimators must name at least one estimator")
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in estimators}
    for replication_seed in np.random.SeedSequence(seed).generate_state(reps):
        data = simulate(int(replication_seed))
        for name, estimator in estimators.items():
            est = estimator(data)
            if not isinstance(est, Estimate):
                raise InputError(
                    f"estimator {name!r} returned {type(est).__name__}, not an Estimate"
                )
            p_value = math.nan if est.p_value is None else est.p_value
            rows[name].append(
                {
                    "value": est.value,
                    "std_error": est.std_error,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "p_value": p_value,
                }
            )
    draws = {name: pd.DataFrame(rows[name], columns=list(DRAW_COLUMNS)) for name in estimators}
    return SimulationStudy(truth=truth, seed=seed, draws=draws)
