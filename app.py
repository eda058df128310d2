"""Normalization Explorer: the entry point. `make run` serves it.

Each page draws the shared sidebar itself (``ui.current_input()``): AppTest
only sees the elements of the page's own run, and explorer/ui.py keeps the
sidebar's choices and uploads across page switches.
"""

import streamlit as st

st.set_page_config(
    page_title="Normalization Explorer",
    page_icon=":material/functions:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page("pages/explorer.py", title="Explorer", icon=":material/search:", default=True),
    st.Page(
        "pages/compare.py", title="Compare methods", icon=":material/compare:", url_path="compare"
    ),
    st.Page(
        "pages/batch_dependence.py",
        title="Batch dependence",
        icon=":material/groups:",
        url_path="batch",
    ),
    st.Page(
        "pages/train_eval.py",
        title="Train vs eval",
        icon=":material/model_training:",
        url_path="train-eval",
    ),
    st.Page("pages/quiz.py", title="Quiz", icon=":material/quiz:", url_path="quiz"),
    st.Page(
        "pages/question.py",
        title="The question, answered",
        icon=":material/task_alt:",
        url_path="question",
    ),
]

st.navigation(PAGES).run()
