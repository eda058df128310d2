"""The Training lab's engine: a tiny CNN trained in NumPy with each normalization (no Streamlit)."""
