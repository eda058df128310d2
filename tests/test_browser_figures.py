"""Chromium with PLOTLY_TEXT_CSS: every SVG text of every figure passes WCAG AA in both themes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, Server, screenshot, serve_apps
from tests.helpers import expect_charts_drawn, expect_drawn, settle_layout
from tests.test_figure_readability import BACKGROUNDS, wcag_contrast

pytestmark = pytest.mark.browser

THEMES = ("light", "dark")
LOAD_MS = 120_000  # every figure builder's figure on a busy 2-core machine


@pytest.fixture(scope="module")
def gallery_urls() -> Iterator[dict[str, str]]:
    """tests/figure_gallery.py served once per theme, both servers started side by side."""
    servers = {
        theme: Server(
            f"figure-gallery-{theme}",
            script=ROOT / "tests" / "figure_gallery.py",
            options=("--theme.base", theme),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for theme in THEMES
    }
    with serve_apps(servers) as urls:
        yield urls


TEXT_FILLS = """() => [...document.querySelectorAll('.stPlotlyChart .main-svg text')]
    .filter(t => !t.closest('.textpoint') && t.textContent.trim() && t.getBBox().width > 0)
    .map(t => [t.textContent.slice(0, 40), getComputedStyle(t).fill])"""


def _hex(css: str) -> str:
    parts = css[css.index("(") + 1 : css.index(")")].split(",")
    return "#" + "".join(f"{int(float(p)):02x}" for p in parts[:3])


@pytest.mark.parametrize("theme", THEMES)
def test_figure_text_meets_wcag_aa_with_the_app_css(browser, gallery_urls, theme):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    tab = context.new_page()
    try:
        tab.goto(gallery_urls[theme])
        expect(tab.locator(".stPlotlyChart .main-svg text").first).to_be_attached(timeout=LOAD_MS)
        expect_drawn(tab, LOAD_MS)
        expect_charts_drawn(tab, LOAD_MS)
        settle_layout(tab)
        fills = tab.evaluate(TEXT_FILLS)
        screenshot(tab, f"figure-gallery-{theme}")
    finally:
        context.close()
    assert len(fills) > 100  # ticks, titles, legends, notes of a dozen figures
    low = [
        (text, fill) for text, fill in fills if wcag_contrast(_hex(fill), BACKGROUNDS[theme]) < 4.5
    ]
    assert not low, low[:10]
