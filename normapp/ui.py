"""The one Streamlit module shared by the pages: the sidebar, the navigation, the page config.

app.py draws the sidebar once per run (`draw_sidebar`), before the navigation
runs the page; a page then reads the loaded tensor, first thing::

    data = ui.current_input("compare")

State lives in ``st.session_state`` and in the URL: the sidebar's widgets (drawn by
normapp/sidebar.py) are bound to their link parameters (``bind="query-params"``);
normapp/links/bound.py reports what a link got wrong and reads older link forms.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pyarrow as pa
import streamlit as st

from normapp import sidebar
from normapp.inputs import LoadedInput
from normapp.links import bound, sitemap
from normapp.links.literal import literal

# Absolute, so the pages resolve whichever script Streamlit started from.
PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
FAVICON = PAGES_DIR.parent / "assets" / "favicon.png"  # drawn by assets/make_favicon.py
# Given as a data URL, made once: given as a file, Streamlit read it, checked it with
# Pillow and stored it as a new media file on every run of every page.
FAVICON_URL = "data:image/png;base64," + base64.b64encode(FAVICON.read_bytes()).decode("ascii")


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


_LOADED_KEY = "input:loaded"


def draw_sidebar() -> None:
    """Draw the shared sidebar and load its tensor for the page; app.py calls it once per run."""
    bound.apply_fixes()
    st.session_state[_LOADED_KEY] = sidebar.sidebar_input()


def current_input(page: str) -> LoadedInput:
    """The tensor the sidebar loaded on this run; call once, first, per page.

    `page` is the calling page's URL path (sitemap.PAGES): the other pages' link
    parameters are dropped from the URL.
    """
    bound.one_value_each(
        [*sitemap.PAGE_PARAMS[page], *sidebar.TABLE.names], sitemap.multi_valued(page)
    )
    keep = {*sitemap.kept_params(page), *sidebar.TABLE.names, "embed", "embed_options"}
    bound.write({}, (), drop=[name for name in st.query_params if name not in keep])
    return st.session_state[_LOADED_KEY]
