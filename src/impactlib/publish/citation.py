"""Citation metadata of the reports and notes: ``book/citation.yaml``, BibTeX, Highwire tags.

Every evaluation report (``studies`` in ``params.yaml``) and literature-review note
(``notes``) has an entry in ``book/citation.yaml``: its title, date and DOI ("" until one is
minted), and optionally its own authors; the ``defaults`` give the authors, the publisher,
the language and the licence of the text. The book extension ``book/_ext/citation_meta.py``
turns each entry into the Highwire ``<meta name="citation_*">`` tags that Google Scholar and
Zotero read, a "Citer ce document" box and a BibTeX file.

The version of a report is never written by hand: it is :func:`version`, the
``git describe --tags --always --dirty`` of the checkout that built it.

Examples
--------
>>> from impactlib.publish import citation
>>> page = citation.load()["emploi-nsw"]
>>> page.key
'impacttank2026-emploi-nsw'
>>> page.highwire()["citation_publication_date"]
['2026/11/26']
>>> print(page.bibtex("v1.0.0").splitlines()[0])
@techreport{impacttank2026-emploi-nsw,
"""

from __future__ import annotations

import datetime
import functools
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from impactlib.core.validation import InputError
from impactlib.project.notebooks import declared
from impactlib.project.paths import project_root

CITATION_FILE = Path("book") / "citation.yaml"
# Kinds of params.yaml entry that are published as citable documents (the guide is not).
CITED_KINDS = {
    "study": "Rapport d'évaluation d'impact",
    "confidential": "Rapport d'évaluation d'impact",
    "note": "Note d'analyse",
}
ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_AUTHOR_KEYS = {"name", "family", "given", "orcid"}
_PAGE_KEYS = {"title", "date", "doi", "authors"}
_LICENCE = ("id", "name", "url")
_MONTHS_FR = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
_BIBTEX_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\u00a0": "~",  # a no-break space is LaTeX's tie
}


@dataclass(frozen=True)
class Author:
    """An organisation (``name``) or a person (``family``, ``given``), with an ORCID or ""."""

    name: str = ""
    family: str = ""
    given: str = ""
    orcid: str = ""

    @property
    def display(self) -> str:
        """Name as read in the text: "Impact Tank", "Marie Dupont"."""
        return self.name or f"{self.given} {self.family}"

    @property
    def inverted(self) -> str:
        """Name as catalogues want it (Highwire ``citation_author``): "Dupont, Marie"."""
        return self.name or f"{self.family}, {self.given}"

    @property
    def bibtex(self) -> str:
        """BibTeX name; an organisation is braced so that it is not split into first/last."""
        return f"{{{latex_escape(self.name)}}}" if self.name else latex_escape(self.inverted)

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


