"""The Quiz page in headless Chromium: a quiz number from a link, checking without an
answer, and a new quiz.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import LOAD_MS, expect_drawn, open_page_at, query, reopen_at, save_views

pytestmark = pytest.mark.browser
LANDMARK = "Question 6."


def test_quiz_page(page, app_url):
    from playwright.sync_api import expect

    open_page_at(page, f"{app_url}/quiz?quiz=42", LANDMARK)
    expect(page.get_by_test_id("stMain")).to_contain_text("Quiz number 42.")
    page.get_by_role("button", name="Check").first.click()
    expect(page.get_by_text("Choose an answer first.")).to_be_visible(timeout=LOAD_MS)
    expect_drawn(page)
    save_views(page, "quiz-light")
    # Quiz 7 in dark, in the same tab (a goto: a new session).
    tab = page
    reopen_at(tab, f"{app_url}/quiz?quiz=7", LANDMARK, "dark")
    tab.get_by_role("button", name="New quiz").click()
    # Compare the parameter itself: a new number may well start with 7.
    expect(tab).not_to_have_url(re.compile(r"[?&]quiz=7(&|$)"), timeout=LOAD_MS)
    expect_drawn(tab)
    number = query(tab)["quiz"]
    main = tab.get_by_test_id("stMain")
    expect(main).to_contain_text(f"Quiz number {number}.")
    expect(main).not_to_contain_text("Quiz number 7.")
    save_views(tab, "quiz-dark")
