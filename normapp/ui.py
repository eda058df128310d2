"""The one Streamlit module shared by the pages: the sidebar, the navigation, the page config.

app.py draws the sidebar once per run (`draw_sidebar`), before the navigation
runs the page; a page then reads the loaded tensor, first thing::

    data = ui.current_input("compare")

State lives in ``st.session_state`` and in the URL: the sidebar's widgets are
bound to their link parameters (``bind="query-params"``); normapp/links/bound.py
reports what a link got wrong and reads older link forms.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pyarrow as pa
import streamlit as st

import normlib
from normapp import cached, inputs
from normapp.inputs import LoadedInput
from normapp.links import bound, params, sitemap
from normapp.links.literal import literal
from normlib.typing import Shape4

# Absolute, so the pages resolve whichever script Streamlit started from.
PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
FAVICON = PAGES_DIR.parent / "assets" / "favicon.png"  # drawn by assets/make_favicon.py
# Given as a data URL, made once: given as a file, Streamlit read it, checked it with
# Pillow and stored it as a new media file on every run of every page.
FAVICON_URL = "data:image/png;base64," + base64.b64encode(FAVICON.read_bytes()).decode("ascii")
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"]
_SEED_PARAM = next(p for p in params.INPUT_PARAMS if p.name == "seed")
SEED_MAX = 2**31 - 1
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


# --------------------------------------------------------------- navigation
def page_paths() -> dict[str, str]:
    """Each page's title by its URL path ("" for the Explorer at "/")."""
    return {("" if i == 0 else stem): title for i, (stem, title, _) in enumerate(sitemap.PAGES)}


def navigation():
    """Register the pages (st.navigation) and return the one to run; app.py calls it.

    A path the server redirected (``?missing=``) is moved out of the URL into the
    session and announced on the first run that draws the page.
    """
    pages = [
        st.Page(
            PAGES_DIR / sitemap.page_script(stem),
            title=title,
            icon=icon,
            url_path=stem,
            default=i == 0,
        )
        for i, (stem, title, icon) in enumerate(sitemap.PAGES)
    ]
    page = st.navigation(pages)
    if sitemap.MISSING_PARAM in st.query_params:
        st.session_state["page:missing"] = st.query_params[sitemap.MISSING_PARAM]
        del st.query_params[sitemap.MISSING_PARAM]
    st.session_state.pop(bound.ANNOUNCED_KEY, None)
    if "page:missing" in st.session_state:
        missing = st.session_state.pop("page:missing")
        st.session_state[bound.ANNOUNCED_KEY] = missing  # links.rerun shows it again
        _page_not_found(missing, page, pages)
    return page


def _page_not_found(path: str, shown, pages: list) -> None:
    """Say that `path` is no page of the app, which page is shown, and link every page."""
    st.warning(
        f"There is no page at /{literal(path)} in this app, so {shown.title} is shown. "
        "The pages are:",
        icon=":material/link_off:",
    )
    for page in pages:
        st.page_link(page)


