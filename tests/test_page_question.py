"""The question page through AppTest: corrected formulas, the torch check, links, numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import conftest

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
    assert "the numerator: ~~$T_{c,x,y}$~~ → fixed: $T_{n,c,x,y}$" in text
    assert r"the variance subtracts: ~~$\mu_c$~~ → fixed: $\mu_{c,x,y}$" in text
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
