"""The Explorer's link: what an opened link implies, repairs and says.

The Explorer's plain controls are bound to the URL (their keys are the
parameters' names). This module adds what the binding leaves to the app
(normapp/links/bound.py lists it) with the Explorer's rules from
normapp/explorer/controls.py: a preset named in a link fills in its axes,
groups that do not divide C become the nearest divisor, and a link whose
parameters disagree is repaired with a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import streamlit as st

from normapp.explorer import controls as explorer_controls
from normapp.links import bound as links
from normapp.links import widgets
from normapp.links.literal import literal
from normapp.links.table import Control
from normlib.typing import Element, Shape4

TABLE = explorer_controls.TABLE
NORM_CONTROLS = explorer_controls.NORM_CONTROLS
PICK = TABLE["pick"].param
# The rows open_link reads; the presenter toggle reads its own first (it decides the view).
LINKED = tuple(control for control in TABLE.bound if control.name != "present")


@dataclass
class OpenedLink:
    """The raw query of a just-opened link (empty on other runs) and its good values."""

    raw: dict[str, list[str]] = field(default_factory=dict)
    from_url: dict[str, Any] = field(default_factory=dict)
    repaired: set[str] = field(default_factory=set)
    used: dict[str, Any] = field(default_factory=dict)


def open_link(shape: Shape4) -> OpenedLink:
    """Before the controls are drawn: follow a just-opened link, and repair the controls.

    A link counts as opened on the first run of the Explorer's controls (they
    are new: a first visit, or a page link from another page, after which
    Streamlit has forgotten the Explorer's widgets).
    """
    linked_pick = links.follow_into(PICK, explorer_controls.PICK_KEYS) is not None
    defaults = {name: TABLE[name].param.default for name in NORM_CONTROLS}
    # Session state is a mutable mapping of keys to values, which is all repair uses.
    session = cast(explorer_controls.Controls, st.session_state)
    if all(key in st.session_state for key in (*NORM_CONTROLS, *explorer_controls.PICK_KEYS)):
        # A rerun: repair what the learner changed, in place.
        links.add_messages(keep_good_numbers() + explorer_controls.repair(session, {}, shape))
        return OpenedLink()
    raw = links.raw_query()  # its values are read below, older forms too
    links.translate_bound(LINKED)
    from_url = _link_values(raw)
    assign, messages = explorer_controls.link_assignments(from_url, shape[1])
    controls = {
        **defaults,
        **{key: st.session_state[key] for key in NORM_CONTROLS if key in st.session_state},
        **{key: TABLE[key].widget_value(value) for key, value in from_url.items()},
        **assign,
        **{key: st.session_state.get(key, 0) for key in explorer_controls.PICK_KEYS},
    }
    controls["axes"] = list(controls["axes"])
    messages += explorer_controls.repair(controls, from_url, shape, linked_pick)
    links.add_messages(messages)
    for key in NORM_CONTROLS:
        st.session_state[key] = controls[key]
        # A value the widget can take from the URL wins on this run: repair it on the next
        # (a value the parser refused, too: the widget may take eps=5).
        refused = key in raw and key not in from_url
        changed = key in from_url and TABLE[key].widget_value(from_url[key]) != controls[key]
        if refused or changed:
            links.fix_next_run(key, controls[key])
    for key in explorer_controls.PICK_KEYS:
        st.session_state[key] = controls[key]
    keep_good_numbers()  # the link's numbers, or the defaults, are the last good ones
    # What check_controls compares the link with: its own values where they were good
    # (a repaired one has its message already), else the value used.
    used = {key: from_url.get(key, _held_form(TABLE[key], controls[key])) for key in NORM_CONTROLS}
    return OpenedLink(raw, from_url, set(assign), used)


def keep_good_numbers() -> list[str]:
    """eps, γ and β as typed: a value their parser refuses is put back to the last good one,
    and named (widgets.last_good, the app's one such rule)."""
    messages = []
    for name in explorer_controls.TYPED_NUMBERS:
        control = TABLE[name]
        typed = st.session_state.get(name, control.param.default)
        kept, refusal = widgets.last_good(control, typed)
        if refusal:
            st.session_state[name] = kept
            messages.append(
                f"{control.label} = {literal(typed)} cannot be used: {literal(refusal)}; "
                f"keeping {control.label} = {kept:g}."
            )
    return messages


def _link_values(raw: Mapping[str, list[str]]) -> dict:
    """The link's normalization values its parsers accept (check_controls reports the others)."""
    values = {}
    for name in NORM_CONTROLS:
        control = TABLE[name]
        if name in raw:
            try:
                values[name] = control.param.parse(control.link_text(raw[name]))
            except ValueError:
                continue
    return values


def _held_form(control: Control, value: Any) -> Any:
    """A control's value in its parameter's form (the axes pills hold letters)."""
    return control.param.parse(control.link_text(value)) if control.multi else value


def check_controls(link: OpenedLink) -> None:
    """After the controls are drawn: report link values they dropped; rerun for repairs."""
    if link.raw:
        checked = [c for c in LINKED if c.name in NORM_CONTROLS and c.name not in link.repaired]
        links.check_bound(link.raw, checked, link.used)
        # The log toggle, the tabs and the figure shown come later on the page, after any
        # rerun below.
        links.check_refused(link.raw, [c for c in LINKED if c.name not in NORM_CONTROLS])
    links.rerun_for_fixes()


def finish(element: Element) -> None:
    """At the page's end: write the selected element into the URL."""
    links.write({"pick": element}, [PICK])
