"""The French pages "Facteurs de conversion" and "Valeurs de référence", as Markdown.

The book does not execute notebooks, so these pages are written by a DVC stage (``impact
money-pages``) from what the reports recorded: each report's benefit-cost lists the
conversions it used (:class:`impactlib.appraisal.prices.Conversion`), and each report's
parameters say which reference value monetises its outcome or why none does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from impactlib.appraisal.money import Money
from impactlib.appraisal.net_benefit import MoneyBasis
from impactlib.report import fmt_number, fmt_percent

# A MyST comment (a line starting with %): an HTML comment would be raw HTML, which the PDF
# build cannot print and warns about.
GENERATED = (
    "% Page écrite par `impact money-pages` (étape DVC money-pages) : ne pas la modifier à la main."
)


def _table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _factor_rows(reports: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """One row per distinct conversion, with the reports that use it."""
    used: dict[tuple, dict[str, Any]] = {}
    for report_id, report in reports.items():
        for conv in report.get("conversions") or ():
            key = (conv["from_currency"], conv["from_year"], conv["to_currency"], conv["to_year"])
            entry = used.setdefault(key, {"conv": conv, "reports": []})
            if report_id not in entry["reports"]:
                entry["reports"].append(report_id)
    rows = []
    for (cur, year, to_cur, to_year), entry in sorted(used.items()):
        conv = entry["conv"]
        rate = conv["exchange_rate"]
        rows.append(
            [
                f"1 {cur} de {year}",
                f"{to_cur} de {to_year}",
                fmt_number(conv["price_index_from"], 2),
                fmt_number(conv["price_index_to"], 2),
                "—" if rate is None else fmt_number(rate, 4),
                fmt_number(conv["factor"], 4),
                ", ".join(f"[{r}](../reports/{r}.ipynb)" for r in entry["reports"]),
            ]
        )
    return rows


def conversion_factors_page(basis: MoneyBasis, reports: Mapping[str, Mapping[str, Any]]) -> str:
    """The page "Facteurs de conversion": the method, every factor used, its sources.

    ``reports`` maps a report id to its benefit-cost mapping (with ``conversions``); the
    sources are those of the price table the basis read (``basis.prices.descriptions``, the
    content of ``data/reference/prices.yaml``).
    """
    tables = basis.prices.descriptions
    indices = tables.get("consumer_price_indices", {})
    rates = tables.get("exchange_rates", {})
    low, high = basis.discount_rate_range
    sources = [
        f"- **{code}** : {' '.join(str(entry.get('label', '')).split())}. Source : "
        f"{' '.join(str(entry.get('source', '')).split())}"
        + (f" (consulté le {entry['retrieved']})." if entry.get("retrieved") else ".")
        for code, entry in indices.items()
    ]
    sources.append(
        f"- **Taux de change** : {' '.join(str(rates.get('label', '')).split())}. Source : "
        f"{' '.join(str(rates.get('source', '')).split())}."
    )
    rows = _factor_rows(reports)
    factor_table = (
        _table(
            [
                "Montant",
                "Converti en",
                "Indice des prix (année d'origine)",
                "Indice des prix (année de base)",
                "Taux de change (pour 1 €)",
                "Facteur",
                "Rapports",
            ],
            rows,
        )
        if rows
        else "Aucun rapport n'a encore converti de montant."
    )
    return (
        "\n\n".join(
            [
                GENERATED,
                "# Facteurs de conversion",
                f"Tous les montants du livre sont exprimés en **euros de {basis.base_year}**. Un "
                "montant d'une autre année ou d'une autre devise est converti en deux étapes : il "
                "est d'abord actualisé dans sa propre devise par l'indice des prix à la "
                "consommation de son pays (de son année à l'année de base), puis converti en euros "
                "au taux de change moyen de l'année de base (moyenne des taux de référence "
                "quotidiens de la Banque centrale européenne). Aucun montant n'est additionné à un "
                "autre d'une devise ou d'une année différente sans cette conversion.",
                "## Les facteurs utilisés",
                "Facteur = indice de l'année de base ÷ indice de l'année d'origine ÷ taux de "
                "change.",
                factor_table,
                "## Les séries et leurs sources",
                "\n".join(sources),
                "## Le taux d'actualisation",
                "Les bénéfices futurs sont actualisés au taux de "
                f"**{fmt_percent(basis.discount_rate, 1)}** "
                "par an : le taux sans risque de 1,2 % plus une prime de risque de 2 % multipliée "
                "par un bêta pris égal à 1 par convention, selon la révision du taux "
                "d'actualisation de France Stratégie {cite:p}`francestrategie2021`. La "
                f"sensibilité va de {fmt_percent(low, 1)} (bêta nul) à {fmt_percent(high, 1)} "
                "(bêta égal à 2).",
            ]
        )
        + "\n"
    )


def _decimals(amount: float) -> int:
    """Cents only when the source prints them (1 480,27 €), none for 1 480 €."""
    return 0 if float(amount).is_integer() else 2


def reference_values_page(basis: MoneyBasis, monetisations: Mapping[str, Mapping[str, Any]]) -> str:
    """The page "Valeurs de référence": the table, and what each report monetises or why not.

    ``monetisations`` maps a report id to its ``monetisation`` parameters (``monetised_by``
    or ``monetisation_reason``).
    """
    rows = []
    for value in basis.values.values.values():
        users = [r for r, m in monetisations.items() if m.get("monetised_by") == value.id]
        if value.is_money_outcome:
            amount, base = "1 unité de la devise du résultat", "selon l'année du résultat"
        else:
            amount = f"{fmt_number(value.amount, 0)} {value.currency} de {value.price_year}"
            if value.monthly_amount is not None:
                amount = (
                    f"{fmt_number(value.monthly_amount, _decimals(value.monthly_amount))} "
                    f"{value.currency} de "
                    f"{value.price_year} par mois, soit {amount} par an (12 mois)"
                )
            converted = basis.convert(Money(value.amount, value.currency, value.price_year))
            base = f"{fmt_number(converted.result.amount, 0)} €"
        rows.append(
            [
                value.label,
                value.unit,
                amount,
                base,
                f"{{cite:t}}`{value.source}`" if value.source else "—",
                ", ".join(f"[{r}](../reports/{r}.ipynb)" for r in users) or "—",
            ]
        )
    per_report = [
        f"- [{r}](../reports/{r}.ipynb) : "
        + (
            f"résultat monétisé par « {basis.values.get(m['monetised_by']).label} »."
            if m.get("monetised_by")
            else " ".join(str(m.get("monetisation_reason", "non renseigné")).split()) + "."
        )
        for r, m in sorted(monetisations.items())
    ]
    notes = [f"- **{v.label}** : {v.note}" for v in basis.values.values.values() if v.note]
    missing = ", ".join(basis.values.not_found)
    return (
        "\n\n".join(
            [
                GENERATED,
                "# Valeurs de référence",
                "Pour comparer des bénéfices à des coûts, un résultat (un décès évité, un gain de "
                "revenu...) doit recevoir une valeur monétaire. Le livre n'utilise que des valeurs "
                "de référence publiées, avec leur source et l'année de leurs prix ; chacune est "
                f"convertie en euros de {basis.base_year} (voir "
                "[Facteurs de conversion](facteurs-de-conversion.md)).",
                _table(
                    [
                        "Valeur",
                        "Unité",
                        "Montant publié",
                        f"En euros de {basis.base_year}",
                        "Source",
                        "Rapports",
                    ],
                    rows,
                ),
                "\n".join(notes),
                "## Valeurs recherchées, non retenues",
                "Faute d'avoir lu le chiffre dans une source citable, ces valeurs ne sont pas dans "
                f"la table : {missing}. Un rapport qui en aurait besoin dit pourquoi il ne "
                "monétise pas son résultat.",
                "## Ce que chaque rapport monétise",
                "\n".join(per_report),
            ]
        )
        + "\n"
    )
