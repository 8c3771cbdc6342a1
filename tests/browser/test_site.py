"""The built book as a reader's browser shows it (headless Chromium, see conftest.py).

Each page is loaded once, in sequence; what the tests check is measured during that
visit: failed requests, console errors, images, typeset maths, code blocks wider than
their column, rendered widgets. Run by `make test` after the strict build.
"""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / os.environ.get("BOOK_HTML", "_build/html")
HOST = "127.0.0.1"  # the server of conftest.py

# _static/ holds the themes' Jinja macro files, which are no pages.
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
               if "_static" not in p.relative_to(SITE).parts)
# The sources behind the pages (intro.md, chapters/*.ipynb).
SOURCES = {f"{s.relative_to(ROOT).with_suffix('').as_posix()}.html": s
           for s in [ROOT / "intro.md", *sorted((ROOT / "chapters").glob("*.ipynb"))]}
WIDGET_STATE = 'type="application/vnd.jupyter.widget-state+json"'
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)
SOURCE_MATHS = re.compile(r"\$\$|\$[^$\s][^$\n]*\$")

# Runs once the page has loaded: waits for widgets and maths, then measures.
MEASURE = """async (expectWidgets) => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const rendered = () => views.every(v => {
    const area = v.previousElementSibling;
    return area && area.classList.contains("widget-subarea") && area.children.length > 0;
  });
  if (expectWidgets) {
    for (let t = 0; t < 200 && !rendered(); t++) await new Promise(r => setTimeout(r, 50));
  }
  // MathJax typesets the page at start-up, and widget labels after the load event.
  for (let t = 0; t < 5; t++) {
    if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise;
    await new Promise(r => setTimeout(r, 50));
  }
  await document.fonts.ready;

  const images = await Promise.all([...document.images].map(async img => {
    img.loading = "eager";
    try { await img.decode(); } catch (e) {}
    return {src: img.getAttribute("src"), width: img.naturalWidth};
  }));

  const maths = [...document.querySelectorAll(".math")];
  const untypeset = maths.filter(m => !m.querySelector("mjx-container"))
                         .map(m => m.textContent.trim().slice(0, 80));

  // Text a reader sees as prose: not code, not already typeset maths.
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  const walker = document.createTreeWalker(document.querySelector("main") || document.body,
                                           NodeFilter.SHOW_TEXT);
  const dollars = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent;
    if (/\\$\\$|\\$[^$\\s][^$]*\\$/.test(text) && !n.parentElement.closest(skip))
      dollars.push(text.trim().slice(0, 120));
  }

  const widgets = views.map((v, i) => {
    const area = v.previousElementSibling;
    const found = area && area.classList.contains("widget-subarea")
      ? [...area.querySelectorAll("*")].filter(e => [...e.classList].some(c => c.startsWith("widget-")))
      : [];
    // An empty description label (a zero-width space) is drawn with no width.
    const unsized = found.filter(e => {
      const r = e.getBoundingClientRect();
      const blankLabel = e.tagName === "LABEL" && !e.textContent.replace(/[\\s\u200b]/g, "");
      return !(r.width > 0 && r.height > 0) && !blankLabel;
    });
    return {view: i, widgets: found.length,
            unsized: unsized.map(e => e.className + ": " + e.textContent.trim().slice(0, 40))};
  });

  // Solutions are collapsed: a reader can open them, so measure them open.
  document.querySelectorAll("details").forEach(d => d.open = true);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const blocks = document.querySelectorAll(
    "div.highlight pre, .output pre, .cell_output pre, .output_area pre, main pre");
  const overflows = [...new Set(blocks)].filter(b => b.scrollWidth > b.clientWidth + 1).map(b => {
    const cell = b.closest(".cell");
    const kind = b.closest(".cell_output, .output") ? "output" : "code";
    return {kind, scroll: b.scrollWidth, client: b.clientWidth,
            text: (b.textContent.split("\\n").reduce((a, l) => l.length > a.length ? l : a, "")).slice(0, 70)};
  });

  return {mjx: document.querySelectorAll("mjx-container").length, maths: maths.length,
          untypeset, images, dollars, widgets, overflows, title: document.title};
}"""

_visits = {}


