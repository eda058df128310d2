"""The Train vs eval page in headless Chromium: a shared link in light, a bad link in dark,
and sliders moved again and again.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import LOAD_MS, expect_drawn, open_page_at, page_tab, save_views

pytestmark = pytest.mark.browser
LANDMARK = "Biased and unbiased variance"  # the last section's title


def test_train_eval_page(page, browser, app_url):
    from playwright.sync_api import expect

    # An older link: B was "batch", now "bsize"; the server rewrites it to today's name.
    open_page_at(page, f"{app_url}/train-eval?momentum=0.5&steps=40&batch=2&bseed=3", LANDMARK)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", level=1)).to_have_text("Train vs eval")
    expect(main).to_contain_text("In eval, a sample's output no longer depends on its batch mates.")
    expect(main).to_contain_text("Keras momentum 0.5")
    expect(main.locator(".js-plotly-plot")).to_have_count(3, timeout=LOAD_MS)
    expect(page).to_have_url(re.compile(r"[?&]momentum=0\.5(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]bseed=3(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]bsize=2(&|$)"))
    expect(page).not_to_have_url(re.compile(r"[?&]batch="))
    expect(page.get_by_role("slider", name="Batch size B")).to_have_value("2")
    save_views(page, "train-eval-light")
    context, tab = page_tab(browser, f"{app_url}/train-eval?momentum=bad", LANDMARK, "dark")
    try:
        warning = tab.get_by_test_id("stAlert").filter(has_text="momentum=bad")
        expect(warning).to_contain_text("Using the default, momentum=0.1")
        save_views(tab, "train-eval-dark")
    finally:
        context.close()


def test_train_eval_survives_repeated_slider_changes(page, app_url):
    """Issue 7 item 1: the second change of steps or batch size raised a TypeError."""
    from playwright.sync_api import expect

    for sequence in (
        ["Training steps"] * 4,
        ["Batch size B", "Batch size B"],
        ["Batch size B", "Training steps"],
    ):
        open_page_at(page, f"{app_url}/train-eval", LANDMARK)
        steps, batch = 100, 4  # the page's defaults
        for name in sequence:
            slider = page.get_by_role("slider", name=name)
            slider.focus()
            slider.press("ArrowRight")
            steps, batch = (steps + 1, batch) if name == "Training steps" else (steps, batch + 1)
            # The URL is written by the bound sliders: both got through. A value at its
            # default (steps 100, bsize 4) is left out of the link.
            for name, value, default in (("steps", steps, 100), ("bsize", batch, 4)):
                in_link = re.compile(rf"[?&]{name}={value}(&|$)")
                if value == default:
                    expect(page).not_to_have_url(re.compile(rf"[?&]{name}="), timeout=LOAD_MS)
                else:
                    expect(page).to_have_url(in_link, timeout=LOAD_MS)
            expect_drawn(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.locator("body")).not_to_contain_text("TypeError")
