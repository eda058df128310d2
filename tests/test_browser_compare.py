"""The Compare page in headless Chromium: set counts per method in light and dark, the
framework cards on a phone, and a deep link as a fresh server's first request.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot, serve_app
from tests.helpers import (
    LOAD_MS,
    PHONE,
    close_sidebar,
    expect_drawn,
    page_tab,
    reopen_at,
    save_views,
)

pytestmark = pytest.mark.browser
TITLE = "Compare methods"


def test_compare_page_light_and_dark(browser, app_url):
    from playwright.sync_api import expect

    context, tab = page_tab(browser, f"{app_url}/compare", TITLE)
    try:
        main = tab.get_by_test_id("stMain")
        # Sets × elements per set of the 8 sample images (8, 3, 32, 32), one per method.
        for number in ("1,024 × 24", "3,072 × 8", "3 × 8,192", "8 × 3,072", "24 × 1,024"):
            expect(main).to_contain_text(number)
        expect(main).to_contain_text("GroupNorm(3)")
        expect(main).to_contain_text("InstanceNorm's statistics")
        # The default six methods are left out of the link, as every default is.
        expect(tab).not_to_have_url(re.compile(r"[?&]methods="))
        save_views(tab, "compare-default-light")
        # The feature maps in dark, in the same tab (a goto: a new session).
        reopen_at(
            tab,
            f"{app_url}/compare?source=features&methods=BatchNorm&methods=GroupNorm&methods=RMSNorm",
            TITLE,
            "dark",
        )
        main = tab.get_by_test_id("stMain")
        expect(main).to_contain_text("GroupNorm(2)")
        # 8 feature maps 32×32: RMSNorm has one set per sample.
        expect(main).to_contain_text("8 × 8,192")
        expect(main).to_contain_text("16 × 4,096")  # GroupNorm(2): N·G sets of C/G·H·W
        expect_drawn(tab)
        expect(main).not_to_contain_text("8 × 32,768")
        save_views(tab, "compare-features-dark")
    finally:
        context.close()


def test_framework_cards_fit_a_phone(browser, app_url):
    """Issue 7 §11: the PyTorch/Keras table (706 px) was cut off on a 390×844 phone;
    the calls are now cards whose code wraps."""
    from playwright.sync_api import expect

    context, tab = page_tab(
        browser,
        f"{app_url}/compare?methods=Method+2&methods=LayerNorm&methods=RMSNorm",
        "The layers in PyTorch and Keras 3",
        viewport=PHONE,
    )
    try:
        close_sidebar(tab)
        expect(tab.get_by_test_id("stMain")).to_contain_text("Reshape((C, H, W))")
        codes = tab.get_by_test_id("stCode")
        overflow = codes.evaluate_all(
            """els => els.map(el => el.getBoundingClientRect())
                .filter(r => r.right > window.innerWidth + 1 || r.left < -1).length"""
        )
        assert overflow == 0
        wrapped = codes.locator("code").evaluate_all(
            "els => els.map(el => el.scrollWidth <= el.clientWidth + 1)"
        )
        assert wrapped and all(wrapped), wrapped  # wrapped, nothing hidden sideways
        codes.first.scroll_into_view_if_needed()
        screenshot(tab, "compare-phone")
    finally:
        context.close()


def test_a_deep_link_is_the_first_request_to_a_fresh_server(browser):
    """The Compare link as a fresh server's first request opens Compare inside the app:
    the sidebar lists every page and the link's methods stay in the URL, in today's form
    (an older link's, keys joined by commas, is redirected to one key per method)."""
    from playwright.sync_api import expect

    with serve_app("streamlit-fresh-server") as url:
        context, tab = page_tab(browser, f"{url}/compare?methods=method1,layernorm", TITLE)
        try:
            expect(tab.get_by_test_id("stMain").get_by_role("heading", level=1)).to_have_text(
                TITLE, timeout=LOAD_MS
            )
            navigation = tab.get_by_test_id("stSidebarNav")
            expect(navigation).to_contain_text("Explorer")
            expect(navigation).to_contain_text("The question, answered")
            expect(tab).to_have_url(re.compile(r"[?&]methods=Method\+1&methods=LayerNorm"))
            screenshot(tab, "deep-link-compare-fresh-server")
        finally:
            context.close()
