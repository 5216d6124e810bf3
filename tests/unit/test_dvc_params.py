"""The report assumptions that dvc.yaml lists as DVC params exist in every report's file.

DVC stops a stage whose listed param is missing, and a study created from a template must
run: so every study, confidential study and study template holds each listed key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def listed_params(stage: str) -> set[str]:
    """The keys of params/${item}.yaml that the stage ``stage`` of dvc.yaml lists."""
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"][stage]
    for entry in spec["do"]["params"]:
        if isinstance(entry, dict) and "params/${item}.yaml" in entry:
            return set(entry["params/${item}.yaml"])
    raise AssertionError(f"stage {stage} lists no params of params/<id>.yaml")


def reports(kind: str) -> list[str]:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))[kind]


def test_the_sensitivity_params_are_the_report_assumptions():
    expected = {"economics", "target_population", "take_up", "attenuation"}
    assert listed_params("study") == expected
    assert listed_params("confidential-study") == expected


@pytest.mark.parametrize(
    ("stage", "path"),
    [("study", f"params/{i}.yaml") for i in reports("studies")]
    + [("confidential-study", f"params/{i}.yaml") for i in reports("confidential_studies")]
    + [
        ("study", str(p.relative_to(ROOT)))
        for p in sorted((ROOT / "notebooks" / "templates").glob("*.yaml"))
        if p.stem != "note"
    ],
)
def test_every_report_file_holds_the_listed_params(stage, path):
    values = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    missing = listed_params(stage) - set(values)
    assert not missing, f"{path} lacks {sorted(missing)}, which dvc.yaml lists as DVC params"
