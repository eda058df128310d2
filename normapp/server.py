"""The app as an ASGI application: `make run` serves this (`streamlit run normapp/server.py`).

Streamlit runs app.py for every session. This adds the one thing that must
happen before a page's HTML is sent, where no script can act: a browser asking
for a path that names no page is redirected to the nearest page (see
normapp/sitemap.py's PagePathRedirect).
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from normapp.sitemap import PagePathRedirect

app = st.App(
    Path(__file__).resolve().parent.parent / "app.py", middleware=[Middleware(PagePathRedirect)]
)
