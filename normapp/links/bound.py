"""Links: what Streamlit's URL binding leaves to the app.

Every plain widget is bound to the URL parameter named by its key
(``bind="query-params"``): Streamlit seeds it from a link, writes it back,
and leaves defaults out. Three things it does not do, done here:

- **Say so when a link's value is dropped.** Streamlit ignores a value its
  widget cannot take, silently. :func:`check_bound` compares the link's raw
  text with what each widget now holds and names the parameter, what was
  wrong and the value kept.
- **Keep older links working.** Choice widgets write their label into the
  URL (``source=Random+tensor``), multi-selects one key per choice
  (``axes=N&axes=H&axes=W``), toggles true/false. The server redirects an
  older link to today's form (normapp/links/old_forms.py); inside a session,
  :func:`translate_bound` reads the older forms (``source=random``,
  ``axes=NHW``, ``tab=stats``) and sets the widget on the next run
  (:func:`fix_next_run`), because on the run a link opens Streamlit gives a
  bound widget the URL's value over anything the script assigned.
- **The parameters no plain widget holds** (``pick=0,1,2,3``, ``methods``,
  ``momentum``, the quiz number): read with :func:`followed` / :func:`follow_into`,
  written with :func:`write`. A bound widget whose range is the loaded input's (a sample's
  index, a batch size at most N) is fitted to the input by normapp/links/input_range.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from normapp.links import params as state
from normapp.links.literal import literal
from normapp.links.table import Control, Table

MESSAGES_KEY = "url_messages"
_WRITTEN_KEY = "links:written"
_FIXES_KEY = "links:fixes"
ANNOUNCED_KEY = "page:missing:announced"  # normapp/ui.py's navigation sets it


def raw_query() -> dict[str, list[str]]:
    """The URL's parameters, every value of a repeated key kept."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def translate_bound(bounds: Iterable[Control]) -> dict[str, list[str]]:
    """Before the widgets are drawn: queue an older link form's value for the next run.

    Returns the raw query without the names read in an older form (nothing to
    report about those), for :func:`check_bound` after the widgets are drawn.
    """
    raw = raw_query()
    for bound in bounds:
        for old_name in bound.old_names:  # an older link's name: read as today's
            if old_name in raw and bound.name not in raw:
                raw[bound.name] = raw.pop(old_name)
                _remove(old_name)
                if not bound.is_current_form(raw[bound.name]):
                    continue  # read below, as an older form
                try:
                    parsed = bound.param.parse(bound.link_text(raw[bound.name]))
                except ValueError:
                    continue  # check_bound says what was wrong
                del raw[bound.name]
                if parsed != bound.param.default:
                    fix_next_run(bound.name, bound.widget_value(parsed))
        values = raw.get(bound.name)
        if not values or bound.is_current_form(values):
            continue
        try:
            parsed = bound.param.parse(bound.link_text(values))
        except ValueError:
            continue  # check_bound says what was wrong
        del raw[bound.name]
        if parsed != bound.param.default:  # else the widget shows it already
            # Streamlit drops the older form from the URL and draws the default; set on the
            # next run, the value is a change the browser writes back in the current form.
            fix_next_run(bound.name, bound.widget_value(parsed))
    return raw


def check_bound(
    raw: Mapping[str, list[str]], bounds: Iterable[Control], used: Mapping[str, Any]
) -> None:
    """After the widgets are drawn: queue a message for each link value that was not used.

    `used` holds each parameter's value as the page uses it (parsed, not as text).
    """
    add_messages(unused_values(raw, bounds, used))


def unused_values(
    raw: Mapping[str, list[str]], bounds: Iterable[Control], used: Mapping[str, Any]
) -> list[str]:
    r"""One message per link value that differs from the value used, `used[name]`.

    Messages are Markdown-escaped (``\,``): the value comes from the link.

    >>> n = Control(state.Param("n", 8, state.parse_int_in(1, 64, "n")))
    >>> unused_values({"n": ["999"]}, [n], {"n": 8})
    ['Link parameter n=999 was ignored: n must be from 1 to 64\\, got 999. Using n=8.']
    >>> unused_values({"n": ["4"]}, [n], {"n": 4})
    []
    """
    messages = []
    for bound in bounds:
        values = raw.get(bound.name)
        if not values or bound.name not in used:
            continue
        kept = used[bound.name]
        try:
            if bound.param.parse(bound.link_text(values)) == kept:
                continue
            reason = "its control cannot take that value"
        except ValueError as error:
            reason = literal(error, state.ERROR_ECHO_LIMIT)
        messages.append(
            f"Link parameter {bound.name}={literal(', '.join(values))} was ignored: {reason}. "
            f"Using {bound.name}={literal(bound.param.format(kept) or '(none)')}."
        )
    return messages


