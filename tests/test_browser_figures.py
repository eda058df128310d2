"""Chromium with PLOTLY_TEXT_CSS: every SVG text of every figure passes WCAG AA in both themes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ARTIFACTS, ROOT, _free_port, screenshot, wait_for_app
from tests.test_figure_readability import BACKGROUNDS, wcag_contrast


@contextlib.contextmanager
def _serve_gallery(theme: str):
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"figure-gallery-{theme}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "tests" / "figure_gallery.py")]
        + ["--server.port", str(port), "--server.address", "127.0.0.1"]
        + ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
        + ["--theme.base", theme],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the figure gallery did not start; see {log.name}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


TEXT_FILLS = """() => [...document.querySelectorAll('.stPlotlyChart .main-svg text')]
    .filter(t => !t.closest('.textpoint') && t.textContent.trim() && t.getBBox().width > 0)
    .map(t => [t.textContent.slice(0, 40), getComputedStyle(t).fill])"""


def _hex(css: str) -> str:
    parts = css[css.index("(") + 1 : css.index(")")].split(",")
    return "#" + "".join(f"{int(float(p)):02x}" for p in parts[:3])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figure_text_meets_wcag_aa_with_the_app_css(browser, theme):
    with _serve_gallery(theme) as url:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        tab = context.new_page()
        tab.goto(url)
        wait_for_app(tab, 60_000)
        tab.wait_for_selector(".stPlotlyChart .main-svg text", timeout=30_000)
        tab.wait_for_timeout(1500)
        fills = tab.evaluate(TEXT_FILLS)
        screenshot(tab, f"figure-gallery-{theme}")
        context.close()
    assert len(fills) > 100  # ticks, titles, legends, notes of a dozen figures
    low = [
        (text, fill) for text, fill in fills if wcag_contrast(_hex(fill), BACKGROUNDS[theme]) < 4.5
    ]
    assert not low, low[:10]
