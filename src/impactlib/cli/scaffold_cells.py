"""The per-design parts of the study template used by :mod:`impactlib.cli.scaffold`.

Each :class:`DesignCells` holds only what differs from one design to the next: its own
parameters and their defaults (real reference data of ``data/sources.yaml``, or a
simulation), the wording of its outcome, its own imports, the computation, the checks of the
identifying assumptions, the figure, the robustness estimates and the design's prose.
Everything the designs share is declared once in :mod:`impactlib.cli.scaffold`: the headings and
common cells, the common imports (merged with a design's own), the common parameters, and the
first lines of the computation (see :func:`impactlib.cli.scaffold.compute_cell`).

With those first lines, the computation cell of every design defines the names the common
cells read:

``used_sources``
    registered sources used, name -> table (empty when the data are simulated);
``simulated``
    whether the data are simulated;
``headline``, ``headline_label``
    the report's main :class:`~impactlib.core.Estimate` and its French label;
``standardised``
    the headline on a comparable scale (:func:`impactlib.appraisal.standardised_effect`);
``design_label``, ``decimals``
    the French name of the design and the decimals the page prints in the outcome's unit;
``estimates``, ``robustness_labels``
    the other estimates (name -> Estimate) and the French labels of the robustness table
    (name -> label; ``"headline"`` names the headline);
``facts``
    other numbers written to ``results/<id>/estimates.json``;

and glues ``sample_description``. Code is English; prose is French, with
``[À compléter : ...]`` where the partner must write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """A parameter of the page: in its ``parameters`` cell and in ``params/<id>.yaml``."""

    name: str
    value: Any
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """The outcome as the page shows it: its French label and the unit of the effect
    (parameters ``outcome_label`` and ``effect_unit``), the decimals printed in that unit,
    and whether a higher outcome is an improvement (parameter ``higher_is_better``)."""

    label: str
    unit: str
    decimals: int
    higher_is_better: bool = True


@dataclass(frozen=True, kw_only=True)
class DesignCells:
    """What one design adds to the common skeleton of a report.

    The level of evidence starts from the design the headline estimate writes
    (``headline.design``, a code of the design registry); ``risk_of_bias`` is its default
    judgement. ``imports`` lists only the design's own
    imports. ``frame`` names the table that the common first lines of the computation load
    from ``source`` (``None``: the computation loads or simulates its data itself, and
    defines ``used_sources`` and ``simulated``); ``method`` is the comment above it.
    """

    name: str
    label: str
    summary: str
    data_parameters: tuple[Param, ...]
    indicator: Indicator
    risk_of_bias: str
    imports: str
    frame: str | None = "sample"
    method: str
    compute: str
    design_md: str
    check_cells: tuple[str, ...]
    data_md: str
    results_md: str
    figure_cell: str
    robustness_md: str
    limits_md: str
    references: tuple[str, ...]
    banner_cell: str = ""
    data_cells: tuple[str, ...] = field(default_factory=tuple)


_TODO_DATA = (
    "[À compléter : les données de l'innovation évaluée, leur producteur, leur période, leurs "
    "règles d'accès ; déclarez-les dans `data/sources.yaml` puis indiquez leur nom dans le "
    "paramètre `source` de `params/@@ID@@.yaml`.]"
)

# Reference data shared by two designs each: declared once, so that they cannot drift apart.
_NSW_COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
_NSW_EARNINGS = Indicator(
    label="Revenu annuel de 1978 (dollars)", unit="dollars de revenu annuel", decimals=0
)
_MPDTA_PANEL = (
    Param("source", "mpdta", "Registered source (data/sources.yaml): a panel."),
    Param("outcome", "lemp", "Outcome column."),
    Param("log_outcome", True, "Whether the outcome is a logarithm (relative effect)."),
    Param("unit", "countyreal", "Unit column."),
    Param("time", "year", "Period column."),
    Param("cohort", "first.treat", "First treated period of each unit; 0 = never treated."),
)
_MPDTA_EMPLOYMENT = Indicator(
    label="Emploi des jeunes (logarithme)", unit="point de logarithme", decimals=4
)


def _balance_cell(treated: str, control: str) -> str:
    """The balance table of a randomised design; only the names of the two arms vary."""
    return f"""\
report.french_table(
    balance.rename(
        columns={{
            "mean_treated": "{treated}",
            "mean_control": "{control}",
            "difference": "Différence",
            "smd": "Différence standardisée",
            "p_value": "p (Welch)",
            "n_missing": "Manquants",
        }}
    ),
    "balance",
)"""


# --- randomised controlled trial -------------------------------------------------------------

RCT = DesignCells(
    name="rct",
    label="Essai randomisé",
    summary=(
        "un essai randomisé, sur les données de référence de l'expérience *National Supported "
        "Work* (NSW)"
    ),
    data_parameters=(
        Param("source", "nsw_mixtape", "Registered source (data/sources.yaml) of the trial."),
        Param("outcome", "re78", "Outcome column."),
        Param("treatment", "treat", "Treatment column (1 = assigned to the innovation)."),
        Param(
            "covariates",
            _NSW_COVARIATES,
            "Baseline covariates: balance check and Lin (2013) adjustment.",
        ),
        Param(
            "trim_share",
            0.01,
            "Robustness: share of the highest outcomes left out (sensitivity to outliers).",
        ),
    ),
    indicator=_NSW_EARNINGS,
    risk_of_bias="low",
    imports="""\
import matplotlib.pyplot as plt

from impactlib.experiment import balance_table, difference_in_means""",
    method="Randomised trial: difference in means (Neyman standard error), Lin (2013) adjustment.",
    compute="""\
headline = difference_in_means(sample, outcome, treatment, alpha=alpha)
headline_label = "Différence de moyennes (erreur type de Neyman)"
adjusted = difference_in_means(sample, outcome, treatment, covariates=covariates, alpha=alpha)
cap = sample[outcome].astype(float).quantile(1 - trim_share)
trimmed = difference_in_means(sample[sample[outcome] <= cap], outcome, treatment, alpha=alpha)
control = sample.loc[sample[treatment] == 0, outcome].astype(float)
standardised = standardised_effect(headline, kind="smd", sd=float(control.std()))
balance = balance_table(sample, treatment, covariates)
largest = balance["smd"].abs().idxmax()

estimates = {"adjusted": adjusted, "trimmed": trimmed}
robustness_labels = {
    "headline": headline_label,
    "adjusted": "Ajustée sur les caractéristiques initiales (Lin, 2013)",
    "trimmed": f"Sans les {report.fmt_percent(trim_share)} de valeurs les plus élevées",
}
facts = {"control_mean": float(control.mean()), "max_abs_smd": float(balance["smd"].abs().max())}
report.glue(
    "sample_description",
    f"{report.fmt_number(headline.n)} personnes, dont {report.fmt_number(headline.n_treated)} "
    f"dans le groupe traité et {report.fmt_number(headline.n_control)} témoins",
)
report.glue("control_mean", report.fmt_number(control.mean(), decimals))
report.glue("n_covariates", report.fmt_number(len(covariates)))
report.glue("max_smd", report.fmt_number(balance.loc[largest, "smd"], 2))
report.glue("max_smd_variable", str(largest))
report.glue("n_smd_above", report.fmt_number(int((balance["smd"].abs() > 0.1).sum())))
report.glue_estimate("adjusted", adjusted, decimals=decimals)""",
    design_md="""\
