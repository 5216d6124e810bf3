"""`impact new-study`: refusals leave the tree untouched; edits keep comments; pages run."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

from impactlib.cli import commands as cli
from impactlib.cli import runner, scaffold
from impactlib.cli.scaffold import DESIGNS, ScaffoldError, add_study_to_params, add_study_to_toc
from impactlib.core import InputError
from impactlib.project import notebooks
from impactlib.project import sources as data
from impactlib.project.notebooks import read_notebook
from support.notebook_lint import ruff_notebooks

HEADINGS = [
    "# ",  # the title: any text
    "## Chiffres clés",
    "## L'innovation et le besoin auquel elle répond",
    "## La question évaluée",
    "## Le dispositif d'évaluation et ses hypothèses",
    "## Les données et leur provenance",
    "## Résultats",
    "## Robustesse",
    "## Coûts et efficience",
    "## Passage à l'échelle",
    "## Niveau de preuve",
    "## Limites",
    "## Références",
    "## Comment citer ce rapport",
]

PARAMS_YAML = """\
# Studies run by the pipeline: one DVC stage per entry.
studies:
  - emploi-nsw
  # a comment between items
  - emploi-autre

# Literature-review notes.
notes:
  - note-bcg

# Guide pages.
guide:
  - guide-did
"""

TOC_YML = """\
# Table of contents. Reports are grouped by theme.
format: jb-book
root: pages/intro
parts:
  - caption: Comparer les impacts
    chapters:
      - file: comparer
  - caption: "Rapports : inclusion dans l'emploi"
    chapters:
      - file: reports/emploi-nsw
      # the next report of this theme goes below
      - file: reports/emploi-autre

  - caption: Notes d'analyse
    chapters:
      - file: notes/note-bcg
  - caption: Guide des méthodes
    chapters:
      - file: guide/guide-did
"""

# Executing every design takes about 90 s on 2 cores (measured): two run by default.
FAST = ("rct", "cluster_rct")


@pytest.fixture(scope="session")
def raw_data(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checksummed raw data: the repository's, or imported once for a fresh clone."""
    if (repo_root / "data" / "raw").is_dir():
        return repo_root / "data" / "raw"
    root = tmp_path_factory.mktemp("imported")
    (root / "data").mkdir()
    shutil.copy(repo_root / "data" / "sources.yaml", root / "data" / "sources.yaml")
    data.import_sources(root)
    return root / "data" / "raw"


