"""``impact new-study``: a new evaluation report, copied from its design's template.

Each design of :data:`impactlib.core.designs.TEMPLATE_DESIGNS` has a report template, a
notebook that runs as is on the design's reference data: ``notebooks/templates/<design>.md``
(the 14 headings of every report, the design's computation, checks, figure and robustness
table, ``[À compléter : ...]`` where the partner must write) and its parameters,
``notebooks/templates/<design>.yaml`` (every parameter, commented). :func:`new_study`
writes, for a study ``<id>`` of a given design and theme:

- ``notebooks/studies/<id>.md``: the template, with the study's ``study_id``, ``title``,
  ``theme`` and ``seed`` in its ``parameters`` cell and its title as first heading;
- ``params/<id>.yaml``: the template's parameters, with the same ``title``, ``theme`` and
  ``seed`` (comments and layout kept);
- its entry in ``params.yaml`` (``studies:``), so that ``dvc repro`` runs it;
- its page in ``book/_toc.yml``, in the part of its theme (created if missing);
- its citation entry in ``book/citation.yaml`` (title, date, no DOI yet), when that file
  exists (:func:`impactlib.publish.citation.add_page_entry`).

Everything is checked before anything is written: a refusal (:class:`ScaffoldError`)
leaves the tree as it was, and a failed write puts back what was already written.
``params.yaml``, ``_toc.yml`` and the parameters are edited as text, keeping their comments
and layout, and re-parsed to check that the edit did exactly what it should.
"""

from __future__ import annotations

import ast
import datetime
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import yaml

from impactlib.appraisal.comparison import THEMES
from impactlib.cli.study_entries import (
    ScaffoldError,
    add_study_to_params,
    add_study_to_toc,
)
from impactlib.core.designs import DESIGNS, TEMPLATE_DESIGNS
from impactlib.project.atomic import atomic_path
from impactlib.project.inputs import SOURCES_KEY
from impactlib.project.notebooks import NOTEBOOK_FORMAT, NOTEBOOK_SUFFIX
from impactlib.project.paths import project_root

TEMPLATES_DIR = Path("notebooks") / "templates"
#: Parameters a new study sets in both its notebook and its params file (``seed`` only when
#: the template has one); ``study_id`` is set in the notebook, ``impact run`` injects it.
SET_PARAMETERS = ("title", "theme", "seed")
#: Lowercase letters, digits and single hyphens, starting with a letter.
STUDY_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class NewStudy:
    """What :func:`new_study` wrote."""

    study_id: str
    design: str
    theme: str
    title: str
    notebook: Path
    params: Path
    params_yaml: Path
    toc: Path
    citation: Path | None = None

    @property
    def written(self) -> tuple[Path, ...]:
        paths = (self.notebook, self.params, self.params_yaml, self.toc, self.citation)
        return tuple(p for p in paths if p is not None)


@dataclass(frozen=True)
class Template:
    """The report template of a design, read and checked: its text and parameters."""

    design: str
    notebook: Path
    params: Path
    notebook_text: str
    params_text: str
    values: dict[str, Any]  # the parameters cell's values, ``study_id`` included


def _seed(study_id: str) -> int:
    """A fixed seed per study, so that two new studies do not share their draws."""
    return zlib.crc32(study_id.encode("utf-8")) % 100_000_000


# --- the templates ----------------------------------------------------------------------------


def _check_design(design: str) -> None:
    choices = ", ".join(TEMPLATE_DESIGNS)
    if design in TEMPLATE_DESIGNS:
        return
    if design in DESIGNS:
        raise ScaffoldError(
            f"design {design!r} ({DESIGNS[design].label}) has no report template: "
            f"choose one of {choices}"
        )
    raise ScaffoldError(f"unknown design {design!r}: choose one of {choices}")


def _parameters_cell(notebook: Any, where: str) -> Any:
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1 or cells[0].cell_type != "code":
        raise ScaffoldError(f"{where}: expected one code cell tagged 'parameters'")
    return cells[0]


def _assignments(source: str, where: str) -> dict[str, tuple[ast.Assign, Any]]:
    """The ``name = literal`` statements of a parameters cell: name -> (node, value)."""
    try:
        body = ast.parse(source).body
    except SyntaxError as exc:
        raise ScaffoldError(f"{where}: the parameters cell is not valid Python: {exc}") from exc
    found = {}
    for node in body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise ScaffoldError(f"{where}: the parameters cell must hold `name = value` lines")
        name = node.targets[0].id
        try:
            found[name] = (node, ast.literal_eval(node.value))
        except ValueError as exc:
            raise ScaffoldError(f"{where}: parameter {name!r} is not a literal") from exc
    return found


