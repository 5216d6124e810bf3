"""What the notebooks' manifests fingerprint besides their sources: the library as notebooks
use it and, for a study, the reference data; and the stages of dvc.yaml that rely on it.

DVC reruns a notebook stage when the bytes of its manifest (``data/inputs/<id>.json``)
change: a change to a library file used by notebooks must change every manifest; a change
to ``publish/`` or the command line must change none; a change to ``data/reference`` must
change the studies' manifests only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from impactlib.project import inputs
from impactlib.project.notebooks import StudyError

NOTEBOOKS = {"studies": "demo", "confidential_studies": "secret", "notes": "memo", "guide": "howto"}
STUDIES = {"demo", "secret"}


@pytest.fixture
def project(scratch_project: Path) -> Path:
    """A scratch project with one notebook of each kind and a small library of each part."""
    root = scratch_project
    (root / "params.yaml").write_text(yaml.safe_dump({k: [v] for k, v in NOTEBOOKS.items()}))
    (root / "params").mkdir()
    for notebook_id in NOTEBOOKS.values():
        (root / "params" / f"{notebook_id}.yaml").write_text("alpha: 0.05\nsources: []\n")
    parts = (*inputs.LIBRARY_PARTS, *inputs.CONFIDENTIAL_PARTS)
    for part in (*parts, "src/impactlib/publish/pdf", "src/impactlib/cli"):
        path = root / part
        if path.suffix == ".py":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# {part}\n")
        else:
            path.mkdir(parents=True, exist_ok=True)
            (path / "module.py").write_text(f"# {part}\n")
    (root / "src/impactlib/cli/commands.py").write_text("# the command line\n")
    (root / "data/reference").mkdir()
    (root / "data/reference/values.yaml").write_text("values: {}\n")
    return root


def manifests(root: Path) -> dict[str, bytes]:
    folder = inputs.write_input_manifests(root)
    return {path.stem: path.read_bytes() for path in sorted(folder.iterdir())}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    assert before.keys() == after.keys()
    return {name for name in before if before[name] != after[name]}


def test_every_manifest_holds_the_library_and_a_study_also_the_reference(project):
    written = {name: json.loads(data) for name, data in manifests(project).items()}
    assert set(written) == {*NOTEBOOKS.values(), "_synthesis"}
    for name, document in written.items():
        library = set(inputs.LIBRARY_PARTS) | (
            set(inputs.CONFIDENTIAL_PARTS) if name == "secret" else set()
        )
        assert set(document["library"]) == library
        assert ("reference" in document) == (name in STUDIES)
        assert ("sources" in document) == (name != "_synthesis")


@pytest.mark.parametrize(
    "edited, rerun",
    [
        ("src/impactlib/core/module.py", {*NOTEBOOKS.values(), "_synthesis"}),
        ("src/impactlib/__init__.py", {*NOTEBOOKS.values(), "_synthesis"}),
        ("src/impactlib/cli/runner.py", {*NOTEBOOKS.values(), "_synthesis"}),
        ("src/impactlib/project/new_module.py", {*NOTEBOOKS.values(), "_synthesis"}),
        ("src/impactlib/publish/pdf/module.py", set()),
        ("src/impactlib/cli/commands.py", set()),
        ("data/reference/values.yaml", STUDIES),
        ("data/reference/prices.yaml", STUDIES),
        ("src/impactlib/publish/disclosure/module.py", {"secret"}),
    ],
)
def test_an_edit_changes_the_manifests_of_the_notebooks_that_use_it_only(project, edited, rerun):
    before = manifests(project)
    path = project / edited
    path.write_text((path.read_text() if path.exists() else "") + "# edited\n")
    assert changed(before, manifests(project)) == rerun


def test_bytecode_caches_change_no_manifest(project):
    before = manifests(project)
    cache = project / "src/impactlib/core/__pycache__"
    cache.mkdir()
    (cache / "module.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (project / "src/impactlib/core/stray.pyc").write_bytes(b"\x00bytecode")
    assert changed(before, manifests(project)) == set()


def test_a_renamed_file_changes_the_fingerprint(project):
    before = inputs.part_digest("src/impactlib/core", project)
    (project / "src/impactlib/core/module.py").rename(project / "src/impactlib/core/other.py")
    assert inputs.part_digest("src/impactlib/core", project) != before


def test_a_missing_part_is_named_and_nothing_is_written(project):
    (project / "src/impactlib/rd/module.py").unlink()
    (project / "src/impactlib/rd").rmdir()
    with pytest.raises(StudyError, match="src/impactlib/rd does not exist"):
        inputs.write_input_manifests(project)
    assert not (project / "data" / "inputs").exists()


def notebook_stages(repo_root: Path) -> dict[str, dict]:
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {name: stages[name]["do"] for name in ("study", "confidential-study", "note", "guide")}


def dependency_paths(deps: list) -> list[str]:
    return [next(iter(d)) if isinstance(d, dict) else d for d in deps]


def test_dvc_reruns_the_notebooks_through_their_manifests_only(repo_root):
    """The notebook stages and the synthesis depend on their manifest, not on the library
    or the reference data directly; the inputs stage depends on all that the manifests
    fingerprint, so that DVC rewrites them when one of those files changes."""
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name, stage in notebook_stages(repo_root).items():
        deps = dependency_paths(stage["deps"])
        assert "data/inputs/${item}.json" in deps, name
        assert not [d for d in deps if d.startswith("src/") or d == "data/reference"], name
    synthesis = dependency_paths(stages["synthesis"]["deps"])
    assert "data/inputs/_synthesis.json" in synthesis
    assert not [d for d in synthesis if d.startswith("src/")]
    watched = dependency_paths(stages["inputs"]["deps"])
    fingerprinted = (*inputs.LIBRARY_PARTS, *inputs.CONFIDENTIAL_PARTS, *inputs.REFERENCE_PARTS)
    for part in fingerprinted:
        assert any(part == d or part.startswith(d + "/") for d in watched), part
    assert stages["inputs"]["outs"] == ["data/inputs"]


def test_a_changed_or_new_source_changes_its_own_registry_file_only(scratch_project, repo_root):
    (scratch_project / "data" / "schemas").symlink_to(repo_root / "data" / "schemas")
    registry = scratch_project / "data" / "sources.yaml"
    folder = inputs.write_source_manifests(scratch_project)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    document = yaml.safe_load(registry.read_text())
    assert set(before) == {
        f"{name}.json"
        for section in ("sources", "files", "confidential")
        for name in document.get(section) or {}
    }
    document["sources"]["nsw_mixtape"]["title"] = "changed"
    document["sources"]["other"] = document["sources"]["cps_mixtape"]
    registry.write_text(yaml.safe_dump(document))
    folder = inputs.write_source_manifests(scratch_project)
    after = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert after.keys() - before.keys() == {"other.json"}
    assert {name for name in before if before[name] != after[name]} == {"nsw_mixtape.json"}


def test_each_import_stage_depends_on_its_own_registry_file_not_on_params(repo_root):
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    for name in ("import", "file", "confidential"):
        stage = stages[name]["do"]
        assert "data/registry/${key}.json" in dependency_paths(stage["deps"]), name
        assert "params" not in stage, name
    registry = stages["registry"]
    assert registry["outs"] == ["data/registry"]
    assert {"data/sources.yaml", "data/schemas"} <= set(dependency_paths(registry["deps"]))
