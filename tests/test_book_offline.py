"""The built book loads nothing from the internet.

Needs a built site: `make test` builds it and runs this file with BOOK_HTML=_build/html.
A plain `pytest` (no BOOK_HTML) does not collect it (see conftest.py); with BOOK_HTML
set, a missing site fails.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / os.environ.get("BOOK_HTML", "_build/html")

LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon", "manifest"}
CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)""")


class ResourceParser(HTMLParser):
    """Collects (tag, url) for every resource a page loads by itself."""

    def __init__(self):
        super().__init__()
        self.resources = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and attrs.get("src"):
            self.resources.append((tag, attrs["src"]))
        elif tag == "link" and attrs.get("href"):
            if LINK_RELS & set((attrs.get("rel") or "").lower().split()):
                self.resources.append((tag, attrs["href"]))
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style:
            self.resources += [("style", url) for url in css_urls(data)]


def css_urls(text):
    return [(m.group(1) or m.group(2)).strip() for m in CSS_URL.finditer(text)]


def is_external(url):
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https")


def local_target(page, url):
    """The file a local URL of `page` points at, or None for data: and similar URLs."""
    parts = urlsplit(url)
    if parts.scheme:
        return None
    path = unquote(parts.path)
    return SITE / path.lstrip("/") if path.startswith("/") else page.parent / path


def html_pages():
    # _static/ holds the themes' Jinja macro files, which are no pages.
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.relative_to(SITE).parts)


def test_site_is_built():
    assert (SITE / "index.html").is_file(), f"no built book at {SITE}: run `make book`"


def test_pages_load_only_local_resources():
    problems = []
    pages = html_pages()
    assert pages
    for page in pages:
        parser = ResourceParser()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, url in parser.resources:
            where = f"{page.relative_to(SITE)}: <{tag}> {url}"
            if is_external(url):
                problems.append("external " + where)
            elif tag in ("script", "link"):
                target = local_target(page, url)
                if target is not None and not target.is_file():
                    problems.append("missing " + where)
    assert not problems, "\n".join(problems)


def test_stylesheets_import_nothing_external():
    problems = []
    stylesheets = sorted(SITE.rglob("*.css"))
    assert stylesheets
    for css in stylesheets:
        for url in css_urls(css.read_text(encoding="utf-8", errors="replace")):
            if is_external(url):
                problems.append(f"{css.relative_to(SITE)}: {url}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "path",
    [
        "_static/mathjax/tex-chtml.js",
        "_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "_static/mathjax/input/tex/extensions/ams.js",
        "_static/requirejs/require.js",
        "_static/html-manager/embed-amd.js",
        "_static/widgets-setup.js",
    ],
)
def test_web_assets_are_served(path):
    assert (SITE / path).is_file()


def test_widget_fonts_are_served_where_embed_amd_looks():
    fonts = SITE / "@jupyter-widgets/html-manager/dist"
    found = {p.suffix for p in fonts.glob("*")}
    assert {".woff2", ".woff", ".ttf", ".eot"} <= found, f"widget fonts missing in {fonts}"


def test_in_page_links_have_targets():
    """The reference tables link every entry to its section: each anchor exists."""
    problems = []
    for page in html_pages():
        text = page.read_text(encoding="utf-8")
        ids = set(re.findall(r'id="([^"]+)"', text))
        problems += [f"{page.relative_to(SITE)}: #{anchor}"
                     for anchor in sorted(set(re.findall(r'href="#([^"]+)"', text)) - ids)]
    assert not problems, "no section for:\n" + "\n".join(problems)


def test_every_chapter_shows_its_reference_table():
    chapters = sorted((SITE / "chapters").glob("*.html"))
    assert len(chapters) >= 6
    for page in chapters:
        assert 'class="nnlib-reference-table"' in page.read_text(encoding="utf-8"), page.name


def test_no_solution_shows_its_output_on_the_site():
    """Each chapter's solutions are collapsed cells (``tag_hide-cell``: input and
    output behind one toggle), as many as the notebook has, and nothing in its
    exercises shows a solution's output beside a hidden input (``tag_hide-input``)."""
    import nbformat
    for page in sorted((SITE / "chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        notebook = nbformat.read(ROOT / "chapters" / f"{page.stem}.ipynb", as_version=4)
        collapsed = sum("hide-cell" in cell.metadata.get("tags", []) for cell in notebook.cells)
        assert text.count('class="cell tag_hide-cell') == collapsed >= 1, page.name
        exercises = text[text.index('<section id="exercises">'):]
        assert "tag_hide-input" not in exercises, page.name