def visit(browser, path, query=""):
    """Load `path` of the site in a fresh tab; what happened and what was measured."""
    key = path + query
    if key in _visits:
        return _visits[key]
    page = browser.new_page()
    report = {"failed": [], "console": [], "blocked_before": len(browser.blocked)}
    page.on("console", lambda m: m.type == "error" and report["console"].append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    page.on("pageerror", lambda e: report["console"].append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: report["failed"].append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and report["failed"].append(f"{r.url}: HTTP {r.status}"))
    try:
        page.goto(browser.site_url + path + query, wait_until="load")
        text = (SITE / path).read_text(encoding="utf-8")
        redirect = REDIRECT.search(text)  # index.html sends the reader to the first page
        if redirect:
            page.wait_for_url(browser.site_url + redirect.group(1), wait_until="load")
            text = (SITE / redirect.group(1)).read_text(encoding="utf-8")
        report.update(page.evaluate(MEASURE, WIDGET_STATE in text))
        page.wait_for_load_state("networkidle")  # what the page still loads fails here too
    except Exception:
        page.context.close()
        raise
    report["page"] = page if query else None  # the caller closes it
    if not query:
        page.context.close()
    report["blocked"] = browser.blocked[report["blocked_before"]:]
    _visits[key] = report
    return report


def test_site_is_built():
    assert (SITE / "index.html").is_file(), f"no built book at {SITE}: run `make book`"
    assert len(PAGES) >= 14, PAGES


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly(browser, path):
    """No failed request, no console error, nothing asked of another host."""
    r = visit(browser, path)
    assert not r["blocked"], "requests for other hosts:\n" + "\n".join(r["blocked"])
    assert not r["failed"], "failed requests:\n" + "\n".join(r["failed"])
    assert not r["console"], "console errors:\n" + "\n".join(r["console"])


@pytest.mark.parametrize("path", PAGES)
def test_images_decode(browser, path):
    broken = [i["src"] for i in visit(browser, path)["images"] if i["width"] == 0]
    assert not broken, "images that do not decode:\n" + "\n".join(broken)


def source_has_maths(path):
    source = SOURCES.get(path)
    if source is None:
        return False
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    return bool(SOURCE_MATHS.search(text))


@pytest.mark.parametrize("path", PAGES)
def test_maths_is_typeset(browser, path):
    r = visit(browser, path)
    assert not r["untypeset"], "maths left as TeX:\n" + "\n".join(r["untypeset"])
    if source_has_maths(path):
        assert r["maths"] > 0 and r["mjx"] > 0, f"{path}: its source has maths, the page shows none"


@pytest.mark.parametrize("path", PAGES)
def test_no_literal_dollar_delimiters(browser, path):
    dollars = visit(browser, path)["dollars"]
    assert not dollars, "text with $ delimiters:\n" + "\n".join(dollars)


@pytest.mark.parametrize("path", PAGES)
def test_code_and_output_blocks_fit_their_column(browser, path):
    over = visit(browser, path)["overflows"]
    assert not over, f"{len(over)} blocks wider than their column (1280 px window):\n" + "\n".join(
        f"{o['kind']}: {o['scroll']} > {o['client']} px: {o['text']!r}" for o in over)


@pytest.mark.parametrize("path", [p for p in PAGES if WIDGET_STATE in (SITE / p).read_text(encoding="utf-8")])
def test_widget_views_render(browser, path):
    widgets = visit(browser, path)["widgets"]
    assert widgets, f"{path}: widget state but no widget view"
    empty = [w for w in widgets if not w["widgets"] or w["unsized"]]
    assert not empty, f"views not rendered, or widgets of no size: {empty}"


def test_search_finds_softmax(browser):
    r = visit(browser, "search.html", "?q=softmax")
    page = r["page"]
    try:
        page.wait_for_selector("ul.search li a", timeout=20_000)
        hrefs = page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.href)")
    finally:
        page.context.close()
    assert not r["failed"] and not r["blocked"], (r["failed"], r["blocked"])
    chapters = [h for h in hrefs if urlsplit(h).hostname == HOST and "/chapters/" in urlsplit(h).path]
    assert chapters, f"no chapter among the results: {hrefs}"
