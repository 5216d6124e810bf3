"""Attrition in a randomised experiment: overall and differential loss to follow-up."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import (
    InputError,
    drop_missing,
    require_binary,
    require_columns,
    require_dataframe,
    require_numeric,
    require_probability,
)
from impactlib.experiment.means import difference_in_means

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
        # A zero difference with a zero standard error: a point interval and no test.
        return wald_estimate(
            0.0,
            0.0,
            alpha=alpha,
            n=len(kept),
            method="Differential attrition: none (every unit in the same state)",
            outcome=observed,
            treatment=treatment,
            design="rct",
            estimand=estimand,
            n_treated=int(t.sum()),
            n_control=int((~t).sum()),
            n_dropped=n_dropped,
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
