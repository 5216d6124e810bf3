"""`impact new-study` and the report templates it copies.

The command: refusals leave the tree untouched; edits keep comments; a failed write puts
everything back; a new study runs out of the box. The templates
(``notebooks/templates/<design>.md`` and ``.yaml``): one per design of TEMPLATE_DESIGNS,
their parameters cell and params file agree, the common sections are the same text in
every template, their code passes ruff and they run on their reference data.
"""

from __future__ import annotations

import ast
import datetime
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
import statsmodels.api as sm
import yaml

from impactlib.appraisal import THEMES
from impactlib.cli import commands as cli
from impactlib.cli import runner, scaffold
from impactlib.cli.scaffold import ScaffoldError
from impactlib.cli.study_entries import add_study_to_params, add_study_to_toc
from impactlib.core import InputError
from impactlib.core.designs import TEMPLATE_DESIGNS
from impactlib.project import notebooks
from impactlib.project import sources as data
from impactlib.project.notebooks import read_notebook, write_notebook
from support.notebook_lint import ruff_notebooks

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "notebooks" / "templates"

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
#: Sections whose text is the same in every template (a later edit applies to all seven).
COMMON_SECTIONS = [HEADINGS[i] for i in (1, 2, 3, 8, 9, 10, 13)]
#: Code cells that are the same in every template, by their first line.
COMMON_CELLS = [
    "# Common to every report: level of evidence, costs and scale-up (impactlib.appraisal).",
    'report.french_table(provenance_table(used_sources), "provenance")',
    "report.french_table(\n    report.estimates_table({headline_label: headline}",
    'shown = {"headline": headline, **estimates}',
    "Markdown(appraisal.reasons_markdown())",
    "write_estimates(",
]
#: Paragraphs of the design's own sections that are the same in every template.
COMMON_PARAGRAPHS = [
    "*Rapport d'évaluation d'impact — thème **{glue:text}`theme_label`***",
    "[À compléter : résumé en un paragraphe",
    "[À compléter : les données de l'innovation évaluée",
    "Échantillon analysé : {glue:text}`sample_description`.",
    "- [À compléter : les autres limites de l'étude.]",
    "- {cite:t}`guyatt2008`\n- [À compléter : les références propres à l'innovation",
    "report.set_theme()\nfigure_folder = figures_dir(study_id)  # results/<study_id>/figures\n",
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

# The book's money (impactlib.appraisal.money_basis).
appraisal:
  currency: EUR
  base_year: 2017
  discount_rate: 0.032
  discount_rate_range: [0.012, 0.052]
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
BY_SPEED = [d if d in FAST else pytest.param(d, marks=pytest.mark.slow) for d in TEMPLATE_DESIGNS]


@pytest.fixture(scope="session")
def raw_data(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checksummed raw data: the repository's, or imported once for a fresh clone."""
    if (repo_root / "data" / "raw").is_dir():
        return repo_root / "data" / "raw"
    root = tmp_path_factory.mktemp("imported")
    (root / "data").mkdir()
    shutil.copy(repo_root / "data" / "sources.yaml", root / "data" / "sources.yaml")
    registry = data.read_registry(root / "data" / "sources.yaml")
    # The package sources; partners' files are not in a clone (git does not hold them).
    packages = [name for name, s in registry.items() if not isinstance(s, data.FileSource)]
    data.import_sources(root, packages)
    return root / "data" / "raw"


@pytest.fixture
def tree(tmp_path: Path, repo_root: Path, raw_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project: registry, raw data (linked), the report templates, params.yaml and
    _toc.yml with comments."""
    root = tmp_path / "repo"
    templates = [
        f"notebooks/templates/{d}{ext}" for d in TEMPLATE_DESIGNS for ext in (".md", ".yaml")
    ]
    references = ["data/reference/prices.yaml", "data/reference/values.yaml"]
    for name in ("dvc.yaml", "pyproject.toml", "data/sources.yaml", *templates, *references):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo_root / name, root / name)
    (root / "data" / "raw").symlink_to(raw_data, target_is_directory=True)
    (root / "params.yaml").write_text(PARAMS_YAML, encoding="utf-8")
    (root / "book").mkdir()
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


def parameters_cell(notebook):
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return cell


def cell_values(notebook) -> dict:
    """The values of the parameters cell (literals only)."""
    namespace: dict = {}
    exec(parameters_cell(notebook).source, namespace)
    return {k: v for k, v in namespace.items() if k != "__builtins__"}


def glued_names(notebook) -> set[str]:
    return {
        output.get("metadata", {}).get("scrapbook", {}).get("name")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    } - {None}


def check_executed(executed, results: Path, *, simulated: bool) -> None:
    """No error, every glue reference glued, estimates.json and a figure written."""
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "ename" in o]
    assert errors == []
    references = {
        name
        for cell in executed.cells
        if cell.cell_type == "markdown"
        for name in re.findall(r"\{glue:text\}`([^`]+)`", cell.source)
    }
    assert references <= glued_names(executed), references - glued_names(executed)
    payload = json.loads((results / "estimates.json").read_text(encoding="utf-8"))
    assert "headline" in payload["estimates"]
    block = payload["comparison"]
    assert block["cost_source"] == "hypothèse de travail à remplacer"
    assert block["simulated"] is simulated
    assert list((results / "figures").glob("*.png"))
    if simulated:
        shown = json.dumps(
            [c.outputs for c in executed.cells if c.cell_type == "code"], ensure_ascii=False
        )
        assert "Données simulées" in shown


# --- the templates ----------------------------------------------------------------------------


def test_every_design_with_a_template_has_its_notebook_and_params():
    assert TEMPLATE_DESIGNS == (
        "rct",
        "cluster_rct",
        "did",
        "staggered_did",
        "synthetic_control",
        "rd",
        "weighting",
    )
    for design in TEMPLATE_DESIGNS:
        assert (TEMPLATES / f"{design}.md").is_file(), design
        assert (TEMPLATES / f"{design}.yaml").is_file(), design


@pytest.mark.parametrize("design", TEMPLATE_DESIGNS)
def test_a_template_declares_exactly_the_parameters_of_its_yaml(design):
    path = TEMPLATES / f"{design}.md"
    notebook = read_notebook(path)
    values = yaml.safe_load((TEMPLATES / f"{design}.yaml").read_text(encoding="utf-8"))
    declared = papermill.inspect_notebook(notebook)
    # study_id is the notebook's own: `impact run` injects it, no params file holds it;
    # `sources` is the runner's (the sources the notebook may load), not a parameter.
    assert set(declared) == {*values, "study_id"} - {"sources"}
    template = scaffold.read_template(design, ROOT)
    assert template.values["study_id"] == f"gabarit-{design.replace('_', '-')}"
    values.pop("sources", None)
    assert {k: template.values[k] for k in values} == values  # the same defaults
    assert markdown_headings(notebook)[0] == f"# {values['title']}"
    assert notebook.cells.index(parameters_cell(notebook)) == 1
    assert notebook.metadata.kernelspec.name == "python3"
    # The params file comments every key.
    lines = (TEMPLATES / f"{design}.yaml").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[a-z_]+:", line):
            assert lines[index - 1].startswith("#"), line


@pytest.mark.parametrize("design", TEMPLATE_DESIGNS)
def test_a_template_follows_the_report_outline_and_cites_known_references(design, repo_root):
    notebook = read_notebook(TEMPLATES / f"{design}.md")
    headings = markdown_headings(notebook)
    assert headings[0].startswith("# ") and headings[1:] == HEADINGS[1:]
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "[À compléter" in text and "{bibliography}" not in text
    study_id = f"gabarit-{design.replace('_', '-')}"
    assert study_id not in "\n".join(text.splitlines()[1:])  # only the title names the id
    keys = set(re.findall(r"\{cite:[pt]\}`([^`]+)`", text))
    bib = (repo_root / "book" / "references.bib").read_text(encoding="utf-8")
    assert keys and all(f"{{{key}," in bib for key in keys), keys


def test_templates_are_kept_as_write_notebook_writes_them(tmp_path):
    for design in TEMPLATE_DESIGNS:
        copy = tmp_path / f"{design}.md"
        write_notebook(read_notebook(TEMPLATES / f"{design}.md"), copy)
        assert copy.read_text(encoding="utf-8") == (TEMPLATES / f"{design}.md").read_text(
            encoding="utf-8"
        ), design


def test_the_common_sections_are_the_same_text_in_every_template():
    def common(design: str) -> tuple[dict[str, str], dict[str, str], str]:
        cells = read_notebook(TEMPLATES / f"{design}.md").cells
        sections = {
            h: c.source for c in cells for h in COMMON_SECTIONS if c.source.startswith(h + "\n")
        }
        code = {
            first: c.source
            for c in cells
            if c.cell_type == "code"
            for first in COMMON_CELLS
            if c.source.startswith(first)
        }
        return sections, code, "\n\n".join(c.source for c in cells)

    reference_sections, reference_code, _ = common("rct")
    assert set(reference_sections) == set(COMMON_SECTIONS)
    assert set(reference_code) == set(COMMON_CELLS)
    for design in TEMPLATE_DESIGNS:
        sections, code, text = common(design)
        assert sections == reference_sections, design
        assert code == reference_code, design
        for paragraph in COMMON_PARAGRAPHS:
            assert paragraph in text, (design, paragraph)


def test_a_template_leaves_room_under_the_limit_of_study_code_lines():
    # A new study starts as its template: it must start within ARCHITECTURE.md's 250 lines.
    for design in TEMPLATE_DESIGNS:
        cells = read_notebook(TEMPLATES / f"{design}.md").cells
        code = [line for c in cells if c.cell_type == "code" for line in c.source.splitlines()]
        assert len([line for line in code if line.strip()]) <= 250, design


def test_the_templates_pass_ruff():
    result = ruff_notebooks([TEMPLATES / f"{design}.md" for design in TEMPLATE_DESIGNS])
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("design", BY_SPEED)
def test_a_template_runs_on_its_reference_data(tree, monkeypatch, design):
    template = tree / "notebooks" / "templates" / f"{design}.md"
    values = yaml.safe_load(template.with_suffix(".yaml").read_text(encoding="utf-8"))
    study_id = scaffold.read_template(design, tree).values["study_id"]
    monkeypatch.chdir(tree)  # papermill reads paths from the root, as under DVC
    target = tree / "book" / "templates" / f"{design}.ipynb"
    executed = nbformat.read(runner.execute(template, target, values, tree), as_version=4)
    check_executed(executed, tree / "results" / study_id, simulated=design == "cluster_rct")
    if design == "rct":  # NSW: the difference in means of 1 794 dollars, errors not clustered
        payload = json.loads((tree / "results" / study_id / "estimates.json").read_text())
        headline = payload["comparison"]["headline"]
        assert round(headline["value"], 2) == 1794.34 and headline["n_clusters"] is None
        assert "ne sont pas groupées" in glued_texts(executed)["errors"]


def glued_texts(executed) -> dict[str, str]:
    """The text glued by an executed notebook, by name."""
    texts = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            record = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and record is not None:
                texts[name] = ast.literal_eval(record)
    return texts


def test_the_rct_template_recodes_a_text_treatment_and_clusters_its_errors(tree, monkeypatch):
    # JOBS II (a registered source): job seekers randomised one by one; `control` codes the
    # arm as text ("treat"/"control"); the errors are clustered by occupational group
    # (`occp`, 7 groups with both arms in each), standing for a partner's sites or agencies.
    template = tree / "notebooks" / "templates" / "rct.md"
    values = yaml.safe_load(template.with_suffix(".yaml").read_text(encoding="utf-8"))
    values |= {
        "source": "jobs",
        "sources": ["jobs"],
        "outcome": "depress2",
        "treatment": "control",
        "treated_value": "treat",
        "cluster": "occp",
        "covariates": ["depress1", "econ_hard", "sex", "age"],
        "outcome_label": "Score de dépression au suivi (1 à 5)",
        "effect_unit": "point(s) de score",
        "decimals": 2,
        "higher_is_better": False,
    }
    monkeypatch.chdir(tree)
    target = tree / "book" / "templates" / "rct-clustered.ipynb"
    executed = nbformat.read(runner.execute(template, target, values, tree), as_version=4)
    results = tree / "results" / "gabarit-rct"
    check_executed(executed, results, simulated=False)
    payload = json.loads((results / "estimates.json").read_text(encoding="utf-8"))
    jobs = data.load("jobs", root=tree)
    treated = (jobs["control"] == "treat").astype(float)
    # Independently: OLS of the outcome on the arm with statsmodels' CR1 errors by group.
    fit = sm.OLS(jobs["depress2"], sm.add_constant(treated)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(jobs["occp"])[0]}
    )
    headline = payload["comparison"]["headline"]
    # The results file holds 10 significant digits: a relative error up to 5e-10.
    assert headline["value"] == pytest.approx(fit.params["control"], rel=1e-9)
    assert headline["std_error"] == pytest.approx(fit.bse["control"], rel=1e-9)
    assert (headline["n_treated"], headline["n_control"]) == (600, 299)
    assert (headline["n_clusters"], headline["extra"]["df"]) == (7, 6.0)
    assert headline["design"] == "rct"  # randomised one by one, not by group
    for key in ("headline", "adjusted", "trimmed"):  # every estimate of the page clusters
        estimate = payload["estimates"][key]
        assert estimate["extra"]["cluster"] == "occp" and estimate["n_clusters"] == 7, key
        assert estimate["method"].endswith("CR1 cluster-robust standard errors"), key
    texts = glued_texts(executed)
    assert texts["errors"].startswith("Les erreurs types sont groupées par « occp » (7 groupes)")
    assert "Student à 6 degrés de liberté" in texts["errors"]
    assert texts["balance_p"] == "Les p-valeurs tiennent compte du regroupement par « occp »."
    assert texts["robustness_errors"].endswith("groupées par « occp » (7 groupes).")
    shown = json.dumps(
        [c.outputs for c in executed.cells if c.cell_type == "code"], ensure_ascii=False
    )
    assert "p (erreurs groupées par occp)" in shown and "p (Welch)" not in shown


# --- refusals ---------------------------------------------------------------------------------


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
    with pytest.raises(ScaffoldError, match="unknown design 'xyz': choose one of rct, cluster_rct"):
        scaffold.new_study("emploi-new", design="xyz", theme="emploi", root=tree)
    with pytest.raises(
        ScaffoldError,
        match=r"design 'iv' \(variables instrumentales\) has no report template: choose one of",
    ):
        scaffold.new_study("emploi-new", design="iv", theme="emploi", root=tree)
    with pytest.raises(ScaffoldError, match="unknown theme 'sante': choose one of autonomie"):
        scaffold.new_study("emploi-new", design="rct", theme="sante", root=tree)
    assert snapshot(tree) == before


@pytest.mark.parametrize("ext", [".md", ".yaml"])
def test_a_design_without_its_template_file_is_refused(tree, ext):
    (tree / "notebooks" / "templates" / f"rd{ext}").unlink()
    before = snapshot(tree)
    with pytest.raises(
        ScaffoldError,
        match=f"no report template for design 'rd': notebooks/templates/rd{re.escape(ext)} is "
        "missing",
    ):
        scaffold.new_study("emploi-new", design="rd", theme="emploi", root=tree)
    assert snapshot(tree) == before


def test_a_template_whose_notebook_and_params_disagree_is_refused(tree):
    params = tree / "notebooks" / "templates" / "rct.yaml"
    params.write_text(params.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    before = snapshot(tree)
    with pytest.raises(ScaffoldError, match=r"only in the params file \['extra'\]"):
        scaffold.new_study("emploi-new", design="rct", theme="emploi", root=tree)
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Bad_Id", "--design", "rct", "--theme", "emploi"], "is not a valid identifier"),
        (["emploi-nsw", "--design", "rct", "--theme", "emploi"], "already exists"),
        (["emploi-x", "--design", "xyz", "--theme", "emploi"], "unknown design 'xyz'"),
        (["emploi-x", "--design", "iv", "--theme", "emploi"], "has no report template"),
        (["emploi-x", "--design", "rct", "--theme", "sante"], "unknown theme 'sante'"),
    ],
)
def test_cli_refusals_exit_with_code_2(tree, capsys, argv, message):
    before = snapshot(tree)
    assert cli.main(["new-study", *argv]) == 2
    assert message in capsys.readouterr().err
    assert snapshot(tree) == before


def test_a_bad_title_is_refused(tree):
    before = snapshot(tree)
    for title in ("", "  ", "two\nlines"):
        with pytest.raises(ScaffoldError, match="title must be a non-empty single line"):
            scaffold.new_study("emploi-new", design="rct", theme="emploi", title=title, root=tree)
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
    # The real files (read only): the edit parses and adds exactly one entry, and every
    # theme's part is the live one (its caption is the theme's label in lower case).
    params_text = (repo_root / "params.yaml").read_text(encoding="utf-8")
    edited = yaml.safe_load(add_study_to_params(params_text, "zz-test"))
    assert edited["studies"][-1] == "zz-test"
    toc_text = (repo_root / "book" / "_toc.yml").read_text(encoding="utf-8")
    parts = len(yaml.safe_load(toc_text)["parts"])
    for theme in THEMES:
        edited = yaml.safe_load(add_study_to_toc(toc_text, "zz-test", theme))["parts"]
        files = [c.get("file") for p in edited for c in p.get("chapters", [])]
        assert files.count("reports/zz-test") == 1
        assert len(edited) == parts, theme


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


# --- the new study ----------------------------------------------------------------------------


@pytest.mark.parametrize("design", TEMPLATE_DESIGNS)
def test_a_new_study_is_its_template_with_its_own_id_title_theme_and_seed(tree, design):
    study_id = f"autonomie-{design.replace('_', '-')}"
    created = scaffold.new_study(study_id, design=design, theme="autonomie", root=tree)
    template_path = tree / "notebooks" / "templates" / f"{design}.md"
    template, study = read_notebook(template_path), read_notebook(created.notebook)
    nbformat.validate(study)
    values = yaml.safe_load(created.params.read_text(encoding="utf-8"))
    defaults = yaml.safe_load(template_path.with_suffix(".yaml").read_text(encoding="utf-8"))
    changed = {
        "title": defaults["title"].replace(f"gabarit-{design.replace('_', '-')}", study_id),
        "theme": "autonomie",
        "seed": scaffold._seed(study_id),
    }
    assert values == {**defaults, **changed} and changed["seed"] != defaults["seed"]
    assert created.title == changed["title"] and study_id in created.title
    assert values.pop("sources") == defaults["sources"]  # the runner's, not the notebook's
    assert cell_values(study) == {**values, "study_id": study_id}
    runner.check_parameters(created.notebook, {**values, "study_id": study_id})
    # Everything else is the template's: cells, tags, prose and code.
    assert len(study.cells) == len(template.cells)
    for new, old in zip(study.cells, template.cells, strict=True):
        assert (new.cell_type, new.metadata) == (old.cell_type, old.metadata)
        if new is study.cells[0]:
            assert new.source.splitlines()[0] == f"# {created.title}"
            assert new.source.splitlines()[1:] == old.source.splitlines()[1:]
        elif new is not parameters_cell(study):
            assert new.source == old.source
    old_lines = parameters_cell(template).source.splitlines()
    new_lines = parameters_cell(study).source.splitlines()
    differ = {a.split(" = ")[0] for a, b in zip(old_lines, new_lines, strict=True) if a != b}
    assert differ == {"study_id", "title", "theme", "seed"}
    # The params file keeps the template's comments and layout.
    template_yaml = template_path.with_suffix(".yaml").read_text(encoding="utf-8").splitlines()
    params_lines = created.params.read_text(encoding="utf-8").splitlines()
    differ = {a.split(":")[0] for a, b in zip(template_yaml, params_lines, strict=True) if a != b}
    assert differ == {"title", "theme", "seed"}


def test_a_new_rct_study_carries_the_treated_value_and_the_cluster_with_comments(tree):
    created = scaffold.new_study("emploi-agences", design="rct", theme="emploi", root=tree)
    lines = created.params.read_text(encoding="utf-8").splitlines()
    values = yaml.safe_load("\n".join(lines))
    assert (values["treatment"], values["treated_value"], values["cluster"]) == ("treat", 1, None)
    for key, words in (("treated_value", "assigned to the innovation"), ("cluster", "null")):
        (index,) = [i for i, line in enumerate(lines) if line.startswith(f"{key}:")]
        comment = " ".join(line for line in lines[index - 3 : index] if line.startswith("#"))
        assert words in comment, key
    cell = cell_values(read_notebook(created.notebook))
    assert (cell["treated_value"], cell["cluster"]) == (1, None)


def test_a_given_title_goes_everywhere_it_belongs(tree):
    title = 'Le programme "Tremplin" : une évaluation'
    created = scaffold.new_study(
        "emploi-tremplin", design="rct", theme="emploi", title=title, root=tree
    )
    study = read_notebook(created.notebook)
    assert markdown_headings(study)[0] == f"# {title}"
    assert yaml.safe_load(created.params.read_text(encoding="utf-8"))["title"] == title
    assert cell_values(study)["title"] == title


def test_the_same_command_writes_the_same_files(tree):
    first = scaffold.new_study("emploi-a", design="synthetic_control", theme="emploi", root=tree)
    written = {path: path.read_bytes() for path in first.written}
    first.notebook.unlink()
    first.params.unlink()
    (tree / "params.yaml").write_text(PARAMS_YAML, encoding="utf-8")
    (tree / "book" / "_toc.yml").write_text(TOC_YML, encoding="utf-8")
    again = scaffold.new_study("emploi-a", design="synthetic_control", theme="emploi", root=tree)
    assert {path: path.read_bytes() for path in again.written} == written


def test_new_studies_pass_ruff(tree):
    paths = [
        scaffold.new_study(
            f"emploi-{design.replace('_', '-')}", design=design, theme="emploi", root=tree
        ).notebook
        for design in TEMPLATE_DESIGNS
    ]
    result = ruff_notebooks(paths)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("design", BY_SPEED)
def test_a_new_study_runs_out_of_the_box(tree, monkeypatch, design):
    study_id = f"emploi-{design.replace('_', '-')}"
    scaffold.new_study(study_id, design=design, theme="emploi", root=tree)
    monkeypatch.chdir(tree)  # papermill reads paths from the root, as under DVC
    executed = nbformat.read(runner.run_notebook(study_id, tree), as_version=4)
    results = tree / "results" / study_id
    check_executed(executed, results, simulated=design == "cluster_rct")
    block = json.loads((results / "estimates.json").read_text(encoding="utf-8"))["comparison"]
    assert block["theme"] == "emploi" and block["title"].endswith(
        f"{study_id} [À compléter : titre]"
    )


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
