"""The Explorer page driven through Streamlit's AppTest: controls, URL, uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import normlib
from normapp.explorer import controls
from tests.conftest import APP_ENTRY, shown


def run_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_ENTRY), default_timeout=60)
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
    assert sorted(at.pills(key="axes").value) == ["H", "N", "W"]
    assert at.segmented_control(key="method").value == "batchnorm"
    assert any(
        "m = N \\cdot H \\cdot W = 8 \\cdot 32 \\cdot 32 = 8192" in m.value for m in at.latex
    )
    # The URL itself is written by the browser for bound widgets: test_browser_explorer.


@pytest.mark.slow
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
        at.segmented_control(key="method").set_value(key).run()
        assert not at.exception
        assert "".join(sorted(at.pills(key="axes").value)) == "".join(sorted(axes))
        if key != "groupnorm":
            assert text in headline(at)
    # GroupNorm on C = 3 uses G = 3, which has InstanceNorm's sets, and says so; the normal
    # view keeps its input (the presenter's G key switches it: see below).
    assert "24 sets × 1,024 elements per set" in headline(at)
    assert any("G = C" in m.value for m in at.markdown)
    assert at.session_state["source"] == "samples"


@pytest.mark.slow
def test_groupnorm_keeps_a_random_tensor_with_prime_c_and_says_g_equals_c():
    at = run_app({"source": "random", "shape": "4x3x8x8"})
    at.segmented_control(key="method").set_value("groupnorm").run()
    assert at.session_state["source"] == "random" and not at.info
    assert "12 sets × 64 elements per set" in headline(at)  # G = C = 3
    assert any("G = C" in m.value for m in at.markdown)


@pytest.mark.slow
def test_the_presenters_g_key_shows_real_groups_on_the_default_view():
    at = run_app({"present": "true"})
    at.button(key="key:groupnorm").click().run()
    assert not at.exception and at.session_state["source"] == "features"
    assert any("The input is now their CNN feature maps (C = 8)" in i.value for i in at.info)
    at.button(key="key:reveal").click().run()
    # GroupNorm(2) on 8 feature maps of 8 images: 8 × 2 = 16 sets of 4 × 32 × 32 = 4,096.
    assert "16 sets × 4,096 elements per set" in headline(at)


@pytest.mark.slow
def test_axis_toggles_allow_any_subset_and_update_the_preset_row():
    at = run_app()
    at.pills(key="axes").set_value(["N"]).run()
    assert "3,072 sets × 8 elements per set" in headline(at)
    assert at.segmented_control(key="method").value == "method2"
    at.pills(key="axes").set_value(["N", "H"]).run()
    assert "96 sets × 256 elements per set" in headline(at)
    assert at.segmented_control(key="method").value is None
    assert any("no standard name" in m.value for m in at.markdown)
    at.pills(key="axes").set_value([]).run()
    assert "24,576 sets × 1 element per set" in headline(at)


@pytest.mark.slow
def test_eps_center_gamma_beta_and_selection_controls():
    at = run_app()
    at.number_input(key="eps").set_value(1e-3).run()
    at.toggle(key="center").set_value(False).run()
    at.number_input(key="gamma").set_value(2.0).run()
    at.number_input(key="beta").set_value(0.5).run()
    at.number_input(key="ex:c").set_value(2).run()
    at.toggle(key="log").set_value(True).run()
    assert not at.exception
    held = {key: at.session_state[key] for key in ("eps", "center", "gamma", "beta", "log")}
    assert held == {"eps": 1e-3, "center": False, "gamma": 2.0, "beta": 0.5, "log": True}
    assert at.query_params["pick"] == "0,2,0,0"  # the one compound parameter, written here
    assert any("set 2" in m.value for m in at.markdown)  # BatchNorm: the set id is c


@pytest.mark.slow
def test_groups_only_apply_when_c_is_reduced_and_divide_c():
    at = run_app({"source": "features", "axes": "CHW", "groups": "4"})
    assert "32 sets × 2,048 elements per set" in headline(at)  # 8 samples × 4 groups
    assert any("GroupNorm(4)" in m.value for m in at.markdown)
    at = run_app({"source": "features", "axes": "CHW", "groups": "3"})
    assert any("does not divide C=8" in w.value for w in at.warning)


@pytest.mark.slow
def test_a_link_reproduces_the_view():
    at = run_app()
    at.segmented_control(key="method").set_value("layernorm").run()
    at.number_input(key="eps").set_value(1e-3).run()
    # As the browser writes it (test_browser_explorer checks the real address bar).
    link = {"method": "LayerNorm", "axes": ["C", "H", "W"], "eps": "0.001"}
    again = run_app(link)
    assert headline(again) == headline(at)
    assert again.number_input(key="eps").value == pytest.approx(1e-3)
    assert again.segmented_control(key="method").value == "layernorm"


def test_random_tensor_link_uses_its_shape():
    at = run_app({"source": "random", "shape": "4x6x10x12", "axes": "NHW", "seed": "7"})
    assert "6 sets × 480 elements per set" in headline(at)
    assert (
        at.text_input(key="shape").value == "4x6x10x12" and at.number_input(key="seed").value == 7
    )


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


@pytest.mark.slow
def test_too_large_random_shape_is_refused_with_the_reason():
    at = run_app({"source": "random"})
    at.sidebar.text_input(key="shape").set_value("64x64x256x256").run()
    assert not at.exception
    assert any("2^24" in shown(e.value) for e in at.sidebar.error)
    assert headline(at)  # the previous tensor is still shown


@pytest.mark.slow
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


@pytest.mark.slow
def test_only_bad_uploads_fall_back_to_samples_with_a_message():
    at = run_app({"source": "uploads"})
    at.sidebar.file_uploader(key="in:uploads").set_value(
        [("truncated.png", png_bytes()[:60], "image/png")]
    ).run()
    assert not at.exception
    assert any("truncated.png" in shown(e.value) for e in at.sidebar.error)
    assert any("sample images are shown" in i.value for i in at.sidebar.info)
    assert "3 sets × 8,192 elements per set" in headline(at)


@pytest.mark.slow
def test_every_source_renders():
    at = run_app()
    for source in ("random", "features", "samples"):
        at.sidebar.radio(key="source").set_value(source).run()
        assert not at.exception, source
        assert headline(at)
    at.sidebar.slider(key="n").set_value(3).run()
    at.sidebar.select_slider(key="size").set_value("16").run()
    assert "3 sets × 768 elements per set" in headline(at)


@pytest.mark.slow
def test_numbers_on_the_page_match_normlib():
    at = run_app({"source": "random", "shape": "4x6x10x12", "seed": "3", "axes": "HW"})
    x = normlib.random_tensor((4, 6, 10, 12), seed=3, channel_offset=2.0, channel_scale=1.0)
    result = normlib.normalize(x, "HW")
    frame = at.table[0].value
    np.testing.assert_allclose(frame["mean"].to_numpy(), result.set_mean, rtol=1e-6)
    np.testing.assert_allclose(frame["variance"].to_numpy(), result.set_var, rtol=1e-5)


@pytest.mark.slow
def test_sidebar_choices_and_uploads_survive_page_switches():
    at = run_app({"source": "uploads"})
    at.sidebar.file_uploader(key="in:uploads").set_value(
        [
            ("red.png", png_bytes((220, 20, 20)), "image/png"),
            ("green.png", png_bytes((20, 220, 20)), "image/png"),
        ]
    ).run()
    at.sidebar.select_slider(key="size").set_value("16").run()
    assert "3 sets × 512 elements per set" in headline(at)  # 2 images of 16×16
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="source").value == "uploads"
    assert at.sidebar.select_slider(key="size").value == "16"
    at.switch_page("../pages/explorer.py").run()
    assert "3 sets × 512 elements per set" in headline(at)
    # Removing the files in the uploader forgets them.
    at.sidebar.file_uploader(key="in:uploads").clear().run()
    assert any("sample images are shown" in i.value for i in at.sidebar.info)


@pytest.mark.slow
def test_a_link_followed_later_in_the_session_replaces_the_view():
    at = run_app()
    at.pills(key="axes").set_value(["C", "H", "W"]).run()
    at.sidebar.slider(key="n").set_value(4).run()
    # A link inside the app (e.g. from "The question, answered") names only the axes.
    at.switch_page("../pages/question.py").run()
    at.query_params.clear()
    at.query_params["axes"] = "N"
    at.switch_page("../pages/explorer.py").run()
    assert not at.exception
    assert "3,072 sets × 4 elements per set" in headline(at)  # N = 4 kept: the link names no n
    assert at.segmented_control(key="method").value == "method2"


@pytest.mark.parametrize(
    ("tab", "check"),
    [
        ("stats", lambda at: len(at.table) == 1 and len(at.metric) == 3),
        ("cube", lambda at: any("Group Normalization paper" in c.value for c in at.caption)),
        ("groups", lambda at: len(at.table) == 0 and not at.metric),
        ("maps", lambda at: len(at.multiselect(key="ex:maps").value) == 3),
        ("formula", lambda at: any("\\sigma^2_{c}" in m.value for m in at.latex)),
        ("downloads", lambda at: len(at.get("download_button")) == 2),
    ],
)
@pytest.mark.slow
def test_each_tab_opens_from_the_link_and_only_it_is_computed(tab, check):
    at = run_app({"tab": tab})
    assert check(at)
    assert at.session_state["tab"] != "Statistics" or tab == "stats"


@pytest.mark.slow
def test_groups_control_makes_groupnorm_and_maps_control_picks_maps():
    at = run_app({"source": "features", "axes": "CHW"})
    assert at.segmented_control(key="method").value == "layernorm"
    at.select_slider(key="groups").set_value(4).run()
    assert "32 sets × 2,048 elements per set" in headline(at)
    assert at.segmented_control(key="method").value == "groupnorm"
    assert at.session_state["groups"] == 4
    # Groups only apply while C is reduced: dropping C disables them and resets to 1.
    at.pills(key="axes").set_value(["H", "W"]).run()
    assert "64 sets × 1,024 elements per set" in headline(at)
    assert at.select_slider(key="groups").disabled
    at = run_app({"tab": "maps"})
    at.multiselect(key="ex:maps").set_value([(1, 2)]).run()
    assert not at.exception
    assert at.multiselect(key="ex:maps").value == [(1, 2)]


# ------------------------------------------------- presets in every order
# The random tensor's C = 6: GroupNorm's default G is 2, so its sets differ from
# both LayerNorm's (G = 1) and InstanceNorm's (G = C).
PRESET_SHAPE = (2, 6, 3, 4)
# key -> (reduced axes, groups, centred), written out by hand from the GN paper's figure 2
PRESET_SPECS = {
    "method1": ("NC", 1, True),
    "method2": ("N", 1, True),
    "method3": ("NHW", 1, True),
    "batchnorm": ("NHW", 1, True),
    "layernorm": ("CHW", 1, True),
    "instancenorm": ("HW", 1, True),
    "groupnorm": ("CHW", 2, True),
    "rmsnorm": ("CHW", 1, False),
    "pixelnorm": ("C", 1, False),
    "positionnorm": ("C", 1, True),
}


def brute_force_sets(shape, axes: str, groups: int) -> tuple[int, set[int]]:
    """Group every element by the coordinates it keeps; return (sets, set sizes)."""
    n, c, h, w = shape
    members: dict[tuple, int] = {}
    for index in np.ndindex(n, c, h, w):
        key = []
        for axis, i in zip("NCHW", index, strict=True):
            if axis == "C" and "C" in axes:
                key.append(i // (c // groups))  # only the group of the channel is kept
            elif axis not in axes:
                key.append(i)
        members[tuple(key)] = members.get(tuple(key), 0) + 1
    return len(members), set(members.values())


def preset_walk(keys: list[str]) -> list[str]:
    """A walk through the complete directed graph of presets using every ordered pair once."""
    unused = {a: [b for b in keys if b != a] for a in keys}
    stack, walk = [keys[0]], []
    while stack:  # Hierholzer's algorithm: every node has in-degree = out-degree
        if unused[stack[-1]]:
            stack.append(unused[stack[-1]].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


def expected_headline(key: str) -> str:
    axes, groups, _ = PRESET_SPECS[key]
    n_sets, sizes = brute_force_sets(PRESET_SHAPE, axes, groups)
    (size,) = sizes  # every set has the same size
    return f"{n_sets:,} set{'s' * (n_sets != 1)} × {size:,} element{'s' * (size != 1)} per set"


def test_every_preset_after_every_other_preset_sets_its_own_controls():
    """All 90 ordered pairs through the preset callback's logic (explorer_controls)."""
    walk = preset_walk(list(PRESET_SPECS))
    pairs = set(zip(walk, walk[1:], strict=False))
    assert len(pairs) == len(PRESET_SPECS) * (len(PRESET_SPECS) - 1)  # all 90 ordered pairs
    values = {"method": walk[0], "axes": [], "groups": 1, "center": True}
    controls.apply_preset(values, PRESET_SHAPE[1])
    for previous, key in zip(walk, walk[1:], strict=False):
        values["method"] = key  # what clicking the preset row does, then its callback
        controls.apply_preset(values, PRESET_SHAPE[1])
        controls.follow_controls(values)
        spec = controls.current_spec(values)
        axes, groups, center = PRESET_SPECS[key]
        assert (spec.axes, spec.groups, spec.center) == (axes, groups, center), (previous, key)
        assert values["method"] == key, (previous, key)
        n_sets, sizes = brute_force_sets(PRESET_SHAPE, axes, groups)
        result = normlib.normalize(np.zeros(PRESET_SHAPE), spec)
        assert (result.n_sets, {result.count}) == (n_sets, sizes), (previous, key)


