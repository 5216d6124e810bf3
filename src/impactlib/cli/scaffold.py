"""``impact new-study``: a new evaluation report, ready to run, from the report template.

:func:`new_study` writes, for a study ``<id>`` of a given design and theme:

- ``notebooks/studies/<id>.md``: the report template (the 14 headings of every report)
  with the design's computation, checks, figure and robustness table, running as is on the
  design's reference data of ``data/sources.yaml`` (or, for a cluster-randomised trial, on
  data simulated by :mod:`impactlib.experiment`), and ``[À compléter : ...]`` where the
  partner must write;
- ``params/<id>.yaml``: every parameter of the notebook, commented;
- its entry in ``params.yaml`` (``studies:``), so that ``dvc repro`` runs it;
- its page in ``book/_toc.yml``, in the part of its theme (created if missing);
- its citation entry in ``book/citation.yaml`` (title, date, no DOI yet), when that file
  exists (:func:`impactlib.publish.citation.add_page_entry`).

Everything is checked before anything is written: a refusal (:class:`ScaffoldError`)
leaves the tree as it was. ``params.yaml`` and ``_toc.yml`` are edited as text, keeping
their comments and layout, and re-parsed to check that the edit did exactly what it should.

The notebook is assembled from one skeleton (the common sections and cells, here) and the
per-design cells of :mod:`impactlib.cli.scaffold_cells`.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from impactlib.cli.scaffold_cells import DESIGN_CELLS, DesignCells, Param
from impactlib.cli.study_entries import (
    THEMES,
    ScaffoldError,
    add_study_to_params,
    add_study_to_toc,
)
from impactlib.project.atomic import atomic_path
from impactlib.project.notebooks import NOTEBOOK_FORMAT, NOTEBOOK_SUFFIX
from impactlib.project.paths import project_root

DESIGNS = tuple(DESIGN_CELLS)
#: Lowercase letters, digits and single hyphens, starting with a letter.
STUDY_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TODO = "[À compléter"


@dataclass(frozen=True)
class NewStudy:
    """What :func:`new_study` wrote."""

    study_id: str
    design: str
    theme: str
    title: str
    notebook: Path
    params: Path
    params_yaml: Path
    toc: Path
    citation: Path | None = None

    @property
    def written(self) -> tuple[Path, ...]:
        paths = (self.notebook, self.params, self.params_yaml, self.toc, self.citation)
        return tuple(p for p in paths if p is not None)


# --- what the generated notebooks call -------------------------------------------------------


# --- parameters -------------------------------------------------------------------------------


def _seed(study_id: str) -> int:
    """A fixed seed per study, so that two new studies do not share their draws."""
    return zlib.crc32(study_id.encode("utf-8")) % 100_000_000


def parameters(study_id: str, *, design: str, theme: str, title: str) -> list[Param]:
    """The parameters of a new study, in the order of its parameters cell."""
    cells = DESIGN_CELLS[design]
    return [
        Param("title", title, "Title of the report (also its name in the comparison)."),
        Param("theme", theme, "Theme: autonomie, emploi or territoires."),
        Param(
            "innovation",
            "[À compléter : l'innovation évaluée, en une phrase]",
            "The innovation, in one French sentence (shown in the comparison of impacts).",
        ),
        *cells.data_parameters,
        Param("outcome_label", cells.indicator.label, "Outcome, in French."),
        Param("effect_unit", cells.indicator.unit, "Unit of the effect, in French."),
        Param(
            "higher_is_better",
            cells.indicator.higher_is_better,
            "Whether a higher outcome is an improvement.",
        ),
        Param("alpha", 0.05, "One minus the confidence level."),
        Param(
            "risk_of_bias",
            cells.risk_of_bias,
            "GRADE risk of bias (low, serious, very_serious): a default of the template, "
            "to judge and justify for this study.",
        ),
        Param(
            "indirectness",
            "serious",  # every template runs on reference data, not on the innovation's
            "GRADE indirectness (not_serious, serious, very_serious): serious while the page "
            "runs on reference data that are not the innovation's.",
        ),
        Param(
            "cost_per_beneficiary",
            1000.0,
            "Cost per beneficiary (EUR): a WORKING HYPOTHESIS of the template, to replace "
            "with a documented cost, and name its source in cost_source.",
        ),
        Param("cost_source", "hypothèse de travail à remplacer", "Source of the cost."),
        Param(
            "target_population",
            10000,
            "Scale-up: people who could benefit (working hypothesis, to document).",
        ),
        Param("take_up", [0.3, 0.6], "Scale-up: low and high take-up (working hypothesis)."),
        Param(
            "attenuation",
            0.8,
            "Scale-up: share of the measured effect expected at scale (working hypothesis).",
        ),
        Param("seed", _seed(study_id), "Seed of every random draw of the page."),
    ]


def _python_literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScaffoldError(f"parameter value {value!r} is not finite")
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_python_literal(v) for v in value) + "]"
    raise ScaffoldError(f"cannot write parameter value {value!r} in a parameters cell")


def _yaml_value(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].strip()
    return text.removesuffix("...").strip()


def _comment(text: str, *, width: int) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width=width - 2)] if text else []


def parameters_cell(study_id: str, params: list[Param]) -> str:
    """Source of the ``parameters`` cell."""
    lines = [
        "# Parameters: papermill replaces this cell's values with params/<study_id>.yaml.",
        f"study_id = {_python_literal(study_id)}",
    ]
    for param in params:
        lines.append(f"{param.name} = {_python_literal(param.value)}")
    return "\n".join(lines)


def params_file(study_id: str, params: list[Param], *, design: str) -> str:
    """Text of ``params/<id>.yaml``: every parameter, with the comment that justifies it."""
    lines = [
        f"# Parameters of the study {study_id} (notebooks/studies/{study_id}.md), created by",
        f"# `impact new-study --design {design}`. Papermill injects them into the notebook's",
        "# `parameters` cell; every key must be declared there (`impact run` refuses others).",
        "# The defaults run the template on reference data: replace them with the study's own,",
        "# and replace every working hypothesis with a documented figure and its source.",
    ]
    for param in params:
        lines += _comment(param.comment, width=92)
        lines.append(f"{param.name}: {_yaml_value(param.value)}")
    text = "\n".join(lines) + "\n"
    parsed = yaml.safe_load(text)
    expected = {p.name: (list(p.value) if isinstance(p.value, tuple) else p.value) for p in params}
    if parsed != expected:  # a value YAML would read back differently
        raise ScaffoldError(f"params/{study_id}.yaml would not read back as written")
    return text


# --- the notebook -----------------------------------------------------------------------------


def _references(cells: DesignCells, root: Path) -> list[str]:
    from impactlib.project.paths import sources_file
    from impactlib.project.sources import read_registry

    keys = list(cells.references)
    registry = read_registry(sources_file(root))
    for param in cells.data_parameters:
        if param.name in ("source", "comparison_source") and param.value is not None:
            keys += list(registry[param.value].citation)
    keys.append("guyatt2008")
    return list(dict.fromkeys(keys))


def _markdown_sections(
    study_id: str, cells: DesignCells, *, theme: str, title: str, references: list[str]
) -> dict[str, str]:
    label = cells.label
    todo_data = cells.data_md.replace("@@ID@@", study_id)
    cite_list = "\n".join(f"- {{cite:t}}`{key}`" for key in references)
    return {
        "title": f"""\
