"""Overlap of propensity scores, trimming to common support and weighted balance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impactlib.core.validation import (
    InputError,
    as_list,
    require_binary,
    require_columns,
    require_dataframe,
    require_distinct_columns,
    require_finite,
    require_numeric,
)
from impactlib.weighting.propensity import PropensityScore, _scores_frame, _trim_bounds


@dataclass(frozen=True, eq=False)
class Overlap:
    """Overlap diagnostics (see :func:`overlap`)."""

    table: pd.DataFrame
    common_support: tuple[float, float]
    n_outside: int
    share_outside: float

    def summary(self) -> str:
        low, high = self.common_support
        lines = [
            "Overlap of the propensity score",
            f"  common support (min-max): [{low:.4g}, {high:.4g}]; {self.n_outside} unit(s) "
            f"outside ({self.share_outside:.1%})",
        ]
        for arm, row in self.table.iterrows():
            lines.append(
                f"  {arm}: n = {int(row['n'])}, range [{row['min']:.4g}, {row['max']:.4g}], "
                f"outside support {row['share_outside']:.1%}, outside [0.1, 0.9] "
                f"{row['share_outside_crump']:.1%}"
            )
        return "\n".join(lines)

    def tidy(self) -> pd.DataFrame:
        """The table of :func:`overlap`, one row per arm (index ``arm``: ``treated``,
        ``control``): ``n``, score quantiles ``min`` to ``max``, ``n_outside`` and
        ``share_outside`` the common support, ``share_outside_crump`` outside [0.1, 0.9]."""
        return self.table.rename_axis("arm").copy()

    def __str__(self) -> str:
        return self.summary()


def overlap(
    data: pd.DataFrame,
    *,
    treatment: str,
    ps: str | Sequence[float] | pd.Series | PropensityScore,
) -> Overlap:
    """Propensity-score overlap by arm: ranges, quantiles and units outside common support.

    The common support is the min-max interval where both arms have scores
    (``[max(min1, min0), min(max1, max0)]``, Dehejia & Wahba 1999); the table also gives
    the share of each arm outside ``[0.1, 0.9]``, the Crump et al. (2009) rule of thumb.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "e": [0.3, 0.6, 0.95, 0.05, 0.2, 0.5]})
    >>> ov = overlap(df, treatment="t", ps="e")
    >>> ov.common_support, ov.n_outside
    ((0.3, 0.5), 4)
    """
    frame, scores = _scores_frame(data, ps)
    require_columns(frame, [treatment], role="treatment")
    t = require_binary(frame, treatment) == 1
    low = max(scores[t].min(), scores[~t].min())
    high = min(scores[t].max(), scores[~t].max())
    outside = (scores < low) | (scores > high)
    crump = (scores < 0.1) | (scores > 0.9)
    rows = {}
    for label, arm in (("treated", t), ("control", ~t)):
        s = scores[arm]
        rows[label] = {
            "n": int(arm.sum()),
            "min": float(s.min()),
            "p01": float(np.quantile(s, 0.01)),
            "p05": float(np.quantile(s, 0.05)),
            "median": float(np.median(s)),
            "p95": float(np.quantile(s, 0.95)),
            "p99": float(np.quantile(s, 0.99)),
            "max": float(s.max()),
            "n_outside": int(outside[arm].sum()),
            "share_outside": float(outside[arm].mean()),
            "share_outside_crump": float(crump[arm].mean()),
        }
    return Overlap(
        table=pd.DataFrame.from_dict(rows, orient="index"),
        common_support=(float(low), float(high)),
        n_outside=int(outside.sum()),
        share_outside=float(outside.mean()),
    )


def trim_by_propensity(
    data: pd.DataFrame,
    *,
    ps: str | Sequence[float] | pd.Series | PropensityScore,
    trim: float | tuple[float, float] = 0.1,
) -> pd.DataFrame:
    """Keep the rows whose propensity score lies in the ``trim`` band.

    ``trim`` is a number ``a`` for ``[a, 1 - a]`` or a ``(lower, upper)`` pair, as in
    :func:`ipw`. The default 0.1 is the rule of thumb of Crump, Hotz, Imbens & Mitnik (2009,
    Biometrika 96(1)): dropping units with scores outside [0.1, 0.9] gives a nearly efficient
    estimate of the effect on the remaining population. ``attrs["n_trimmed"]`` counts the
    rows removed. The estimand changes to that population: say so when reporting.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "e": [0.95, 0.5, 0.4, 0.02]})
    >>> kept = trim_by_propensity(df, ps="e")
    >>> len(kept), kept.attrs["n_trimmed"]
    (2, 2)
    """
    bounds = _trim_bounds(trim)
    if bounds is None:
        raise InputError("trim must be a number or a (lower, upper) pair, got None")
    frame, scores = _scores_frame(data, ps)
    inside = (scores >= bounds[0]) & (scores <= bounds[1])
    kept = frame[inside].copy()
    kept.attrs["n_trimmed"] = int((~inside).sum())
    return kept


def weighted_balance(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    weights: str | Sequence[float] | pd.Series,
) -> pd.DataFrame:
    """Standardised mean differences before and after weighting.

    Both use the unweighted pooled standard deviation ``sqrt((s1^2 + s0^2) / 2)`` as the
    denominator, so that the change reflects the means only (Austin & Stuart 2015, Stat.
    Med. 34(28)); |SMD| below 0.1 is the usual target. Feed it :func:`ipw_weights`, or
    matching weights.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 1, 0, 0], "x": [1.0, 3.0, 0.0, 4.0], "w": [1, 1, 3, 1]})
    >>> weighted_balance(df, treatment="t", covariates="x", weights="w")["smd_weighted"].round(3)
    x    0.447
    Name: smd_weighted, dtype: float64
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    require_distinct_columns(treatment=treatment, covariate=covariates)
    if isinstance(weights, str):
        require_columns(data, [weights], role="weights")
        require_numeric(data, weights, role="weights")
        w = data[weights].to_numpy(dtype=float)
    else:
        try:
            w = np.asarray(weights, dtype=float)
        except (TypeError, ValueError):
            raise InputError("weights must hold numbers, one per row of data") from None
        if w.shape != (len(data),):
            raise InputError(f"weights must have one value per row of data ({len(data)})")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("weights must be finite and non-negative")
    t = require_binary(data, treatment) == 1
    if w[t].sum() == 0 or w[~t].sum() == 0:
        raise InputError("weights must give each arm a positive total weight")
    rows = {}
    for name in covariates:
        require_numeric(data, name, role="covariate")
        require_finite(data, [name], role="covariate")
        x = data[name].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        x1, x0 = x[t & ok], x[~t & ok]
        w1, w0 = w[t & ok], w[~t & ok]
        for arm, values, arm_weights in (("treated", x1, w1), ("control", x0, w0)):
            if len(values) < 2 or arm_weights.sum() == 0:
                raise InputError(
                    f"covariate column {name!r} has {len(values)} observed value(s) with a "
                    f"positive total weight in the {arm} arm: at least 2 are needed"
                )
        sd = math.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
        m1, m0 = x1.mean(), x0.mean()
        mw1, mw0 = np.average(x1, weights=w1), np.average(x0, weights=w0)
        rows[name] = {
            "mean_treated": m1,
            "mean_control": m0,
            "smd": (m1 - m0) / sd if sd > 0 else np.nan,
            "mean_treated_weighted": mw1,
            "mean_control_weighted": mw0,
            "smd_weighted": (mw1 - mw0) / sd if sd > 0 else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
