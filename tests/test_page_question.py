"""The question page through AppTest: corrected formulas, the torch check, links, numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import conftest

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/question.py"


def open_page(sidebar: dict[str, str] | None = None, query: dict[str, str] | None = None):
    return conftest.open_page(PAGE, query, sidebar)


def page_text(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_formulas_typos_and_verdicts():
    at = open_page()
    latex = " ".join(x.value for x in at.latex)
    assert r"\mu_{x,y} = \frac{1}{NC}" in latex and r"\mu_c = \frac{1}{NHW}" in latex
    # Each fix is underlined (a cue that needs no colour) as well as green.
    assert r"T_{\underline{\textcolor{#2e9e5b}{n}},c,x,y} - \mu_{c,x,y}" in latex
    assert r"\mu_{\underline{\textcolor{#2e9e5b}{x,y}}}" in latex
    assert latex.count(r"\textcolor") == latex.count(r"\underline{\textcolor")
    text = page_text(at)
    assert r"the numerator: $\sout{T_{c,x,y}}$ → fixed: $T_{n,c,x,y}$" in text
    assert r"the variance subtracts: $\sout{\mu_c}$ → fixed: $\mu_{c,x,y}$" in text
    assert "Method 3 is BatchNorm2d" in text and "(C, H, W) for each sample n" in text
    assert "PONO" in text and "fully connected" in text
    # Section 3.2's numbers for the default input (8 images, 32×32, RGB).
    assert any(r"8 \cdot 32 \cdot 32 = 8{,}192" in x.value for x in at.latex)
    assert "3 (γ, β) pairs = 6 parameters" in text
    assert "BatchNormalization(axis=1)" in text and "**kept**" in text and "**reduced**" in text
    assert "axes" not in at.query_params


def test_only_method_3_matches_torch_golden():
    at = open_page()
    table = at.dataframe[0].value
    assert list(table["same as BatchNorm2d?"]) == ["no", "no", "yes"]
    assert float(table["max |normlib − torch|"][2]) < 1e-10
    assert min(float(v) for v in table["max |normlib − torch|"][:2]) > 0.1


def test_every_section_links_to_a_page():
    at = open_page()
    links = at.get("page_link")
    # The Explorer is the default page: its links go to the root ("").
    pages = {link.proto.page.strip("/").split("?")[0] for link in links}
    assert pages == {"", "compare", "batch", "train-eval", "quiz"}, pages
    assert len(links) >= 8


@pytest.mark.slow
@pytest.mark.torch
def test_live_torch_on_the_current_input():
    conftest.require_torch()
    at = open_page(sidebar={"source": "random", "shape": "4x5x6x7"})
    at.toggle(key="q:live").set_value(True).run()
    assert not at.exception
    live = at.dataframe[1].value
    assert list(live["same as BatchNorm2d?"]) == ["no", "no", "yes"]
    assert "random normal tensor 4×5×6×7" in page_text(at)
    assert any(r"4 \cdot 6 \cdot 7 = 168" in x.value for x in at.latex)


def test_foreign_link_parameters_are_dropped_quietly():
    at = open_page(query={"momentum": "0.5", "quiz": "3"})
    assert not at.warning
    assert "momentum" not in at.query_params and "quiz" not in at.query_params


def test_eps_and_affine_statements_come_from_the_facts_table():
    at = open_page()
    text = page_text(at)
    assert "its default eps = 1e-5" in text
    assert "RMSNorm PyTorch eps=None, i.e. torch.finfo(dtype).eps" in text
    assert "Keras 1e-6, added to the mean square" in text
    assert "eps is 1e-3 in Keras, 1e-5 in PyTorch" not in text  # the old one-eps-for-all claim
    assert "**biased** batch variance" in text and "unbiased one" in text


@pytest.mark.slow
def test_why_sections_carry_the_inputs_numbers():
    at = open_page(sidebar={"source": "random", "shape": "4x6x5x7"})
    text = page_text(at)
    n, c, h, w = 4, 6, 5, 7
    assert f"m' = N·H·W = {n * h * w:,} values here instead of N = {n}" in text
    assert f"Method 3 scales all {h * w:,} positions by the same" in text
    assert f"{c * h * w:,} statistics of N = {n} values each and γ/β = {2 * c * h * w:,}" in text
    assert f"BatchNorm2d's {c} statistics of {n * h * w:,} values and γ/β = {2 * c} = 2·C" in text
    assert f"here {n * h * w:,} sets of C = {c} values" in text
    assert f"- G = 1: {n} sets of {c * h * w:,}, the sets of LayerNorm ({n} of" in text
    assert f"- G = C = {c}: {n * c} sets of {h * w}, the sets of InstanceNorm" in text
    codes = [x.value for x in at.code]
    assert "nn.LayerNorm(C)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)" in codes
    assert "nn.BatchNorm1d(C * H * W)(x.flatten(1)).reshape(N, C, H, W)" in codes


# ------------------------------------- degenerate inputs (issue 25.2, 25.4, 25.6), torch live
def _torch_refusal(make_layer, x) -> str:
    """torch's ValueError text for a layer in training mode on `x`, or ""."""
    try:
        make_layer().train()(x)
    except ValueError as error:
        return str(error)
    return ""


