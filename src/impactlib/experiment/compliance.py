"""Non-compliance: the effect of receiving the treatment on the compliers, with the random
assignment as instrument (two-stage least squares)."""

from __future__ import annotations

import warnings

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.validation import (
    InputError,
    require_binary,
    require_per_arm,
    require_probability,
)
from impactlib.experiment.samples import complete_rows, numeric_outcome


def complier_effect(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    received: str,
    alpha: float = 0.05,
) -> Estimate:
    """Complier average causal effect: the random assignment instruments the receipt.

    When some units assigned to the treatment do not receive it (or some controls do), the
    difference in means estimates the effect of the *assignment* (intention to treat). The
    effect of *receiving* the treatment on the compliers, those who receive it if and only
    if assigned to it, is the intention-to-treat effect divided by the difference in
    receipt rates between the arms (Bloom 1984; Angrist, Imbens & Rubin 1996), under
    monotonicity (no one refuses because assigned) and the exclusion restriction (the
    assignment acts only through the receipt). It is computed as two-stage least squares of
    ``outcome`` on ``received`` instrumented by ``treatment`` with HC1 standard errors and
    Student's t intervals, by pyfixest (``feols``).

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    outcome : str
        Numeric outcome column.
    treatment : str
        Random assignment, 0/1 (the instrument).
    received : str
        Treatment actually received, 0/1.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``value`` is the complier effect; ``treatment`` names the ``received`` column and
        ``extra`` holds the ``instrument`` and the receipt rate of each arm.
    """
    require_probability(alpha, name="alpha")
    roles = {"outcome": outcome, "treatment": treatment, "received": received}
    kept, n_dropped = complete_rows(data, roles)
    for role, column in roles.items():
        if not column.isidentifier():  # pyfixest reads them in a formula
            raise InputError(f"{role} column {column!r} must be a Python identifier (a formula)")
    if len(set(roles.values())) < 3:
        raise InputError("outcome, treatment and received must be three different columns")
    numeric_outcome(kept, outcome)
    if kept[outcome].nunique() < 2:
        raise InputError(f"outcome column {outcome!r} is constant: there is no effect to estimate")
    assigned = require_binary(kept, treatment)
    require_per_arm(assigned, name=treatment, minimum=2)
    took = require_binary(kept, received, role="received")
    rates = {arm: float(took[assigned == arm].mean()) for arm in (1, 0)}
    if rates[1] == rates[0]:
        raise InputError(
            f"received column {received!r}: the receipt rate is the same in both arms, so "
            f"the assignment {treatment!r} does not move it (no first stage)"
        )
    fit = _two_stage_least_squares(kept, outcome, treatment, received)
    low, high = fit.confint(alpha=alpha).loc[received]
    return Estimate(
        value=float(fit.coef()[received]),
        std_error=float(fit.se()[received]),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(fit.pvalue()[received]),
        n=len(kept),
        method=f"Two-stage least squares (pyfixest), {treatment} as instrument for {received}, "
        "HC1 errors",
        outcome=outcome,
        treatment=received,
        design="rct",
        estimand="CACE (effect of receipt on compliers)",
        n_treated=int(assigned.sum()),
        n_control=int(len(assigned) - assigned.sum()),
        n_dropped=n_dropped,
        alpha=alpha,
        extra={
            "instrument": treatment,
            "receipt_rate_treated": rates[1],
            "receipt_rate_control": rates[0],
        },
    )


def _two_stage_least_squares(frame: pd.DataFrame, outcome: str, treatment: str, received: str):
    import pyfixest as pf  # imported here: the other estimators of the family do without it

    # With one-sided non-compliance (no control receives the treatment) the first stage's
    # intercept is exactly 0 with zero variance: numpy warns about sqrt(-0.0), harmlessly.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="invalid value encountered in sqrt", category=RuntimeWarning
        )
        return pf.feols(f"{outcome} ~ 1 | {received} ~ {treatment}", data=frame, vcov="HC1")
