"""The sidebar's input: the widgets that choose the tensor every page normalizes, and its loading.

normapp/ui.py's draw_sidebar calls :func:`sidebar_input` once per run of app.py. The widgets
are the rows of normapp/links/input_controls.TABLE, each bound to the URL parameter of its key
(``bind="query-params"``); normapp/links/bound.py reports what a link got wrong. A value
typed into the shape or seed box that does not parse is refused with a message and the last
good one kept (normapp/links/widgets.last_good); one from a link is repaired on the next run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import normlib
from normapp import cached, inputs
from normapp.inputs import LoadedInput
from normapp.links import bound, input_controls, params, widgets
from normapp.links.literal import literal
from normapp.links.table import Control

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]
TABLE = input_controls.TABLE


def sidebar_input() -> LoadedInput:
    """Draw the shared sidebar and load the chosen tensor."""
    values = _sidebar_widgets()
    bound.rerun_for_fixes()  # a link to repair: the next run loads what it asks for
    size = params.image_size(values)
    loaded: LoadedInput | None = None
    if values["source"] == "uploads":
        loaded, outcomes = _uploads(size)
        for outcome in outcomes:
            if outcome.error:
                st.sidebar.error(
                    f"{literal(outcome.name)} was skipped: {literal(outcome.error, 300)}",
                    icon=":material/warning:",
                )
        if loaded is None:
            st.sidebar.info(
                "No readable upload yet, so the sample images are shown. Upload PNG, JPEG, "
                "GIF, WebP, BMP or TIFF files above."
            )
        elif any(o.error for o in outcomes):
            st.sidebar.caption(f"The other {loaded.shape[0]} image(s) are loaded as usual.")
    if values["source"] == "random":
        loaded = cached.random_tensor(
            values["shape"],
            values["seed"],
            values["dist"],
            values["coff"],
            values["cscale"],
            values["soff"],
            values["sscale"],
        )
    if loaded is None:
        n = values["n"] if values["source"] != "uploads" else 8
        loaded = cached.samples(n, size)
    if values["source"] == "features":
        loaded = cached.features(loaded.key, loaded)
    n, c, h, w = loaded.shape
    st.sidebar.caption(f"**{loaded.title}** · shape ({n}, {c}, {h}, {w})")
    return loaded


def _sidebar_widgets() -> dict[str, Any]:
    """Draw the input widgets (bound to the URL) and return the chosen values."""
    raw = bound.translate_bound(TABLE.bound)
    st.sidebar.header("Input")
    source = _input_widget(TABLE["source"])
    drawn = input_controls.SOURCE_CONTROLS[source]
    values = dict(TABLE.defaults(), source=source)
    for name in drawn[1:]:
        values[name] = _input_widget(TABLE[name])
    bound.show_fixes_in_address_bar()
    bound.check_bound(raw, [TABLE[name] for name in drawn], values)
    # The other source's parameters are not used; a bad one is still named.
    bound.check_refused(raw, [c for c in TABLE if c.name not in drawn])
    if not bound.has_fixes():  # else the next run draws other widgets, which read the URL
        bound.write({}, (), drop=(name for name in TABLE.names if name not in drawn))
    return values


def _input_widget(control: Control) -> Any:
    """Draw one input control in the sidebar; return the value to use.

    The random tensor's keep their values for the session while another source is shown
    (the others start from their defaults). A value typed into the shape or seed box that
    does not parse is put back, with a message; one from a link is used as the last good
    value and repaired on the next run (check_bound names it).
    """
    persist = "session" if control.name in input_controls.RANDOM_TENSOR else None
    if control.widget not in ("text_input", "number_input"):
        return widgets.draw(control, st.sidebar, persist_state=persist)
    typed = widgets.draw(
        control, st.sidebar, persist_state=persist, on_change=_put_back_refused, args=(control,)
    )
    refusal = st.session_state.pop(f"refused:{control.name}", None)
    if refusal:
        st.sidebar.error(refusal, icon=":material/block:")
    value, link_refused = widgets.last_good(control, typed)
    if link_refused:  # from a link: the box shows the last good value on the next run
        bound.fix_next_run(control.name, _in_box(control, value))
    return value


def _in_box(control: Control, value: Any) -> Any:
    """A value as its box holds it: a text box the text a link writes, a number box the number."""
    return control.param.format(value) if control.widget == "text_input" else value


def _put_back_refused(control: Control) -> None:
    """on_change: put a typed value the parser refuses back to the last good one, and say so.

    The message names the field, the typed value (literally) and what was kept; it is shown
    under the field on the run this callback precedes.
    """
    typed = st.session_state.get(control.name)
    kept, refusal = widgets.last_good(control, typed)
    if refusal is None:
        return
    st.session_state[control.name] = _in_box(control, kept)
    st.session_state[f"refused:{control.name}"] = (
        f"{control.name.capitalize()} “{literal(typed)}” was refused: {literal(refusal, 200)}. "
        f"Kept {literal(control.param.format(kept))}."
    )


def _uploads(size: int) -> tuple[LoadedInput | None, list[inputs.UploadOutcome]]:
    """The uploader, plus a copy of the files that survives choosing another source.

    The uploader lives in app.py's sidebar, so page switches keep its files; but
    it is not drawn while another source is chosen, and Streamlit then forgets
    it. The ``uploads:files`` copy keeps what the user loaded. An uploader that
    is present but empty means the user removed the files, so the copy goes too.
    """
    uploader_was_drawn = "in:uploads" in st.session_state
    files = st.sidebar.file_uploader(
        "Upload images (PNG, JPEG, GIF, WebP, BMP, TIFF)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="in:uploads",
        help=f"Several at once. The first {params.N_MAX} readable files form the batch.",
    )
    if files:
        st.session_state["uploads:files"] = [(f.name, f.getvalue()) for f in files]
    elif uploader_was_drawn:
        st.session_state.pop("uploads:files", None)
    kept = st.session_state.get("uploads:files", [])
    if kept and not files:
        st.sidebar.caption(
            f"Keeping the {len(kept)} file(s) you uploaded earlier: "
            + ", ".join(literal(name) for name, _ in kept)
        )
    outcomes = [cached.upload(name, normlib.image_digest(data), size, data) for name, data in kept]
    good = [o for o in outcomes if o.image is not None]
    if len(good) > params.N_MAX:
        st.sidebar.warning(
            f"{len(good)} readable images: the batch is capped at N = {params.N_MAX}; "
            f"using the first {params.N_MAX}."
        )
        good = good[: params.N_MAX]
    return inputs.uploads_input(good, size), outcomes
