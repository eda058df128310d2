"""The Batch dependence page in headless Chromium, light and dark.

BatchNorm's headline is checked against a brute-force NumPy BatchNorm on the batch the
page draws; screenshots land in test-artifacts/ (not committed) for a person to judge.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from normapp import inputs
from tests.helpers import LOAD_MS, expect_drawn, page_tab, save_views

pytestmark = pytest.mark.browser
TITLE = "Batch dependence"
EPS = 1e-5  # BatchNorm2d's default eps
MAX_DELTA = re.compile(r"^max \|Δ\| = (\S+)$")


def batchnorm_training(x: np.ndarray) -> np.ndarray:
    """BatchNorm in training mode, γ = 1, β = 0: per channel, the mean and biased
    variance over every (n, h, w), spelled out one channel at a time."""
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        values = x[:, c].ravel()
        mean = values.sum() / values.size
        var = ((values - mean) ** 2).sum() / values.size
        out[:, c] = (x[:, c] - mean) / np.sqrt(var + EPS)
    return out


def expected_batchnorm_move() -> float:
    """max |Δ| of sample 0's BatchNorm output: the page's default batch against the input.

    The defaults: the sidebar's 8 bundled samples at 32×32; sample 0, a batch of 4
    whose 3 mates are other images drawn with replacement by shuffle seed 1
    (numpy's default_rng(1).choice over samples 1…7); the reference batch is all 8.
    """
    x = inputs.load_samples(8, 32).x.astype(np.float64)
    mates = np.random.default_rng(1).choice(np.arange(1, 8), size=3, replace=True)
    batch = np.concatenate([x[:1], x[mates]])
    return float(np.abs(batchnorm_training(batch)[0] - batchnorm_training(x)[0]).max())


def test_batch_page_light_and_dark(browser, app_url):
    from playwright.sync_api import expect

    context, tab = page_tab(browser, f"{app_url}/batch", TITLE)
    try:
        main = tab.get_by_test_id("stMain")
        # LayerNorm, InstanceNorm and GroupNorm stay inside one sample.
        expect(main.get_by_text("does not depend on the batch", exact=True)).to_have_count(3)
        card = main.get_by_test_id("stColumn").filter(
            has=tab.get_by_role("heading", name="BatchNorm", exact=True)
        )
        expect(card).to_have_count(1)
        expect(card).to_contain_text("moved: depends on the batch")
        shown = card.get_by_text(MAX_DELTA)
        expect(shown).to_be_visible()
        number = MAX_DELTA.match(shown.inner_text().strip())[1]
        expected = expected_batchnorm_move()
        assert expected > 0.01  # the mates do move BatchNorm's output
        assert number == f"{expected:.3g}", (number, expected)
        save_views(tab, "batch-default-light")
    finally:
        context.close()
    # mates=noise: the form of links before the radio was bound to the URL; the server rewrites
    # it as the radio writes it. The sample and the batch size stay numbers.
    link = f"{app_url}/batch?batch=1&sample=2&mates=noise&channel=1"
    context, tab = page_tab(browser, link, TITLE, "dark")
    try:
        for written in ("batch=1", "sample=2", "mates=random(\\+|%20)noise", "channel=1"):
            expect(tab).to_have_url(re.compile(rf"[?&]{written}(&|$)"))
        main = tab.get_by_test_id("stMain")
        expect(main).to_contain_text("n=2 · ")
        expect(main).to_contain_text("c=1 · green")
        expect(main).to_contain_text("0 everywhere (= β)")
        expect(tab.get_by_test_id("stCode").first).to_contain_text(
            "Expected more than 1 value per channel when training", timeout=LOAD_MS
        )
        expect_drawn(tab)
        save_views(tab, "batch-one-dark")
    finally:
        context.close()
