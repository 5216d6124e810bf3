"""support.sitecheck on tiny hand-made sites: each defect reported with its page and target.

The file checks need nothing but Python; the browser checks need headless Chromium and are
skipped only when none is installed (the integration test, which checks the real book,
fails instead).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from impactlib.core import InputError
from support.sitecheck import (
    BrowserMissing,
    Problem,
    check_files,
    check_site,
    find_browser,
    render_pages,
    screenshot,
    serve,
    toc_pages,
)

ROOT = Path(__file__).resolve().parents[2]
MATHJAX = ROOT / "book" / "_vendor" / "mathjax"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
needs_browser = pytest.mark.skipif(find_browser() is None, reason="no Chromium installed")


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><h1 id='top'>{title}</h1>{body}</body></html>"
    )


def _write(site: Path, name: str, text: str | bytes) -> None:
    path = site / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def clean_site(tmp_path: Path) -> Path:
    """Two pages in two folders, an image, a stylesheet with a font, a local script."""
    site = tmp_path / "clean"
    _write(site, "index.html", '<meta http-equiv="Refresh" content="0; url=pages/intro.html" />')
    _write(
        site,
        "pages/intro.html",
        _page(
            "Accueil",
            '<p><a href="../reports/a.html#resultats">Résultats</a> '
            '<a href="#top">haut</a> <a href="https://example.org/">ailleurs</a> '
            '<a href="mailto:contact@example.org">écrire</a></p>'
            '<img src="../_static/logo.png" alt="logo">',
            head='<link rel="stylesheet" href="../_static/style.css">'
            '<script src="../_static/app.js?v=1"></script>',
        ),
    )
    _write(
        site,
        "reports/a.html",
        _page(
            "Rapport A",
            '<section id="resultats"><p>Un effet.</p></section>'
            '<a href="../pages/intro.html">retour</a> <a href="./">dossier</a>',
        ),
    )
    _write(site, "reports/index.html", _page("Rapports", "<p>Liste.</p>"))
    _write(site, "_static/logo.png", PNG_MAGIC + b"\x00" * 16)
    _write(site, "_static/style.css", "@font-face { src: url('fonts/a.woff'); } /* url(x) */")
    _write(site, "_static/fonts/a.woff", b"wOFF")
    _write(site, "_static/app.js", "document.documentElement.dataset.ok = '1';")
    return site


def test_a_clean_site_has_no_problem(clean_site: Path):
    assert check_files(clean_site) == []
    report = check_site(clean_site, render=False)
    assert report.ok and report.pages == [
        "index.html",
        "pages/intro.html",
        "reports/a.html",
        "reports/index.html",
    ]
    assert "4 pages checked" in report.summary() and "0 problem(s)" in report.summary()


def test_each_defect_is_reported_with_its_page_and_target(clean_site: Path):
    site = clean_site
    _write(
        site,
        "reports/b.html",
        _page(
            "Rapport B",
            '<a href="manquant.html">lien cassé</a> '
            '<a href="a.html#absente">ancre absente</a> '
            '<a href="../../hors-du-site.html">hors du site</a> '
            '<img src="../_images/disparue.png" alt=""> '
            '<img src="../_static/vide.png" alt="">',
            head='<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
            '</script><link rel="stylesheet" href="//cdn.example.org/theme.css">'
            '<link rel="stylesheet" href="../_static/casse.css">'
            '<script src="../_static/app.js"></script><script src="../_static/app.js"></script>',
        ),
    )
    _write(site, "_static/vide.png", b"")
    _write(
        site,
        "_static/casse.css",
        "@import url('https://fonts.example.org/f.css');a { background: url(absente.svg); }",
    )
    problems = set(check_files(site, ["reports/b.html", "pages/intro.html", "reports/absent.html"]))
    assert problems == {
        Problem("reports/b.html", "broken-link", "manquant.html"),
        Problem("reports/b.html", "missing-anchor", "a.html#absente"),
        Problem("reports/b.html", "broken-link", "../../hors-du-site.html"),
        Problem("reports/b.html", "missing-image", "../_images/disparue.png"),
        Problem("reports/b.html", "empty-image", "../_static/vide.png"),
        Problem(
            "reports/b.html",
            "external-resource",
            "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",
        ),
        Problem("reports/b.html", "external-resource", "//cdn.example.org/theme.css"),
        Problem("reports/b.html", "duplicate-resource", "_static/app.js"),
        Problem("_static/casse.css", "external-resource", "https://fonts.example.org/f.css"),
        Problem("_static/casse.css", "missing-resource", "absente.svg"),
        Problem("reports/absent.html", "missing-page", "reports/absent.html"),
    }
    report = check_site(site, ["reports/b.html"], render=False)
    assert not report.ok
    assert "reports/b.html: missing-anchor: a.html#absente" in report.summary()


def test_a_link_to_an_anchor_of_its_own_page_is_checked(tmp_path: Path):
    _write(tmp_path, "p.html", _page("P", '<a href="#top">ok</a> <a href="#nulle-part">non</a>'))
    assert check_files(tmp_path) == [Problem("p.html", "missing-anchor", "#nulle-part")]


def test_toc_pages_follow_the_reading_order(tmp_path: Path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "format: jb-book\nroot: pages/intro\nparts:\n"
        "  - caption: A\n    chapters:\n      - file: reports/a.ipynb\n"
        "        sections:\n          - file: reports/a-annexe\n      - url: https://example.org\n"
        "  - caption: B\n    chapters:\n      - file: comparer.md\n",
        encoding="utf-8",
    )
    assert toc_pages(toc) == [
        "pages/intro.html",
        "reports/a.html",
        "reports/a-annexe.html",
        "comparer.html",
    ]


def test_the_book_toc_lists_its_report_pages(repo_root: Path):
    pages = toc_pages(repo_root / "book" / "_toc.yml")
    assert pages[0] == "pages/intro.html" and "reports/emploi-nsw.html" in pages


def test_bad_input_is_refused(tmp_path: Path, clean_site: Path):
    with pytest.raises(InputError, match="site .* is not a directory"):
        check_site(tmp_path / "absent")
    with pytest.raises(InputError, match="toc .* is not a file"):
        toc_pages(tmp_path / "_toc.yml")
    (tmp_path / "_toc.yml").write_text("format: jb-book\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'root' entry"):
        toc_pages(tmp_path / "_toc.yml")
    with pytest.raises(InputError, match="no page to check"):
        check_site(_empty(tmp_path), render=False)
    with pytest.raises(InputError, match="workers must be at least 1"):
        render_pages(clean_site, ["pages/intro.html"], browser="chromium", workers=0)


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "vide"
    empty.mkdir()
    return empty


def test_a_missing_browser_says_how_to_install_one(clean_site, monkeypatch, tmp_path):
    monkeypatch.setenv("IMPACT_BROWSER", str(tmp_path / "pas-de-chromium"))
    assert find_browser() is None
    with pytest.raises(BrowserMissing, match="apt-get install -y chromium"):
        check_site(clean_site)


def test_the_server_serves_the_site_and_records_failed_requests(clean_site: Path):
    from urllib.error import HTTPError
    from urllib.request import urlopen

    with serve(clean_site) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urlopen(server.page_url("reports/a.html")) as response:
            assert b"Rapport A" in response.read()
        with pytest.raises(HTTPError):
            urlopen(server.page_url("absent.html"))
    assert [(path, status) for path, status, _ in server.errors] == [("/absent.html", 404)]


# --- in the browser ------------------------------------------------------------------------


@needs_browser
def test_a_clean_site_loads_in_the_browser(clean_site: Path):
    report = check_site(clean_site, ["index.html", "reports/a.html"])
    assert report.ok, report.summary()
    # index.html redirects: the browser lands on the intro page and finds its title.
    assert report.renders["index.html"].title == "Accueil"
    assert report.renders["reports/a.html"].title == "Rapport A"


@needs_browser
def test_the_vendored_mathjax_typesets_without_network(tmp_path: Path):
    site = tmp_path / "site"
    shutil.copytree(MATHJAX, site / "_static" / "mathjax")
    math = (
        '<p>Effet <span class="math notranslate nohighlight">\\(\\hat\\tau = \\bar y_1 - '
        '\\bar y_0\\)</span>.</p><div class="math notranslate nohighlight">\\[\\sum_{i=1}^n '
        "\\frac{\\lambda_i}{\\sigma^2} \\qquad \\mathbb{E}[Y]\\]</div>"
    )
    _write(
        site,
        "ok.html",
        _page(
            "Avec MathJax",
            math,
            head=('<script defer src="_static/mathjax/tex-chtml.js"></script>'),
        ),
    )
    _write(site, "sans.html", _page("Sans MathJax", math))
    _write(
        site,
        "cdn.html",
        _page(
            "MathJax du CDN",
            math,
            head=(
                '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
            ),
        ),
    )
    report = check_site(site, ["ok.html", "sans.html", "cdn.html"])
    assert report.renders["ok.html"].math_expected == 2
    assert report.renders["ok.html"].math_rendered == 2
    assert set(report.problems) == {
        Problem("sans.html", "math-not-rendered", "0 of 2 formulas typeset"),
        Problem("cdn.html", "math-not-rendered", "0 of 2 formulas typeset"),
        Problem(
            "cdn.html",
            "external-resource",
            "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js",
        ),
        # The browser tried the CDN and was stopped: nothing leaves the machine.
        Problem("cdn.html", "external-request", "cdn.jsdelivr.net:443"),
    }


@needs_browser
def test_requests_made_by_scripts_are_checked(tmp_path: Path):
    script = (
        "<script>fetch('donnees/absentes.json').catch(() => {});"
        "const i = new Image(); i.src = 'http://images.example.org/x.png';"
        "document.body.appendChild(i);</script>"
    )
    _write(tmp_path, "p.html", _page("Scripts", script))
    report = check_site(tmp_path)
    # The files look sound: only the browser sees what the script asks for.
    assert check_files(tmp_path) == []
    assert set(report.problems) == {
        Problem("p.html", "http-error", "404 /donnees/absentes.json"),
        Problem("p.html", "external-request", "http://images.example.org/x.png"),
    }


@needs_browser
def test_screenshot_writes_a_png(clean_site: Path, tmp_path: Path):
    with serve(clean_site) as server:
        path = screenshot(
            server.page_url("reports/a.html"), tmp_path / "shots" / "a.png", width=800, height=600
        )
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    # IHDR: width and height, big-endian, bytes 16-24 of a PNG.
    assert int.from_bytes(data[16:20], "big") == 800
    assert int.from_bytes(data[20:24], "big") == 600
