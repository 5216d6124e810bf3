"""The source registry: the data every page reads, checked, stored as parquet in ``data/raw``.

``data/sources.yaml`` declares two kinds of source. A *package source* (section
``sources``) is loaded from a pinned package, and its SHA-256 covers its canonical content
(column names, dtypes and values serialised as CSV: parquet bytes change with the pyarrow
version, the data must not). A *partner's file* (sections ``files`` and ``confidential``,
:mod:`impactlib.project.file_sources`) is read from ``data/files/``, and its SHA-256
covers its bytes; its imported table carries a stamp of the file and schema it was made
from. ``impact import <name>`` (one DVC stage per source) materialises a source into
``data/raw/<name>.parquet`` and refuses one that is not what the registry records.
Notebooks read sources with :func:`load`, never by a hard-coded path.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impactlib.project.atomic import atomic_path
from impactlib.project.file_sources import DICTIONARIES_DIR, FileSource
from impactlib.project.inputs import SOURCES_ENV, declared_sources
from impactlib.project.paths import confidential_dir, project_root, raw_dir, sources_file
from impactlib.project.registry import (
    CONFIDENTIAL,
    FILES,
    PACKAGES,
    SourceError,
    registry_sections,
)

REQUIRED_KEYS = ("package", "loader", "title", "citation", "licence", "sha256")


class ChecksumMismatch(SourceError):
    """The content of a source differs from the checksum recorded in ``sources.yaml``."""


@dataclass(frozen=True)
class Source:
    """One entry of ``data/sources.yaml``."""

    name: str
    package: str
    loader: str
    title: str
    citation: tuple[str, ...]
    licence: str
    sha256: str
    attribute: str | None = None
    description: str = ""
    url: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)

    def fetch(self) -> pd.DataFrame:
        """Call the package loader and return its table."""
        module_name, _, func_name = self.loader.partition(":")
        if not func_name:
            raise SourceError(
                f"source {self.name!r}: loader {self.loader!r} must be 'module:function'"
            )
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise SourceError(
                f"source {self.name!r}: cannot import {module_name!r} (install package "
                f"{self.package!r}): {exc}"
            ) from exc
        loader = getattr(module, func_name, None)
        if not callable(loader):
            raise SourceError(
                f"source {self.name!r}: loader {self.loader!r}: module {module_name!r} has no "
                f"function {func_name!r} (check the spelling in data/sources.yaml)"
            )
        try:
            result = loader(**self.kwargs)
        except TypeError as exc:  # kwargs the loader does not take
            raise SourceError(f"source {self.name!r}: loader {self.loader!r}: {exc}") from exc
        if self.attribute:
            if not hasattr(result, self.attribute):
                raise SourceError(
                    f"source {self.name!r}: the result of loader {self.loader!r} has no "
                    f"attribute {self.attribute!r}"
                )
            result = getattr(result, self.attribute)
        if not isinstance(result, pd.DataFrame) and hasattr(result, "to_pandas"):
            result = result.to_pandas()  # polars frames (moderndid's loaders)
        if not isinstance(result, pd.DataFrame):
            raise SourceError(
                f"source {self.name!r}: loader returned {type(result).__name__}, not a DataFrame"
            )
        return canonical(result)

    def package_version(self) -> str:
        return importlib.metadata.version(self.package)


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as parquet gives it back: text columns as pandas' ``str`` dtype, no index.

    Some loaders return text as ``object`` columns, which parquet reads back as ``str``;
    normalising first makes the checksum of the stored file equal the recorded one.
    """
    frame = frame.reset_index(drop=True)
    text = [
        c
        for c in frame.columns
        if frame[c].dtype == object and frame[c].dropna().map(type).eq(str).all()
    ]
    return frame.astype({c: "str" for c in text}) if text else frame


