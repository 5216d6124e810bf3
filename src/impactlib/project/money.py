"""The book's money basis, read from the project: ``params.yaml`` ``appraisal`` (currency,
base year, discount rate and its range) and the tables of ``data/reference``."""

from __future__ import annotations

from pathlib import Path

import yaml

from impactlib.appraisal.net_benefit import MoneyBasis, money_basis
from impactlib.core.validation import InputError
from impactlib.project.paths import project_root

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
