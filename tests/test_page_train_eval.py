"""The Train vs eval page through AppTest: controls, numbers, URL round trip, bad links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

import normlib
from normapp import inputs
from normapp.teaching import running_statistics
from tests import conftest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/train_eval.py"


def open_page(query: dict[str, str] | None = None, sidebar: dict[str, str] | None = None):
    """Open the page as a link with `sidebar` and `query` parameters would."""
    return conftest.open_page(PAGE, query, sidebar)


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return " ".join(parts)


def held(at) -> tuple[str, str, str, str]:
    """(momentum, steps, bsize, bseed) as the controls hold them, written as a link writes them.

    The browser writes the bound ones (steps, bsize, bseed) into the URL, the page momentum;
    test_browser_train_eval checks the address bar.
    """
    return (
        at.session_state["te:momentum"],
        str(at.session_state["steps"]),
        str(at.session_state["bsize"]),
        str(int(at.session_state["bseed"])),
    )


def test_default_view_numbers_agree_with_batchnorm2d():
    at = open_page()
    assert at.title[0].value == "Train vs eval"
    assert "In eval, a sample's output no longer depends on its batch mates." in text(at)
    assert held(at) == ("0.1", "100", "4", "0")
    assert not {"momentum", "bsize"} & set(at.query_params)  # defaults stay out of the URL
    # The page's running statistics are normlib.BatchNorm2d's on the same batches.
    x = inputs.load_samples(8, 32).x
    bn = normlib.BatchNorm2d(3)
    for idx in running_statistics.batch_indices(8, 4, 100, 0):
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


@pytest.mark.slow
def test_every_control_updates_the_view_and_the_url():
    at = open_page()
    at.select_slider(key="te:momentum").set_value("none").run()
    assert at.query_params["momentum"] == "none"  # written by the page (not a bound widget)
    assert "no Keras equivalent" in text(at)
    assert any("frac{1}{k}" in latex.value for latex in at.latex)
    at.slider(key="steps").set_value(30).run()
    at.slider(key="bsize").set_value(8).run()
    at.number_input(key="bseed").set_value(9).run()
    at.selectbox(key="te:sample").set_value(5).run()
    assert not at.exception
    assert held(at) == ("none", "30", "8", "9")
    assert at.query_params["momentum"] == "none"  # the browser writes bsize (a bound widget)
    assert "after 30 steps" in text(at).lower()
    # B = N: the dashed variance is the whole input's unbiased variance.
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["target var (dashed)"], table["var, whole input ÷ (M−1)"])
    at.select_slider(key="te:momentum").set_value("1").run()
    at.slider(key="bsize").set_value(8).run()
    assert "m = B·H·W = 8,192" in text(at)


def test_link_round_trip():
    link = {"momentum": "0.5", "steps": "20", "bsize": "2", "bseed": "3"}
    at = open_page(link)
    assert at.select_slider(key="te:momentum").value == "0.5"
    assert at.slider(key="steps").value == 20
    assert at.slider(key="bsize").value == 2
    assert at.number_input(key="bseed").value == 3
    assert not at.warning
    assert held(at) == tuple(link.values())
    assert at.query_params["momentum"] == "0.5"
    # A value from a link that is not on the slider is added to it.
    at = open_page({"momentum": "0.3"})
    assert at.select_slider(key="te:momentum").value == "0.3"


def test_bad_link_parameters_warn_and_fall_back():
    at = open_page({"momentum": "fast", "steps": "0", "bsize": "many", "bseed": "-4"})
    warnings = conftest.shown(" ".join(w.value for w in at.warning))
    for name in ("momentum=fast", "steps=0", "bsize=many", "bseed=-4"):
        assert name in warnings
    assert held(at) == ("0.1", "100", "4", "0")
    assert not {"momentum", "bsize"} & set(at.query_params)  # defaults stay out of the URL
    for name in ("bsize", "batch"):  # today's name and an older link's
        at = open_page({name: "50"})
        assert conftest.shown(" ".join(w.value for w in at.warning)) == (
            "Link parameter bsize=50 is more than the input's N = 8 samples; using B = 4."
        )
        assert held(at)[2] == "4" and not {"bsize", "batch"} & set(at.query_params)
    # On an input of 3 samples B's default is 3: a link's B = 5 does not fit.
    at = open_page({"bsize": "5"}, sidebar={"n": "3"})
    assert "Link parameter bsize=5 is more than the input's N = 3 samples; using B = 3." in (
        conftest.shown(" ".join(w.value for w in at.warning))
    )
    assert held(at)[2] == "3" and not at.exception
    at = open_page({"momentum": "0.99"})
    assert "PyTorch's equivalent is 0.01" in " ".join(i.value for i in at.info)


@pytest.mark.slow
def test_a_batch_of_single_values_is_explained_not_a_traceback():
    at = open_page(sidebar={"source": "random", "shape": "3x2x1x1"})
    at.slider(key="bsize").set_value(1).run()
    assert not at.exception
    assert "more than 1 value per channel" in at.error[0].value
    assert held(at)[2] == "1"
    # The same input with B = 1 sample per batch on a single-sample input: a caption, no slider.
    at = open_page(sidebar={"source": "samples", "n": "1"})
    assert "Batch size B = 1" in text(at)
    assert "bsize" not in at.query_params  # the only B of this input: nothing to say


@pytest.mark.slow
def test_choices_survive_a_page_switch():
    at = open_page()
    at.slider(key="steps").set_value(30).run()
    at.select_slider(key="te:momentum").set_value("0.5").run()
    at.switch_page("../pages/quiz.py").run()
    at.switch_page("../" + PAGE).run()
    assert not at.exception
    assert at.slider(key="steps").value == 30
    assert at.select_slider(key="te:momentum").value == "0.5"
    assert held(at)[:2] == ("0.5", "30") and at.query_params["momentum"] == "0.5"


def as_the_browser_changes(at: AppTest, kind: str, key: str, value, shown_label: str) -> AppTest:
    """Move one control and rerun as a browser does.

    The sample selectbox's labels name the samples of the last batch, so they change with
    the stream. The browser's selectbox keeps sending the label it showed when it was last
    picked (or first drawn), and once that label is no longer among the options Streamlit
    hands the script that string as the widget's value: issue 7 item 1, `'>=' not supported
    between 'str' and 'int'`. AppTest re-formats the current value instead, so here the
    selectbox sends `shown_label`, as the browser's does.
    """
    if key != "te:sample":
        box = at.selectbox(key="te:sample")
        box.__class__ = _SendsItsLabel
        box.label_sent = shown_label
    getattr(at, kind)(key=key).set_value(value)
    return at.run()


class _SendsItsLabel(Selectbox):
    """A selectbox that sends back a label it showed earlier, as the browser's widget does."""

    label_sent: str = ""

    @property
    def _widget_state(self) -> WidgetState:
        state = WidgetState()
        state.id = self.id
        state.string_value = self.label_sent
        return state


def expected_running_var(momentum, steps: int, batch: int, seed: int) -> np.ndarray:
    x = inputs.load_samples(8, 32).x
    bn = normlib.BatchNorm2d(3, momentum=momentum)
    for idx in running_statistics.batch_indices(8, batch, steps, seed):
        bn(x[idx])
    return bn.running_var


@pytest.mark.slow
def test_sequences_of_changes_never_break_the_page():
    sequences = [
        [("slider", "steps", 101), ("slider", "steps", 102), ("slider", "steps", 103)],
        [("slider", "bsize", 5), ("slider", "bsize", 6)],
        [("slider", "bsize", 5), ("slider", "steps", 99)],
        [
            ("select_slider", "te:momentum", "0.5"),
            ("slider", "steps", 40),
            ("number_input", "bseed", 7),
            ("slider", "bsize", 2),
        ],
        [("selectbox", "te:sample", 3), ("slider", "bsize", 3), ("slider", "steps", 12)],
        [("number_input", "te:c", 2), ("slider", "steps", 50), ("slider", "bsize", 8)],
    ]
    for sequence in sequences:
        at = open_page()
        values = {"momentum": "0.1", "steps": 100, "batch": 4, "bseed": 0}
        names = {"te:momentum": "momentum", "steps": "steps", "bsize": "batch"}
        names["bseed"] = "bseed"
        box = at.selectbox(key="te:sample")
        shown_label = box.options[box.index]
        for kind, key, value in sequence:
            as_the_browser_changes(at, kind, key, value, shown_label)
            assert not at.exception, (sequence, key, [e.value for e in at.exception])
            if key in names:
                values[names[key]] = value
            assert held(at) == tuple(str(v) for v in values.values()), (sequence, key)
            sample = at.selectbox(key="te:sample").value
            assert isinstance(sample, int) and 0 <= sample < values["batch"], sample
            if key == "te:sample":
                assert sample == value
                shown_label = at.selectbox(key="te:sample").options[sample]
            running_var = at.dataframe[0].value["running_var now"].astype(float)
            momentum = float(values["momentum"])
            np.testing.assert_allclose(
                running_var,
                expected_running_var(momentum, values["steps"], values["batch"], values["bseed"]),
                rtol=1e-4,
            )


# Links of before the controls were declared in running_statistics.TABLE, and today's: each opens
# the view it opened then (batch is now bsize; momentum is still read by the page).
@pytest.mark.parametrize(
    ("query", "state"),
    [
        ({"batch": "2"}, {"bsize": 2, "te:momentum": "0.1", "steps": 100, "bseed": 0}),
        (
            {"momentum": "none", "steps": "20", "batch": "6", "bseed": "3"},
            {"bsize": 6, "te:momentum": "none", "steps": 20, "bseed": 3},
        ),
        (
            {"momentum": "0.5", "steps": "20", "bsize": "2", "bseed": "3"},
            {"bsize": 2, "te:momentum": "0.5", "steps": 20, "bseed": 3},
        ),
        ({"momentum": "0.3"}, {"bsize": 4, "te:momentum": "0.3", "steps": 100, "bseed": 0}),
    ],
)
def test_an_older_and_todays_links_open_their_view(query, state):
    at = open_page(query)
    assert not at.warning and not at.exception
    for name, value in state.items():
        assert at.session_state[name] == value, name


def test_the_server_rewrites_an_older_train_eval_link_in_todays_form():
    from normapp.links import old_forms, sitemap

    table = sitemap.PAGE_TABLES["train-eval"]
    query = "momentum=none&steps=20&batch=2&bseed=3&n=4"
    assert old_forms.current_form(query, table) == "momentum=none&steps=20&bsize=2&bseed=3&n=4"
    assert old_forms.current_form("momentum=0.5&bsize=2", table) is None  # today's form
    # Both names: today's is used, and the older one is not renamed over it.
    assert old_forms.current_form("bsize=3&batch=2", table) is None
    assert sitemap.PAGE_PARAMS["train-eval"] == ("momentum", "steps", "bsize", "bseed")


def test_an_input_with_fewer_samples_clamps_b_without_a_traceback():
    at = open_page({"bsize": "7"})
    assert at.slider(key="bsize").value == 7
    at.sidebar.slider(key="n").set_value(3).run()
    assert not at.exception
    assert at.slider(key="bsize").value == 3 and at.slider(key="bsize").max == 3
    assert not [w.value for w in at.warning if "bsize" in w.value]  # no link's value: no message
    at.sidebar.slider(key="n").set_value(8).run()
    assert not at.exception and at.slider(key="bsize").value == 3
