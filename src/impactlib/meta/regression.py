"""Meta-regression: effects on study-level moderators (metafor's ``rma(yi, vi, mods = ...)``).

The model, its tau^2 estimators and its Knapp-Hartung option are those of
:mod:`impactlib.meta` with a design matrix of moderators; tested against metafor's
README (meta-regression of the BCG trials on absolute latitude), statsmodels' WLS and
pymare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.designs import get_design
from impactlib.core.estimate import Estimate
from impactlib.core.inference import critical_value, wald_interval
from impactlib.core.result import Result
from impactlib.core.validation import InputError, has_full_rank, require_columns, require_flag
from impactlib.meta.pooling import json_safe
from impactlib.meta.tau2 import TAU2_ESTIMATOR_NAMES, check_model, fit_model


@dataclass(frozen=True, eq=False)
class MetaRegressionResult(Result):
    """Mixed-effects meta-regression (metafor's ``rma(yi, vi, mods = ...)``).

    ``coefficients`` has one row per term (``"intercept"`` then the moderators) with
    ``estimate, std_error, statistic, p_value, ci_low, ci_high``; ``vcov`` is their
    covariance matrix (a DataFrame indexed by term on both axes). ``qm`` is the omnibus
    test of the moderators (Wald chi^2 on ``qm_df`` df; with Knapp-Hartung, as in metafor,
    the F statistic on ``(qm_df, df)`` df), ``qe`` the test of residual heterogeneity on
    ``k - p`` df, ``tau2`` the residual between-study variance and ``r2`` the share of
    tau^2 accounted for (relative to the model without moderators, truncated at 0, as
    metafor). ``effects``, ``variances`` and ``moderators`` are the data fitted.

    ``estimate`` is the coefficient of the first moderator (:attr:`headline_term`);
    ``estimates()`` has one :class:`Estimate` per coefficient, that one first, each with
    the term in ``treatment``.
    """

    coefficients: pd.DataFrame
    vcov: pd.DataFrame
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
    tau2_estimator: str
    knapp_hartung: str | None
    df: int | None
    alpha: float
    effects: np.ndarray = field(repr=False)
    variances: np.ndarray = field(repr=False)
    moderators: pd.DataFrame = field(repr=False)
    intercept: bool = True
    outcome: str = ""
    design: str = "rct"

    @property
    def headline_term(self) -> str:
        """The term of :attr:`estimate`: the first moderator."""
        return str(self.moderators.columns[0])

    @property
    def estimate(self) -> Estimate:
        """The coefficient of the first moderator (see :attr:`headline_term`)."""
        return self._coefficient(self.headline_term)

    def estimates(self) -> dict[str, Estimate]:
        """One estimate per coefficient, by term, the first moderator's first."""
        terms = dict.fromkeys([self.headline_term, *self.coefficients.index])
        return {str(term): self._coefficient(term) for term in terms}

    def _coefficient(self, term: str) -> Estimate:
        extra = {
            "tau2": self.tau2,
            "qm": self.qm,
            "qm_pvalue": self.qm_pvalue,
            "qe": self.qe,
            "qe_pvalue": self.qe_pvalue,
            "r2": self.r2,
            "df": self.df,
        }
        return coefficient_estimate(
            self.coefficients,
            term,
            n=self.k,
            method=f"Meta-regression ({TAU2_ESTIMATOR_NAMES[self.tau2_estimator]})",
            outcome=self.outcome,
            treatment=str(term),
            design=self.design,
            estimand="meta-regression coefficient",
            alpha=self.alpha,
            extra={key: json_safe(value) for key, value in extra.items()},
        )

    def predict(self, values: object) -> pd.DataFrame:
        """Predicted mean effect at moderator ``values`` (metafor's ``predict(res, newmods)``).

        Parameters
        ----------
        values : number, sequence or DataFrame
            With one moderator, its values (one prediction each); otherwise a DataFrame
            with a column per moderator. The index of a Series or DataFrame is kept.

        Returns
        -------
        DataFrame
            One row per prediction (on the model's scale): ``value``, ``std_error``, the
            confidence interval ``ci_low, ci_high`` of the mean effect and the prediction
            interval ``pi_low, pi_high`` of a new study's effect (residual tau^2 added), at
            the level ``1 - alpha`` with the model's critical value (t with Knapp-Hartung).

        Examples
        --------
        >>> dose = pd.DataFrame({"dose": [1, 2, 3, 4]})
        >>> fit = meta_regression([0.1, 0.2, 0.3, 0.4], [0.01] * 4, dose, tau2_estimator="FE")
        >>> out = fit.predict([2.5])
        >>> round(float(out.loc[0, "value"]), 4), out.columns.tolist()[2:4]
        (0.25, ['ci_low', 'ci_high'])
        """
        names = list(self.moderators.columns)
        if isinstance(values, pd.DataFrame):
            require_columns(values, names, role="moderator")
            frame = values[names]
        elif len(names) == 1:
            index = values.index if isinstance(values, pd.Series) else None
            column = np.atleast_1d(np.asarray(values, dtype=object))
            frame = pd.DataFrame({names[0]: column}, index=index)
        else:
            raise InputError(f"values must be a DataFrame with the moderator columns {names}")
        x = _check_moderators(frame, len(frame), name="values").to_numpy()
        if self.intercept:
            x = np.column_stack([np.ones(len(x)), x])
        fitted = x @ self.coefficients["estimate"].to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.vcov.to_numpy(), x))
        ci_low, ci_high, _ = wald_interval(fitted, se, alpha=self.alpha, df=self.df)
        crit = critical_value(self.alpha, self.df)
        pred_se = np.sqrt(se**2 + self.tau2)
        return pd.DataFrame(
            {
                "value": fitted,
                "std_error": se,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "pi_low": fitted - crit * pred_se,
                "pi_high": fitted + crit * pred_se,
            },
            index=frame.index,
        )

    def summary(self) -> str:
        test = "F" if self.df is not None else "QM"
        lines = [
            f"Meta-regression ({TAU2_ESTIMATOR_NAMES[self.tau2_estimator]}), k = {self.k}",
            f"  tau^2 (residual): {self.tau2:.4f}   I^2: {100 * self.i2:.2f} %"
            + (f"   R^2: {100 * self.r2:.2f} %" if self.r2 is not None else ""),
            f"  QE({self.qe_df}) = {self.qe:.4f}, p = {self.qe_pvalue:.4g}",
            f"  {test} (moderators, df = {self.qm_df}) = {self.qm:.4f}, p = {self.qm_pvalue:.4g}",
            self.coefficients.round(4).to_string(),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def coefficient_estimate(coefficients: pd.DataFrame, term: str, **fields: object) -> Estimate:
    """The row ``term`` of a coefficient table as an :class:`Estimate` with ``fields``."""
    row = coefficients.loc[term]
    return Estimate(
        value=row["estimate"],
        std_error=row["std_error"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        p_value=row["p_value"],
        **fields,
    )


def _check_moderators(moderators: object, k: int, *, name: str = "moderators") -> pd.DataFrame:
    """The moderators as floats (index kept); refusals name the column and the problem."""
    if isinstance(moderators, pd.Series):
        moderators = moderators.to_frame(name=moderators.name or "moderator")
    if not isinstance(moderators, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame, got {type(moderators).__name__}")
    if len(moderators) != k:
        raise InputError(f"{name} has {len(moderators)} rows but there are {k} studies")
    if moderators.shape[1] == 0:
        raise InputError(f"{name} has no column")
    if moderators.columns.has_duplicates:
        repeated = sorted({str(c) for c in moderators.columns[moderators.columns.duplicated()]})
        raise InputError(f"{name}: column(s) {repeated} appear more than once")
    moderators = moderators.infer_objects()
    for column in moderators.columns:
        series = moderators[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise InputError(
                f"moderator column {column!r} must be numeric (dtype {series.dtype}); "
                "encode categories with pandas.get_dummies(..., drop_first=True)"
            )
        n_missing = int((~np.isfinite(series.to_numpy(dtype=float))).sum())
        if n_missing:
            raise InputError(
                f"moderator column {column!r} has {n_missing} missing or infinite value(s)"
            )
    return moderators.astype(float).rename(columns=str)


def regression_arrays(
    y: np.ndarray,
    v: np.ndarray,
    moderators: pd.DataFrame,
    *,
    tau2_estimator: str,
    knapp_hartung: str | None,
    alpha: float,
    reml_threshold: float | None = None,
    intercept: bool = True,
    outcome: str = "",
    design: str = "rct",
) -> MetaRegressionResult:
    """Fit validated arrays on checked moderators (the engine of :func:`meta_regression`,
    also used by Egger's test and the test of subgroup differences)."""
    names = list(moderators.columns)
    x = moderators.to_numpy(dtype=float)
    if intercept:
        x = np.column_stack([np.ones(len(y)), x])
        names = ["intercept", *names]
    k, p = x.shape
    if k <= p:
        raise InputError(f"meta-regression with {p} coefficient(s) needs more than {p} studies")
    if not has_full_rank(x):
        raise InputError(f"moderators {names} are collinear (with each other or the intercept)")
    fit = fit_model(y, v, x, tau2_estimator, knapp_hartung, reml_threshold)
    df = fit.df_resid if knapp_hartung is not None else None
    se = np.sqrt(np.diag(fit.vcov))
    ci_low, ci_high, p_value = wald_interval(fit.beta, se, alpha=alpha, df=df)
    terms = pd.Index(names, name="term")
    coefficients = pd.DataFrame(
        {
            "estimate": fit.beta,
            "std_error": se,
            "statistic": fit.beta / se,
            "p_value": p_value,
            "ci_low": ci_low,
            "ci_high": ci_high,
        },
        index=terms,
    )
    tested = slice(1, None) if intercept else slice(None)
    b = fit.beta[tested]
    qm = float(b @ np.linalg.solve(fit.vcov[tested, tested], b))
    qm_df = len(b)
    if knapp_hartung is not None:
        qm /= qm_df  # metafor reports the F statistic as QM with Knapp-Hartung
        qm_pvalue = float(stats.f.sf(qm, qm_df, fit.df_resid))
    else:
        qm_pvalue = float(stats.chi2.sf(qm, qm_df))
    r2 = None
    if intercept and tau2_estimator != "FE":
        tau2_null = fit_model(y, v, np.ones((k, 1)), tau2_estimator, None, reml_threshold).tau2
        r2 = max(0.0, (tau2_null - fit.tau2) / tau2_null) if tau2_null > 0 else 0.0
    return MetaRegressionResult(
        coefficients=coefficients,
        vcov=pd.DataFrame(fit.vcov, index=terms, columns=terms),
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
        tau2_estimator=tau2_estimator,
        knapp_hartung=knapp_hartung,
        df=df,
        alpha=alpha,
        effects=y.copy(),
        variances=v.copy(),
        moderators=moderators.reset_index(drop=True),
        intercept=intercept,
        outcome=outcome,
        design=design,
    )


def meta_regression(
    effects: object,
    variances: object,
    moderators: pd.DataFrame,
    *,
    tau2_estimator: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    intercept: bool = True,
    reml_threshold: float | None = None,
    outcome: str = "",
    design: str = "rct",
) -> MetaRegressionResult:
    """Mixed-effects meta-regression of effects on study-level moderators.

    Weighted least squares with weights ``1 / (v_i + tau2)``, tau^2 being the residual
    between-study variance estimated by ``tau2_estimator`` (see :func:`pool`, also for
    ``knapp_hartung``, ``reml_threshold`` and ``design``). Moderators must be numeric:
    encode categories as dummies. ``outcome`` and ``design`` label the records of
    :meth:`MetaRegressionResult.estimates`.

    Examples
    --------
    >>> mods = pd.DataFrame({"latitude": [44, 55, 42, 52, 13, 44, 19]})
    >>> yi = [-0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62]
    >>> vi = [0.33, 0.19, 0.42, 0.02, 0.05, 0.01, 0.22]
    >>> fit = meta_regression(yi, vi, mods, tau2_estimator="FE")
    >>> list(fit.coefficients.index), fit.estimate.treatment
    (['intercept', 'latitude'], 'latitude')
    """
    y, v, kh, threshold = check_model(
        effects, variances, tau2_estimator=tau2_estimator, knapp_hartung=knapp_hartung,
        alpha=alpha, reml_threshold=reml_threshold,
    )  # fmt: skip
    get_design(design)
    intercept = require_flag(intercept, name="intercept")
    if isinstance(effects, pd.Series) and isinstance(moderators, pd.DataFrame | pd.Series):
        if len(moderators) == len(y) and not effects.index.equals(moderators.index):
            raise InputError(
                "effects and moderators have different indexes: they would be paired by "
                "position, not by study; align them (moderators.reindex(effects.index))"
            )
    return regression_arrays(
        y, v, _check_moderators(moderators, len(y)), tau2_estimator=tau2_estimator,
        knapp_hartung=kh, alpha=alpha, reml_threshold=threshold, intercept=intercept,
        outcome=outcome, design=design,
    )  # fmt: skip
