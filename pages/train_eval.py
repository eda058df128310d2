"""Train vs eval: BatchNorm2d's running statistics, and one batch in both modes."""

import numpy as np
import streamlit as st

import normlib
from explorer import teaching, ui

PARAMS = teaching.TRAIN_PARAMS
CHART = {"displayModeBar": False}


@st.cache_data(max_entries=32, show_spinner=False)
def cached_stream(input_key: tuple, momentum, steps: int, batch: int, seed: int, _x: np.ndarray):
    """The stream and the batch-mates check, cached by what made them (not by the array)."""
    run = teaching.train_stream(_x, momentum, steps, batch, seed)
    return run, teaching.batch_mates_check(run, _x)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_running_figures(input_key: tuple, momentum, steps, batch, seed, _run, _labels):
    """Plotly figures are slow to build; these are read-only, so one object is shared."""
    return teaching.running_figures(_run, _labels)


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_modes_figure(input_key: tuple, momentum, steps, batch, seed, sample, _run, _labels):
    return teaching.modes_figure(_run, sample, _labels)


data = ui.current_input()
n_max, c_max, h_max, w_max = data.shape
from_url = ui.url_values("train-eval", PARAMS, prefix="te:")
ui.show_url_messages()

# --- Seed the controls from the link (or the last visit).
start = {**{p.name: p.default for p in PARAMS}, **from_url}
ui.seed_widget("te:momentum", teaching.format_momentum(start["momentum"]))
ui.seed_widget("te:steps", start["steps"])
ui.seed_widget("te:batch", start["batch"])
ui.seed_widget("te:seed", start["bseed"])
if st.session_state["te:batch"] > n_max:
    if "batch" in from_url:
        st.warning(
            f"Link parameter `batch={from_url['batch']}` is more than the input's N = {n_max} "
            f"samples; using B = {min(4, n_max)}.",
            icon=":material/link:",
        )
        st.session_state["te:batch"] = min(4, n_max)
    else:
        st.session_state["te:batch"] = n_max

st.title("Train vs eval")
st.markdown(
    f"**BatchNorm2d** keeps `running_mean` and `running_var` while it trains and uses them in "
    f"eval mode. Here normlib's BatchNorm2d (PyTorch's semantics) trains on a stream of "
    f"batches: each step draws B of the current input's N = {n_max} samples at random, "
    f"without replacement. For a random-tensor input the batches are drawn from that same "
    f"tensor, not fresh random numbers."
)

mom_col, steps_col, batch_col, seed_col = st.columns([3, 3, 2, 1.4])
momentum_text = mom_col.select_slider(
    "momentum (PyTorch)",
    teaching.momentum_options(teaching.parse_momentum(st.session_state["te:momentum"])),
    key="te:momentum",
    format_func=lambda t: "None (cumulative)" if t == "none" else t,
    help="Weight of the newest batch in the running statistics. PyTorch's default is 0.1.",
)
momentum = teaching.parse_momentum(momentum_text)
if note := teaching.keras_mixup_note(momentum):
    st.info(note)
steps = steps_col.slider("Training steps", 1, teaching.STEPS_MAX, key="te:steps")
if n_max > 1:
    batch = batch_col.slider("Batch size B", 1, n_max, key="te:batch")
else:
    st.session_state["te:batch"] = 1
    batch = 1
    batch_col.markdown("**Batch size B = 1**")
    batch_col.caption("The input has one sample.")
seed = int(
    seed_col.number_input(
        "Batch seed",
        0,
        2**31 - 1,
        step=1,
        key="te:seed",
        help="Seeds which samples each batch draws.",
    )
)

st.latex(
    r"\text{running} \leftarrow (1-\text{momentum})\cdot\text{running} + "
    r"\text{momentum}\cdot\text{batch statistic}"
    + (r"\quad(\text{momentum} = \tfrac{1}{k}\ \text{at step } k)" if momentum is None else "")
)
st.markdown(
    f"Momentum {teaching.momentum_words(momentum)} in PyTorch is Keras momentum "
    f"**{teaching.keras_momentum(momentum)}**: Keras' momentum is 1 − PyTorch's, the weight of "
    f"the old value. PyTorch 0.1 ↔ Keras 0.9; Keras' default 0.99 ↔ PyTorch 0.01."
)

query = {
    "momentum": teaching.format_momentum(momentum),
    "steps": str(steps),
    "batch": str(batch),
    "bseed": str(seed),
}
for key in ("te:momentum", "te:steps", "te:batch", "te:seed"):
    ui.remember(key)

