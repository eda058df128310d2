"""Draw a page's table row (normapp/links/table.py) as its Streamlit widget, bound to the URL.

The widget's key is the URL parameter's name and its default the parameter's, so Streamlit
seeds it from a link, writes it back and leaves the default out; the page reads the value
from ``st.session_state[name]`` or from what :func:`draw` returns.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from normapp.links.table import Control


def draw(control: Control, where: Any = st, **overrides: Any) -> Any:
    """Draw `control` in `where` (st, st.sidebar or a column); return its value.

    `overrides` are passed to the widget as they are: a label that says more on this view
    (``label="Learning rate at batch 32"``), a help text computed from the input, a
    ``format_func`` that shows more than the URL writes.
    """
    name, default = control.name, control.param.default
    if control.widget == "tabs":
        return _draw_tabs(control, where, **overrides)
    kwargs: dict[str, Any] = {
        "label": control.label,
        "key": name,
        "bind": "query-params",
        # A control hidden on this run (G while GroupNorm is not chosen) keeps its value.
        "persist_state": "page",
        "help": control.help,
    }
    if control.options:
        kwargs["options"] = list(control.options)
        kwargs["format_func"] = control.option_label
    kind = control.widget
    if kind in ("pills", "segmented_control"):
        kwargs["selection_mode"] = "multi" if control.multi else "single"
        kwargs["default"] = control.widget_value(default)
    elif kind == "multiselect":
        kwargs["default"] = control.widget_value(default)
    elif kind in ("selectbox", "radio"):
        kwargs["index"] = list(control.options).index(default)
    elif kind in ("number_input", "slider"):
        if control.bounds is not None:
            kwargs["min_value"], kwargs["max_value"] = control.bounds
        kwargs["value"] = default
        if control.step is not None:
            kwargs["step"] = control.step
        elif kind == "number_input" and isinstance(default, int):
            kwargs["step"] = 1
    elif kind == "text_input":  # the box holds the text a link writes (a shape: 8x6x16x16)
        kwargs["value"] = control.param.format(default)
    elif kind in ("select_slider", "toggle"):
        kwargs["value"] = default
    else:
        raise ValueError(f"{name} has no widget: it is read with normapp.links.bound.follow_into")
    kwargs.update(overrides)
    return getattr(where, kind)(**kwargs)


def _draw_tabs(control: Control, where: Any, **overrides: Any) -> Any:
    """Tabs have no label, help or persistence: the tabs' labels are the options'. Their
    value is the open tab's label, which the row's parameter parses to."""
    kwargs: dict[str, Any] = {
        "tabs": [control.option_label(option) for option in control.options],
        "default": control.param.default,
        "key": control.name,
        "bind": "query-params",
    }
    kwargs.update(overrides)
    return where.tabs(**kwargs)


def last_good(control: Control, typed: Any = None) -> tuple[Any, str | None]:
    """The value to use from what was typed: parsed, else the last good one, and why not.

    The one "keep the last good value" of the app: a typed value the parser refuses leaves
    the page computing with the last one it accepted (the default at first), and the
    refusal's reason is returned for the page to show beside the box. Without `typed`,
    the last good value.
    """
    key = f"last-good:{control.name}"
    kept = st.session_state.setdefault(key, control.param.default)
    if typed is None:
        return kept, None
    try:
        value = control.param.parse(str(typed))
    except ValueError as error:
        return kept, str(error)
    st.session_state[key] = value
    return value, None
