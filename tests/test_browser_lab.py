"""The Training lab in headless Chromium: a run trains live and ends in curves, every batch size
fills the GN-paper summary, Stop stops, and the page is looked at light, dark, on a projector
and on a phone.

Screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.helpers import LOAD_MS, PHONE, close_sidebar, expect_charts_drawn, page_tab, save_views

pytestmark = pytest.mark.browser
TITLE = "Training lab"
# 50 steps keep every run of the test short; the seed keeps them apart from other tests' runs.
QUICK = "tsteps=50&tseed=7"  # and the default norms, BatchNorm2d and GroupNorm
TRAINING_MS = 240_000  # ten short runs, one after another, on a busy 2-core machine


def test_runs_train_live_and_fill_the_batch_size_summary(browser, app_url):
    from playwright.sync_api import expect

    context, tab = page_tab(browser, f"{app_url}/lab?{QUICK}&tbatch=4", TITLE)
    try:
        main = tab.get_by_test_id("stMain")
        # While training: a progress bar per run; afterwards the figures (the fragment
        # redraws by itself, no click).
        expect(main.get_by_role("heading", name="BatchNorm2d's statistics at this batch size"))
        expect(
            main.get_by_text(re.compile(r"in eval mode \(its running statistics"))
        ).to_be_visible(timeout=TRAINING_MS)
        expect(tab.get_by_test_id("stProgress")).to_have_count(0, timeout=TRAINING_MS)
        # Loss, training accuracy, held-out accuracy, BatchNorm's statistics, the summary.
        expect(main.locator(".js-plotly-plot")).to_have_count(5, timeout=LOAD_MS)
        expect(tab).to_have_url(re.compile(r"[?&]tbatch=4(&|$)"))
        # The sidebar shows the pages but not the input controls the lab does not use.
        expect(tab.get_by_test_id("stSidebarNav")).to_be_visible()
        expect(tab.get_by_test_id("stSidebarUserContent")).to_be_hidden()
        main.get_by_role("button", name=re.compile(r"Train every batch size")).click()
        expect(
            main.get_by_text(re.compile(r"From batch 32 to batch 2, BatchNorm2d's"))
        ).to_be_visible(timeout=TRAINING_MS)
        expect(main.get_by_text(re.compile(r"At batch 32, BatchNorm2d's error \("))).to_be_visible()
        expect(main.get_by_role("button", name=re.compile("Train every batch size"))).to_have_count(
            0
        )
        expect(tab.get_by_test_id("stException")).to_have_count(0)
        save_views(tab, "lab-light")
    finally:
        context.close()
    # The same link in dark, on a projector and on a phone: the runs are the server's, finished.
    for name, scheme, viewport in (
        ("lab-projector-dark", "dark", {"width": 1920, "height": 1080}),
        ("lab-phone", "light", PHONE),
    ):
        context, tab = page_tab(browser, f"{app_url}/lab?{QUICK}&tbatch=4", TITLE, scheme, viewport)
        try:
            if viewport is PHONE:
                close_sidebar(tab)
            main = tab.get_by_test_id("stMain")
            expect(main.get_by_text(re.compile(r"From batch 32 to batch 2"))).to_be_visible(
                timeout=LOAD_MS
            )
            expect(tab.get_by_test_id("stProgress")).to_have_count(0)
            expect_charts_drawn(tab)
            screenshot(tab, name)
            width = tab.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name}: the page is {width} px wide"
        finally:
            context.close()


def test_stop_ends_a_run_and_keeps_its_curves(browser, app_url):
    from playwright.sync_api import expect

    context, tab = page_tab(browser, f"{app_url}/lab?norms=BatchNorm2d&tsteps=800&tseed=11", TITLE)
    try:
        main = tab.get_by_test_id("stMain")
        expect(
            tab.get_by_test_id("stProgress").filter(has_text=re.compile(r"step [1-9]"))
        ).to_have_count(1, timeout=TRAINING_MS)
        main.get_by_role("button", name="Stop training").click()
        warning = main.get_by_test_id("stAlert").filter(has_text="was stopped at step")
        expect(warning).to_contain_text(re.compile(r"BatchNorm2d was stopped at step \d+ of 800"))
        expect(tab.get_by_test_id("stProgress")).to_have_count(0)
        expect(main.get_by_role("button", name="Train again")).to_be_visible()
        expect(tab.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()
