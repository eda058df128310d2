"""The training lab: a tiny CNN trained live in NumPy with a choice of normalization.

No Streamlit and no Plotly here: `layers` (forward/backward of each layer, SGD),
`task` (the synthetic image task), `network` (the fixed architecture with its norm
layers from normlib), `training` (RunConfig, train, RunResult), `runs` (the server's
shared, bounded and cached runs), `processes` (the processes they train in), `controls`
(the page's link parameters), `summary` (sentences computed from the runs' numbers) and
`gallery` (the task's picture).
"""
