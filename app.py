"""Normalization Explorer: the entry point. `make run` serves it.

Each page draws the shared sidebar itself (``ui.current_input()``): AppTest
only sees the elements of the page's own run, and normapp/ui.py keeps the
sidebar's choices and uploads across page switches.
"""

from normapp import ui

ui.configure_page()
ui.navigation().run()