def check_table(
    raw: Mapping[str, list[str]], table: Table, used: Mapping[str, Any], hidden: set[str]
) -> None:
    """After a page's table is drawn: say what of the link was not used, then apply repairs.

    `raw` is what :func:`translate_bound` returned; `used` the values the page uses, by name;
    `hidden` the controls not drawn on this run: a value for one that its parser refuses is
    named too. A text box drawn shows a refused value itself, with why, beside it
    (normapp/links/widgets.last_good). On a run that will rerun for a link's repairs, a hidden
    text box waits: the repaired run may draw it (``norms=custom`` shows the custom axes).
    """
    drawn = [c for c in table.bound if c.name not in hidden and c.widget != "text_input"]
    check_bound(raw, drawn, used)
    waiting = has_fixes()
    hidden_rows = [
        c for c in table.bound if c.name in hidden and not (waiting and c.widget == "text_input")
    ]
    check_refused(raw, hidden_rows)
    for row in hidden_rows:  # a refused value leaves the address bar and the page's links
        if row.name in raw and row.name in st.query_params and _refuses(row, raw[row.name]):
            _remove(row.name)
    rerun_for_fixes()


def _refuses(row: Control, values: list[str]) -> bool:
    try:
        row.param.parse(row.link_text(values))
    except ValueError:
        return True
    return False


def check_refused(raw: Mapping[str, list[str]], bounds: Iterable[Control]) -> None:
    """Queue a message for each link value its parser refuses (for controls not drawn)."""
    defaults = {bound.name: bound.param.default for bound in bounds}
    refused = [b for b in bounds if b.name in raw and raw[b.name] and _refuses(b, raw[b.name])]
    add_messages(unused_values(raw, refused, defaults))


def fix_next_run(key: str, value: Any) -> None:
    """Set widget `key` to `value` on the next run, before it is drawn.

    On the run a link is opened, Streamlit gives a bound widget the URL's value
    over anything the script assigned; a value that must be repaired (a shape
    over the caps, groups that do not divide C) is set on the next run, which
    the caller starts with ``st.rerun()`` once every fix is queued.
    """
    st.session_state.setdefault(_FIXES_KEY, {})[key] = value


def has_fixes() -> bool:
    return bool(st.session_state.get(_FIXES_KEY))


def rerun_for_fixes() -> None:
    """After a page's controls are drawn: rerun if a link left values to set (fix_next_run)."""
    if has_fixes():
        rerun()


def rerun() -> None:
    """Rerun now for the queued fixes; a "no page at …" notice of this run shows again."""
    announced = st.session_state.pop(ANNOUNCED_KEY, None)
    if announced is not None:
        st.session_state["page:missing"] = announced
    st.rerun()


_FIXED_KEY = "links:fixed"  # the keys apply_fixes set on this run


def apply_fixes() -> None:
    """Assign the values queued by :func:`fix_next_run` (call before any widget is drawn)."""
    fixes = st.session_state.pop(_FIXES_KEY, {})
    for key, value in fixes.items():
        st.session_state[key] = value
    st.session_state[_FIXED_KEY] = tuple(fixes)


def show_fixes_in_address_bar() -> None:
    """After the fixed widgets are drawn: make the address bar say what they hold.

    A bound widget set back to its default has its parameter dropped from Streamlit's copy
    of the query, but the browser is told only when that copy still held it: ``?seed=-1``
    stayed in the address bar after the repair, so a link copied from it passed the
    warning on. Sending the query once more (an empty update) tells the browser.
    """
    fixed = st.session_state.pop(_FIXED_KEY, ())
    if any(key not in st.query_params for key in fixed):
        st.query_params.update()


def add_messages(messages: Iterable[str]) -> None:
    """Queue messages for show_messages; one already queued is not queued again (a link's
    check runs again on the rerun that applies its fixes: seed=-1 was reported three times)."""
    queued = st.session_state.setdefault(MESSAGES_KEY, [])
    queued.extend(m for m in dict.fromkeys(messages) if m not in queued)


