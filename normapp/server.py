"""What the server does once, before any session: app.py's `app` is built from this.

Every entry passes through here: `streamlit run app.py` (what `make run`, `make serve`
and the Docker image do) finds app.py's ``app = st.App(...)`` and imports app.py as a
module, which imports this; so does ``uvicorn app:app``. A session's run of app.py
never reaches it (it runs as ``__main__``).

Three things must happen before the first session, where no script can act:

- Streamlit must be kept from looking up this machine's external address
  (room_link.keep_streamlit_offline).
- The modules Plotly probes for must be wholly imported (`preload`).
- Streamlit's older pages/-folder mode must be off (see the end of this module).

And a browser asking for a path that names no page is redirected to the nearest page
(`MIDDLEWARE`: sitemap.PagePathRedirect).
"""

import gc
import importlib

from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from normapp.links.room_link import keep_streamlit_offline
from normapp.links.sitemap import PagePathRedirect

keep_streamlit_offline()  # before the server starts: its origin checks look addresses up

# Modules that a session would otherwise import on its first figure, in its own
# script thread. Plotly imports pandas on demand in one place and, in others, looks
# it up in sys.modules without the import lock: a module is in sys.modules before
# its body has run, so a second session's thread saw a half-imported pandas
# ("partially initialized module 'pandas' has no attribute 'Series'": 53 of 120
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

# The one workaround left for the folder named pages/ beside app.py. Streamlit takes
# such a folder as its older multipage mode, until some run calls st.navigation: in
# that mode the server's first run found its page by file name (a deep link such as
# /compare ran pages/compare.py without app.py: no sidebar, no page config), and every
# widget of that run got another id than in later runs (the first learner's first
# upload vanished). app.py always calls st.navigation, so the mode has no use here:
# it is switched off before the first session, as app.py's first run would.
PagesManager.uses_pages_directory = False

MIDDLEWARE = [Middleware(PagePathRedirect)]