# {title}

*Rapport d'évaluation d'impact — thème **{THEMES[theme]}***

[À compléter : résumé en un paragraphe — l'innovation, la question évaluée, le résultat
principal et son niveau de preuve.]

```{{note}}
Page créée par `impact new-study` avec le gabarit « {label} ». Elle s'exécute telle quelle
sur {cells.summary}. Pour en faire le rapport de l'étude : déclarez ses données dans
`data/sources.yaml`, renseignez `params/{study_id}.yaml` (source, colonnes, coûts,
hypothèses de passage à l'échelle) et remplacez chaque passage « [À compléter : ...] ».
```""",
        "key_figures": """\
## Chiffres clés

- **Effet mesuré** sur l'indicateur « {glue:text}`outcome_label` » :
  **{glue:text}`effect_value`** {glue:text}`effect_unit` (intervalle de confiance à
  {glue:text}`effect_level` : {glue:text}`effect_ci`), n = {glue:text}`effect_n`.
- **Effet standardisé** : {glue:text}`smd` (intervalle {glue:text}`smd_ci`) ; échelle :
  {glue:text}`std_label`.
- **Coût par bénéficiaire** : {glue:text}`cost` euros ({glue:text}`cost_source`) ;
  **impact pour 1 000 euros** : {glue:text}`per_1000` {glue:text}`effect_unit`
  (intervalle {glue:text}`per_1000_ci`).
