"""The content of a two-page brief, in French, from a study's comparison block: the key
figures, the scale-up table, the chart.

Everything here is plain text in rows (:class:`Row`): the Typst template lays it out and
prints every string as text, never as markup, so nothing needs escaping."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from impactlib.appraisal.comparison import check_units, design_label
from impactlib.core.validation import InputError
from impactlib.project.paths import figures_dir, results_dir
from impactlib.report.formats import fmt_interval, fmt_number, fmt_percent, fmt_pvalue

# Brief layouts tried in order until the brief fits on two pages: font size in points,
# figure height as a share of the page's text height.
LAYOUTS = ((10.0, 0.42), (10.0, 0.32), (9.0, 0.24))


MAX_PAGES = 2


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


_CHUNK = 16


_BEFORE = {";": "\u202f", "!": "\u202f", "?": "\u202f", ":": "\u00a0", "»": "\u00a0"}


def french_spacing(text: str) -> str:
    """``text`` with the French no-break spaces: narrow before ``; ! ?``, full before ``:``
    and ``»`` and after ``«``, so that a line never starts with one of these signs.

    >>> french_spacing("IC [1 ; 2] : « oui »") == "IC [1\u202f; 2]\u00a0: «\u00a0oui\u00a0»"
    True
    """
    for sign, space in _BEFORE.items():
        text = text.replace(f" {sign}", f"{space}{sign}")
    return text.replace("« ", "«\u00a0")


_LONG_WORD = re.compile(rf"\S{{{2 * _CHUNK},}}")


def plain_text(text: object) -> str:
    """``text`` ready for the template: French spaces (:func:`french_spacing`), and places
    to break a word of 32 characters or more (a path, an address): a zero-width space after
    each slash, and every 16 characters of a part still that long. Typst would otherwise
    let such a word run past the margin, without a warning.
    """
    spaced = french_spacing(str(text))
    return _LONG_WORD.sub(lambda m: _breakable(m.group(0)), spaced)


def _breakable(word: str) -> str:
    parts = [
        "\u200b".join(part[i : i + _CHUNK] for i in range(0, len(part), _CHUNK))
        if len(part) >= 2 * _CHUNK
        else part
        for part in word.split("/")
    ]
    return "/\u200b".join(parts)


def _decimals(*values: float | None) -> int:
    """Decimals that show three significant digits of the largest of ``values``."""
    finite = [abs(v) for v in values if not _missing(v) and v != 0]
    if not finite:
        return 0
    return int(min(6, max(0, 2 - math.floor(math.log10(max(finite))))))


def fmt_with_interval(value: float, low: float | None, high: float | None) -> str:
    """``'1 794 [476 ; 3 113]'``: three significant digits, the interval at the same scale."""
    decimals = _decimals(value, low, high)
    text = fmt_number(value, decimals)
    if _missing(low) or _missing(high):
        return text
    return f"{text} {fmt_interval(low, high, decimals)}"


def fmt_amount(value: float, low: float | None = None, high: float | None = None) -> str:
    """Amounts of a million or more in millions: ``'292,5 millions [228,4 ; 356,6]'``."""
    if abs(value) < 1e6:
        return fmt_with_interval(value, low, high)
    value, low, high = (None if _missing(v) else v / 1e6 for v in (value, low, high))
    decimals = _decimals(value, low, high)
    text = f"{fmt_number(value, decimals)} {'million' if abs(value) < 2 else 'millions'}"
    if low is not None and high is not None:
        text += f" {fmt_interval(low, high, decimals)}"
    return text


def _level(alpha: float | None) -> str:
    return fmt_percent(1 - (alpha if alpha is not None else 0.05))


def _std_text(std: Mapping[str, Any]) -> str:
    if _missing(std.get("value")):
        return f"non standardisable : {std.get('reason') or 'raison non précisée'}"
    value, low, high = std["value"], std.get("ci_low"), std.get("ci_high")
    if std.get("kind") == "smd":
        text = f"{fmt_number(value, 2)} écart-type"
        if not (_missing(low) or _missing(high)):
            text += f" {fmt_interval(low, high, 2)}"
    else:  # relative changes ("relative", "ratio") read best as percentages
        text = fmt_percent(value, 1)
        if not (_missing(low) or _missing(high)):
            text += f" [{fmt_percent(low, 1)} ; {fmt_percent(high, 1)}]"
    return text


def _not_applicable(reason: str) -> str:
    """ "non applicable : <reason>", unless the reason already says so."""
    return (
        reason if reason.casefold().startswith("non applicable") else f"non applicable : {reason}"
    )


def _sample_text(headline: Mapping[str, Any]) -> str:
    parts = []
    if not _missing(headline.get("n_treated")) and not _missing(headline.get("n_control")):
        parts.append(
            f"{fmt_number(headline['n_treated'])} traités, {fmt_number(headline['n_control'])} "
            "témoins"
        )
    if not _missing(headline.get("n_clusters")):
        parts.append(f"{fmt_number(headline['n_clusters'])} grappes")
    text = f"n\u00a0=\u00a0{fmt_number(headline['n'])}" if not _missing(headline.get("n")) else ""
    return f"{text} ({', '.join(parts)})" if parts and text else text


def read_comparison_block(study_id: str, root: Path | None = None) -> dict[str, Any]:
    """The ``comparison`` block and ``facts`` of ``results/<id>/estimates.json``.

    The block's fields are checked, its units and conversion with
    :func:`impactlib.appraisal.comparison.check_units`: errors name the file and the field.
    """
    path = results_dir(study_id, root) / "estimates.json"
    if not path.is_file():
        raise InputError(f"brief {study_id!r}: {path} does not exist (run the study first)")
    payload = json.loads(path.read_text(encoding="utf-8"))
    block = payload.get("comparison")
    if not isinstance(block, dict):
        raise InputError(f"brief {study_id!r}: {path} has no 'comparison' block")
    fields = ("title", "theme", "design", "outcome", "headline", "effect_unit", "conversion")
    for field in (*fields, "evidence"):
        if field not in block:
            raise InputError(f"brief {study_id!r}: {path}: comparison block lacks field {field!r}")
    check_units(block, where=f"brief {study_id!r}: {path}")
    return {"comparison": block, "facts": payload.get("facts") or {}}


def brief_figure(study_id: str, root: Path | None = None) -> Path | None:
    """The chart of a brief: the ``brief_figure`` fact of the results, else the first figure.

    A notebook chooses its chart with ``facts={"brief_figure": "rd_plot"}`` (the name of a
    PNG of ``results/<id>/figures/``, with or without ``.png``); without it, the first PNG
    in alphabetical order is taken. None when the study saved no figure.
    """
    facts = read_comparison_block(study_id, root)["facts"]
    folder = figures_dir(study_id, root)
    chosen = facts.get("brief_figure")
    if chosen:
        path = folder / (chosen if str(chosen).endswith(".png") else f"{chosen}.png")
        if not path.is_file():
            raise InputError(
                f"brief {study_id!r}: fact brief_figure={chosen!r} names no file of {folder}"
            )
        return path
    figures = sorted(folder.glob("*.png")) if folder.is_dir() else []
    return figures[0] if figures else None


@dataclass(frozen=True)
class Row:
    """A row of a table of the brief: a bold label and a value, plain text.

    ``value`` is printed bold when ``strong``, in the accent colour (and bold) when
    ``accent``; ``suffix`` follows it in normal type; ``detail`` is a second line in small
    type.
    """

    label: str
    value: str
    strong: bool = False
    accent: bool = False
    suffix: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The row for the template, every text through :func:`plain_text`."""
        fields = asdict(self).items()
        return {k: plain_text(v) if isinstance(v, str) else v for k, v in fields}


