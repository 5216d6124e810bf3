"""The tables of the open data: comparison, estimates and extraction sheets, with their
field descriptions."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impactlib.core.validation import InputError, plain
from impactlib.project.comparison import COMPARISON_FILE
from impactlib.project.paths import project_root

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
        "design": "Méthode d'évaluation (code du registre des plans : rct, did, rd...)",
        "design_label": "Méthode d'évaluation, en français",
        "outcome": "Critère de résultat",
        "simulated": "Vrai si l'analyse porte sur des données simulées",
        "study_kind": (
            "Nature de l'étude : « evaluation » (évalue une innovation), « diagnostic » "
            "(mesure un problème) ou « illustration » (méthode sur données simulées, sans "
            "niveau de preuve)"
        ),
        "effect": "Effet estimé principal, dans l'unité du critère de résultat (effect_unit)",
        "effect_ci_low": "Borne basse de l'intervalle de confiance de l'effet",
        "effect_ci_high": "Borne haute de l'intervalle de confiance de l'effet",
        "effect_unit": "Unité de l'effet estimé principal, telle que mesurée (en français)",
        "conversion": (
            "Conversion de l'effet pour l'efficience et le passage à l'échelle (objet JSON : "
            "factor, from_currency, from_year, to_currency, to_year, price_index_from, "
            "price_index_to, exchange_rate, unit, reason) ; vide si l'effet y est repris tel "
            "quel"
        ),
        "std_kind": "Type d'effet standardisé (smd, ratio, ...)",
        "std_label": "Libellé de l'effet standardisé",
        "std_effect": "Effet standardisé, comparable d'une étude à l'autre",
        "std_ci_low": "Borne basse de l'intervalle de confiance de l'effet standardisé",
        "std_ci_high": "Borne haute de l'intervalle de confiance de l'effet standardisé",
        "std_reason": "Raison pour laquelle l'effet n'a pas pu être standardisé, le cas échéant",
        "std_note": (
            "Note sur l'intervalle de l'effet standardisé (borne ramenée à −100 % pour un "
            "indicateur qui ne peut être négatif), le cas échéant"
        ),
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
        "evidence_level": (
            "Niveau de preuve (code : high, moderate, low, very_low ; vide pour une "
            "illustration sur données simulées)"
        ),
        "evidence_label": "Niveau de preuve (libellé)",
        "evidence_reasons": "Motifs du niveau de preuve (liste JSON de phrases)",
        "scale_beneficiaries": "Passage à l'échelle : nombre de bénéficiaires projeté",
        "scale_total_cost": "Passage à l'échelle : coût total projeté",
        "scale_total_effect": "Passage à l'échelle : effet total projeté",
        "scale_total_effect_ci_low": "Passage à l'échelle : borne basse de l'effet total",
        "scale_total_effect_ci_high": "Passage à l'échelle : borne haute de l'effet total",
        "benefit_cost": (
            "Analyse coût-bénéfice par participant, en euros de l'année de base (objet JSON : "
            "currency, price_year, cost_per_participant, pv_benefits, pv_costs, npv, bcr, "
            "prob_positive, discount_rate, cost_source, break_even_cost, monetised_by) ; vide "
            "si le rapport n'en a pas"
        ),
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
        "design": "Plan de l'étude (code du registre des plans : rct, cluster_rct, quasi_rct...)",
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
        """The file name of the table in ``data/open/``."""
        return f"{self.name}.csv"

    def frame(self) -> pd.DataFrame:
        """The table as pandas sees it, lists and mappings as JSON text: what the
        disclosure checks read."""
        records = [
            {
                c: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
                for c, v in ((c, row.get(c)) for c in self.columns)
            }
            for row in self.rows
        ]
        return pd.DataFrame.from_records(records, columns=list(self.columns))


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
    path = root / COMPARISON_FILE
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
        f"Colonne « {column} » "
        "(description à compléter dans impactlib.publish.opendata.FIELD_DESCRIPTIONS)"
    )


def undocumented_fields(tables: Sequence[OpenTable]) -> list[tuple[str, str]]:
    """(table, column) pairs published without a French description."""
    return [
        (t.name, c)
        for t in tables
        for c in t.columns
        if c not in FIELD_DESCRIPTIONS.get(t.dictionary, {})
    ]


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
