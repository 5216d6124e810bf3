"""Covariate balance of a randomised experiment: a balance table and a joint test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from impactlib.core.validation import (
    InputError,
    as_list,
    has_full_rank,
    require_binary,
    require_columns,
    require_dataframe,
    require_distinct_columns,
    require_finite,
    require_flag,
    require_numeric,
    require_per_arm,
)
from impactlib.experiment.samples import (
    complete_rows,
    covariate_matrix,
    stratum_codes,
    stratum_dummies,
)
from impactlib.experiment.significance import SignificanceTest

# --- balance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JointBalanceTest(SignificanceTest):
    """Joint test that the covariates do not predict the treatment (see
    :func:`joint_balance_test`).

    A pure test: ``statistic`` (the F statistic), ``p_value`` and ``method``, its degrees of
    freedom and sample; ``tidy()`` is a one-row table, ``summary()`` plain text.
    """

    term = "joint_balance"

    statistic: float
    df_num: int
    df_den: float
    p_value: float
    n: int
    n_dropped: int
    covariates: list[str]
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Every field, as plain Python values."""
        return {
            "statistic": float(self.statistic),
            "df_num": int(self.df_num),
            "df_den": float(self.df_den),
            "p_value": float(self.p_value),
            "n": int(self.n),
            "n_dropped": int(self.n_dropped),
            "covariates": list(self.covariates),
            "method": self.method,
        }

    def summary(self) -> str:
        """The test in plain text."""
        return (
            f"{self.method}\n  F({self.df_num}, {self.df_den:g}) = {self.statistic:.4f}   "
            f"p-value: {self.p_value:.4g}\n  n = {self.n}"
            + (f"; {self.n_dropped} row(s) dropped for missing values" if self.n_dropped else "")
        )


def joint_balance_test(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: str | Sequence[str],
    strata: str | None = None,
    cluster: str | None = None,
) -> JointBalanceTest:
    """Omnibus test of balance: do the covariates jointly predict the treatment?

    The treatment indicator is regressed on a constant and the covariates (a linear
    probability model, plus stratum indicators when ``strata`` is given, since assignment
    probabilities may differ by stratum) and the covariate coefficients are tested jointly
    with a Wald test on the HC2 covariance (CR1 with ``cluster``), reported as an F
    statistic ``W / k`` with ``(k, n - p)`` degrees of freedom (``(k, G - 1)`` with
    clusters). Under successful randomisation the covariates have no predictive power. This
    is the "joint test of orthogonality" of Bruhn & McKenzie (2009, AEJ Applied 1(4)),
    made robust to heteroskedasticity; statsmodels fits the regression and its covariance.
    Rows missing the treatment or any covariate are dropped and counted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"t": rng.permutation([0, 1] * 50), "age": rng.normal(40, 9, 100),
    ...                    "educ": rng.integers(6, 17, 100)})
    >>> test = joint_balance_test(df, treatment="t", covariates=["age", "educ"])
    >>> test.df_num, test.df_den, 0 <= test.p_value <= 1
    (2, 97.0, True)
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    if not covariates:
        raise InputError("covariates must name at least one column")
    roles = {"treatment": treatment, "covariate": covariates}
    require_distinct_columns(treatment=treatment, covariate=covariates)
    kept, n_dropped = complete_rows(data, roles | {"strata": strata, "cluster": cluster})
    x = covariate_matrix(kept, covariates)
    t = require_binary(kept, treatment).astype(float)
    require_per_arm(t, name=treatment, minimum=2)
    columns = [np.ones(len(t)), *x.T]
    if strata is not None:
        codes, labels = stratum_codes(kept[strata])
        columns += [*stratum_dummies(codes, len(labels)).T]
    design = np.column_stack(columns)
    if not has_full_rank(design):
        raise InputError(f"covariates {covariates} are collinear: drop redundant ones")
    if design.shape[0] <= design.shape[1]:
        raise InputError(
            f"{design.shape[0]} rows cannot test {len(covariates)} covariate(s) jointly"
        )
    model = sm.OLS(t, design)
    k = len(covariates)
    if cluster is None:
        fit = model.fit(cov_type="HC2")
        df_den = float(fit.df_resid)
        variance = "HC2"
    else:
        groups = pd.factorize(kept[cluster])[0]
        n_clusters = int(groups.max() + 1)
        if n_clusters <= k:
            raise InputError(
                f"cluster column {cluster!r}: {n_clusters} clusters cannot test {k} "
                "covariate(s) jointly"
            )
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        df_den = float(n_clusters - 1)
        variance = "CR1 cluster-robust"
    coef = fit.params[1 : k + 1]
    vcov = fit.cov_params()[1 : k + 1, 1 : k + 1]
    wald = float(coef @ np.linalg.solve(vcov, coef))
    f_stat = wald / k
    return JointBalanceTest(
        statistic=f_stat,
        df_num=k,
        df_den=df_den,
        p_value=float(stats.f.sf(f_stat, k, df_den)),
        n=len(t),
        n_dropped=n_dropped,
        covariates=covariates,
        method=(
            "Joint balance test: treatment regressed on the covariates"
            + (" and stratum indicators" if strata else "")
            + f", Wald F test with {variance} covariance"
        ),
    )


def balance_table(
    data: pd.DataFrame, treatment: str, covariates: Sequence[str], *, joint: bool = False
) -> pd.DataFrame:
    """Covariate means by arm, their difference, standardised difference and Welch p-value.

    The standardised mean difference divides the difference by the pooled standard
    deviation ``sqrt((s1^2 + s0^2) / 2)``, so that |SMD| > 0.1 flags a notable imbalance
    whatever the unit (Austin 2009). With ``joint=True`` the omnibus test of
    :func:`joint_balance_test` is run too and stored, as a dictionary, in
    ``table.attrs["joint_test"]``; the table itself is unchanged.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [0, 0, 1, 1], "age": [20, 30, 22, 34]})
    >>> balance_table(df, "t", ["age"]).loc["age", "difference"]
    np.float64(3.0)
    """
    data = require_dataframe(data)
    covariates = as_list(covariates)
    require_columns(data, [treatment], role="treatment")
    require_columns(data, covariates, role="covariate")
    require_flag(joint, name="joint")
    require_distinct_columns(treatment=treatment, covariate=covariates)
    t = require_binary(data, treatment).astype(bool)
    rows = {}
    for name in covariates:
        require_numeric(data, name, role="covariate")
        require_finite(data, [name], role="covariate")
        treated = data.loc[t, name].dropna().astype(float)
        control = data.loc[~t, name].dropna().astype(float)
        for arm, values in (("treated", treated), ("control", control)):
            if len(values) < 2:
                raise InputError(
                    f"covariate column {name!r} has {len(values)} observed value(s) in the "
                    f"{arm} arm: at least 2 per arm are needed to compare the arms"
                )
        pooled_sd = np.sqrt((treated.var() + control.var()) / 2)
        difference = treated.mean() - control.mean()
        rows[name] = {
            "mean_treated": treated.mean(),
            "mean_control": control.mean(),
            "difference": difference,
            "smd": difference / pooled_sd if pooled_sd > 0 else np.nan,
            "p_value": stats.ttest_ind(treated, control, equal_var=False).pvalue,
            "n_missing": int(data[name].isna().sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if joint:
        table.attrs["joint_test"] = joint_balance_test(
            data, treatment=treatment, covariates=covariates
        ).to_dict()
    return table