def read_template(design: str, root: Path) -> Template:
    """The template of ``design``, refused unless its notebook and params file agree.

    The parameters cell must declare exactly the keys of the params file, and ``study_id``;
    the file's ``sources`` (the sources the notebook may load) are the runner's, not the
    notebook's.
    """
    _check_design(design)
    notebook, params = (root / TEMPLATES_DIR / f"{design}{ext}" for ext in (".md", ".yaml"))
    for path in (notebook, params):
        if not path.is_file():
            raise ScaffoldError(
                f"no report template for design {design!r}: {path.relative_to(root)} is missing"
            )
    notebook_text = notebook.read_text(encoding="utf-8")
    params_text = params.read_text(encoding="utf-8")
    where = str(notebook.relative_to(root))
    cell = _parameters_cell(jupytext.reads(notebook_text, fmt=NOTEBOOK_FORMAT), where)
    values = {name: value for name, (_, value) in _assignments(cell.source, where).items()}
    keys = yaml.safe_load(params_text) or {}
    if isinstance(keys, dict):
        keys = {key: value for key, value in keys.items() if key != SOURCES_KEY}
    if not isinstance(keys, dict) or set(values) != {*keys, "study_id"}:
        cell_only = sorted(set(values) - {*keys, "study_id"})
        file_only = sorted(set(keys) - set(values)) if isinstance(keys, dict) else []
        raise ScaffoldError(
            f"{where} and {params.relative_to(root)} must declare the same parameters "
            f"(and study_id in the notebook): only in the notebook {cell_only}, only in "
            f"the params file {file_only}"
        )
    missing = [name for name in ("study_id", "title", "theme") if name not in values]
    if missing:
        raise ScaffoldError(f"{where}: the parameters cell does not declare {missing}")
    return Template(design, notebook, params, notebook_text, params_text, values)


def _python_literal(value: str | int) -> str:
    # JSON's string escapes are Python's; the values set are strings and integers.
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    raise ScaffoldError(f"cannot write parameter value {value!r} in a parameters cell")


