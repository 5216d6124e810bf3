"""Open data: the think tank's own tables in ``data/open/``, described as a Data Package.

:func:`publish` (the ``open-data`` stage) writes, under the *Licence Ouverte / Etalab 2.0*:

- ``comparaison.csv``: the comparison of impacts (``comparison/comparison.json``), one row
  per report or note; list or mapping fields are JSON strings;
- ``estimations.csv``: every estimate of every ``results/<id>/estimates.json``;
- ``extraction-<id>.csv``: the extraction sheets of ``data/extraction/``, the think tank's
  own coding of published trials;
- ``datapackage.json``: a Frictionless Data Package (v2) describing them: licence, field
  types and French descriptions, SHA-256 and size of each file.

Third-party data (``data/sources.yaml``) is **not** republished: its licences are the
original authors', not ours to change. The package lists each source under ``sources``
with its licence, citation and address, marked ``"republished": false``.

Every table passes :func:`impactlib.disclosure.check_table` (direct identifiers by column
name and content) and the whole package is validated with ``frictionless`` before anything
is written: the folder is built beside ``data/open/`` and swapped in only when complete.
If a table fails, nothing is written and the error names the table. The output is
deterministic: rows sorted (comparison by id, estimates by study and name; sheets keep
their order), floats written as the shortest text that reads back to the same number,
JSON keys sorted, no timestamps.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impactlib.atomic import atomic_path
from impactlib.data import read_registry
from impactlib.disclosure import DisclosureError, check_table
from impactlib.paths import project_root
from impactlib.validation import InputError, plain

OPEN_DIR = Path("data") / "open"
CATALOGUE_PAGE = Path("book") / "donnees-ouvertes.md"
PACKAGE_FILE = "datapackage.json"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}
TYPE_LABELS = {
    "string": "texte",
    "integer": "entier",
    "number": "nombre",
    "boolean": "booléen",
}

# French descriptions of every published column (the data dictionary). A column missing
# here is published with a placeholder and listed by :func:`undocumented_fields`.
FIELD_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "comparaison": {
        "id": "Identifiant du rapport ou de la note (nom du notebook)",
        "kind": "Nature : « study » (rapport d'évaluation) ou « note » (note d'analyse)",
        "title": "Titre du rapport ou de la note",
        "theme": "Thème (code) : autonomie, emploi ou territoires",
        "theme_label": "Thème (libellé)",
        "innovation": "Innovation sociale évaluée",
        "design": "Méthode d'évaluation",
        "outcome": "Critère de résultat",
        "simulated": "Vrai si l'analyse porte sur des données simulées",
        "effect": "Effet estimé principal, dans l'unité du critère de résultat",
        "effect_ci_low": "Borne basse de l'intervalle de confiance de l'effet",
        "effect_ci_high": "Borne haute de l'intervalle de confiance de l'effet",
        "std_kind": "Type d'effet standardisé (smd, ratio, ...)",
        "std_label": "Libellé de l'effet standardisé",
        "std_effect": "Effet standardisé, comparable d'une étude à l'autre",
        "std_ci_low": "Borne basse de l'intervalle de confiance de l'effet standardisé",
        "std_ci_high": "Borne haute de l'intervalle de confiance de l'effet standardisé",
        "std_reason": "Raison pour laquelle l'effet n'a pas pu être standardisé, le cas échéant",
        "cost_per_beneficiary": "Coût par bénéficiaire",
        "currency": "Monnaie des coûts",
        "cost_source": "Source du coût (référence, ou hypothèse de travail)",
        "impact_per_1000": "Effet obtenu pour 1 000 unités monétaires dépensées",
        "cost_per_unit": "Coût d'une unité d'effet",
        "cost_per_unit_reason": "Raison pour laquelle le coût par unité d'effet n'est pas donné",
        "higher_is_better": (
            "Vrai si un effet plus grand est un progrès (faux pour un critère à réduire, "
            "comme les chutes)"
        ),
        "evidence_level": "Niveau de preuve (code : high, moderate, low, very_low)",
        "evidence_label": "Niveau de preuve (libellé)",
        "evidence_reasons": "Motifs du niveau de preuve (liste JSON de phrases)",
        "scale_beneficiaries": "Passage à l'échelle : nombre de bénéficiaires projeté",
        "scale_total_cost": "Passage à l'échelle : coût total projeté",
        "scale_total_effect": "Passage à l'échelle : effet total projeté",
        "scale_total_effect_ci_low": "Passage à l'échelle : borne basse de l'effet total",
        "scale_total_effect_ci_high": "Passage à l'échelle : borne haute de l'effet total",
    },
    "estimations": {
        "study": "Identifiant du rapport, de la note ou de la page du guide",
        "estimate": "Nom de l'estimation dans le fichier de résultats",
        "value": "Valeur estimée",
        "std_error": "Erreur type",
        "ci_low": "Borne basse de l'intervalle de confiance",
        "ci_high": "Borne haute de l'intervalle de confiance",
        "p_value": "Valeur p (test de nullité de l'effet)",
        "alpha": "Risque de l'intervalle de confiance (0,05 : intervalle à 95 %)",
        "n": "Nombre d'observations de l'estimation",
        "method": "Méthode d'estimation (en anglais, telle que la bibliothèque la décrit)",
        "outcome": "Variable de résultat",
        "design": "Plan d'évaluation (rct, did, rd, ...)",
        "estimand": "Quantité estimée (en anglais)",
    },
    "extraction": {
        "trial": "Identifiant de l'essai dans la fiche",
        "study": "Étude (premier auteur et année)",
        "citation_key": "Clé de la référence dans la bibliographie du livre (references.bib)",
        "year": "Année de publication",
        "design": "Plan de l'étude (rct, cluster-rct, quasi-experimental, observational)",
        "allocation": "Mode de répartition entre les groupes",
        "risk_of_bias": "Risque de biais (formulation RoB 2 : low, some concerns, high)",
        "ai": "Nombre d'événements dans le groupe traité",
        "n1i": "Effectif du groupe traité",
        "ci": "Nombre d'événements dans le groupe témoin",
        "n2i": "Effectif du groupe témoin",
        "m1i": "Moyenne du groupe traité",
        "sd1i": "Écart-type du groupe traité",
        "m2i": "Moyenne du groupe témoin",
        "sd2i": "Écart-type du groupe témoin",
        "ri": "Coefficient de corrélation",
        "ni": "Effectif",
        "yi": "Effet, déjà calculé",
        "vi": "Variance d'échantillonnage de l'effet",
        "latitude": "Latitude du lieu de l'essai (degrés)",
    },
}
ESTIMATE_FIELDS = tuple(FIELD_DESCRIPTIONS["estimations"])


class OpenDataError(InputError):
    """The open data cannot be published; the message names the table and the problem."""


@dataclass(frozen=True)
class OpenTable:
    """One table to publish: its resource name, titles and rows as plain Python values."""

    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    dictionary: str
    count_columns: tuple[str, ...] = ()
    quasi_identifiers: tuple[str, ...] = field(default=())

    @property
    def path(self) -> str:
        return f"{self.name}.csv"


# --------------------------------------------------------------------------- tables


def _plain_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _field_type(values: Iterable[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "string"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def _cell(value: Any, kind: str, *, table: str, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OpenDataError(f"table {table!r}: column {column!r} holds {value!r}")
        return repr(value)  # shortest text that reads back to the same double
    return str(value)


def comparison_table(root: Path) -> OpenTable:
    """The comparison of impacts, flattened: one row per report or note, sorted by id."""
    path = root / "comparison" / "comparison.json"
    if not path.is_file():
        raise OpenDataError(f"table 'comparaison': {path} does not exist (run the synthesis)")
    payload = json.loads(path.read_text(encoding="utf-8"))
    rows = sorted(payload.get("rows", {}).values(), key=lambda r: str(r.get("id")))
    columns = tuple(dict.fromkeys(key for row in rows for key in row))
    return OpenTable(
        name="comparaison",
        title="Comparaison des impacts",
        description=(
            "Une ligne par rapport d'évaluation ou note d'analyse : effet principal, effet "
            "standardisé, coût, efficience, niveau de preuve et projection de passage à "
            "l'échelle (page « Comparer les impacts » du livre)."
        ),
        columns=columns,
        rows=tuple(rows),
        dictionary="comparaison",
    )


def estimates_table(root: Path) -> OpenTable:
    """Every estimate of every ``results/<id>/estimates.json``, sorted by study and name."""
    rows = []
    for path in sorted((root / "results").glob("*/estimates.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        study = payload.get("study", path.parent.name)
        for name, estimate in sorted(payload.get("estimates", {}).items()):
            row = {"study": study, "estimate": name}
            row.update({key: estimate.get(key) for key in ESTIMATE_FIELDS[2:]})
            rows.append(row)
    if not rows:
        raise OpenDataError(f"table 'estimations': no results/*/estimates.json under {root}")
    return OpenTable(
        name="estimations",
        title="Estimations",
        description=(
            "Toutes les estimations des rapports, des notes et du guide des méthodes "
            "(fichiers results/<id>/estimates.json) : valeur, erreur type, intervalle de "
            "confiance, valeur p, effectif et méthode."
        ),
        columns=ESTIMATE_FIELDS,
        rows=tuple(rows),
        dictionary="estimations",
    )


def extraction_tables(root: Path) -> list[OpenTable]:
    """The extraction sheets of ``data/extraction/``, in their own row order."""
    tables = []
    for path in sorted((root / "data" / "extraction").glob("*.csv")):
        frame = pd.read_csv(path, skipinitialspace=True)
        rows = tuple(
            {str(k): _plain_value(v) for k, v in record.items()}
            for record in frame.astype(object).to_dict(orient="records")
        )
        tables.append(
            OpenTable(
                name=f"extraction-{path.stem}",
                title=f"Fiche d'extraction de la note {path.stem}",
                description=(
                    f"Codage par Impact Tank des essais publiés analysés dans la note "
                    f"{path.stem} : une ligne par étude, avec les effectifs et événements "
                    "publiés (les références sont dans la bibliographie du livre). Ces "
                    "comptes résument des articles publiés et ne portent sur aucune personne "
                    "identifiable : la règle des petits effectifs ne s'y applique pas."
                ),
                columns=tuple(str(c) for c in frame.columns),
                rows=rows,
                dictionary="extraction",
            )
        )
    return tables


def collect_tables(root: Path | None = None) -> list[OpenTable]:
    """The tables :func:`publish` writes, in order: comparison, estimates, sheets."""
    root = Path(root) if root is not None else project_root()
    return [comparison_table(root), estimates_table(root), *extraction_tables(root)]


def describe_field(table: OpenTable, column: str) -> str:
    """The French description of a column (a placeholder when none is recorded)."""
    described = FIELD_DESCRIPTIONS.get(table.dictionary, {}).get(column)
    return described or (
        f"Colonne « {column} » (description à compléter dans impactlib.opendata.FIELD_DESCRIPTIONS)"
    )


def undocumented_fields(tables: Sequence[OpenTable]) -> list[tuple[str, str]]:
    """(table, column) pairs published without a French description."""
    return [
        (t.name, c)
        for t in tables
        for c in t.columns
        if c not in FIELD_DESCRIPTIONS.get(t.dictionary, {})
    ]


def _frame(table: OpenTable) -> pd.DataFrame:
    """The table as pandas sees it, lists and mappings as JSON text, for disclosure checks."""
    records = [
        {
            c: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
            for c, v in ((c, row.get(c)) for c in table.columns)
        }
        for row in table.rows
    ]
    return pd.DataFrame.from_records(records, columns=list(table.columns))


def render_csv(table: OpenTable) -> tuple[str, list[dict[str, str]]]:
    """The CSV text of a table (UTF-8, ``\\n``, header) and its Table Schema fields."""
    kinds = {c: _field_type(row.get(c) for row in table.rows) for c in table.columns}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(
            [_cell(row.get(c), kinds[c], table=table.name, column=c) for c in table.columns]
        )
    fields = [
        {"name": c, "type": kinds[c], "description": describe_field(table, c)}
        for c in table.columns
    ]
    return buffer.getvalue(), fields


# --------------------------------------------------------------------------- package


def external_sources(root: Path) -> list[dict[str, Any]]:
    """The third-party sources of ``data/sources.yaml``, cited and not republished."""
    sources = []
    for name, source in sorted(read_registry(root / "data" / "sources.yaml").items()):
        sources.append(
            {
                "name": name,
                "title": source.title,
                "path": source.url,
                "description": source.description.strip(),
                "licence": " ".join(source.licence.split()),
                "citation": list(source.citation),
                "package": source.package,
                "republished": False,
            }
        )
    return sources


def _resource(table: OpenTable, fields: list[dict[str, str]], folder: Path) -> dict[str, Any]:
    from frictionless import Resource

    inferred = Resource(path=table.path, basepath=str(folder))
    inferred.infer(stats=True)
    return {
        "name": table.name,
        "title": table.title,
        "description": table.description,
        "type": "table",
        "path": table.path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": inferred.bytes,
        "hash": inferred.hash,
        "licenses": [LICENCE],
        "schema": {"fields": fields, "missingValues": [""]},
    }


def package_descriptor(
    tables: Sequence[OpenTable], folder: Path, sources: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The Data Package v2 descriptor of CSV files already written in ``folder``."""
    resources = []
    for table in tables:
        _, fields = render_csv(table)
        resources.append(_resource(table, fields, folder))
    return {
        "$schema": PROFILE,
        "name": "impact-tank-donnees-ouvertes",
        "title": "Impact Tank : données ouvertes",
        "description": (
            "Les productions d'Impact Tank : comparaison des impacts, estimations et fiches "
            "d'extraction des notes, sous Licence Ouverte / Etalab 2.0. Les données de tiers "
            "utilisées (sources) ne sont pas republiées : elles restent sous la licence de "
            "leurs auteurs et se téléchargent à l'adresse indiquée."
        ),
        "keywords": ["évaluation d'impact", "innovation sociale", "méta-analyse"],
        "licenses": [LICENCE],
        "sources": list(sources),
        "resources": resources,
    }


