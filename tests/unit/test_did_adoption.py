"""Unit tests of :mod:`impactlib.did.adoption`: treatment status, cohort table and the
implicit weights of two-way fixed effects (de Chaisemartin & D'Haultfoeuille 2020); and the
figure of the raw trends by cohort (:func:`impactlib.report.plots.cohort_trends_plot`).

The weights are checked against the regression they describe: on a panel without noise
and with parallel trends, the TWFE coefficient is exactly the weighted sum of the cells'
effects, and Callaway & Sant'Anna's simple aggregation the sum with the simple weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.core import InputError
from impactlib.did import callaway_santanna, cohort_table, treatment_status, twfe, twfe_weights
from impactlib.report.plots import cohort_trends_plot

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    moderndid = pytest.importorskip("moderndid")
    return moderndid.load_mpdta().to_pandas()


def noiseless_panel(seed: int = 0, n_units: int = 60, periods: int = 6) -> pd.DataFrame:
    """Unit and period effects plus a treatment effect that varies by cohort and period."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 5], size=n_units)
    unit = np.repeat(np.arange(n_units), periods)
    t = np.tile(np.arange(1, periods + 1), n_units)
    cohort = g[unit]
    treated = (cohort > 0) & (t >= cohort)
    tau = np.where(treated, 1.0 + 0.5 * (t - cohort) + 0.1 * cohort, 0.0)
    y = rng.normal(size=n_units)[unit] + np.sin(t) + tau
    return pd.DataFrame({"y": y, "id": unit, "t": t, "g": cohort, "tau": tau})


def test_treatment_status_switches_on_at_the_cohort():
    df = noiseless_panel()
    d = treatment_status(df, time="t", cohort="g")
    assert d.tolist() == ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int).tolist()
    assert d.index.equals(df.index)
    later = df.assign(g=df["g"].replace(0, 99))  # after the panel: never reached
    assert treatment_status(later, time="t", cohort="g").tolist() == d.tolist()


def test_cohort_table_of_mpdta(mpdta):
    table = cohort_table(mpdta, **MPDTA)
    assert table.index.name == "cohort" and list(table.columns) == ["units", "treated_periods"]
    # 309 never-treated counties and 191 treated ones (Callaway & Sant'Anna 2021, mpdta).
    assert table["units"].to_dict() == {0: 309, 2004: 20, 2006: 40, 2007: 131}
    assert table["treated_periods"].to_dict() == {0: 0, 2004: 4, 2006: 2, 2007: 1}


# Without noise the placebo ATT(g, t) have no variance: moderndid skips its pre-test, saying so.
@pytest.mark.filterwarnings("ignore:No pre-treatment periods available:UserWarning")
def test_twfe_weights_reproduce_the_twfe_coefficient_and_the_simple_aggregation():
    df = noiseless_panel()
    weights = twfe_weights(df, unit="id", time="t", cohort="g")
    assert list(weights.index.names) == ["cohort", "time"]
    assert list(weights.columns) == ["relative_period", "twfe_weight", "simple_weight"]
    tau = df[df["tau"] != 0].groupby(["g", "t"])["tau"].first()
    tau.index.names = ["cohort", "time"]
    tau = tau.reindex(weights.index)
    np.testing.assert_allclose(weights[["twfe_weight", "simple_weight"]].sum(), [1.0, 1.0])
    d = treatment_status(df, time="t", cohort="g")
    beta = twfe(df.assign(d=d), outcome="y", unit="id", time="t", treatment="d").value
    assert beta == pytest.approx(float(weights["twfe_weight"] @ tau), rel=1e-9)
    simple = callaway_santanna(df, outcome="y", unit="id", time="t", cohort="g").estimate.value
    assert simple == pytest.approx(float(weights["simple_weight"] @ tau), rel=1e-9)
    # Early cohorts observed long after adoption get the smallest, here negative, weights.
    assert weights["twfe_weight"].min() < 0
    np.testing.assert_array_equal(
        weights["relative_period"],
        weights.index.get_level_values("time") - weights.index.get_level_values("cohort"),
    )


def test_twfe_weights_of_mpdta(mpdta):
    weights = twfe_weights(mpdta, **MPDTA)
    assert len(weights) == 7  # the post-treatment cells ATT(g, t)
    negative = weights[weights["twfe_weight"] < 0]
    assert list(negative.index) == [(2004, 2007)]
    assert weights.loc[(2007, 2007), "simple_weight"] == pytest.approx(
        131 / (20 * 4 + 40 * 2 + 131)
    )


def test_adoption_refusals():
    df = noiseless_panel()
    with pytest.raises(InputError, match=r"cohort column 'g' has 1 missing value"):
        treatment_status(df.assign(g=df["g"].where(df.index != 3)), time="t", cohort="g")
    with pytest.raises(InputError, match=r"time 'when' not found in data"):
        treatment_status(df, time="when", cohort="g")
    with pytest.raises(InputError, match=r"cohort column 'g' changes within 'id' = 0"):
        cohort_table(
            df.assign(g=np.where(df.index == 0, 7, df["g"])), unit="id", time="t", cohort="g"
        )
    with pytest.raises(
        InputError, match=r"unit 0 \(column 'id'\) is missing periods: twfe_weights"
    ):
        twfe_weights(df.iloc[1:], unit="id", time="t", cohort="g")
    with pytest.raises(InputError, match=r"no unit is treated within the panel"):
        twfe_weights(df.assign(g=0), unit="id", time="t", cohort="g")
    with pytest.raises(InputError, match=r"unit column 'id' has missing values"):
        cohort_table(df.assign(id=df["id"].where(df.index != 0)), unit="id", time="t", cohort="g")


def test_cohort_trends_plot_draws_each_cohorts_mean_change():
    df = noiseless_panel()
    fig = cohort_trends_plot(df, outcome="y", time="t", cohort="g", title="Tendances")
    (ax,) = fig.axes
    means = df.groupby(["g", "t"])["y"].mean().unstack("t")
    change = means.sub(means[1], axis=0)
    lines = [line for line in ax.lines if line.get_label() and not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["Jamais traités"] + [
        f"Cohorte {g}" for g in (3, 4, 5)
    ]
    for line, (_, row) in zip(lines, change.iterrows(), strict=True):
        np.testing.assert_allclose(line.get_ydata(), row.to_numpy())
    circles = [line.get_xydata().tolist() for line in ax.lines if line.get_fillstyle() == "none"]
    assert circles == [[[g, change.loc[g, g]]] for g in (3, 4, 5)]
    assert ax.get_title() == "Tendances" and ax.get_ylabel() == "Écart de y moyen à 1"
    with pytest.raises(InputError, match=r"outcome 'z' not found in data"):
        cohort_trends_plot(df, outcome="z", time="t", cohort="g")