@pytest.fixture
def tree(tmp_path: Path, repo_root: Path, raw_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project: registry, raw data (linked), params.yaml and _toc.yml with comments."""
    root = tmp_path / "repo"
    for name in ("dvc.yaml", "pyproject.toml", "data/sources.yaml", "book/references.bib"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo_root / name, root / name)
    (root / "data" / "raw").symlink_to(raw_data, target_is_directory=True)
    (root / "params.yaml").write_text(PARAMS_YAML, encoding="utf-8")
    (root / "book" / "_toc.yml").write_text(TOC_YML, encoding="utf-8")
    for name in ("notebooks/studies", "notebooks/notes", "notebooks/guide", "params"):
        (root / name).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("IMPACT_ROOT", str(root))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "raw" not in p.relative_to(root).parts
    }


def markdown_headings(notebook) -> list[str]:
    return [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ") or line.startswith("## ")
    ]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["Emploi-x", "1emploi", "emploi--x", "emploi_x", "-emploi", "emploi-", "", "é-x", "a b"]
)
def test_a_bad_slug_is_refused_and_nothing_is_written(tree, bad):
    before = snapshot(tree)
    with pytest.raises(ScaffoldError, match="is not a valid identifier"):
        scaffold.new_study(bad, design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    ("study_id", "where"),
    [("emploi-nsw", "'studies'"), ("note-bcg", "'notes'"), ("guide-did", "'guide'")],
)
def test_an_id_declared_under_any_kind_is_refused(tree, study_id, where):
    before = snapshot(tree)
    with pytest.raises(
        ScaffoldError, match=f"already exists: params.yaml declares it under {where}"
    ):
        scaffold.new_study(study_id, design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    "existing",
    ["notebooks/studies/orphan.md", "notebooks/notes/orphan.md", "params/orphan.yaml"],
)
def test_an_id_with_existing_files_is_refused(tree, existing):
    (tree / existing).write_text("{}", encoding="utf-8")
    before = snapshot(tree)
    with pytest.raises(ScaffoldError, match=f"already exists: {re.escape(existing)}"):
        scaffold.new_study("orphan", design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == before


def test_unknown_design_and_theme_are_refused(tree):
    before = snapshot(tree)
    with pytest.raises(ScaffoldError, match="unknown design 'iv': choose one of rct, cluster_rct"):
        scaffold.new_study("emploi-new", design="iv", theme="emploi", root=tree)
    with pytest.raises(ScaffoldError, match="unknown theme 'sante': choose one of autonomie"):
        scaffold.new_study("emploi-new", design="rct", theme="sante", root=tree)
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Bad_Id", "--design", "rct", "--theme", "emploi"], "is not a valid identifier"),
        (["emploi-nsw", "--design", "rct", "--theme", "emploi"], "already exists"),
        (["emploi-x", "--design", "iv", "--theme", "emploi"], "unknown design 'iv'"),
        (["emploi-x", "--design", "rct", "--theme", "sante"], "unknown theme 'sante'"),
    ],
)
def test_cli_refusals_exit_with_code_2(tree, capsys, argv, message):
    before = snapshot(tree)
    assert cli.main(["new-study", *argv]) == 2
    assert message in capsys.readouterr().err
    assert snapshot(tree) == before


def test_a_failed_write_puts_everything_back(tree, monkeypatch):
    before = snapshot(tree)
    real = scaffold.atomic_path
    calls = []

    def failing(path):
        calls.append(path)
        if len(calls) == 4:  # the last file: _toc.yml
            raise OSError("disk full")
        return real(path)

    monkeypatch.setattr(scaffold, "atomic_path", failing)
    with pytest.raises(OSError, match="disk full"):
        scaffold.new_study("emploi-new", design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == before


# --- edits of params.yaml and _toc.yml --------------------------------------------------------


def test_cli_creates_the_four_files_and_keeps_comments(tree, capsys):
    assert cli.main(["new-study", "emploi-new", "--design", "did", "--theme", "emploi"]) == 0
    out = capsys.readouterr().out
    for path in ("notebooks/studies/emploi-new.md", "params/emploi-new.yaml", "params.yaml"):
        assert f"wrote {path}" in out
    params_text = (tree / "params.yaml").read_text(encoding="utf-8")
    # The original text, with exactly one line added after the last study.
    assert params_text == PARAMS_YAML.replace(
        "  - emploi-autre\n", "  - emploi-autre\n  - emploi-new\n"
    )
    assert notebooks.declared_studies(tree) == ["emploi-nsw", "emploi-autre", "emploi-new"]
    toc_text = (tree / "book" / "_toc.yml").read_text(encoding="utf-8")
    assert toc_text == TOC_YML.replace(
        "      - file: reports/emploi-autre\n",
        "      - file: reports/emploi-autre\n      - file: reports/emploi-new\n",
    )


def test_a_new_theme_gets_its_part_before_the_notes(tree):
    scaffold.new_study("autonomie-essai", design="rct", theme="autonomie", root=tree)
    toc_text = (tree / "book" / "_toc.yml").read_text(encoding="utf-8")
    for line in TOC_YML.splitlines():  # comments and layout are kept
        assert line in toc_text
    parts = yaml.safe_load(toc_text)["parts"]
    assert [p["caption"] for p in parts] == [
        "Comparer les impacts",
        "Rapports : inclusion dans l'emploi",
        "Rapports : prévention de la perte d'autonomie",
        "Notes d'analyse",
        "Guide des méthodes",
    ]
    assert parts[2]["chapters"] == [{"file": "reports/autonomie-essai"}]
    # A second study of the theme joins the same part.
    scaffold.new_study("autonomie-deux", design="rd", theme="autonomie", root=tree)
    parts = yaml.safe_load((tree / "book" / "_toc.yml").read_text(encoding="utf-8"))["parts"]
    assert parts[2]["chapters"] == [
        {"file": "reports/autonomie-essai"},
        {"file": "reports/autonomie-deux"},
    ]
    assert len(parts) == 5


def test_the_live_toc_and_params_can_be_edited(repo_root):
    # The real files (read only): the edit parses and adds exactly one entry.
    params_text = (repo_root / "params.yaml").read_text(encoding="utf-8")
    edited = yaml.safe_load(add_study_to_params(params_text, "zz-test"))
    assert edited["studies"][-1] == "zz-test"
    toc_text = (repo_root / "book" / "_toc.yml").read_text(encoding="utf-8")
    for theme in scaffold.THEMES:
        parts = yaml.safe_load(add_study_to_toc(toc_text, "zz-test", theme))["parts"]
        files = [c.get("file") for p in parts for c in p.get("chapters", [])]
        assert files.count("reports/zz-test") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("studies:\n", "studies:\n  - new-one\n"),
        ("studies: []\nnotes: []\n", "studies:\n  - new-one\nnotes: []\n"),
        ("# only notes\nnotes:\n  - a\n", "# only notes\nnotes:\n  - a\nstudies:\n  - new-one\n"),
        (
            "studies:\n- a\n- b  # last\nnotes:\n- c\n",
            "studies:\n- a\n- b  # last\n- new-one\nnotes:\n- c\n",
        ),
    ],
)
def test_params_edit_cases(text, expected):
    assert add_study_to_params(text, "new-one") == expected


def test_flow_style_studies_are_refused():
    with pytest.raises(ScaffoldError, match="flow style"):
        add_study_to_params("studies: [a, b]\n", "new-one")


# --- the notebooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("design", DESIGNS)
def test_each_design_follows_the_report_template(tree, repo_root, design):
    study_id = f"emploi-{design.replace('_', '-')}"
    created = scaffold.new_study(study_id, design=design, theme="emploi", root=tree)
    notebook = read_notebook(created.notebook)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec == scaffold.KERNELSPEC
    headings = markdown_headings(notebook)
    assert len(headings) == len(HEADINGS)
    assert headings[0].startswith("# ") and scaffold.DESIGN_CELLS[design].label in headings[0]
    assert headings[1:] == HEADINGS[1:]
    assert all(c.get("outputs", []) == [] for c in notebook.cells if c.cell_type == "code")
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and notebook.cells.index(tagged[0]) == 1
    # Every parameter of params/<id>.yaml is declared in the notebook, and nothing more.
    values = yaml.safe_load(created.params.read_text(encoding="utf-8"))
    declared = papermill.inspect_notebook(read_notebook(created.notebook))
    assert set(declared) == set(values) | {"study_id"}
    assert values["cost_source"] == "hypothèse de travail à remplacer"
    assert values["theme"] == "emploi"
    runner.check_parameters(created.notebook, {**values, "study_id": study_id})
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "[À compléter" in text and "{bibliography}" not in text
    keys = set(re.findall(r"\{cite:[pt]\}`([^`]+)`", text))
    bib = (repo_root / "book" / "references.bib").read_text(encoding="utf-8")
    assert keys and all(f"{{{key}," in bib for key in keys), keys
    # The params file comments every key.
    lines = created.params.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[a-z_]+:", line):
            assert lines[index - 1].startswith("#"), line


def test_shared_code_is_declared_once(repo_root):
    # What the skeleton writes for every design must not be written again by a design: a
    # parameter declared twice would be silently overridden, an import twice is noise.
    common = scaffold.merge_imports(scaffold.COMMON_IMPORTS).splitlines()
    for design in DESIGNS:
        cells = scaffold.DESIGN_CELLS[design]
        names = [p.name for p in scaffold.parameters("x", design=design, theme="emploi", title="t")]
        assert len(names) == len(set(names)), design
        own = [line for line in cells.imports.splitlines() if line and line in common]
        assert own == [], (design, own)
        assert "grade_design" not in cells.compute, design
        if cells.frame is not None:
            assert "data.load(source)" not in cells.compute, design
        # The common first lines of the computation come first, the design's code after.
        compute = scaffold.compute_cell(cells)
        assert compute.startswith("# ") and compute.endswith(cells.compute)


def test_merge_imports_sorts_and_deduplicates_as_ruff_does():
    merged = scaffold.merge_imports(
        "import pandas as pd\nfrom IPython.display import Markdown, display\n\n"
        "from impactlib import data, report",
        "import numpy as np\nfrom IPython.display import HTML\nfrom impactlib import simulate",
        "from impactlib.weighting import (\n    compare_estimators,\n    ipw_weights,\n)",
    )
    assert merged == (
        "import numpy as np\n"
        "import pandas as pd\n"
        "from IPython.display import HTML, Markdown, display\n"
        "\n"
        "from impactlib import data, report, simulate\n"
        "from impactlib.weighting import compare_estimators, ipw_weights"
    )
    long_names = ", ".join(f"function_number_{i}" for i in range(6))
    wrapped = scaffold.merge_imports(f"from impactlib.module import {long_names}")
    assert wrapped.splitlines()[0] == "from impactlib.module import ("
    assert wrapped.splitlines()[1:] == [f"    function_number_{i}," for i in range(6)] + [")"]
    with pytest.raises(ScaffoldError, match="not an import statement: 'x = 1'"):
        scaffold.merge_imports("import os\nx = 1")


def test_the_same_command_writes_the_same_files(tree, tmp_path):
    first = scaffold.new_study("emploi-a", design="synthetic_control", theme="emploi", root=tree)
    data = first.notebook.read_bytes()
    first.notebook.unlink()
    first.params.unlink()
    (tree / "params.yaml").write_text(PARAMS_YAML, encoding="utf-8")
    (tree / "book" / "_toc.yml").write_text(TOC_YML, encoding="utf-8")
    again = scaffold.new_study("emploi-a", design="synthetic_control", theme="emploi", root=tree)
    assert again.notebook.read_bytes() == data


def test_generated_cells_pass_ruff(tree):
    paths = [
        scaffold.new_study(
            f"emploi-{design.replace('_', '-')}", design=design, theme="emploi", root=tree
        ).notebook
        for design in DESIGNS
    ]
    result = ruff_notebooks(paths)
    assert result.returncode == 0, result.stdout


def glued_names(notebook) -> set[str]:
    return {
        output.get("metadata", {}).get("scrapbook", {}).get("name")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    } - {None}


@pytest.mark.parametrize(
    "design", [d if d in FAST else pytest.param(d, marks=pytest.mark.slow) for d in DESIGNS]
)
def test_a_new_study_runs_out_of_the_box(tree, monkeypatch, design):
    study_id = f"emploi-{design.replace('_', '-')}"
    scaffold.new_study(study_id, design=design, theme="emploi", root=tree)
    monkeypatch.chdir(tree)  # papermill reads paths from the root, as under DVC
    executed = nbformat.read(runner.run_notebook(study_id, tree), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "ename" in o]
    assert errors == []
    references = {
        name
        for cell in executed.cells
        if cell.cell_type == "markdown"
        for name in re.findall(r"\{glue:text\}`([^`]+)`", cell.source)
    }
    assert references <= glued_names(executed), references - glued_names(executed)
    payload = json.loads((tree / "results" / study_id / "estimates.json").read_text())
    assert "headline" in payload["estimates"]
    block = payload["comparison"]
    assert block["theme"] == "emploi" and block["cost_source"] == "hypothèse de travail à remplacer"
    assert block["simulated"] is (design == "cluster_rct")
    figures = list((tree / "results" / study_id / "figures").glob("*.png"))
    assert figures
    if design == "cluster_rct":
        shown = json.dumps(
            [c.outputs for c in executed.cells if c.cell_type == "code"], ensure_ascii=False
        )
        assert "Données simulées" in shown


def test_the_citation_entry_is_added_when_the_book_has_citation_metadata(tree, repo_root):
    source = repo_root / "book" / "citation.yaml"
    if not source.is_file():
        pytest.skip("no book/citation.yaml in this checkout")
    text = source.read_text(encoding="utf-8")
    (tree / "book" / "citation.yaml").write_text(text, encoding="utf-8")
    created = scaffold.new_study(
        "emploi-cite",
        design="rct",
        theme="emploi",
        title='Un titre "cité"',
        root=tree,
        date=datetime.date(2026, 12, 1),
    )
    assert created.citation == tree / "book" / "citation.yaml"
    updated = created.citation.read_text(encoding="utf-8")
    assert updated.startswith(text.rstrip("\n"))  # comments and entries kept
    entry = yaml.safe_load(updated)["pages"]["emploi-cite"]
    assert entry == {"title": 'Un titre "cité"', "date": datetime.date(2026, 12, 1), "doi": ""}
    # An id with a citation entry but nothing else is refused before anything is written.
    before = snapshot(tree)
    (tree / "notebooks" / "studies" / "emploi-cite.md").unlink()
    (tree / "params" / "emploi-cite.yaml").unlink()
    (tree / "params.yaml").write_text(PARAMS_YAML, encoding="utf-8")
    middle = snapshot(tree)
    with pytest.raises(InputError, match="already has an entry"):
        scaffold.new_study("emploi-cite", design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == middle != before
