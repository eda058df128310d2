"""Normalization Explorer: the entry point. `make run` serves it.

The sidebar is drawn here, before the page runs, so its widgets (and the
images a user uploaded) survive switching pages.
"""

import streamlit as st

from explorer import ui

st.set_page_config(
    page_title="Normalization Explorer",
    page_icon="🧮",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page("pages/explorer.py", title="Explorer", icon="🔎", default=True, url_path="explorer"),
    st.Page("pages/compare.py", title="Compare methods", icon="🆚", url_path="compare"),
    st.Page("pages/batch_dependence.py", title="Batch dependence", icon="🧺", url_path="batch"),
    st.Page("pages/train_eval.py", title="Train vs eval", icon="🏃", url_path="train-eval"),
    st.Page("pages/quiz.py", title="Quiz", icon="❓", url_path="quiz"),
    st.Page("pages/question.py", title="The question, answered", icon="✅", url_path="question"),
]

page = st.navigation(PAGES)
ui.sidebar_input()
page.run()
