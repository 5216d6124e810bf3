"""The ``impact`` command under bad input: one line naming the problem, exit code 2, never a
traceback (issue 12: a study id with a trailing newline, a misspelt loader function)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from impactlib.cli import commands
from support.strategies import PROPERTY

# A name with a stray character where a copy and paste leaves one.
STRAY = st.sampled_from(["\n", "\r\n", " ", "\t", "\x00", "\x1b"])
NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
WHERE = st.sampled_from(["end", "start", "middle"])


def _with_stray(name: str, stray: str, where: str) -> str:
    if where == "start":
        return stray + name
    if where == "middle":
        return name[:1] + stray + name[1:]
    return name + stray


def _one_line_refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = commands.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"impact {argv[0]}: error: "), err
    return err


@PROPERTY
@given(name=NAME, stray=STRAY, where=WHERE, command=st.sampled_from(["run", "checksum"]))
def test_names_with_a_stray_character_are_refused_in_one_line(name, stray, where, command):
    # main returns 2 only after printing its one-line error (a traceback would propagate)
    assert commands.main([command, _with_stray(name, stray, where)]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "emploi-nsw\n"],
        ["run", " emploi-nsw"],
        ["checksum", "nsw_mixtape\n"],
        ["import", "nsw_mixtape", "jobs\n"],
        ["pdf", "--brief", "emploi-nsw\n"],
        ["new-study", "emploi-new\n", "--design", "rct", "--theme", "emploi"],
    ],
)
def test_trailing_newline_in_a_name_is_one_line(capsys, argv):
    """Class 6: a study id with a trailing newline printed a traceback."""
    err = _one_line_refusal(capsys, argv)
    assert "not a name" in err


def _broken_registry(root: Path, loader: str) -> None:
    entry = {
        "package": "pandas",
        "loader": loader,
        "title": "Table cassée",
        "citation": "Nobody (2026)",
        "licence": "CC0",
        "sha256": "0" * 64,
    }
    document = {"sources": {"broken": entry}}
    (root / "data" / "sources.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


@pytest.mark.parametrize("command", ["checksum", "import"])
@pytest.mark.parametrize(
    ("loader", "named"),
    [
        ("pandas:nonexistent", "'nonexistent'"),
        ("pandas", "'module:function'"),
        ("no_such_package_xyz:load", "'no_such_package_xyz'"),
        ("pandas:__version__", "'__version__'"),
    ],
)
def test_misspelt_loader_is_one_line(capsys, scratch_project, command, loader, named):
    """Class 6: a misspelt loader function in the registry printed a traceback."""
    _broken_registry(scratch_project, loader)
    err = _one_line_refusal(capsys, [command, "broken"])
    assert named in err and "'broken'" in err
    assert not (scratch_project / "data" / "raw" / "broken.parquet").exists()


def test_checksum_of_a_missing_partner_file_is_one_line(capsys, scratch_project):
    """A partner's file not pulled printed a FileNotFoundError traceback."""
    err = _one_line_refusal(capsys, ["checksum", "ar_suivi"])
    assert "'ar_suivi'" in err and "dvc pull" in err
