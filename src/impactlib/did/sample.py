"""The sample of a staggered difference in differences: the options of Callaway &
Sant'Anna, and the balanced panel moderndid estimates on (always-treated units and units
missing a period left out, and counted)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from impactlib.core.validation import InputError, is_real
from impactlib.did.panel import CONTROL_GROUPS, ESTIMATORS, VCOVS


def _check_options(
    control_group: str, estimator: str, vcov: str, n_resamples: int, seed: int
) -> None:
    for name, value, allowed in (
        ("control_group", control_group, CONTROL_GROUPS),
        ("estimator", estimator, ESTIMATORS),
        ("vcov", vcov, VCOVS),
    ):
        if not isinstance(value, str) or value not in allowed:
            raise InputError(f"unknown {name} {value!r}: choose one of {list(allowed)}")
    if not _is_whole(n_resamples) or n_resamples < 1:
        raise InputError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if not _is_whole(seed) or seed < 0:
        raise InputError(f"seed must be an integer, got {seed!r} (a non-negative one)")


def _is_whole(value: object) -> bool:
    """A real number with an integer value (``3``, ``3.0``), not a boolean or a string."""
    return is_real(value) and math.isfinite(value) and float(value).is_integer()


def _balanced_sample(
    kept: pd.DataFrame,
    *,
    unit: str,
    time: str,
    cohort: str,
    control_group: str,
    n_covariates: int = 0,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop always-treated units, then units missing a period; count what went."""
    periods = np.sort(kept[time].unique())
    first, last = periods[0], periods[-1]
    g = kept[cohort].to_numpy(dtype=float)
    never = (g == 0) | (g > last)
    if control_group == "never_treated" and not never.any():
        raise InputError(
            f"no never-treated unit (cohort 0 in {cohort!r}) to serve as controls with "
            "control_group='never_treated': use control_group='not_yet_treated'"
        )
    always = ~never & (g <= first)
    n_always_units = int(kept.loc[always, unit].nunique())
    kept = kept.loc[~always]
    counts = kept.groupby(unit)[time].transform("size")
    incomplete = (counts < len(periods)).to_numpy()
    dropped = {
        "always_treated_units": n_always_units,
        "always_treated_rows": int(always.sum()),
        "unbalanced_units": int(kept.loc[incomplete, unit].nunique()),
        "unbalanced_rows": int(incomplete.sum()),
    }
    kept = kept.loc[~incomplete]
    if kept.empty:
        raise InputError(
            f"no unit of column {unit!r} is observed in every period of {time!r} (units treated "
            "from the first period left out): the panel cannot be balanced"
        )
    g = kept[cohort].to_numpy(dtype=float)
    never = (g == 0) | (g > last)
    if never.all():
        raise InputError(
            f"cohort column {cohort!r}: no unit is first treated after the first period, "
            "so no effect can be estimated"
        )
    if control_group == "never_treated" and not never.any():
        raise InputError(
            "no never-treated unit observed in every period: use control_group='not_yet_treated'"
        )
    n_never = int(kept.loc[never, unit].nunique())
    if control_group == "never_treated" and n_never < 5 + n_covariates:
        raise InputError(
            f"control_group='never_treated' needs at least {5 + n_covariates} never-treated units "
            f"(cohort 0 in {cohort!r}, observed in every period), got {n_never} (moderndid's "
            "minimum, 5 plus the number of covariates): use control_group='not_yet_treated'"
        )
    if not never.any() and np.unique(g).size < 2:
        raise InputError(
            f"cohort column {cohort!r}: every unit kept is first treated in period {g[0]:g} and "
            "none is never treated, so no unit is left to compare them with (a not-yet-treated "
            "comparison needs cohorts treated later, or never-treated units with cohort 0)"
        )
    return kept, dropped
