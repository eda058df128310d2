"""The Explorer page driven through Streamlit's AppTest: controls, URL, uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import normlib
from tests.conftest import ROOT, shown


def run_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def headline(at: AppTest) -> str:
    texts = [m.value for m in at.markdown if "font-size:2.4rem" in m.value]
    assert texts, "no headline on the page"
    return texts[0]


def png_bytes(colour=(200, 30, 30), size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_default_view_is_batchnorm_on_sample_images():
    at = run_app()
    assert "3 sets × 8,192 elements per set" in headline(at)
    assert any("BatchNorm2d (Method 3)" in m.value for m in at.markdown)
    assert sorted(at.pills(key="ex:axes").value) == ["H", "N", "W"]
    assert at.segmented_control(key="ex:method").value == "batchnorm"
    assert any(
        "m = N \\cdot H \\cdot W = 8 \\cdot 32 \\cdot 32 = 8192" in m.value for m in at.latex
    )
    assert at.query_params["axes"] == "NHW"
    assert at.query_params["source"] == "samples"


def test_presets_set_the_axes_and_the_numbers_follow():
    at = run_app()
    expected = {
        "method1": ("NC", "1,024 sets × 24 elements per set"),
        "method2": ("N", "3,072 sets × 8 elements per set"),
        "layernorm": ("CHW", "8 sets × 3,072 elements per set"),
        "instancenorm": ("HW", "24 sets × 1,024 elements per set"),
        "groupnorm": ("CHW", "8 sets × 3,072 elements per set"),  # G = 3 on RGB: see below
    }
    for key, (axes, text) in expected.items():
        at.segmented_control(key="ex:method").set_value(key).run()
        assert not at.exception
        assert "".join(sorted(at.pills(key="ex:axes").value)) == "".join(sorted(axes))
        if key != "groupnorm":
            assert text in headline(at)
        assert at.query_params["method"] == key
    # GroupNorm on C = 3 uses G = 3, which has InstanceNorm's sets, and says so.
    assert "24 sets × 1,024 elements per set" in headline(at)
    assert any("G = C" in m.value for m in at.markdown)


def test_axis_toggles_allow_any_subset_and_update_the_preset_row():
    at = run_app()
    at.pills(key="ex:axes").set_value(["N"]).run()
    assert "3,072 sets × 8 elements per set" in headline(at)
    assert at.segmented_control(key="ex:method").value == "method2"
    at.pills(key="ex:axes").set_value(["N", "H"]).run()
    assert "96 sets × 256 elements per set" in headline(at)
    assert at.segmented_control(key="ex:method").value is None
    assert any("no standard name" in m.value for m in at.markdown)
    assert at.query_params["axes"] == "NH"
    assert "method" not in at.query_params
    at.pills(key="ex:axes").set_value([]).run()
    assert "24,576 sets × 1 element per set" in headline(at)


def test_eps_center_gamma_beta_and_selection_controls():
    at = run_app()
    at.number_input(key="ex:eps").set_value(1e-3).run()
    at.toggle(key="ex:center").set_value(False).run()
    at.number_input(key="ex:gamma").set_value(2.0).run()
    at.number_input(key="ex:beta").set_value(0.5).run()
    at.number_input(key="ex:c").set_value(2).run()
    at.toggle(key="ex:log").set_value(True).run()
    assert not at.exception
    query = at.query_params
    assert query["eps"] == "0.001" and query["center"] == "0"
    assert query["gamma"] == "2" and query["beta"] == "0.5"
    assert query["pick"] == "0,2,0,0" and query["log"] == "1"
    assert any("set 2" in m.value for m in at.markdown)  # BatchNorm: the set id is c


def test_groups_only_apply_when_c_is_reduced_and_divide_c():
    at = run_app({"source": "features", "axes": "CHW", "groups": "4"})
    assert "32 sets × 2,048 elements per set" in headline(at)  # 8 samples × 4 groups
    assert any("GroupNorm(4)" in m.value for m in at.markdown)
    at = run_app({"source": "features", "axes": "CHW", "groups": "3"})
    assert any("does not divide C=8" in i.value for i in at.info)


def test_a_link_reproduces_the_view():
    at = run_app()
    at.segmented_control(key="ex:method").set_value("layernorm").run()
    at.number_input(key="ex:eps").set_value(1e-3).run()
    link = dict(at.query_params)
    again = run_app(link)
    assert headline(again) == headline(at)
    assert again.number_input(key="ex:eps").value == pytest.approx(1e-3)
    assert again.segmented_control(key="ex:method").value == "layernorm"


def test_random_tensor_link_uses_its_shape():
    at = run_app({"source": "random", "shape": "4x6x10x12", "axes": "NHW", "seed": "7"})
    assert "6 sets × 480 elements per set" in headline(at)
    assert at.query_params["shape"] == "4x6x10x12" and at.query_params["seed"] == "7"


def test_bad_link_parameters_warn_and_fall_back():
    at = run_app(
        {
            "axes": "NHX",
            "eps": "abc",
            "groups": "0",
            "source": "moon",
            "shape": "999x3x3x3",
            "pick": "1,2",
        }
    )
    warnings = shown(" ".join(w.value for w in at.warning))
    for name in ("axes=NHX", "eps=abc", "groups=0", "source=moon", "pick=1,2"):
        assert name in warnings
    assert "unknown axis 'X'" in warnings
    assert "3 sets × 8,192 elements per set" in headline(at)


def test_method_in_the_link_fills_in_the_axes():
    at = run_app({"method": "instancenorm"})
    assert "24 sets × 1,024 elements per set" in headline(at)


def test_too_large_random_shape_is_refused_with_the_reason():
    at = run_app({"source": "random"})
    at.sidebar.text_input(key="in:shape").set_value("64x64x256x256").run()
    assert not at.exception
    assert any("2^24" in shown(e.value) for e in at.sidebar.error)
    assert headline(at)  # the previous tensor is still shown


def test_uploads_good_and_bad_keep_the_good_ones():
    at = run_app({"source": "uploads"})
    uploader = at.sidebar.file_uploader(key="in:uploads")
    uploader.set_value(
        [
            ("red.png", png_bytes((220, 20, 20)), "image/png"),
            ("notes.png", b"this is text, not a PNG\n", "image/png"),
            ("blue.png", png_bytes((20, 20, 220), (30, 50)), "image/png"),
            ("empty.jpg", b"", "image/jpeg"),
        ]
    ).run()
    assert not at.exception
    errors = shown(" ".join(e.value for e in at.sidebar.error))
    assert "notes.png" in errors and "empty.jpg" in errors
    assert "red.png" not in errors and "blue.png" not in errors
    # Two good images remain: BatchNorm sets are 3 channels × (2·32·32) elements.
    assert "3 sets × 2,048 elements per set" in headline(at)


def test_only_bad_uploads_fall_back_to_samples_with_a_message():
    at = run_app({"source": "uploads"})
    at.sidebar.file_uploader(key="in:uploads").set_value(
        [("truncated.png", png_bytes()[:60], "image/png")]
    ).run()
    assert not at.exception
    assert any("truncated.png" in shown(e.value) for e in at.sidebar.error)
    assert any("sample images are shown" in i.value for i in at.sidebar.info)
    assert "3 sets × 8,192 elements per set" in headline(at)


def test_every_source_renders():
    at = run_app()
    for source in ("random", "features", "samples"):
        at.sidebar.radio(key="in:source").set_value(source).run()
        assert not at.exception, source
        assert headline(at)
    at.sidebar.slider(key="in:n").set_value(3).run()
    at.sidebar.select_slider(key="in:size").set_value("16").run()
    assert "3 sets × 768 elements per set" in headline(at)


def test_numbers_on_the_page_match_normlib():
    at = run_app({"source": "random", "shape": "4x6x10x12", "seed": "3", "axes": "HW"})
    x = normlib.random_tensor((4, 6, 10, 12), seed=3, channel_offset=2.0, channel_scale=1.0)
    result = normlib.normalize(x, "HW")
    frame = at.dataframe[0].value
    np.testing.assert_allclose(frame["mean"].to_numpy(), result.set_mean, rtol=1e-6)
    np.testing.assert_allclose(frame["variance"].to_numpy(), result.set_var, rtol=1e-5)


def test_sidebar_choices_and_uploads_survive_page_switches():
    at = run_app({"source": "uploads"})
    at.sidebar.file_uploader(key="in:uploads").set_value(
        [
            ("red.png", png_bytes((220, 20, 20)), "image/png"),
            ("green.png", png_bytes((20, 220, 20)), "image/png"),
        ]
    ).run()
    at.sidebar.select_slider(key="in:size").set_value("16").run()
    assert "3 sets × 512 elements per set" in headline(at)  # 2 images of 16×16
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="in:source").value == "uploads"
    assert at.sidebar.select_slider(key="in:size").value == "16"
    assert any(
        "red.png" in shown(c.value) and "green.png" in shown(c.value) for c in at.sidebar.caption
    )
    at.switch_page("pages/explorer.py").run()
    assert "3 sets × 512 elements per set" in headline(at)
    # Removing the files in the uploader forgets them.
    at.sidebar.file_uploader(key="in:uploads").clear().run()
    assert any("sample images are shown" in i.value for i in at.sidebar.info)


def test_a_link_followed_later_in_the_session_replaces_the_view():
    at = run_app()
    at.pills(key="ex:axes").set_value(["C", "H", "W"]).run()
    at.sidebar.slider(key="in:n").set_value(4).run()
    # A link inside the app (e.g. from "The question, answered") names only the axes.
    at.query_params.clear()
    at.query_params["axes"] = "N"
    at.run()
    assert not at.exception
    assert "3,072 sets × 4 elements per set" in headline(at)  # N = 4 kept: the link names no n
    assert at.segmented_control(key="ex:method").value == "method2"


@pytest.mark.parametrize(
    ("tab", "check"),
    [
        ("stats", lambda at: len(at.dataframe) == 1 and len(at.metric) == 3),
        ("cube", lambda at: any("Group Normalization paper" in c.value for c in at.caption)),
        ("groups", lambda at: len(at.dataframe) == 0 and not at.metric),
        ("maps", lambda at: len(at.multiselect(key="ex:maps").value) == 3),
        ("formula", lambda at: any("\\sigma^2_{c}" in m.value for m in at.latex)),
        ("downloads", lambda at: len(at.get("download_button")) == 2),
    ],
)
def test_each_tab_opens_from_the_link_and_only_it_is_computed(tab, check):
    at = run_app({"tab": tab})
    assert check(at)
    assert at.query_params["tab"] == tab
    assert at.session_state["ex:tab"] != "Statistics" or tab == "stats"


def test_groups_control_makes_groupnorm_and_maps_control_picks_maps():
    at = run_app({"source": "features", "axes": "CHW"})
    assert at.segmented_control(key="ex:method").value == "layernorm"
    at.select_slider(key="ex:groups").set_value(4).run()
    assert "32 sets × 2,048 elements per set" in headline(at)
    assert at.segmented_control(key="ex:method").value == "groupnorm"
    assert at.query_params["groups"] == "4"
    # Groups only apply while C is reduced: dropping C disables them and resets to 1.
    at.pills(key="ex:axes").set_value(["H", "W"]).run()
    assert "64 sets × 1,024 elements per set" in headline(at)
    assert at.select_slider(key="ex:groups").disabled
    assert at.query_params["groups"] == "1"
    at = run_app({"tab": "maps"})
    at.multiselect(key="ex:maps").set_value([(1, 2)]).run()
    assert not at.exception
    assert at.multiselect(key="ex:maps").value == [(1, 2)]
