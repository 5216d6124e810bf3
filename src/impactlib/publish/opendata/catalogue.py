"""The book page "Données ouvertes" that lists the open tables and the third-party sources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from impactlib.project.atomic import atomic_path
from impactlib.project.paths import project_root
from impactlib.publish.opendata.package import read_package
from impactlib.publish.opendata.tables import TYPE_LABELS

CATALOGUE_PAGE = Path("book") / "donnees-ouvertes.md"


def _md(text: Any) -> str:
    """Text as literal Markdown: a `<id>` is not an HTML tag, a `|` does not end a cell."""
    text = str(text).replace("\\", "\\\\")
    for char in "|<>*_[]`":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def catalogue_markdown(
    package: Mapping[str, Any] | Path | str, *, link_base: str = "../data/open/"
) -> str:
    """The French "Données ouvertes" page of the book: datasets, dictionaries, sources.

    Parameters
    ----------
    package : mapping or path
        The Data Package descriptor (as :func:`read_package` returns it) or the path of
        ``datapackage.json``; a frictionless ``Package`` works too (its ``to_descriptor``).
    link_base : str
        Prefix of the download links, relative to the page. The default suits a page at
        ``book/donnees-ouvertes.md`` linking to ``data/open/``: Sphinx (MyST) turns a link
        to a local file into a download and copies the file into the built site.

    Returns
    -------
    str
        MyST Markdown: one section per dataset (licence, download link, size and SHA-256,
        data dictionary) and one for the external sources, cited with ``{cite:p}``.

    Examples
    --------
    >>> page = catalogue_markdown({"licenses": [], "sources": [], "resources": [
    ...     {"name": "t", "title": "T", "path": "t.csv", "bytes": 8, "hash": "sha256:ab",
    ...      "schema": {"fields": [{"name": "x", "type": "integer", "description": "X"}]}}]})
    >>> print(page.splitlines()[0])
    # Données ouvertes
    >>> "| `x` | entier | X |" in page
    True
    """
    if hasattr(package, "to_descriptor"):
        package = package.to_descriptor()
    if isinstance(package, str | Path):
        package = json.loads(Path(package).read_text(encoding="utf-8"))
    licences = package.get("licenses", [])
    lines = [
        "# Données ouvertes",
        "",
        "Les tableaux ci-dessous sont produits par Impact Tank et publiés sous "
        + (
            ", ".join(
                f"[{lic.get('title', lic.get('name'))}]({lic.get('path')})" for lic in licences
            )
            or "la licence indiquée pour chacun"
        )
        + " : vous pouvez les réutiliser librement, y compris à des fins commerciales, en "
        "citant Impact Tank. Ils sont régénérés par le pipeline (`impact open-data`) à "
        "chaque mise à jour des résultats. Ce sont des résultats agrégés et des résumés "
        "d'articles publiés, qui ne portent sur aucune personne ; avant publication, un "
        "contrôle de confidentialité refuse toute colonne d'identification (nom, courriel, "
        "téléphone, numéro de sécurité sociale, adresse) et tout texte qui contiendrait un "
        "courriel, un numéro de téléphone, un numéro de sécurité sociale ou une adresse "
        "postale. Le fichier "
        f"[datapackage.json]({link_base}datapackage.json) les décrit au format Frictionless "
        "Data Package (version 2).",
        "",
    ]
    for resource in package.get("resources", []):
        fields = resource.get("schema", {}).get("fields", [])
        res_licences = resource.get("licenses") or licences
        lines += [
            f"## {resource.get('title', resource['name'])}",
            "",
            _md(resource.get("description", "")),
            "",
            f"- Fichier : [{resource['path']}]({link_base}{resource['path']}) "
            f"({resource.get('bytes', '?')} octets, CSV UTF-8)",
            f"- Empreinte SHA-256 : `{str(resource.get('hash', '')).removeprefix('sha256:')}`",
            "- Licence : "
            + ", ".join(str(lic.get("title", lic.get("name"))) for lic in res_licences),
            "",
            "| Champ | Type | Description |",
            "|---|---|---|",
        ]
        for f in fields:
            kind = TYPE_LABELS.get(f.get("type", ""), f.get("type", ""))
            lines.append(f"| `{f['name']}` | {kind} | {_md(f.get('description', ''))} |")
        lines.append("")
    sources = package.get("sources", [])
    if sources:
        lines += [
            "## Sources externes (non republiées)",
            "",
            "Les rapports et les notes utilisent aussi des données publiées par d'autres. "
            "Elles restent sous la licence de leurs auteurs : Impact Tank ne les republie "
            "pas, il indique où les obtenir et comment les citer.",
            "",
        ]
        for source in sources:
            cite = ", ".join(source.get("citation", []))
            lines += [
                f"- **{source['title']}**"
                + (f" {{cite:p}}`{cite}`" if cite else "")
                + (f" : {source['description']}" if source.get("description") else ""),
                f"  Licence : {str(source.get('licence', 'non précisée')).rstrip('.')}."
                + (f" Adresse : <{source['path']}>." if source.get("path") else ""),
            ]
        lines.append("")
    return "\n".join(lines)


def write_catalogue(root: Path | None = None, *, page: Path = CATALOGUE_PAGE) -> Path:
    """Write the catalogue page of ``data/open/datapackage.json`` (atomically).

    The default page, ``book/donnees-ouvertes.md``, links to ``../data/open/``: the book
    build copies each linked file into the site as a download.
    """
    root = Path(root) if root is not None else project_root()
    path = root / page
    text = catalogue_markdown(read_package(root), link_base="../data/open/")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
