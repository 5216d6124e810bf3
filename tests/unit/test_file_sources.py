"""A partner's file from receipt to data/raw: add-source, the schema, import, and refusals.

Runs in a throw-away git + DVC project holding the real registry: `impact add-source`
really calls `dvc add`, and `git add -A` really runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from impactlib.cli import commands
from impactlib.cli.add_source import add_source
from impactlib.intake.errors import PseudonymKeyError, ReadError, SchemaError
from impactlib.intake.pseudonyms import KEY_ENV
from impactlib.project import sources
from impactlib.project.provenance import provenance_table

DVC = str(Path(sys.executable).parent / "dvc")
EMAIL = "jeanne.martin@exemple.fr"
PHONE = "06 12 34 56 78"

# A French export: Latin-1 (cp1252), semicolons, decimal commas, a personal e-mail and phone.
ROWS = [
    ("id", "nom", "courriel", "telephone", "agence", "groupe", "revenu", "emploi"),
    *(
        (
            f"P{i:03d}",
            f"Nom{i}",
            EMAIL if i == 0 else f"p{i}@exemple.fr",
            PHONE if i == 0 else f"06 12 34 56 {i:02d}",
            f"Agence {'Île' if i % 2 else 'Sète'}",
            "intervention" if i % 3 else "contrôle",
            f"{1000 + i},5",
            str(i % 2),
        )
        for i in range(30)
    ),
]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def project(scratch_project: Path) -> Path:
    root = scratch_project
    _git(root, "init", "-q")
    subprocess.run([DVC, "init", "-q"], cwd=root, check=True)
    shutil.copy(Path(__file__).parents[2] / ".gitignore", root / ".gitignore")
    return root


@pytest.fixture
def received(tmp_path_factory) -> Path:
    """Where the partner's file arrives: outside the repository."""
    return tmp_path_factory.mktemp("received")


@pytest.fixture
def export(received: Path) -> Path:
    path = received / "export_partenaire.csv"
    text = "\r\n".join(";".join(row) for row in ROWS) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def _add(root: Path, export: Path, name: str = "partenaire", **options):
    return add_source(
        name,
        export,
        provider="Association partenaire",
        agreement="Convention de partage de données n° 1",
        received="2026-11-30",
        root=root,
        **options,
    )


def test_a_received_csv_is_declared_tracked_by_dvc_and_never_by_git(project, export):
    toc = project / "book" / "_toc.yml"
    toc.parent.mkdir()
    toc.write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Références\n"
        "    chapters:\n      - file: pages/citer\n"
    )
    new = _add(project, export)
    parts = yaml.safe_load(toc.read_text())["parts"]
    assert parts[0] == {
        "caption": "Dictionnaires des données",
        "chapters": [{"file": "sources/partenaire"}],
    }
    entry = yaml.safe_load((project / "data" / "sources.yaml").read_text())["files"]["partenaire"]
    assert entry["format"] == {
        "kind": "csv",
        "encoding": "cp1252",
        "separator": ";",
        "decimal": ",",
    }
    assert entry["path"] == "data/files/partenaire/export_partenaire.csv"
    assert entry["sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()
    assert set(new.identifiers) >= {"nom", "courriel", "telephone"}
    schema = new.schema.read_text(encoding="utf-8")
    assert EMAIL not in schema and "Nom1" not in schema  # a draft copies no personal value
    _git(project, "add", "-A")
    tracked = _git(project, "ls-files").split()
    assert "data/files/partenaire/export_partenaire.csv.dvc" in tracked
    assert "data/files/partenaire/export_partenaire.csv" not in tracked
    blobs = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=project, capture_output=True
    ).stdout
    assert EMAIL.encode() not in blobs and b"Nom1" not in blobs


def test_import_validates_and_drops_the_identifiers(project, export):
    _add(project, export)
    [path] = sources.import_sources(project, ["partenaire"])
    table = pd.read_parquet(path)
    assert {"nom", "courriel", "telephone"}.isdisjoint(table.columns)
    assert table["revenu"].iloc[1] == 1001.5  # decimal commas read as numbers
    assert table["agence"].iloc[1] == "Agence Île"  # Latin-1 accents intact
    loaded = sources.load("partenaire", root=project)
    assert len(loaded) == 30
    row = provenance_table({"partenaire": loaded}, root=project).loc["partenaire"]
    assert row["Fichier"] == "export_partenaire.csv" and row["Reçu le"] == "2026-11-30"
    assert row["Fournisseur"] == "Association partenaire" and row["Données"] == "publiables"
    page = (project / "book" / "sources" / "partenaire.md").read_text(encoding="utf-8")
    assert page.startswith("# Dictionnaire des données") and "| revenu | nombre |" in page
    assert EMAIL not in page and "Nom1" not in page and "1001,5" not in page


