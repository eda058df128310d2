"""Normalization Explorer: the entry point. `make run` serves it.

Each page draws the shared sidebar itself (``ui.current_input(page)``), and
normapp/ui.py keeps its choices and uploads across page switches. Why not here:
AppTest started from this file, beside the ``pages/`` folder, runs only the
page (Streamlit's ``pages/``-folder mode) on every run after the first, so a
sidebar drawn here is absent from those runs (Streamlit 1.67.0, measured).
"""

from normapp import ui

ui.configure_page()
ui.navigation().run()
