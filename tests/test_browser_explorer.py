"""The Explorer page in headless Chromium: the headline counts, presets, a shared link,
a click on the set grid, and how much a rerun sends.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.helpers import (
    LOAD_MS,
    expect_charts_drawn,
    expect_drawn,
    open_page_at,
    page_tab,
    query,
)

pytestmark = pytest.mark.browser
HEADLINE = re.compile(r"^[\d,]+ sets? × [\d,]+ elements? per set$")


def expect_headline(tab, counts: str) -> None:
    """The headline reads `counts` ("3 sets × 8,192 elements per set")."""
    from playwright.sync_api import expect

    expect(tab.get_by_text(HEADLINE).first).to_have_text(counts, timeout=LOAD_MS)


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
    from playwright.sync_api import expect

    received = count_websocket_bytes(page)
    open_page_at(page, f"{app_url}/", HEADLINE)
    expect_headline(page, "3 sets × 8,192 elements per set")
    expect(page.get_by_text("BatchNorm2d (Method 3)").first).to_be_visible()
    expect_charts_drawn(page)
    screenshot(page, "explorer-default-light")
    first_load = received["bytes"]

    received["bytes"] = 0
    page.get_by_role("radio", name="LayerNorm", exact=True).click()
    expect_headline(page, "8 sets × 3,072 elements per set")
    expect_drawn(page)
    # Bound widgets write the URL: one key per chosen axis, the preset by its name.
    expect(page).to_have_url(re.compile(r"[?&]axes=C&axes=H&axes=W(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]method=LayerNorm(&|$)"))
    expect_charts_drawn(page)
    screenshot(page, "explorer-layernorm-light")
    # Figures carry pre-binned data only: a rerun sends well under 1 MB.
    assert 0 < received["bytes"] < 1_000_000, received
    assert first_load < 3_000_000, first_load


def test_explorer_dark_theme_and_shared_link(browser, app_url):
    from playwright.sync_api import expect

    context, tab = page_tab(
        browser, f"{app_url}/?source=random&shape=4x6x10x12&axes=N&seed=1", HEADLINE, "dark"
    )
    try:
        expect_headline(tab, "720 sets × 4 elements per set")
        expect(tab.get_by_text("per-activation BatchNorm (Method 2)").first).to_be_visible()
        expect_charts_drawn(tab)
        screenshot(tab, "explorer-method2-dark")
        tab.get_by_role("radio", name="Method 3", exact=True).click()
        expect_headline(tab, "6 sets × 480 elements per set")
        expect_drawn(tab)
        # The older link form (source=random) is read and rewritten in the current one.
        expect(tab).to_have_url(re.compile(r"[?&]source=Random(\+|%20)tensor(&|$)"))
        expect(tab).to_have_url(re.compile(r"[?&]method=Method(\+|%20)3(&|$)"))
        expect(tab).to_have_url(re.compile(r"[?&]shape=4x6x10x12(&|$)"))
        expect_charts_drawn(tab)
        screenshot(tab, "explorer-method3-dark")
    finally:
        context.close()


def test_clicking_the_set_grid_selects_that_element(page, app_url):
    from playwright.sync_api import expect

    open_page_at(page, f"{app_url}/", HEADLINE)
    expect_charts_drawn(page)
    # Plotly's drag layer over the plot area takes the click (it has no test id).
    grid = page.get_by_test_id("stPlotlyChart").first.locator(".nsewdrag").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The right-hand column of tiles is channel c = 2 (BatchNorm: set 2).
    page.mouse.click(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.5)
    expect(page.get_by_text("set 2, 8,192 elements").first).to_be_visible(timeout=LOAD_MS)
    expect_drawn(page)
    expect(page).to_have_url(re.compile(r"[?&]pick="))
    pick = query(page)["pick"].split(",")
    assert pick[1] == "2"  # pick=n,c,h,w with c = 2
    expect_charts_drawn(page)
    screenshot(page, "explorer-clicked-grid")


def test_a_click_on_any_pixel_picks_exactly_its_element(page, app_url):
    """The click layer draws one marker (set_grid._points_trace), yet every pixel clicks
    exactly: corners and inner pixels of several tiles, located on screen from the
    mosaic's geometry written out here (tiles of H × W pixels, one-pixel gaps, no stride
    at this shape), not from the app's own mapping back."""
    from playwright.sync_api import expect

    n_, c_, h_, w_ = 4, 6, 10, 12
    open_page_at(
        page,
        f"{app_url}/?source=Random+tensor&shape={n_}x{c_}x{h_}x{w_}&seed=1&method=Method+3",
        HEADLINE,
    )
    expect_charts_drawn(page)
    rows, cols = n_ * (h_ + 1) - 1, c_ * (w_ + 1) - 1
    pad = max(0.5, 0.04 * max(rows, cols))  # set_grid.GRID_EDGE_PAD around the mosaic
    for n, c, h, w in [(3, 5, 9, 11), (1, 2, 4, 7), (2, 0, 9, 0), (0, 5, 0, 11), (0, 0, 0, 1)]:
        drag = page.get_by_test_id("stPlotlyChart").first.locator(".nsewdrag").first
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        row, col = n * (h_ + 1) + h, c * (w_ + 1) + w
        x = box["x"] + (col + 0.5 + pad) / (cols + 2 * pad) * box["width"]
        y = box["y"] + (row + 0.5 + pad) / (rows + 2 * pad) * box["height"]
        page.mouse.move(x, y)
        expect(page.locator(".hovertext").first).to_contain_text(
            f"n={n}, c={c}, h={h}, w={w}", timeout=LOAD_MS
        )
        page.mouse.click(x, y)
        pick = "(,|%2C)".join(str(v) for v in (n, c, h, w))
        expect(page).to_have_url(re.compile(rf"[?&]pick={pick}(&|$)"), timeout=LOAD_MS)
        expect_drawn(page)


def test_a_typed_value_out_of_range_is_refused_by_the_fragments_own_rerun(page, app_url):
    """Typing into a box reruns the Explorer's fragment alone; it repairs and says so itself."""
    from playwright.sync_api import expect

    open_page_at(page, f"{app_url}/?method=LayerNorm", HEADLINE)
    expect_headline(page, "8 sets × 3,072 elements per set")
    eps = page.get_by_label("eps", exact=True)
    eps.fill("5")
    eps.press("Enter")
    refused = page.get_by_text("eps = 5.0 cannot be used: eps must be a number from 0 to 1")
    expect(refused).to_be_visible(timeout=LOAD_MS)
    expect(refused).to_contain_text("; keeping eps = 1e-05.")
    expect_drawn(page)
    expect(eps).to_have_value("1e-5")
    expect_headline(page, "8 sets × 3,072 elements per set")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # The same box typed again with a good value: the message goes, the value stays.
    eps.fill("1e-3")
    eps.press("Enter")
    expect(page.get_by_text("cannot be used")).to_have_count(0, timeout=LOAD_MS)
    expect(eps).to_have_value("1e-3")
    screenshot(page, "explorer-typed-eps-refused")
