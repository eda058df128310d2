"""Bound controls whose range is the loaded input's: a sample's or a channel's index, a batch
size at most the input's N.

Streamlit's binding seeds such a widget from a link only when the value is inside the range the
widget is drawn with; otherwise it silently draws the default. And an input change that shrinks
the range (a new input with fewer samples) leaves the widget holding a value outside it, which
Streamlit refuses with a traceback. Here, before the widget is drawn: a link's value that does
not fit the input is named, with the input (params.misfit_message), and the default used; a
value the widget held before the input shrank is clamped into the new range.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import streamlit as st

from normapp.links import bound, params
from normapp.links.table import Control, Table


def link_values(table: Table) -> dict[str, list[str]]:
    """The link's values for `table`, an older name read as today's (as translate_bound reads it).

    Call before bound.translate_bound, which takes the older names out of the URL.
    """
    query = bound.raw_query()
    renamed = {old: new for old, new in table.renamed.items() if new not in query}
    return {renamed.get(name, name): values for name, values in query.items()}


def default_on(control: Control, high: int) -> int:
    """The control's default on an input whose range ends at `high`: the table's, or `high`."""
    return min(control.param.default, high)


def fit(
    control: Control,
    high: int,
    link: Mapping[str, list[str]],
    raw: MutableMapping[str, list[str]],
    reason: str,
    used: str,
) -> int:
    """Before `control` is drawn with the range [its lowest bound, `high`]; returns its default
    on this input (the table's, or `high` when that is smaller), for the widget's `value`.

    `link` is what :func:`link_values` read; `raw` what translate_bound returned, from which a
    value reported here is taken (check_table would name it again). `reason` says why a link's
    value does not fit ("does not fit this input (…)"), `used` what is used instead.
    """
    name, low = control.name, int(control.bounds[0] if control.bounds else 0)
    default = default_on(control, high)
    held = st.session_state.get(name)
    values = link.get(name)
    # A value the widget wrote itself is in the URL too: only another one came from a link.
    if values and (held is None or control.param.format(held) != values[-1]):
        try:
            asked = control.param.parse(control.link_text(values))
        except ValueError:
            return default  # check_table says what was wrong
        if not low <= asked <= high:
            bound.add_messages([params.misfit_message(name, asked, reason, used)])
            raw.pop(name, None)
            # On the run a link opens, the URL's value (or the one translate_bound queued for
            # an older name) would win over one assigned now: set the default on the next run.
            bound.fix_next_run(name, default)
            return default
    if held is not None and not low <= held <= high:
        st.session_state[name] = min(max(int(held), low), high)
        raw.pop(name, None)  # the value the widget wrote before the input shrank: no link's
    return default
