"""Unit tests of the figures of a regression discontinuity: the numbers computed by
:mod:`impactlib.rd` (binned means, local fits, histogram) and their drawing by
:mod:`impactlib.report.plots.rd` (RD plot, density plot, table of estimates), with the glue
of RD results for the prose."""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from impactlib import report
from impactlib.core import InputError
from impactlib.rd import (
    covariate_balance,
    density_test,
    honest_rd,
    rd_plot_data,
    regression_discontinuity,
    running_histogram,
)
from impactlib.report.plots import (
    density_plot,
    glue_balance,
    glue_density,
    glue_rd,
    rd_plot,
    rd_table,
)

rdrobust = pytest.importorskip("rdrobust")
SENATE = {"outcome": "vote", "running": "margin"}


@pytest.fixture(scope="module")
def senate() -> pd.DataFrame:
    return rdrobust.rdrobust_RDsenate()


@pytest.fixture(scope="module")
def senate_rd(senate):
    return regression_discontinuity(senate, **SENATE)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({"x": [-1.0, -0.6, -0.4, 0.0, 0.5, 1.0], "y": [1, 2, 4, 7, 8, 10.0]})


# --- the numbers ------------------------------------------------------------------------------


def test_plot_data_fits_are_those_behind_the_estimate(senate, senate_rd):
    data = rd_plot_data(senate, **SENATE, bins=15)
    assert data.bandwidth == senate_rd.h_left  # the mserd bandwidth unless given
    assert data.jump == pytest.approx(senate_rd.value, rel=1e-9)
    assert data.left.grid[0] == data.right.grid[0] == 0.0
    assert data.right.grid[-1] == pytest.approx(senate_rd.h_right)
    assert len(data.left.centres) == len(data.right.centres) == 15  # no empty bin here
    kept = senate.dropna(subset=["vote", "margin"])
    assert data.left.counts.sum() + data.right.counts.sum() == len(kept)
    assert data.outcome_range == (kept["vote"].min(), kept["vote"].max())


def test_plot_data_bin_means_by_hand(small):
    data = rd_plot_data(small, outcome="y", running="x", bins=2, bandwidth=2.0)
    # Left bins over [-1, -0.4]: [-1, -0.7) holds -1; [-0.7, -0.4] holds -0.6 and -0.4.
    np.testing.assert_allclose(data.left.centres, [-0.85, -0.55])
    np.testing.assert_allclose(data.left.means, [1.0, 3.0])
    np.testing.assert_array_equal(data.left.counts, [1, 2])
    np.testing.assert_allclose(data.right.centres, [0.25, 0.75])
    np.testing.assert_allclose(data.right.means, [7.0, 9.0])


def test_plot_data_without_enough_points_for_a_fit():
    df = pd.DataFrame({"x": [-3.0, -2.0, -1.0, 0.5, 2.0, 3.0], "y": np.arange(6.0)})
    data = rd_plot_data(df, outcome="y", running="x", bandwidth=1.0)
    assert data.left.grid.size == 0 and data.left.fit.size == 0  # one point within h
    assert len(data.left.means) == 3


def test_running_histogram_meets_at_the_cutoff(senate):
    hist = running_histogram(senate, running="margin", bin_width=2.5)
    assert 0.0 in hist.edges and np.allclose(np.diff(hist.edges), 2.5)
    assert hist.counts.sum() == hist.n == 1390 and hist.n_dropped == 0
    assert hist.density.sum() * 2.5 == pytest.approx(1.0)
    assert hist.below.sum() == np.sum(hist.edges[:-1] < 0)


# --- the drawings -----------------------------------------------------------------------------


def test_rd_plot_draws_the_data(senate, senate_rd):
    fig = rd_plot(senate, senate_rd, bins=15, xlabel="Marge", ylabel="Part", title="Titre")
    assert isinstance(fig, Figure) and plt.fignum_exists(fig.number)  # shown by the backend
    (ax,) = fig.axes
    left, right = (line for line in ax.lines if len(line.get_xdata()) == 100)
    assert right.get_ydata()[0] - left.get_ydata()[0] == pytest.approx(senate_rd.value, rel=1e-9)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 30
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("Marge", "Part", "Titre")
    other = regression_discontinuity(senate, **SENATE, bandwidth=10.0, p=2, kernel="uniform")
    default = rd_plot(senate, other).axes[0]
    assert (default.get_xlabel(), default.get_ylabel()) == ("margin", "vote")
    left, right = (line for line in default.lines if len(line.get_xdata()) == 100)
    assert right.get_ydata()[0] - left.get_ydata()[0] == pytest.approx(other.value, rel=1e-9)
    assert right.get_xdata()[-1] == 10.0


def test_rd_plot_bin_means_by_hand(small, senate_rd):
    # The plot reads the result's outcome, running variable, cutoff, order, kernel and h.
    result = replace(senate_rd, outcome="y", running="x", h_left=2.0, h_right=2.0)
    (ax,) = rd_plot(small, result, bins=2).axes
    left, right = (c.get_offsets() for c in ax.collections)
    np.testing.assert_allclose(left, [[-0.85, 1.0], [-0.55, 3.0]])
    np.testing.assert_allclose(right, [[0.25, 7.0], [0.75, 9.0]])