- **Niveau de preuve** (GRADE) : {glue:text}`grade`.
- **Passage à l'échelle** : environ {glue:text}`scale_beneficiaries` bénéficiaires pour
  {glue:text}`scale_cost` euros, et un effet cumulé de {glue:text}`scale_effect`
  {glue:text}`effect_unit` (intervalle {glue:text}`scale_effect_ci`).""",
        "innovation": """\
## L'innovation et le besoin auquel elle répond

[À compléter : l'innovation — ce qu'elle propose, à qui, depuis quand, portée par qui.]

[À compléter : le besoin auquel elle répond — son ampleur, les réponses existantes et
leurs limites.]""",
        "question": """\
## La question évaluée

[À compléter : la question, sous la forme population, intervention, comparaison,
indicateur et horizon.] L'indicateur retenu est « {glue:text}`outcome_label` ».""",
        "design": f"## Le dispositif d'évaluation et ses hypothèses\n\n{cells.design_md}",
        "data": f"""\
## Les données et leur provenance

{todo_data}

Échantillon analysé : {{glue:text}}`sample_description`. Lignes écartées pour valeur
manquante : {{glue:text}}`n_dropped`.""",
        "results": f"## Résultats\n\n{cells.results_md}",
        "robustness": f"## Robustesse\n\n{cells.robustness_md}",
        "costs": f"""\
## Coûts et efficience

Coût par bénéficiaire retenu : **{{glue:text}}`cost` euros** (source :
{{glue:text}}`cost_source`). [À compléter : d'où vient ce coût — budget du programme,
rapport d'activité, publication. Tant qu'il n'est pas documenté, c'est une hypothèse de
travail d'Impact Tank, à remplacer dans `params/{study_id}.yaml`.]

Pour 1 000 euros dépensés, l'effet est de {{glue:text}}`per_1000` {{glue:text}}`effect_unit`
(intervalle {{glue:text}}`per_1000_ci`). Coût, en euros, d'une unité d'effet :
{{glue:text}}`cost_per_unit` ({{glue:text}}`cost_per_unit_ci`). L'effet standardisé
({{glue:text}}`smd`) permet de situer l'innovation parmi les autres : voir
[Comparer les impacts](../comparer.ipynb).""",
        "scale": f"""\
## Passage à l'échelle

Projection indicative, sous des hypothèses de travail explicites (paramètres
`target_population`, `take_up` et `attenuation` de `params/{study_id}.yaml`) : une
population cible de {{glue:text}}`target_population` personnes, un taux de recours compris
entre {{glue:text}}`take_up_low` et {{glue:text}}`take_up_high`, et un effet ramené à
{{glue:text}}`attenuation` de l'effet mesuré, les effets s'atténuant souvent lors d'un
déploiement à grande échelle. Le déploiement toucherait environ
{{glue:text}}`scale_beneficiaries` personnes pour un coût de {{glue:text}}`scale_cost`
euros (intervalle {{glue:text}}`scale_cost_ci`), pour un effet cumulé de
{{glue:text}}`scale_effect` {{glue:text}}`effect_unit` (intervalle
{{glue:text}}`scale_effect_ci`), l'incertitude de l'effet estimé étant propagée par
simulation.

[À compléter : ce que cela signifie pour un passage à l'échelle — conditions, risques, ce
qu'il faudrait vérifier avant de généraliser.]""",
        "evidence": """\
## Niveau de preuve

Certitude des preuves selon l'approche GRADE {cite:p}`guyatt2008` :
**{glue:text}`grade`**. Les raisons :""",
        "limits": f"""\
## Limites

{cells.limits_md}
- [À compléter : les autres limites de l'étude.]""",
        "references": f"""\
## Références

{cite_list}
- [À compléter : les références propres à l'innovation et aux données de l'étude.]""",
        "cite": f"""\
## Comment citer ce rapport

> Impact Tank (2026). *{title}*. Rapport d'évaluation d'impact, étude `{study_id}`.

Citez aussi les sources des données et des méthodes (section « Références ») ; les
références complètes figurent dans [la bibliographie](../pages/bibliographie.md).""",
    }


