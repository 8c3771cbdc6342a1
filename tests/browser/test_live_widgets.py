"""A live explorer in a real browser: the metrics chapter served by Voila on
loopback (a kernel runs it), the threshold explorer's slider moved to a new
value, and the figure and the numbers printed under it checked against
``operating_point`` computed here from the same scores."""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nnlib.widgets.threshold_explorer import breast_cancer_scores, operating_point, summary

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "chapters" / "metrics.ipynb"
NEW_THRESHOLD = 0.3
NUMBER = re.compile(r"\d+\.\d+")
# Voila streams the chapter as its kernel runs it (about 30 s here); a kernel that
# never answers its first request has been seen with nbconvert too, so a page whose
# explorer does not appear is loaded once more, with a new kernel.
ATTEMPTS, EXPLORER_TIMEOUT = 2, 150_000


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chapter_url(tmp_path_factory):
    """The chapter served by Voila on 127.0.0.1 (its log in a temporary file)."""
    port = free_port()
    log = (tmp_path_factory.mktemp("voila") / "voila.log").open("w")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", CHAPTER.name],
        cwd=CHAPTER.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, f"Voila stopped: see {log.name}"
            time.sleep(0.5)
    else:
        pytest.fail(f"Voila did not listen on port {port} within 60 s: see {log.name}")
    yield f"http://127.0.0.1:{port}/"
    server.terminate()
    server.wait(timeout=30)
    log.close()


def explorer_state(page):
    """The explorer's figure (its image data) and the line printed under it."""
    output = page.locator(".widget-interact .widget-output").first
    image = output.locator("img").first.get_attribute("src")
    return image, output.inner_text()


def numbers(text):
    return [float(value) for value in NUMBER.findall(text)]


def test_moving_the_threshold_redraws_what_the_maths_says(browser, chapter_url):
    page = browser.new_page()
    try:
        slider = page.locator(".widget-slider", has=page.get_by_text("threshold", exact=True))
        for attempt in range(1, ATTEMPTS + 1):
            page.goto(chapter_url, wait_until="commit")
            try:  # the kernel runs the chapter up to the explorer
                slider.first.wait_for(timeout=EXPLORER_TIMEOUT)
                break
            except PlaywrightTimeout:
                if attempt == ATTEMPTS:
                    raise
        page.wait_for_function(
            "() => document.querySelector('.widget-interact .widget-output img') !== null",
            timeout=60_000)
        image_before, text_before = explorer_state(page)
        assert "threshold 0.500" in text_before

        readout = slider.first.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(str(NEW_THRESHOLD))
        page.keyboard.press("Enter")
        page.wait_for_function(
            "(t) => document.querySelector('.widget-interact .widget-output')"
            ".innerText.includes('threshold ' + t)", arg=f"{NEW_THRESHOLD:.3f}",
            timeout=60_000)
        image_after, text_after = explorer_state(page)
    finally:
        page.context.close()

    assert image_after != image_before, "the figure was not redrawn"
    scores = breast_cancer_scores()
    expected = summary(operating_point(scores.labels, scores.scores, NEW_THRESHOLD))
    shown = next(line for line in text_after.splitlines() if line.startswith("threshold"))
    assert numbers(shown) == pytest.approx(numbers(expected), abs=2e-3), (shown, expected)
