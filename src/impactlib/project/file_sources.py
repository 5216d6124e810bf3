"""Partners' files as sources: where they live, their checksum, and their import.

A partner's file is declared in ``data/sources.yaml`` under ``files`` (public data) or
``confidential`` (personal or restricted data), with its path under ``data/files/<name>/``,
its format, its Table Schema (``data/schemas/<name>.yaml``), its provider, the date it was
received, its licence or data-sharing agreement and the SHA-256 of its bytes. The file is
tracked by DVC, never by git (``.gitignore`` refuses everything under ``data/files/`` but
DVC's pointers); a confidential one, and the table imported from it, only ever go to the
private DVC remote.

Import reads the file with its schema (:mod:`impactlib.intake.readers`: a CSV's typed
columns parsed as such, :mod:`impactlib.intake.typed_text`), validates it against the
schema (:mod:`impactlib.intake.validation`), then removes the direct identifiers the
schema declares: dropped, or replaced by keyed pseudonyms when records must be linked
(:mod:`impactlib.intake.pseudonyms`; the key comes from ``IMPACT_PSEUDONYM_KEY`` or the
git-ignored ``.secrets/pseudonym.key``). Nothing personal reaches ``data/raw``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impactlib.project.registry import SourceError

FILE_KEYS = ("title", "path", "schema", "provider", "received", "agreement", "sha256")
FORMAT_KEYS = ("kind", "encoding", "separator", "decimal", "sheet")
KEY_FILE = Path(".secrets") / "pseudonym.key"
FILES_DIR = Path("data") / "files"
SCHEMAS_DIR = Path("data") / "schemas"
DICTIONARIES_DIR = Path("book") / "sources"  # one data dictionary page per partner's file


class FileChecksumMismatch(SourceError):
    """The bytes of a partner's file differ from the checksum recorded in the registry."""


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileSource:
    """One partner's file of ``data/sources.yaml`` (section ``files`` or ``confidential``)."""

    name: str
    title: str
    path: str
    schema: str
    provider: str
    received: str
    agreement: str
    sha256: str
    confidential: bool = False
    format: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    citation: tuple[str, ...] = ()
    url: str = ""

    kind = "file"

    @classmethod
    def from_entry(cls, name: str, entry: dict[str, Any], *, confidential: bool, origin: Path):
        missing = [key for key in FILE_KEYS if not entry.get(key)]
        if missing:
            raise SourceError(f"{origin}: source {name!r} lacks {', '.join(missing)}")
        unknown = sorted(set(entry.get("format") or {}) - set(FORMAT_KEYS))
        if unknown:
            raise SourceError(
                f"{origin}: source {name!r}: unknown format key(s) {', '.join(unknown)} "
                f"(known: {', '.join(FORMAT_KEYS)})"
            )
        citation = entry.get("citation") or ()
        values = {
            **entry,
            "received": str(entry["received"]),  # YAML reads an unquoted date as a date
            "citation": tuple([citation] if isinstance(citation, str) else citation),
            "format": dict(entry.get("format") or {}),
        }
        try:
            return cls(name=name, confidential=confidential, **values)
        except TypeError as exc:
            raise SourceError(f"{origin}: source {name!r}: {exc}") from exc

    def file(self, root: Path) -> Path:
        return root / self.path

    def stamp(self, root: Path) -> str:
        """What the imported table was made from: the file's checksum and its schema."""
        schema = root / self.schema
        if not schema.is_file():
            raise SourceError(f"source {self.name!r}: its schema {self.schema} does not exist")
        return hashlib.sha256(self.sha256.encode() + schema.read_bytes()).hexdigest()

    def identifier_values(self, root: Path) -> dict[str, list[str]]:
        """The raw values of the direct identifiers the schema declares, by column.

        For the output check of a study of this source only: it looks for them in what the
        study prints. Never written anywhere.
        """
        from impactlib.intake.readers import read_file
        from impactlib.intake.schema import read_schema

        fields = [f.name for f in read_schema(root / self.schema).fields if f.identifier]
        if not fields:
            return {}
        frame = read_file(self._present_file(root), **self.format).frame
        return {
            name: frame[name].dropna().astype(str).unique().tolist()
            for name in fields
            if name in frame.columns
        }

    def _present_file(self, root: Path) -> Path:
        path = self.file(root)
        if not path.is_file():
            hint = (
                "it lives on the private DVC remote: `dvc pull` with access to it"
                if self.confidential
                else "`dvc pull` it, or put the partner's file there"
            )
            raise SourceError(f"source {self.name!r}: {self.path} does not exist; {hint}")
        return path

    def fetch(self, root: Path) -> pd.DataFrame:
        """Read, check and de-identify the file: the table studies may read."""
        return self.fetch_with_dictionary(root)[0]

    def fetch_with_dictionary(self, root: Path) -> tuple[pd.DataFrame, str]:
        """The table studies may read, and the data dictionary page of the book."""
        from impactlib.intake.dictionary import data_dictionary
        from impactlib.intake.schema import read_schema

        path = self._present_file(root)
        actual = file_checksum(path)
        if actual != self.sha256:
            raise FileChecksumMismatch(
                f"source {self.name!r}: {self.path} has SHA-256 {actual}, the registry "
                f"records {self.sha256}. The file changed: check it, then record the new "
                "checksum in data/sources.yaml deliberately."
            )
        schema = read_schema(root / self.schema)
        frame, labels = read_checked(path, schema, source=self.name, file_format=self.format)
        dictionary = data_dictionary(frame, schema, labels=labels)
        page = dictionary_page(self, dictionary, unit=schema.unit, rows=len(frame))
        return deidentify(frame, schema, key_file=root / KEY_FILE), page