@pytest.mark.slow
def test_clicking_each_preset_after_groupnorm_sets_its_own_sets():
    """The page's wiring: GroupNorm (G > 1) before every other preset, where G once stuck."""
    # The formula tab is the cheapest to draw.
    at = run_app({"source": "random", "shape": "x".join(map(str, PRESET_SHAPE)), "tab": "formula"})
    others = [key for key in PRESET_SPECS if key != "groupnorm"]
    for key in [step for other in others for step in ("groupnorm", other)]:
        at.segmented_control(key="method").set_value(key).run()
        assert not at.exception, key
        assert expected_headline(key) in headline(at), (key, headline(at))
        axes, groups, center = PRESET_SPECS[key]
        assert at.segmented_control(key="method").value == key
        assert at.toggle(key="center").value is center, key
        assert at.session_state["groups"] == groups, key


# ------------------------------------------------------ downloads at the cap
@pytest.mark.slow
def test_downloads_tab_builds_nothing_until_a_button_is_clicked(monkeypatch):
    from normapp.explorer import downloads, set_statistics

    def refuse(*args, **kwargs):
        raise AssertionError("a download was built when the tab opened")

    for name in ("statistics_csv", "statistics_npz", "tensor_npy"):
        monkeypatch.setattr(downloads, name, refuse)
    monkeypatch.setattr(set_statistics, "statistics_table", refuse)
    # 262,144 sets (no axes): more than a CSV may have, so .npz is offered instead.
    at = run_app({"source": "random", "shape": "8x8x64x64", "axes": "", "tab": "downloads"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Normalized tensor (.npy, 1.0 MB)", "Statistics (.npz)"]
    assert any("262,144 sets are more than the 100,000 rows" in c.value for c in at.caption)
    at = run_app({"source": "random", "shape": "4x6x10x12", "tab": "downloads"})
    assert [b.proto.label for b in at.get("download_button")][1] == "Statistics (.csv, 6 rows)"


# ------------------------------------------------------ the after-check box
@pytest.mark.slow
def test_after_check_box_on_one_element_sets_is_true():
    at = run_app({"source": "random", "shape": "1x2x1x1", "method": "batchnorm"})
    text = " ".join(s.value for s in at.success)
    assert "Every set has σ² = 0 (a set of one element has x − μ = 0)" in text
    assert "just below 1" not in text and "0.000000" not in text
    at = run_app({"method": "pixelnorm"})
    text = " ".join(s.value for s in at.success)
    assert "mean square ms/(ms + eps)" in text and "mean ≈ 0" not in text


def test_eps_zero_box_names_torch_behaviour_per_layer():
    at = run_app({"source": "random", "shape": "1x2x1x1", "method": "batchnorm", "eps": "0"})
    warnings = " ".join(w.value for w in at.warning)
    assert "refuses eps = 0 in training" in warnings and "exactly as in PyTorch" not in warnings


# --------------------------------------------- γ/β and eps help per method
@pytest.mark.slow
def test_method2_counts_gamma_beta_per_activation_and_eps_help_follows_the_method():
    at = run_app({"method": "method2"})
    metric = at.metric[2]
    assert metric.label == "γ/β parameters (2·C·H·W)" and metric.value == f"{2 * 3 * 32 * 32:,}"
    assert "PyTorch 1e-5, Keras 1e-3" in at.number_input(key="eps").help
    at.segmented_control(key="method").set_value("rmsnorm").run()
    help_text = at.number_input(key="eps").help
    assert "mean square" in help_text and "Keras 1e-6" in help_text
    at.segmented_control(key="method").set_value("method1").run()
    assert at.metric[2].value == "—"


# ------------------------------------------------ the selected element's arithmetic
def test_selected_element_shows_its_computation_with_the_real_numbers():
    at = run_app({"source": "random", "shape": "4x6x10x12", "seed": "3", "pick": "1,2,3,4"})
    x = normlib.random_tensor((4, 6, 10, 12), seed=3, channel_offset=2.0, channel_scale=1.0)
    channel = x[:, 2].astype(np.float64)  # BatchNorm: the set of c = 2
    mu, var = channel.mean(), channel.var()
    y = (x[1, 2, 3, 4] - mu) / np.sqrt(var + 1e-5)
    block = next(m.value for m in at.latex if "aligned" in m.value)
    for number in (x[1, 2, 3, 4], mu, var, y):
        assert f"{number:.6g}"[:6] in block, (number, block)
    assert "m &= 480" in block


# ------------------------------------------------------------ the first screen
def test_first_screen_has_a_title_and_the_question():
    at = run_app()
    assert at.title[0].value == "Normalization Explorer"
    assert "How does batch normalization work" in at.expander[0].label
    intro = " ".join(m.value for m in at.expander[0].markdown)
    assert "Data Science Stack Exchange, asked April 5, 2021" in intro
    for words in ("Method 1", "Method 2", "Method 3", "which of these methods is used"):
        assert words in intro
    assert "click **Method 3**, then **BatchNorm**" in intro


# ------------------------------------------------------ nothing changes silently
# Links written before the Explorer's controls were bound to the URL (keys for choices, a
# set of axes as one word, 1/0 toggles) and today's. Each opens the view it opened then
# (checked against the page before its table, 547522d): the session's values by name.
@pytest.mark.parametrize(
    ("query", "state"),
    [
        (
            {"source": "random", "axes": "NHW"},
            {"source": "random", "method": "batchnorm", "axes": ["N", "H", "W"]},
        ),
        # The preset fills in the axes and its centring (a link's own center=0 is kept and
        # named: tests/test_links_today_and_older.py).
        (
            {"method": "layernorm", "tab": "cube"},
            {
                "method": "layernorm",
                "axes": ["C", "H", "W"],
                "center": True,
                "tab": "GN-paper cube",
            },
        ),
        ({"pick": "0,1,2,3"}, {"ex:n": 0, "ex:c": 1, "ex:h": 2, "ex:w": 3}),
        (
            {"method": "groupnorm", "source": "features"},
            {"method": "groupnorm", "axes": ["C", "H", "W"], "groups": 2},
        ),
        (
            {
                "axes": ["C"],
                "groups": "2",
                "center": "false",
                "log": "1",
                "eps": "0.01",
                "source": "features",
            },
            {"method": None, "axes": ["C"], "groups": 2, "center": False, "log": True, "eps": 0.01},
        ),
        ({"present": "1", "show": "Before and after"}, {"present": True, "show": "hist"}),
    ],
)
def test_an_older_explorer_link_still_opens_its_view(query, state):
    at = run_app(query)
    assert not at.warning, [w.value for w in at.warning]
    for name, value in state.items():
        assert at.session_state[name] == value, name


def test_the_server_rewrites_an_older_explorer_link_in_todays_form():
    from normapp.explorer import controls
    from normapp.links import old_forms, sitemap

    table = sitemap.PAGE_TABLES["explorer"]
    assert table is controls.TABLE
    assert old_forms.current_form("source=random&axes=NHW", table) == (
        "source=Random+tensor&axes=N&axes=H&axes=W"
    )
    assert old_forms.current_form("method=layernorm&tab=cube&center=0", table) == (
        "method=LayerNorm&tab=GN-paper+cube&center=false"
    )
    assert old_forms.current_form("log=1&present=0&show=hist&axes=", table) == (
        "log=true&present=false&show=Before+and+after&axes="  # axes= (none) stays
    )
    assert old_forms.current_form("pick=0,1,2,3&axes=C&axes=H&method=LayerNorm", table) is None
    assert sitemap.page_redirect("/", "axes=NHW") is None  # the page exists: only the form moves
    assert sitemap.PAGE_PARAMS["explorer"] == table.names
    assert sitemap.multi_valued("explorer") == {"axes"}


def test_out_of_range_pick_in_a_link_is_clipped_with_a_message():
    at = run_app({"pick": "99,99,99,99"})
    warnings = " ".join(w.value for w in at.warning)
    # The one wording of a link's pick that does not fit, Compare's too (params).
    assert "Link parameter pick=99\\,99\\,99\\,99 is outside the input's shape" in warnings
    for what, size in (("n", 8), ("c", 3), ("h", 32), ("w", 32)):
        assert f"{what} = 99 is outside 0 to {size - 1}" in warnings
    assert "using pick=7,2,31,31" in warnings
    assert at.query_params["pick"] == "7,2,31,31"


def test_method_and_axes_that_disagree_in_a_link_say_which_wins():
    at = run_app({"method": "batchnorm", "axes": "C"})
    warnings = " ".join(w.value for w in at.warning)
    assert "method=batchnorm is BatchNorm, which reduces NHW" in warnings
    assert "axes=C" in warnings and "Keeping the axes" in warnings
    assert at.segmented_control(key="method").value == "positionnorm"


@pytest.mark.slow
def test_typed_values_out_of_range_are_refused_with_a_message_and_the_boxes_reset():
    at = run_app()
    at.number_input(key="eps").set_value(5.0).run()
    # The typed value is echoed literally (Markdown-escaped), the kept one is the last good one.
    eps_refused = "eps = 5\\.0 cannot be used: eps must be a number from 0 to 1"
    assert any(eps_refused in w.value for w in at.warning)
    assert any("; keeping eps = 1e-05." in w.value for w in at.warning)
    assert at.number_input(key="eps").value == pytest.approx(1e-5)
    at.number_input(key="ex:h").set_value(3).run()
    at.number_input(key="ex:h").set_value(-1).run()
    assert any("h = \\-1 is outside 0 to 31" in w.value for w in at.warning)
    assert any("Using pick=0,0,3,0" in w.value for w in at.warning)
    assert at.number_input(key="ex:h").value == 3 and at.query_params["pick"] == "0,0,3,0"
    at.number_input(key="gamma").set_value(-11.0).run()
    assert at.number_input(key="gamma").value == 1.0
    assert any(
        "γ = -11.0 cannot be used: gamma must be a number from -10 to 10" in shown(w.value)
        for w in at.warning
    )
    assert any("; keeping γ = 1." in w.value for w in at.warning)
