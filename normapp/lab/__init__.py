"""The training lab's engine: a tiny CNN trained live in NumPy with a choice of normalization.

No Streamlit and no Plotly here: `layers` (forward/backward of each layer, SGD),
`task` (the synthetic image task), `network` (the fixed architecture with its norm
layers from normlib) and `training` (RunConfig, train, RunResult).
"""
