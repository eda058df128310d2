"""Normalization Explorer: placeholder entry point (the Explorer page replaces it)."""

import numpy as np
import streamlit as st

import normlib

st.set_page_config(page_title="Normalization Explorer", layout="wide")
st.title("Normalization Explorer")
x = np.random.default_rng(0).normal(size=(8, 3, 32, 32))
result = normlib.normalize(x, "batchnorm")
st.header(f"{normlib.identify('NHW')}: {result.n_sets} sets × {result.count} elements per set")