def content_checksum(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's canonical content: column names, dtypes, then values as CSV."""
    digest = hashlib.sha256()
    header = "\n".join(f"{col}\t{dtype}" for col, dtype in frame.dtypes.items())
    digest.update(header.encode("utf-8") + b"\n--\n")
    digest.update(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return digest.hexdigest()


def read_registry(path: Path | None = None) -> dict[str, Source | FileSource]:
    """Parse ``data/sources.yaml`` into source records, checking every entry."""
    path = path or sources_file()
    sections = registry_sections(path)
    if not any(sections.values()):
        raise SourceError(f"{path}: expected a non-empty mapping under 'sources'")
    registry: dict[str, Source | FileSource] = {}
    for name, entry in sections[PACKAGES].items():
        registry[name] = _package_source(name, entry, path)
    for section in (FILES, CONFIDENTIAL):
        for name, entry in sections[section].items():
            registry[name] = FileSource.from_entry(
                name, entry, confidential=section == CONFIDENTIAL, origin=path
            )
    return registry


def _package_source(name: str, entry: dict[str, Any], path: Path) -> Source:
    missing = [k for k in REQUIRED_KEYS if not entry.get(k)]
    if missing:
        raise SourceError(f"{path}: source {name!r} lacks {', '.join(missing)}")
    if not isinstance(entry["sha256"], str):
        raise SourceError(f"{path}: source {name!r}: sha256 must be a quoted string")
    citation = entry["citation"]
    entry = {**entry, "citation": tuple([citation] if isinstance(citation, str) else citation)}
    try:
        return Source(name=name, **entry)
    except TypeError as exc:
        raise SourceError(f"{path}: source {name!r}: {exc}") from exc


def get_source(
    name: str, registry: dict[str, Source | FileSource] | None = None
) -> Source | FileSource:
    registry = registry if registry is not None else read_registry()
    if name not in registry:
        raise SourceError(
            f"unknown source {name!r}; declared sources: {', '.join(sorted(registry))}"
        )
    return registry[name]


def verify(source: Source, frame: pd.DataFrame) -> None:
    """Raise :class:`ChecksumMismatch` naming the source when its content changed."""
    actual = content_checksum(frame)
    if actual != source.sha256:
        raise ChecksumMismatch(
            f"source {source.name!r}: content checksum {actual} differs from the recorded "
            f"{source.sha256} (package {source.package} {source.package_version()}). "
            "The data changed: check it, then update sha256 in data/sources.yaml deliberately."
        )


def import_sources(root: Path | None = None, names: list[str] | None = None) -> list[Path]:
    """Fetch, verify and store every declared source (or ``names``) under ``data/raw/``.

    Every source is verified before any file is written, so a bad source leaves the
    previous ``data/raw`` untouched.
    """
    root = root or project_root()
    registry = read_registry(sources_file(root))
    selected = [get_source(n, registry) for n in names] if names else list(registry.values())
    frames, pages = [], {}
    for source in selected:
        if isinstance(source, FileSource):
            frame, page = source.fetch_with_dictionary(root)
            stamp = {STAMP_KEY: source.stamp(root)}
            pages[source.name] = page
        else:
            frame = source.fetch()
            verify(source, frame)
            stamp = {}
        frames.append((source, frame, stamp))
    written = []
    for source, frame, stamp in frames:
        path = table_path(source, root)
        with atomic_path(path) as tmp:
            _write_parquet(frame, tmp, stamp)
        written.append(path)
    for name, page in pages.items():  # the book's data dictionary of each partner's file
        with atomic_path(root / DICTIONARIES_DIR / f"{name}.md") as tmp:
            tmp.write_text(page, encoding="utf-8")
    return written


def table_path(source: Source | FileSource, root: Path) -> Path:
    """Where the imported table of ``source`` lives: ``data/raw``, or ``data/confidential``.

    Confidential tables live apart, so that the public pipeline (``inputs`` depends on
    ``data/raw``) never waits for data a clone may not have.
    """
    folder = confidential_dir(root) if getattr(source, "confidential", False) else raw_dir(root)
    return folder / f"{source.name}.parquet"


# The metadata key of an imported partner's file: what it was made from (file and schema).
STAMP_KEY = b"impactlib.source_stamp"


def _write_parquet(frame: pd.DataFrame, path: Path, stamp: dict[bytes, str]) -> None:
    if not stamp:
        frame.to_parquet(path, index=False)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), **{k: v.encode() for k, v in stamp.items()}}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _verify_stamp(source: FileSource, path: Path, root: Path) -> None:
    import pyarrow.parquet as pq

    recorded = (pq.read_schema(path).metadata or {}).get(STAMP_KEY, b"").decode()
    if recorded != source.stamp(root):
        raise ChecksumMismatch(
            f"source {source.name!r}: {path} was not imported from the file and schema that "
            "data/sources.yaml declares now; run `dvc repro` to import it again"
        )


def load(name: str, *, root: Path | None = None) -> pd.DataFrame:
    """Load a raw source from ``data/raw/`` after checking it against its recorded checksum.

    Examples
    --------
    >>> nsw = load("nsw_mixtape")  # doctest: +SKIP
    >>> nsw.shape  # doctest: +SKIP
    (445, 11)
    """
    root = root or project_root()
    source = get_source(name, read_registry(sources_file(root)))
    allowed = declared_sources()
    if allowed is not None and name not in allowed:
        raise SourceError(
            f"source {name!r} is not declared by this notebook: list it under 'sources' in "
            f"its params/<id>.yaml (declared: {', '.join(sorted(allowed)) or 'none'}; "
            f"{SOURCES_ENV} is set by `impact run`), so that DVC reruns the notebook when "
            "the source changes"
        )
    path = table_path(source, root)
    if not path.is_file():
        raise SourceError(f"source {name!r}: {path} does not exist; run `dvc repro`")
    if isinstance(source, FileSource):
        _verify_stamp(source, path, root)
        return pd.read_parquet(path)
    frame = pd.read_parquet(path)
    verify(source, frame)
    return frame
