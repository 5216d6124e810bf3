"""French tables, sentences and glue of pages on simulated data (``impactlib.report``): the
truth beside the estimates, the parameters a simulator recorded, a Monte Carlo study's
performance; and the helpers every report shares for ratios and balance tables."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from impactlib import report
from impactlib.core import Estimate, InputError
from impactlib.experiment import SimulationStudy, cluster_count_trial, cluster_trial
from impactlib.report import gluing
from impactlib.report.plots import estimates_plot

matplotlib.use("Agg")

NNBSP = "\u202f"


def _estimate(value, low, high, *, se=0.1, alpha=0.05):
    return Estimate(
        value=value, std_error=se, ci_low=low, ci_high=high, p_value=0.01, n=100,
        method="test", outcome="y", alpha=alpha,
    )  # fmt: skip


@pytest.fixture
def glued(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """What the helpers glue, by name (instead of the notebook's output)."""
    values: dict[str, object] = {}

    def capture(name: str, value: object) -> None:
        assert name not in values, f"{name!r} glued twice: the book refuses it"
        values[name] = value

    monkeypatch.setattr(gluing, "glue", capture)
    return values


# --- estimates against the truth --------------------------------------------------------------


def test_truth_table_puts_each_estimate_beside_its_true_value():
    rows = {
        "Rapport de taux": (0.77, (0.64, 0.52, 0.78)),
        "Log du rapport de taux": (math.log(0.77), _estimate(-0.45, -0.65, -0.25)),
        "Taux sans programme": (0.8, 0.834),
    }
    table = report.truth_table(rows, alpha=0.05)
    assert table.index.name == "Grandeur" and list(table.index) == list(rows)
    assert list(table.columns) == ["Valeur vraie", "Estimation", f"Intervalle à 95{NNBSP}%"]
    assert table.loc["Rapport de taux"].tolist() == ["0,770", "0,640", "[0,520 ; 0,780]"]
    assert table.loc["Log du rapport de taux", "Valeur vraie"] == "\u22120,261"
    assert table.loc["Taux sans programme"].tolist() == ["0,800", "0,834", ""]
    header = f"Intervalle à 90{NNBSP}%"
    assert header in report.truth_table({"x": (1.0, 1.1)}, alpha=0.1, decimals=1).columns


def test_truth_table_refuses_an_interval_at_another_level_and_what_is_not_an_estimate():
    with pytest.raises(InputError, match=r"rows\['Effet'\]: the estimate's interval is at 90%"):
        report.truth_table({"Effet": (0.2, _estimate(0.3, 0.1, 0.5, alpha=0.1))})
    with pytest.raises(InputError, match=r"rows\['Effet'\]: the estimate must be an Estimate"):
        report.truth_table({"Effet": (0.2, "0,3")})
    with pytest.raises(InputError, match=r"rows\['Effet'\] must be \(true value, estimate\)"):
        report.truth_table({"Effet": 0.2})
    with pytest.raises(InputError, match="rows must map at least one quantity"):
        report.truth_table({})


def test_an_interval_covers_the_truth_strictly_and_the_sentences_say_so():
    est = _estimate(0.3, 0.1, 0.5)
    assert report.covers(est, 0.1 + 1e-9) and not report.covers(est, 0.5)
    assert report.coverage_sentence(est, 0.2).startswith(
        "L'intervalle de confiance contient la valeur vraie : avec cette graine"
    )
    missed = report.coverage_sentence(_estimate(0.3, 0.1, 0.5, alpha=0.1), 0.7)
    assert f"dans environ 10{NNBSP}% des essais ; la graine n'a pas été changée" in missed
    with pytest.raises(InputError, match="truth must be a number"):
        report.covers(est, "0,2")
    specs = {"Principale": est, "Poisson, robuste": _estimate(0.6, 0.4, 0.8)}
    assert report.coverage_summary(specs, 0.45) == (
        "Toutes les spécifications ont un intervalle qui contient la valeur vraie."
    )
    assert report.coverage_summary(specs, 0.2, note="Par hasard.") == (
        "Avec ce tirage, 1 spécification(s) sur 2 ont un intervalle qui ne contient pas la "
        "valeur vraie : poisson, robuste. Par hasard."
    )


def test_coverage_table_shows_log_ratios_on_the_ratio_scale():
    specs = {"GLM": _estimate(-0.26, -0.42, -0.10, se=0.08), "Naïf": _estimate(-0.5, -0.6, -0.4)}
    table = report.coverage_table(specs, truth=math.log(0.77), ratio="Rapport de taux")
    assert list(table.columns) == [
        "Rapport de taux",
        f"Intervalle à 95{NNBSP}%",
        "Erreur type (log)",
        "Contient la vérité",
    ]
    assert table.loc["GLM"].tolist() == ["0,771", "[0,657 ; 0,905]", "0,080", "oui"]
    assert table.loc["Naïf", "Contient la vérité"] == "non"
    plain = report.coverage_table({"A": _estimate(0.3, 0.1, 0.5)}, truth=0.2, decimals=1)
    assert plain.loc["A"].tolist() == ["0,3", "[0,1 ; 0,5]", "0,1", "oui"]
    assert list(plain.columns)[0] == "Estimation"
    with pytest.raises(InputError, match="estimates must share one level"):
        report.coverage_table({"A": specs["GLM"], "B": _estimate(0, -1, 1, alpha=0.1)}, truth=0)
    with pytest.raises(InputError, match=r"estimates\['A'\] is float, not an Estimate"):
        report.coverage_table({"A": 0.3}, truth=0.2)


# --- the parameters of a simulation -----------------------------------------------------------


def test_the_parameters_a_count_simulator_records_in_the_words_of_the_page(glued):
    trial = cluster_count_trial(
        n_clusters=10, cluster_size=(15, 35), baseline_rate=0.8, rate_ratio=0.77,
        cluster_sd=0.2, overdispersion=1.0, dropout=0.1, seed=3,
    )  # fmt: skip
    dgp = trial.attrs["dgp"]
    names = {"rate_ratio": "true_rr", "icc": "icc", "seed": "seed"}
    words = {"treatment": "programme", "events": "chutes", "time_unit": "an"}
    table = report.simulation_parameters(dgp, glue_names=names, **words)
    assert table.index.name == "Paramètre" and list(table.columns) == ["Valeur vraie"]
    assert table["Valeur vraie"].to_dict() == {
        "Grappes randomisées": "10 (moitié avec programme)",
        "Personnes par grappe (loi uniforme)": "15 à 35",
        "Taux de chutes sans programme, λ₀": "0,80",
        "Rapport de taux vrai, ρ": "0,77",
        "Effet vrai, ln ρ": "\u22120,2614",
        "Écart-type de l'effet de grappe, σ": "0,20",
        "Variance de la fragilité individuelle, a": "1,00",
        "Corrélation intra-grappe implicite": report.fmt_number(dgp["icc"], 3),
        "Suivi prévu": "1,0 an",
        "Part de sorties anticipées": f"10{NNBSP}%",
        "Graine du générateur": "3",
    }
    assert glued == {"true_rr": "0,77", "icc": report.fmt_number(dgp["icc"], 3), "seed": "3"}
    # The default words, with the elision of French.
    plain = report.simulation_parameters(dgp)
    assert "Taux d'événements sans traitement, λ₀" in plain.index
    assert plain.loc["Suivi prévu", "Valeur vraie"] == "1,0"


def test_the_parameters_of_a_continuous_cluster_trial(glued):
    truth = cluster_trial(n_clusters=20, cluster_size=12, icc=0.05, effect=0.2, seed=1).attrs
    table = report.simulation_parameters(truth["truth"], decimals=1)["Valeur vraie"]
    assert table["Grappes randomisées"] == "20"  # its share treated is a row of its own
    assert table["Personnes par grappe"] == "12"
    assert table["Part des grappes traitées"] == f"50{NNBSP}%"
    assert table["Effet vrai, τ"] == "0,2" and table["Corrélation intra-grappe"] == "0,050"
    assert not glued


def test_simulation_parameters_refuse_an_unknown_parameter_and_an_unknown_glued_one():
    with pytest.raises(InputError, match=r"no French label for the parameter\(s\) \['tau'\]"):
        report.simulation_parameters({"seed": 1, "tau": 0.1})
    with pytest.raises(InputError, match=r"glue_names: \['icc'\] not among the parameters"):
        report.simulation_parameters({"seed": 1}, glue_names={"icc": "icc"})


# --- a Monte Carlo study ----------------------------------------------------------------------


def _study() -> SimulationStudy:
    def draws(values, half_width):
        return pd.DataFrame(
            {
                "value": values,
                "std_error": [half_width / 2] * len(values),
                "ci_low": [v - half_width for v in values],
                "ci_high": [v + half_width for v in values],
                "p_value": [0.01] * len(values),
            }
        )

    return SimulationStudy(
        truth=1.0,
        seed=9,
        draws={"main": draws([0.9, 1.1, 1.3, 0.7], 0.5), "naive": draws([0.9, 1.1, 1.3, 0.7], 0.2)},
    )


def test_glue_simulation_glues_one_estimators_performance_under_a_prefix(glued):
    parts = report.glue_simulation("mc", _study(), "main", decimals=2)
    assert glued == {f"mc_{part}": text for part, text in parts.items()}
    assert parts["n"] == "4" and parts["seed"] == "9"
    assert parts["bias"] == "0,000" and parts["sd"] == report.fmt_number(math.sqrt(0.2 / 3), 2)
    assert parts["mean_se"] == "0,25"
    assert parts["coverage"] == f"100,0{NNBSP}%" and parts["coverage_se"] == "0,0"
    assert parts["power"] == f"100{NNBSP}%"  # every interval excludes zero
    with pytest.raises(InputError, match="estimator 'cr2' is not one of the study's"):
        report.glue_simulation("mc", _study(), "cr2")


def test_simulation_table_has_a_column_per_estimator():
    table = report.simulation_table(_study(), {"main": "Principal", "naive": "Naïf"}, alpha=0.1)
    assert list(table.columns) == ["Principal", "Naïf"] and table.index.name == "Indicateur"
    assert table.loc["Réplications (graine 9)"].tolist() == ["4", "4"]
    coverage = table.loc[f"Couverture de l'intervalle à 90{NNBSP}%"]
    assert coverage.tolist() == [f"100,0{NNBSP}%", f"50,0{NNBSP}%"]
    assert list(table.index)[-1] == "Part des intervalles excluant zéro (puissance)"


# --- helpers every report shares --------------------------------------------------------------


def test_glue_ratio_glues_a_log_ratio_on_its_own_scale(glued):
    est = _estimate(-0.26, -0.42, -0.10)
    ratio = report.glue_ratio("rr", est)
    assert ratio == pytest.approx((math.exp(-0.26), math.exp(-0.42), math.exp(-0.10)))
    report.glue_ratio("poisson_rr", est, ci_name="poisson_ci", decimals=3)
    assert glued == {
        "rr": "0,77",
        "rr_ci": "[0,66 ; 0,90]",
        "poisson_rr": "0,771",
        "poisson_ci": "[0,657 ; 0,905]",
    }
    with pytest.raises(InputError, match="estimate 'rr' is tuple, not an Estimate"):
        report.glue_ratio("rr", (0.7, 0.6, 0.8))


def test_balance_table_in_french_and_what_the_prose_says_of_it(glued):
    balance = pd.DataFrame(
        {
            "mean_treated": [30.0, 0.5],
            "mean_control": [28.0, 0.45],
            "difference": [2.0, 0.05],
            "smd": [0.05, -0.15],
            "p_value": [0.4, 0.2],
            "n_missing": [0, 3],
        },
        index=["age", "married"],
    )
    table = report.french_balance(
        balance, treated="bénéficiaires", control="témoins", labels={"age": "âge"}
    )
    assert list(table.columns) == [
        "Moyenne, bénéficiaires",
        "Moyenne, témoins",
        "Différence",
        "Différence standardisée",
        "p (Welch)",
        "Manquants",
    ]
    assert list(table.index) == ["âge", "married"] and table.loc["married", "Manquants"] == 3
    report.glue_balance(balance, labels={"married": "en couple"})
    assert glued == {"max_smd": "\u22120,15", "max_smd_variable": "en couple", "n_smd_above": "1"}
    with pytest.raises(InputError, match=r"balance lacks the column\(s\) \['n_missing'\]"):
        report.french_balance(balance.drop(columns="n_missing"), treated="t", control="c")


def test_estimates_plot_draws_a_published_interval_beside_the_estimates():
    fig = estimates_plot(
        {"Essai": _estimate(-0.3, -0.5, -0.1), "Publié": (-0.26, -0.34, -0.19)},
        xlabel="x",
        transform=np.exp,
    )
    (ax,) = fig.axes
    points = [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "o"]
    assert points == pytest.approx([math.exp(-0.3), math.exp(-0.26)])
    with pytest.raises(InputError, match=r"estimate 'Publié' is tuple, not an Estimate or"):
        estimates_plot({"Publié": (-0.26, -0.19, -0.34)}, xlabel="x")  # bounds out of order
