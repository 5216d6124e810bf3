"""Figures of the experiment family (:mod:`impactlib.report.plots.experiment`): what each
draws, read back from the axes, and the refusals that name the argument."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection

from impactlib.core import InputError
from impactlib.experiment import (
    PowerDesign,
    balance_table,
    cluster_trial,
    difference_in_means,
    randomization_inference,
    simulation_study,
)
from impactlib.report.plots import (
    balance_plot,
    cluster_plot,
    power_plot,
    randomization_plot,
    simulation_plot,
)

matplotlib.use("Agg")


def vertical_lines(ax) -> list[float]:
    return sorted(
        float(line.get_xdata()[0]) for line in ax.get_lines() if len(set(line.get_xdata())) == 1
    )


def test_balance_plot_flags_covariates_beyond_the_threshold():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": np.arange(100) % 2, "age": rng.normal(size=100)})
    df["tilted"] = df["t"] + rng.normal(size=100)
    table = balance_table(df, "t", ["age", "tilted"])
    fig = balance_plot(table, threshold=0.1, labels={"age": "Âge"}, title="Équilibre")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tilted", "Âge"]
    assert vertical_lines(ax) == pytest.approx([-0.1, 0.0, 0.1])
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], table["smd"][::-1])
    plt.close(fig)
    with pytest.raises(InputError, match=r"balance 'smd' not found"):
        balance_plot(table.drop(columns="smd"))


def test_cluster_plot_draws_one_point_per_cluster_and_the_lines_of_each_arm():
    trial = cluster_trial(n_clusters=10, cluster_size=(4, 6), icc=0.1, effect=0.5, seed=1)
    clusters = trial.groupby("cluster").agg(
        treat=("treat", "first"), outcome=("outcome", "mean"), size=("outcome", "size")
    )
    fig = cluster_plot(
        clusters,
        outcome="outcome",
        treatment="treat",
        size="size",
        estimated={0: 0.0, 1: 0.4},
        truth={0: 0.0, 1: 0.5},
        ylabel="Résultat moyen",
    )
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in points) == 10
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sorted(float(seg[0][1]) for c in lines for seg in c.get_segments()) == [0, 0, 0.4, 0.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Estimation",
        "Valeur vraie (simulation)",
    ]
    plt.close(fig)
    with pytest.raises(InputError, match=r"treatment column 'outcome' must be 0/1"):
        cluster_plot(clusters, outcome="outcome", treatment="outcome", ylabel="y")


def test_randomization_plot_marks_the_observed_statistic_both_ways_when_two_sided():
    df = pd.DataFrame({"y": [3.0, 5.0, 8.0, 9.0, 1.0, 2.0, 4.0, 6.0], "t": [1] * 4 + [0] * 4})
    ri = randomization_inference(df, outcome="y", treatment="t")
    fig = randomization_plot(ri, xlabel="Écart", title="Test")
    ax = fig.axes[0]
    assert vertical_lines(ax) == pytest.approx([-3.0, 3.0])
    assert sum(p.get_height() for p in ax.patches) == 70  # every exact assignment counted
    assert ax.get_ylabel() == "Nombre d'assignations"
    plt.close(fig)
    one_sided = randomization_inference(df, outcome="y", treatment="t", alternative="greater")
    fig = randomization_plot(one_sided, xlabel="Écart")
    assert vertical_lines(fig.axes[0]) == pytest.approx([3.0])
    plt.close(fig)


def test_simulation_plot_draws_the_replications_the_truth_and_the_observed_value():
    study = simulation_study(
        lambda s: cluster_trial(n_clusters=8, cluster_size=5, icc=0.1, effect=0.2, seed=s),
        {"cr1": lambda d: difference_in_means(d, "outcome", "treat", cluster="cluster")},
        truth=0.2,
        n_resamples=12,
        seed=3,
    )
    fig = simulation_plot(study, "cr1", xlabel="Effet", observed=0.25, transform=np.exp)
    ax = fig.axes[0]
    assert vertical_lines(ax) == pytest.approx(sorted([np.exp(0.2), np.exp(0.25)]))
    assert sum(p.get_height() for p in ax.patches) == 12
    plt.close(fig)
    with pytest.raises(InputError, match=r"term 'naive' is not an estimator of the study"):
        simulation_plot(study, "naive", xlabel="Effet")


def test_power_plot_draws_one_curve_per_design_and_marks_the_sample_sizes():
    individual = PowerDesign()
    clustered = PowerDesign(icc=0.05, cluster_size=20)
    fig = power_plot(
        {"Individuel": individual, "Grappes": clustered},
        n=np.arange(100, 2001, 100),
        effect=0.2,
        points={"NSW": (445, 0.27)},
        ylim=(0, 0.8),
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Individuel", "Grappes"]
    marked = [float(t.get_text().replace("\u202f", "")) for t in ax.texts if t.get_text() != "NSW"]
    assert marked == [individual.sample_size(0.2), clustered.sample_size(0.2)]
    assert ax.get_ylim() == (0, 0.8)
    plt.close(fig)
    with pytest.raises(InputError, match=r"designs is empty"):
        power_plot({}, n=[100])
