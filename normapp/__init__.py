"""Front-end support for the Streamlit app: state, inputs, figures, summaries and the UI module."""
