"""The sources each notebook declares: their manifests, and the refusal of any other source."""

from __future__ import annotations

import json

import pytest
import yaml

from impactlib.project import inputs, sources
from impactlib.project.notebooks import StudyError


@pytest.fixture
def project(scratch_project, repo_root):
    (scratch_project / "params").mkdir()
    # The manifests also fingerprint the library and the reference data: the repository's.
    (scratch_project / "src").symlink_to(repo_root / "src", target_is_directory=True)
    (scratch_project / "data" / "reference").symlink_to(repo_root / "data" / "reference")
    (scratch_project / "params" / "demo.yaml").write_text("alpha: 0.05\nsources: [nsw_mixtape]\n")
    sources.import_sources(scratch_project, ["nsw_mixtape"])  # a fresh clone has no data/raw
    return scratch_project


def _manifest(root) -> dict:
    inputs.write_input_manifests(root)
    return json.loads((root / "data" / "inputs" / "demo.json").read_text())["sources"]


def test_a_manifest_fingerprints_the_declared_sources_only(project):
    first = _manifest(project)
    assert list(first) == ["nsw_mixtape"]
    registry = project / "data" / "sources.yaml"
    document = yaml.safe_load(registry.read_text())
    document["sources"]["other"] = document["sources"]["cps_mixtape"]
    registry.write_text(yaml.safe_dump(document))
    assert _manifest(project) == first  # a new source changes no notebook's manifest
    document["sources"]["nsw_mixtape"]["title"] = "changed"
    registry.write_text(yaml.safe_dump(document))
    assert _manifest(project) != first  # a changed entry changes the manifest


def test_an_unknown_or_malformed_declaration_is_refused_and_nothing_is_written(project):
    params = project / "params" / "demo.yaml"
    params.write_text("sources: [no_such_source]\n")
    with pytest.raises(StudyError, match=r"params/demo.yaml: source\(s\) 'no_such_source'"):
        inputs.write_input_manifests(project)
    assert not (project / "data" / "inputs").exists()
    params.write_text("sources: nsw_mixtape\n")
    with pytest.raises(StudyError, match="must be a list of source names"):
        inputs.write_input_manifests(project)


def test_the_runner_keeps_sources_out_of_the_parameters():
    names, parameters = inputs.split_sources("demo", {"alpha": 0.1, "sources": ["x"]})
    assert names == ["x"] and parameters == {"alpha": 0.1}
    assert inputs.split_sources("demo", {"alpha": 0.1}) == ([], {"alpha": 0.1})


def test_a_notebook_may_load_only_what_it_declares(project, monkeypatch):
    assert len(sources.load("nsw_mixtape", root=project)) == 445  # outside `impact run`
    monkeypatch.setenv(inputs.SOURCES_ENV, "nsw_mixtape")
    assert len(sources.load("nsw_mixtape", root=project)) == 445
    monkeypatch.setenv(inputs.SOURCES_ENV, "")
    with pytest.raises(sources.SourceError, match="'nsw_mixtape' is not declared"):
        sources.load("nsw_mixtape", root=project)