@dataclass(frozen=True)
class PageCitation:
    """Citation metadata of one report or note of the book."""

    page_id: str
    kind: str
    title: str
    authors: tuple[Author, ...]
    date: datetime.date
    doi: str
    publisher: str
    language: str
    licence_id: str
    licence_name: str
    licence_url: str

    @property
    def key(self) -> str:
        """BibTeX key: ``impacttank<year>-<id>``."""
        return f"impacttank{self.date.year}-{self.page_id}"

    @property
    def document_type(self) -> str:
        """ "Rapport d'évaluation d'impact" or "Note d'analyse"."""
        return CITED_KINDS[self.kind]

    def highwire(self) -> dict[str, list[str]]:
        """Highwire Press tags (Google Scholar's inclusion guidelines), name -> contents.

        Every value is a list, because ``citation_author`` is repeated once per author in
        order; ``citation_doi`` is present only when a DOI is set, ``citation_pdf_url`` never
        (the book is published in HTML).
        """
        tags = {
            "citation_title": [self.title],
            "citation_author": [author.inverted for author in self.authors],
            "citation_publication_date": [self.date.strftime("%Y/%m/%d")],
            "citation_publisher": [self.publisher],
            "citation_language": [self.language],
        }
        if self.doi:
            tags["citation_doi"] = [self.doi]
        return tags

    def bibtex(self, version: str) -> str:
        """A ``@techreport`` entry for this document at ``version`` (see :func:`version`)."""
        fields = [
            ("author", " and ".join(author.bibtex for author in self.authors)),
            ("title", f"{{{latex_escape(self.title)}}}"),
            ("type", latex_escape(self.document_type)),
            ("number", latex_escape(self.page_id)),
            ("institution", latex_escape(self.publisher)),
            ("year", str(self.date.year)),
            ("date", self.date.isoformat()),
            ("version", latex_escape(version)),
            ("note", f"Version {latex_escape(version)}"),
            ("language", "french" if self.language == "fr" else self.language),
            ("license", self.licence_id),
        ]
        if self.doi:
            fields.append(("doi", self.doi))
        lines = [f"@techreport{{{self.key},"]
        lines += [f"  {name} = {{{value}}}," for name, value in fields]
        lines.append(f"  month = {_BIBTEX_MONTHS[self.date.month - 1]},")  # a BibTeX macro
        lines.append("}")
        return "\n".join(lines) + "\n"

    def reference(self, version: str) -> str:
        """The reference as the book prints it (plain text, French)."""
        return (
            f"{join_french([a.display for a in self.authors])} ({self.date.year}). "
            f"{self.title}. {self.document_type} {self.page_id}, version {version}. "
            f"{self.publisher}." + (f" https://doi.org/{self.doi}" if self.doi else "")
        )


