"""The Explorer in headless Chromium: load, click a preset, read the numbers, screenshot.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import screenshot, serve_app, wait_for_app

pytestmark = pytest.mark.browser
HEADLINE = re.compile(r"^[\d,]+ sets? × [\d,]+ elements? per set$")


def headline_text(tab) -> str:
    return tab.get_by_text(HEADLINE).first.inner_text()


def count_websocket_bytes(tab) -> dict[str, int]:
    """Count the bytes the server sends over Streamlit's websocket from now on."""
    received = {"bytes": 0}

    def on_socket(socket):
        socket.on(
            "framereceived",
            lambda payload: received.__setitem__(
                "bytes",
                received["bytes"] + len(payload if isinstance(payload, bytes | str) else b""),
            ),
        )

    tab.on("websocket", on_socket)
    return received


def test_explorer_default_then_layernorm_preset(page, app_url):
    received = count_websocket_bytes(page)
    page.goto(f"{app_url}/")
    wait_for_app(page)
    assert "3 sets × 8,192 elements per set" in headline_text(page)
    assert page.get_by_text("BatchNorm2d (Method 3)").first.is_visible()
    screenshot(page, "explorer-default-light")
    first_load = received["bytes"]

    received["bytes"] = 0
    page.get_by_role("radio", name="LayerNorm", exact=True).click()
    page.wait_for_function(
        "() => document.body.innerText.includes('8 sets × 3,072 elements per set')",
        timeout=30_000,
    )
    wait_for_app(page)
    assert "axes=CHW" in page.url and "method=layernorm" in page.url
    screenshot(page, "explorer-layernorm-light")
    # Figures carry pre-binned data only: a rerun sends well under 1 MB.
    assert 0 < received["bytes"] < 1_000_000, received
    assert first_load < 3_000_000, first_load


def test_explorer_dark_theme_and_shared_link(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme="dark")
    tab = context.new_page()
    try:
        tab.goto(f"{app_url}/?source=random&shape=4x6x10x12&axes=N&seed=1")
        wait_for_app(tab)
        assert "720 sets × 4 elements per set" in headline_text(tab)
        assert tab.get_by_text("per-activation BatchNorm (Method 2)").first.is_visible()
        screenshot(tab, "explorer-method2-dark")
        tab.get_by_role("radio", name="Method 3", exact=True).click()
        tab.wait_for_function(
            "() => document.body.innerText.includes('6 sets × 480 elements per set')",
            timeout=30_000,
        )
        wait_for_app(tab)
        screenshot(tab, "explorer-method3-dark")
    finally:
        context.close()


def test_a_deep_link_is_the_first_request_to_a_fresh_server(browser):
    """Streamlit serves a first deep link in pages/-folder mode; the app must recover."""
    with serve_app("streamlit-fresh-server") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        tab = context.new_page()
        try:
            tab.goto(f"{url}/compare?methods=method1,layernorm")
            wait_for_app(tab)
            tab.wait_for_function(
                "() => document.body.innerText.includes('Compare methods')", timeout=30_000
            )
            navigation = tab.locator('[data-testid="stSidebarNav"]').inner_text()
            assert "Explorer" in navigation and "The question, answered" in navigation
            assert "methods=method1" in tab.url
            screenshot(tab, "deep-link-compare-fresh-server")
        finally:
            context.close()


def test_clicking_the_set_grid_selects_that_element(page, app_url):
    page.goto(f"{app_url}/")
    wait_for_app(page)
    grid = page.locator('[data-testid="stPlotlyChart"] .nsewdrag').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The right-hand column of tiles is channel c = 2 (BatchNorm: set 2).
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.5)
    page.wait_for_function(
        "() => document.body.innerText.includes('set 2, 8,192 elements')", timeout=30_000
    )
    wait_for_app(page)
    pick = parse_qs(urlparse(page.url).query)["pick"][0].split(",")
    assert pick[1] == "2"  # pick=n,c,h,w with c = 2
    screenshot(page, "explorer-clicked-grid")