#: The imports of every report: the common cells use them, and every computation loads data
#: and standardises its headline. A design declares only its own (merged by `setup_cell`).
COMMON_IMPORTS = """\
import pandas as pd
from IPython.display import Markdown, display

from impactlib import report
from impactlib.appraisal import appraise, grade_evidence, standardised_effect
from impactlib.project import sources as data
from impactlib.project.paths import figures_dir
from impactlib.project.results import write_estimates"""

SETUP_TAIL = """

report.set_theme()
figure_folder = figures_dir(study_id)  # results/<study_id>/figures
pd.set_option("display.max_colwidth", None)
registry = data.read_registry()"""

_PLAIN_IMPORT = re.compile(r"^import (?P<module>[\w.]+(?: as \w+)?)$")
_FROM_IMPORT = re.compile(r"^from (?P<module>[\w.]+) import (?P<names>.+)$")


def _member_key(name: str) -> tuple[int, str]:
    """isort's order by type, as ruff applies it: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def merge_imports(*blocks: str) -> str:
    """One import block from several, sorted as ruff's isort rules want it.

    Each block holds single-line ``import m [as a]`` and ``from m import a, b`` statements
    (or parenthesised ones); names imported twice appear once. Third-party modules come
    first, then ``impactlib`` (first-party), each section plain imports first.
    """
    plain: set[str] = set()
    members: dict[str, set[str]] = {}
    text = re.sub(r"\(([^)]*)\)", lambda m: " ".join(m[1].split()), "\n".join(blocks))
    for line in filter(None, (line.strip() for line in text.splitlines())):
        if m := _PLAIN_IMPORT.match(line):
            plain.add(m["module"])
        elif m := _FROM_IMPORT.match(line):
            names = {name.strip() for name in m["names"].split(",")} - {""}
            members.setdefault(m["module"], set()).update(names)
        else:
            raise ScaffoldError(f"not an import statement: {line!r}")

    def first_party(module: str) -> bool:
        return module.split(".")[0] == "impactlib"

    sections = []
    for mine in (False, True):
        lines = [f"import {m}" for m in sorted(plain, key=str.lower) if first_party(m) == mine]
        for module in sorted((m for m in members if first_party(m) == mine), key=str.lower):
            names = sorted(members[module], key=_member_key)
            line = f"from {module} import {', '.join(names)}"
            if len(line) > 100:  # ruff format: one name a line, with a trailing comma
                line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
            lines.append(line)
        if lines:
            sections.append("\n".join(lines))
    return "\n\n".join(sections)


def setup_cell(cells: DesignCells) -> str:
    """The first code cell: the common imports and the design's own, then the page setup."""
    return merge_imports(COMMON_IMPORTS, cells.imports) + SETUP_TAIL


def compute_cell(cells: DesignCells) -> str:
    """The design's computation, after the first lines every design shares.

    Those lines load ``source`` into the design's table (unless the design loads or
    simulates its data itself) and name the design for the common cells.
    """
    lines = _comment(cells.method, width=100)
    if cells.frame is not None:
        lines += [
            f"{cells.frame} = data.load(source)",
            f"used_sources = {{source: {cells.frame}}}",
            "simulated = False",
        ]
    design = ", ".join(_python_literal(value) for value in (cells.label, cells.indicator.decimals))
    lines.append(f"design_label, decimals = {design}")
    return "\n".join(lines) + "\n" + cells.compute


APPRAISAL_CELL = """\
# Common to every report: level of evidence, costs and scale-up (impactlib.appraisal.appraisal).
grade = grade_evidence(
    design=headline.design,
    risk_of_bias=risk_of_bias,
    indirectness=indirectness,
    estimate=headline,
)
appraisal = appraise(
    headline,
    standardised=standardised,
    grade=grade,
    cost_per_beneficiary=cost_per_beneficiary,
    target_population=target_population,
    take_up=take_up,
    attenuation=attenuation,
    seed=seed,
    effect_unit=effect_unit,
    higher_is_better=higher_is_better,
)
appraisal.glue(decimals=decimals)
report.glue_estimate("effect", headline, decimals=decimals)
report.glue("effect_unit", effect_unit)
report.glue("outcome_label", outcome_label)
report.glue("std_label", standardised.label[0].lower() + standardised.label[1:])
report.glue("cost_source", cost_source)
report.glue("n_dropped", report.fmt_number(headline.n_dropped or 0))"""