def _edit_schema(root: Path, edit) -> None:
    path = root / "data" / "schemas" / "partenaire.yaml"
    descriptor = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(descriptor)
    path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")


def _field(descriptor: dict, name: str) -> dict:
    return next(f for f in descriptor["fields"] if f["name"] == name)


def test_an_undeclared_identifier_is_caught_at_import_and_named(project, export):
    _add(project, export)
    _edit_schema(project, lambda d: _field(d, "courriel").pop("identifier"))
    with pytest.raises(SchemaError, match="courriel") as caught:
        sources.import_sources(project, ["partenaire"])
    assert caught.value.rule == "undeclared identifier" and EMAIL not in str(caught.value)
    assert not (project / "data" / "raw" / "partenaire.parquet").exists()


def test_a_value_outside_the_allowed_set_names_the_column_and_rows(project, export):
    _add(project, export)
    _edit_schema(project, lambda d: _field(d, "groupe").update(constraints={"enum": ["x"]}))
    with pytest.raises(SchemaError, match="groupe") as caught:
        sources.import_sources(project, ["partenaire"])
    assert caught.value.rule == "enum" and caught.value.rows[:2] == (1, 2)


def test_a_schema_column_the_file_lacks_is_refused(project, export):
    _add(project, export)
    _edit_schema(project, lambda d: d["fields"].append({"name": "absente", "type": "string"}))
    with pytest.raises(SchemaError, match="absente") as caught:
        sources.import_sources(project, ["partenaire"])
    assert caught.value.rule == "missing column"


def test_a_changed_file_is_refused_until_its_checksum_is_recorded(project, export):
    new = _add(project, export)
    new.file.write_bytes(new.file.read_bytes().replace(b"1001,5", b"9999,5"))
    with pytest.raises(sources.SourceError, match="has SHA-256 .* the registry records"):
        sources.import_sources(project, ["partenaire"])


def test_a_wrong_declared_encoding_is_caught(project, export):
    with pytest.raises(ReadError, match="export_partenaire.csv is not utf-8: .* line 2"):
        _add(project, export, file_format={"encoding": "utf-8"})
    _add(project, export)
    registry = project / "data" / "sources.yaml"
    registry.write_text(registry.read_text().replace("encoding: cp1252", "encoding: utf-8"))
    with pytest.raises(ReadError, match="export_partenaire.csv is not utf-8"):
        sources.import_sources(project, ["partenaire"])


def test_pseudonyms_need_the_secret_and_link_records(project, export, monkeypatch):
    _add(project, export)
    _edit_schema(project, lambda d: _field(d, "telephone").update(identifier="pseudonymise"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PseudonymKeyError, match="no pseudonymisation key"):
        sources.import_sources(project, ["partenaire"])
    monkeypatch.setenv(KEY_ENV, "s" * 40)
    [path] = sources.import_sources(project, ["partenaire"])
    phones = pd.read_parquet(path)["telephone"]
    assert phones.str.fullmatch(r"[0-9a-f]{16}").all() and PHONE not in phones.tolist()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".dvc" not in p.parts[:1]
    }


def test_refusals_write_nothing(project, export, received):
    before = _snapshot(project)
    truncated = received / "coupe.csv"
    truncated.write_bytes(export.read_bytes()[:-40].rstrip(b"\r\n")[:-3])
    for args, message in (
        ((truncated,), "coupe.csv"),
        ((received / "absent.csv",), "does not exist"),
        ((export,), "private DVC remote"),
    ):
        confidential = message == "private DVC remote"
        with pytest.raises((ReadError, sources.SourceError), match=message):
            _add(project, *args, confidential=confidential)
        assert _snapshot(project) == before, message
    _add(project, export)
    after = _snapshot(project)
    with pytest.raises(sources.SourceError, match="already declares a source 'partenaire'"):
        _add(project, export)
    assert _snapshot(project) == after


def test_the_command_line_refuses_with_a_one_line_error(project, export, capsys):
    argv = ["add-source", "partenaire", str(export), "--provider", "A", "--agreement", "B"]
    assert commands.main([*argv, "--sheet", "x"]) == 2  # a sheet for a CSV
    assert commands.main(argv) == 0
    assert "next: check data/schemas/partenaire.yaml" in capsys.readouterr().out
    assert commands.main(["checksum", "partenaire"]) == 0
    assert capsys.readouterr().out.strip() == hashlib.sha256(export.read_bytes()).hexdigest()
    assert commands.main(argv) == 2
    assert "already declares" in capsys.readouterr().err
