"""The figures of synthetic controls and synthetic DiD (:mod:`impactlib.report.plots.synth`).

What each figure draws (lines, bars, labels, the start of treatment), the placebo filter
and the refusals; the figures of the guide page are these functions.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from impactlib.core import InputError
from impactlib.report import PALETTE, plots
from impactlib.synth import synthetic_control, synthetic_did

synthdid = pytest.importorskip("synthdid")

PROP99 = {"outcome": "PacksPerCapita", "unit": "State", "time": "Year", "treatment": "treated"}
N_DONORS = 38


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return synthdid.load_california_prop99()


@pytest.fixture(scope="module")
def sc(prop99):
    return synthetic_control(prop99, **PROP99)


@pytest.fixture(scope="module")
def sdid(prop99):
    return synthetic_did(prop99, **PROP99, n_resamples=2, seed=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def start_lines(ax) -> list:
    """x positions of the dotted vertical lines (the start of treatment)."""
    return [
        line.get_xdata()[0]
        for line in ax.lines
        if line.get_linestyle() == ":" and len(set(line.get_xdata())) == 1
    ]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_functions_are_exported_by_report_plots():
    for name in (
        "synthetic_paths_plot",
        "placebo_gaps_plot",
        "synthetic_control_plot",
        "rmspe_ratios_plot",
        "synthetic_did_plot",
    ):
        assert name in plots.__all__ and callable(getattr(plots, name))


def test_synthetic_paths_plot(sc):
    fig = plots.synthetic_paths_plot(sc, treated_label="Californie", title="Titre")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    # The synthetic path, the treated path, the start of treatment.
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_ydata(), sc.synthetic.to_numpy())
    np.testing.assert_allclose(ax.lines[1].get_ydata(), sc.treated.to_numpy())
    assert start_lines(ax) == [1988.5]  # between the last pre-period and the first treated
    assert legend_texts(ax) == ["Californie synthétique", "Californie"]
    assert ax.get_ylabel() == "PacksPerCapita" and ax.get_title() == "Titre"
    with_mean = plots.synthetic_paths_plot(sc, donors_label="Moyenne", ylabel="Paquets")
    ax = with_mean.axes[0]
    assert len(ax.lines) == 4 and legend_texts(ax)[0] == "Moyenne"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), sc.donors.mean().to_numpy())
    assert legend_texts(ax)[-1] == "California" and ax.get_ylabel() == "Paquets"


def test_placebo_gaps_plot_draws_the_kept_placebos(sc):
    fig = plots.placebo_gaps_plot(sc)
    (ax,) = fig.axes
    # 38 placebos, the treated gap, the zero line and the start of treatment.
    assert len(ax.lines) == N_DONORS + 3
    np.testing.assert_allclose(ax.lines[N_DONORS].get_ydata(), sc.gaps.to_numpy())
    assert legend_texts(ax) == ["Placebos", "California"]
    fewer = plots.placebo_gaps_plot(sc, max_pre_mspe=5, placebo_label="Autres", ylabel="Écart")
    kept = sc.placebo_units(5)
    ax = fewer.axes[0]
    assert len(ax.lines) == len(kept) + 3 < N_DONORS + 3
    for line, state in zip(ax.lines, kept, strict=False):
        np.testing.assert_allclose(line.get_ydata(), sc.placebo_gaps[state].to_numpy())
    assert legend_texts(ax)[0] == "Autres" and ax.get_ylabel() == "Écart"
    with pytest.raises(InputError, match="max_pre_mspe must be a positive number"):
        plots.placebo_gaps_plot(sc, max_pre_mspe=-1)


def test_synthetic_control_plot_has_paths_above_gaps(sc):
    fig = plots.synthetic_control_plot(sc, max_pre_mspe=2, title="Proposition 99")
    top, bottom = fig.axes
    assert len(top.lines) == 3
    assert len(bottom.lines) == len(sc.placebo_units(2)) + 3
    assert start_lines(top) == start_lines(bottom) == [1988.5]
    assert fig._suptitle.get_text() == "Proposition 99"


def test_rmspe_ratios_plot_sorts_the_units_and_highlights_the_treated_one(sc):
    fig = plots.rmspe_ratios_plot(sc, treated_label="Californie", title="Permutation")
    (ax,) = fig.axes
    widths = [bar.get_width() for bar in ax.patches]
    assert len(widths) == N_DONORS + 1 and widths == sorted(widths)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Californie" in labels and "California" not in labels
    treated = labels.index("Californie")
    assert widths[treated] == pytest.approx(sc.rmspe_ratio)
    # The treated unit's rank from the top is the permutation rank.
    assert len(widths) - treated == sc.ratio_rank
    colors = [mcolors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert colors[treated] == PALETTE[1]
    assert colors.count(PALETTE[4]) == N_DONORS
    assert fig.get_size_inches()[1] == pytest.approx(0.2 * N_DONORS)


def test_synthetic_did_plot(sdid, sc):
    fig = plots.synthetic_did_plot(sdid, synthetic_control=sc, treated_label="Californie")
    top, bottom = fig.axes
    # Treated path, shifted counterfactual, the synthetic control's path, start line.
    assert len(top.lines) == 4
    np.testing.assert_allclose(top.lines[1].get_ydata(), sdid.counterfactual.to_numpy())
    np.testing.assert_allclose(top.lines[2].get_ydata(), sc.synthetic.to_numpy())
    assert legend_texts(top)[0] == "Californie"
    assert start_lines(top) == [1988.5]
    heights = [bar.get_height() for bar in bottom.patches]
    np.testing.assert_allclose(heights, sdid.time_weights.to_numpy())
    assert len(heights) == 19 and bottom.get_ylabel() == "Poids λ"
    alone = plots.synthetic_did_plot(sdid)
    assert len(alone.axes[0].lines) == 3
    assert legend_texts(alone.axes[0])[0] == "California"


def test_dated_periods_put_the_start_line_between_two_dates():
    rng = np.random.default_rng(3)
    df = pd.DataFrame([(u, t) for u in range(6) for t in range(9)], columns=["unit", "t"])
    df["d"] = ((df["unit"] == 0) & (df["t"] >= 6)).astype(int)
    df["y"] = df["unit"] + 0.5 * df["t"] - 2.0 * df["d"] + rng.normal(0, 0.3, len(df))
    df["t"] = pd.Timestamp("2001-01-01") + pd.to_timedelta(df["t"] * 7, "D")
    sc = synthetic_control(df, outcome="y", unit="unit", time="t", treatment="d")
    fig = plots.synthetic_paths_plot(sc)
    (x,) = start_lines(fig.axes[0])
    assert x == pd.Timestamp("2001-01-01") + pd.Timedelta(days=5 * 7 + 3.5)


def test_plots_refuse_what_they_cannot_draw(sc, sdid):
    with pytest.raises(InputError, match=r"result must be a SyntheticControl, got SyntheticDiD"):
        plots.rmspe_ratios_plot(sdid)
    with pytest.raises(InputError, match=r"result must be a SyntheticControl, got Estimate"):
        plots.placebo_gaps_plot(sc.estimate)
    with pytest.raises(InputError, match=r"result must be a SyntheticDiD, got SyntheticControl"):
        plots.synthetic_did_plot(sc)
    with pytest.raises(
        InputError, match=r"synthetic_control must be a SyntheticControl, got SyntheticDiD"
    ):
        plots.synthetic_did_plot(sdid, synthetic_control=sdid)
