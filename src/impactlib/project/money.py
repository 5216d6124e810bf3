"""The book's money basis, read from the project: ``params.yaml`` ``appraisal`` (currency,
base year, discount rate and its range) and the tables of ``data/reference``."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from impactlib.appraisal.money_pages import conversion_factors_page, reference_values_page
from impactlib.appraisal.net_benefit import MoneyBasis, money_basis
from impactlib.core.validation import InputError
from impactlib.project.atomic import atomic_path
from impactlib.project.notebooks import declared_studies
from impactlib.project.paths import project_root, results_dir

#: Where the price tables and the reference values are kept, from the project root.
REFERENCE_DIR = Path("data") / "reference"


def book_money_basis(root: Path | None = None) -> MoneyBasis:
    """The :class:`~impactlib.appraisal.MoneyBasis` every report converts its money to."""
    root = project_root() if root is None else Path(root)
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8")) or {}
    settings = params.get("appraisal")
    if not isinstance(settings, dict):
        raise InputError(f"{root / 'params.yaml'} has no 'appraisal' section")
    return money_basis(root / REFERENCE_DIR, **settings)


#: The two pages written by :func:`write_money_pages`, from the project root.
MONEY_PAGES = {
    "conversions": Path("book") / "pages" / "facteurs-de-conversion.md",
    "values": Path("book") / "pages" / "valeurs-de-reference.md",
}


def write_money_pages(root: Path | None = None) -> list[Path]:
    """Write the pages "Facteurs de conversion" and "Valeurs de référence".

    They list the factors the reports used (the benefit-cost of each report's comparison
    block in ``results/<id>/estimates.json``) and what each report monetises
    (``economics.monetisation`` of ``params/<id>.yaml``).
    """
    root = project_root() if root is None else Path(root)
    basis = book_money_basis(root)
    reports, monetisations = {}, {}
    for study in declared_studies(root):
        results = json.loads((results_dir(study, root) / "estimates.json").read_text("utf-8"))
        benefit_cost = (results.get("comparison") or {}).get("benefit_cost")
        if isinstance(benefit_cost, dict):
            reports[study] = benefit_cost
        params = yaml.safe_load((root / "params" / f"{study}.yaml").read_text("utf-8")) or {}
        economics = params.get("economics") or {}
        monetisations[study] = economics.get("monetisation") or {
            "monetisation_reason": "non renseigné (pas de paramètres économiques)"
        }
    texts = {
        "conversions": conversion_factors_page(basis, reports),
        "values": reference_values_page(basis, monetisations),
    }
    written = []
    for key, text in texts.items():
        path = root / MONEY_PAGES[key]
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(path)
    return written
