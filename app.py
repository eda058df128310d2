"""Normalization Explorer: the entry point. `make run` serves it.

The sidebar is drawn here, once, before the navigation runs the page: its
widgets then belong to no page, so their values (and uploads) stay as the
learner moves between pages. Pages read the loaded tensor with
``ui.current_input(page)``. The "Share this view" button sits at the top of every
page, filled in after the page has run, so its link has all of the page's
parameters. Tests start AppTest from tests/app_entry.py.
"""

import streamlit as st

from normapp import room_link, share_view, ui

room_link.keep_streamlit_offline()  # before anything can make Streamlit look outside
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