@pytest.mark.torch
def test_a_batch_of_one_gets_the_true_method2_sentence():
    """With N = 1 the page said 'Method 2 uses 1 different scales … depending on where in the
    image it is'; every position gets 1/√eps and outputs 0, and torch refuses Method 2's layer."""
    torch = conftest.require_torch()
    at = open_page(sidebar={"n": "1"})
    (sentence,) = [m.value for m in at.markdown if m.value.startswith("On the current input")]
    assert "different scales" not in sentence and "1 different" not in sentence
    assert "1/√ε = 316.2" in sentence and "outputs 0 (β) at every position" in sentence
    x = torch.randn(1, 3, 32, 32)
    # torch: each per-position variance over N = 1 is 0, so BatchNorm1d's formula gives 0 …
    flat = x.flatten(1)
    out = (flat - flat.mean(0)) / torch.sqrt(flat.var(0, unbiased=False) + 1e-5)
    assert torch.count_nonzero(out) == 0
    # … and its layer refuses N = 1 in training, which the sentence quotes.
    refusal = _torch_refusal(lambda: torch.nn.BatchNorm1d(3 * 32 * 32), x.flatten(1))
    assert refusal.startswith("Expected more than 1 value per channel when training")
    assert "nn.BatchNorm1d(C·H·W) refuses it (N = 1, in training)" in sentence
    assert "“Expected more than 1 value per channel when training”" in sentence


@pytest.mark.slow
@pytest.mark.torch
def test_one_value_per_channel_shows_torchs_refusal_not_a_crash():
    """Issue 25.6: 'Also run PyTorch now' on a 1×6×1×1 input raised torch's ValueError."""
    torch = conftest.require_torch()
    at = open_page(sidebar={"source": "random", "shape": "1x6x1x1"})
    at.toggle(key="q:live").set_value(True).run()
    assert not at.exception
    expected = _torch_refusal(lambda: torch.nn.BatchNorm2d(6), torch.zeros(1, 6, 1, 1))
    assert expected in [c.value for c in at.code]  # torch's own words, verbatim
    assert any("refuses this input in training mode" in i.value for i in at.info)
    text = page_text(at)
    # GroupNorm's limits: nn.GroupNorm(6, 6) and nn.InstanceNorm2d refuse this shape, live.
    assert _torch_refusal(lambda: torch.nn.GroupNorm(6, 6), torch.zeros(1, 6, 1, 1))
    assert _torch_refusal(lambda: torch.nn.InstanceNorm2d(6), torch.zeros(1, 6, 1, 1))
    assert not _torch_refusal(lambda: torch.nn.GroupNorm(1, 6), torch.zeros(1, 6, 1, 1))
    assert "PyTorch refuses nn.GroupNorm(6, 6) (N·(C/G)·H·W = 1" in text
    assert "nn.InstanceNorm2d (H·W = 1" in text and "nn.GroupNorm(1, 6)" not in text
    assert "1 sets" not in text and "6 sets of 1," in text
    assert "its one position by 1/√(σ² + ε)" in text
