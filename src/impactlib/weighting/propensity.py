"""Propensity scores: the logit or probit fit shared by weighting and matching, its inputs
and trimming bounds."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from impactlib.core.inference import wald_interval
from impactlib.core.validation import (
    InputError,
    as_list,
    drop_missing,
    has_full_rank,
    is_real,
    plain,
    require_binary,
    require_columns,
    require_dataframe,
    require_distinct_columns,
    require_finite,
    require_numeric,
    require_per_arm,
    require_probability,
    require_varies,
)

_LINKS = {"logit": sm.Logit, "probit": sm.Probit}


_ESTIMANDS = ("ATT", "ATE")


_EXTREME = 1e-10  # a score this close to 0 or 1 is a perfect prediction


# --- propensity score --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PropensityScore:
    """A fitted propensity-score model (see :func:`propensity_score`).

    Attributes
    ----------
    scores : Series
        Estimated probability of treatment, indexed like the rows of ``data`` that were used.
    model : statsmodels results
        The ``Logit``/``Probit`` fit. Its regressors are the covariates standardised to mean
        0 and standard deviation 1 (for numerical stability), preceded by a constant;
        :attr:`coefficients` gives the coefficients on the original scale.
    treatment, covariates, link
        What was modelled, and how.
    n, n_dropped : int
        Rows used, rows dropped for missing values.
    """

    scores: pd.Series
    model: Any
    treatment: str
    covariates: list[str]
    link: str
    n: int
    n_dropped: int
    center: np.ndarray
    scale: np.ndarray

    @property
    def treated(self) -> pd.Series:
        """Whether each scored unit is treated (booleans indexed like :attr:`scores`)."""
        endog = np.asarray(self.model.model.endog)
        return pd.Series(endog == 1, index=self.scores.index, name=self.treatment)

    @property
    def logit(self) -> pd.Series:
        """Log-odds of the scores, the scale on which matching calipers are set."""
        return pd.Series(
            _log_odds(self.model, self.scores.to_numpy()), index=self.scores.index, name="logit"
        )

    @property
    def coefficients(self) -> pd.Series:
        """Coefficients on the original scale of the covariates (intercept first)."""
        params = np.asarray(self.model.params)
        slopes = params[1:] / self.scale
        intercept = params[0] - float(np.sum(slopes * self.center))
        return pd.Series([intercept, *slopes], index=["const", *self.covariates])

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The coefficients on the original scale of the covariates, indexed by ``term``
        (``const`` first), with the columns of an estimate table: ``value``, ``std_error``,
        ``ci_low``, ``ci_high`` (Wald, at ``1 - alpha``) and ``p_value``.

        The standard errors are the model's, carried from the standardised covariates it
        was fitted on by the linear map that gives :attr:`coefficients`.
        """
        require_probability(alpha, name="alpha")
        k = len(self.covariates)
        to_original = np.eye(k + 1)
        to_original[1:, 1:] /= self.scale[:, None]
        to_original[0, 1:] = -self.center / self.scale
        vcov = to_original @ np.asarray(self.model.cov_params()) @ to_original.T
        values = self.coefficients
        se = np.sqrt(np.diag(vcov))
        ci_low, ci_high, p_value = wald_interval(values.to_numpy(), se, alpha=alpha)
        frame = pd.DataFrame(
            {"value": values, "std_error": se, "ci_low": ci_low, "ci_high": ci_high},
            index=values.index,
        ).assign(p_value=p_value)
        frame.index.name = "term"
        return frame

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """The fitted model's propensity scores for the rows of ``data`` (other units with the
        same covariates: the randomised controls of an experiment, say)."""
        data = require_dataframe(data)
        require_columns(data, self.covariates, role="covariate")
        for name in self.covariates:
            require_numeric(data, name, role="covariate")
        x = data[self.covariates].to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise InputError(
                f"covariates {self.covariates}: {int((~np.isfinite(x)).any(axis=1).sum())} "
                "row(s) of data have missing or infinite values: no score can be predicted"
            )
        design = np.column_stack([np.ones(len(x)), (x - self.center) / self.scale])
        scores = self.model.model.predict(np.asarray(self.model.params), design)
        return pd.Series(scores, index=data.index, name="propensity_score")

    def summary(self) -> str:
        treated = self.scores[self.treated]
        control = self.scores[~self.treated]
        return "\n".join(
            [
                f"Propensity score ({self.link}) of {self.treatment!r} on "
                f"{len(self.covariates)} covariate(s)",
                f"  treated: {len(treated)} units, scores in [{treated.min():.4g}, "
                f"{treated.max():.4g}]",
                f"  control: {len(control)} units, scores in [{control.min():.4g}, "
                f"{control.max():.4g}]",
                f"  n = {self.n}"
                + (
                    f"; {self.n_dropped} row(s) dropped for missing values"
                    if self.n_dropped
                    else ""
                ),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _prepare(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    outcome: str | None = None,
    more: Sequence[str] = (),
) -> tuple[pd.DataFrame, int, np.ndarray]:
    """Check the columns, drop and count rows with missing values, return the 0/1 treatment.

    ``covariates`` may be empty (the naive comparison of :func:`compare_estimators`); the
    estimators refuse that before (:func:`_require_covariates`)."""
    data = require_dataframe(data)
    if outcome is not None:
        require_columns(data, [outcome], role="outcome")
    require_columns(data, [treatment], role="treatment")
    require_distinct_columns(outcome=outcome, treatment=treatment)
    every = list(dict.fromkeys([*covariates, *more]))
    require_columns(data, every, role="covariate")
    clash = {treatment, *([outcome] if outcome else [])} & set(every)
    if clash:
        raise InputError(f"covariate(s) {sorted(clash)} also used as outcome or treatment")
    used = [*([outcome] if outcome else []), treatment, *every]
    _require_observed_in_each_arm(data, treatment, [c for c in used if c != treatment])
    kept, n_dropped = drop_missing(data, used)
    if kept.empty:
        raise InputError(f"no row left after removing missing values in {used}")
    if outcome is not None:
        require_numeric(kept, outcome, role="outcome")
        require_finite(kept, [outcome], role="outcome")
        require_varies(kept[outcome], name=outcome, role="outcome column")
    for name in every:
        require_numeric(kept, name, role="covariate")
    require_finite(kept, every, role="covariate")
    t = require_binary(kept, treatment)
    require_per_arm(t, name=treatment, minimum=2, what="unit(s) with complete data")
    return kept, n_dropped, t


def _require_observed_in_each_arm(data: pd.DataFrame, treatment: str, columns: list[str]) -> None:
    """Refuse a column missing in every row of an arm: dropping those rows would remove the arm."""
    arms = data[treatment].dropna()
    for arm in pd.unique(arms):
        rows = data.loc[arms.index[arms == arm]]
        for column in columns:
            if rows[column].isna().all():
                raise InputError(
                    f"column {column!r} is missing in every row where treatment column "
                    f"{treatment!r} is {plain(arm)!r}: that arm would be dropped"
                )


def _log_odds(fit: Any, scores: np.ndarray) -> np.ndarray:
    """Log-odds of the scores: the linear predictor of a logit (finite even where the score
    rounds to 0 or 1), ``log(e / (1 - e))`` of a probit."""
    if isinstance(fit.model, sm.Logit):
        return np.asarray(fit.model.exog @ np.asarray(fit.params), dtype=float)
    with np.errstate(divide="ignore"):
        return special.logit(scores)


def _separating(x: np.ndarray, t: np.ndarray, covariates: Sequence[str]) -> list[str]:
    """Covariates that alone separate the arms (every treated above every control, or below)."""
    found = []
    for j, name in enumerate(covariates):
        treated, control = x[t == 1, j], x[t == 0, j]
        if treated.min() >= control.max() or treated.max() <= control.min():
            found.append(name)
    return found


def _fit_propensity(
    t: np.ndarray, x: np.ndarray, *, treatment: str, covariates: Sequence[str], link: str
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """Fit the score model on standardised covariates; refuse separation clearly."""
    if link not in _LINKS:
        raise InputError(f"link must be one of {sorted(_LINKS)}, got {link!r}")
    center, scale = x.mean(axis=0), x.std(axis=0)
    constant = [c for c, s in zip(covariates, scale, strict=True) if s == 0]
    if constant:
        raise InputError(f"covariate(s) {constant} never vary in the analysis sample")
    design = np.column_stack([np.ones(len(t)), (x - center) / scale])
    if not has_full_rank(design):
        raise InputError(
            f"covariates {list(covariates)} are collinear in the propensity-score model: "
            "drop redundant ones"
        )
    model = _LINKS[link](t.astype(float), design)
    problem = None
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        try:
            fit = model.fit(disp=0, method="newton", maxiter=100)
            scores = np.asarray(fit.predict(), dtype=float)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            fit, problem = None, str(exc)
    if fit is not None:
        separated = any(
            issubclass(w.category, PerfectSeparationWarning | ConvergenceWarning) for w in caught
        )
        converged = bool(fit.mle_retvals.get("converged", True))
        if separated or not converged or not np.isfinite(fit.params).all():
            problem = "the fit did not converge"
    if problem is not None:
        if fit is not None:
            ones = int(((scores >= 1 - _EXTREME) & (t == 1)).sum())
            zeros = int(((scores <= _EXTREME) & (t == 0)).sum())
            counts = (
                f"{ones} treated unit(s) have a propensity score of 1 and {zeros} control "
                "unit(s) a score of 0 to numerical precision; "
            )
        else:
            counts = ""
        alone = _separating(x, t, covariates)
        culprit = f"covariate(s) {alone} alone separate the arms; " if alone else ""
        raise InputError(
            f"propensity-score model of treatment {treatment!r}: perfect or quasi-perfect "
            f"separation ({problem}): {counts}{culprit}units with propensity scores of 0 or 1 "
            "have no comparable units in the other arm. Drop or coarsen the offending "
            "covariates, or restrict the sample to the region of common support"
        )
    return fit, scores, center, scale


def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    link: str = "logit",
) -> PropensityScore:
    """Estimate the propensity score ``P(treatment = 1 | covariates)``.

    A logit (or probit) of the treatment on a constant and the covariates, fitted by
    statsmodels (Newton-Raphson) on standardised covariates; the scores do not depend on
    that rescaling. Add squares and interactions as columns to enrich the specification.
    Perfect or quasi-perfect separation (scores of 0 or 1) is refused with a message that
    counts the units concerned and names any covariate that separates the arms alone.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> df = pd.DataFrame({"x": x, "t": (rng.random(500) < 1 / (1 + np.exp(-x))).astype(int)})
    >>> ps = propensity_score(df, treatment="t", covariates=["x"])
    >>> ps.n, bool(ps.scores.between(0, 1).all()), float(round(ps.coefficients["x"], 2))
    (500, True, 1.27)
    """
    covariates = _require_covariates(covariates)
    kept, n_dropped, t = _prepare(data, treatment=treatment, covariates=covariates)
    x = kept[covariates].to_numpy(dtype=float)
    fit, scores, center, scale = _fit_propensity(
        t, x, treatment=treatment, covariates=covariates, link=link
    )
    return PropensityScore(
        scores=pd.Series(scores, index=kept.index, name="propensity_score"),
        model=fit,
        treatment=treatment,
        covariates=covariates,
        link=link,
        n=len(kept),
        n_dropped=n_dropped,
        center=center,
        scale=scale,
    )


# --- inverse probability weighting and doubly robust estimation ------------------------


def _check_estimand(estimand: str) -> None:
    if estimand not in _ESTIMANDS:
        raise InputError(f"estimand must be one of {list(_ESTIMANDS)}, got {estimand!r}")


def _check_effect_options(
    covariates: str | Sequence[str], *, estimand: str, alpha: float
) -> list[str]:
    """The checks every effect estimator of the family makes first; the covariates as a list."""
    _check_estimand(estimand)
    require_probability(alpha, name="alpha")
    return _require_covariates(covariates)


def _require_covariates(covariates: str | Sequence[str]) -> list[str]:
    covariates = as_list(covariates)
    if not covariates:
        raise InputError("covariates must name at least one column")
    return covariates


def _trim_bounds(trim: float | tuple[float, float] | None) -> tuple[float, float] | None:
    if trim is None:
        return None
    if is_real(trim):
        if not 0 < trim < 0.5:
            raise InputError(f"trim must be in (0, 0.5) or a (lower, upper) pair, got {trim!r}")
        return float(trim), 1.0 - float(trim)
    try:
        lower, upper = (float(v) for v in trim)
    except (TypeError, ValueError):
        raise InputError(f"trim must be a number or a (lower, upper) pair, got {trim!r}") from None
    if not 0.0 <= lower < upper <= 1.0:
        raise InputError(f"trim bounds must satisfy 0 <= lower < upper <= 1, got {trim!r}")
    return lower, upper


# --- overlap and balance ---------------------------------------------------------------------


def _scores_frame(
    data: pd.DataFrame, ps: str | Sequence[float] | pd.Series | PropensityScore
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``data`` that have a score, and the scores as an array."""
    data = require_dataframe(data)
    if isinstance(ps, PropensityScore):
        if data.index.has_duplicates or ps.scores.index.has_duplicates:
            raise InputError(
                "ps: the scores of a PropensityScore are matched to data by row label, and the "
                "index of data repeats labels: reset it (data.reset_index(drop=True)) first"
            )
        missing = ps.scores.index.difference(data.index)
        if len(missing):
            raise InputError(
                f"ps: the propensity scores cover {len(missing)} row label(s) absent from data"
            )
        frame, scores = data.loc[ps.scores.index], ps.scores.to_numpy(dtype=float)
    elif isinstance(ps, str):
        require_columns(data, [ps], role="propensity score")
        require_numeric(data, ps, role="propensity score")
        frame, scores = data, data[ps].to_numpy(dtype=float)
    else:
        try:
            scores = np.asarray(ps, dtype=float)
        except (TypeError, ValueError):
            raise InputError("ps must hold numbers (propensity scores), one per row") from None
        if scores.shape != (len(data),):
            raise InputError(
                f"ps must have one value per row of data ({len(data)}), got shape {scores.shape}"
            )
        frame = data
    if np.isnan(scores).any():
        raise InputError(
            f"ps: the propensity scores have {int(np.isnan(scores).sum())} missing value(s)"
        )
    if ((scores < 0) | (scores > 1)).any():
        raise InputError("ps: the propensity scores must lie in [0, 1]")
    return frame, scores
