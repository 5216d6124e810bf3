"""Check a built HTML site the way a reader gets it: served over HTTP, opened in a browser.

Two checks, one report:

- **files** (every page, no browser): each internal ``href``/``src`` of a page (links,
  images, scripts, stylesheets, ``meta refresh``; ``url()`` and ``@import`` inside the local
  stylesheets) resolves to a file of the site, each ``#anchor`` to an ``id`` of its target
  page, each image file is non-empty, and nothing is loaded from another host (a script, a
  stylesheet, an image from ``http(s)://`` or ``//``: the book must read offline).
  Links *to* other sites (``<a href="https://...">``) are references, not loads: not checked.
- **browser** (headless Chromium, one process a page): the page served on ``127.0.0.1``
  loads with its title, its formulas are typeset by MathJax (``mjx-container`` elements,
  no ``mjx-merror``), no request it makes (fonts fetched by MathJax, scripts...) gets an
  HTTP error, and it requests nothing from another host. The browser's proxy is a local
  recorder: requests to other hosts are recorded and refused, so the page is seen as it
  reads offline (Chromium's own service calls, such as component updates, are ignored).

The browser is Debian's ``chromium`` (``apt-get install chromium``), found on ``PATH`` or
named by the environment variable ``IMPACT_BROWSER``.

Example
-------
>>> from pathlib import Path
>>> import tempfile
>>> site = Path(tempfile.mkdtemp())
>>> _ = (site / "index.html").write_text('<title>A</title><a href="b.html#x">b</a>')
>>> _ = (site / "b.html").write_text("<title>B</title><p>no anchor here</p>")
>>> report = check_site(site, render=False)
>>> [(p.page, p.kind, p.target) for p in report.problems]
[('index.html', 'missing-anchor', 'b.html#x')]
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from impactlib.core.validation import InputError

__all__ = [
    "INSTALL_HINT",
    "BrowserMissing",
    "PageRender",
    "Problem",
    "SiteReport",
    "SiteServer",
    "check_files",
    "check_site",
    "dump_dom",
    "find_browser",
    "render_pages",
    "screenshot",
    "serve",
    "toc_pages",
]

INSTALL_HINT = "apt-get install -y chromium  (or: make browser-tools)"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIPPED_DIRS = ("_static", "_sources", "_images", "_downloads")
# <link rel=...> values that make the browser fetch the target.
LOADING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"}
NON_HTTP_SCHEMES = ("mailto:", "javascript:", "data:", "tel:", "about:", "blob:")
# Hosts Chromium calls on its own (component and extension updates, network time, sign-in),
# whatever the page: not reported as the page's requests.
BROWSER_SERVICE_HOSTS = re.compile(
    r"^(accounts\.google\.com|clients\d*\.google\.com|update\.googleapis\.com"
    r"|[a-z0-9-]+\.gvt1\.com|safebrowsing\.googleapis\.com"
    r"|optimizationguide-pa\.googleapis\.com|content-autofill\.googleapis\.com)$"
)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class BrowserMissing(RuntimeError):
    """No headless Chromium on this machine; the message says how to install one."""


@dataclass(frozen=True, order=True)
class Problem:
    """One defect of the site: the page (site-relative path) where it is, its kind, its target.

    Kinds found in the files: ``missing-page``, ``broken-link``, ``missing-anchor``,
    ``missing-resource`` (script, stylesheet, font...), ``missing-image``, ``empty-image``,
    ``external-resource`` (loaded from another host), ``duplicate-resource`` (a script or
    stylesheet included twice). Found in the browser: ``load-failed``, ``title-missing``,
    ``math-not-rendered``, ``math-error``, ``http-error`` (a request answered 4xx/5xx),
    ``external-request`` (a request to another host).
    """

    page: str
    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.target}"


@dataclass(frozen=True)
class PageRender:
    """What the browser made of one page: its title, and the formulas before and after MathJax."""

    page: str
    title: str
    math_expected: int
    math_rendered: int
    seconds: float


@dataclass
class SiteReport:
    """Result of :func:`check_site`: ``problems`` is empty when the site is sound."""

    site: Path
    pages: list[str]
    problems: list[Problem] = field(default_factory=list)
    renders: dict[str, PageRender] = field(default_factory=dict)
    browser: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        rendered = f", {len(self.renders)} opened in {self.browser}" if self.renders else ""
        math = sum(r.math_rendered for r in self.renders.values())
        lines = [
            f"{self.site}: {len(self.pages)} pages checked{rendered} in {self.seconds:.1f} s; "
            f"{math} formulas typeset; {len(self.problems)} problem(s)"
        ]
        lines += [f"  {problem}" for problem in sorted(self.problems)]
        return "\n".join(lines)


# --- pages -------------------------------------------------------------------------------


def toc_pages(toc: str | os.PathLike[str]) -> list[str]:
    """The HTML pages of a Jupyter Book ``_toc.yml``, in reading order (``root`` first).

    Each ``file:`` entry becomes ``<file>.html`` (its suffix dropped); ``url:`` and ``glob:``
    entries are skipped. Returned paths are relative to the built site.
    """
    path = Path(toc)
    if not path.is_file():
        raise InputError(f"toc {str(path)!r} is not a file")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or "root" not in data:
        raise InputError(f"toc {str(path)!r} has no 'root' entry")
    files = [data["root"]]

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))

    walk(data)
    pages = []
    for name in files:
        stem = PurePosixPath(str(name))
        if stem.suffix in {".md", ".ipynb", ".rst"}:
            stem = stem.with_suffix("")
        page = f"{stem}.html"
        if page not in pages:
            pages.append(page)
    return pages


def _site_dir(site: str | os.PathLike[str]) -> Path:
    path = Path(site)
    if not path.is_dir():
        raise InputError(f"site {str(path)!r} is not a directory")
    return path.resolve()


def _all_pages(site: Path) -> list[str]:
    pages = []
    for file in sorted(site.rglob("*.html")):
        relative = file.relative_to(site).as_posix()
        if not relative.startswith(tuple(f"{d}/" for d in SKIPPED_DIRS)):
            pages.append(relative)
    return pages


# --- files -------------------------------------------------------------------------------


@dataclass
class _Reference:
    kind: str  # "link", "resource", "script", "image", "stylesheet"
    url: str


class _PageParser(HTMLParser):
    """Collects the references, the ids, the title and the formulas of one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[_Reference] = []
        self.ids: set[str] = set()
        self.title = ""
        self.math = 0
        self.mjx = 0
        self.mjx_errors = 0
        self.redirect: str | None = None
        self._in_title = False
        self._title_seen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        classes = a.get("class", "").split()
        if "math" in classes and tag in {"span", "div"}:
            self.math += 1
        if tag == "mjx-container":
            self.mjx += 1
        elif tag == "mjx-merror":
            self.mjx_errors += 1
        elif tag == "title" and not self._title_seen:  # not the <title> of an inline <svg>
            self._in_title = self._title_seen = True
        elif tag in {"a", "area"} and "href" in a:
            self.references.append(_Reference("link", a["href"]))
        elif tag == "form" and a.get("action"):
            self.references.append(_Reference("link", a["action"]))
        elif tag == "link" and "href" in a:
            rels = set(a.get("rel", "").lower().split())
            if "stylesheet" in rels:
                self.references.append(_Reference("stylesheet", a["href"]))
            elif rels & LOADING_RELS:
                self.references.append(_Reference("resource", a["href"]))
            else:
                self.references.append(_Reference("link", a["href"]))
        elif tag == "img":
            if "src" in a:
                self.references.append(_Reference("image", a["src"]))
            for candidate in a.get("srcset", "").split(","):
                if candidate.strip():
                    self.references.append(_Reference("image", candidate.split()[0]))
        elif tag in {"script", "iframe", "source", "video", "audio", "embed", "track"}:
            if a.get("src"):
                kind = "script" if tag == "script" else "resource"
                self.references.append(_Reference(kind, a["src"]))
        elif tag == "object" and a.get("data"):
            self.references.append(_Reference("resource", a["data"]))
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            match = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.I)
            if match:
                self.redirect = match.group(1).strip()
                self.references.append(_Reference("link", self.redirect))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _parse(text: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    parser.title = " ".join(html.unescape(parser.title).split())
    return parser


def _is_external(url: str) -> bool:
    return url.startswith("//") or bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url))


