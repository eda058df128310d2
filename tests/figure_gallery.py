"""A Streamlit script showing every figure builder, for tests/test_browser_figures.py.

Run by that test only (not a page of the app): it injects the app-shell CSS
that puts Plotly text in the page's text colour, then draws the figures with
Streamlit's chart theme, as the pages do.
"""

import streamlit as st

from normapp import figures
from tests.test_figure_readability import every_builder

st.html(figures.PLOTLY_TEXT_CSS)
for name, fig in every_builder().items():
    if name == "cube":
        continue  # WebGL: its text is not SVG
    st.plotly_chart(fig, key=name)
