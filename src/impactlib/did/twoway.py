"""The 2x2 difference in differences and two-way fixed effects regressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from impactlib.core.estimate import Estimate
from impactlib.core.inference import wald_estimate
from impactlib.core.validation import (
    InputError,
    refuse_exact_fit,
    require_binary,
    require_std_error,
)
from impactlib.did.panel import (
    _power_of_two_scale,
    _prepare_panel,
    _require_cluster,
    _require_constant_within,
)

# --- 2x2 --------------------------------------------------------------------------------


def did_2x2(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    post: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Canonical two-group, two-period difference in differences.

    OLS of the outcome on the group indicator, the period indicator and their product; the
    coefficient of the product is the DiD estimate, equal to
    ``(treated post - treated pre) - (control post - control pre)`` in cell means. Several
    periods on each side are pooled into "pre" and "post". The errors are cluster-robust
    (statsmodels' CR1, Stata's small-sample factor), by ``unit`` unless ``cluster`` says
    otherwise, and inference uses Student's t with ``G - 1`` degrees of freedom. When the
    treated group is a single cluster (one treated territory), cluster-robust errors would
    over-reject (Conley & Taber 2011): the standard error is then the spread of placebo DiDs,
    each control cluster taken once as treated (Arkhangelsky et al. 2021, algorithm 4), with
    a normal interval, and ``extra["df"]`` is None.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier and period columns; a unit may appear once per period.
    treatment : str
        Binary group indicator, constant within each unit (1 = treated group).
    post : str
        Binary period indicator, constant within each period (1 = after the treatment).
    cluster : str, optional
        Column of clusters for the standard errors; defaults to ``unit``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``estimand`` is the ATT; ``n_treated`` and ``n_control`` count units; ``n_dropped``
        counts rows removed for missing values; ``extra`` holds the four cell means.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "id": [1, 1, 2, 2, 3, 3, 4, 4], "year": [0, 1] * 4,
    ...     "y": [1.0, 2.0, 1.5, 2.5, 1.0, 4.0, 2.0, 5.2],
    ...     "g": [0, 0, 0, 0, 1, 1, 1, 1], "after": [0, 1] * 4})
    >>> est = did_2x2(df, outcome="y", unit="id", time="year", treatment="g", post="after")
    >>> round(est.value, 2)
    2.1
    """
    kept, n_dropped, cluster = _prepare_panel(
        data,
        outcome,
        unit,
        time,
        roles={"treatment": treatment, "post": post},
        cluster=cluster,
        alpha=alpha,
    )
    if kept[post].nunique() < 2:
        raise InputError(
            f"post column {post!r} never varies: the design needs periods before and after"
        )
    d = require_binary(kept, treatment, role="treatment")
    p = require_binary(kept, post, role="post")
    _require_constant_within(
        kept,
        treatment,
        unit,
        role="treatment",
        hint=": it marks the group; use twfe() for a treatment that switches on",
    )
    _require_constant_within(kept, post, time, role="post")
    cells = {(g, q): (d == g) & (p == q) for g in (0, 1) for q in (0, 1)}  # (group, post) -> rows
    names = {(1, 1): "treated_post", (1, 0): "treated_pre", (0, 1): "control_post"}
    names[(0, 0)] = "control_pre"
    empty = [names[key] for key, rows in cells.items() if not rows.any()]
    if empty:
        raise InputError(
            f"no observation in cell(s) {empty} of treatment column {treatment!r} and post "
            f"column {post!r}: every group needs both periods"
        )
    n_clusters = _require_cluster(kept, cluster)
    # One treated cluster (a single treated territory, as in a synthetic-control study): the
    # cluster-robust variance would rest on that cluster alone and over-reject (Conley & Taber
    # 2011), so the error comes from placebos over the control clusters instead.
    single = int(kept.loc[d == 1, cluster].nunique()) == 1

    y = kept[outcome].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(y), d, p, d * p]).astype(float)
    groups = pd.factorize(kept[cluster])[0]
    fit = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    refuse_exact_fit(fit.resid, y, name=outcome, model="group, period and their product")
    if single:
        std_error = _placebo_std_error(kept[d == 0], outcome, post, cluster, treatment)
        n_placebos = kept.loc[d == 0, cluster].nunique()
        df = None
        method = (
            "Difference in differences (2x2 OLS), one treated cluster: placebo standard error "
            f"over the {n_placebos} control clusters of {cluster!r}, each taken once as "
            "treated (Arkhangelsky et al. 2021, algorithm 4), normal interval"
        )
    else:
        std_error, df = fit.bse[3], float(n_clusters - 1)
        method = f"Difference in differences (2x2 OLS), CR1 cluster-robust errors by {cluster!r}"
    units = kept.drop_duplicates(subset=[unit])
    n_treated = int(units[treatment].astype(int).sum())
    return wald_estimate(
        float(fit.params[3]),
        require_std_error(
            std_error, y, name=outcome, method="the variance of the 2x2 DiD (" + method + ")"
        ),
        alpha=alpha,
        df=df,
        n=len(y),
        method=method,
        outcome=outcome,
        treatment=treatment,
        design="did",
        estimand="ATT",
        n_treated=n_treated,
        n_control=len(units) - n_treated,
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        extra={
            "df": df,
            "cluster": cluster,
            "post": post,
            "cell_means": {names[k]: float(y[rows].mean()) for k, rows in cells.items()},
        },
    )