def join_french(names: list[str]) -> str:
    """ "A", "A et B", "A, B et C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"


def cited_source(text: object, root: Path | None = None) -> object:
    """A citation key of ``book/references.bib`` as "Kemper, Long et Thornton (1984)".

    Anything else (a sentence such as "hypothèse de travail", ``None``) is returned as it
    is: a report's ``cost_source`` may be either, and a printed brief cannot resolve a key.
    """
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z][\w-]*\d{4}[a-z]?", text):
        return text
    bib = (root or project_root()) / "book" / "references.bib"
    if not bib.is_file():
        return text
    stat = bib.stat()
    sources = bib_sources(str(bib.resolve()), stat.st_mtime_ns, stat.st_size)
    return sources.get(text.casefold(), text)  # BibTeX keys ignore case


@functools.lru_cache(maxsize=8)
def bib_sources(path: str, mtime_ns: int, size: int) -> Mapping[str, str]:
    """Every entry of the BibTeX file ``path`` with a year and authors, by key (casefolded), as
    :func:`cited_source` prints it ("Kemper, Long et Thornton (1984)").

    Cached by path, modification time and size (the caller passes them, from ``stat``):
    a stage that prints many sources parses the file once, and a changed file is read
    again.
    """
    from pybtex.database import parse_file  # the book's own bibliography reader

    sources = {}
    for key, entry in parse_file(path).entries.items():
        names = [
            " ".join(p.last_names).replace("{", "").replace("}", "")
            for p in entry.persons.get("author", [])
        ]
        if "year" not in entry.fields or not names:
            continue
        who = f"{names[0]} et al." if len(names) > 3 else join_french(names)
        sources[key.casefold()] = f"{who} ({entry.fields['year']})"
    return MappingProxyType(sources)


def french_date(date: datetime.date) -> str:
    """ "26 novembre 2026" (no locale needed)."""
    return f"{date.day} {_MONTHS_FR[date.month - 1]} {date.year}"


def latex_escape(text: object) -> str:
    """``text`` as LaTeX that prints it verbatim (the ten special characters escaped).

    Newlines become spaces: BibTeX fields and the values of a brief are single paragraphs.
    Shared by the BibTeX entries here and the briefs of :mod:`impactlib.publish.pdf`.
    """
    flat = " ".join(str(text).split()) if "\n" in str(text) else str(text)
    return "".join(_LATEX_SPECIALS.get(char, char) for char in flat)


def citation_file(root: Path | None = None) -> Path:
    return (root or project_root()) / CITATION_FILE


def load(root: Path | None = None) -> dict[str, PageCitation]:
    """Read and check ``book/citation.yaml``; return its pages by id.

    Raises :class:`InputError`, naming the page id, for an id that is not a study or note
    of ``params.yaml``, a missing title or date, an unknown key, a malformed DOI or ORCID.
    Ids of ``params.yaml`` without an entry are not an error here: see :func:`missing_pages`.
    """
    root = root or project_root()
    path = citation_file(root)
    if not path.is_file():
        raise InputError(f"{CITATION_FILE}: file not found in {root}")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict) or set(document) != {"defaults", "pages"}:
        raise InputError(f"{CITATION_FILE}: expected exactly two keys, 'defaults' and 'pages'")
    defaults = _mapping(document["defaults"], "defaults")
    default_authors = _authors(defaults.get("authors"), "defaults")
    publisher = _text(defaults.get("publisher"), "defaults: 'publisher'")
    language = _text(defaults.get("language"), "defaults: 'language'")
    licence = _mapping(defaults.get("licence"), "defaults: 'licence'")
    licence_fields = [_text(licence.get(k), f"defaults: licence {k!r}") for k in _LICENCE]

    registry = {i: kind.name for i, kind in declared(root).items() if kind.name in CITED_KINDS}
    pages: dict[str, PageCitation] = {}
    for page_id, entry in _mapping(document["pages"], "pages").items():
        where = f"page {page_id!r}"
        if page_id not in registry:
            raise InputError(
                f"{CITATION_FILE}: {where} is not a study or note of params.yaml "
                f"(declared: {', '.join(registry) or 'none'})"
            )
        entry = _mapping(entry, where)
        unknown = sorted(set(entry) - _PAGE_KEYS)
        if unknown:
            raise InputError(f"{CITATION_FILE}: {where}: unknown key(s) {', '.join(unknown)}")
        if not entry.get("title"):
            raise InputError(f"{CITATION_FILE}: {where} has no title")
        doi = entry.get("doi") or ""
        if not isinstance(doi, str) or (doi and not DOI.match(doi)):
            raise InputError(f"{CITATION_FILE}: {where}: doi {doi!r} is not of the form 10.x/y")
        pages[page_id] = PageCitation(
            page_id=page_id,
            kind=registry[page_id],
            title=" ".join(_text(entry["title"], f"{where}: title").split()),
            authors=_authors(entry["authors"], where) if "authors" in entry else default_authors,
            date=_date(entry.get("date"), where),
            doi=doi,
            publisher=publisher,
            language=language,
            licence_id=licence_fields[0],
            licence_name=licence_fields[1],
            licence_url=licence_fields[2],
        )
    return pages


def missing_pages(root: Path | None = None) -> list[str]:
    """Studies and notes of ``params.yaml`` that have no entry in ``book/citation.yaml``."""
    root = root or project_root()
    pages = load(root)
    return [i for i, kind in declared(root).items() if kind.name in CITED_KINDS and i not in pages]


def page(page_id: str, root: Path | None = None) -> PageCitation:
    """The citation metadata of one report or note."""
    pages = load(root)
    if page_id not in pages:
        raise InputError(
            f"{CITATION_FILE}: no entry for {page_id!r} (entries: {', '.join(pages) or 'none'})"
        )
    return pages[page_id]


def bibtex(page_id: str, version: str, root: Path | None = None) -> str:
    """The BibTeX entry (``@techreport``, key ``impacttank<year>-<id>``) of a report or note."""
    return page(page_id, root).bibtex(version)


def highwire_tags(page_id: str, root: Path | None = None) -> dict[str, list[str]]:
    """The Highwire ``citation_*`` tags of a report or note (see :meth:`PageCitation.highwire`)."""
    return page(page_id, root).highwire()


def describe(root: Path | None = None) -> str | None:
    """``git describe --tags --always --dirty`` of ``root``, or None if it is no git checkout.

    ``root`` must be the top of the checkout: a copy of the repository placed inside another
    git repository does not take that repository's version.
    """
    root = (root or project_root()).resolve()
    try:
        top = _git(root, "rev-parse", "--show-toplevel")
        if top is None or Path(top).resolve() != root:
            return None
        return _git(root, "describe", "--tags", "--always", "--dirty")
    except OSError:  # git is not installed
        return None


def version(root: Path | None = None) -> str:
    """The version of the documents built from ``root``: ``git describe``, e.g.
    ``v0.1.0-3-g1a2b3c4-dirty`` (tag, commits since, commit, uncommitted changes).

    Outside a git checkout (an exported archive), the version of the installed impactlib
    package, and the string says so: ``0.1.0 (paquet impactlib, hors dépôt git)``.
    """
    described = describe(root)
    if described:
        return described
    return f"{metadata.version('impactlib')} (paquet impactlib, hors dépôt git)"


def _git(root: Path, *args: str) -> str | None:
    completed = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    output = completed.stdout.strip()
    return output if completed.returncode == 0 and output else None


def add_page_entry(text: str, page_id: str, *, title: str, date: datetime.date) -> str:
    """Return ``book/citation.yaml``'s ``text`` with an entry for a new report or note.

    The entry (title, date, ``doi: ""``) is appended at the end of the file, which is the
    ``pages`` mapping; comments and layout are kept. For ``impact new-study``.
    """
    document = yaml.safe_load(text) or {}
    pages = document.get("pages") or {}
    if page_id in pages:
        raise InputError(f"{CITATION_FILE}: page {page_id!r} already has an entry")
    entry = (
        f"  {page_id}:\n"
        f"    title: {_yaml_string(title)}\n"
        f"    date: {date.isoformat()}\n"
        '    doi: ""\n'
    )
    updated = text.rstrip("\n") + "\n" + entry
    reparsed = yaml.safe_load(updated)
    if reparsed.get("pages", {}).get(page_id, {}).get("title") != title or any(
        reparsed["pages"].get(k) != v for k, v in pages.items()
    ):
        raise InputError(
            f"{CITATION_FILE}: the file does not end with the 'pages' mapping; "
            f"add the entry for {page_id!r} by hand"
        )
    return updated


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{CITATION_FILE}: {where} must be a mapping")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{CITATION_FILE}: {where} must be a non-empty string")
    return value


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{CITATION_FILE}: {where}: date {value!r} is not a YYYY-MM-DD date")


def _authors(value: Any, where: str) -> tuple[Author, ...]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{CITATION_FILE}: {where}: 'authors' must be a non-empty list")
    authors = []
    for number, item in enumerate(value, start=1):
        here = f"{where}: author {number}"
        item = _mapping(item, here)
        unknown = sorted(set(item) - _AUTHOR_KEYS)
        if unknown:
            raise InputError(f"{CITATION_FILE}: {here}: unknown key(s) {', '.join(unknown)}")
        values = {k: item.get(k) or "" for k in _AUTHOR_KEYS}
        if any(not isinstance(v, str) for v in values.values()):
            raise InputError(f"{CITATION_FILE}: {here}: every field must be a string")
        organisation = bool(values["name"]) and not (values["family"] or values["given"])
        person = not values["name"] and bool(values["family"] and values["given"])
        if not (organisation or person):
            raise InputError(
                f"{CITATION_FILE}: {here}: give either 'name' (an organisation) or both "
                "'family' and 'given' (a person)"
            )
        if values["orcid"] and not _valid_orcid(values["orcid"]):
            raise InputError(
                f"{CITATION_FILE}: {here}: orcid {values['orcid']!r} is not a valid ORCID "
                "(form 0000-0002-1825-0097, checksum ISO 7064 11,2)"
            )
        authors.append(Author(**values))
    return tuple(authors)


def _valid_orcid(orcid: str) -> bool:
    """ORCID form and check digit (ISO 7064 MOD 11-2, as orcid.org specifies)."""
    if not ORCID.match(orcid):
        return False
    total = 0
    for digit in orcid.replace("-", "")[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return orcid[-1] == ("X" if check == 10 else str(check))
