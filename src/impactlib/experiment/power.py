"""Power: minimum detectable effect and sample size of an individually or cluster-randomised
trial."""

from __future__ import annotations

import math

from impactlib.core.inference import critical_value
from impactlib.core.validation import (
    InputError,
    is_real,
    require_probability,
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
    multiplier = critical_value(alpha, two_sided=two_sided) + critical_value(
        1 - power, two_sided=False
    )
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
