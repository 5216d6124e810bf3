"""Unit tests of :mod:`impactlib.report.plots.weighting`: the propensity-score and balance
figures, the overlap table and the estimators against a benchmark."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import special

from impactlib.core import InputError
from impactlib.core.estimate import Estimate
from impactlib.report.plots import (
    benchmark_table,
    overlap_table,
    propensity_plot,
    weighted_balance_plot,
)
from impactlib.weighting import overlap, propensity_score, weighted_balance

matplotlib.use("Agg")

NNBSP = "\u202f"


@pytest.fixture(scope="module")
def selection() -> pd.DataFrame:
    rng = np.random.default_rng(50)
    x1, x2 = rng.normal(size=600), rng.normal(size=600)
    t = (rng.random(600) < special.expit(-0.8 + 1.5 * x1)).astype(int)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2})


def _estimate(value: float, **fields) -> Estimate:
    return Estimate(
        value=value,
        std_error=100.0,
        ci_low=value - 196.0,
        ci_high=value + 196.0,
        p_value=0.5,
        n=300,
        method="m",
        outcome="y",
        **fields,
    )


def test_propensity_plot_draws_each_arm_as_shares_on_the_logit_scale(selection):
    ps = propensity_score(selection, treatment="t", covariates=["x1", "x2"])
    fig = propensity_plot(ps, labels=("A", "B"), band=(0.1, 0.9), title="T")
    (ax,) = fig.axes
    heights = np.array([bar.get_height() for bar in ax.patches[1:]])  # after the band
    treated = int(ps.treated.sum())
    up, down = heights[heights > 0], heights[heights < 0]
    assert up.sum() == pytest.approx(100) and down.sum() == pytest.approx(-100)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["Zone [0,1 ; 0,9]", f"A ({treated})", f"B ({len(selection) - treated})"]
    assert "0,5" in [t.get_text() for t in ax.get_xticklabels()]
    assert ax.get_title() == "T"
    plt.close(fig)
    with pytest.raises(InputError, match=r"ps must be a PropensityScore"):
        propensity_plot(ps.scores)
    with pytest.raises(InputError, match=r"bin_width must be positive"):
        propensity_plot(ps, bin_width=0)


def test_propensity_ticks_are_powers_of_ten_far_in_the_tails():
    from impactlib.report.plots.weighting import _probability_ticks

    ticks, labels = _probability_ticks(-21.0, 3.0)  # the NSW-CPS range of the guide
    assert labels == ["10⁻⁸", "10⁻⁶", "10⁻⁴", "0,01", "0,1", "0,5", "0,9"]
    assert ticks == [1e-8, 1e-6, 1e-4, 0.01, 0.1, 0.5, 0.9]
    _, high = _probability_ticks(-1.0, 10.0)
    assert high == ["0,5", "0,9", "0,99", "1 − 10⁻⁴"]


def test_weighted_balance_plot_draws_before_and_after_with_labels(selection):
    ps = propensity_score(selection, treatment="t", covariates=["x1", "x2"])
    weights = np.where(selection["t"] == 1, 1.0, ps.scores / (1 - ps.scores))
    balance = weighted_balance(selection, treatment="t", covariates=["x1", "x2"], weights=weights)
    fig = weighted_balance_plot(
        balance, threshold=0.25, labels={"x1": "Premier"}, weighted_label="W"
    )
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x2", "Premier"]  # first on top
    # The collections: the segments between the points, then the points before and after.
    before, after = (np.asarray(points.get_offsets())[:, 0] for points in ax.collections[1:])
    assert before == pytest.approx(balance["smd"].to_numpy()[::-1])
    assert after == pytest.approx(balance["smd_weighted"].to_numpy()[::-1])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["Seuil ± 0,25", "Avant pondération", "W"]
    assert fig.get_size_inches()[1] == pytest.approx(1.6 + 0.3 * 2)
    plt.close(fig)
    with pytest.raises(InputError, match=r"balance 'smd_weighted' not found"):
        weighted_balance_plot(balance.drop(columns="smd_weighted"))


def test_overlap_table_formats_each_arm():
    df = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0], "e": [0.3, 0.6, 0.95, 0.0001, 0.2, 0.5]})
    table = overlap_table(overlap(df, treatment="t", ps="e"), labels=("T", "C"))
    assert list(table.index) == ["T", "C"] and table.index.name == "Score de propension"
    assert table.loc["T", "Effectif"] == "3" and table.loc["T", "Médiane"] == "0,600"
    assert table.loc["C", "Minimum"] == f"&lt;{NNBSP}0,001"  # escaped for the HTML table
    assert table.loc["T", "Hors support commun"] == f"66,7{NNBSP}%"
    assert table.loc["C", "Hors [0,1 ; 0,9]"] == f"33,3{NNBSP}%"
    with pytest.raises(InputError, match=r"diagnostics must be an Overlap"):
        overlap_table(df)


def test_benchmark_table_gives_gaps_to_the_benchmark():
    estimates = {
        "Naïf": _estimate(-8497.516, n_treated=185, n_control=15992),
        "Repère": _estimate(1794.342, n_treated=185, n_control=260),
    }
    table = benchmark_table(
        estimates, benchmark="Repère", unit="dollars", published={"Repère": "1 794,34"}
    )
    assert list(table.columns) == [
        "Effet (dollars)",
        "Erreur type",
        f"Intervalle à 95{NNBSP}%",
        "Écart au repère",
        "Traités / témoins",
        "Chiffre publié",
    ]
    assert table.loc["Naïf", "Effet (dollars)"] == f"\u22128{NNBSP}497,52"
    assert table.loc["Naïf", "Écart au repère"] == f"\u221210{NNBSP}292"
    assert table.loc["Repère", "Écart au repère"] == ""
    assert table.loc["Naïf", "Traités / témoins"] == f"185 / 15{NNBSP}992"
    assert table.loc["Naïf", "Chiffre publié"] == ""
    assert "Chiffre publié" not in benchmark_table(estimates, benchmark="Naïf").columns
    with pytest.raises(InputError, match=r"benchmark 'RCT' is not a label of estimates"):
        benchmark_table(estimates, benchmark="RCT")
    with pytest.raises(InputError, match=r"published names labels that are not estimates"):
        benchmark_table(estimates, benchmark="Naïf", published={"Autre": "1"})
    with pytest.raises(InputError, match=r"estimate 'x' is float, not an Estimate"):
        benchmark_table({**estimates, "x": 1.0}, benchmark="Naïf")