try:
    run, mates = cached_stream(data.key, momentum, steps, batch, seed, data.x)
except normlib.NormError as error:
    st.error(
        f"{error}. With B = {batch} and H·W = {h_max * w_max}, each channel of a batch holds "
        f"a single number, so BatchNorm2d cannot train on it (PyTorch raises the same error). "
        f"Choose a larger batch or a larger image."
    )
    ui.sync_url(query)
    st.stop()
for note in run.notes:
    st.info(note)

# --- Running statistics
st.subheader("Running statistics, step by step")
stream_key = (data.key, momentum, steps, batch, seed)
mean_fig, var_fig = cached_running_figures(*stream_key, run, data.channel_labels)
mean_col, var_col = st.columns(2)
mean_col.plotly_chart(mean_fig, config=CHART)
var_col.plotly_chart(var_fig, config=CHART)
st.caption(
    "Solid: the running statistics after each step (they start at 0 and 1). Dashed: what they "
    "settle around. For the mean, the whole input's mean over (N, H, W). For the variance, "
    "the expected **unbiased** variance of a random batch of B samples, "
    "m/(m−1)·(σ² − Var(batch mean)) with m = B·H·W; it equals the whole input's unbiased "
    "variance (÷ (N·H·W − 1)) when B = N, and is a little lower when B < N, because a batch's "
    "variance misses the spread between the batches' means."
)
with st.expander("The numbers behind the dashed lines"):
    st.dataframe(teaching.target_table(run, data.channel_labels), hide_index=True)
    st.caption(
        f"M = N·H·W = {run.population.count:,} elements per channel in the whole input; "
        f"m = B·H·W = {run.m:,} per batch. After {run.steps} steps, "
        f"num_batches_tracked = {run.num_batches_tracked}."
    )

# --- One batch, both modes
st.subheader("The last batch, in training and in eval mode")
st.markdown(
    "Training mode normalizes with **this batch's** mean and variance; eval mode with the "
    "**running** ones. **In eval, a sample's output no longer depends on its batch mates.**"
)
if st.session_state.get("te:sample", 0) >= run.batch:
    st.session_state["te:sample"] = 0
labels = [f"{i}: sample {s} ({data.sample_labels[s]})" for i, s in enumerate(run.indices[-1])]
shown = st.selectbox(
    "Sample of the last batch to show",
    range(len(labels)),
    format_func=lambda i: labels[i],
    key="te:sample",
)
st.plotly_chart(cached_modes_figure(*stream_key, shown, run, data.channel_labels), config=CHART)
table_col, mates_col = st.columns([3, 2])
with table_col:
    st.dataframe(teaching.channel_table(run, data.channel_labels), hide_index=True)
    st.caption(
        "Per channel over the batch: training output has mean 0 and std ≈ 1 (just under, "
        "because of eps); eval output is off by how far the running statistics are from this "
        "batch's."
    )
with mates_col:
    sample_name = data.sample_labels[mates.sample]
    if mates.alone_possible:
        st.metric(
            f"Training: sample {mates.sample} alone vs in its batch",
            f"{mates.train_change:.3g}",
            help="Largest change of any of its outputs when its batch mates are removed.",
        )
    st.metric(
        f"Eval: sample {mates.sample} alone vs in its batch",
        f"{mates.eval_change:.3g}",
        help="Largest change of any of its outputs when its batch mates are removed.",
    )
    st.caption(
        f"Sample {mates.sample} ({sample_name}) run alone instead of with its "
        f"{run.batch - 1} batch mates: the largest change in any of its outputs. In eval it "
        "is 0, up to float32 rounding."
        + ("" if mates.alone_possible else " Alone, training is impossible (H·W = 1).")
    )

# --- Biased vs unbiased variance
st.subheader("Biased and unbiased variance")
st.markdown(
    "Training **normalizes** with the biased variance (÷ m), but **stores** the unbiased one "
    "(÷ (m − 1)) in `running_var`. Channel 0 of the last batch:"
)
st.latex(teaching.variance_latex(run, 0))
st.dataframe(teaching.variance_table(run, data.channel_labels), hide_index=True)
st.caption(
    f"With m = {run.m:,} the two differ by a factor {run.m / (run.m - 1):.6f}: "
    + (
        "tiny for images, large for a batch with few numbers per channel."
        if run.m > 100
        else "noticeable, because each channel of a batch has few numbers."
    )
)

ui.sync_url(query)