def _yaml_value(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    return text.strip().removesuffix("...").strip()


def study_notebook(template: Template, values: dict[str, Any]) -> str:
    """The template's notebook with ``values`` in its parameters cell and the title heading."""
    where = str(template.notebook)
    notebook = jupytext.reads(template.notebook_text, fmt=NOTEBOOK_FORMAT)
    cell = _parameters_cell(notebook, where)
    found = _assignments(cell.source, where)
    lines = cell.source.splitlines()
    for name, value in sorted(values.items(), key=lambda item: -found[item[0]][0].lineno):
        node = found[name][0]
        lines[node.lineno - 1 : node.end_lineno] = [f"{name} = {_python_literal(value)}"]
    cell.source = "\n".join(lines)
    headings = [c for c in notebook.cells if c.cell_type == "markdown"][:1]
    first = headings[0].source.splitlines() if headings else []
    if not first or not first[0].startswith("# "):
        raise ScaffoldError(f"{where}: the first cell must start with the title, '# ...'")
    headings[0].source = "\n".join([f"# {values['title']}", *first[1:]])
    text = jupytext.writes(notebook, fmt=NOTEBOOK_FORMAT)
    written = _parameters_cell(jupytext.reads(text, fmt=NOTEBOOK_FORMAT), where)
    read_back = {k: v for k, (_, v) in _assignments(written.source, where).items()}
    if read_back != {**template.values, **values}:  # pragma: no cover - literals round-trip
        raise ScaffoldError(f"{where}: the parameters would not read back as written")
    return text


def study_params(template: Template, values: dict[str, Any]) -> str:
    """The template's params file with ``values``: a text edit of their ``key:`` lines."""
    lines = template.params_text.splitlines(keepends=True)
    for name, value in values.items():
        at = [i for i, line in enumerate(lines) if line.startswith(f"{name}:")]
        if len(at) != 1:
            raise ScaffoldError(f"{template.params}: expected one '{name}:' line")
        lines[at[0]] = f"{name}: {_yaml_value(value)}\n"
    text = "".join(lines)
    expected = {**yaml.safe_load(template.params_text), **values}
    if yaml.safe_load(text) != expected:  # a value on several lines, or read differently
        raise ScaffoldError(f"{template.params}: could not set {', '.join(values)} as a text edit")
    return text


# --- the command ------------------------------------------------------------------------------


def check_study_id(study_id: str, root: Path) -> None:
    """Refuse an id that is not a slug or that is already used by any notebook."""
    from impactlib.project.notebooks import KINDS, declared

    if not isinstance(study_id, str) or not STUDY_ID.match(study_id):
        raise ScaffoldError(
            f"study id {study_id!r} is not a valid identifier: use lowercase letters, digits "
            "and single hyphens, starting with a letter (e.g. emploi-tremplin)"
        )
    registry = declared(root)
    if study_id in registry:
        raise ScaffoldError(
            f"study id {study_id!r} already exists: params.yaml declares it under "
            f"{registry[study_id].params_key!r}"
        )
    existing = [
        root / kind.notebook_dir / f"{study_id}{NOTEBOOK_SUFFIX}" for kind in KINDS.values()
    ]
    existing += [root / "params" / f"{study_id}.yaml"]
    found = [str(p.relative_to(root)) for p in existing if p.exists()]
    if found:
        raise ScaffoldError(f"study id {study_id!r} already exists: {', '.join(found)}")


def _title(title: str | None, template: Template, study_id: str) -> str:
    """``title``, or the template's own with the new study's id in place of the template's."""
    if title is None:
        title = template.values["title"].replace(template.values["study_id"], study_id)
    if not isinstance(title, str) or not title.strip() or "\n" in title:
        raise ScaffoldError(f"title must be a non-empty single line, got {title!r}")
    return title.strip()


def _write_all(paths: dict[str, Path], contents: dict[str, str]) -> None:
    """Write every file atomically; on a failure, put back those already written."""
    previous = {
        key: (paths[key].read_text(encoding="utf-8") if paths[key].exists() else None)
        for key in contents
    }
    done: list[str] = []
    try:
        for key, text in contents.items():
            with atomic_path(paths[key]) as tmp:
                tmp.write_text(text, encoding="utf-8")
            done.append(key)
    except BaseException:
        # Put back what was written before the failure, so that nothing is half-created.
        for key in done:
            if previous[key] is None:
                paths[key].unlink(missing_ok=True)
            else:
                with atomic_path(paths[key]) as tmp:
                    tmp.write_text(previous[key], encoding="utf-8")
        raise


def new_study(
    study_id: str,
    *,
    design: str,
    theme: str,
    title: str | None = None,
    root: Path | None = None,
    date: datetime.date | None = None,
) -> NewStudy:
    """Create a new study from the template of ``design``, in the part of ``theme``.

    Parameters
    ----------
    study_id : str
        Identifier: lowercase letters, digits and single hyphens, starting with a letter;
        unused by any study, note or guide page.
    design : str
        One of :data:`impactlib.core.designs.TEMPLATE_DESIGNS`.
    theme : str
        One of :data:`impactlib.appraisal.THEMES`.
    title : str, optional
        Title of the report; by default the template's, naming the design and the id.
    root : Path, optional
        Repository root (default: :func:`impactlib.project.project_root`).
    date : datetime.date, optional
        Publication date recorded in ``book/citation.yaml`` (default: today).

    Returns
    -------
    NewStudy
        The paths written.

    Raises
    ------
    ScaffoldError
        Before anything is written, for a bad or used id, an unknown design or theme, a
        design without a template, or a ``params.yaml`` / ``_toc.yml`` that cannot be
        edited safely.
    """
    root = Path(root) if root is not None else project_root()
    _check_design(design)
    if theme not in THEMES:
        raise ScaffoldError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    check_study_id(study_id, root)
    template = read_template(design, root)
    title = _title(title, template, study_id)
    values = {"title": title, "theme": theme, "seed": _seed(study_id)}
    values = {name: values[name] for name in SET_PARAMETERS if name in template.values}

    # Everything is computed and checked before the first write.
    paths = {
        "notebook": root / "notebooks" / "studies" / f"{study_id}{NOTEBOOK_SUFFIX}",
        "params": root / "params" / f"{study_id}.yaml",
        "params_yaml": root / "params.yaml",
        "toc": root / "book" / "_toc.yml",
    }
    if not paths["toc"].is_file():
        raise ScaffoldError(f"{paths['toc']} does not exist")
    contents = {
        "notebook": study_notebook(template, {"study_id": study_id, **values}),
        "params": study_params(template, values),
        "params_yaml": add_study_to_params(
            paths["params_yaml"].read_text(encoding="utf-8"), study_id
        ),
        "toc": add_study_to_toc(paths["toc"].read_text(encoding="utf-8"), study_id, theme),
    }
    citation = root / "book" / "citation.yaml"
    if citation.is_file():  # the book refuses a report without a citation entry
        from impactlib.publish.citation import add_page_entry

        paths["citation"] = citation
        contents["citation"] = add_page_entry(
            citation.read_text(encoding="utf-8"),
            study_id,
            title=title,
            date=date or datetime.date.today(),
        )
    _write_all(paths, contents)
    return NewStudy(study_id=study_id, design=design, theme=theme, title=title, **paths)