def one_value_each(names: Iterable[str], multi_valued: Iterable[str] = ()) -> None:
    """The one rule for a parameter a link gives more than once (README, Pages and links).

    A multi-valued parameter (`multi_valued`: a multi-select's, one value per choice, as in
    axes=C&axes=H&axes=W) keeps them all (its own check names repeats).
    Any other keeps its last value, as Streamlit's binding reads it, says which values were
    dropped, and the address bar keeps only the one used, so a copied link says it once.
    """
    for name in names:
        values = st.query_params.get_all(name)
        if name in multi_valued or len(values) < 2:
            continue
        shown = "; ".join(literal(v, 20) for v in values[:5]) + ("; …" if len(values) > 5 else "")
        add_messages(
            [
                f"Link parameter {name} was given {len(values)} times ({shown}); a link "
                f"gives it once, so the last, {name}={literal(values[-1])}, is used."
            ]
        )
        with contextlib.suppress(StreamlitAPIException):  # a bound widget's: Streamlit's
            st.query_params[name] = values[-1]


def show_messages() -> None:
    """Show (once) every message about link parameters that were ignored."""
    for message in st.session_state.pop(MESSAGES_KEY, []):
        st.warning(message, icon=":material/link_off:")


# ------------------------------------------------------ compound parameters
def followed(param: state.Param) -> tuple[Any, str | None] | None:
    """A compound parameter's value when a link brought a new one, else None.

    New means different from what this session last wrote (so a rerun after
    the learner changed a widget does not read the old value back). Returns
    (value, None), or (default, message) for a value the parser refuses.
    """
    raw = st.query_params.get_all(param.name)
    if not raw or st.session_state.get(_WRITTEN_KEY, {}).get(param.name) == raw[-1]:
        return None
    st.session_state.setdefault(_WRITTEN_KEY, {})[param.name] = raw[-1]
    values, messages = parse_params({param.name: raw[-1]}, (param,))
    return values[param.name], (messages[0] if messages else None)


def parse_params(
    query: Mapping[str, str | list[str]], params: Iterable[state.Param]
) -> tuple[dict[str, Any], list[str]]:
    """Parse the `params` found in `query`; a bad one falls back to its default.

    Parameters
    ----------
    query : mapping
        The URL's query parameters (a value may be a list; the last one wins).
    params : iterable of Param

    Returns
    -------
    values : dict
        Every parameter's value: parsed from the query, else the default.
    messages : list of str
        One message per bad parameter: what was wrong and what is used instead.
    """
    values: dict[str, Any] = {}
    messages: list[str] = []
    for param in params:
        raw = query.get(param.name)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        if raw is None:
            values[param.name] = param.default
            continue
        try:
            values[param.name] = param.parse(str(raw))
        except ValueError as error:
            values[param.name] = param.default
            # The value and the parser's message (which may quote it) come from the
            # link: shown literally and truncated, never as Markdown.
            messages.append(
                f"Link parameter {param.name}={literal(raw)} was ignored: "
                f"{literal(error, state.ERROR_ECHO_LIMIT)}. "
                f"Using the default, {param.name}={literal(param.format(param.default))}."
            )
    return values, messages


def follow_into(
    param: state.Param,
    key: str | tuple[str, ...],
    widget_value: Callable[[Any], Any] = lambda value: value,
) -> Any:
    """Set widget `key` when a link brings a new value of `param`; return the link's value.

    A tuple of keys takes the value's parts, one widget each (pick's n, c, h, w).
    Returns None when no new value came, or when it was refused (its message is queued
    and the widget gets the default).
    """
    followed_value = followed(param)
    if followed_value is None:
        return None
    value, message = followed_value
    if isinstance(key, tuple):
        for part_key, part in zip(key, widget_value(value), strict=True):
            st.session_state[part_key] = part
    else:
        st.session_state[key] = widget_value(value)
    if message:
        add_messages([message])
        return None
    return value


def write(
    values: Mapping[str, Any],
    params: Iterable[state.Param],
    drop: Iterable[str] = (),
    keep_default: bool = False,
) -> None:
    """Write compound parameters (defaults left out) and remove the names in `drop`.

    Only parameters no widget is bound to are touched: Streamlit writes the others.
    `keep_default` writes a default too (the quiz number, which a class shares).
    """
    written = st.session_state.setdefault(_WRITTEN_KEY, {})
    for param in params:
        text = param.format(values[param.name])
        if text == param.format(param.default) and not keep_default:
            _remove(param.name)
            written[param.name] = None
            continue
        if st.query_params.get(param.name) != text:
            st.query_params[param.name] = text
        written[param.name] = text
    for name in drop:
        _remove(name)


def _remove(name: str) -> None:
    """Remove `name` from the URL unless a widget still holds it (Streamlit then removes it)."""
    if name in st.query_params:
        # Bound to a widget not drawn this run: Streamlit drops it at the run's end.
        with contextlib.suppress(StreamlitAPIException):
            del st.query_params[name]
