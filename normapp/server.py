"""The app as an ASGI application: `make run` serves this (`streamlit run normapp/server.py`).

Streamlit runs app.py for every session. This adds what must happen before a
page's HTML is sent, where no script can act: a browser asking for a path that
names no page is redirected to the nearest page (see normapp/sitemap.py's
PagePathRedirect). And it imports, once, in the server's own thread before any
session exists, every module a page will need (`preload`).
"""

import gc
import importlib
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from normapp.sitemap import PagePathRedirect

# Modules that a session would otherwise import on its first figure, in its own
# script thread. Plotly imports pandas on demand in one place and, in others, looks
# it up in sys.modules without the import lock: a module is in sys.modules before
# its body has run, so a second session's thread saw a half-imported pandas
# ("partially initialized module 'pandas' has no attribute 'Series'": 24 of 120
# views of a class arriving at once on a cold server; plotly.py#2433 is the same
# race in Dash). Imported here, before the server accepts a session, they are
# whole before anyone can look. Plotly's other on-demand imports (IPython, scipy,
# kaleido, ...) are for notebooks and image export, which the app does not use.
PLOTLY_PROBES = ("pandas", "PIL.Image")
# Plotly's figure modules and normlib are imported too: the first class on a fresh
# server then does not queue behind one session's imports. The app's own modules
# are not: their st.cache_data functions must be made once Streamlit's runtime
# exists (after this module is loaded), or they cache outside it.
FIGURE_MODULES = ("plotly.graph_objects", "plotly.io", "plotly.subplots", "normlib")


def preload() -> tuple[str, ...]:
    """Import what Plotly probes for and the figure modules; return their names."""
    names = PLOTLY_PROBES + FIGURE_MODULES
    for name in names:
        importlib.import_module(name)
    return names


preload()
# Everything imported so far lives as long as the server: moved out of the collector's
# sight, it is not walked again by every collection a session's garbage triggers.
gc.freeze()

app = st.App(
    Path(__file__).resolve().parent.parent / "app.py", middleware=[Middleware(PagePathRedirect)]
)
