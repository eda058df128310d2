"""Normalization Explorer: the entry point. `streamlit run app.py` serves it (so does `make run`).

This file is read twice over. The server imports it once as a module, before any
session, and serves its ``app`` (`streamlit run` finds that ``st.App``, as does
``uvicorn app:app``): normapp/server.py says what that import does first. Then every
session runs it as a script (``__main__``), top to bottom:

The sidebar is drawn here, once, before the navigation runs the page: its
widgets then belong to no page, so their values (and uploads) stay as the
learner moves between pages. Pages read the loaded tensor with
``ui.current_input(page)``. The "Share this view" button sits at the top of every
page, filled in after the page has run, so its link has all of the page's
parameters. Tests start AppTest from tests/app_entry.py.
"""

import streamlit as st

if __name__ != "__main__":  # imported by the server
    from normapp import server

    app = st.App(__file__, middleware=server.MIDDLEWARE)
else:  # a session's run
    from normapp import ui
    from normapp.links import share_view

    ui.configure_page()
    # Filled once the page has run; at the right, above the page's title.
    share_slot = st.container(key="share-slot", horizontal=True, horizontal_alignment="right")
    ui.draw_sidebar()
    page = ui.navigation()
    if page.url_path in ui.PAGES_WITHOUT_INPUT:
        ui.hide_sidebar_input()
    page.run()
    share_view.draw(share_slot, page.url_path)
    ui.close_sidebar_on_phone_navigation(page.url_path)
