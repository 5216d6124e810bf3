"""``impact add-source``: a partner's file declared, checksummed, put under DVC, all or nothing.

The command reads the file (so an unreadable one is refused before anything is written),
infers a draft Table Schema for the partner to check, copies the file under
``data/files/<name>/``, writes the schema, the registry entry and the book's entry of its
data dictionary page (``book/sources/<name>.md``, written by the import), then
``dvc add``s the file. A confidential source needs the private DVC remote (``dvc remote add --local
private ...``); its pointer sends the file there and nowhere else. Any failure removes what
the command wrote and puts ``data/sources.yaml`` back as it was.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from impactlib.cli.repro import dvc_executable
from impactlib.cli.study_entries import add_page_to_toc
from impactlib.project.atomic import atomic_path
from impactlib.project.file_sources import FILES_DIR, SCHEMAS_DIR, file_checksum
from impactlib.project.paths import project_root, sources_file
from impactlib.project.registry import CONFIDENTIAL, FILES, SourceError, registry_entries

DICTIONARIES = "Dictionnaires des données"  # the part of book/_toc.yml of their pages
REFS = "Références"
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PRIVATE_REMOTE = "private"


@dataclass(frozen=True)
class NewSource:
    name: str
    file: Path
    schema: Path
    pointer: Path
    identifiers: tuple[str, ...]


def add_source(
    name: str,
    file: Path,
    *,
    provider: str,
    agreement: str,
    title: str | None = None,
    received: str | None = None,
    confidential: bool = False,
    file_format: dict[str, str] | None = None,
    root: Path | None = None,
) -> NewSource:
    """Declare ``file`` as source ``name``; see the module's docstring."""
    from impactlib.intake.inference import infer_schema, write_schema
    from impactlib.intake.readers import read_file

    root = root or project_root()
    registry = sources_file(root)
    _check_name(name, registry)
    file = Path(file)
    if not file.is_file():
        raise SourceError(f"add-source: {file} does not exist or is not a file")
    file_format = {key: value for key, value in (file_format or {}).items() if value}
    table = read_file(file, **file_format)  # refuses an unreadable file, writes nothing
    if confidential:
        _require_private_remote(root)
    decimal = table.dialect.decimal if table.dialect is not None else "."
    descriptor = infer_schema(table.frame, labels=table.labels, decimal=decimal)
    if table.dialect is not None:  # what was detected, recorded so that import reads the same
        file_format = {
            "encoding": table.dialect.encoding,
            "separator": table.dialect.separator,
            "decimal": table.dialect.decimal,
            **file_format,
        }
    if table.sheet is not None:
        file_format.setdefault("sheet", table.sheet)
    target = root / FILES_DIR / name / file.name
    schema = root / SCHEMAS_DIR / f"{name}.yaml"
    entry = {
        "title": title or name,
        "path": target.relative_to(root).as_posix(),
        "format": {"kind": table.kind, **file_format},
        "schema": schema.relative_to(root).as_posix(),
        "provider": provider,
        "received": received or datetime.date.today().isoformat(),
        "agreement": agreement,
        "sha256": file_checksum(file),
    }
    previous = registry.read_text(encoding="utf-8")
    toc = root / "book" / "_toc.yml"
    previous_toc = toc.read_text(encoding="utf-8") if toc.is_file() else None
    ignore = target.parent / ".gitignore"  # `dvc add` writes it
    written: list[Path] = [] if ignore.exists() else [ignore]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.resolve() != target.resolve():
            shutil.copyfile(file, target)
            written.append(target)
        schema.parent.mkdir(parents=True, exist_ok=True)
        write_schema(descriptor, schema)
        written.append(schema)
        _write_entry(registry, CONFIDENTIAL if confidential else FILES, name, entry)
        if previous_toc is not None:  # the data dictionary page, written by the import
            page = add_page_to_toc(
                previous_toc, f"sources/{name}", DICTIONARIES, after=DICTIONARIES, before=REFS
            )
            with atomic_path(toc) as tmp:
                tmp.write_text(page, encoding="utf-8")
        pointer = _dvc_add(target, root, confidential)
        written.append(pointer)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in (target.parent, schema.parent):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        registry.write_text(previous, encoding="utf-8")
        if previous_toc is not None:
            toc.write_text(previous_toc, encoding="utf-8")
        raise
    identifiers = tuple(f["name"] for f in descriptor["fields"] if f.get("identifier"))
    return NewSource(name, target, schema, pointer, identifiers)


def _check_name(name: str, registry: Path) -> None:
    if not SOURCE_NAME.match(name):
        raise SourceError(
            f"add-source: source name {name!r} must be lowercase letters, digits and "
            "underscores, starting with a letter"
        )
    if name in registry_entries(registry):
        raise SourceError(f"add-source: {registry} already declares a source {name!r}")


def _dvc(args: list[str], root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([dvc_executable(), *args], cwd=root, capture_output=True, text=True)


def _require_private_remote(root: Path) -> None:
    listed = _dvc(["remote", "list"], root)
    remotes = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    if listed.returncode != 0 or PRIVATE_REMOTE not in remotes:
        raise SourceError(
            f"add-source: a confidential source needs the private DVC remote, and no remote "
            f"{PRIVATE_REMOTE!r} is configured. Declare it on this machine only: "
            f"`dvc remote add --local {PRIVATE_REMOTE} ssh://<server>/<path>` and "
            f"`dvc remote modify --local {PRIVATE_REMOTE} keyfile <key>` (README, "
            '"Bringing a partner\'s data")'
        )


def _dvc_add(target: Path, root: Path, confidential: bool) -> Path:
    done = _dvc(["add", "--quiet", str(target.relative_to(root))], root)
    pointer = target.with_name(f"{target.name}.dvc")
    if done.returncode != 0:
        raise SourceError(f"add-source: `dvc add {target}` failed: {done.stderr.strip()}")
    if confidential:
        # The output's own remote wins over the default: `dvc push` sends it there only.
        document = yaml.safe_load(pointer.read_text(encoding="utf-8"))
        document["outs"][0]["remote"] = PRIVATE_REMOTE
        with atomic_path(pointer) as tmp:
            tmp.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return pointer


def _write_entry(registry: Path, section: str, name: str, entry: dict) -> None:
    """Insert the entry under ``section`` as text, so that the file's comments stay."""
    lines = registry.read_text(encoding="utf-8").splitlines(keepends=True)
    header = re.compile(rf"^{section}:\s*(\{{\}})?\s*(#.*)?$")
    found = [i for i, line in enumerate(lines) if header.match(line.rstrip("\n"))]
    if len(found) != 1:
        raise SourceError(f"add-source: {registry} has no single top-level {section!r} section")
    index = found[0]
    lines[index] = f"{section}:\n"
    block = yaml.safe_dump({name: entry}, allow_unicode=True, sort_keys=False, width=88)
    indented = "".join(f"  {line}" if line.strip() else line for line in block.splitlines(True))
    lines.insert(index + 1, indented)
    with atomic_path(registry) as tmp:
        tmp.write_text("".join(lines), encoding="utf-8")