def read_checked(
    path: Path, schema, *, source: str, file_format: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A partner's file read with its schema and validated against it: the typed table (its
    identifiers still in) and the file's variable labels.

    The schema goes to the reader too, so that a CSV's typed columns are parsed as such
    (``intake.typed_text``) rather than as text beside their typed copy; the table as read
    is let go as soon as it is validated.
    """
    from impactlib.intake.readers import read_file
    from impactlib.intake.validation import validate

    table = read_file(path, schema=schema, **file_format)
    decimal = table.dialect.decimal if table.dialect is not None else "."
    frame, labels, typed = table.frame, table.labels, table.typed
    del table
    return validate(frame, schema, source=source, decimal=decimal, typed=typed), labels


def _cell(value: object) -> str:
    text = "" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def dictionary_page(source: FileSource, dictionary: pd.DataFrame, *, unit: str, rows: int) -> str:
    """The book's page of a partner's source: who, when, on what terms, and its variables.

    No individual value: the variables, their types, labels, allowed values (from the
    schema) and counts of missing and distinct values.
    """
    access = "confidentielles (dépôt privé)" if source.confidential else "publiables"
    header = ["Variable", "Type", "Libellé", "Valeurs permises", "Manquantes", "Distinctes"]
    table = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in dictionary.itertuples(False)),
    ]
    lines = [
        f"# Dictionnaire des données : {source.title}",
        "",
        f"- **Source** : `{source.name}` (fichier `{Path(source.path).name}`)",
        f"- **Fournisseur** : {source.provider}",
        f"- **Reçu le** : {source.received}",
        f"- **Licence ou convention** : {source.agreement}",
        f"- **Données** : {access}",
        f"- **Unité d'observation** : {unit}",
        f"- **Lignes** : {rows:,}".replace(",", "\u202f"),
        f"- **Empreinte SHA-256 du fichier reçu** : `{source.sha256[:16]}`",
        "",
        "Ce dictionnaire décrit les variables du fichier sans en montrer aucune valeur "
        "individuelle. Les identifiants directs sont supprimés ou remplacés par un "
        "pseudonyme à clé à l'import : aucune étude ne les lit.",
        "",
        *table,
        "",
    ]
    return "\n".join(lines)


def deidentify(frame: pd.DataFrame, schema, *, key_file: Path) -> pd.DataFrame:
    """The table without its direct identifiers: dropped, or replaced by keyed pseudonyms."""
    from impactlib.intake.pseudonyms import load_key, pseudonymise

    declared = {f.name: f.identifier for f in schema.fields if f.identifier}
    dropped = [name for name, action in declared.items() if action == "drop"]
    linked = [name for name, action in declared.items() if action == "pseudonymise"]
    frame = frame.drop(columns=dropped)
    if linked:
        key = load_key(key_file)
        unique = [name for name in linked if (name,) == tuple(schema.primary_key)]
        frame = frame.assign(
            **{name: pseudonymise(frame[name], key, distinct=name in unique) for name in linked}
        )
    return frame
