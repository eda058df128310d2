"""Front-end support for the Streamlit app: state, inputs, figures, summaries and the UI module."""

from normapp.room_link import keep_streamlit_offline

# Before any page can make Streamlit look up this machine's external address (room_link).
keep_streamlit_offline()
