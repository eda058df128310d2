"""The Compare page through AppTest: default view, every control, URL round trip, bad links.

Each test opens the page like a fresh link: query parameters first, then ``switch_page``;
the page itself draws the shared sidebar (``ui.current_input()``).
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import normlib
from normapp import inputs
from normapp.explorer import element_walkthrough
from normapp.teaching import compare, framework_facts
from tests import conftest

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

PAGE = "pages/compare.py"


def open_page(query: dict[str, str] | None = None, sidebar: dict | None = None) -> AppTest:
    """Open the page as a link with `query` (and the sidebar's `sidebar`) would."""
    return conftest.open_page(PAGE, query, sidebar)


link = conftest.link


def headlines(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "sets × elements per set" in m.value]


def card_titles(at: AppTest) -> list[str]:
    return [m.value[5:].split("\n")[0] for m in at.markdown if m.value.startswith("#### ")]


def codes(at: AppTest) -> list[str]:
    """The framework calls shown in the PyTorch/Keras cards."""
    return [c.value for c in at.code]


def element_frame(at: AppTest):
    return at.dataframe[0].value


def table(at: AppTest):  # the side-by-side table, after the element's table
    return at.dataframe[1].value


def test_default_view_has_six_methods_with_normlib_numbers():
    at = open_page()
    assert card_titles(at) == [
        "Method 1",
        "Method 2",
        "Method 3",
        "LayerNorm",
        "InstanceNorm",
        "GroupNorm(3)",
    ]
    numbers = [h.split("</div>")[0].split(">")[-1] for h in headlines(at)]
    # 8 sample images 32×32 RGB: the question's three methods and the per-sample ones.
    assert numbers == [
        "1,024 × 24",
        "3,072 × 8",
        "3 × 8,192",
        "8 × 3,072",
        "24 × 1,024",
        "24 × 1,024",
    ]
    # GroupNorm on RGB has G = C = 3: the page says it equals InstanceNorm's statistics.
    assert any("InstanceNorm's statistics" in i.value for i in at.info)
    frame = table(at)
    assert list(frame["depends on the batch"]) == ["yes", "yes", "yes", "no", "no", "no"]
    calls = codes(at)
    assert "nn.BatchNorm2d(C)(x)" in calls and "LayerNormalization(axis=[1, 2, 3])(x)" in calls
    assert framework_facts.facts_for("method2").keras in calls  # the Keras 3 call that works
    assert not any("axis=[1, 2, 3])(x, training" in c for c in calls)
    text = " ".join(m.value for m in at.markdown)
    assert "none (hypothetical" in " ".join(table(at)["γ/β count"])
    assert "default eps: PyTorch 1e-5, Keras 1e-3; added to the variance" in text
    assert "PyTorch's eps is 1e-5, Keras' 1e-3" not in text + " ".join(c.value for c in at.caption)
    assert "methods" not in link(at)  # the default six: left out of the link


@pytest.mark.slow
def test_choosing_methods_and_the_element_updates_cards_table_and_link():
    at = open_page()
    at.pills(key="methods").set_value(["batchnorm", "rmsnorm", "pixelnorm"]).run()
    assert not at.exception
    assert card_titles(at) == ["BatchNorm", "RMSNorm", "PixelNorm"]
    frame = table(at)
    assert list(frame["γ/β count"]) == ["6 = 2·C", "3,072 = C·H·W", "0 (no γ, no β)"]
    text = " ".join(m.value for m in at.markdown)
    assert "torch.finfo(dtype).eps" in text and "Keras 1e-6" in text and "ProGAN 1e-8" in text
    assert "added to the mean square" in text
    assert not at.info  # no GroupNorm, no GroupNorm note
    for key, value in (("cmp:n", 3), ("cmp:c", 1), ("cmp:h", 5), ("cmp:w", 6)):
        at.number_input(key=key).set_value(value).run()
        assert not at.exception
    assert at.session_state["methods"] == ["batchnorm", "rmsnorm", "pixelnorm"]
    assert link(at)["pick"] == "3,1,5,6"
    at.number_input(key="cmp:n").set_value(7).run()
    assert not at.exception
    assert any("outside the pictures" in c.value for c in at.caption)
    at.pills(key="methods").set_value([]).run()
    assert any("at least one method" in i.value for i in at.info)
    assert "methods" not in at.query_params


@pytest.mark.slow
def test_link_round_trip_reproduces_the_view():
    # Today's form: one key per method, by the label its pill shows.
    query = {"methods": ["Method 2", "GroupNorm"], "pick": "1,2,3,4"}
    at = open_page({**query, "source": "CNN feature maps"})  # older forms: test_links_*
    assert card_titles(at) == ["Method 2", "GroupNorm(2)"]  # feature maps: C = 8, G = 2
    assert at.pills(key="methods").value == ["method2", "groupnorm"]
    assert [at.number_input(key=k).value for k in ("cmp:n", "cmp:c", "cmp:h", "cmp:w")] == [
        1,
        2,
        3,
        4,
    ]
    frame = table(at)
    assert list(frame["sets"]) == [8 * 32 * 32, 8 * 2]
    assert list(frame["reduced axes"])[1] == "C in 2 groups of 4, H, W"
    assert not at.info  # G = 2 is a real grouping: no InstanceNorm note
    url = dict(at.query_params)  # the page's own parameters and the sidebar's
    assert url == {**query, "source": "CNN feature maps"}
    again = open_page(query, sidebar={"source": url["source"]})
    assert card_titles(again) == card_titles(at)
    assert dict(again.query_params) == url


# Links written before the method pills were bound to the URL (keys joined by commas), and
# today's (one key per method, by its label). Each opens the view it opened then.
@pytest.mark.parametrize(
    ("query", "methods", "pick"),
    [
        ({"methods": "batchnorm,layernorm"}, ["batchnorm", "layernorm"], (0, 0, 0, 0)),
        (
            {"methods": "layernorm, Method 1", "pick": "0,1,2,3"},
            ["method1", "layernorm"],
            (0, 1, 2, 3),
        ),
        (
            {"methods": ["BatchNorm", "LayerNorm over channels"]},
            ["batchnorm", "positionnorm"],
            (0, 0, 0, 0),
        ),
        ({"pick": "0,1,2,3"}, list(compare.DEFAULT_METHODS), (0, 1, 2, 3)),
    ],
)
def test_an_older_compare_link_still_opens_its_view(query, methods, pick):
    at = open_page(query)
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["methods"] == methods
    assert tuple(at.session_state[k] for k in ("cmp:n", "cmp:c", "cmp:h", "cmp:w")) == pick
    assert len(card_titles(at)) == len(methods)


def test_the_server_rewrites_an_older_compare_link_in_todays_form():
    from normapp.links import old_forms, sitemap

    table = sitemap.PAGE_TABLES["compare"]
    assert old_forms.current_form("methods=batchnorm,layernorm&pick=0,1,2,3", table) == (
        "methods=BatchNorm&methods=LayerNorm&pick=0%2C1%2C2%2C3"
    )
    assert old_forms.current_form("methods=positionnorm,METHOD1", table) == (
        "methods=LayerNorm+over+channels&methods=Method+1"
    )
    assert old_forms.current_form("methods=BatchNorm&methods=Method+1&pick=0,1,2,3", table) is None
    assert old_forms.current_form("methods=nope", table) is None  # the page names what is wrong
    assert sitemap.PAGE_PARAMS["compare"] == ("methods", "pick")
    assert sitemap.multi_valued("compare") == {"methods"}


@pytest.mark.slow
def test_bad_link_parameters_warn_and_fall_back():
    at = open_page({"methods": "method1,batchnrom", "pick": "a,b"})
    warnings = conftest.shown(" ".join(w.value for w in at.warning))
    assert "'batchnrom'" in warnings and "methods=method1,method2" in warnings
    assert "pick" in warnings
    assert card_titles(at)[0] == "Method 1" and len(card_titles(at)) == 6
    assert "pick" not in link(at)
    at = open_page({"pick": "99,0,0,99"})
    assert any("outside the input's shape" in w.value for w in at.warning)
    assert "pick" not in link(at)
    at.run()  # warnings are shown once, not on every rerun
    assert not at.warning


def test_numbers_agree_with_normlib_for_every_preset():
    at = open_page({"methods": ",".join(normlib.METHODS)})
    frame = table(at)
    x = normlib.sample_images(inputs.SAMPLES_DIR, size=(32, 32))[:8]
    for key, sets, count in zip(
        normlib.METHODS, frame["sets"], frame["elements per set"], strict=True
    ):
        result = normlib.normalize(x, compare.method_spec(key, 3))
        assert (sets, count) == (result.n_sets, result.count), key


@pytest.mark.slow
def test_choices_survive_a_visit_to_another_page():
    at = open_page()
    at.pills(key="methods").set_value(["batchnorm", "layernorm"]).run()
    at.number_input(key="cmp:w").set_value(4).run()
    at.switch_page("../pages/batch.py").run()
    assert not at.exception
    at.switch_page("../" + PAGE).run()
    assert not at.exception
    assert at.pills(key="methods").value == ["batchnorm", "layernorm"]
    assert at.number_input(key="cmp:w").value == 4


@pytest.mark.slow
def test_the_picked_element_is_followed_through_every_method():
    at = open_page({"methods": "method2,batchnorm,rmsnorm", "pick": "1,2,3,4"})
    frame = element_frame(at)
    x = normlib.sample_images(inputs.SAMPLES_DIR, size=(32, 32))[:8]
    assert list(frame["method"]) == ["Method 2", "BatchNorm", "RMSNorm"]
    assert set(frame["x"]) == {f"{x[1, 2, 3, 4]:.6g}"}
    assert list(frame["set size m"]) == ["8", "8,192", "3,072"]
    assert list(frame["μ (set mean)"])[2] == "not centred"
    for key, shown in zip(("method2", "batchnorm", "rmsnorm"), frame["x̂"], strict=True):
        out = normlib.normalize(x, normlib.METHODS[key], eps=compare.COMPARE_EPS).output
        assert float(shown) == pytest.approx(float(out[1, 2, 3, 4]), rel=1e-5), key
    at.number_input(key="cmp:w").set_value(5).run()
    assert set(element_frame(at)["x"]) == {f"{x[1, 2, 3, 5]:.6g}"}


@pytest.mark.parametrize("value", ["**x**[y](http://evil.example)", "a" * 20_000])
@pytest.mark.parametrize("name", ["methods", "pick"])
def test_hostile_link_values_are_echoed_literally_and_short(name, value):
    at = open_page({name: value})
    (warning,) = [w.value for w in at.warning]
    assert name in warning
    outside_code = warning.split("`")[-1]  # after the code span that quotes the link
    assert "**x**" not in outside_code and "](http" not in outside_code
    assert len(warning) < 600


# ------------------------------- the sentence under the element table, checked against torch
def _torch_outputs(x, element, keys, channels):
    """y at `element` for each method, computed by torch (modules where torch has one)."""
    torch = conftest.require_torch()
    t = torch.from_numpy(x).double()
    eps = compare.COMPARE_EPS
    groups = compare.method_spec("groupnorm", channels).groups

    def over(dims, center=True):
        mean = t.mean(dim=dims, keepdim=True) if center else 0
        var = ((t - mean) ** 2).mean(dim=dims, keepdim=True)
        return (t - mean) / torch.sqrt(var + eps)

    modules = {
        "method1": lambda: over((0, 1)),
        "method2": lambda: over((0,)),
        "method3": lambda: torch.nn.BatchNorm2d(channels, eps=eps, affine=False).double()(t),
        "batchnorm": lambda: torch.nn.BatchNorm2d(channels, eps=eps, affine=False).double()(t),
        "layernorm": lambda: torch.nn.GroupNorm(1, channels, eps=eps, affine=False).double()(t),
        "instancenorm": lambda: torch.nn.InstanceNorm2d(channels, eps=eps).double()(t),
        "groupnorm": lambda: torch.nn.GroupNorm(groups, channels, eps=eps, affine=False).double()(
            t
        ),
        "rmsnorm": lambda: torch.nn.RMSNorm(
            x.shape[1:], eps=eps, elementwise_affine=False
        ).double()(t),
        "pixelnorm": lambda: over((1,), center=False),
        "positionnorm": lambda: over((1,)),
    }
    return {key: float(modules[key]()[element]) for key in keys}


def _outcome_sentence(at: AppTest) -> str:
    (sentence,) = [m.value for m in at.markdown if m.value.startswith("The highlighted element")]
    return sentence


@pytest.mark.torch
def test_default_view_names_the_methods_that_coincide_as_torch_computes_them():
    """Issue 25.1: the sentence said every method gives a different number; on the default
    input torch gives InstanceNorm, GroupNorm(3) and LayerNorm the same −1.10333."""
    at = open_page()
    x = normlib.sample_images(inputs.SAMPLES_DIR, size=(32, 32))[:8]
    keys = compare.DEFAULT_METHODS
    outputs = _torch_outputs(x, (0, 0, 0, 0), keys, 3)
    shown = {f"{value:.6g}" for value in outputs.values()}
    sentence = _outcome_sentence(at)
    assert "different set, so" not in sentence
    assert f"comes out as {len(shown)} different numbers from {len(keys)} methods" in sentence
    same = sorted(k for k in keys if f"{outputs[k]:.6g}" == f"{outputs['instancenorm']:.6g}")
    assert same == ["groupnorm", "instancenorm", "layernorm"]  # what torch says coincides
    assert "InstanceNorm and GroupNorm(3) use the same set of 1,024" in sentence
    assert "G = C = 3" in sentence
    assert "LayerNorm and InstanceNorm = GroupNorm(3) use different sets" in sentence
    assert "3 times along the channel axis" in sentence  # R = G = B in that sample


@pytest.mark.slow
@pytest.mark.torch
def test_every_preset_sentence_counts_the_distinct_numbers_torch_gives():
    keys = tuple(normlib.METHODS)
    at = open_page({"methods": ",".join(keys), "pick": "1,2,3,4"})
    x = normlib.sample_images(inputs.SAMPLES_DIR, size=(32, 32))[:8]
    outputs = _torch_outputs(x, (1, 2, 3, 4), keys, 3)
    distinct = len({f"{value:.6g}" for value in outputs.values()})
    sentence = _outcome_sentence(at)
    assert f"comes out as {distinct} different numbers from {len(keys)} methods" in sentence
    assert "Method 3 and BatchNorm use the same set of 8,192 (the same axes)" in sentence


def test_every_methods_set_is_the_brute_force_set():
    """The index box behind 'the same set' is every element with the element's set id."""
    shape = (3, 6, 2, 5)
    rng = np.random.default_rng(3)
    for key in normlib.METHODS:
        spec = compare.method_spec(key, shape[1])
        ids = normlib.set_ids(shape, spec)
        for _ in range(5):
            element = tuple(int(rng.integers(size)) for size in shape)
            members = set(zip(*np.nonzero(ids == ids[element]), strict=True))
            box = compare._index_box(spec, shape, element)
            boxed = {
                idx
                for idx in np.ndindex(*shape)
                if all(a <= i < b for i, (a, b) in zip(idx, box, strict=True))
            }
            assert boxed == members, (key, element)


def test_a_single_method_or_all_distinct_views_say_so_plainly():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 5, 5)).astype(np.float32)
    steps = []
    for key in ("method1", "method2", "layernorm"):
        result = normlib.normalize(x, compare.method_spec(key, 6), eps=compare.COMPARE_EPS)
        steps.append((key, element_walkthrough.element_arithmetic(x, result, (1, 2, 3, 4))))
    assert "each method puts it into a different set" in compare.element_outcome_note(x, 6, steps)
    one = compare.element_outcome_note(x, 6, steps[:1])
    assert "under Method 1 it comes out as y = " in one and "different" not in one