PROVENANCE_CELL = """\
provenance = pd.DataFrame(
    [
        {
            "Source": name,
            "Contenu": registry[name].title,
            "Paquet": f"{registry[name].package} {registry[name].package_version()}",
            "Licence": registry[name].licence,
            "Lignes": len(frame),
            "Empreinte SHA-256 (début)": registry[name].sha256[:16],
        }
        for name, frame in used_sources.items()
    ]
)
if used_sources:
    display(report.french_table(provenance.set_index("Source"), "provenance"))"""

HEADLINE_TABLE_CELL = """\
report.french_table(
    report.estimates_table({headline_label: headline}, decimals=decimals), "headline"
)"""

ROBUSTNESS_TABLE_CELL = """\
named = {"headline": headline, **estimates}
report.french_table(
    report.estimates_table(
        {label: named[key] for key, label in robustness_labels.items()}, decimals=decimals
    ),
    "robustness",
)"""

REASONS_CELL = "Markdown(appraisal.reasons_markdown())"

WRITE_CELL = """\
write_estimates(
    study_id,
    {"headline": headline, **estimates},
    facts=facts,
    comparison=appraisal.comparison(
        title=title,
        theme=theme,
        innovation=innovation,
        outcome=outcome_label,
        cost_source=cost_source,
        simulated=simulated,
    ),
)"""


def build_notebook(
    study_id: str, *, design: str, theme: str, title: str, root: Path | None = None
) -> nbformat.NotebookNode:
    """The report notebook of a new study (without outputs)."""
    root = root or project_root()
    cells = DESIGN_CELLS[design]
    md = _markdown_sections(
        study_id, cells, theme=theme, title=title, references=_references(cells, root)
    )
    params = parameters(study_id, design=design, theme=theme, title=title)
    nb = nbformat.v4
    hidden, shown, no_input = ["remove-cell"], ["hide-input"], ["remove-input"]
    specs: list[tuple[str, str, list[str]]] = [
        ("markdown", md["title"], []),
        ("code", parameters_cell(study_id, params), ["parameters", "remove-cell"]),
        ("code", setup_cell(cells), hidden),
        ("code", compute_cell(cells), hidden),
        ("code", APPRAISAL_CELL, hidden),
    ]
    if cells.banner_cell:
        specs.append(("code", cells.banner_cell.replace("@@ID@@", study_id), no_input))
    specs += [
        ("markdown", md["key_figures"], []),
        ("markdown", md["innovation"], []),
        ("markdown", md["question"], []),
        ("markdown", md["design"], []),
        *[("code", source, shown) for source in cells.check_cells],
        ("markdown", md["data"], []),
        *[("code", source, shown) for source in cells.data_cells],
        ("code", PROVENANCE_CELL, shown),
        ("markdown", md["results"], []),
        ("code", HEADLINE_TABLE_CELL, shown),
        ("code", cells.figure_cell, shown),
        ("markdown", md["robustness"], []),
        ("code", ROBUSTNESS_TABLE_CELL, shown),
        ("markdown", md["costs"], []),
        ("markdown", md["scale"], []),
        ("markdown", md["evidence"], []),
        ("code", REASONS_CELL, no_input),
        ("markdown", md["limits"], []),
        ("markdown", md["references"], []),
        ("markdown", md["cite"], []),
        ("code", WRITE_CELL, hidden),
    ]
    notebook = nb.new_notebook(
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    )
    for index, (kind, source, tags) in enumerate(specs, start=1):
        metadata = {"tags": list(tags)} if tags else {}
        if kind == "code":
            cell = nb.new_code_cell(source, metadata=metadata)
        else:
            cell = nb.new_markdown_cell(source, metadata=metadata)
        cell.id = f"{kind[:2]}-{index:02d}"  # stable: the same command writes the same file
        notebook.cells.append(cell)
    return notebook


# --- the command ------------------------------------------------------------------------------


