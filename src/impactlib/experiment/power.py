"""Power: minimum detectable effect and sample size of an individually or cluster-randomised
trial."""

from __future__ import annotations

import math
from dataclasses import dataclass

from impactlib.core.inference import critical_value
from impactlib.core.validation import InputError, is_real, require_probability
from impactlib.experiment.checks import finite

# --- power ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerDesign:
    """A randomised design and its test, for the minimum detectable effect and sample size.

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

    Parameters
    ----------
    share_treated : float, default 0.5
        Share ``P`` of the units treated, in (0, 1).
    alpha, power : float
        Level of the test and probability of detecting the effect, in (0, 1).
    sd : float, default 1.0
        Standard deviation of the outcome, > 0.
    icc, cluster_size : float, optional
        Intra-cluster correlation in [0, 1] and people per cluster (>= 1), together, for a
        cluster-randomised design; neither for an individual one.
    r2 : float, default 0.0
        Share of the outcome variance explained by baseline covariates, in [0, 1).
    two_sided : bool, default True
        Two-sided test (one-sided at level ``alpha`` otherwise).

    Examples
    --------
    >>> round(PowerDesign().minimum_detectable_effect(1000), 4)
    0.1772
    >>> clustered = PowerDesign(icc=0.05, cluster_size=20)
    >>> round(clustered.minimum_detectable_effect(1000), 4), clustered.sample_size(0.2)
    (0.2474, 1540)
    """

    share_treated: float = 0.5
    alpha: float = 0.05
    power: float = 0.8
    sd: float = 1.0
    icc: float | None = None
    cluster_size: float | None = None
    r2: float = 0.0
    two_sided: bool = True

    def __post_init__(self) -> None:
        require_probability(self.share_treated, name="share_treated")
        require_probability(self.alpha, name="alpha")
        require_probability(self.power, name="power")
        finite(self.sd, name="sd", above=0)
        if not (is_real(self.r2) and 0.0 <= self.r2 < 1.0):
            raise InputError(f"r2 must be in [0, 1), got {self.r2!r}")
        if (self.icc is None) != (self.cluster_size is None):
            raise InputError(
                "icc and cluster_size go together: give both for a cluster-randomised design, "
                f"neither for an individual one (got icc={self.icc!r}, "
                f"cluster_size={self.cluster_size!r})"
            )
        if self.icc is not None:
            if not (is_real(self.icc) and 0.0 <= self.icc <= 1.0):
                raise InputError(f"icc must be in [0, 1], got {self.icc!r}")
            finite(self.cluster_size, name="cluster_size", at_least=1)

    @property
    def design_effect(self) -> float:
        """``1 + (m - 1) * icc``: the variance inflation of randomising clusters (1 without)."""
        if self.icc is None:
            return 1.0
        return 1.0 + (self.cluster_size - 1.0) * self.icc

    @property
    def multiplier(self) -> float:
        """``z_(1 - alpha/2) + z_power`` (``z_(1 - alpha)`` for a one-sided test)."""
        return critical_value(self.alpha, two_sided=self.two_sided) + critical_value(
            1 - self.power, two_sided=False
        )

    def _variance_factor(self) -> float:
        share = self.share_treated
        return self.sd**2 * (1.0 - self.r2) * self.design_effect / (share * (1.0 - share))

    def minimum_detectable_effect(self, n: float) -> float:
        """Smallest true effect detected with probability ``power`` with ``n`` units in all."""
        finite(n, name="n", above=0)
        return float(self.multiplier * math.sqrt(self._variance_factor() / n))

    def sample_size(self, effect: float) -> int:
        """Total units needed to detect ``effect``: the inverse of the minimum detectable effect.

        ``n = ((z_(1 - alpha/2) + z_power) * sd / effect)^2 * (1 - r2) * D / (P * (1 - P))``,
        rounded up; for a cluster-randomised design it is rounded up to whole clusters, so
        the number of clusters is ``n / cluster_size``. The sign of ``effect`` does not matter.
        """
        if not (is_real(effect) and math.isfinite(effect) and effect != 0):
            raise InputError(f"effect must be a non-zero number, got {effect!r}")
        exact = (self.multiplier / abs(effect)) ** 2 * self._variance_factor()
        # Guard against 784.0000000001 becoming 785 through rounding noise.
        n = math.ceil(exact - 1e-9)
        if self.cluster_size is not None:
            n = math.ceil(self.cluster_size * math.ceil(n / self.cluster_size - 1e-12) - 1e-9)
        return int(n)
