"""The sidebar's input: the widgets that choose the tensor every page normalizes, and its loading.

normapp/ui.py's draw_sidebar calls :func:`sidebar_input` once per run of app.py. Every widget
is bound to the URL parameter of its key (``bind="query-params"``); normapp/links/bound.py
reports what a link got wrong. A value typed into the shape or seed box that does not parse
is refused with a message and the last good one kept; one from a link is repaired on the
next run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import normlib
from normapp import cached, inputs
from normapp.inputs import LoadedInput
from normapp.links import bound, params
from normapp.links.literal import literal
from normlib.typing import Shape4

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]
_SEED_PARAM = next(p for p in params.INPUT_PARAMS if p.name == "seed")
# The random tensor's spreads: (URL name, label, largest value, step, help); the
# ranges are those of the matching parameters in normapp/links/params.py.
_SPREAD_SLIDERS = (
    (
        "coff",
        "Per-channel offset spread",
        10.0,
        0.5,
        "Shifts each channel's mean differently, so BatchNorm has something to undo.",
    ),
    (
        "cscale",
        "Per-channel scale spread",
        3.0,
        0.25,
        "Gives each channel a different spread: BatchNorm and InstanceNorm equalize it.",
    ),
    (
        "soff",
        "Per-sample offset spread",
        10.0,
        0.5,
        "Shifts each sample differently: LayerNorm and InstanceNorm remove it, BatchNorm does not.",
    ),
    (
        "sscale",
        "Per-sample scale spread",
        3.0,
        0.25,
        "Gives each sample a different contrast: per-sample methods undo it.",
    ),
)
# Every sidebar widget is bound to the URL parameter of its key; the random
# tensor's keep their values in the session while another source is shown.
SIDEBAR_BOUNDS = {
    p.name: bound.Bound(p, labels=params.SOURCES if p.name == "source" else None)
    for p in params.INPUT_PARAMS
}
_SOURCE_PARAMS = {
    "samples": ("source", "n", "size"),
    "features": ("source", "n", "size"),
    "uploads": ("source", "size"),
    "random": ("source", "shape", "seed", "dist", "coff", "cscale", "soff", "sscale"),
}
_DEFAULTS = {p.name: p.default for p in params.INPUT_PARAMS}


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
    raw = bound.translate_bound(SIDEBAR_BOUNDS.values())
    sb = st.sidebar
    sb.header("Input")
    source = sb.radio(
        "Tensor to normalize",
        list(params.SOURCES),
        format_func=params.SOURCES.get,
        key="source",
        bind="query-params",
        help="Images give C = 3 (red, green, blue); feature maps give C = 8 filter responses.",
    )
    values = dict(_DEFAULTS, source=source)
    if source in ("samples", "features", "uploads"):
        if source != "uploads":
            values["n"] = sb.slider(
                "N: images in the batch",
                1,
                params.N_MAX,
                _DEFAULTS["n"],
                key="n",
                bind="query-params",
            )
        values["size"] = sb.select_slider(
            "H = W: image size (pixels)",
            [str(s) for s in params.IMAGE_SIZES],
            value=str(_DEFAULTS["size"]),
            key="size",
            bind="query-params",
            help="Images are resized (shorter side) and centre-cropped to a square.",
        )
    if source == "random":
        values.update(_random_tensor_widgets())
    drawn = _SOURCE_PARAMS[source]
    bound.show_fixes_in_address_bar()
    bound.check_bound(raw, [SIDEBAR_BOUNDS[name] for name in drawn], values)
    # The other source's parameters are not used; a bad one is still named.
    bound.check_refused(raw, [b for name, b in SIDEBAR_BOUNDS.items() if name not in drawn])
    if not bound.has_fixes():  # else the next run draws other widgets, which read the URL
        bound.write({}, (), drop=(name for name in SIDEBAR_BOUNDS if name not in drawn))
    return values


def _random_tensor_widgets() -> dict[str, Any]:
    """The random tensor's widgets (shape, distribution, seed, spreads) and their values."""
    sb = st.sidebar
    values: dict[str, Any] = {"shape": _shape_widget()}
    values["dist"] = sb.selectbox(
        "Distribution",
        params.DISTRIBUTIONS,
        key="dist",
        bind="query-params",
        persist_state="session",
    )
    values["seed"] = _seed_widget()
    for name, label, top, step, help_text in _SPREAD_SLIDERS:
        values[name] = sb.slider(
            label,
            0.0,
            top,
            float(_DEFAULTS[name]),
            step=step,
            key=name,
            bind="query-params",
            persist_state="session",
            help=help_text,
        )
    return values


def _shape_widget() -> Shape4:
    """The shape box; a typed shape over the caps is refused, a link's is repaired next run."""
    default_shape = params.format_shape(_DEFAULTS["shape"])
    st.session_state.setdefault("last-good:shape", default_shape)
    shape_text = st.sidebar.text_input(
        "Shape N×C×H×W",
        default_shape,
        key="shape",
        bind="query-params",
        persist_state="session",
        help=f"Caps: N ≤ {params.N_MAX}, C ≤ {params.C_MAX}, H, W ≤ {params.HW_MAX}, "
        f"at most 2^24 elements.",
        on_change=_refuse_typed_value,
        args=("shape", "Shape", params.parse_shape),
    )
    _show_refusal("shape")
    try:
        shape = params.parse_shape(shape_text)
    except ValueError:  # from a link: check_bound says what was wrong
        shape = params.parse_shape(st.session_state["last-good:shape"])
        bound.fix_next_run("shape", st.session_state["last-good:shape"])
    st.session_state["last-good:shape"] = params.format_shape(shape)
    return shape


def _seed_widget() -> int:
    """The seed box; a typed seed out of range is refused, a link's is repaired next run."""
    st.session_state.setdefault("last-good:seed", _DEFAULTS["seed"])
    # No min/max here: the browser would refuse an out-of-range number with only a
    # red "!" on hover; the callback refuses it with a message instead.
    typed = st.sidebar.number_input(
        "Seed",
        value=_DEFAULTS["seed"],
        step=1,
        key="seed",
        bind="query-params",
        persist_state="session",
        help=f"A whole number from 0 to {params.SEED_MAX}: the same seed gives the same tensor.",
        on_change=_refuse_typed_value,
        args=("seed", "Seed", _parse_seed),
    )
    _show_refusal("seed")
    try:
        seed = _parse_seed(typed)
    except ValueError:  # from a link: check_bound says what was wrong
        seed = st.session_state["last-good:seed"]
        bound.fix_next_run("seed", seed)
    st.session_state["last-good:seed"] = seed
    return seed


def _parse_seed(value: Any) -> int:
    return _SEED_PARAM.parse(str(value))


def _refuse_typed_value(key: str, label: str, parse) -> None:
    """on_change: put a value `parse` refuses back to the last good one, and say so.

    The message names the field, the typed value (literally) and what was kept;
    it is shown under the field on the run this callback precedes.
    """
    typed = st.session_state.get(key)
    try:
        parse(typed)
    except ValueError as error:
        kept = st.session_state[f"last-good:{key}"]
        st.session_state[key] = kept
        st.session_state[f"refused:{key}"] = (
            f"{label} “{literal(typed)}” was refused: {literal(error, 200)}. Kept {literal(kept)}."
        )


def _show_refusal(key: str) -> None:
    message = st.session_state.pop(f"refused:{key}", None)
    if message:
        st.sidebar.error(message, icon=":material/block:")


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