def _placebo_std_error(
    controls: pd.DataFrame, outcome: str, post: str, cluster: str, treatment: str
) -> float:
    """Placebo standard error of a 2x2 DiD with one treated cluster.

    Each control cluster is taken once as if treated and compared with the other control
    clusters (pooled rows, as the OLS of the 2x2 pools them); the standard deviation of these
    placebo DiDs is the error of the real one. This is the placebo variance of Arkhangelsky
    et al. (2021, algorithm 4) with every control cluster drawn once instead of at random, as
    ``impactlib.synth`` does for the synthetic control: the result needs no seed.
    """
    flag = controls[post].astype(int).to_numpy()
    y = controls[outcome].to_numpy(dtype=float)
    codes, labels = pd.factorize(controls[cluster], sort=True)
    if len(labels) < 2:
        raise InputError(
            f"treatment column {treatment!r}: one treated cluster of column {cluster!r} and "
            f"{len(labels)} control cluster(s); the placebo error needs at least 2 control "
            "clusters"
        )
    sums = np.zeros((len(labels), 2))
    counts = np.zeros((len(labels), 2))
    np.add.at(sums, (codes, flag), y)
    np.add.at(counts, (codes, flag), 1.0)
    missing = [labels.tolist()[i] for i in np.flatnonzero((counts == 0).any(axis=1))]
    if missing:
        raise InputError(
            f"control cluster(s) {missing[:5]} of column {cluster!r} lack rows before or after "
            f"(column {post!r}): each is taken once as a placebo treated cluster and needs both"
        )
    others_sums, others_counts = sums.sum(axis=0) - sums, counts.sum(axis=0) - counts
    own = sums / counts
    others = others_sums / others_counts
    placebos = (own[:, 1] - own[:, 0]) - (others[:, 1] - others[:, 0])
    return float(np.std(placebos))


# --- two-way fixed effects ----------------------------------------------------------------


#: What the exact-fit refusal of the fixed-effects regressions names.
_FE_MODEL = "the unit and time fixed effects and the treatment indicators"


def _feols(frame: pd.DataFrame, regressors: list[str]):
    """Fit ``y ~ regressors | unit + time`` with CRV1 errors by ``cluster`` (pyfixest).

    Returns None when every regressor is absorbed by the fixed effects. The callers read
    ``_coefnames``, ``_N``, ``_G`` and ``_vcov`` of the fit (pyfixest 0.60 has no public
    accessor for the rows used and the cluster count); the tests pin their meaning.
    """
    import pyfixest as pf  # imported here: heavy, and only these estimators need it

    formula = f"y ~ {' + '.join(regressors)} | unit + time"
    try:
        return pf.feols(formula, data=frame, vcov={"CRV1": "cluster"})
    except ValueError as exc:
        if "collinear" not in str(exc):
            raise
        return None  # every regressor is absorbed by the fixed effects


def _within_frame(kept: pd.DataFrame, outcome: str, unit: str, time: str, cluster: str):
    """The outcome and integer codes of unit, time and cluster, named as :func:`_feols` reads.

    pyfixest's demeaning stops at an absolute tolerance, so that an outcome in the 1e12
    never converges and one in the 1e-12 stops at once: an outcome whose largest absolute
    value lies outside [2^-10, 2^20] is divided by the power of two nearest to it (an exact
    operation), kept in ``attrs["scale"]``, and the callers multiply the coefficients and
    standard errors back. Outcomes of ordinary magnitude are left as they are.
    """
    y = kept[outcome].to_numpy(dtype=float)
    scale = _power_of_two_scale(float(np.abs(y).max()))
    frame = pd.DataFrame(
        {
            "y": y / scale,
            "unit": pd.factorize(kept[unit])[0],
            "time": pd.factorize(kept[time])[0],
            "cluster": pd.factorize(kept[cluster])[0],
        }
    )
    frame.attrs["scale"] = scale
    _require_beyond_singletons(frame, unit, time)
    return frame


