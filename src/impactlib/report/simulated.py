"""French tables and sentences of pages on simulated data: the parameters a simulator put in
the data, and what the estimators recover of them.

A simulated page knows the truth: it shows the parameters of the process
(:func:`simulation_parameters`), its estimates beside their true values (:func:`truth_table`),
which intervals contain it (:func:`covers`, :func:`coverage_table`, :func:`coverage_sentence`,
:func:`coverage_summary`) and, over many draws of the process, how each estimator performs
(:func:`simulation_table`, :func:`glue_simulation`, for a
:class:`~impactlib.experiment.SimulationStudy`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from impactlib.core.estimate import Estimate
from impactlib.core.validation import InputError, is_real
from impactlib.experiment.monte_carlo import SimulationStudy
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent
from impactlib.report.gluing import glue_all

#: What :func:`truth_table` accepts as an estimate: an Estimate, (value, low, high), a value.
Estimated = Estimate | Sequence[float] | float


def _value_and_bounds(quantity: str, estimate: Estimated, alpha: float) -> tuple[float, ...]:
    if isinstance(estimate, Estimate):
        if abs(estimate.alpha - alpha) > 1e-12:
            raise InputError(
                f"rows[{quantity!r}]: the estimate's interval is at {estimate.level:.0%}, "
                f"the table's at {1 - alpha:.0%} (alpha={alpha!r})"
            )
        return estimate.value, estimate.ci_low, estimate.ci_high
    if is_real(estimate):
        return (float(estimate),)
    if isinstance(estimate, Sequence) and len(estimate) == 3 and all(map(is_real, estimate)):
        return tuple(float(x) for x in estimate)
    raise InputError(
        f"rows[{quantity!r}]: the estimate must be an Estimate, (value, low, high) or a "
        f"number, got {estimate!r}"
    )


def truth_table(
    rows: Mapping[str, tuple[float, Estimated]], *, alpha: float = 0.05, decimals: int = 3
) -> pd.DataFrame:
    """Estimates of a simulated study beside the true values of the simulation.

    Parameters
    ----------
    rows : mapping of str to (float, estimate)
        By quantity (the row label): its true value and its estimate, an
        :class:`~impactlib.core.Estimate` (value and interval), a ``(value, low, high)``
        triple (an estimate put on another scale, e.g. a rate ratio from its log), or a
        number alone (a quantity estimated without an interval: the cell stays empty).
    alpha : float, default 0.05
        The intervals are at ``1 - alpha``; an Estimate at another level is refused.
    decimals : int, default 3
        Decimals of every number.

    Returns
    -------
    DataFrame
        Indexed by ``Grandeur``; columns ``Valeur vraie``, ``Estimation`` and
        ``Intervalle à 95 %`` (at the level given), French-formatted text. Show it with
        :func:`~impactlib.report.french_table`.

    Examples
    --------
    >>> table = truth_table({"Effet": (0.2, (0.25, 0.1, 0.4)), "Taux témoin": (0.8, 0.79)})
    >>> table.loc["Effet"].tolist()
    ['0,200', '0,250', '[0,100 ; 0,400]']
    >>> table.loc["Taux témoin", "Intervalle à 95\u202f%"]
    ''
    """
    if not isinstance(rows, Mapping) or not rows:
        raise InputError("rows must map at least one quantity to (true value, estimate)")
    level = f"Intervalle à {fmt_percent(1 - alpha)}"
    table = {}
    for quantity, row in rows.items():
        if not isinstance(row, tuple) or len(row) != 2 or not is_real(row[0]):
            raise InputError(f"rows[{quantity!r}] must be (true value, estimate), got {row!r}")
        value, *bounds = _value_and_bounds(quantity, row[1], alpha)
        table[quantity] = {
            "Valeur vraie": fmt_number(row[0], decimals),
            "Estimation": fmt_number(value, decimals),
            level: fmt_interval(*bounds, decimals) if bounds else "",
        }
    return pd.DataFrame.from_dict(table, orient="index").rename_axis("Grandeur")


def covers(estimate: Estimate, truth: float) -> bool:
    """Whether the interval of ``estimate`` strictly contains ``truth``.

    Strictly, as :meth:`SimulationStudy.tidy` counts the coverage of many draws.

    Examples
    --------
    >>> est = Estimate(value=0.3, std_error=0.1, ci_low=0.1, ci_high=0.5, p_value=0.01,
    ...                n=100, method="m", outcome="y")
    >>> covers(est, 0.2), covers(est, 0.5)
    (True, False)
    """
    if not isinstance(estimate, Estimate):
        raise InputError(f"estimate must be an Estimate, got {type(estimate).__name__}")
    if not is_real(truth):
        raise InputError(f"truth must be a number, got {truth!r}")
    return bool(estimate.ci_low < truth < estimate.ci_high)


def coverage_sentence(estimate: Estimate, truth: float) -> str:
    """The sentence that says whether a simulated trial's interval contains the truth.

    Either way, a page on one draw of a simulation says so: an interval misses the truth in
    about ``alpha`` of the draws, and the seed was not changed to avoid it.

    Examples
    --------
    >>> est = Estimate(value=0.3, std_error=0.1, ci_low=0.1, ci_high=0.5, p_value=0.01,
    ...                n=100, method="m", outcome="y")
    >>> coverage_sentence(est, 0.2).startswith("L'intervalle de confiance contient")
    True
    """
    if covers(estimate, truth):
        return (
            "L'intervalle de confiance contient la valeur vraie : avec cette graine, l'essai "
            "simulé retrouve l'effet que la simulation y a mis, à l'imprécision près."
        )
    return (
        "L'intervalle de confiance ne contient pas la valeur vraie : cela arrive, par "
        f"construction, dans environ {fmt_percent(estimate.alpha)} des essais ; la graine "
        "n'a pas été changée pour l'éviter."
    )


def coverage_summary(estimates: Mapping[str, Estimate], truth: float, *, note: str = "") -> str:
    """The sentence that says which of several estimates of one truth miss it.

    ``estimates`` are by label, as in :func:`coverage_table`; ``note`` is added when some
    interval misses the truth (what the page knows of why).

    Examples
    --------
    >>> est = Estimate(value=0.3, std_error=0.1, ci_low=0.1, ci_high=0.5, p_value=0.01,
    ...                n=100, method="m", outcome="y")
    >>> coverage_summary({"Principale": est, "Ajustée": est}, 0.6).split(" : ")[1]
    'principale ; ajustée.'
    """
    if not isinstance(estimates, Mapping) or not estimates:
        raise InputError("estimates must map at least one label to an Estimate")
    missed = [label for label, est in estimates.items() if not covers(est, truth)]
    if not missed:
        return "Toutes les spécifications ont un intervalle qui contient la valeur vraie."
    listed = " ; ".join(label[:1].lower() + label[1:] for label in missed)
    return (
        f"Avec ce tirage, {len(missed)} spécification(s) sur {len(estimates)} ont un "
        f"intervalle qui ne contient pas la valeur vraie : {listed}." + (f" {note}" if note else "")
    )


def coverage_table(
    estimates: Mapping[str, Estimate],
    *,
    truth: float,
    ratio: str | None = None,
    decimals: int = 3,
) -> pd.DataFrame:
    """Several estimates of one true value, each with its interval and whether it holds it.

    Parameters
    ----------
    estimates : mapping of str to Estimate
        By label (the row), estimates of the same quantity, at the same level.
    truth : float
        The true value, on the estimates' scale.
    ratio : str, optional
        For estimates of a log ratio: the ratio's name (``"Rapport de taux"``). The value
        and the bounds are then shown on the ratio scale (``exp``), the standard error on
        the log scale, and the headers say so.
    decimals : int, default 3
        Decimals of the value, bounds and standard error.

    Returns
    -------
    DataFrame
        One row per label: the value (``Estimation``, or the ratio's name),
        ``Intervalle à 95 %``, ``Erreur type`` (``Erreur type (log)`` for a ratio) and
        ``Contient la vérité`` (``oui`` or ``non``, as :func:`covers` says).

    Examples
    --------
    >>> est = Estimate(value=-0.26, std_error=0.08, ci_low=-0.42, ci_high=-0.10,
    ...                p_value=0.001, n=1000, method="GLM", outcome="falls")
    >>> coverage_table({"GLM": est}, truth=-0.26, ratio="Rapport de taux").loc["GLM"].tolist()
    ['0,771', '[0,657 ; 0,905]', '0,080', 'oui']
    """
    if not isinstance(estimates, Mapping) or not estimates:
        raise InputError("estimates must map at least one label to an Estimate")
    for label, est in estimates.items():
        if not isinstance(est, Estimate):
            raise InputError(f"estimates[{label!r}] is {type(est).__name__}, not an Estimate")
    levels = {est.level for est in estimates.values()}
    if len(levels) > 1:
        raise InputError(f"estimates must share one level, got {sorted(levels)}")
    show = math.exp if ratio else float
    value, se = (ratio, "Erreur type (log)") if ratio else ("Estimation", "Erreur type")
    rows = {
        label: {
            value: fmt_number(show(est.value), decimals),
            f"Intervalle à {fmt_percent(est.level)}": fmt_interval(
                show(est.ci_low), show(est.ci_high), decimals
            ),
            se: fmt_number(est.std_error, decimals),
            "Contient la vérité": "oui" if covers(est, truth) else "non",
        }
        for label, est in estimates.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _simulation_parts(study: SimulationStudy, estimator: str, decimals: int) -> dict[str, str]:
    if not isinstance(study, SimulationStudy):
        raise InputError(f"study must be a SimulationStudy, got {type(study).__name__}")
    tidy = study.tidy()
    if estimator not in tidy.index:
        raise InputError(f"estimator {estimator!r} is not one of the study's: {list(tidy.index)}")
    row = tidy.loc[estimator]
    return {
        "n": fmt_number(study.n_resamples),
        "seed": str(study.seed),
        "bias": fmt_number(row["bias"], decimals + 1),
        "bias_se": fmt_number(row["bias_mc_se"], decimals + 1),
        "sd": fmt_number(row["sd"], decimals),
        "mean_se": fmt_number(row["mean_se"], decimals),
        "coverage": fmt_percent(row["coverage"], 1),
        "coverage_se": fmt_number(100 * row["coverage_mc_se"], 1),  # in points
        "power": fmt_percent(row["rejection_rate"]),
    }


def glue_simulation(
    prefix: str, study: SimulationStudy, estimator: str, *, decimals: int = 3
) -> dict[str, str]:
    """Glue the performance of one estimator of a Monte Carlo study under ``<prefix>_<part>``.

    Parts: ``n`` (replications), ``seed``, ``bias`` and its Monte Carlo standard error
    ``bias_se`` (``decimals + 1`` decimals), ``sd`` of the estimates and ``mean_se``, the mean
    announced standard error (``decimals``), ``coverage`` (a percentage) and its Monte Carlo
    standard error ``coverage_se`` (in points), ``power`` (share of intervals excluding
    zero). Returns the formatted strings by part, as :func:`glue_estimate` does.
    """
    parts = _simulation_parts(study, estimator, decimals)
    glue_all({f"{prefix}_{part}": text for part, text in parts.items()})
    return parts


def simulation_table(
    study: SimulationStudy,
    estimators: Mapping[str, str],
    *,
    alpha: float = 0.05,
    decimals: int = 3,
) -> pd.DataFrame:
    """The performance of the estimators of a Monte Carlo study, one column each.

    ``estimators`` maps the study's estimator names to their column labels. Rows: the
    replications (with the seed), mean bias and its Monte Carlo error, standard deviation
    of the estimates, mean announced standard error (all on the estimates' scale), the
    coverage of the intervals at ``1 - alpha`` and the share of intervals excluding zero
    (the power when the truth is not zero), formatted as :func:`glue_simulation` glues them.
    """
    if not isinstance(estimators, Mapping) or not estimators:
        raise InputError("estimators must map at least one estimator name to a column label")
    parts = {
        column: _simulation_parts(study, name, decimals) for name, column in estimators.items()
    }
    labels = {
        "n": f"Réplications (graine {study.seed})",
        "bias": "Biais moyen",
        "bias_se": "Erreur Monte-Carlo de ce biais",
        "sd": "Écart-type des estimations",
        "mean_se": "Erreur type moyenne annoncée",
        "coverage": f"Couverture de l'intervalle à {fmt_percent(1 - alpha)}",
        "power": "Part des intervalles excluant zéro (puissance)",
    }
    columns = {
        column: {label: texts[part] for part, label in labels.items()}
        for column, texts in parts.items()
    }
    return pd.DataFrame(columns).rename_axis("Indicateur")


def _parameter_rows(
    dgp: Mapping[str, object], treatment: str, events: str, time_unit: str, decimals: int
) -> dict[str, tuple[str, str]]:
    """By key of ``dgp``, in the table's order: (French label, text)."""
    num = fmt_number
    of_events = f"d'{events}" if events[:1].lower() in "aeéèêiouyh" else f"de {events}"
    # The count simulator treats half of the clusters; the other records its share.
    half = "" if "share_treated" in dgp else f" (moitié avec {treatment})"
    sizes = dgp.get("cluster_size") or (0, 0)
    uniform = sizes[0] != sizes[1]
    unit = f" {time_unit}" if time_unit else ""
    implied = " implicite" if "rate_ratio" in dgp else ""  # the count model implies it
    rows = {
        "n_clusters": ("Grappes randomisées", lambda v: f"{v}{half}"),
        "cluster_size": (
            "Personnes par grappe" + (" (loi uniforme)" if uniform else ""),
            lambda v: f"{v[0]} à {v[1]}" if uniform else f"{v[0]}",
        ),
        "share_treated": ("Part des grappes traitées", fmt_percent),
        "baseline_rate": (f"Taux {of_events} sans {treatment}, λ₀", lambda v: num(v, 2)),
        "rate_ratio": ("Rapport de taux vrai, ρ", lambda v: num(v, 2)),
        "log_rate_ratio": ("Effet vrai, ln ρ", lambda v: num(v, 4)),
        "effect": ("Effet vrai, τ", lambda v: num(v, decimals)),
        "mean": (f"Moyenne sans {treatment}, μ", lambda v: num(v, decimals)),
        "sd": ("Écart-type de l'indicateur, σ", lambda v: num(v, decimals)),
        "cluster_sd": ("Écart-type de l'effet de grappe, σ", lambda v: num(v, 2)),
        "overdispersion": ("Variance de la fragilité individuelle, a", lambda v: num(v, 2)),
        "icc": (f"Corrélation intra-grappe{implied}", lambda v: num(v, 3)),
        "baseline_correlation": ("Corrélation de la mesure initiale", lambda v: num(v, 2)),
        "exposure": ("Suivi prévu", lambda v: f"{num(v, 1)}{unit}"),
        "dropout": ("Part de sorties anticipées", fmt_percent),
        "seed": ("Graine du générateur", str),
    }
    unknown = [key for key in dgp if key not in rows]
    if unknown:
        raise InputError(f"dgp: no French label for the parameter(s) {unknown}")
    return {key: (label, text(dgp[key])) for key, (label, text) in rows.items() if key in dgp}


def simulation_parameters(
    dgp: Mapping[str, object],
    *,
    glue_names: Mapping[str, str] | None = None,
    treatment: str = "traitement",
    events: str = "événements",
    time_unit: str = "",
    decimals: int = 2,
) -> pd.DataFrame:
    """The true parameters of a simulated trial, as its simulator recorded them, in French.

    Parameters
    ----------
    dgp : mapping
        The parameters a simulator of :mod:`impactlib.experiment` records:
        ``frame.attrs["dgp"]`` of :func:`~impactlib.experiment.cluster_count_trial`,
        ``frame.attrs["truth"]`` of :func:`~impactlib.experiment.cluster_trial`.
    glue_names : mapping of str to str, optional
        Parameters quoted in the prose: by key of ``dgp``, the name to glue its text under.
    treatment, events : str
        The page's words for the treatment (``"programme"``) and for the events counted
        (``"chutes"``), in the labels.
    time_unit : str
        Unit of the follow-up (``"an"``).
    decimals : int, default 2
        Decimals of the numbers in the outcome's unit (effect, mean, standard deviation).

    Returns
    -------
    DataFrame
        Indexed by ``Paramètre``, one column ``Valeur vraie`` (text).

    Raises
    ------
    InputError
        A key of ``dgp`` without a French label (a new parameter of a simulator: add it
        here), or a glued name for a key ``dgp`` does not have.

    Examples
    --------
    >>> dgp = {"n_clusters": 40, "cluster_size": [15, 30], "icc": 0.05, "effect": 0.2,
    ...        "share_treated": 0.5, "seed": 7}
    >>> simulation_parameters(dgp)["Valeur vraie"].tolist()
    ['40', '15 à 30', '50\u202f%', '0,20', '0,050', '7']
    """
    if not isinstance(dgp, Mapping) or not dgp:
        raise InputError("dgp must be the non-empty mapping of parameters a simulator records")
    rows = _parameter_rows(dgp, treatment, events, time_unit, decimals)
    glue_names = glue_names or {}
    missing = [key for key in glue_names if key not in rows]
    if missing:
        raise InputError(f"glue_names: {missing} not among the parameters {list(rows)}")
    glue_all({name: rows[key][1] for key, name in glue_names.items()})
    texts = {label: text for label, text in rows.values()}
    return pd.DataFrame({"Valeur vraie": texts}).rename_axis("Paramètre")
