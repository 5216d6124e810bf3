"""The source registry: real data loaded from pinned packages, checksummed, stored as parquet.

``data/sources.yaml`` declares each source: the package and loader that ship it, its
citation and licence, and the SHA-256 of its canonical content. ``impact import`` (the DVC
``import`` stage) materialises every source into ``data/raw/<name>.parquet`` and refuses a
source whose content differs from the recorded checksum. Notebooks read sources with
:func:`load`, never by a hard-coded path.

The checksum covers the content, not the file bytes: column names, dtypes and values
serialised as CSV. Parquet bytes change with the pyarrow version; the data must not.
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
from impactlib.project.inputs import SOURCES_ENV, declared_sources
from impactlib.project.paths import project_root, raw_dir, sources_file
from impactlib.project.registry import SourceError, registry_entries

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
        result = getattr(module, func_name)(**self.kwargs)
        if self.attribute:
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


def read_registry(path: Path | None = None) -> dict[str, Source]:
    """Parse ``data/sources.yaml`` into :class:`Source` records, checking every entry."""
    path = path or sources_file()
    entries = registry_entries(path)
    if not entries:
        raise SourceError(f"{path}: expected a non-empty mapping under 'sources'")
    registry = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise SourceError(f"{path}: source {name!r} must be a mapping")
        missing = [k for k in REQUIRED_KEYS if not entry.get(k)]
        if missing:
            raise SourceError(f"{path}: source {name!r} lacks {', '.join(missing)}")
        if not isinstance(entry["sha256"], str):
            raise SourceError(f"{path}: source {name!r}: sha256 must be a quoted string")
        citation = entry["citation"]
        entry = {**entry, "citation": tuple([citation] if isinstance(citation, str) else citation)}
        try:
            registry[name] = Source(name=name, **entry)
        except TypeError as exc:
            raise SourceError(f"{path}: source {name!r}: {exc}") from exc
    return registry


def get_source(name: str, registry: dict[str, Source] | None = None) -> Source:
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
    frames = []
    for source in selected:
        frame = source.fetch()
        verify(source, frame)
        frames.append((source, frame))
    written = []
    for source, frame in frames:
        path = raw_dir(root) / f"{source.name}.parquet"
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        written.append(path)
    return written


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
    path = raw_dir(root) / f"{name}.parquet"
    if not path.is_file():
        raise SourceError(f"source {name!r}: {path} does not exist; run `dvc repro import`")
    frame = pd.read_parquet(path)
    verify(source, frame)
    return frame
