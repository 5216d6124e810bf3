"""Subgroups, leave-one-out and cumulative meta-analysis (metafor's ``leave1out``, ``cumul``).

Each takes a pooled result (:func:`~impactlib.meta.pooling.pool`) and pools subsets of its
studies again with its settings; the test of subgroup differences is written out (see
:func:`pool_by`). Their ``tidy()`` tables have the columns of an :class:`Estimate` and the
heterogeneity of each pool (``tau2``, ``i2``, ``q``), one row per pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.estimate import Estimate
from impactlib.core.result import Result
from impactlib.core.validation import InputError
from impactlib.meta.pooling import MetaResult, pool_like, pooled_frame, require_result
from impactlib.meta.regression import MetaRegressionResult, regression_arrays


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Pooled results side by side: one per omitted study (leave-one-out) or per step of a
    cumulative meta-analysis, by the label of the study omitted or added."""

    results: dict[object, MetaResult]
    kind: str

    def tidy(self) -> pd.DataFrame:
        """One row per pool, in order (see the module notes for the columns)."""
        return pooled_frame(self.results)

    def summary(self) -> str:
        columns = ["value", "std_error", "ci_low", "ci_high", "p_value", "n", "tau2", "i2"]
        table = self.tidy()[columns].rename_axis(self.kind)
        return (
            f"{self.kind.capitalize()} ({len(self.results)} pools)\n" + table.round(4).to_string()
        )

    def __str__(self) -> str:
        return self.summary()


def leave_one_out(result: MetaResult) -> SensitivityResult:
    """Pool the studies of ``result`` again with each one left out (metafor's ``leave1out``).

    Returns
    -------
    SensitivityResult
        One pool per omitted study, by its label (``kind="omitted"``).

    Examples
    --------
    >>> from impactlib.meta import pool
    >>> res = pool([0.1, 0.3, 0.35, 0.6], [0.04, 0.02, 0.05, 0.03], tau2_estimator="FE")
    >>> leave_one_out(res).tidy()["n"].tolist()
    [3, 3, 3, 3]
    """
    result = require_result(result)
    needed = 2 if result.tau2_estimator == "FE" else 3
    if result.k < needed:
        raise InputError(
            f"leave_one_out with tau2_estimator={result.tau2_estimator!r} needs at least "
            f"{needed} studies, got k = {result.k}"
        )
    everyone = np.arange(result.k)
    return SensitivityResult(
        {label: pool_like(result, everyone != i) for i, label in enumerate(result.labels)},
        "omitted",
    )


def cumulative(result: MetaResult, *, order: Sequence | None = None) -> SensitivityResult:
    """Cumulative meta-analysis: add the studies of ``result`` one at a time in ``order``.

    ``order`` is a sort key, one value per study (e.g. the publication year); ties keep
    the input order (a stable sort, as R's ``order``). Without it the input order is used.
    As metafor's ``cumul``, the first pool is the first study alone (tau^2 = 0, a normal
    interval even with Knapp-Hartung, which needs two studies).

    Returns
    -------
    SensitivityResult
        One pool per step, by the label of the study added (``kind="added"``).
    """
    result = require_result(result)
    if order is None:
        index = np.arange(result.k)
    else:
        key = np.asarray(order)
        if key.shape != (result.k,):
            raise InputError(f"order must have one value per study ({result.k}), got {key.shape}")
        if pd.isna(key).any():
            raise InputError("order has missing value(s)")
        index = np.argsort(key, kind="stable")
    steps = {}
    for step in range(1, result.k + 1):
        changes = {} if step > 1 else {"knapp_hartung": None}
        steps[result.labels[index[step - 1]]] = pool_like(result, index[:step], **changes)
    return SensitivityResult(steps, "added")


