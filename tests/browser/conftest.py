"""The built book in a real browser: headless Chromium driven by playwright.

Like tests/test_book_offline.py, these tests read a built site: `make test` builds it
and runs them with BOOK_HTML=_build/html. Without BOOK_HTML they are not collected.

The site is served on loopback (http.server in a thread, a free port) and the browser
may load nothing else: every request for another host is aborted and counted. One
browser serves the whole session; pages are visited one after another.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / os.environ.get("BOOK_HTML", "_build/html")
HOST = "127.0.0.1"

collect_ignore = [] if os.environ.get("BOOK_HTML") else ["test_site.py", "test_live_widgets.py"]


def chromium_path():
    """The system's Chromium (`make test` installs it): nothing downloads a browser."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url():
    assert (SITE / "index.html").is_file(), f"no built book at {SITE}: run `make book`"
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class Browser:
    """One headless Chromium for the session. Each page opens as a first visit (a
    fresh context: no stored theme, no cache); every request not for the loopback
    server is aborted and recorded in `blocked`."""

    def __init__(self, site_url):
        from playwright.sync_api import sync_playwright

        self.site_url = site_url
        self.blocked = []
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"])

    def new_page(self):
        """A tab in a context of its own: close it with `page.context.close()`."""
        context = self._browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block")
        # Matched by the browser's driver: requests for the server never reach Python.
        context.route(re.compile(rf"^(?!https?://{re.escape(HOST)}[:/])"), self._block)
        return context.new_page()

    def _block(self, route):
        url = route.request.url
        if urlsplit(url).hostname == HOST:  # not expected: the pattern excludes these
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def close(self):
        self._browser.close()
        self._playwright.stop()


@pytest.fixture(scope="session")
def browser(site_url):
    b = Browser(site_url)
    yield b
    b.close()
