"""The Explorer's presenter view and the Share control, through Streamlit's AppTest."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

import normlib
from normapp import figures
from normapp.explorer import controls, presenter
from normapp.links import share_view
from tests.conftest import open_page, shown

EXPLORER = "pages/explorer.py"


def headline(at) -> str:
    texts = [m.value for m in at.markdown if "font-size:2.4rem" in m.value]
    assert texts, "no headline on the page"
    return texts[0]


def presenter_css_drawn(at) -> bool:
    return any("presenter view" in h.proto.body for h in at.get("html"))


def axes(at) -> str:
    return "".join(sorted(at.pills(key="axes").value))


@pytest.mark.slow
def test_present_true_opens_the_presenter_view():
    at = open_page(EXPLORER, {"present": "true"})
    assert at.toggle(key="present").value is True
    assert presenter_css_drawn(at)
    # One figure at a time, chosen in a full-width selector.
    show = at.segmented_control(key="show")
    assert show.options == list(presenter.FIGURES.values())
    # Controls a lecturer does not need are not drawn; the presets and axes are.
    keys = {n.key for n in at.number_input}
    assert not keys & {"eps", "gamma", "beta", "ex:n", "ex:c", "ex:h", "ex:w"}
    assert not any("The question:" in e.label for e in at.expander)
    assert len(at.tabs) == 0
    assert at.pills(key="axes") and at.segmented_control(key="method")
    assert presenter.HIDDEN_HEADLINE in headline(at)  # the room predicts first
    at.button(key="key:reveal").click().run()
    assert "3 sets × 8,192 elements per set" in headline(at)


def test_normal_view_has_no_presenter_css_and_all_its_controls():
    at = open_page(EXPLORER)
    assert at.toggle(key="present").value is False
    assert not presenter_css_drawn(at)
    assert {"eps", "gamma", "beta"} <= {n.key for n in at.number_input}
    assert not [b for b in at.button if b.key and b.key.startswith("key:")]


@pytest.mark.parametrize("value", ["maybe", "2", "<b>x</b>"])
def test_a_bad_present_value_says_so_and_stays_in_the_normal_view(value):
    at = open_page(EXPLORER, {"present": value})
    assert at.toggle(key="present").value is False
    assert not presenter_css_drawn(at)
    messages = [shown(w.value) for w in at.warning]
    assert any(f"present={value} was ignored" in m and "present=false" in m for m in messages)
    assert "eps" in {n.key for n in at.number_input}


def test_present_1_is_read_as_true():
    at = open_page(EXPLORER, {"present": "1"})
    assert at.toggle(key="present").value is True
    assert presenter_css_drawn(at)


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "_"), presenter.PRESET_SHORTCUTS)
def test_each_preset_shortcut_sets_the_axes_of_its_preset(preset, _):
    at = open_page(EXPLORER, {"present": "true", "axes": ["W"]})
    at.button(key=f"key:{preset}").click().run()
    assert not at.exception
    expected = normlib.METHODS[preset]
    assert axes(at) == "".join(sorted(expected.axes))
    assert at.toggle(key="center").value is expected.center
    assert at.segmented_control(key="method").value == preset


@pytest.mark.slow
def test_axis_shortcuts_toggle_their_axis():
    at = open_page(EXPLORER, {"present": "true"})  # BatchNorm: N, H, W
    for axis, after in (("N", "HW"), ("C", "CHW"), ("H", "CW"), ("W", "C"), ("N", "CN")):
        at.button(key=f"key:axis-{axis}").click().run()
        assert not at.exception
        assert axes(at) == after, axis
    # The Method row follows the axes as the pills' own callback makes it.
    at.button(key="key:axis-N").click().run()  # C alone: no preset with centering
    at.button(key="key:axis-H").click().run()
    at.button(key="key:axis-W").click().run()  # C, H, W: LayerNorm
    assert at.segmented_control(key="method").value == "layernorm"
    assert presenter.HIDDEN_HEADLINE in headline(at)  # a new normalization: predict again
    at.button(key="key:reveal").click().run()
    assert "8 sets × 3,072 elements per set" in headline(at)


def test_shortcut_keys_are_ones_streamlit_accepts_and_c_r_are_not_used():
    from streamlit.elements.lib.shortcut_utils import normalize_shortcut

    keys = [k for _, k in presenter.PRESET_SHORTCUTS + presenter.AXIS_SHORTCUTS]
    keys.append(presenter.REVEAL_SHORTCUT)
    assert len(set(keys)) == len(keys)
    for key in keys:
        normalize_shortcut(key)
    assert not {"C", "R"} & {k.upper() for k in keys}


@pytest.mark.slow
def grid_hidden(at) -> bool:
    """The grid's box has no height and is invisible (drawn, so the reveal only shows it)."""
    return any(f".st-key-{presenter.GRID_BOX_KEY}" in h.proto.body for h in at.get("html"))


