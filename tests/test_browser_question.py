"""The question page in headless Chromium: its answer, its links to every page, and the
typo fixes on a phone in dark mode.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import screenshot
from tests.helpers import PHONE, close_sidebar, open_page_at, page_tab, reopen_at, save_views

pytestmark = pytest.mark.browser
LANDMARK = "Test yourself in the quiz"  # the last page link


def test_question_page(page, app_url):
    from playwright.sync_api import expect

    open_page_at(page, f"{app_url}/question", LANDMARK)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", level=1)).to_have_text("The question, answered")
    expect(main).to_contain_text("Method 3 is BatchNorm2d")
    expect(main).to_contain_text("“Per feature map” means per channel")
    hrefs = main.get_by_test_id("stPageLink-NavLink").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    # The Explorer is the default page, so its links are "?method=…" on the root.
    paths = {h.split("?")[0].rstrip("/").rsplit("/", 1)[-1] for h in hrefs}
    assert {"", "compare", "batch", "train-eval", "quiz"} <= paths, hrefs
    # In the form the Explorer's bound preset row reads: the preset's name.
    methods = {parse_qs(urlparse(h).query).get("method", [""])[0] for h in hrefs}
    assert {"LayerNorm", "Method 2"} <= methods, hrefs
    save_views(page, "question-light")
    reopen_at(page, f"{app_url}/question", LANDMARK, "dark")  # the same tab: a new session
    save_views(page, "question-dark")


def test_typo_fixes_are_underlined_in_dark_mode(browser, app_url):
    """Issue 7 §12: the question's typo fixes were marked by green alone; now each fixed
    term is underlined and each wrong one struck through."""
    from playwright.sync_api import expect

    context, tab = page_tab(
        browser, f"{app_url}/question", "GroupNorm's two limits", "dark", viewport=PHONE
    )
    try:
        close_sidebar(tab)
        main = tab.get_by_test_id("stMain")
        underlined = main.locator(".katex .underline")
        # n and the mean's index in Methods 1 and 2; γ_c and β_c
        expect(underlined).to_have_count(6)
        # The four wrong terms of Methods 1 and 2, struck through by KaTeX's \sout (issue
        # 24.13: Markdown's ~~ around the maths made <del> elements but drew no line).
        expect(main.locator(".katex .sout")).to_have_count(4)
        box = main.locator(".katex .sout").first.bounding_box()
        assert box and box["width"] > 5  # a line as wide as the term, not an empty span
        expect(main).to_contain_text("→ fixed:")
        underlined.first.scroll_into_view_if_needed()
        screenshot(tab, "question-phone-dark")
    finally:
        context.close()
