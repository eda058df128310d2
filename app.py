"""Normalization Explorer: the entry point. `make run` serves it.

Each page draws the shared sidebar itself (``ui.current_input()``): AppTest
only sees the elements of the page's own run, and explorer/ui.py keeps the
sidebar's choices and uploads across page switches.
"""

import streamlit as st

from explorer import ui

st.set_page_config(
    page_title="Normalization Explorer",
    page_icon=":material/functions:",
    layout="wide",
    initial_sidebar_state="expanded",
)

ui.navigation().run()
