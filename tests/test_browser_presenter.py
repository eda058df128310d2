"""The presenter view and "Share this view" in headless Chromium at projector size.

At 1920×1080: body text of at least 24 px and chart ticks of at least 18 px, the
keyboard shortcuts (L for LayerNorm, V to reveal the grid) and a QR code at least
400 px wide. Screenshots (1920×1080 light and dark, and a 390×844 phone) land in
test-artifacts/ for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.helpers import LOAD_MS, PHONE, expect_charts_drawn, expect_drawn, page_tab, reopen_at

pytestmark = pytest.mark.browser
HEADLINE = re.compile(r"^[\d,]+ sets? × [\d,]+ elements? per set$")
HIDDEN = "? sets × ? elements per set"  # presenter.HIDDEN_HEADLINE, while the room predicts
FULL_HD = {"width": 1920, "height": 1080}
FONT_SIZE = "el => parseFloat(getComputedStyle(el).fontSize)"


def expect_headline(tab, counts: str) -> None:
    from playwright.sync_api import expect

    expect(tab.get_by_text(HEADLINE).first).to_have_text(counts, timeout=LOAD_MS)


def expect_grid_drawn_unseen(tab) -> None:
    """While the room predicts, the grid is drawn (the reveal only shows it) in a box of no
    height that nobody can see."""
    from playwright.sync_api import expect

    expect(tab.locator(".st-key-ex-grid-box")).to_be_hidden()
    box = tab.locator(".st-key-ex-grid-box").bounding_box()
    assert box is not None and box["height"] == 0, box


def expect_grid_revealed(tab) -> None:
    """After the reveal: the one chart is the grid, in view, and the question is gone."""
    from playwright.sync_api import expect

    expect(tab.get_by_test_id("stPlotlyChart")).to_have_count(1, timeout=LOAD_MS)
    expect(tab.locator(".st-key-ex-grid-box")).to_be_visible()
    expect(tab.get_by_text("Which cells share one mean?")).to_have_count(0)


def test_presenter_view_at_1920_by_1080(browser, warm_app_url):
    from playwright.sync_api import expect

    question = "Which cells share one mean?"
    context, tab = page_tab(browser, f"{warm_app_url}/?present=true", question, "light", FULL_HD)
    try:
        # While the room predicts, nothing answers the question: no counts, no axes.
        expect(tab.get_by_text(HIDDEN).first).to_be_visible()
        expect(tab.get_by_text(HEADLINE)).to_have_count(0)
        expect(tab.locator(".st-key-axes")).to_be_hidden()
        expect_grid_drawn_unseen(tab)
        expect(tab.get_by_test_id("stSidebar")).to_be_hidden()
        expect(tab.get_by_role("switch", name="Presenter view")).to_be_checked()
        body = tab.get_by_test_id("stMain").get_by_text("Reduced over").first
        assert body.evaluate(FONT_SIZE) >= 24
        # The grid waits behind the question; the histogram's ticks are projector-sized.
        expect(tab.get_by_text("Which cells share one mean?")).to_be_visible()
        screenshot(tab, "presenter-1920-light-predict")
        tab.get_by_role("radio", name="Before and after").click()
        expect_headline(tab, "3 sets × 8,192 elements per set")  # nothing is asked here
        expect(tab.locator(".xtick text").first).to_be_visible(timeout=LOAD_MS)
        expect_drawn(tab)
        expect_charts_drawn(tab)
        ticks = tab.locator(".xtick text")
        assert min(ticks.nth(i).evaluate(FONT_SIZE) for i in range(ticks.count())) >= 18
        screenshot(tab, "presenter-1920-light-histogram")
        tab.get_by_role("radio", name="Which cells share a mean").click()
        expect(tab.get_by_role("button", name=re.compile("Reveal the grid"))).to_be_visible()
        expect_drawn(tab)

        tab.keyboard.press("l")  # LayerNorm
        expect(tab.get_by_text("LayerNorm", exact=False).first).to_be_visible()
        expect(tab).to_have_url(re.compile(r"[?&]method=LayerNorm(&|$)"))
        expect(tab.get_by_text(HIDDEN).first).to_be_visible()
        expect_drawn(tab)
        tab.keyboard.press("v")  # reveal
        expect_headline(tab, "8 sets × 3,072 elements per set")
        expect(tab.locator(".st-key-axes")).to_be_visible()
        expect_grid_revealed(tab)
        expect_drawn(tab)
        expect_charts_drawn(tab)
        screenshot(tab, "presenter-1920-light-layernorm-grid")
        # The headline stays in view when the page scrolls.
        tab.mouse.wheel(0, 2000)
        expect(tab.get_by_text(HEADLINE).first).to_be_in_viewport()

        tab.get_by_role("button", name=re.compile("Share this view")).click()
        qr = tab.get_by_test_id("stImage").locator("img")
        expect(qr).to_be_visible(timeout=LOAD_MS)
        assert qr.bounding_box()["width"] >= 400
        link = tab.get_by_test_id("stCode").first
        expect(link).to_contain_text("present=true")
        expect(link).to_contain_text("method=LayerNorm")
        screenshot(tab, "presenter-1920-light-share")
    finally:
        context.close()


def test_presenter_view_dark_and_on_a_phone(browser, warm_app_url):
    from playwright.sync_api import expect

    url = f"{warm_app_url}/?present=true&method=InstanceNorm"
    context, tab = page_tab(browser, url, "Which cells share one mean?", "dark", FULL_HD)
    try:  # then the same link on a phone in the same tab (a goto: a new session)
        for name, scheme, size in (("1920-dark", "dark", FULL_HD), ("phone-light", "light", PHONE)):
            if name == "phone-light":
                reopen_at(tab, url, "Which cells share one mean?", scheme, size)
            screenshot(tab, f"presenter-{name}-predict")
            tab.keyboard.press("v")
            expect_headline(tab, "24 sets × 1,024 elements per set")
            expect(tab.get_by_test_id("stPlotlyChart")).to_have_count(1, timeout=LOAD_MS)
            expect_drawn(tab)
            expect_charts_drawn(tab)
            screenshot(tab, f"presenter-{name}")
            tab.get_by_role("button", name=re.compile("Share this view")).click()
            expect(tab.get_by_test_id("stImage").locator("img")).to_be_visible(timeout=LOAD_MS)
            screenshot(tab, f"presenter-{name}-share")
    finally:
        context.close()


def test_share_on_another_page_and_the_normal_explorer(browser, warm_app_url):
    from playwright.sync_api import expect

    context = browser.new_context()
    tab = context.new_page()
    try:  # the two pages one after another in one tab (a goto each: a new session)
        for name, path, landmark in (
            ("share-compare", "/compare?methods=BatchNorm&methods=LayerNorm", "Compare"),
            ("share-explorer-normal", "/?axes=C", HEADLINE),
        ):
            reopen_at(tab, f"{warm_app_url}{path}", landmark)
            # The normal view keeps its sidebar and has no presenter stylesheet.
            expect(tab.get_by_test_id("stSidebar")).to_be_visible()
            expect_charts_drawn(tab)
            screenshot(tab, f"{name}-closed")
            tab.get_by_role("button", name=re.compile("Share this view")).click()
            qr = tab.get_by_test_id("stImage").locator("img")
            expect(qr).to_be_visible(timeout=LOAD_MS)
            link = tab.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
            expect(link).to_contain_text(path)
            screenshot(tab, name)
    finally:
        context.close()
