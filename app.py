"""Normalization Explorer: the entry point. `make run` serves it.

Each page draws the shared sidebar itself (``ui.current_input()``): AppTest
only sees the elements of the page's own run, and explorer/ui.py keeps the
sidebar's choices and uploads across page switches.
"""

from pathlib import Path

import streamlit as st

from explorer import ui

st.set_page_config(
    page_title="Normalization Explorer",
    # A file shipped with the app: a ":material/…:" icon is fetched from a font host.
    page_icon=str(Path(__file__).resolve().parent / "assets" / "favicon.png"),
    layout="wide",
    # "auto": open beside the page on a wide screen, closed on a phone (it covered 77% of it).
    initial_sidebar_state="auto",
)
ui.page_style()
ui.navigation().run()
