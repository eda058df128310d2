"""The Explorer's presenter view: for a lecturer at a 1920×1080 projector.

``?present=true`` (the "Presenter view" toggle, bound to the URL) hides the
sidebar and the controls a lecturer does not need, makes type projector-sized
(body 24 px, chart ticks 22 px from figures.PRESENTER_TEXT), shows one figure at
a time at full width, and keeps the headline in view. Keyboard shortcuts (Streamlit's
``shortcut=`` on buttons) choose presets and toggle axes; they change the same
session state as the Method row and the axis pills, so the URL follows.

Shortcuts are drawn in the presenter view only: the normal view stays as it
was, and a learner's stray key press cannot change the view under them.
Streamlit reserves C and R (clear cache, rerun), even with modifiers, so
the channel axis is K. Keys do nothing while the cursor is in a text box.
The reveal is V, not Space or Enter: those also press whichever button has
the focus (the last one clicked).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import streamlit as st

import normlib
from normapp.explorer import controls
from normapp.links import bound, widgets

CSS_FILE = Path(__file__).resolve().parents[2] / "assets" / "presenter.css"
CSS = CSS_FILE.read_text(encoding="utf-8")  # the app's own file, read once
PRESENT = controls.TABLE["present"]  # the toggle, bound to ?present=true
SHOW = controls.TABLE["show"]  # the figure shown, by its label in the URL
KEY, SHOW_KEY = PRESENT.name, SHOW.name
FIGURES = controls.FIGURES
# (preset key, shortcut) and (axis, shortcut): see the module's docstring for K and V.
PRESET_SHORTCUTS = (
    ("method1", "1"),
    ("method2", "2"),
    ("method3", "3"),
    ("batchnorm", "B"),
    ("layernorm", "L"),
    ("groupnorm", "G"),
    ("instancenorm", "I"),
)
AXIS_SHORTCUTS = (("N", "N"), ("C", "K"), ("H", "H"), ("W", "W"))
REVEAL_SHORTCUT = "V"
REVEALED_KEY = "ex:revealed"  # the spec_key the grid was revealed for
QUESTION = "Which cells share one mean?"


def toggle() -> bool:
    """The "Presenter view" toggle, bound to ``present``; a bad link value gets a message."""
    raw = bound.translate_bound([PRESENT])  # present=1 is set (as true) on the next run
    on = widgets.draw(PRESENT, persist_state=None)
    bound.check_bound(raw, [PRESENT], {KEY: on})
    return on


def style() -> None:
    """The presenter stylesheet: the app's own file, no user text in it."""
    st.html(f"<style>\n{CSS}\n</style>")


def _session() -> controls.Controls:
    """Session state as the mutable mapping explorer_controls works on."""
    return cast(controls.Controls, st.session_state)


def _choose(key: str, channels: int) -> None:
    controls.choose_preset(_session(), key, channels)


def _toggle(axis: str) -> None:
    controls.toggle_axis(_session(), axis)


def shortcut_buttons(channels: int) -> None:
    """One button per preset and per axis, each with its key (Streamlit shows it on the button)."""
    with st.container(horizontal=True, gap="small", key="present-keys"):
        for key, shortcut in PRESET_SHORTCUTS:
            st.button(
                normlib.METHODS[key].name,
                key=f"key:{key}",
                shortcut=shortcut,
                on_click=_choose,
                args=(key, channels),
            )
        for axis, shortcut in AXIS_SHORTCUTS:
            st.button(
                f"Axis {axis}",
                key=f"key:axis-{axis}",
                shortcut=shortcut,
                on_click=_toggle,
                args=(axis,),
                help=f"Reduce over {axis}, or stop reducing over it.",
            )
    st.caption(
        "Keys: 1 2 3 Method 1–3 · B BatchNorm · L LayerNorm · G GroupNorm · I InstanceNorm · "
        "N K H W add or remove an axis (K is C: Streamlit keeps C for itself) · "
        "V reveals the grid. Not while typing in a box."
    )


def figure_choice() -> tuple[str, bool]:
    """Which figure to show, and whether the grid waits for a prediction."""
    choice_col, predict_col = st.columns([4, 1.3], vertical_alignment="bottom")
    # A shared presenter link shows the figure on the screen (bound to ?show=).
    choice = widgets.draw(SHOW, choice_col, persist_state=None)
    predict = predict_col.toggle(
        "Predict, then reveal",
        value=True,
        key="ex:predict",
        help="The grid waits behind the question until you reveal it; each new method "
        "hides it again.",
    )
    return choice or "grid", predict


# While the room predicts, the headline says what is asked, not the answer.
HIDDEN_HEADLINE = "? sets × ? elements per set"
# What answers "which cells share one mean?" for the method above: the reduced axes (and G,
# and centring) and the words and formulas under the headline. Hidden, not removed, so the
# page does not jump and the keyboard shortcuts keep working on them. The grid itself is
# drawn in a box of no height: the browser lays it out and draws it while the room
# predicts, and the reveal shows it at once (drawn on the reveal, it took 1.1 s to settle
# against 0.2 s for any other key at 1920 × 1080).
GRID_BOX_KEY = "ex-grid-box"
_HIDE_ANSWER = """<style>
.st-key-ex-axes-row, .st-key-ex-answer { visibility: hidden; }
.st-key-ex-grid-box {
  visibility: hidden; height: 0 !important; min-height: 0; max-height: 0; overflow: hidden;
}
</style>"""


def prediction_pending() -> bool:
    """Whether the presenter view is asking for a prediction now (the grid is chosen, predict
    is on, and this normalization has not been revealed), read before its controls draw."""
    showing = st.session_state.get(SHOW_KEY)
    if showing is None:  # a link's first run: its figure is in the URL, by its label
        labels = {label: key for key, label in FIGURES.items()}
        showing = labels.get(str(st.query_params.get(SHOW_KEY, "")), "grid")
    return showing == "grid" and grid_waits(bool(st.session_state.get("ex:predict", True)))


def asked_name() -> str:
    """The normalization being asked about, by a name that does not answer the question:
    the chosen preset's ("Method 2", "GroupNorm"), else "This normalization"."""
    key = st.session_state.get("method")
    return normlib.METHODS[key].name if key in normlib.METHODS else "This normalization"


def hide_answer() -> None:
    """Hide what would answer the question while it is asked (the app's own stylesheet)."""
    st.html(_HIDE_ANSWER)


def grid_waits(predict: bool) -> bool:
    """Whether the grid is hidden: predicting, and not yet revealed for this normalization."""
    return predict and st.session_state.get(REVEALED_KEY) != controls.spec_key(_session())


def _reveal() -> None:
    st.session_state[REVEALED_KEY] = controls.spec_key(_session())


def reveal_prompt() -> None:
    """The question in place of the grid, and the button (key V) that shows the grid."""
    with st.container(key="present-predict", border=True):
        st.header(QUESTION, anchor=False)
        st.markdown("Predict it for the method above, then reveal the grid.")
        st.button(
            "Reveal the grid",
            key="key:reveal",
            shortcut=REVEAL_SHORTCUT,
            type="primary",
            on_click=_reveal,
            icon=":material/visibility:",
        )