def _with_interval(record: Mapping[str, Any], key: str, fmt: Any = fmt_with_interval) -> str:
    """``record[key]`` with its interval (``<key>_ci_low``, ``<key>_ci_high``) if any."""
    return fmt(record[key], record.get(f"{key}_ci_low"), record.get(f"{key}_ci_high"))


def _impact_text(record: Mapping[str, Any], unit: str) -> str:
    """The effect per 1 000 of currency, in the outcome's unit, or "non applicable"."""
    if not record or _missing(record.get("impact_per_1000")):
        return "non applicable"
    return f"{_with_interval(record, 'impact_per_1000')} {unit}".strip()


def _per_unit_text(record: Mapping[str, Any], currency: str, unit_note: str = "") -> str:
    """The cost per unit of effect with its interval, or why there is none."""
    if not record:
        return "non applicable"
    if _missing(record.get("cost_per_unit")):
        return record.get("cost_per_unit_reason") or "non défini"
    return f"{_with_interval(record, 'cost_per_unit')} {currency} par unité d'effet{unit_note}"


def _impact_label(currency: str) -> str:
    return f"Impact pour 1\u202f000 {currency}"


def _effect_row(block: Mapping[str, Any], cea: Mapping[str, Any], higher_is_better: bool) -> Row:
    """The headline effect in its own unit (the block's ``effect_unit``), its interval and
    p-value; below, the sample and the direction, and, when the block records a
    ``conversion``, the effect as the cost-effectiveness holds it, in the converted unit.
    """
    headline, conversion = block["headline"], block["conversion"]
    level = _level(headline.get("alpha"))
    value, low, high = headline["value"], headline.get("ci_low"), headline.get("ci_high")
    effect = f"{fmt_number(value, _decimals(value, low, high))} {block['effect_unit']}".strip()
    if not (_missing(low) or _missing(high)):
        effect += f", IC à {level} {fmt_interval(low, high, _decimals(value, low, high))}"
    p_value = fmt_pvalue(headline.get("p_value"))
    effect += f" ; p\u00a0{p_value}" if p_value.startswith("<") else f" ; p\u00a0=\u00a0{p_value}"
    direction = "une hausse est favorable" if higher_is_better else "une baisse est favorable"
    detail = f"{_sample_text(headline)} ; {direction}."
    if conversion is not None and cea:
        value, low, high = cea["effect"], cea.get("effect_ci_low"), cea.get("effect_ci_high")
        digits = _decimals(value, low, high)
        detail += f" Soit {fmt_number(value, digits)} {conversion['unit']}".rstrip()
        if not (_missing(low) or _missing(high)):
            detail += f" {fmt_interval(low, high, digits)}"
        detail += "."
    elif conversion is not None:
        detail += f" Compté en {conversion['unit']} pour le passage à l'échelle."
    return Row("Effet estimé", effect, strong=True, detail=detail)


