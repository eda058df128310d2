"""The Train vs eval page through AppTest: controls, numbers, URL round trip, bad links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import normlib
from explorer import inputs, teaching
from tests import conftest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/train_eval.py"


def open_page(query: dict[str, str] | None = None, sidebar: dict[str, str] | None = None):
    """Open the page as a link with `sidebar` and `query` parameters would."""
    return conftest.open_page(PAGE, query, sidebar)


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return " ".join(parts)


def test_default_view_numbers_agree_with_batchnorm2d():
    at = open_page()
    assert at.title[0].value == "Train vs eval"
    assert "In eval, a sample's output no longer depends on its batch mates." in text(at)
    q = at.query_params
    assert (q["momentum"], q["steps"], q["batch"], q["bseed"]) == ("0.1", "100", "4", "0")
    assert q["source"] == "samples"
    # The page's running statistics are normlib.BatchNorm2d's on the same batches.
    x = inputs.load_samples(8, 32).x
    bn = normlib.BatchNorm2d(3)
    for idx in teaching.batch_indices(8, 4, 100, 0):
        bn(x[idx])
    targets = at.dataframe[0].value
    np.testing.assert_allclose(
        targets["running_mean now"].astype(float), bn.running_mean, rtol=1e-4
    )
    np.testing.assert_allclose(targets["running_var now"].astype(float), bn.running_var, rtol=1e-4)
    # Eval output of a sample does not move when its mates go; training output does.
    train_change, eval_change = (float(m.value) for m in at.metric)
    assert eval_change < 1e-5 < 0.01 < train_change
    assert any("\\frac{4096}{4095}" in latex.value for latex in at.latex)
    assert "Keras momentum **0.9**" in text(at)


def test_every_control_updates_the_view_and_the_url():
    at = open_page()
    at.select_slider(key="te:momentum").set_value("none").run()
    assert at.query_params["momentum"] == "none"
    assert "no Keras equivalent" in text(at)
    assert any("frac{1}{k}" in latex.value for latex in at.latex)
    at.slider(key="te:steps").set_value(30).run()
    at.slider(key="te:batch").set_value(8).run()
    at.number_input(key="te:seed").set_value(9).run()
    at.selectbox(key="te:sample").set_value(5).run()
    assert not at.exception
    q = at.query_params
    assert (q["momentum"], q["steps"], q["batch"], q["bseed"]) == ("none", "30", "8", "9")
    assert "after 30 steps" in text(at).lower()
    # B = N: the dashed variance is the whole input's unbiased variance.
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["target var (dashed)"], table["var, whole input ÷ (M−1)"])
    at.select_slider(key="te:momentum").set_value("1").run()
    at.slider(key="te:batch").set_value(8).run()
    assert "m = B·H·W = 8,192" in text(at)


def test_link_round_trip():
    link = {"momentum": "0.5", "steps": "20", "batch": "2", "bseed": "3"}
    at = open_page(link)
    assert at.select_slider(key="te:momentum").value == "0.5"
    assert at.slider(key="te:steps").value == 20
    assert at.slider(key="te:batch").value == 2
    assert at.number_input(key="te:seed").value == 3
    assert not at.warning
    assert {k: at.query_params[k] for k in link} == link
    # A value from a link that is not on the slider is added to it.
    at = open_page({"momentum": "0.3"})
    assert at.select_slider(key="te:momentum").value == "0.3"


def test_bad_link_parameters_warn_and_fall_back():
    at = open_page({"momentum": "fast", "steps": "0", "batch": "many", "bseed": "-4"})
    warnings = conftest.shown(" ".join(w.value for w in at.warning))
    for name in ("momentum=fast", "steps=0", "batch=many", "bseed=-4"):
        assert name in warnings
    q = at.query_params
    assert (q["momentum"], q["steps"], q["batch"], q["bseed"]) == ("0.1", "100", "4", "0")
    at = open_page({"batch": "50"})
    assert "more than the input's N = 8" in " ".join(w.value for w in at.warning)
    assert at.query_params["batch"] == "4"
    at = open_page({"momentum": "0.99"})
    assert "PyTorch's equivalent is 0.01" in " ".join(i.value for i in at.info)


def test_a_batch_of_single_values_is_explained_not_a_traceback():
    at = open_page(sidebar={"source": "random", "shape": "3x2x1x1"})
    at.slider(key="te:batch").set_value(1).run()
    assert not at.exception
    assert "more than 1 value per channel" in at.error[0].value
    assert at.query_params["batch"] == "1"
    # The same input with B = 1 sample per batch on a single-sample input: a caption, no slider.
    at = open_page(sidebar={"source": "samples", "n": "1"})
    assert "Batch size B = 1" in text(at)
    assert at.query_params["batch"] == "1"


def test_choices_survive_a_page_switch():
    at = open_page()
    at.slider(key="te:steps").set_value(30).run()
    at.select_slider(key="te:momentum").set_value("0.5").run()
    at.switch_page("pages/quiz.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.slider(key="te:steps").value == 30
    assert at.select_slider(key="te:momentum").value == "0.5"
    assert (at.query_params["steps"], at.query_params["momentum"]) == ("30", "0.5")
