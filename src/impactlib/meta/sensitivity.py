"""Subgroups, leave-one-out and cumulative meta-analysis (metafor's ``leave1out``, ``cumul``).

Each is a loop over :func:`~impactlib.meta.pooling.pool`; the test of subgroup differences
is written out (see :func:`pool_by`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.core.validation import (
    InputError,
    require_columns,
    require_dataframe,
    require_probability,
)
from impactlib.meta.pooling import (
    MetaResult,
    pool_arrays,
    study_labels,
)
from impactlib.meta.regression import MetaRegressionResult, meta_regression
from impactlib.meta.tau2 import (
    _check_knapp_hartung,
    check_inputs,
)

_COLUMNS = ["value", "std_error", "ci_low", "ci_high", "p_value", "tau2", "i2", "q", "k"]


def _row(result: MetaResult) -> dict[str, float]:
    return {name: getattr(result, name) for name in _COLUMNS}


def _prepare(effects, variances, method, knapp_hartung, alpha, labels, min_k):
    y, v = check_inputs(effects, variances, method=method, min_k=min_k)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    labels = study_labels(effects, labels, len(y))
    return y, v, kh, labels


def leave_one_out(
    effects: object,
    variances: object,
    *,
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    labels: Sequence | None = None,
) -> pd.DataFrame:
    """Pool the studies again with each one left out in turn (metafor's ``leave1out``).

    Returns
    -------
    DataFrame
        One row per omitted study (indexed by its label): ``value, std_error, ci_low,
        ci_high, p_value, tau2, i2, q, k``.

    Examples
    --------
    >>> loo = leave_one_out([0.1, 0.3, 0.35, 0.6], [0.04, 0.02, 0.05, 0.03], method="FE")
    >>> loo["k"].tolist()
    [3, 3, 3, 3]
    """
    min_k = 2 if method == "FE" else 3
    y, v, kh, labels = _prepare(effects, variances, method, knapp_hartung, alpha, labels, min_k)
    rows = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        rows.append(_row(pool_arrays(y[keep], v[keep], method, kh, alpha)))
    return pd.DataFrame(rows, index=pd.Index(labels, name="omitted"))


def cumulative(
    effects: object,
    variances: object,
    *,
    order: Sequence | None = None,
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    labels: Sequence | None = None,
) -> pd.DataFrame:
    """Cumulative meta-analysis: add the studies one at a time in ``order``.

    ``order`` is a sort key, one value per study (e.g. the publication year); ties keep
    the input order (a stable sort, as R's ``order``). Without it the input order is used.
    As metafor's ``cumul``, the first row is the first study alone (tau^2 = 0, a normal
    interval even with ``knapp_hartung``, which needs two studies).

    Returns
    -------
    DataFrame
        One row per step, indexed by the label of the study added.
    """
    y, v, kh, labels = _prepare(effects, variances, method, knapp_hartung, alpha, labels, 1)
    if order is None:
        index = np.arange(len(y))
    else:
        key = np.asarray(order)
        if key.shape != (len(y),):
            raise InputError(f"order must have one value per study ({len(y)}), got {key.shape}")
        if pd.isna(key).any():
            raise InputError("order has missing value(s)")
        index = np.argsort(key, kind="stable")
    rows = []
    for step in range(1, len(y) + 1):
        chosen = index[:step]
        rows.append(
            _row(pool_arrays(y[chosen], v[chosen], method, kh if step > 1 else None, alpha))
        )
    return pd.DataFrame(rows, index=pd.Index([labels[i] for i in index], name="added"))


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Pooled effect within each subgroup, overall, and the test of subgroup differences.

    ``q_between`` is chi^2 on ``df_between = G - 1`` degrees of freedom (``p_between``).
    With ``tau2="separate"`` it compares the subgroup estimates with their own standard
    errors (Q_between = sum w_g (mu_g - mu_bar)^2, w_g = 1 / se_g^2: the "test for subgroup
    differences" of RevMan and R's meta package); with ``tau2="common"`` it is the omnibus
    moderator test QM of a meta-regression on group dummies with one tau^2 (metafor's
    ``rma(yi, vi, mods = ~ group)``), whose fit is in ``regression`` (with Knapp-Hartung
    it is metafor's F statistic, on ``(df_between, k - G)`` degrees of freedom).
    """

    groups: dict[object, MetaResult]
    overall: MetaResult
    q_between: float
    df_between: int
    p_between: float
    tau2: str
    regression: MetaRegressionResult | None = None

    def table(self) -> pd.DataFrame:
        """One row per subgroup and one for all studies."""
        rows = {name: _row(result) for name, result in self.groups.items()}
        rows["Ensemble"] = _row(self.overall)
        return pd.DataFrame.from_dict(rows, orient="index")

    def summary(self) -> str:
        lines = [self.table().round(4).to_string()]
        lines.append(
            f"Test for subgroup differences ({self.tau2} tau^2): "
            f"Q = {self.q_between:.4f}, df = {self.df_between}, p = {self.p_between:.4g}"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def pool_by(
    data: pd.DataFrame,
    by: str,
    *,
    effect: str = "yi",
    variance: str = "vi",
    method: str = "REML",
    knapp_hartung: bool | str = False,
    alpha: float = 0.05,
    label: str | None = None,
    tau2: str = "separate",
) -> SubgroupResult:
    """Pool within each subgroup of ``by`` and test whether the subgroups differ.

    A subgroup with a single study is reported as that study (tau^2 = 0). Rows missing
    ``by`` are refused, not dropped.

    Parameters
    ----------
    data : DataFrame
        One row per study with the effect, its variance and the grouping column, e.g.
        :func:`effect_sizes` joined to the extraction sheet.
    by : str
        Grouping column (design, risk of bias, region...).
    tau2 : {"separate", "common"}
        Between-study variance estimated in each subgroup, or one for all (see
        :class:`SubgroupResult`).

    Examples
    --------
    >>> df = pd.DataFrame({"yi": [0.1, 0.3, 0.35, 0.6, 0.2], "vi": [0.04, 0.02, 0.05, 0.03, 0.02],
    ...                    "design": ["rct", "rct", "observational", "observational", "rct"]})
    >>> res = pool_by(df, by="design", method="FE")
    >>> sorted(res.groups), res.df_between
    (['observational', 'rct'], 1)
    """
    data = require_dataframe(data)
    require_columns(data, [effect], role="effect")
    require_columns(data, [variance], role="variance")
    require_columns(data, [by], role="grouping")
    if tau2 not in ("separate", "common"):
        raise InputError(f"tau2 must be 'separate' or 'common'; got {tau2!r}")
    n_missing = int(data[by].isna().sum())
    if n_missing:
        raise InputError(f"grouping column {by!r} has {n_missing} missing value(s)")
    if label is not None:
        require_columns(data, [label], role="label")
    y, v = check_inputs(data[effect], data[variance], method=method)
    require_probability(alpha, name="alpha")
    kh = _check_knapp_hartung(knapp_hartung)
    labels = data[label].tolist() if label is not None else list(data.index)
    groups_of = data[by].to_numpy()
    names = list(pd.unique(groups_of))
    if len(names) < 2:
        raise InputError(f"grouping column {by!r} has a single group ({names[0]!r})")
    results = {}
    for name in names:
        mask = groups_of == name
        sub_labels = [lab for lab, m in zip(labels, mask, strict=True) if m]
        results[name] = pool_arrays(
            y[mask], v[mask], method, kh if mask.sum() > 1 else None, alpha, sub_labels
        )
    overall = pool_arrays(y, v, method, kh, alpha, labels)
    regression = None
    if tau2 == "separate":
        mu = np.array([r.value for r in results.values()])
        w = 1.0 / np.array([r.std_error for r in results.values()]) ** 2
        q = float(np.sum(w * (mu - np.sum(w * mu) / w.sum()) ** 2))
        df = len(names) - 1
        p = float(stats.chi2.sf(q, df))
    else:
        dummies = pd.get_dummies(pd.Categorical(groups_of, categories=names), drop_first=True)
        dummies = dummies.astype(float)
        dummies.columns = [f"{by}={c}" for c in dummies.columns]
        regression = meta_regression(y, v, dummies, method=method, knapp_hartung=knapp_hartung)
        q, df, p = regression.qm, regression.qm_df, regression.qm_pvalue
    return SubgroupResult(results, overall, q, df, p, tau2, regression)
