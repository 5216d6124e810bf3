"""Citable reports and notes: Highwire meta tags, a "Citer ce document" box, BibTeX files.

For every page ``reports/<id>`` and ``notes/<id>`` of the book, this local Sphinx extension
reads the page's entry in ``book/citation.yaml`` (through :mod:`impactlib.publish.citation`) and

- adds the Highwire Press ``<meta name="citation_*">`` tags to the HTML head, which Google
  Scholar and Zotero read;
- appends a French "Citer ce document" box to the page: authors (ORCID links when known),
  version, date, DOI ("à attribuer" while none is minted), a link to the BibTeX entry;
- writes that entry to ``_static/citation/<id>.bib`` in the built site.

The version is ``git describe --tags --always --dirty`` at build time
(:func:`impactlib.publish.citation.version`), never a hand-edited string; it is also shown in the
footer of every page and available to MyST pages as the substitution ``{{ version }}``.
``impact build-book`` computes it once and passes it in the environment variable
``IMPACT_BOOK_VERSION``: the fingerprint that DVC records of the book masks that very string
(:mod:`impactlib.project.fingerprint`), so that the lock does not depend on the commit.
A report or note page without an entry in ``citation.yaml`` is a warning, hence an error
under ``jupyter-book build -W``.
"""

from __future__ import annotations

import hashlib
import os
from html import escape
from pathlib import Path

from sphinx.util import logging

from impactlib.publish import citation

logger = logging.getLogger(__name__)

CITED_FOLDERS = ("reports", "notes")
BIB_DIR = "_static/citation"
VERSION_ENV = "IMPACT_BOOK_VERSION"  # impactlib.cli.runner.VERSION_ENV


def _page_id(docname: str) -> str | None:
    folder, _, name = docname.partition("/")
    return name if folder in CITED_FOLDERS and name and "/" not in name else None


def _root(app) -> Path:
    return Path(app.srcdir).resolve().parent


def _config_inited(app, config) -> None:
    """Read the metadata and the version once; put the version in the footer and pages."""
    root = _root(app)
    app.citation_pages = citation.load(root)
    app.citation_version = os.environ.get(VERSION_ENV) or citation.version(root)
    config.version = config.release = app.citation_version
    footer = f"Version du dépôt : <code>{escape(app.citation_version)}</code> (git describe)"
    config.html_theme_options = {**config.html_theme_options, "extra_footer": footer}
    if "myst_substitutions" in config:
        config.myst_substitutions = {**config.myst_substitutions, "version": app.citation_version}
    # citation.yaml and the version are no source file: rebuild the cited pages when either
    # changes, even in an incremental build.
    fingerprint = (root / citation.CITATION_FILE).read_bytes() + app.citation_version.encode()
    app.citation_fingerprint = hashlib.sha256(fingerprint).hexdigest()


def _builder_inited(app) -> None:
    """Keep the version out of Sphinx's own ``version`` and ``release`` in HTML.

    The LaTeX builder has read them by now (the running header of the PDF). In HTML they
    would only go into ``documentation_options.js``, whose checksum every page links
    (``?v=``): a hash that no masking of the version string can reach, so the book's
    fingerprint would change with the commit. The footer and the boxes print the version.
    """
    if app.builder.format == "html":
        app.config.version = app.config.release = ""


def _env_get_outdated(app, env, added, changed, removed) -> list[str]:
    if getattr(env, "citation_fingerprint", None) == app.citation_fingerprint:
        return []
    env.citation_fingerprint = app.citation_fingerprint
    return [d for d in env.found_docs if _page_id(d) and d not in added | changed]


def _check_entries(app, env) -> None:
    for docname in sorted(env.found_docs):
        page_id = _page_id(docname)
        if page_id and page_id not in app.citation_pages:
            logger.warning(
                "%s has no entry in book/citation.yaml (title, date, doi): it cannot be cited",
                docname,
                location=docname,
            )


def _meta_tags(page: citation.PageCitation) -> str:
    return "".join(
        f'<meta name="{name}" content="{escape(value, quote=True)}" />\n'
        for name, values in page.highwire().items()
        for value in values
    )


def _author_html(author: citation.Author) -> str:
    name = escape(author.display)
    if not author.orcid:
        return name
    url = escape(author.orcid_url, quote=True)
    return f'{name} (<a href="{url}">ORCID {escape(author.orcid)}</a>)'


def _box(page: citation.PageCitation, version: str, bib_href: str) -> str:
    authors = citation.join_french([_author_html(a) for a in page.authors])
    if page.doi:
        url = escape(f"https://doi.org/{page.doi}", quote=True)
        doi = f'<a href="{url}">{escape(page.doi)}</a>'
    else:
        doi = "à attribuer"
    licence = f'<a href="{escape(page.licence_url, quote=True)}">{escape(page.licence_id)}</a>'
    reference = escape(page.reference(version))
    return f"""
<div class="admonition citer-ce-document" id="citer-ce-document">
<p class="admonition-title">Citer ce document</p>
<p>{reference}</p>
<ul class="simple">
<li><strong>Auteurs</strong> : {authors}</li>
<li><strong>Version</strong> : <code>{escape(version)}</code></li>
<li><strong>Date</strong> : {escape(citation.french_date(page.date))}</li>
<li><strong>DOI</strong> : {doi}</li>
<li><strong>Licence du texte</strong> : {licence}</li>
</ul>
<p><a class="reference download" href="{escape(bib_href, quote=True)}" download>Télécharger
la référence BibTeX ({escape(page.page_id)}.bib)</a></p>
</div>
"""


def _html_page_context(app, pagename, templatename, context, doctree) -> None:
    page_id = _page_id(pagename)
    if doctree is None or page_id is None or page_id not in app.citation_pages:
        return
    page = app.citation_pages[page_id]
    context["metatags"] = context.get("metatags", "") + _meta_tags(page)
    bib_href = context["pathto"](f"{BIB_DIR}/{page_id}.bib", 1)
    context["body"] = context.get("body", "") + _box(page, app.citation_version, bib_href)


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.outdir) / BIB_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for docname in sorted(app.env.found_docs):
        page_id = _page_id(docname)
        if page_id in app.citation_pages:
            entry = app.citation_pages[page_id].bibtex(app.citation_version)
            (folder / f"{page_id}.bib").write_text(entry, encoding="utf-8")


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _env_get_outdated)
    app.connect("env-check-consistency", _check_entries)
    app.connect("html-page-context", _html_page_context)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