Le dispositif est un **essai randomisé** : [À compléter : qui a été tiré au sort, quand,
entre quels groupes et avec quelle probabilité d'attribution]. Le tirage au sort rend les
groupes comparables en moyenne sur toutes leurs caractéristiques, observées ou non : la
différence des moyennes de l'indicateur estime alors sans biais l'effet moyen de
l'innovation, avec l'erreur type prudente de Neyman {cite:p}`imbens2015`. L'ajustement sur
les caractéristiques initiales suit {cite:t}`lin2013` : il ne change pas ce qui est
estimé, il peut seulement en améliorer la précision.

Hypothèses : le tirage a été respecté, l'attrition ne diffère pas entre les groupes, et le
traitement d'une personne n'affecte pas les autres. [À compléter : ce qui les rend
plausibles ici.]

**Vérification : l'équilibre des groupes.** Le tableau compare les moyennes des
{glue:text}`n_covariates` caractéristiques initiales ; une différence standardisée
supérieure à 0,1 en valeur absolue signale un déséquilibre notable {cite:p}`austin2009`.
La plus grande est de {glue:text}`max_smd` (variable {glue:text}`max_smd_variable`) ;
{glue:text}`n_smd_above` variable(s) dépassent ce seuil.""",
    check_cells=(_balance_cell("Moyenne groupe traité", "Moyenne témoins"),),
    data_md="""\
Par défaut, la page s'exécute sur l'échantillon expérimental du *National Supported Work
Demonstration* constitué par {cite:t}`dehejia1999`, redistribué dans le paquet `causaldata`
{cite:p}`cunningham2021`. """
    + _TODO_DATA,
    results_md="""\
L'écart de l'indicateur entre le groupe traité et le groupe témoin est de
**{glue:text}`effect_value`** {glue:text}`effect_unit` (intervalle de confiance à
{glue:text}`effect_level` : {glue:text}`effect_ci`, p = {glue:text}`effect_p`), pour une
moyenne de {glue:text}`control_mean` dans le groupe témoin. [À compléter : ce que
signifie cet effet pour les bénéficiaires.]""",
    figure_cell="""\
fig, ax = plt.subplots()
for arm, label, colour in ((0, "Groupe témoin", 1), (1, "Groupe traité", 0)):
    values = sample.loc[sample[treatment] == arm, outcome].astype(float)
    ax.hist(
        values, bins=30, histtype="step", linewidth=1.5, color=report.PALETTE[colour], label=label
    )
    ax.axvline(values.mean(), color=report.PALETTE[colour], linestyle="--", linewidth=1)
report.french_axis(ax.xaxis)
report.french_axis(ax.yaxis)
ax.set_xlabel(outcome_label)
ax.set_ylabel("Effectif")
ax.set_title("Distribution de l'indicateur par groupe (tirets : moyennes)")
ax.legend()
report.save_figure(fig, figure_folder, "distribution")
plt.show()""",
    robustness_md="""\
Ajusté sur les caractéristiques initiales, l'effet est de {glue:text}`adjusted_value`
{glue:text}`effect_unit` (intervalle {glue:text}`adjusted_ci`). Le tableau donne aussi
l'estimation sans les valeurs les plus élevées de l'indicateur, pour vérifier qu'elle ne
tient pas à quelques observations extrêmes.""",
    limits_md="""\
- **Validité externe** : [À compléter : en quoi la population et le contexte de l'essai
  diffèrent de ceux d'un déploiement].
- **Attrition et respect du tirage** : [À compléter : taux de réponse par groupe,
  changements de groupe].""",
    references=("imbens2015", "lin2013", "austin2009"),
)

# --- cluster-randomised trial ----------------------------------------------------------------

CLUSTER_RCT = DesignCells(
    name="cluster_rct",
    label="Essai randomisé par grappes",
    summary=(
        "un essai randomisé par grappes ; tant que le paramètre `source` ne désigne pas de "
        "données réelles, la page s'exécute sur des **données simulées**"
    ),
    data_parameters=(
        Param(
            "source",
            None,
            "Registered source (data/sources.yaml) of the trial. null = SIMULATED data "
            "(impactlib.experiment.cluster_trial), and the page says so.",
        ),
        Param("outcome", "outcome", "Outcome column."),
        Param("treatment", "treat", "Treatment column (1 = cluster assigned to the innovation)."),
        Param("cluster", "cluster", "Cluster column (the unit of randomisation)."),
        Param("baseline", "baseline", "Baseline measure of the outcome (before assignment)."),
        Param("n_clusters", 40, "Simulation only: number of clusters."),
        Param("cluster_size", [15, 30], "Simulation only: smallest and largest cluster size."),
        Param("icc", 0.05, "Simulation only: intraclass correlation of the outcome."),
        Param("true_effect", 0.2, "Simulation only: true effect, in outcome units."),
        Param("outcome_sd", 1.0, "Simulation only: outcome standard deviation within an arm."),
    ),
    indicator=Indicator(
        label="Indicateur simulé (écarts-types)", unit="point de l'indicateur", decimals=2
    ),
    risk_of_bias="low",
    imports="""\
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML

from impactlib.experiment import simulate
from impactlib.experiment import balance_table, difference_in_means""",
    frame=None,
    method=(
        "Cluster-randomised trial. Until `source` names a registered source, the data are "
        "SIMULATED by impactlib.experiment.cluster_trial with the true effect `true_effect`."
    ),
    compute="""\
simulated = source is None
if simulated:
    sample = simulate.cluster_trial(
        n_clusters=n_clusters,
        cluster_size=cluster_size,
        icc=icc,
        effect=true_effect,
        sd=outcome_sd,
        seed=seed,
    ).rename(
        columns={"cluster": cluster, "treat": treatment, "baseline": baseline, "outcome": outcome}
    )
    used_sources = {}
else:
    sample = data.load(source)
    used_sources = {source: sample}

headline = difference_in_means(sample, outcome, treatment, cluster=cluster, alpha=alpha)
headline_label = "Différence de moyennes, erreurs types robustes aux grappes (CR1)"
adjusted = difference_in_means(
    sample, outcome, treatment, covariates=[baseline], cluster=cluster, alpha=alpha
)
cluster_means = sample.groupby(cluster, as_index=False)[[outcome, baseline, treatment]].mean()
cluster_means["size"] = sample.groupby(cluster).size().to_numpy()
by_cluster = difference_in_means(cluster_means, outcome, treatment, alpha=alpha)
ignoring = difference_in_means(sample, outcome, treatment, alpha=alpha)
control = sample[sample[treatment] == 0]
standardised = standardised_effect(headline, kind="smd", sd=float(control[outcome].std()))
icc_hat = simulate.intraclass_correlation(control, outcome=outcome, cluster=cluster)
mean_size = float(cluster_means["size"].mean())
design_effect = 1 + (mean_size - 1) * icc_hat
balance = balance_table(cluster_means, treatment, [baseline])

estimates = {"adjusted": adjusted, "cluster_means": by_cluster, "ignoring_clusters": ignoring}
robustness_labels = {
    "headline": headline_label,
    "adjusted": "Ajustée sur la mesure initiale (Lin, 2013), erreurs CR1",
    "cluster_means": "Sur les moyennes des grappes (une observation par grappe)",
    "ignoring_clusters": "Sans tenir compte des grappes (erreurs trop optimistes)",
}
facts = {
    "n_clusters": int(headline.n_clusters),
    "icc_estimate": icc_hat,
    "design_effect": design_effect,
    "simulated": simulated,
}
if simulated:
    facts["true_effect"] = float(true_effect)
n_clusters_treated = int((cluster_means[treatment] == 1).sum())
report.glue(
    "sample_description",
    f"{report.fmt_number(headline.n)} personnes réparties en "
    f"{report.fmt_number(headline.n_clusters)} grappes, dont "
    f"{report.fmt_number(n_clusters_treated)} grappes traitées",
)
report.glue("n_clusters", report.fmt_number(headline.n_clusters))
report.glue("icc_hat", report.fmt_number(icc_hat, 3))
report.glue("mean_size", report.fmt_number(mean_size, 1))
report.glue("design_effect", report.fmt_number(design_effect, 2))
report.glue("se_ratio", report.fmt_number(headline.std_error / ignoring.std_error, 2))
report.glue("baseline_smd", report.fmt_number(balance.loc[baseline, "smd"], 2))
report.glue_estimate("adjusted", adjusted, decimals=decimals)
report.glue("sim_clusters", report.fmt_number(n_clusters))
report.glue("sim_size_low", report.fmt_number(cluster_size[0]))
report.glue("sim_size_high", report.fmt_number(cluster_size[1]))
report.glue("sim_icc", report.fmt_number(icc, 3))
report.glue("sim_effect", report.fmt_number(true_effect, decimals))
report.glue("sim_sd", report.fmt_number(outcome_sd, decimals))
covered = headline.ci_low <= true_effect <= headline.ci_high
report.glue(
    "truth_sentence",
    (
        f"L'effet vrai de la simulation est de {report.fmt_number(true_effect, decimals)} : "
        f"l'intervalle de confiance {'le contient' if covered else 'ne le contient pas'}."
    )
    if simulated
    else "Les données sont réelles : l'effet vrai est inconnu.",
)""",
    banner_cell="""\
if simulated:
    display(
        HTML(
            '<div class="admonition warning"><p class="admonition-title">Données simulées</p>'
            "<p>Les données de cette page sont <strong>simulées</strong> (processus décrit "
            "dans « Les données et leur provenance ») : aucun chiffre ne décrit une "
            "intervention réelle. Elles le resteront tant que le paramètre "
            "<code>source</code> de <code>params/@@ID@@.yaml</code> ne désigne pas une "
            "source déclarée dans <code>data/sources.yaml</code>.</p></div>"
        )
    )""",
    design_md="""\
Le dispositif est un **essai randomisé par grappes** : l'innovation est attribuée par
tirage au sort à des groupes entiers ([À compléter : établissements, communes,
agences...]) et non à des personnes. Le tirage rend les grappes comparables en moyenne ;
mais les personnes d'une même grappe se ressemblent, si bien que l'échantillon apporte
moins d'information que son nombre de personnes ne le laisse croire. Les erreurs types
sont donc robustes aux grappes (CR1) et l'inférence repose sur le nombre de grappes,
{glue:text}`n_clusters` ici.

Hypothèses : le tirage des grappes a été respecté, la composition des grappes n'a pas
changé à cause de l'attribution, l'innovation d'une grappe n'affecte pas les autres.
[À compléter : ce qui les rend plausibles ici.]

**Vérifications.** La corrélation intraclasse de l'indicateur, estimée dans le groupe
témoin, est de {glue:text}`icc_hat` ; avec {glue:text}`mean_size` personnes par grappe en
moyenne, l'effet de plan est de {glue:text}`design_effect` (la variance est multipliée
d'autant par rapport à un tirage individuel). L'erreur type robuste aux grappes vaut
{glue:text}`se_ratio` fois celle qui ignorerait les grappes. Sur les moyennes des
grappes, la différence standardisée de la mesure initiale entre groupes est de
{glue:text}`baseline_smd` (un écart supérieur à 0,1 en valeur absolue signale un
déséquilibre notable, {cite:t}`austin2009`).""",
    check_cells=(_balance_cell("Moyenne grappes traitées", "Moyenne grappes témoins"),),
    data_md="""\
Tant que le paramètre `source` est vide, les données sont **simulées** par
`impactlib.experiment.cluster_trial` : {glue:text}`sim_clusters` grappes de
{glue:text}`sim_size_low` à {glue:text}`sim_size_high` personnes, dont la moitié est
tirée au sort pour recevoir l'innovation ; l'indicateur a un écart type de
{glue:text}`sim_sd` dans chaque groupe, une corrélation intraclasse de
{glue:text}`sim_icc`, et l'effet vrai de l'innovation est de {glue:text}`sim_effect`.
Formellement, pour la personne $i$ de la grappe $j$,
$y_{ij} = \\mu + \\tau T_j + u_j + e_{ij}$, avec $u_j \\sim \\mathcal{N}(0, \\rho\\sigma^2)$
et $e_{ij} \\sim \\mathcal{N}(0, (1 - \\rho)\\sigma^2)$ ; la mesure initiale partage
l'effet de grappe $u_j$. La graine `seed` rend la page identique d'une exécution à
l'autre. {glue:text}`truth_sentence`

"""
    + _TODO_DATA,
    results_md="""\
L'écart de l'indicateur entre les grappes traitées et les grappes témoins est de
**{glue:text}`effect_value`** {glue:text}`effect_unit` (intervalle de confiance à
{glue:text}`effect_level` : {glue:text}`effect_ci`, p = {glue:text}`effect_p`).
[À compléter : ce que signifie cet effet pour les bénéficiaires.]""",
    figure_cell="""\
fig, ax = plt.subplots()
for arm, label, colour in ((0, "Grappes témoins", 1), (1, "Grappes traitées", 0)):
    means = cluster_means[cluster_means[treatment] == arm]
    offsets = np.linspace(-0.15, 0.15, len(means))
    ax.scatter(
        arm + offsets,
        means[outcome],
        s=means["size"] * 2,
        color=report.PALETTE[colour],
        alpha=0.7,
        label=label,
    )
    mean = np.average(means[outcome], weights=means["size"])
    ax.hlines(mean, arm - 0.25, arm + 0.25, color=report.PALETTE[colour], linewidth=2)
ax.set_xticks([0, 1], ["Témoins", "Traitées"])
ax.set_xlim(-0.6, 1.6)
report.french_axis(ax.yaxis, 1)
ax.set_ylabel(outcome_label)
ax.set_title("Moyenne de l'indicateur par grappe (traits : moyennes des groupes)")
ax.legend()
report.save_figure(fig, figure_folder, "cluster_means")
plt.show()""",
    robustness_md="""\
Ajusté sur la mesure initiale, l'effet est de {glue:text}`adjusted_value`
{glue:text}`effect_unit` (intervalle {glue:text}`adjusted_ci`). L'analyse sur les moyennes
des grappes donne le même poids à chaque grappe ; la dernière ligne, qui ignore les
grappes, n'est là que pour montrer combien elle surestimerait la précision.""",
    limits_md="""\
- **Données** : tant que le paramètre `source` est vide, tous les chiffres de la page
  viennent d'une simulation et ne décrivent aucune intervention réelle.
- **Nombre de grappes** : avec peu de grappes, les erreurs robustes aux grappes sont
  elles-mêmes imprécises. [À compléter.]""",
    references=("lin2013", "austin2009"),
)

# --- difference in differences (2x2) ---------------------------------------------------------

DID = DesignCells(
    name="did",
    label="Différence de différences",
    summary=(
        "une différence de différences à deux groupes et deux périodes, sur les données de "
        "référence des comtés américains et du salaire minimum (mpdta)"
    ),
    data_parameters=(
        *_MPDTA_PANEL,
        Param("treated_cohort", 2004, "The treated group: units first treated in this period."),
        Param("pre_period", 2003, "The period before."),
        Param("post_period", 2004, "The period after (the 2x2 effect)."),
        Param(
            "placebo_cohort",
            2007,
            "Check: a cohort still untreated at post_period, compared with the never treated "
            "(placebo), and used as an alternative control group.",
        ),
        Param("later_periods", [2005, 2006, 2007], "Robustness: effects at later periods."),
    ),
    indicator=_MPDTA_EMPLOYMENT,
    risk_of_bias="serious",
    imports="""\
import matplotlib.pyplot as plt

from impactlib.did import did_2x2""",
    frame="panel",
    method="Two groups, two periods: cohort `treated_cohort` against the never treated (cohort 0).",
    compute="""\
if not pre_period < post_period < placebo_cohort:
    raise ValueError("expected pre_period < post_period < placebo_cohort")


def two_by_two(group: int, pre: int, post: int, control: int = 0) -> pd.DataFrame:
    \"\"\"Units of cohort `group` and of cohort `control`, in periods `pre` and `post`.\"\"\"
    rows = panel[panel[cohort].isin([control, group]) & panel[time].isin([pre, post])]
    return rows.assign(
        in_group=(rows[cohort] == group).astype(int), after=(rows[time] == post).astype(int)
    )


options = dict(outcome=outcome, unit=unit, time=time, treated="in_group", post="after")
sample = two_by_two(treated_cohort, pre_period, post_period)
headline = did_2x2(sample, **options, alpha=alpha)
headline_label = f"Différence de différences {pre_period}-{post_period}, témoins jamais traités"
placebo = did_2x2(two_by_two(placebo_cohort, pre_period, post_period), **options, alpha=alpha)
not_yet = did_2x2(
    two_by_two(treated_cohort, pre_period, post_period, control=placebo_cohort),
    **options,
    alpha=alpha,
)
later = {
    f"period_{p}": did_2x2(two_by_two(treated_cohort, pre_period, p), **options, alpha=alpha)
    for p in later_periods
}
if log_outcome:
    standardised = standardised_effect(headline, kind="ratio")
else:
    before = sample[(sample["in_group"] == 0) & (sample["after"] == 0)][outcome]
    standardised = standardised_effect(headline, kind="smd", sd=float(before.std()))

estimates = {"placebo": placebo, "not_yet_treated": not_yet, **later}
robustness_labels = {
    "headline": headline_label,
    "not_yet_treated": f"Témoins : cohorte {placebo_cohort} (pas encore traitée)",
    **{f"period_{p}": f"Effet en {p} (par rapport à {pre_period})" for p in later_periods},
}
facts = {"cell_means": headline.extra["cell_means"]}
report.glue(
    "sample_description",
    f"{report.fmt_number(headline.n_treated)} unités de la cohorte {treated_cohort} et "
    f"{report.fmt_number(headline.n_control)} unités jamais traitées, observées en "
    f"{pre_period} et {post_period} ({report.fmt_number(headline.n)} observations)",
)
report.glue("treated_cohort", str(treated_cohort))
report.glue("placebo_cohort", str(placebo_cohort))
report.glue("pre_period", str(pre_period))
report.glue("post_period", str(post_period))
report.glue_estimate("placebo", placebo, decimals=decimals)
report.glue_estimate("not_yet", not_yet, decimals=decimals)
report.glue(
    "placebo_verdict",
    "contient zéro" if placebo.ci_low <= 0 <= placebo.ci_high else "ne contient pas zéro",
)""",
    design_md="""\
Le dispositif est une **différence de différences** : l'évolution de l'indicateur entre
{glue:text}`pre_period` et {glue:text}`post_period` chez les unités qui adoptent
l'innovation en {glue:text}`treated_cohort` est comparée à son évolution, sur la même
période, chez des unités qui ne l'adoptent jamais. [À compléter : qui a adopté
l'innovation, quand, et pourquoi ces unités-là.] L'hypothèse d'identification est celle
des **tendances parallèles** : sans l'innovation, l'indicateur aurait évolué de la même
façon dans les deux groupes. Elle n'est pas testable directement ; on vérifie ce qui peut
l'être. Les erreurs types sont robustes aux grappes par unité.

**Vérification : un placebo.** Les unités de la cohorte {glue:text}`placebo_cohort` ne
sont pas encore traitées en {glue:text}`post_period`. Comparées aux unités jamais
traitées sur la même période, elles devraient donner un effet nul si les tendances sont
parallèles : l'estimation placebo est de {glue:text}`placebo_value` (intervalle
{glue:text}`placebo_ci`, p = {glue:text}`placebo_p`), un intervalle qui
{glue:text}`placebo_verdict`. Le graphique des résultats montre aussi les évolutions
moyennes des groupes sur toute la période.""",
    check_cells=(),
    data_md="""\
Par défaut, la page s'exécute sur le panel de comtés américains de
{cite:t}`callaway2021` (emploi des jeunes et hausses du salaire minimum, paquet
`moderndid`), restreint à deux groupes et deux années. """
    + _TODO_DATA,
    results_md="""\
La différence de différences est de **{glue:text}`effect_value`** {glue:text}`effect_unit`
(intervalle de confiance à {glue:text}`effect_level` : {glue:text}`effect_ci`, p =
{glue:text}`effect_p`). [À compléter : ce que signifie cet effet.]""",
    figure_cell="""\
groups = {
    f"Cohorte {treated_cohort}": panel[panel[cohort] == treated_cohort],
    f"Cohorte {placebo_cohort} (placebo)": panel[panel[cohort] == placebo_cohort],
    "Jamais traités": panel[panel[cohort] == 0],
}
fig, ax = plt.subplots()
for (label, frame), colour in zip(groups.items(), (0, 2, 1), strict=True):
    means = frame.groupby(time)[outcome].mean()
    ax.plot(means.index, means.to_numpy(), marker="o", color=report.PALETTE[colour], label=label)
ax.axvline(treated_cohort - 0.5, color="#555555", linestyle=":", linewidth=1)
ax.set_xticks(sorted(panel[time].unique()))
report.french_axis(ax.yaxis, 2)
ax.set_xlabel("Période")
ax.set_ylabel(outcome_label)
ax.set_title("Évolution moyenne de l'indicateur par groupe")
ax.legend()
report.save_figure(fig, figure_folder, "trends")
plt.show()""",
    robustness_md="""\
Avec pour témoins les unités de la cohorte {glue:text}`placebo_cohort`, pas encore
traitées, l'effet est de {glue:text}`not_yet_value` (intervalle {glue:text}`not_yet_ci`).
Le tableau donne aussi l'effet aux périodes suivantes, toujours par rapport à
{glue:text}`pre_period`.""",
    limits_md="""\
- **Tendances parallèles** : une seule période avant l'innovation ne permet pas de
  vérifier les tendances passées du groupe traité. [À compléter.]
- **Autres changements simultanés** : [À compléter : ce qui a pu changer en même temps
  que l'innovation, pour le seul groupe traité].""",
    references=("callaway2021", "roth2023"),
)

# --- staggered difference in differences -----------------------------------------------------

STAGGERED_DID = DesignCells(
    name="staggered_did",
    label="Différence de différences échelonnée",
    summary=(
        "une différence de différences à adoption échelonnée (Callaway et Sant'Anna), sur les "
        "données de référence des comtés américains et du salaire minimum (mpdta)"
    ),
    data_parameters=(
        *_MPDTA_PANEL,
        Param("control_group", "never_treated", "never_treated or not_yet_treated."),
        Param("est_method", "dr", "dr (doubly robust), ipw or reg."),
        Param("aggregation", "simple", "Headline aggregation: simple, group, dynamic, calendar."),
    ),
    indicator=_MPDTA_EMPLOYMENT,
    risk_of_bias="serious",
    imports="""\
from impactlib.did import callaway_santanna, twfe""",
    frame="panel",
    method=(
        "Staggered adoption: Callaway & Sant'Anna (2021) group-time effects and their aggregation."
    ),
    compute="""\
options = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, alpha=alpha)
cs = callaway_santanna(panel, **options, control_group=control_group, est_method=est_method)
headline = cs.aggregate(aggregation)
headline_label = f"Callaway et Sant'Anna, agrégation « {aggregation} »"
other_kinds = [k for k in ("simple", "group", "dynamic", "calendar") if k != aggregation]
aggregates = {f"cs_{kind}": cs.aggregate(kind) for kind in other_kinds}
alternative = "not_yet_treated" if control_group == "never_treated" else "never_treated"
cs_alternative = callaway_santanna(
    panel, **options, control_group=alternative, est_method=est_method
).aggregate(aggregation)
switched = panel.assign(
    treated_now=((panel[cohort] > 0) & (panel[time] >= panel[cohort])).astype(int)
)
est_twfe = twfe(switched, outcome=outcome, unit=unit, time=time, treatment="treated_now")
if log_outcome:
    standardised = standardised_effect(headline, kind="ratio")
else:
    untreated = switched.loc[switched["treated_now"] == 0, outcome]
    standardised = standardised_effect(headline, kind="smd", sd=float(untreated.std()))

estimates = {**aggregates, "other_controls": cs_alternative, "twfe": est_twfe}
controls_fr = {"never_treated": "jamais traités", "not_yet_treated": "pas encore traités"}
robustness_labels = {
    "headline": headline_label,
    **{f"cs_{kind}": f"Callaway et Sant'Anna, agrégation « {kind} »" for kind in other_kinds},
    "other_controls": f"Témoins {controls_fr[alternative]}, agrégation « {aggregation} »",
    "twfe": "Effets fixes à deux dimensions (biaisé si les effets varient)",
}
pretest = cs.pretrend_test
facts = {"pretrend_p": pretest.p_value if pretest is not None else None}
units = panel.drop_duplicates(unit)
report.glue(
    "sample_description",
    f"{report.fmt_number(len(units))} unités, dont {report.fmt_number(headline.n_treated)} "
    f"traitées à un moment de la période, observées sur "
    f"{report.fmt_number(panel[time].nunique())} périodes ({report.fmt_number(headline.n)} "
    "observations)",
)
report.glue("n_cohorts", report.fmt_number(units.loc[units[cohort] > 0, cohort].nunique()))
report.glue("controls", controls_fr[control_group])
report.glue(
    "pretest_sentence",
    (
        f"le test joint que tous les effets placebo sont nuls donne un khi-deux de "
        f"{report.fmt_number(pretest.statistic, 2)} à {pretest.df} degrés de liberté "
        f"(p = {report.fmt_pvalue(pretest.p_value)})"
    )
    if pretest is not None
    else "aucun test joint n'a pu être calculé (pas de période placebo)",
)
report.glue_estimate("twfe", est_twfe, decimals=decimals)""",
    design_md="""\
Le dispositif est une **différence de différences à adoption échelonnée** : les unités
adoptent l'innovation à des dates différentes ({glue:text}`n_cohorts` cohortes
d'adoption). L'estimateur de {cite:t}`callaway2021` compare chaque cohorte, période par
période, à des unités {glue:text}`controls`, ce qui évite les comparaisons « interdites »
avec des unités déjà traitées que fait la régression à effets fixes classique
{cite:p}`goodmanbacon2021`. [À compléter : qui a adopté l'innovation, quand, et
pourquoi.] L'hypothèse d'identification est celle des **tendances parallèles** : sans
l'innovation, chaque cohorte aurait évolué comme les unités témoins ; l'absence
d'anticipation est aussi supposée.

**Vérification : les tendances avant l'adoption.** Les effets estimés avant l'adoption
sont des placebos, qui devraient être nuls : {glue:text}`pretest_sentence`. Le graphique
des résultats les montre (périodes négatives).""",
    check_cells=(),
    data_md="""\
Par défaut, la page s'exécute sur le panel de comtés américains de
{cite:t}`callaway2021` (emploi des jeunes et hausses du salaire minimum, paquet
`moderndid`). """
    + _TODO_DATA,
    results_md="""\
L'effet moyen sur les unités traitées est de **{glue:text}`effect_value`**
{glue:text}`effect_unit` (intervalle de confiance à {glue:text}`effect_level` :
{glue:text}`effect_ci`, p = {glue:text}`effect_p`). Le graphique donne l'effet selon
l'ancienneté de l'adoption. [À compléter : ce que signifie cet effet.]""",
    figure_cell="""\
fig = cs.plot(ylabel=f"Effet sur : {outcome_label}", decimals=2)
fig.axes[0].set_title("Effet selon la période relative à l'adoption")
report.save_figure(fig, figure_folder, "event_study")
display(fig)""",
    robustness_md="""\
Le tableau compare les agrégations de {cite:t}`callaway2021`, l'autre groupe témoin, et
la régression à effets fixes classique ({glue:text}`twfe_value`, intervalle
{glue:text}`twfe_ci`), qui peut être biaisée quand les effets varient entre cohortes
{cite:p}`goodmanbacon2021`.""",
    limits_md="""\
- **Tendances parallèles et anticipation** : [À compléter].
- **Autres changements simultanés** : [À compléter : politiques adoptées en même temps
  par les mêmes unités].""",
    references=("callaway2021", "goodmanbacon2021", "roth2023"),
)

# --- synthetic control -----------------------------------------------------------------------

SYNTH = DesignCells(
    name="synthetic_control",
    label="Contrôle synthétique",
    summary=(
        "un contrôle synthétique, sur les données de référence de la Proposition 99 "
        "(Californie, ventes de cigarettes)"
    ),
    data_parameters=(
        Param("source", "prop99", "Registered source (data/sources.yaml): a balanced panel."),
        Param("outcome", "PacksPerCapita", "Outcome column."),
        Param("unit", "State", "Unit column."),
        Param("time", "Year", "Period column."),
        Param("treated_unit", "California", "The one treated unit."),
        Param("treatment_time", 1989, "First treated period."),
        Param("sdid_replications", 50, "Robustness: placebo draws of synthetic DiD."),
    ),
    indicator=Indicator(
        label="Ventes de cigarettes (paquets par habitant)",
        unit="paquet par habitant",
        decimals=2,
        higher_is_better=False,
    ),
    risk_of_bias="serious",
    imports="""\
from impactlib.did import did_2x2
from impactlib.synth import synthetic_control, synthetic_did""",
    frame="panel",
    method="One treated unit: synthetic control (exact simplex weights, placebo inference).",
    compute="""\
design = dict(
    outcome=outcome, unit=unit, time=time, treated_unit=treated_unit, treatment_time=treatment_time
)
sc = synthetic_control(panel, **design, alpha=alpha)
headline = sc.estimate
headline_label = "Contrôle synthétique (poids exacts sur le simplexe)"
sdid = synthetic_did(panel, **design, replications=sdid_replications, seed=seed, alpha=alpha)
flagged = panel.assign(
    in_group=(panel[unit] == treated_unit).astype(int),
    after=(panel[time] >= treatment_time).astype(int),
)
plain_did = did_2x2(
    flagged, outcome=outcome, unit=unit, time=time, treated="in_group", post="after", alpha=alpha
)
post = sc.synthetic.index >= treatment_time
counterfactual = float(sc.synthetic[post].mean())
standardised = standardised_effect(headline, kind="relative", baseline=counterfactual)

estimates = {"synthetic_did": sdid, "did": plain_did}
robustness_labels = {
    "headline": headline_label,
    "synthetic_did": "Différence de différences synthétique (Arkhangelsky et al., 2021)",
    "did": "Différence de différences, tous les témoins à poids égaux",
}
weights = sc.weights[sc.weights > 0.001].sort_values(ascending=False)
facts = {
    "pre_rmspe": sc.pre_rmspe,
    "rmspe_ratio": sc.rmspe_ratio,
    "permutation_p": sc.p_value,
    "weights": {str(k): float(v) for k, v in weights.items()},
}
report.glue(
    "sample_description",
    f"l'unité traitée ({treated_unit}) et {report.fmt_number(len(sc.weights))} unités "
    f"témoins, sur {report.fmt_number(int((~post).sum()))} périodes avant l'innovation et "
    f"{report.fmt_number(int(post.sum()))} après",
)
report.glue("treated_unit", str(treated_unit))
report.glue("treatment_time", str(treatment_time))
report.glue("pre_rmspe", report.fmt_number(sc.pre_rmspe, decimals))
report.glue("rmspe_rank", report.fmt_number(sc.estimate.extra["ratio_rank"]))
report.glue("n_units", report.fmt_number(len(sc.placebo_table)))
report.glue("permutation_p", report.fmt_number(sc.p_value, 3))
report.glue("n_donors_used", report.fmt_number(len(weights)))
report.glue("counterfactual", report.fmt_number(counterfactual, decimals))
report.glue_estimate("sdid", sdid, decimals=decimals)""",
    design_md="""\
Le dispositif est un **contrôle synthétique** {cite:p}`abadie2010` : une seule unité
({glue:text}`treated_unit`) adopte l'innovation, en {glue:text}`treatment_time`. Son
évolution est comparée à celle d'une unité « synthétique », moyenne pondérée des unités
témoins qui reproduit au mieux sa trajectoire avant l'innovation. [À compléter : pourquoi
cette unité, et pourquoi les témoins retenus n'ont pas connu d'innovation comparable.]
Hypothèses : sans l'innovation, l'unité traitée aurait continué de suivre son unité
synthétique ; aucun témoin n'est touché par l'innovation.

**Vérifications.** Avant l'innovation, l'écart quadratique moyen entre l'unité traitée et
sa synthétique est de {glue:text}`pre_rmspe` {glue:text}`effect_unit` ;
{glue:text}`n_donors_used` unités témoins portent un poids (tableau). Chaque témoin est
traité à son tour comme un placebo : le rapport entre l'écart après et avant l'innovation
de l'unité traitée est au rang {glue:text}`rmspe_rank` sur {glue:text}`n_units`, soit une
p-valeur de permutation de {glue:text}`permutation_p`.""",
    check_cells=(
        """\
weights_table = pd.DataFrame(
    {"Poids": weights.to_numpy()}, index=pd.Index(weights.index.astype(str), name="Unité témoin")
)
report.french_table(weights_table, "weights", precision=3)""",
    ),
    data_md="""\
Par défaut, la page s'exécute sur le panel de {cite:t}`abadie2010` (ventes de cigarettes
par habitant de 39 États américains, la Californie étant traitée à partir de 1989), tel
qu'utilisé par {cite:t}`arkhangelsky2021`. """
    + _TODO_DATA,
    results_md="""\
Après l'innovation, l'écart moyen entre l'unité traitée et sa synthétique est de
**{glue:text}`effect_value`** {glue:text}`effect_unit` (intervalle à
{glue:text}`effect_level`, fondé sur les placebos : {glue:text}`effect_ci`), pour un
niveau contrefactuel moyen de {glue:text}`counterfactual`. [À compléter : ce que signifie
cet effet.]""",
    figure_cell="""\
fig = sc.plot(title="L'unité traitée et sa synthétique, puis l'écart et les placebos")
report.save_figure(fig, figure_folder, "synthetic_control")
display(fig)""",
    robustness_md="""\
La différence de différences synthétique {cite:p}`arkhangelsky2021` donne
{glue:text}`sdid_value` {glue:text}`effect_unit` (intervalle {glue:text}`sdid_ci`) ; la
différence de différences qui pondère également tous les témoins est donnée à titre de
comparaison.""",
    limits_md="""\
- **Une seule unité traitée** : l'inférence repose sur des placebos, et l'intervalle
  dépend des unités témoins disponibles. [À compléter.]
- **Chocs propres à l'unité traitée** : [À compléter : ce qui a pu changer en même temps
  que l'innovation].""",
    references=("abadie2010", "abadie2021", "arkhangelsky2021"),
)

# --- regression discontinuity ----------------------------------------------------------------

RD = DesignCells(
    name="rd",
    label="Régression sur discontinuité",
    summary=(
        "une régression sur discontinuité, sur les données de référence des élections "
        "sénatoriales américaines"
    ),
    data_parameters=(
        Param("source", "senate", "Registered source (data/sources.yaml)."),
        Param("outcome", "vote", "Outcome column."),
        Param("running", "margin", "Running variable (score)."),
        Param("cutoff", 0.0, "Units with running >= cutoff are treated."),
        Param("kernel", "triangular", "triangular, epanechnikov or uniform."),
        Param("order", 1, "Order of the local polynomial."),
        Param(
            "placebo_covariate",
            "demvoteshlag1",
            "Check: a pre-determined variable that must not jump at the cutoff.",
        ),
        Param("bandwidth_multipliers", [0.5, 2.0], "Robustness: multiples of the bandwidth."),
    ),
    indicator=Indicator(
        label="Part des voix démocrates six ans plus tard (%)",
        unit="point de pourcentage",
        decimals=2,
    ),
    risk_of_bias="low",
    imports="""\
from impactlib.rd import density_test, rd_plot, regression_discontinuity""",
    method=(
        "Sharp discontinuity at `cutoff`: local polynomial with robust bias-corrected inference."
    ),
    compute="""\
rd_options = dict(running=running, cutoff=cutoff, kernel=kernel, p=order, alpha=alpha)
headline = regression_discontinuity(sample, outcome=outcome, **rd_options)
headline_label = "Polynôme local, fenêtre optimale (rdrobust)"
h = headline.extra["h_left"]
density = density_test(sample, running=running, cutoff=cutoff)
placebo = regression_discontinuity(sample, outcome=placebo_covariate, **rd_options)
bandwidths = {
    f"bandwidth_x{m:g}".replace(".", "_"): regression_discontinuity(
        sample, outcome=outcome, bandwidth=m * h, **rd_options
    )
    for m in bandwidth_multipliers
}
uniform = regression_discontinuity(sample, outcome=outcome, **{**rd_options, "kernel": "uniform"})
quadratic = regression_discontinuity(sample, outcome=outcome, **{**rd_options, "p": order + 1})
below = sample.loc[sample[running] < cutoff, outcome].dropna()
standardised = standardised_effect(headline, kind="smd", sd=float(below.std()))

estimates = {"placebo": placebo, **bandwidths, "uniform": uniform, "higher_order": quadratic}
robustness_labels = {
    "headline": headline_label,
    **{
        key: f"Fenêtre × {report.fmt_number(m, 1)}"
        for key, m in zip(bandwidths, bandwidth_multipliers, strict=True)
    },
    "uniform": "Noyau uniforme",
    "higher_order": f"Polynôme d'ordre {order + 1}",
}
facts = {"bandwidth": h, "density_p": density.p_value}
n_effective = headline.extra["n_effective_left"] + headline.extra["n_effective_right"]
report.glue(
    "sample_description",
    f"{report.fmt_number(headline.n)} observations, dont {report.fmt_number(n_effective)} "
    "dans la fenêtre d'estimation",
)
report.glue("cutoff", report.fmt_number(cutoff, 2))
report.glue("bandwidth", report.fmt_number(h, 2))
report.glue("n_effective", report.fmt_number(n_effective))
report.glue("density_stat", report.fmt_number(density.statistic, 2))
report.glue("density_p", report.fmt_pvalue(density.p_value))
report.glue("placebo_covariate", placebo_covariate)
report.glue_estimate("placebo", placebo, decimals=decimals)""",
    design_md="""\
Le dispositif est une **régression sur discontinuité** : l'innovation est attribuée aux
unités dont le score (`running`) atteint le seuil {glue:text}`cutoff`. [À compléter :
quel score, quel seuil, fixé par qui et quand.] Juste au-dessus et juste au-dessous du
seuil, les unités se ressemblent : le saut de l'indicateur au seuil mesure l'effet de
l'innovation pour les unités proches du seuil. L'estimation est un polynôme local dans une
fenêtre de {glue:text}`bandwidth` autour du seuil, choisie pour minimiser l'erreur
quadratique, avec l'intervalle robuste corrigé du biais de {cite:t}`calonico2014`.
Hypothèses : les unités ne peuvent pas manipuler précisément leur score ; rien d'autre ne
change au seuil.

**Vérifications.** Le test de manipulation de {cite:t}`cattaneo2020density` compare la
densité du score de part et d'autre du seuil : statistique {glue:text}`density_stat`,
p = {glue:text}`density_p`. Une variable déterminée avant l'innovation
({glue:text}`placebo_covariate`) ne devrait pas sauter au seuil : le saut estimé est de
{glue:text}`placebo_value` (intervalle {glue:text}`placebo_ci`, p =
{glue:text}`placebo_p`).""",
    check_cells=(),
    data_md="""\
Par défaut, la page s'exécute sur les élections sénatoriales américaines de
{cite:t}`cattaneo2015` (paquet `rdrobust`). """
    + _TODO_DATA,
    results_md="""\
Au seuil, l'indicateur saute de **{glue:text}`effect_value`** {glue:text}`effect_unit`
(intervalle robuste à {glue:text}`effect_level` : {glue:text}`effect_ci`, p =
{glue:text}`effect_p`), estimé sur {glue:text}`n_effective` observations proches du seuil.
[À compléter : ce que signifie cet effet, et pour quelles unités il vaut.]""",
    figure_cell="""\
fig = rd_plot(
    sample, outcome=outcome, running=running, cutoff=cutoff, p=order, kernel=kernel, bandwidth=h
)
ax = fig.axes[0]
ax.set_xlabel("Score (variable d'assignation)")
ax.set_ylabel(outcome_label)
ax.set_title("Moyennes par intervalle du score et ajustements locaux")
report.save_figure(fig, figure_folder, "discontinuity")
display(fig)""",
    robustness_md="""\
Le tableau fait varier la fenêtre, le noyau et l'ordre du polynôme. Un effet qui ne tient
qu'avec un seul de ces choix serait fragile.""",
    limits_md="""\
- **Effet local** : l'effet vaut pour les unités proches du seuil. [À compléter : en
  quoi elles diffèrent des autres.]
- **Précision** : seules les observations proches du seuil comptent.""",
    references=("calonico2014", "cattaneo2020density", "cattaneo2020practical"),
)

# --- weighting -------------------------------------------------------------------------------

WEIGHTING = DesignCells(
    name="weighting",
    label="Pondération sur le score de propension",
    summary=(
        "une comparaison pondérée sur le score de propension, sur les données de référence "
        "des bénéficiaires du programme NSW et d'un échantillon de la population générale (CPS)"
    ),
    data_parameters=(
        Param(
            "source",
            "nsw_mixtape",
            "Registered source (data/sources.yaml) of the beneficiaries (treatment == 1 kept).",
        ),
        Param(
            "comparison_source",
            "cps_mixtape",
            "Registered source of the comparison group (all rows, treatment set to 0); null "
            "if `source` holds both groups.",
        ),
        Param("outcome", "re78", "Outcome column."),
        Param("treatment", "treat", "Treatment column (1 = beneficiary)."),
        Param(
            "covariates",
            _NSW_COVARIATES,
            "Propensity-score and outcome-model covariates, fixed before looking at effects.",
        ),
        Param("estimand", "ATT", "ATT (effect on the beneficiaries) or ATE."),
        Param(
            "trim",
            [0.01, 0.99],
            "Robustness: keep propensity scores in this band. Crump et al. (2009) suggest "
            "[0.1, 0.9]; on the reference data that band leaves covariates constant, hence a "
            "looser one.",
        ),
    ),
    indicator=_NSW_EARNINGS,
    risk_of_bias="serious",
    imports="""\
import matplotlib.pyplot as plt
import numpy as np

from impactlib.weighting import (
    compare_estimators,
    ipw_weights,
    overlap,
    propensity_score,
    weighted_balance,
)""",
    frame="beneficiaries",
    method=(
        "Selection on observables: beneficiaries against a comparison group, weighted on the "
        "propensity score. Headline: augmented IPW (doubly robust)."
    ),
    compute="""\
if comparison_source is None:
    sample = beneficiaries
else:
    comparison = data.load(comparison_source)
    used_sources[comparison_source] = comparison
    sample = pd.concat(
        [beneficiaries[beneficiaries[treatment] == 1], comparison.assign(**{treatment: 0})],
        ignore_index=True,
    )
options = dict(
    outcome=outcome,
    treatment=treatment,
    covariates=covariates,
    match_covariates=covariates,
    estimand=estimand,
    alpha=alpha,
)
full = compare_estimators(sample, **options).set_index("method")["record"]
trimmed = compare_estimators(sample, **options, trim=tuple(trim)).set_index("method")["record"]
headline = full["AIPW"]
headline_label = f"Pondération augmentée, doublement robuste (AIPW, {estimand})"
ps = propensity_score(sample, treatment=treatment, covariates=covariates)
diagnostics = overlap(sample, treatment=treatment, ps=ps)
weights = ipw_weights(sample, treatment=treatment, ps=ps, estimand=estimand)
balance = weighted_balance(sample, treatment=treatment, covariates=covariates, weights=weights)
untreated_outcome = sample.loc[sample[treatment] == 0, outcome].astype(float)
standardised = standardised_effect(headline, kind="smd", sd=float(untreated_outcome.std()))

estimates = {
    "naive": full["difference in means (naive)"],
    "ipw": full["IPW"],
    "match_ps": full["matching (propensity score)"],
    "match_cov": full["matching (covariates, bias-adjusted)"],
    "aipw_trimmed": trimmed["AIPW"],
}
robustness_labels = {
    "headline": headline_label,
    "naive": "Différence naïve (sans pondération)",
    "ipw": "Pondération inverse (IPW)",
    "match_ps": "Appariement sur le score (1 voisin)",
    "match_cov": "Appariement sur les covariables, biais corrigé",
    "aipw_trimmed": f"AIPW, scores dans {report.fmt_interval(trim[0], trim[1], 1)}",
}
ov = diagnostics.table
facts = {
    "share_control_outside_support": float(ov.loc["control", "share_outside"]),
    "share_treated_outside_support": float(ov.loc["treated", "share_outside"]),
    "max_abs_smd_before": float(balance["smd"].abs().max()),
    "max_abs_smd_after": float(balance["smd_weighted"].abs().max()),
}
report.glue(
    "sample_description",
    f"{report.fmt_number(headline.n_treated)} bénéficiaires et "
    f"{report.fmt_number(headline.n_control)} personnes du groupe de comparaison",
)
report.glue("smd_before", report.fmt_number(balance["smd"].abs().max(), 2))
report.glue("smd_after", report.fmt_number(balance["smd_weighted"].abs().max(), 2))
report.glue("treated_outside", report.fmt_percent(ov.loc["treated", "share_outside"], 1))
report.glue("control_outside", report.fmt_percent(ov.loc["control", "share_outside"], 1))
report.glue_estimate("naive", estimates["naive"], decimals=decimals)""",
    design_md="""\
Le dispositif est une **comparaison pondérée** : les bénéficiaires sont comparés à un
groupe de personnes qui n'ont pas bénéficié de l'innovation, pondérées pour leur
ressembler sur les caractéristiques observées (score de propension,
{cite:t}`rosenbaum1983`). L'estimation principale est doublement robuste
{cite:p}`robins1994` : elle reste correcte si le modèle du score ou celui de l'indicateur
est juste. [À compléter : comment les bénéficiaires ont été choisis ou se sont choisis.]
L'hypothèse d'identification est forte : à caractéristiques observées égales,
bénéficiaires et non-bénéficiaires ne diffèrent sur rien qui influe sur l'indicateur. Elle
n'est pas vérifiable ; on vérifie le recouvrement et l'équilibre.

**Vérifications.** Part des bénéficiaires hors du support commun du score :
{glue:text}`treated_outside` ; part du groupe de comparaison hors support :
{glue:text}`control_outside`. La plus grande différence standardisée des caractéristiques
passe de {glue:text}`smd_before` avant pondération à {glue:text}`smd_after` après (cible
usuelle : moins de 0,1, {cite:t}`austin2009`).""",
    check_cells=(
        """\
fig, ax = plt.subplots(figsize=(7.0, 4.2))
order = balance.index[::-1]
rows = np.arange(len(order))
ax.axvspan(-0.1, 0.1, color="#e6e6e6", zorder=0)
ax.axvline(0.0, color="#555555", linewidth=0.8)
ax.scatter(
    balance.loc[order, "smd"],
    rows,
    facecolors="white",
    edgecolors=report.PALETTE[1],
    label="Avant pondération",
    zorder=3,
)
ax.scatter(
    balance.loc[order, "smd_weighted"],
    rows,
    color=report.PALETTE[0],
    label="Après pondération",
    zorder=3,
)
ax.set_yticks(rows, list(order))
report.french_axis(ax.xaxis, 1)
ax.set_xlabel("Différence standardisée (bénéficiaires − comparaison)")
ax.set_title("Équilibre des caractéristiques avant et après pondération")
ax.legend()
report.save_figure(fig, figure_folder, "balance")
plt.show()""",
    ),
    data_md="""\
Par défaut, la page s'exécute sur les bénéficiaires du *National Supported Work
Demonstration* {cite:p}`dehejia1999` comparés à un échantillon de la *Current Population
Survey*, la comparaison de {cite:t}`lalonde1986` (paquet `causaldata`,
{cite:t}`cunningham2021`). """
    + _TODO_DATA,
    results_md="""\
L'effet estimé sur les bénéficiaires est de **{glue:text}`effect_value`**
{glue:text}`effect_unit` (intervalle de confiance à {glue:text}`effect_level` :
{glue:text}`effect_ci`, p = {glue:text}`effect_p`), contre {glue:text}`naive_value` pour
la comparaison naïve. [À compléter : ce que signifie cet effet.]""",
    figure_cell="""\
fig, ax = plt.subplots()
logit = ps.logit
treated = (sample.loc[logit.index, treatment] == 1).to_numpy()
edges = np.linspace(float(logit.min()), float(logit.max()), 40)
for mask, label, colour in ((treated, "Bénéficiaires", 0), (~treated, "Comparaison", 1)):
    ax.hist(
        logit.to_numpy()[mask],
        bins=edges,
        density=True,
        histtype="step",
        linewidth=1.5,
        color=report.PALETTE[colour],
        label=label,
    )
report.french_axis(ax.xaxis)
ax.set_xlabel("Logit du score de propension")
ax.set_ylabel("Densité")
ax.set_yticks([])
ax.set_title("Recouvrement des scores de propension")
ax.legend()
report.save_figure(fig, figure_folder, "propensity")
plt.show()""",
    robustness_md="""\
Le tableau compare l'estimation principale à la pondération inverse simple, à deux
appariements et à l'estimation restreinte aux scores de la bande de
{cite:t}`crump2009`. Des estimations qui divergent signalent une forte dépendance au
modèle.""",
    limits_md="""\
- **Caractéristiques inobservées** : l'estimation suppose qu'aucune ne diffère entre
  bénéficiaires et groupe de comparaison. [À compléter.]
- **Groupe de comparaison** : [À compléter : en quoi il diffère de la population
  éligible].""",
    references=("rosenbaum1983", "robins1994", "crump2009", "austin2009"),
)

DESIGN_CELLS = {
    cells.name: cells for cells in (RCT, CLUSTER_RCT, DID, STAGGERED_DID, SYNTH, RD, WEIGHTING)
}