# -------------------------------------------------------------- the sidebar
# Every sidebar widget is bound to the URL parameter of its key; the random
# tensor's keep their values in the session while another source is shown.
_SIDEBAR_BOUNDS = {
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


def _sidebar_widgets() -> dict[str, Any]:
    """Draw the input widgets (bound to the URL) and return the chosen values."""
    raw = bound.translate_bound(_SIDEBAR_BOUNDS.values())
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
    bound.check_bound(raw, [_SIDEBAR_BOUNDS[name] for name in drawn], values)
    # The other source's parameters are not used; a bad one is still named.
    bound.check_refused(raw, [b for name, b in _SIDEBAR_BOUNDS.items() if name not in drawn])
    if not bound.has_fixes():  # else the next run draws other widgets, which read the URL
        bound.write({}, (), drop=(name for name in _SIDEBAR_BOUNDS if name not in drawn))
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
        help=f"A whole number from 0 to {SEED_MAX}: the same seed gives the same tensor.",
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


# The app's one stylesheet (app.py draws it on every run); system fonts only.
# - Page tops: clear of Streamlit's fixed header (3.75rem tall), which covered
#   the page titles on a phone; a little tighter on a 720-pixel projector.
# - Type scales with the root font size: 20 px body text on a screen at least
#   1600 px wide, readable from the back of a room (every rem-sized thing grows).
# - Captions: body text at 80 % opacity instead of Streamlit's 60 % grey, which
#   measured 3.8:1 on the light theme (WCAG AA asks 4.5:1); relative to the
#   text colour, so the dark theme passes as well.
PAGE_CSS = """
<style>
  [data-testid="stMainBlockContainer"] { padding-top: 3.75rem; padding-bottom: 2rem; }
  [data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
  @media (min-width: 1600px) { html { font-size: 20px; } }
</style>
"""


# Pages that do not read the sidebar's tensor (the Training lab makes its own task, the quiz
# draws its shapes from the quiz number): their sidebar shows only the navigation. The input
# widgets are still drawn, hidden, so their values, uploads and the URL's are kept.
PAGES_WITHOUT_INPUT = frozenset({"lab", "quiz"})
HIDE_SIDEBAR_INPUT_CSS = """
<style>
  [data-testid="stSidebarUserContent"] { display: none; }
</style>
"""


def hide_sidebar_input() -> None:
    """Hide the sidebar's input widgets on this run's page (app.py, for PAGES_WITHOUT_INPUT)."""
    st.html(HIDE_SIDEBAR_INPUT_CSS)


def table(rows: dict[str, Any]) -> pa.Table | dict[str, Any]:
    """`rows` (column name → values) as an Arrow table for ``st.dataframe``.

    Given a dict, st.dataframe builds a pandas DataFrame and converts it to Arrow on
    every rerun (10 % of the server's time in a profile of a warm class); an Arrow
    table it sends as it is. A column Arrow cannot type (mixed kinds) stays a dict,
    which Streamlit converts as before.
    """
    try:
        return pa.table(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return rows


def configure_page() -> None:
    """The page config and the app-wide stylesheet: first thing in every run of app.py."""
    st.set_page_config(
        page_title="Normalization Explorer",
        # A file shipped with the app: a ":material/…:" icon is fetched from a font host.
        page_icon=FAVICON_URL,
        layout="wide",
        # "auto": beside the page on a wide screen, closed on a phone (it covered 77% of it).
        initial_sidebar_state="auto",
    )
    st.html(PAGE_CSS)


# On a phone Streamlit leaves the sidebar open after a page is chosen in it, covering 300 of
# 390 px until the learner finds «. This listener (once per browser tab) presses « for them
# after a navigation click when the window is narrower than Streamlit's mobile breakpoint.
_CLOSE_SIDEBAR_ON_PHONE = """<script>
if (!window.normxCloseSidebarOnPhone) {
  window.normxCloseSidebarOnPhone = true;
  document.addEventListener("click", (event) => {
    if (window.innerWidth >= 768 || !event.target.closest('[data-testid="stSidebarNavLink"]')) {
      return;
    }
    // Streamlit draws « only while the pointer is over the sidebar: hover it, then press
    // it once it is there (tried for up to 2 s: a busy phone may take a while to draw it).
    let tries = 0;
    const press = () => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (!sidebar || sidebar.getAttribute("data-collapsed") === "true") { return; }
      sidebar.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) { close.click(); } else if (++tries < 40) { setTimeout(press, 50); }
    };
    setTimeout(press, 50);
  }, true);
}
</script>"""


def close_sidebar_on_phone_navigation(page: str) -> None:
    """Install the listener above (the app's own script, no user text) on a session's first
    run and whenever the page changed: the script guards itself against a second install."""
    if st.session_state.get("ui:phone-nav") != page:
        st.session_state["ui:phone-nav"] = page
        st.html(_CLOSE_SIDEBAR_ON_PHONE, unsafe_allow_javascript=True)


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


_LOADED_KEY = "input:loaded"


def draw_sidebar() -> None:
    """Draw the shared sidebar and load its tensor for the page; app.py calls it once per run."""
    bound.apply_fixes()
    st.session_state[_LOADED_KEY] = sidebar_input()


def current_input(page: str) -> LoadedInput:
    """The tensor the sidebar loaded on this run; call once, first, per page.

    `page` is the calling page's URL path (sitemap.PAGES): the other pages' link
    parameters are dropped from the URL.
    """
    bound.one_value_each([*sitemap.PAGE_PARAMS[page], *_SIDEBAR_BOUNDS])
    keep = {*sitemap.PAGE_PARAMS[page], *_SIDEBAR_BOUNDS, "embed", "embed_options"}
    bound.write({}, (), drop=[name for name in st.query_params if name not in keep])
    return st.session_state[_LOADED_KEY]