def _local_target(source: str, url: str) -> tuple[str | None, str]:
    """Site-relative file named by ``url`` written in file ``source``, and its fragment.

    ``None`` when the url leaves the site (``../`` above its root).
    """
    parts = urlsplit(urljoin(f"/{source}", url))
    path = unquote(parts.path)
    if path.endswith("/"):
        path += "index.html"
    normalised = os.path.normpath(path).replace(os.sep, "/")
    if not normalised.startswith("/") or normalised.startswith("//"):
        return None, unquote(parts.fragment)
    return normalised.lstrip("/"), unquote(parts.fragment)


class _FileChecker:
    """Checks the references of pages and stylesheets, caching parsed targets."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.problems: list[Problem] = []
        self._ids: dict[str, set[str]] = {}
        self._stylesheets_done: set[str] = set()

    def add(self, page: str, kind: str, target: str) -> None:
        problem = Problem(page, kind, target)
        if problem not in self.problems:
            self.problems.append(problem)

    def ids(self, page: str) -> set[str]:
        if page not in self._ids:
            text = (self.site / page).read_text(encoding="utf-8", errors="replace")
            self._ids[page] = _parse(text).ids
        return self._ids[page]

    def page(self, page: str) -> None:
        file = self.site / page
        if not file.is_file():
            self.add(page, "missing-page", page)
            return
        parsed = _parse(file.read_text(encoding="utf-8", errors="replace"))
        self._ids[page] = parsed.ids
        loaded: set[str] = set()
        for reference in parsed.references:
            self.reference(page, reference)
            if reference.kind in {"script", "stylesheet"} and not _is_external(reference.url):
                target, _ = _local_target(page, reference.url.strip())
                if target in loaded:  # e.g. MathJax included twice
                    self.add(page, "duplicate-resource", target)
                loaded.add(target)

    def reference(self, source: str, reference: _Reference) -> None:
        url = reference.url.strip()
        if not url or url.lower().startswith(NON_HTTP_SCHEMES):
            return
        if _is_external(url):
            if reference.kind != "link":
                self.add(source, "external-resource", url)
            return
        target, fragment = _local_target(source, url)
        missing_kind = {
            "link": "broken-link",
            "image": "missing-image",
        }.get(reference.kind, "missing-resource")
        if target is None or not (self.site / target).is_file():
            self.add(source, missing_kind, url)
            return
        if reference.kind == "image" and (self.site / target).stat().st_size == 0:
            self.add(source, "empty-image", url)
        if reference.kind == "stylesheet":
            self.stylesheet(target)
        if fragment and target.endswith((".html", ".htm")) and fragment not in self.ids(target):
            self.add(source, "missing-anchor", url)

    def stylesheet(self, css: str) -> None:
        if css in self._stylesheets_done:
            return
        self._stylesheets_done.add(css)
        text = (self.site / css).read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for match in CSS_URL.finditer(text):
            is_import = match.group(4) is not None
            url = match.group(4) if is_import else match.group(2)
            if url.startswith("#"):  # an SVG fragment reference, not a file
                continue
            kind = "stylesheet" if is_import else "resource"
            self.reference(css, _Reference(kind, url))


def check_files(site: str | os.PathLike[str], pages: Sequence[str] | None = None) -> list[Problem]:
    """Check the links, anchors, images and loaded resources of ``pages`` from the files alone.

    ``pages`` are paths relative to ``site`` (default: every ``.html`` file outside
    ``_static``, ``_sources``, ``_images`` and ``_downloads``). Returns the problems found.
    """
    root = _site_dir(site)
    checker = _FileChecker(root)
    for page in _all_pages(root) if pages is None else pages:
        checker.page(page)
    return checker.problems


# --- server ------------------------------------------------------------------------------


@dataclass
class SiteServer:
    """A running local server: ``url`` ends with ``/``; ``errors`` lists failed requests."""

    url: str
    errors: list[tuple[str, int, str]]  # (path, HTTP status, referring URL)

    def page_url(self, page: str) -> str:
        return urljoin(self.url, page)


class _RecordingHandler(SimpleHTTPRequestHandler):
    """Serves the site's files, prints nothing, records the requests answered with an error.

    As the browser's proxy (see :func:`_run_browser`), it receives only the requests to other
    hosts (loopback bypasses the proxy): ``GET http://...`` gets a 404, ``CONNECT host:443``
    a 501; both are recorded, so nothing leaves the machine and every attempt is known.
    """

    def __init__(self, *args, errors: list, lock: threading.Lock, **kwargs) -> None:
        self._errors = errors
        self._lock = lock
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if isinstance(code, int) else 0
        if status >= 400 and urlsplit(self.path).path != "/favicon.ico":
            with self._lock:
                self._errors.append((self.path, status, self.headers.get("Referer", "")))


@contextlib.contextmanager
def serve(site: str | os.PathLike[str]) -> Iterator[SiteServer]:
    """Serve ``site`` on ``127.0.0.1`` (ephemeral port) from a thread while the block runs."""
    root = _site_dir(site)
    errors: list[tuple[str, int, str]] = []
    handler = partial(_RecordingHandler, directory=str(root), errors=errors, lock=threading.Lock())
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="sitecheck-server", daemon=True)
    thread.start()
    try:
        yield SiteServer(url=f"http://127.0.0.1:{server.server_address[1]}/", errors=errors)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- browser -----------------------------------------------------------------------------


def find_browser() -> str | None:
    """Path of a headless-capable Chromium: ``$IMPACT_BROWSER``, else the first on ``PATH``."""
    named = os.environ.get("IMPACT_BROWSER")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser(browser: str | None) -> str:
    found = browser or find_browser()
    if not found:
        raise BrowserMissing(f"no Chromium found on PATH (nor $IMPACT_BROWSER): {INSTALL_HINT}")
    return found


def _browser_service(request: str) -> bool:
    """Whether a proxied request (``http://host/...`` or ``host:443``) is Chromium's own."""
    host = urlsplit(request).hostname if "://" in request else request.rsplit(":", 1)[0]
    return bool(host and BROWSER_SERVICE_HOSTS.match(host.lower()))


def _run_browser(
    browser: str, args: list[str], *, budget_ms: int, timeout: float
) -> tuple[str, list[str]]:
    """Run headless Chromium once; its stdout and the requests it tried to other hosts."""
    with (
        tempfile.TemporaryDirectory(prefix="sitecheck-") as scratch,
        tempfile.TemporaryDirectory(prefix="sitecheck-proxy-") as nothing,
        serve(nothing) as proxy,  # serves an empty folder: every proxied request fails
    ):
        command = [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pings",
            "--disable-features=NetworkTimeServiceQuerying",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--lang=fr-FR",
            f"--proxy-server={proxy.url.rstrip('/')}",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--virtual-time-budget={budget_ms}",
            *args,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        external = [path for path, _, _ in proxy.errors if not _browser_service(path)]
    if done.returncode != 0:
        raise RuntimeError(f"{Path(browser).name} exited {done.returncode}: {done.stderr[-800:]}")
    return done.stdout, external


def dump_dom(
    url: str, *, browser: str | None = None, budget_ms: int = 5000, timeout: float = 90
) -> str:
    """The DOM of ``url`` after its scripts ran (``budget_ms`` of virtual time), as HTML.

    The browser reaches ``127.0.0.1`` only: requests to other hosts fail (see
    :func:`render_pages`, which reports them).
    """
    dom, _ = _run_browser(
        _browser(browser), ["--dump-dom", url], budget_ms=budget_ms, timeout=timeout
    )
    return dom


def screenshot(
    url: str,
    path: str | os.PathLike[str],
    *,
    browser: str | None = None,
    width: int = 1280,
    height: int = 2000,
    budget_ms: int = 5000,
    timeout: float = 90,
) -> Path:
    """Save a PNG of ``url`` as rendered by headless Chromium in a ``width`` x ``height`` window."""
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    _run_browser(
        _browser(browser),
        [f"--screenshot={target}", f"--window-size={width},{height}", url],
        budget_ms=budget_ms,
        timeout=timeout,
    )
    if not target.is_file() or target.stat().st_size == 0:
        raise RuntimeError(f"no screenshot written for {url} at {target}")
    return target


def _render_one(
    site: Path, page: str, *, browser: str, budget_ms: int, timeout: float
) -> tuple[PageRender | None, list[Problem]]:
    """Open one page from its own server, so that every failed request is the page's."""
    source = _parse((site / page).read_text(encoding="utf-8", errors="replace"))
    expected_title = source.title
    if source.redirect:  # the browser follows it: expect the target's title and formulas
        target, _ = _local_target(page, source.redirect)
        if target and (site / target).is_file():
            source = _parse((site / target).read_text(encoding="utf-8", errors="replace"))
            expected_title = source.title
    start = time.perf_counter()
    with serve(site) as server:
        try:
            dom, external = _run_browser(
                browser, ["--dump-dom", server.page_url(page)], budget_ms=budget_ms, timeout=timeout
            )
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            return None, [Problem(page, "load-failed", str(error).splitlines()[0][:300])]
    seconds = time.perf_counter() - start
    problems = [
        Problem(page, "http-error", f"{status} {path}") for path, status, _ in server.errors
    ]
    problems += [Problem(page, "external-request", url) for url in dict.fromkeys(external)]
    rendered = _parse(dom)
    if not dom.strip() or (expected_title and rendered.title != expected_title):
        problems.append(Problem(page, "title-missing", expected_title or "(no <title>)"))
    if rendered.mjx < source.math:
        problems.append(
            Problem(page, "math-not-rendered", f"{rendered.mjx} of {source.math} formulas typeset")
        )
    if rendered.mjx_errors:
        problems.append(Problem(page, "math-error", f"{rendered.mjx_errors} formula(s) in error"))
    render = PageRender(page, rendered.title, source.math, rendered.mjx, seconds)
    return render, problems


def render_pages(
    site: str | os.PathLike[str],
    pages: Sequence[str],
    *,
    browser: str | None = None,
    workers: int = 2,
    budget_ms: int = 5000,
    timeout: float = 90,
) -> tuple[dict[str, PageRender], list[Problem]]:
    """Open each page in headless Chromium from a local server; report what failed.

    Runs ``workers`` browsers at a time, each with the site on its own ``127.0.0.1`` port and
    no other host reachable. Problems: ``load-failed``, ``title-missing``,
    ``math-not-rendered`` (fewer ``mjx-container`` than formulas in the page),
    ``math-error``, ``http-error`` (a request of the page answered 4xx/5xx, a font or a
    MathJax component for instance) and ``external-request`` (a request to another host).
    """
    root = _site_dir(site)
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    found = _browser(browser)
    renders: dict[str, PageRender] = {}
    problems: list[Problem] = []
    present = [p for p in pages if (root / p).is_file()]
    run = partial(_render_one, root, browser=found, budget_ms=budget_ms, timeout=timeout)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for page, (render, page_problems) in zip(present, pool.map(run, present), strict=True):
            if render is not None:
                renders[page] = render
            problems.extend(p for p in page_problems if p not in problems)
    return renders, problems


def check_site(
    site: str | os.PathLike[str],
    pages: Sequence[str] | None = None,
    *,
    render: bool = True,
    render_pages_only: Sequence[str] | None = None,
    browser: str | None = None,
    workers: int = 2,
    budget_ms: int = 5000,
    timeout: float = 90,
) -> SiteReport:
    """Check a built site: the files of every page, then each page in headless Chromium.

    Parameters
    ----------
    site
        The built site folder (for the book, ``book/_build/html``).
    pages
        Pages to check, relative to ``site`` (for the book, ``toc_pages(...)``). Default:
        every ``.html`` file outside the ``_static``-like folders.
    render
        Open the pages in the browser too. Raises :class:`BrowserMissing` when there is none.
    render_pages_only
        Open only these pages in the browser (default: all of ``pages``); the file checks
        cover all of ``pages`` regardless.
    browser, workers, budget_ms, timeout
        Chromium executable (default :func:`find_browser`), browsers run at once, virtual
        time given to each page's scripts, wall-clock limit per page in seconds.

    Returns
    -------
    SiteReport
        ``problems`` (page, kind, target) and, per opened page, a :class:`PageRender`.
    """
    start = time.perf_counter()
    root = _site_dir(site)
    chosen = _all_pages(root) if pages is None else list(pages)
    if not chosen:
        raise InputError(f"pages: no page to check in {str(root)!r}")
    report = SiteReport(site=root, pages=chosen, problems=check_files(root, chosen))
    if render:
        opened = chosen if render_pages_only is None else list(render_pages_only)
        report.browser = _browser(browser)
        renders, problems = render_pages(
            root,
            opened,
            browser=report.browser,
            workers=workers,
            budget_ms=budget_ms,
            timeout=timeout,
        )
        report.renders = renders
        report.problems += [p for p in problems if p not in report.problems]
    report.seconds = time.perf_counter() - start
    return report