def test_predict_then_reveal_shows_the_grid_and_a_new_method_hides_it():
    at = open_page(EXPLORER, {"present": "true"})
    assert [c for c in at.get("plotly_chart") if c.key == "ex:grid"]  # drawn ...
    assert grid_hidden(at)  # ... and hidden
    assert any(presenter.QUESTION in h.value for h in at.header)
    at.button(key="key:reveal").click().run()
    assert [c for c in at.get("plotly_chart") if c.key == "ex:grid"] and not grid_hidden(at)
    assert not any(presenter.QUESTION in h.value for h in at.header)
    at.button(key="key:layernorm").click().run()  # a new prediction
    assert grid_hidden(at)
    at.toggle(key="ex:predict").set_value(False).run()  # no prediction: shown at once
    assert [c for c in at.get("plotly_chart") if c.key == "ex:grid"] and not grid_hidden(at)


def answer_hidden(at) -> bool:
    return any(".st-key-ex-axes-row" in h.proto.body for h in at.get("html"))


@pytest.mark.slow
def test_while_the_room_predicts_nothing_on_screen_answers_the_question():
    """Issue 24.4: behind "Which cells share one mean?" the headline ("per-activation
    BatchNorm (Method 2) · 3,072 sets × 8 elements per set") and the highlighted axes stayed."""
    at = open_page(EXPLORER, {"present": "true", "method": "Method 2"})
    names = [m.value.split("\n")[0] for m in at.markdown if m.value.startswith("### ")]
    assert names == ["### Method 2"] and "per-activation" not in " ".join(names)
    assert presenter.HIDDEN_HEADLINE in headline(at) and "3,072" not in headline(at)
    assert answer_hidden(at)  # the axes, G, centring and the formulas are hidden
    at.button(key="key:reveal").click().run()
    assert "3,072 sets × 8 elements per set" in headline(at)
    assert not answer_hidden(at)
    assert any("per-activation" in m.value for m in at.markdown if m.value.startswith("### "))
    at.segmented_control(key="show").set_value("hist").run()  # no question on the histogram
    assert not answer_hidden(at) and "3,072" in headline(at)


@pytest.mark.slow
def test_each_figure_choice_draws_one_chart_with_presenter_text():
    at = open_page(EXPLORER, {"present": "true"})
    at.toggle(key="ex:predict").set_value(False).run()
    for choice in presenter.FIGURES:
        at.segmented_control(key="show").set_value(choice).run()
        assert not at.exception
        charts = at.get("plotly_chart")
        assert len(charts) == 1, choice
        layout = json.loads(charts[0].proto.spec)["layout"]
        assert layout["font"]["size"] == figures.PRESENTER_TEXT.font >= 18, choice
        assert layout["height"] == figures.PRESENTER_HEIGHT


@pytest.mark.slow
def test_leaving_the_presenter_view_keeps_eps_gamma_beta_and_the_element():
    at = open_page(EXPLORER, {"eps": "0.001", "gamma": "2", "pick": "1,2,3,4"})
    at.toggle(key="present").set_value(True).run()
    assert "eps" not in {n.key for n in at.number_input}
    at.toggle(key="present").set_value(False).run()
    assert not at.exception
    assert at.number_input(key="eps").value == pytest.approx(0.001)
    assert at.number_input(key="gamma").value == 2.0
    assert [at.number_input(key=k).value for k in controls.PICK_KEYS] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("page", "query"),
    [
        (EXPLORER, {"present": "true", "axes": ["C", "H"]}),
        (EXPLORER, {"source": "Random tensor", "shape": "4x6x10x12"}),
        ("pages/compare.py", {"methods": ["BatchNorm", "LayerNorm"]}),
        ("pages/quiz.py", {"quiz": "42"}),
    ],
)
def test_share_shows_the_link_with_the_current_query_string(page, query):
    at = open_page(page, query)
    popovers = [p for p in at.get("popover") if p.proto.popover.label == "Share this view"]
    # Closed, the popover is an empty button: its link and QR code are made on opening.
    assert len(popovers) == 1 and not popovers[0].children
    assert not [c.value for c in at.code if "?" in c.value]
    at.session_state[share_view.OPEN_KEY] = True  # what the browser sends on a click
    at.run()
    popovers = [p for p in at.get("popover") if p.proto.popover.label == "Share this view"]
    assert len(popovers) == 1
    links = [c.value for c in at.code if "?" in c.value]
    assert links, [c.value for c in at.code]
    link = urlsplit(links[0])
    path = page.removeprefix("pages/").removesuffix(".py")
    assert link.path == ("/" if path == "explorer" else f"/{path}")
    pairs = parse_qsl(link.query)
    current = [
        (key, str(each))
        for key, value in at.query_params.items()
        for each in (value if isinstance(value, list) else [value])
    ]
    assert sorted(pairs) == sorted(current)
    for key, value in query.items():
        for each in [value] if isinstance(value, str) else value:
            assert (key, each) in pairs
    # The QR code is an image in the same popover, PNG bytes from normapp/links/share.py.
    assert [child.type for child in popovers[0].children.values()].count("image") == 1


def test_the_figure_shown_is_in_the_link():
    """Issue 24.5: a shared presenter link did not reproduce the figure on screen."""
    at = open_page(EXPLORER, {"present": "true", "show": "Before and after"})
    assert at.segmented_control(key="show").value == "hist"
    assert not answer_hidden(at) and "3 sets × 8,192" in headline(at)  # nothing is asked
    assert not [c for c in at.get("plotly_chart") if c.key == "ex:grid"]
