"""Meta-regression: effects on study-level moderators (metafor's ``rma(yi, vi, mods = ...)``).

The model, its tau^2 estimators and its Knapp-Hartung option are those of
:mod:`impactlib.meta` with a design matrix of moderators; tested against metafor's
README (meta-regression of the BCG trials on absolute latitude), statsmodels' WLS and
pymare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.estimate import Estimate
from impactlib.core.inference import critical_value, two_sided_p_value
from impactlib.core.validation import InputError, require_probability
from impactlib.meta.pooling import (
    _json_safe,
)
from impactlib.meta.tau2 import (
    METHOD_NAMES,
    _check_knapp_hartung,
    _threshold,
    check_inputs,
    fit_model,
)


@dataclass(frozen=True, eq=False)
class MetaRegressionResult:
    """Mixed-effects meta-regression (metafor's ``rma(yi, vi, mods = ...)``).

    ``coefficients`` has one row per term (``"intercept"`` then the moderators) with
    ``estimate, std_error, statistic, p_value, ci_low, ci_high``. ``qm`` is the omnibus
    test of the moderators (Wald chi^2 on ``qm_df`` df; with Knapp-Hartung, as in metafor,
    the F statistic on ``(qm_df, df)`` df), ``qe`` the test of residual heterogeneity on
    ``k - p`` df, ``tau2`` the residual between-study variance and ``r2`` the share of
    tau^2 accounted for (relative to the model without moderators, truncated at 0, as
    metafor).
    """

    coefficients: pd.DataFrame
    qm: float
    qm_df: int
    qm_pvalue: float
    qe: float
    qe_df: int
    qe_pvalue: float
    tau2: float
    i2: float
    h2: float
    r2: float | None
    k: int
    method: str
    knapp_hartung: str | None
    df: int | None
    alpha: float

    def to_estimates(self, *, outcome: str = "", design: str = "rct") -> list[Estimate]:
        """One :class:`Estimate` per coefficient (``treatment`` holds the term name).

        ``design`` is the design of the studies (a registry code): randomised trials unless
        said otherwise.
        """
        out = []
        for term, row in self.coefficients.iterrows():
            out.append(
                Estimate(
                    value=row["estimate"],
                    std_error=row["std_error"],
                    ci_low=row["ci_low"],
                    ci_high=row["ci_high"],
                    p_value=row["p_value"],
                    n=self.k,
                    method=f"Meta-regression ({METHOD_NAMES[self.method]})",
                    outcome=outcome,
                    treatment=str(term),
                    design=design,
                    estimand="meta-regression coefficient",
                    alpha=self.alpha,
                    extra={
                        key: _json_safe(value)
                        for key, value in {
                            "tau2": self.tau2,
                            "qm": self.qm,
                            "qm_pvalue": self.qm_pvalue,
                            "qe": self.qe,
                            "qe_pvalue": self.qe_pvalue,
                            "r2": self.r2,
                            "df": self.df,
                        }.items()
                    },
                )
            )
        return out

    def summary(self) -> str:
        test = "F" if self.df is not None else "QM"
        stat = self.qm
        lines = [
            f"Meta-regression ({METHOD_NAMES[self.method]}), k = {self.k}",
            f"  tau^2 (residual): {self.tau2:.4f}   I^2: {100 * self.i2:.2f} %"
            + (f"   R^2: {100 * self.r2:.2f} %" if self.r2 is not None else ""),
            f"  QE({self.qe_df}) = {self.qe:.4f}, p = {self.qe_pvalue:.4g}",
            f"  {test} (moderators, df = {self.qm_df}) = {stat:.4f}, p = {self.qm_pvalue:.4g}",
            self.coefficients.round(4).to_string(),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _moderator_matrix(moderators: object, k: int, intercept: bool) -> tuple[np.ndarray, list]:
    if isinstance(moderators, pd.Series):
        moderators = moderators.to_frame(name=moderators.name or "moderator")
    if not isinstance(moderators, pd.DataFrame):
        raise InputError(f"moderators must be a pandas DataFrame, got {type(moderators).__name__}")
    if len(moderators) != k:
        raise InputError(f"moderators has {len(moderators)} rows but there are {k} studies")
    if moderators.shape[1] == 0:
        raise InputError("moderators has no column")
    names = [str(c) for c in moderators.columns]
    for column in moderators.columns:
        series = moderators[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise InputError(
                f"moderator column {column!r} must be numeric (dtype {series.dtype}); "
                "encode categories with pandas.get_dummies(..., drop_first=True)"
            )
        n_missing = int(series.isna().sum())
        if n_missing:
            raise InputError(f"moderator column {column!r} has {n_missing} missing value(s)")
    x = moderators.to_numpy(dtype=float)
    if intercept:
        x = np.column_stack([np.ones(k), x])
        names = ["intercept", *names]
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise InputError(f"moderators {names} are collinear (with each other or the intercept)")
    return x, names


def meta_regression(
    effects: object,
    variances: object,
    moderators: pd.DataFrame,
    *,
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    intercept: bool = True,
    reml_threshold: float | None = None,
) -> MetaRegressionResult:
    """Mixed-effects meta-regression of effects on study-level moderators.

    Weighted least squares with weights ``1 / (v_i + tau2)``, tau^2 being the residual
    between-study variance estimated by ``method`` (see :func:`pool`, also for
    ``reml_threshold``). Moderators must be numeric: encode categories as dummies.

    Examples
    --------
    >>> mods = pd.DataFrame({"latitude": [44, 55, 42, 52, 13, 44, 19]})
    >>> yi = [-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62]
    >>> vi = [0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.22]
    >>> fit = meta_regression(yi, vi, mods, method="FE")
    >>> list(fit.coefficients.index)
    ['intercept', 'latitude']
    """
    y, v = check_inputs(effects, variances, method=method)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    x, names = _moderator_matrix(moderators, len(y), intercept)
    k, p = x.shape
    if k <= p:
        raise InputError(f"meta-regression with {p} coefficient(s) needs more than {p} studies")
    reml_threshold = _threshold(reml_threshold)
    fit = fit_model(y, v, x, method, kh, reml_threshold)
    df = fit.df_resid if kh is not None else None
    se = np.sqrt(np.diag(fit.vcov))
    statistic = fit.beta / se
    crit = critical_value(alpha, df)
    coefficients = pd.DataFrame(
        {
            "estimate": fit.beta,
            "std_error": se,
            "statistic": statistic,
            "p_value": [two_sided_p_value(s, df) for s in statistic],
            "ci_low": fit.beta - crit * se,
            "ci_high": fit.beta + crit * se,
        },
        index=pd.Index(names, name="term"),
    )
    tested = slice(1, None) if intercept else slice(None)
    b = fit.beta[tested]
    qm = float(b @ np.linalg.solve(fit.vcov[tested, tested], b))
    qm_df = len(b)
    if kh is not None:
        qm /= qm_df  # metafor reports the F statistic as QM with Knapp-Hartung
        qm_pvalue = float(stats.f.sf(qm, qm_df, fit.df_resid))
    else:
        qm_pvalue = float(stats.chi2.sf(qm, qm_df))
    r2 = None
    if intercept and method != "FE":
        tau2_null = fit_model(y, v, np.ones((k, 1)), method, None, reml_threshold).tau2
        r2 = max(0.0, (tau2_null - fit.tau2) / tau2_null) if tau2_null > 0 else 0.0
    return MetaRegressionResult(
        coefficients=coefficients,
        qm=qm,
        qm_df=qm_df,
        qm_pvalue=qm_pvalue,
        qe=fit.qe,
        qe_df=fit.df_resid,
        qe_pvalue=float(stats.chi2.sf(fit.qe, fit.df_resid)),
        tau2=fit.tau2,
        i2=fit.i2,
        h2=fit.h2,
        r2=r2,
        k=k,
        method=method,
        knapp_hartung=kh,
        df=df,
        alpha=alpha,
    )
