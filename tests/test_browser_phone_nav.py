"""Choosing a page on a phone closes the sidebar (issue 24.7).

Streamlit closes it by itself when the browser's user agent is a phone's; a 390-px window
with another user agent (a narrow desktop window, a tablet, the reviewer's emulation) kept
it open over 300 of 390 px. The app's listener (ui.close_sidebar_on_phone_navigation) closes
it below Streamlit's 768-px breakpoint whatever the user agent.
"""

from __future__ import annotations

import pytest

from tests.conftest import screenshot
from tests.helpers import LOAD_MS, PHONE, expect_drawn

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", ["narrow window", "phone"])
def test_choosing_a_page_closes_the_sidebar_below_768_px(browser, warm_app_url, device):
    from playwright.sync_api import expect

    options = {"viewport": PHONE}
    if device == "phone":  # a phone's user agent, as Chromium's device list gives it
        options["user_agent"] = (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1"
        )
        options |= {"is_mobile": True, "has_touch": True}
    context = browser.new_context(**options)
    tab = context.new_page()
    try:
        tab.goto(f"{warm_app_url}/")
        expect(tab.get_by_test_id("stExpandSidebarButton")).to_be_visible(timeout=LOAD_MS)
        expect_drawn(tab)  # the run is over (the listener comes with its end), as a reader waits
        tab.get_by_test_id("stExpandSidebarButton").click()
        sidebar = tab.get_by_test_id("stSidebar")
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        tab.get_by_role("link", name="Compare methods").click()
        expect(tab.get_by_role("heading", name="Compare methods")).to_be_visible(timeout=LOAD_MS)
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        screenshot(tab, f"phone-nav-{device.replace(' ', '-')}")
    finally:
        context.close()


@pytest.fixture(scope="module")
def wide_tab(browser):
    """One 1280×720 tab for the wide window's tests: a goto each (a new session), at about
    half a fresh context's cost in Chromium. (The phones need contexts of their own.)"""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    yield context.new_page()
    context.close()


def test_a_wide_window_keeps_its_sidebar_after_choosing_a_page(wide_tab, warm_app_url):
    from playwright.sync_api import expect

    tab = wide_tab
    tab.goto(f"{warm_app_url}/")
    tab.get_by_role("link", name="Compare methods").click()
    expect(tab.get_by_role("heading", name="Compare methods")).to_be_visible(timeout=LOAD_MS)
    expect(tab.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")


@pytest.mark.parametrize(
    ("path", "uses_input"), [("/quiz", False), ("/lab", False), ("/compare", True)]
)
def test_the_input_controls_show_only_on_pages_that_use_them(
    wide_tab, warm_app_url, path, uses_input
):
    """Issue 24.10: the Explorer's Input sidebar ("N: images in the batch 8") showed on the
    Training lab beside its own batch size, and on the Quiz."""
    from playwright.sync_api import expect

    tab = wide_tab
    tab.goto(f"{warm_app_url}{path}")
    expect(tab.get_by_test_id("stSidebarNav")).to_be_visible(timeout=LOAD_MS)
    expect(tab.get_by_test_id("stMain").get_by_role("heading", level=1)).to_be_visible(
        timeout=LOAD_MS
    )
    # The waits are LOAD_MS, not playwright's 5 s: under CI's load the sidebar's radio was
    # still being drawn 5 s after the page's heading showed (it was there a moment later).
    tensor = tab.get_by_text("Tensor to normalize")
    if uses_input:
        expect(tensor).to_be_visible(timeout=LOAD_MS)
    else:
        expect(tensor).to_be_hidden(timeout=LOAD_MS)
        expect(tab.get_by_role("link", name="Explorer")).to_be_visible(timeout=LOAD_MS)
    screenshot(tab, f"sidebar{path.replace('/', '-')}")
