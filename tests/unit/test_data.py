"""The source registry: checksums, loading, and refusals that name the source; the
provenance table every page shows."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from impactlib.core.validation import InputError
from impactlib.project import ProjectRootNotFound, SimulatedTable, project_root, provenance_table
from impactlib.project import sources as data


def test_registry_declares_every_required_field(repo_root):
    registry = data.read_registry(repo_root / "data" / "sources.yaml")
    assert {"nsw_mixtape", "cps_mixtape"} <= set(registry)
    for source in registry.values():
        assert len(source.sha256) == 64
        if isinstance(source, data.FileSource):  # a partner's file: who, when, on what terms
            assert source.provider and source.received and source.agreement
        else:
            assert source.citation and source.licence


def test_import_writes_verified_parquet_that_loads_back(scratch_project):
    written = data.import_sources(names=["nsw_mixtape"])
    assert [p.name for p in written] == ["nsw_mixtape.parquet"]
    frame = data.load("nsw_mixtape")
    assert frame.shape == (445, 11)
    # The content checksum survives the parquet round trip (dtypes included).
    assert data.content_checksum(frame) == data.get_source("nsw_mixtape").sha256


def test_changed_checksum_is_a_hard_error_naming_the_source(scratch_project):
    path = scratch_project / "data" / "sources.yaml"
    document = yaml.safe_load(path.read_text())
    document["sources"]["nsw_mixtape"]["sha256"] = "0" * 64
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(data.ChecksumMismatch, match="source 'nsw_mixtape'.*differs"):
        data.import_sources()
    # Verification happens before any write: nothing half-imported is left behind.
    assert not (scratch_project / "data" / "raw").exists()


def test_tampered_raw_file_is_refused_on_load(scratch_project):
    data.import_sources(names=["nsw_mixtape"])
    path = scratch_project / "data" / "raw" / "nsw_mixtape.parquet"
    frame = pd.read_parquet(path)
    frame.loc[0, "re78"] = frame.loc[0, "re78"] + 1
    frame.to_parquet(path, index=False)
    with pytest.raises(data.ChecksumMismatch, match="nsw_mixtape"):
        data.load("nsw_mixtape")


def test_unknown_and_unimported_sources_are_named(scratch_project):
    with pytest.raises(data.SourceError, match="unknown source 'nope'.*nsw_mixtape"):
        data.load("nope")
    with pytest.raises(data.SourceError, match="cps_mixtape.*does not exist.*dvc repro"):
        data.load("cps_mixtape")


def test_badly_declared_source_is_refused(scratch_project):
    path = scratch_project / "data" / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": {"x": {"package": "causaldata"}}}))
    with pytest.raises(data.SourceError, match="source 'x' lacks loader"):
        data.read_registry(path)


def test_checksum_depends_on_dtypes_and_values():
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    base = data.content_checksum(frame)
    assert data.content_checksum(frame.copy()) == base
    assert data.content_checksum(frame.astype({"a": "float64"})) != base
    assert data.content_checksum(frame.assign(b=[0.5, 1.25])) != base


def test_project_root_is_found_from_a_subfolder(repo_root, monkeypatch):
    monkeypatch.delenv("IMPACT_ROOT", raising=False)
    monkeypatch.chdir(repo_root / "notebooks" / "studies")
    assert project_root() == repo_root


def test_project_root_outside_the_repository_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("IMPACT_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectRootNotFound, match="dvc.yaml"):
        project_root()


def test_every_declared_package_source_imports_and_loads_back(scratch_project):
    # Partners' files live under data/files, not in this scratch copy: test_file_sources.py
    # imports them from a project of their own.
    registry = data.read_registry()
    packages = [name for name, s in registry.items() if not isinstance(s, data.FileSource)]
    written = data.import_sources(names=packages)
    assert sorted(p.stem for p in written) == sorted(packages)
    for name in packages:
        frame = data.load(name)  # verifies the checksum of the stored parquet
        assert len(frame) > 0, name


def test_citation_keys_exist_in_the_bibliography(repo_root):
    bib = (repo_root / "book" / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,\s]+),", bib))
    for source in data.read_registry(repo_root / "data" / "sources.yaml").values():
        assert set(source.citation) <= keys, source.name


def test_atomic_writes_get_ordinary_permissions_and_leave_nothing_on_failure(tmp_path):
    import os

    from impactlib.project import atomic_path

    mask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "out.json") as tmp:
            tmp.write_text("{}")
        assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o644
        with pytest.raises(RuntimeError), atomic_path(tmp_path / "bad.json") as tmp:
            tmp.write_text("{half")
            raise RuntimeError("stage failed")
    finally:
        os.umask(mask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


# --- the provenance table ------------------------------------------------------------------


def test_provenance_of_a_source_comes_from_the_registry(scratch_project):
    source = data.get_source("nsw_mixtape")
    table = provenance_table({"nsw_mixtape": pd.DataFrame({"x": range(445)})})
    assert table.index.name == "Source" and list(table.index) == ["nsw_mixtape"]
    assert list(table.columns) == [
        "Contenu",
        "Paquet",
        "Licence",
        "Citation",
        "Lignes",
        "Empreinte SHA-256 (début)",
    ]
    row = table.loc["nsw_mixtape"]
    assert row["Contenu"] == source.title and row["Licence"] == source.licence
    assert row["Paquet"] == f"causaldata {source.package_version()}"
    assert row["Citation"] == "lalonde1986, dehejia1999, cunningham2021"
    assert row["Lignes"] == 445 and isinstance(row["Lignes"], int)
    assert row["Empreinte SHA-256 (début)"] == source.sha256[:16]


def test_provenance_of_a_simulated_table_is_its_generator_seed_and_content():
    frame = pd.DataFrame({"cluster": ["a", "a", "b", "c"], "y": [0.5, 1.5, 2.0, 0.0]})
    simulated = SimulatedTable(
        frame, generator="impactlib.experiment.sim", seed=7, cluster="cluster"
    )
    table = provenance_table({"essai simulé": simulated})
    assert table.loc["essai simulé"].to_dict() == {
        "Générateur": "impactlib.experiment.sim",
        "Graine": "7",
        "Lignes": 4,
        "Grappes": 3,
        "Licence": "sans objet (données simulées)",
        "Empreinte SHA-256 (début)": data.content_checksum(frame)[:16],
    }
    # Without clusters there is no cluster count; another draw shows another checksum.
    other = SimulatedTable(frame.assign(y=frame["y"] + 1), generator="g", seed=8)
    row = provenance_table({"autre": other}).loc["autre"]
    assert "Grappes" not in row.index
    assert row["Empreinte SHA-256 (début)"] != data.content_checksum(frame)[:16]


def test_a_page_with_sources_and_simulated_tables_leaves_the_other_kind_empty(scratch_project):
    frame = pd.DataFrame({"x": [1, 2]})
    table = provenance_table(
        {"jobs": frame, "simulé": SimulatedTable(frame, generator="g", seed=1)}
    )
    assert list(table.index) == ["jobs", "simulé"]
    assert table.loc["simulé", "Contenu"] == "" and table.loc["jobs", "Graine"] == ""
    assert table.loc["jobs", "Lignes"] == 2 and table.loc["simulé", "Lignes"] == 2


def test_provenance_refuses_an_undeclared_source_and_what_it_cannot_describe(scratch_project):
    with pytest.raises(
        data.SourceError, match="source 'partner_file' is not declared.*nsw_mixtape"
    ):
        provenance_table({"partner_file": pd.DataFrame({"x": [1]})})
    with pytest.raises(InputError, match=r"frames\['nsw_mixtape'\] must be a DataFrame"):
        provenance_table({"nsw_mixtape": "data/raw/nsw_mixtape.parquet"})
    with pytest.raises(InputError, match="frames must map at least one"):
        provenance_table({})
    frame = pd.DataFrame({"x": [1]})
    with pytest.raises(InputError, match="cluster column 'grappe' not found"):
        SimulatedTable(frame, generator="g", seed=1, cluster="grappe")
    with pytest.raises(InputError, match="seed must be an int"):
        SimulatedTable(frame, generator="g", seed="1")
    with pytest.raises(InputError, match="generator must name the simulator"):
        SimulatedTable(frame, generator="", seed=1)