def _cost_text(block: Mapping[str, Any], currency: str) -> str:
    """The cost per beneficiary and its source, or why there is none."""
    if _missing(block.get("cost_per_beneficiary")):
        return _not_applicable(block.get("cost_source") or "aucun coût retenu")
    cost = f"{fmt_number(block['cost_per_beneficiary'])} {currency}"
    if block.get("cost_source"):
        cost += f" ({block['cost_source']})"
    return cost


def _benefit_cost_text(block: Mapping[str, Any]) -> str:
    """Net benefit per participant, its ratio and chance of being positive; a break-even
    cost when no cost is published; or that no benefit-cost analysis was made."""
    money = block.get("benefit_cost")
    if _missing(money):
        return "non calculé (aucune valeur de référence ne monétise l'indicateur : voir le rapport)"
    euros = f"euros de {money['price_year']}"
    if money.get("npv") is None:
        threshold = fmt_number(float(money["break_even_cost"]), 0)
        return f"aucun coût publié ; rentable jusqu'à {threshold} {euros} par participant"
    text = f"bénéfice net de {fmt_number(float(money['npv']), 0)} {euros} par participant"
    if money.get("bcr") is not None:
        text += f" (ratio bénéfices/coûts {fmt_number(float(money['bcr']), 2)})"
    chance = fmt_percent(float(money["prob_positive"]), 0)
    return f"{text} ; chance qu'il soit positif : {chance}"


def key_rows(block: Mapping[str, Any]) -> list[Row]:
    """The rows of the brief's table of key figures, from a comparison block."""
    cea = block.get("cost_effectiveness") or {}
    scale = block.get("scale_up") or {}
    unit = cea.get("effect_unit") or scale.get("effect_unit") or ""
    currency = cea.get("currency") or scale.get("currency") or "EUR"
    higher = cea.get("higher_is_better", scale.get("higher_is_better", True))
    std = block.get("standardised_effect") or {}
    evidence = block["evidence"]
    return [
        Row("Indicateur", str(block["outcome"])),
        Row("Méthode", design_label(block["design"])),
        _effect_row(block, cea, higher),
        Row("Effet standardisé", _std_text(std), detail=std.get("label") or ""),
        Row("Coût par bénéficiaire", _cost_text(block, currency)),
        Row(_impact_label(currency), _impact_text(cea, unit)),
        Row("Coût par unité d'effet", _per_unit_text(cea, currency, f" ({unit})")),
        Row("Bilan coût-bénéfice", _benefit_cost_text(block)),
        Row(
            "Niveau de preuve",
            str(evidence.get("label", "")),
            accent=True,
            suffix=" (grille GRADE ; raisons en page 2)",
        ),
    ]


def _assumptions(scale: Mapping[str, Any]) -> str:
    """Target population, take-up (with its range) and attenuation of a projection."""
    take_up = fmt_percent(scale["take_up"])
    if scale.get("take_up_range"):
        low, high = scale["take_up_range"]
        take_up += f" (entre {fmt_percent(low)} et {fmt_percent(high)})"
    return (
        f"population cible {fmt_number(scale['target_population'])} ; taux de recours "
        f"{take_up} ; effet ramené à {fmt_percent(scale.get('attenuation', 1.0))} de "
        "l'effet mesuré"
    )


def scale_up_table(block: Mapping[str, Any]) -> tuple[list[Row], str]:
    """The scale-up projection of the brief: its rows and a note on its intervals.

    Without a projection, no row and the note says so.
    """
    scale = block.get("scale_up")
    if not scale:
        return [], "Non applicable : ce travail ne donne pas de projection."
    unit = scale.get("effect_unit") or ""
    currency = scale.get("currency") or "EUR"
    level = _level(scale.get("alpha"))
    total_cost = (
        "non applicable"
        if _missing(scale.get("total_cost"))
        else f"{_with_interval(scale, 'total_cost', fmt_amount)} {currency}"
    )
    total_effect = _with_interval(scale, "total_effect", fmt_amount)
    rows = [
        Row("Hypothèses", _assumptions(scale)),
        Row("Bénéficiaires", _with_interval(scale, "beneficiaries", fmt_amount)),
        Row("Coût total", total_cost),
        Row("Effet total", f"{total_effect} (somme sur les bénéficiaires, en {unit})"),
        Row(_impact_label(currency), _impact_text(scale, unit)),
        Row("Coût par unité d'effet", _per_unit_text(scale, currency)),
    ]
    draws = scale.get("n_resamples")
    note = f"Intervalles de simulation à {level}"
    note += f" ({fmt_number(draws)} tirages Monte-Carlo)." if draws else "."
    return rows, note
