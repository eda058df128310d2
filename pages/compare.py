"""Placeholder: built by a later change."""

import streamlit as st

from explorer import ui

data = ui.current_input()
st.title("compare")
st.write(data.title)
ui.sync_url({})