@dataclass(frozen=True, eq=False)
class SubgroupResult(Result):
    """Pooled effect within each subgroup, overall, and the test of subgroup differences.

    ``q_between`` is chi^2 on ``df_between = G - 1`` degrees of freedom (``p_between``).
    With ``tau2="separate"`` it compares the subgroup estimates with their own standard
    errors (Q_between = sum w_g (mu_g - mu_bar)^2, w_g = 1 / se_g^2: the "test for subgroup
    differences" of RevMan and R's meta package); with ``tau2="common"`` it is the omnibus
    moderator test QM of a meta-regression on group dummies with one tau^2 (metafor's
    ``rma(yi, vi, mods = ~ group)``), whose fit is in ``regression`` (with Knapp-Hartung
    it is metafor's F statistic, on ``(df_between, k - G)`` degrees of freedom).

    ``estimate`` is the pooled effect of all the studies; ``tidy()`` has its row
    (``"overall"``) then one per subgroup.
    """

    groups: dict[object, MetaResult]
    overall: MetaResult
    q_between: float
    df_between: int
    p_between: float
    tau2: str
    regression: MetaRegressionResult | None = None

    @property
    def estimate(self) -> Estimate:
        return self.overall.estimate

    def estimates(self) -> dict[object, Estimate]:
        return {term: result.estimate for term, result in self._pools().items()}

    def tidy(self) -> pd.DataFrame:
        return pooled_frame(self._pools())

    def _pools(self) -> dict[object, MetaResult]:
        return {"overall": self.overall, **self.groups}

    def summary(self) -> str:
        columns = ["value", "std_error", "ci_low", "ci_high", "n", "tau2", "i2"]
        lines = [self.tidy()[columns].round(4).to_string()]
        lines.append(
            f"Test for subgroup differences ({self.tau2} tau^2): "
            f"Q = {self.q_between:.4f}, df = {self.df_between}, p = {self.p_between:.4g}"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def pool_by(result: MetaResult, by: Sequence, *, tau2: str = "separate") -> SubgroupResult:
    """Pool the studies of ``result`` within each subgroup of ``by`` and test whether the
    subgroups differ.

    A subgroup with a single study is reported as that study (tau^2 = 0). Studies missing
    their group are refused, not dropped.

    Parameters
    ----------
    result : MetaResult
        The pool of all the studies (:func:`pool`), whose settings each subgroup repeats.
    by : sequence
        The group of each study, in the order of the studies (design, risk of bias,
        region...), e.g. a column of the extraction sheet.
    tau2 : {"separate", "common"}
        Between-study variance estimated in each subgroup, or one for all (see
        :class:`SubgroupResult`).

    Examples
    --------
    >>> from impactlib.meta import pool
    >>> res = pool([0.1, 0.3, 0.35, 0.6, 0.2], [0.04, 0.02, 0.05, 0.03, 0.02],
    ...            tau2_estimator="FE")
    >>> sub = pool_by(res, by=["rct", "rct", "observational", "observational", "rct"])
    >>> sorted(sub.groups), sub.df_between
    (['observational', 'rct'], 1)
    """
    result = require_result(result)
    if tau2 not in ("separate", "common"):
        raise InputError(f"tau2 must be 'separate' or 'common'; got {tau2!r}")
    name = getattr(by, "name", None) or "group"
    groups_of = np.asarray(by, dtype=object)
    if groups_of.shape != (result.k,):
        raise InputError(f"by must have one value per study ({result.k}), got {groups_of.shape}")
    n_missing = int(pd.isna(groups_of).sum())
    if n_missing:
        raise InputError(f"by has {n_missing} missing value(s)")
    names = list(pd.unique(groups_of))
    if len(names) < 2:
        raise InputError(f"by has a single group ({names[0]!r})")
    groups = {}
    for group in names:
        mask = groups_of == group
        labels = [label for label, m in zip(result.labels, mask, strict=True) if m]
        changes = {} if mask.sum() > 1 else {"knapp_hartung": None}
        groups[group] = pool_like(result, mask, labels, **changes)
    regression = None
    if tau2 == "separate":
        mu = np.array([r.value for r in groups.values()])
        w = 1.0 / np.array([r.std_error for r in groups.values()]) ** 2
        q = float(np.sum(w * (mu - np.sum(w * mu) / w.sum()) ** 2))
        df = len(names) - 1
        p = float(stats.chi2.sf(q, df))
    else:
        dummies = pd.get_dummies(pd.Categorical(groups_of, categories=names), drop_first=True)
        dummies = dummies.astype(float)
        dummies.columns = [f"{name}={c}" for c in dummies.columns]
        regression = regression_arrays(
            result.effects, result.variances, dummies, tau2_estimator=result.tau2_estimator,
            knapp_hartung=result.knapp_hartung, alpha=result.alpha,
            reml_threshold=result.reml_threshold,
        )  # fmt: skip
        q, df, p = regression.qm, regression.qm_df, regression.qm_pvalue
    return SubgroupResult(groups, result, q, df, p, tau2, regression)
