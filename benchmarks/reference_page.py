"""The reference page for bench_class.py and bench_browser.py: a plain Streamlit page
doing the app's kind of work.

One widget (which axes to normalize over), one NumPy normalization of a small
(N, C, H, W) batch, a line of counts and one Plotly chart (the histogram, binned in
NumPy). What a view or a click of the app costs is measured against what one of this
costs, served the same way (`streamlit run`) in the same run.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

AXES = {"N": 0, "C": 1, "H": 2, "W": 3}

st.title("Reference page")
chosen = st.pills("Normalize over", list(AXES), selection_mode="multi", default=["N", "H", "W"])
x = np.random.default_rng(0).normal(size=(8, 3, 32, 32))
axes = tuple(AXES[a] for a in chosen)
y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
sets = int(np.prod([n for axis, n in enumerate(x.shape) if axis not in axes]))
per_set = x.size // sets
st.markdown(f"{sets:,} set{'s' if sets != 1 else ''} × {per_set:,} elements per set")
counts, edges = np.histogram(y, bins=60)
figure = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts))
st.plotly_chart(figure)