def _require_beyond_singletons(frame: pd.DataFrame, unit: str, time: str) -> None:
    """Refuse a panel that pyfixest's removal of singletons would leave empty.

    pyfixest drops, again and again, the rows whose unit or period is observed once; on a
    panel where nothing is left its compiled demeaning aborts the Python process itself.
    The same removal, done here first, names the columns instead.
    """
    kept = np.ones(len(frame), dtype=bool)
    while kept.any():
        codes = frame.loc[kept, ["unit", "time"]]
        single = np.zeros(len(codes), dtype=bool)
        for column in ("unit", "time"):
            single |= (codes.groupby(column)[column].transform("size") == 1).to_numpy()
        if not single.any():
            break
        kept[np.flatnonzero(kept)[single]] = False
    if kept.sum() < 2:
        raise InputError(
            f"removing in turn the units of column {unit!r} and the periods of column {time!r} "
            "observed once (singletons, as pyfixest does) leaves no row: each unit needs two "
            "periods and each period two units for the fixed effects"
        )


def _fit_counts(fit) -> tuple[int, int, float]:
    """Rows used, clusters and the degrees of freedom G - 1 of a clustered pyfixest fit."""
    n_clusters = int(np.min(fit._G))
    return int(fit._N), n_clusters, float(n_clusters - 1)


def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Estimate:
    """Two-way fixed effects regression of the outcome on a binary treatment.

    Fits ``outcome ~ treatment | unit + time`` with pyfixest (``feols``) and CRV1
    cluster-robust errors, by ``unit`` unless ``cluster`` says otherwise; intervals use
    Student's t with ``G - 1`` degrees of freedom, as pyfixest and fixest do. Units observed
    once (singletons) are removed by pyfixest and counted in ``n_dropped``.

    .. warning::
       With staggered adoption and effects that vary across cohorts or over time since
       treatment, the TWFE coefficient is a weighted average of 2x2 comparisons, some of
       which use already-treated units as controls, with weights that can be negative: it
       can be far from any average treatment effect, even of the wrong sign
       (Goodman-Bacon 2021, J. Econometrics 225(2); de Chaisemartin & D'Haultfoeuille 2020,
       AER 110(9)). It is unbiased for a common, constant effect or a single adoption date.
       With staggered adoption use :func:`callaway_santanna`.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per unit and period.
    outcome : str
        Numeric outcome column.
    unit, time : str
        Unit identifier and period columns (any labels: they become fixed effects).
    treatment : str
        Binary treatment status of the unit in the period (0/1 or boolean).
    cluster : str, optional
        Column of clusters for the standard errors; defaults to ``unit``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    Estimate
        ``n_treated`` counts units treated at least once, ``n_control`` the others.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> unit, year = np.repeat(np.arange(40), 4), np.tile(np.arange(4), 40)
    >>> d = ((unit < 20) & (year >= 2)).astype(int)
    >>> y = unit * 0.1 + year + 2.0 * d + rng.normal(scale=0.1, size=160)
    >>> df = pd.DataFrame({"y": y, "id": unit, "year": year, "d": d})
    >>> est = twfe(df, outcome="y", unit="id", time="year", treatment="d")
    >>> bool(est.ci_low < 2.0 < est.ci_high), est.n_treated, est.n_clusters
    (True, 20, 40)
    """
    kept, n_missing, cluster = _prepare_panel(
        data, outcome, unit, time, roles={"treatment": treatment}, cluster=cluster, alpha=alpha
    )
    d = require_binary(kept, treatment)
    ever = pd.Series(d, index=kept.index).groupby(kept[unit]).transform("max").to_numpy()
    _require_cluster(kept, cluster, ever, treatment=treatment, groups=("treated",))
    frame = _within_frame(kept, outcome, unit, time, cluster).assign(d=d.astype(float))
    fit = _feols(frame, ["d"])
    if fit is None or "d" not in list(fit._coefnames):
        raise InputError(
            f"treatment column {treatment!r} is collinear with the unit and time fixed "
            "effects (no unit changes status, or all change at once): TWFE cannot estimate it"
        )
    refuse_exact_fit(fit.resid(), frame["y"], name=outcome, model=_FE_MODEL)
    n_used, n_clusters, df = _fit_counts(fit)
    ever = frame.groupby("unit")["d"].max()
    scale = frame.attrs["scale"]
    return wald_estimate(
        float(fit.coef()["d"]) * scale,
        require_std_error(
            float(fit.se()["d"]) * scale,
            kept[outcome],
            name=outcome,
            method="the CRV1 cluster-robust variance of the TWFE coefficient",
        ),
        alpha=alpha,
        df=df,
        n=n_used,
        method=(
            "Two-way fixed effects (pyfixest feols, unit and time effects), "
            f"CRV1 cluster-robust errors by {cluster!r}"
        ),
        outcome=outcome,
        treatment=treatment,
        design="did",
        estimand="ATT (TWFE-weighted)",
        n_treated=int((ever > 0).sum()),
        n_control=int((ever == 0).sum()),
        n_clusters=n_clusters,
        n_dropped=n_missing + len(frame) - n_used,
        extra={"df": df, "cluster": cluster, "n_singletons": len(frame) - n_used},
    )
