"""A scratch project for the PDF tests: one study, ``demo``, whose comparison block is
written here, so that every expected string is the French formatting of a number of this
file, worked out by hand (three significant digits for effects, narrow no-break spaces
U+202F between thousands, a comma as decimal mark, U+2212 for minus)."""

from __future__ import annotations

import copy
import json
import re
import struct
import zlib
from pathlib import Path

NNBSP = "\u202f"
MINUS = "\u2212"

NASTY = r"Taux à 50 % & plus_value #1 $ 3 ~ x^2 \chemin {accolades}"

# A report's comparison block (impactlib.appraisal.comparison_block), numbers chosen so that
# the formatted strings are easy to work out by hand.
BLOCK = {
    "title": "Accompagnement vers l'emploi (démonstration)",
    "theme": "emploi",
    "innovation": "Emploi de transition encadré",
    "design": "rct",
    "outcome": "Revenu annuel (dollars)",
    "simulated": False,
    "headline": {
        "value": 1794.342,
        "std_error": 670.99,
        "ci_low": 475.61,
        "ci_high": 3113.07,
        "p_value": 0.0078,
        "n": 445,
        "n_treated": 185,
        "n_control": 260,
        "n_clusters": None,
        "alpha": 0.05,
    },
    "effect_unit": "dollars de revenu annuel",
    "conversion": None,
    "standardised_effect": {
        "value": 0.3272,
        "ci_low": 0.0867,
        "ci_high": 0.5677,
        "kind": "smd",
        "label": "Différence standardisée (en écarts-types du groupe témoin)",
        "reason": None,
    },
    "cost_per_beneficiary": 8000.0,
    "cost_effectiveness": {
        "cost_per_beneficiary": 8000.0,
        "cost_per_unit": 4.4585,
        "cost_per_unit_ci_low": 2.5698,
        "cost_per_unit_ci_high": 16.8205,
        "cost_per_unit_reason": None,
        "impact_per_1000": 224.2928,
        "impact_per_1000_ci_low": 59.4513,
        "impact_per_1000_ci_high": 389.1343,
        "higher_is_better": True,
        "effect_unit": "dollars de revenu annuel",
        "currency": "EUR",
        "alpha": 0.05,
    },
    "cost_source": "hypothèse de travail",
    "evidence": {
        "level": "moderate",
        "label": "modéré",
        "reasons": [
            "Essai randomisé : niveau de départ élevé.",
            "Caractère indirect sérieux : −1.",
        ],
    },
    "scale_up": {
        "target_population": 10000,
        "take_up": 0.55,
        "take_up_range": [0.4, 0.7],
        "cost_per_beneficiary": 8000.0,
        "attenuation": 0.8,
        "beneficiaries": 5500.0,
        "beneficiaries_ci_low": 4067.5,
        "beneficiaries_ci_high": 6928.5,
        "total_cost": 44000000.0,
        "total_cost_ci_low": 32540395.0,
        "total_cost_ci_high": 55427860.0,
        "total_effect": 7895106.0,
        "total_effect_ci_low": 1984461.0,
        "total_effect_ci_high": 14713223.0,
        "impact_per_1000": 179.434,
        "impact_per_1000_ci_low": 47.108,
        "impact_per_1000_ci_high": 312.71,
        "cost_per_unit": 5.5731,
        "cost_per_unit_ci_low": 3.1979,
        "cost_per_unit_ci_high": 21.2277,
        "cost_per_unit_reason": None,
        "higher_is_better": True,
        "effect_unit": "dollars de revenu annuel",
        "currency": "EUR",
        "alpha": 0.05,
        "n_resamples": 10000,
    },
}

# What the brief must print for BLOCK, by hand.
KEY_STRINGS = [
    # effect: largest of value and bounds is 3 113, so 0 decimals
    f"1{NNBSP}794 dollars de revenu annuel, IC à 95{NNBSP}% [476 ; 3{NNBSP}113]",
    "p\u00a0=\u00a00,008",
    "n\u00a0=\u00a0445 (185 traités, 260 témoins)",
    "0,33 écart-type [0,09 ; 0,57]",  # standardised mean difference: 2 decimals
    f"8{NNBSP}000 EUR (hypothèse de travail)",
    "224 [59 ; 389] dollars de revenu annuel",  # impact per 1 000 EUR: bounds up to 389
    "4,5 [2,6 ; 16,8] EUR par unité d'effet",  # cost per unit: bounds up to 16.8
    "modéré",
    "Essai randomisé : niveau de départ élevé.",
    f"Caractère indirect sérieux : {MINUS}1.",
    f"population cible 10{NNBSP}000 ; taux de recours 55{NNBSP}% (entre 40{NNBSP}% et 70{NNBSP}%)",
    f"5{NNBSP}500 [4{NNBSP}068 ; 6{NNBSP}928]",  # beneficiaries (4 067.5 rounds half to even)
    "44,0 millions [32,5 ; 55,4] EUR",  # total cost, in millions
    "7,9 millions [2,0 ; 14,7]",  # total effect: bounds up to 14.7 millions
    "179 [47 ; 313] dollars de revenu annuel",
    "5,6 [3,2 ; 21,2] EUR par unité d'effet",  # cost per unit at scale: bounds up to 21.2
]

CITATION_YAML = """\
defaults:
  authors:
    - name: Impact Tank
      orcid: ""
  publisher: Impact Tank
  language: fr
  licence:
    id: CC-BY-4.0
    name: Creative Commons Attribution 4.0 International
    url: https://creativecommons.org/licenses/by/4.0/deed.fr
pages:
  demo:
    title: "Démonstration : une synthèse"
    date: 2026-11-26
    doi: ""
"""


def png(path: Path, width: int = 40, height: int = 20) -> Path:
    """A small valid RGB PNG (a blue rectangle), written without an imaging library."""
    row = b"\x00" + b"\x1b\x49\x65" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    )
    return path


def write_results(root: Path, block: dict | None, facts: dict | None = None) -> None:
    payload = {"schema_version": 1, "study": "demo", "estimates": {}, "facts": facts or {}}
    if block is not None:
        payload["comparison"] = block
    folder = root / "results" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "estimates.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")


def make_project(root: Path, block: dict | None = None) -> Path:
    """A scratch project with one study, ``demo``: params, citation entry, results, figure."""
    (root / "dvc.yaml").write_text("stages: {}\n")
    (root / "params.yaml").write_text("studies:\n  - demo\n")
    (root / "book").mkdir()
    (root / "book" / "citation.yaml").write_text(CITATION_YAML, encoding="utf-8")
    write_results(root, copy.deepcopy(BLOCK) if block is None else block)
    png(root / "results" / "demo" / "figures" / "effet.png")
    return root


def flat(text: str) -> str:
    """Text with every run of spaces (line breaks, narrow or not) as one plain space, no
    zero-width space, and the typographic apostrophe as a plain one."""
    text = text.replace("\u200b", "").replace("\u2019", "'")
    return " ".join(re.split(r"[\s\u202f\u00a0]+", text))