def test_density_plot_shows_the_histogram_and_the_estimated_densities(senate):
    density = density_test(senate, running="margin")
    fig = density_plot(senate, density, bin_width=2.5, sides=("Perdus", "Gagnés"))
    (ax,) = fig.axes
    hist = running_histogram(senate, running="margin", bin_width=2.5)
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == sorted(hist.density)
    dots = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "o"]
    assert dots == [density.density_left, density.density_right]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Perdus", "Gagnés"]
    plain = density_plot(senate, density, bin_width=5.0).axes[0]
    assert plain.get_xlabel() == "margin" and plain.get_legend() is not None


def test_rd_table_lines_up_the_estimates(senate, senate_rd):
    other = regression_discontinuity(senate, **SENATE, bandwidth=10.0)
    table = rd_table({"Principale": senate_rd, "h = 10": other}, n_label="Élections")
    assert list(table.index) == ["Principale", "h = 10"]
    assert list(table.columns) == [
        "h", "b", "Élections dans la fenêtre", "Estimation", "Erreur type", "IC robuste",
        "p robuste",
    ]  # fmt: skip
    row = table.loc["Principale"]
    assert (row["h"], row["b"]) == (senate_rd.h_left, senate_rd.b_left)
    assert row["Élections dans la fenêtre"] == 683 and row["Estimation"] == senate_rd.value
    assert row["IC robuste"] == "[4,09 ; 10,92]" and row["p robuste"] == "<\u202f0,001"
    assert table.loc["h = 10", "h"] == 10.0


def test_refusals_name_the_parameter(senate, small, senate_rd):
    with pytest.raises(InputError, match=r"bins must be a positive integer, got 0"):
        rd_plot(senate, senate_rd, bins=0)
    with pytest.raises(InputError, match=r"result must be an RDResult, got Estimate"):
        rd_plot(senate, senate_rd.estimate)
    with pytest.raises(InputError, match=r"bandwidth must be one positive number, got -1"):
        rd_plot_data(small, outcome="y", running="x", bandwidth=-1)
    with pytest.raises(InputError, match=r"outcome 'vote' not found in data"):
        rd_plot(small, senate_rd)
    density = density_test(senate, running="margin")
    with pytest.raises(InputError, match=r"bin_width must be one positive number, got 0"):
        density_plot(senate, density, bin_width=0)
    with pytest.raises(InputError, match=r"sides must name the two sides of the cutoff"):
        density_plot(senate, density, bin_width=1.0, sides=("a",))
    with pytest.raises(InputError, match=r"density must be a DensityTest, got RDResult"):
        density_plot(senate, senate_rd, bin_width=1.0)
    with pytest.raises(InputError, match=r"running variable 'z' not found in data"):
        running_histogram(small, running="z", bin_width=1.0)
    with pytest.raises(InputError, match=r"result 'main' is Estimate, not an RDResult"):
        rd_table({"main": senate_rd.estimate})


# --- glue for the prose -----------------------------------------------------------------------


@pytest.fixture
def glued(monkeypatch) -> dict[str, str]:
    store: dict[str, str] = {}
    monkeypatch.setattr("impactlib.report.plots.rd.glue", store.__setitem__)
    monkeypatch.setattr("impactlib.report.gluing.glue", store.__setitem__)
    return store


def test_glue_rd_names_the_parts_of_a_result(senate_rd, glued):
    parts = glue_rd("rd", senate_rd, decimals=2)
    assert glued == {f"rd_{part}": text for part, text in parts.items()}
    assert glued["rd_value"] == "7,41" and glued["rd_ci"] == "[4,09 ; 10,92]"
    assert glued["rd_pp"] == "p <\u202f0,001" and glued["rd_h"] == "17,75"
    assert glued["rd_neff"] == "683" and glued["rd_bc"] == "7,51"
    assert glued["rd_robust_se"] == "1,74" and glued["rd_conv_ci"] == "[4,56 ; 10,27]"


def test_glue_rd_of_an_honest_result(glued):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 800)
    df = pd.DataFrame({"x": x, "y": x + (x >= 0) + rng.normal(0, 0.3, 800)})
    honest = honest_rd(df, outcome="y", running="x", smoothness=1.0, bandwidth=0.5)
    parts = glue_rd("hon", honest, decimals=3, bandwidth_decimals=1)
    assert parts["h"] == "0,5" and parts["bias"] == report.fmt_number(honest.maximum_bias, 3)
    assert parts["value"] == report.fmt_number(honest.value, 3) and "bc" not in parts
    with pytest.raises(InputError, match=r"result must be an RDResult or HonestRDResult"):
        glue_rd("x", honest.estimate)


def test_glue_density_and_balance(senate, senate_rd, glued):
    density = density_test(senate, running="margin")
    glue_density("dens", density)
    assert set(glued) == {f"dens_{p}" for p in ("T", "pp", "left", "right", "h_left", "h_right")}
    assert glued["dens_pp"].startswith("p = ") and glued["dens_left"].endswith("\u202f%")
    balance = covariate_balance(senate, senate_rd, covariates=["demvoteshlag1", "dopen"])
    parts = glue_balance("cov", balance, labels={"dopen": "Siège ouvert"})
    assert balance.least == "dopen"
    assert parts["label"] == "« Siège ouvert » (dopen)" and glued["cov_min_holm"] == parts["holm"]
    with pytest.raises(InputError, match=r"balance must be a CovariateBalance, got RDResult"):
        glue_balance("cov", senate_rd)
    with pytest.raises(InputError, match=r"density must be a DensityTest, got RDResult"):
        glue_density("dens", senate_rd)
