"""The built book in a real browser: every page of the table of contents, served locally.

Uses the session's reproduced copy (`project`, conftest.py): the site in
<copy>/book/_build/html is served on 127.0.0.1 and each page of book/_toc.yml is opened in
headless Chromium with no other host reachable (support.sitecheck). Fails on a broken
link or anchor, a missing or empty image, a script or stylesheet from another host, a
request that fails, or formulas MathJax did not typeset. Screenshots of the home page and
of a report are kept in tests/artifacts/browser/ (or $IMPACT_ARTEFACTS).

Chromium is required here, not optional: without it the test fails and says how to install
it (`make browser-tools`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.sitecheck import INSTALL_HINT, check_site, find_browser, screenshot, serve, toc_pages
from support.tableprobe import probe_table

pytestmark = pytest.mark.pipeline

ROOT = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MATH_PAGES = ("guide/guide-did.html", "reports/autonomie-chutes-essai.html")
# The comparison table fits a desktop and a phone, and sorts when a header is clicked
# (column 4: the standardised effect, a number).
COMPARISON = ("comparer.html", "T_comparison", 4)
WIDTHS = (1280, 390)
SCREENSHOTS = {
    "accueil.png": "pages/intro.html",  # index.html only redirects there
    "rapport-emploi-nsw.png": "reports/emploi-nsw.html",
}


def _artefacts() -> Path:
    folder = Path(os.environ.get("IMPACT_ARTEFACTS") or ROOT / "tests" / "artifacts") / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        pytest.fail(f"headless Chromium is needed to check the book in a browser: {INSTALL_HINT}")
    return found


@pytest.fixture(scope="module")
def site(project) -> Path:
    return project["root"] / "book" / "_build" / "html"


@pytest.fixture(scope="module")
def site_report(project, site, browser):
    pages = ["index.html", *toc_pages(project["root"] / "book" / "_toc.yml")]
    report = check_site(site, pages, browser=browser)
    (_artefacts() / "sitecheck.txt").write_text(report.summary() + "\n", encoding="utf-8")
    return report


def test_every_page_of_the_toc_loads_with_sound_links_and_images(site_report):
    assert site_report.ok, site_report.summary()
    assert len(site_report.pages) >= 20
    assert set(site_report.renders) == set(site_report.pages)  # each one opened in Chromium
    assert site_report.seconds < 120, site_report.summary()


def test_math_is_typeset_by_the_vendored_mathjax(site_report, site):
    for page in MATH_PAGES:
        render = site_report.renders[page]
        assert render.math_expected > 0, f"{page} has no formula any more: pick another page"
        assert render.math_rendered >= render.math_expected, site_report.summary()
        html = (site / page).read_text(encoding="utf-8")
        assert 'src="../_static/mathjax/tex-chtml.js' in html and "cdn.jsdelivr" not in html
    assert (site / "_static" / "mathjax" / "LICENSE").is_file()


def test_screenshots_of_the_home_page_and_a_report(site, browser):
    folder = _artefacts()
    with serve(site) as server:
        for name, page in SCREENSHOTS.items():
            path = screenshot(server.page_url(page), folder / name, browser=browser)
            data = path.read_bytes()
            assert data[:8] == PNG_MAGIC and len(data) > 20_000, f"{path}: {len(data)} bytes"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_comparison_table_fits_the_screen_and_sorts(site, browser, width):
    page, table_id, column = COMPARISON
    probe = probe_table(site, page, table_id, width=width, column=column, browser=browser)
    assert probe.ready, f"DataTables did not take over {table_id} at {width} px"
    assert probe.width == width
    assert probe.fits, f"at {width} px something is cut or wider than the screen: {probe}"
    assert len(probe.rows_before) >= 2
    assert probe.rows_after != probe.rows_before, f"a click did not reorder the rows: {probe}"
    assert sorted(probe.rows_after) == sorted(probe.rows_before)  # same rows, new order