def validate_package(path: Path) -> None:
    """Validate ``datapackage.json`` and its files with frictionless; raise naming the table."""
    from frictionless import validate

    report = validate(str(path))
    if report.valid:
        return
    problems = []
    for error in report.errors:
        problems.append(f"package: {error.message}")
    for task in report.tasks:
        for error in task.errors:
            problems.append(f"table {task.name!r}: {error.message}")
    raise OpenDataError(f"{path} is not a valid data package:\n  " + "\n  ".join(problems[:10]))


def _build(tables: Sequence[OpenTable], folder: Path, root: Path) -> None:
    for table in tables:
        try:
            check_table(
                _frame(table),
                name=table.name,
                count_columns=table.count_columns,
                quasi_identifiers=table.quasi_identifiers,
            )
        except DisclosureError as error:
            raise OpenDataError(f"nothing written to {OPEN_DIR}: {error}") from error
        text, _ = render_csv(table)
        (folder / table.path).write_bytes(text.encode("utf-8"))
    descriptor = package_descriptor(tables, folder, external_sources(root))
    text = json.dumps(descriptor, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (folder / PACKAGE_FILE).write_bytes(text.encode("utf-8"))
    validate_package(folder / PACKAGE_FILE)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(root: Path | None = None) -> Path:
    """Build ``data/open/``: the think tank's tables, disclosure-checked, as a Data Package.

    The folder is built in a temporary folder beside ``data/open/``, checked
    (:func:`impactlib.disclosure.check_table` on every table, then ``frictionless``
    validation of the package and its files) and only then swapped in; on any failure the
    temporary folder is removed and ``data/open/`` is left as it was.

    Parameters
    ----------
    root : Path, optional
        Project root (default: :func:`impactlib.paths.project_root`).

    Returns
    -------
    Path
        ``data/open/datapackage.json``.

    Raises
    ------
    OpenDataError
        Naming the table: a direct identifier, a missing input, an invalid file.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir()
    >>> _ = (root / "data" / "sources.yaml").write_text(
    ...     "sources:\\n  demo:\\n    package: p\\n    loader: 'm:f'\\n    title: Demo\\n"
    ...     "    citation: [x]\\n    licence: GPL\\n    sha256: '0'\\n    url: https://e.org\\n")
    >>> (root / "comparison").mkdir()
    >>> _ = (root / "comparison" / "comparison.json").write_text(
    ...     json.dumps({"rows": {"a": {"id": "a", "effect": 1.5}}}))
    >>> (root / "results" / "a").mkdir(parents=True)
    >>> _ = (root / "results" / "a" / "estimates.json").write_text(
    ...     json.dumps({"study": "a", "estimates": {"main": {"value": 1.5, "n": 40}}}))
    >>> path = publish(root)
    >>> sorted(p.name for p in path.parent.iterdir())
    ['comparaison.csv', 'datapackage.json', 'estimations.csv']
    >>> (path.parent / "comparaison.csv").read_text()
    'id,effect\\na,1.5\\n'
    """
    root = Path(root) if root is not None else project_root()
    tables = collect_tables(root)
    target = root / OPEN_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=target.parent, prefix=".open.building."))
    try:
        _build(tables, building, root)
        os.chmod(building, 0o777 & ~_umask())
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    # Swap: two renames on the same file system. Between them data/open/ is briefly absent
    # (never half-written); if the second fails, the previous folder is put back.
    previous = None
    if target.exists():
        previous = Path(tempfile.mkdtemp(dir=target.parent, prefix=".open.previous."))
        previous.rmdir()
        os.replace(target, previous)
    try:
        os.replace(building, target)
    except BaseException:
        if previous is not None:
            os.replace(previous, target)
        shutil.rmtree(building, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    return target / PACKAGE_FILE


def read_package(root: Path | None = None) -> dict[str, Any]:
    """The descriptor of ``data/open/datapackage.json``."""
    root = Path(root) if root is not None else project_root()
    path = root / OPEN_DIR / PACKAGE_FILE
    if not path.is_file():
        raise OpenDataError(f"{path} does not exist (run `impact open-data`)")
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- catalogue


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def catalogue_markdown(
    package: Mapping[str, Any] | Path | str, *, link_base: str = "../data/open/"
) -> str:
    """The French "Données ouvertes" page of the book: datasets, dictionaries, sources.

    Parameters
    ----------
    package : mapping or path
        The Data Package descriptor (as :func:`read_package` returns it) or the path of
        ``datapackage.json``; a frictionless ``Package`` works too (its ``to_descriptor``).
    link_base : str
        Prefix of the download links, relative to the page. The default suits a page at
        ``book/donnees-ouvertes.md`` linking to ``data/open/``: Sphinx (MyST) turns a link
        to a local file into a download and copies the file into the built site.

    Returns
    -------
    str
        MyST Markdown: one section per dataset (licence, download link, size and SHA-256,
        data dictionary) and one for the external sources, cited with ``{cite:p}``.

    Examples
    --------
    >>> page = catalogue_markdown({"licenses": [], "sources": [], "resources": [
    ...     {"name": "t", "title": "T", "path": "t.csv", "bytes": 8, "hash": "sha256:ab",
    ...      "schema": {"fields": [{"name": "x", "type": "integer", "description": "X"}]}}]})
    >>> print(page.splitlines()[0])
    # Données ouvertes
    >>> "| `x` | entier | X |" in page
    True
    """
    if hasattr(package, "to_descriptor"):
        package = package.to_descriptor()
    if isinstance(package, str | Path):
        package = json.loads(Path(package).read_text(encoding="utf-8"))
    licences = package.get("licenses", [])
    lines = [
        "# Données ouvertes",
        "",
        "Les tableaux ci-dessous sont produits par Impact Tank et publiés sous "
        + (
            ", ".join(
                f"[{lic.get('title', lic.get('name'))}]({lic.get('path')})" for lic in licences
            )
            or "la licence indiquée pour chacun"
        )
        + " : vous pouvez les réutiliser librement, y compris à des fins commerciales, en "
        "citant Impact Tank. Ils sont régénérés par le pipeline (`impact open-data`) à "
        "chaque mise à jour des résultats. Ce sont des résultats agrégés et des résumés "
        "d'articles publiés, qui ne portent sur aucune personne ; avant publication, un "
        "contrôle de confidentialité refuse toute colonne d'identification (nom, courriel, "
        "téléphone, numéro de sécurité sociale, adresse) et tout texte qui contiendrait un "
        "courriel, un numéro de téléphone, un numéro de sécurité sociale ou une adresse "
        "postale. Le fichier "
        f"[datapackage.json]({link_base}datapackage.json) les décrit au format Frictionless "
        "Data Package (version 2).",
        "",
    ]
    for resource in package.get("resources", []):
        fields = resource.get("schema", {}).get("fields", [])
        res_licences = resource.get("licenses") or licences
        lines += [
            f"## {resource.get('title', resource['name'])}",
            "",
            resource.get("description", ""),
            "",
            f"- Fichier : [{resource['path']}]({link_base}{resource['path']}) "
            f"({resource.get('bytes', '?')} octets, CSV UTF-8)",
            f"- Empreinte SHA-256 : `{str(resource.get('hash', '')).removeprefix('sha256:')}`",
            "- Licence : "
            + ", ".join(str(lic.get("title", lic.get("name"))) for lic in res_licences),
            "",
            "| Champ | Type | Description |",
            "|---|---|---|",
        ]
        for f in fields:
            kind = TYPE_LABELS.get(f.get("type", ""), f.get("type", ""))
            lines.append(f"| `{f['name']}` | {kind} | {_md(f.get('description', ''))} |")
        lines.append("")
    sources = package.get("sources", [])
    if sources:
        lines += [
            "## Sources externes (non republiées)",
            "",
            "Les rapports et les notes utilisent aussi des données publiées par d'autres. "
            "Elles restent sous la licence de leurs auteurs : Impact Tank ne les republie "
            "pas, il indique où les obtenir et comment les citer.",
            "",
        ]
        for source in sources:
            cite = ", ".join(source.get("citation", []))
            lines += [
                f"- **{source['title']}**"
                + (f" {{cite:p}}`{cite}`" if cite else "")
                + (f" : {source['description']}" if source.get("description") else ""),
                f"  Licence : {str(source.get('licence', 'non précisée')).rstrip('.')}."
                + (f" Adresse : <{source['path']}>." if source.get("path") else ""),
            ]
        lines.append("")
    return "\n".join(lines)


def write_catalogue(root: Path | None = None, *, page: Path = CATALOGUE_PAGE) -> Path:
    """Write the catalogue page of ``data/open/datapackage.json`` (atomically).

    The default page, ``book/donnees-ouvertes.md``, links to ``../data/open/``: the book
    build copies each linked file into the site as a download.
    """
    root = Path(root) if root is not None else project_root()
    path = root / page
    text = catalogue_markdown(read_package(root), link_base="../data/open/")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
