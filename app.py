"""Normalization Explorer: the entry point. `make run` serves it.

The sidebar is drawn here, once, before the navigation runs the page: its
widgets then belong to no page, so their values (and uploads) stay as the
learner moves between pages. Pages read the loaded tensor with
``ui.current_input(page)``. Tests start AppTest from tests/app_entry.py.
"""

from normapp import ui

ui.configure_page()
ui.draw_sidebar()
ui.navigation().run()
