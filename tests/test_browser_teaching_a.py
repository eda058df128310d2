"""Compare and Batch dependence in headless Chromium, light and dark: numbers and screenshots.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import pytest

from normapp import batch_dependence, inputs
from tests.conftest import body, screenshots, wait_for_app

pytestmark = pytest.mark.browser


def open_tab(browser, url: str, scheme: str):
    """A 1280×720 tab on `url`, after one visit to the root.

    Streamlit 1.67 serves a project with a ``pages/`` folder in its legacy
    multipage mode until app.py's st.navigation has run once in the server
    process; a deep link as the server's very first request would run the
    page without app.py (no sidebar). Visiting "/" first avoids that here.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    tab = context.new_page()
    tab.goto(url.split("/compare")[0].split("/batch")[0] + "/")
    wait_for_app(tab)
    tab.goto(url)
    wait_for_app(tab)
    return context, tab


def test_compare_page_light_and_dark(browser, app_url):
    context, tab = open_tab(browser, f"{app_url}/compare", "light")
    try:
        text = body(tab)
        for number in ("1,024 × 24", "3,072 × 8", "3 × 8,192", "8 × 3,072", "24 × 1,024"):
            assert number in text, number
        assert "GroupNorm(3)" in text and "InstanceNorm's statistics" in text
        assert "methods=method1%2Cmethod2" in tab.url or "methods=method1,method2" in tab.url
        screenshots(tab, "compare-default-light")
    finally:
        context.close()
    context, tab = open_tab(
        browser, f"{app_url}/compare?source=features&methods=batchnorm,groupnorm,rmsnorm", "dark"
    )
    try:
        text = body(tab)
        assert "GroupNorm(2)" in text and "8 × 32,768" not in text
        assert "8 × 8,192" in text  # 8 feature maps 32×32: RMSNorm one set per sample
        assert "16 × 4,096" in text  # GroupNorm(2): N·G sets of C/G·H·W
        screenshots(tab, "compare-features-dark")
    finally:
        context.close()


def test_batch_page_light_and_dark(browser, app_url):
    context, tab = open_tab(browser, f"{app_url}/batch", "light")
    try:
        text = body(tab)
        assert text.count("does not depend on the batch") == 3
        data = inputs.load_samples(8, 32)
        batch = batch_dependence.build_batch(data.x, data.sample_labels, 0, 4, "images", 1)
        moves = batch_dependence.batch_movement(data.x, 0, batch)
        number, words = batch_dependence.movement_parts(moves[0])
        assert f"{number}\n{words}" in text  # BatchNorm moved, by what normlib says
        screenshots(tab, "batch-default-light")
    finally:
        context.close()
    context, tab = open_tab(browser, f"{app_url}/batch?batch=1&sample=2", "dark")
    try:
        text = body(tab)
        assert "0 everywhere (= β)" in text
        code = tab.locator('[data-testid="stCode"]').first.inner_text()
        assert "Expected more than 1 value per channel when training" in code, code
        screenshots(tab, "batch-one-dark")
    finally:
        context.close()