def check_study_id(study_id: str, root: Path) -> None:
    """Refuse an id that is not a slug or that is already used by any notebook."""
    from impactlib.project.notebooks import KINDS, declared

    if not isinstance(study_id, str) or not STUDY_ID.match(study_id):
        raise ScaffoldError(
            f"study id {study_id!r} is not a valid identifier: use lowercase letters, digits "
            "and single hyphens, starting with a letter (e.g. emploi-tremplin)"
        )
    registry = declared(root)
    if study_id in registry:
        raise ScaffoldError(
            f"study id {study_id!r} already exists: params.yaml declares it under "
            f"{registry[study_id].params_key!r}"
        )
    existing = [
        root / kind.notebook_dir / f"{study_id}{NOTEBOOK_SUFFIX}" for kind in KINDS.values()
    ]
    existing += [root / "params" / f"{study_id}.yaml"]
    found = [str(p.relative_to(root)) for p in existing if p.exists()]
    if found:
        raise ScaffoldError(f"study id {study_id!r} already exists: {', '.join(found)}")


def new_study(
    study_id: str,
    *,
    design: str,
    theme: str,
    title: str | None = None,
    root: Path | None = None,
    date: datetime.date | None = None,
) -> NewStudy:
    """Create a new study from the template of ``design``, in the part of ``theme``.

    Parameters
    ----------
    study_id : str
        Identifier: lowercase letters, digits and single hyphens, starting with a letter;
        unused by any study, note or guide page.
    design : str
        One of :data:`DESIGNS`.
    theme : str
        One of :data:`THEMES`.
    title : str, optional
        Title of the report; a placeholder naming the design by default.
    root : Path, optional
        Repository root (default: :func:`impactlib.project.project_root`).
    date : datetime.date, optional
        Publication date recorded in ``book/citation.yaml`` (default: today).

    Returns
    -------
    NewStudy
        The paths written.

    Raises
    ------
    ScaffoldError
        Before anything is written, for a bad or used id, an unknown design or theme, or a
        ``params.yaml`` / ``_toc.yml`` that cannot be edited safely.
    """
    root = Path(root) if root is not None else project_root()
    if design not in DESIGN_CELLS:
        raise ScaffoldError(f"unknown design {design!r}: choose one of {', '.join(DESIGNS)}")
    if theme not in THEMES:
        raise ScaffoldError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    check_study_id(study_id, root)
    if title is None:
        title = f"{DESIGN_CELLS[design].label} : étude {study_id} [À compléter : titre]"
    if not isinstance(title, str) or not title.strip() or "\n" in title:
        raise ScaffoldError(f"title must be a non-empty single line, got {title!r}")
    title = title.strip()

    # Everything is computed and checked before the first write.
    paths = {
        "notebook": root / "notebooks" / "studies" / f"{study_id}{NOTEBOOK_SUFFIX}",
        "params": root / "params" / f"{study_id}.yaml",
        "params_yaml": root / "params.yaml",
        "toc": root / "book" / "_toc.yml",
    }
    if not paths["toc"].is_file():
        raise ScaffoldError(f"{paths['toc']} does not exist")
    notebook = build_notebook(study_id, design=design, theme=theme, title=title, root=root)
    nbformat.validate(notebook)
    params = parameters(study_id, design=design, theme=theme, title=title)
    contents = {
        "notebook": jupytext.writes(notebook, fmt=NOTEBOOK_FORMAT),
        "params": params_file(study_id, params, design=design),
        "params_yaml": add_study_to_params(
            paths["params_yaml"].read_text(encoding="utf-8"), study_id
        ),
        "toc": add_study_to_toc(paths["toc"].read_text(encoding="utf-8"), study_id, theme),
    }
    citation_path = root / "book" / "citation.yaml"
    if citation_path.is_file():  # the book refuses a report without a citation entry
        from impactlib.publish.citation import add_page_entry

        paths["citation"] = citation_path
        contents["citation"] = add_page_entry(
            citation_path.read_text(encoding="utf-8"),
            study_id,
            title=title,
            date=date or datetime.date.today(),
        )

    previous: dict[str, str | None] = {
        key: (path.read_text(encoding="utf-8") if path.exists() else None)
        for key, path in paths.items()
    }
    done: list[str] = []
    try:
        for key, text in contents.items():
            with atomic_path(paths[key]) as tmp:
                tmp.write_text(text, encoding="utf-8")
            done.append(key)
    except BaseException:
        # Put back what was written before the failure, so that nothing is half-created.
        for key in done:
            if previous[key] is None:
                paths[key].unlink(missing_ok=True)
            else:
                with atomic_path(paths[key]) as tmp:
                    tmp.write_text(previous[key], encoding="utf-8")
        raise
    return NewStudy(study_id=study_id, design=design, theme=theme, title=title, **paths)
