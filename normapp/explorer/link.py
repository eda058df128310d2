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
from normapp.links import old_forms, params
from normlib.typing import Element, Shape4

_CONTROL_KEYS = ("method", "axes", "groups", "eps", "center", "gamma", "beta")
_DEFAULTS = {p.name: p.default for p in params.NORM_PARAMS} | {"method": "batchnorm"}


@dataclass
class OpenedLink:
    """The raw query of a just-opened link (empty on other runs) and its good values."""

    raw: dict[str, list[str]] = field(default_factory=dict)
    from_url: dict[str, Any] = field(default_factory=dict)
    repaired: set[str] = field(default_factory=set)
    used: dict[str, Any] = field(default_factory=dict)


def bounds(tabs: Mapping[str, str]) -> tuple[links.Bound, ...]:
    """The Explorer's bound controls; `tabs` maps the older link's tab names to labels."""
    names = old_forms.METHOD_NAMES
    tab_by_name = params.parse_choice(tabs, "tab")
    by_name = {p.name: p for p in params.NORM_PARAMS}
    return (
        links.Bound(
            params.Param(
                "method", "batchnorm", params.parse_choice(names, "method"), names.__getitem__
            ),
            labels=names,
        ),
        links.Bound(by_name["axes"], multi=True),
        *(links.Bound(by_name[name]) for name in ("groups", "eps", "center", "gamma", "beta")),
        links.Bound(params.Param("log", False, params.parse_bool("log"), params.format_bool)),
        links.Bound(
            params.Param("tab", tabs["stats"], lambda text: tabs[tab_by_name(text)]),
            labels={label: label for label in tabs.values()},
        ),
    )


def open_link(bound: tuple[links.Bound, ...], shape: Shape4) -> OpenedLink:
    """Before the controls are drawn: follow a just-opened link, and repair the controls.

    A link counts as opened on the first run of the Explorer's controls (they
    are new: a first visit, or a page link from another page, after which
    Streamlit has forgotten the Explorer's widgets).
    """
    links.follow_into(params.PICK, explorer_controls.PICK_KEYS)
    if all(key in st.session_state for key in (*_CONTROL_KEYS, *explorer_controls.PICK_KEYS)):
        # A rerun: repair what the learner changed, in place.
        # Session state is a mutable mapping of keys to values, which is all repair uses.
        session = cast(explorer_controls.Controls, st.session_state)
        links.add_messages(explorer_controls.repair(session, {}, _DEFAULTS, shape))
        return OpenedLink()
    raw = links.raw_query()  # its values are read below, older forms too
    links.translate_bound(bound)
    from_url = _link_values(raw, bound)
    assign, messages = explorer_controls.link_assignments(from_url, shape[1])
    controls = {
        **_DEFAULTS,
        **{key: st.session_state[key] for key in _CONTROL_KEYS if key in st.session_state},
        **{key: _widget_value(key, value) for key, value in from_url.items()},
        **assign,
        **{key: st.session_state.get(key, 0) for key in explorer_controls.PICK_KEYS},
    }
    controls["axes"] = list(controls["axes"])
    messages += explorer_controls.repair(controls, from_url, {**_DEFAULTS, **from_url}, shape)
    links.add_messages(messages)
    for key in _CONTROL_KEYS:
        st.session_state[key] = controls[key]
        # A value the widget can take from the URL wins on this run: repair it on the next
        # (a value the parser refused, too: the widget may take eps=5).
        refused = key in raw and key not in from_url
        if refused or key in from_url and _widget_value(key, from_url[key]) != controls[key]:
            links.fix_next_run(key, controls[key])
    for key in explorer_controls.PICK_KEYS:
        st.session_state[key] = controls[key]
    # What check_controls compares the link with: its own values where they were good
    # (a repaired one has its message already), else the value used.
    used = {key: from_url.get(key, _held_form(key, controls[key])) for key in _CONTROL_KEYS}
    return OpenedLink(raw, from_url, set(assign), used)


def _link_values(raw: Mapping[str, list[str]], bound: tuple[links.Bound, ...]) -> dict:
    """The link's values its parsers accept (check_controls reports the others)."""
    values = {}
    for each in bound:
        if each.name in raw and each.name in _CONTROL_KEYS:
            try:
                values[each.name] = each.param.parse(each.link_text(raw[each.name]))
            except ValueError:
                continue
    return values


def _widget_value(key: str, value: Any) -> Any:
    return list(value) if key == "axes" else value


def _held_form(key: str, value: Any) -> Any:
    """A control's value in its parameter's form."""
    return params.parse_axes("".join(value)) if key == "axes" else value


def check_controls(link: OpenedLink, bound: tuple[links.Bound, ...]) -> None:
    """After the controls are drawn: report link values they dropped; rerun for repairs."""
    if link.raw:
        checked = [b for b in bound if b.name in _CONTROL_KEYS and b.name not in link.repaired]
        links.check_bound(link.raw, checked, link.used)
        # The log toggle and the tabs come later on the page, after any rerun below.
        links.check_refused(link.raw, [b for b in bound if b.name not in _CONTROL_KEYS])
    links.rerun_for_fixes()


def finish(element: Element) -> None:
    """At the page's end: write the selected element into the URL."""
    links.write({"pick": element}, [params.PICK])
