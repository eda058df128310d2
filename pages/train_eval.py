"""Train vs eval: BatchNorm2d's running statistics, and one batch in both modes."""

import streamlit as st

import normlib
from normapp import cached, figures, ui
from normapp.links import bound, input_range, widgets
from normapp.teaching import (
    batch_dependence,
    momentum_conventions,
    running_statistics,
    running_var_target,
    train_eval,
)

TABLE = running_statistics.TABLE
MOMENTUM = TABLE["momentum"].param  # read and written by the page: see running_statistics.TABLE
CHART = figures.CHART_CONFIG


def follow_momentum() -> None:
    """A link's momentum into its slider (the slider's options depend on the value)."""
    bound.follow_into(MOMENTUM, "te:momentum", momentum_conventions.format_momentum)
    st.session_state.setdefault(
        "te:momentum", momentum_conventions.format_momentum(MOMENTUM.default)
    )


def fit_to_input(n_max: int, link, raw) -> int:
    """B is at most the input's N: a link's B that is more is named and the default used.
    Returns B's default on this input."""
    control = TABLE["bsize"]
    default = input_range.default_on(control, n_max)
    reason = f"is more than the input's N = {n_max} samples"
    return input_range.fit(control, n_max, link, raw, reason, f"B = {default}")


def introduction(n_max: int) -> None:
    st.title("Train vs eval")
    st.markdown(
        f"**BatchNorm2d** keeps `running_mean` and `running_var` while it trains and uses them in "
        f"eval mode. Here normlib's BatchNorm2d (PyTorch's semantics) trains on a stream of "
        f"batches: each step draws B of the current input's N = {n_max} samples at random, "
        f"without replacement. For a random-tensor input the batches are drawn from that same "
        f"tensor, not fresh random numbers."
    )


def stream_controls(n_max: int, batch_default: int) -> tuple:
    """Momentum, steps, B and the batch seed: the stream of batches BatchNorm2d trains on."""
    mom_col, steps_col, batch_col, seed_col = st.columns([3, 3, 2, 1.4])
    momentum_text = mom_col.select_slider(
        "momentum (PyTorch)",
        momentum_conventions.momentum_options(
            momentum_conventions.parse_momentum(st.session_state["te:momentum"])
        ),
        key="te:momentum",
        persist_state="session",
        format_func=lambda t: "None (cumulative)" if t == "none" else t,
        help="Weight of the newest batch in the running statistics. PyTorch's default is 0.1.",
    )
    momentum = momentum_conventions.parse_momentum(momentum_text)
    bound.write({"momentum": momentum}, (MOMENTUM,))
    if note := momentum_conventions.keras_mixup_note(momentum):
        st.info(note)
    steps = widgets.draw(TABLE["steps"], steps_col)
    if n_max > 1:
        batch = widgets.draw(TABLE["bsize"], batch_col, max_value=n_max, value=batch_default)
    else:
        batch = 1
        bound.write({}, (), drop=["bsize"])  # no slider holds it: a link's B has been named
        batch_col.markdown("**Batch size B = 1**")
        batch_col.caption("The input has one sample.")
    seed = int(widgets.draw(TABLE["bseed"], seed_col))
    return momentum, steps, batch, seed


def momentum_update(momentum) -> None:
    """The running-statistics update, and momentum in PyTorch's and Keras' conventions."""
    # One short line each, so a 390-pixel phone screen shows the update without scrolling sideways.
    st.latex(
        r"\begin{aligned}\text{running} \leftarrow\ &\\ &(1-\text{momentum})\cdot\text{running}"
        r"\\ &+ \text{momentum}\cdot\text{batch statistic}"
        + (r"\\ &\text{momentum} = \tfrac{1}{k}\ \text{at step } k" if momentum is None else "")
        + r"\end{aligned}"
    )
    st.markdown(
        f"Momentum {momentum_conventions.momentum_words(momentum)} in PyTorch is Keras momentum "
        f"**{momentum_conventions.keras_momentum(momentum)}**: Keras' momentum is 1 − PyTorch's, "
        "the weight of the old value. PyTorch 0.1 ↔ Keras 0.9; Keras' default 0.99 ↔ PyTorch 0.01."
    )


def train(data, momentum, steps: int, batch: int, seed: int) -> tuple:
    """The stream trained; a batch with one number per channel ends the page with why."""
    h_max, w_max = data.shape[2:]
    try:
        run, mates = cached.train_stream(data.key, momentum, steps, batch, seed, data.x)
    except normlib.NormError as error:
        st.error(
            f"{error}. With B = {batch} and H·W = {h_max * w_max}, each channel of a batch holds "
            f"a single number, so BatchNorm2d cannot train on it (PyTorch raises the same error). "
            f"Choose a larger batch or a larger image."
        )
        st.stop()
    for note in run.notes:
        st.info(note)
    if variance_note := momentum_conventions.keras_variance_note(momentum, run.m):
        st.markdown(variance_note)
    return run, mates


def running_statistics_section(data, stream_key: tuple, run) -> None:
    c_max = data.shape[1]
    st.subheader("Running statistics, step by step")
    mean_fig, var_fig = cached.running_figures(*stream_key, run, data.channel_labels)
    mean_col, var_col = st.columns(2)
    mean_col.plotly_chart(mean_fig, config=CHART)
    var_col.plotly_chart(var_fig, config=CHART)
    shown_channels = min(c_max, figures.FIGURE_CHANNELS)
    st.caption(
        "Solid: the running statistics after each step (they start at 0 and 1). Dashed: what they "
        "settle around. For the mean, the whole input's mean over (N, H, W). For the variance, "
        "the expected **unbiased** variance of a random batch of B samples, "
        "m/(m−1)·(σ² − Var(batch mean)) with m = B·H·W; it equals the whole input's unbiased "
        "variance (÷ (N·H·W − 1)) when B = N."
        + (
            f" Channels 0 to {shown_channels - 1} of {c_max} are drawn; the table below has all."
            if shown_channels < c_max
            else ""
        )
    )
    st.markdown(running_var_target.variance_gap(run).words(data.channel_labels))
    with st.expander("The numbers behind the dashed lines"):
        st.dataframe(
            ui.table(running_statistics.target_table(run, data.channel_labels)), hide_index=True
        )
        st.caption(
            f"M = N·H·W = {run.population.count:,} elements per channel in the whole input; "
            f"m = B·H·W = {run.m:,} per batch. After {run.steps} steps, "
            f"num_batches_tracked = {run.num_batches_tracked}."
        )


def last_batch_section(data, stream_key: tuple, run, mates) -> int:
    """The last batch in both modes; returns the sample shown, whose element the next
    section walks through."""
    st.subheader("The last batch, in training and in eval mode")
    st.markdown(
        "Training mode normalizes with **this batch's** mean and variance; eval mode with the "
        "**running** ones. **In eval, a sample's output no longer depends on its batch mates.**"
    )
    # The selectbox's labels name the samples of the last batch, so they change with every new
    # stream; Streamlit then hands back last run's label string as the value. Turn it back into
    # a position in this batch before the widget is drawn.
    st.session_state["te:sample"] = batch_dependence.clamp_index(
        st.session_state.get("te:sample", 0), run.batch
    )[0]
    labels = [f"{i}: sample {s} ({data.sample_labels[s]})" for i, s in enumerate(run.indices[-1])]
    shown = st.selectbox(
        "Sample of the last batch to show",
        range(len(labels)),
        format_func=lambda i: labels[i],
        key="te:sample",
    )
    st.plotly_chart(cached.modes_figure(*stream_key, shown, run, data.channel_labels), config=CHART)
    table_col, mates_col = st.columns([3, 2])
    with table_col:
        st.dataframe(ui.table(train_eval.channel_table(run, data.channel_labels)), hide_index=True)
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
    return shown


def one_element_section(data, run, shown: int) -> None:
    c_max = data.shape[1]
    st.subheader("One element, step by step")
    st.markdown(
        "Pick an element of the sample shown above: the numbers below are its normalization "
        "in training mode (this batch's mean and biased variance over its m values of the "
        "channel) and in eval mode (the running statistics). γ = 1 and β = 0, BatchNorm2d's "
        "starting values."
    )
    _, _, h_batch, w_batch = run.last_x.shape
    for key, size, start_at in (
        ("te:c", c_max, 0),
        ("te:h", h_batch, h_batch // 2),
        ("te:w", w_batch, w_batch // 2),
    ):
        start = st.session_state.get(key, start_at)
        st.session_state[key] = batch_dependence.clamp_index(start, size)[0]
    c_col, h_col, w_col = st.columns(3)
    pick_c = int(
        c_col.number_input("channel c", 0, c_max - 1, step=1, key="te:c", persist_state="session")
    )
    pick_h = int(
        h_col.number_input("row h", 0, h_batch - 1, step=1, key="te:h", persist_state="session")
    )
    pick_w = int(
        w_col.number_input("column w", 0, w_batch - 1, step=1, key="te:w", persist_state="session")
    )
    train_col, eval_col = st.columns(2)
    for column, mode, title in (
        (train_col, "train", "Training mode"),
        (eval_col, "eval", "Eval mode"),
    ):
        steps_of = train_eval.element_steps(run, mode, shown, pick_c, pick_h, pick_w)
        with column:
            st.markdown(
                f"**{title}**, element (n = {shown}, c = {pick_c}, h = {pick_h}, w = {pick_w})"
            )
            # The steps one under the other, centred, in one element (they were one each).
            st.latex(r"\begin{gathered}" + r" \\[14pt] ".join(steps_of.latex()) + r"\end{gathered}")
            st.caption(
                f"normlib.BatchNorm2d returned {steps_of.layer_output:.6g} (float32) for this "
                "element."
            )


def small_batches_section(data) -> None:
    n_max = data.shape[0]
    st.subheader("Why small batches hurt BatchNorm")
    small = cached.small_batch(data.key, data.x)
    st.markdown(running_var_target.small_batch_words(small))
    if n_max > 1:
        st.dataframe(
            ui.table(running_var_target.small_batch_table(small, data.channel_labels)),
            hide_index=True,
        )
    st.caption(
        "running_var at each B is the value it settles around (the dashed line above for that "
        "B); the eval output's standard deviation is over the whole input once it has. Source: "
        "Wu & He, Group Normalization (ECCV 2018), section 1 and figure 1: BatchNorm's error "
        "rises sharply as the batch shrinks, because its batch statistics become poor estimates."
    )
    st.page_link(
        ui.PAGES_DIR / "lab.py",
        label="See it in training: the Training lab",
        icon=":material/science:",
        query_params={"tbatch": "2"},
        help="A tiny CNN trained live with BatchNorm2d and GroupNorm at batch 2; the lab's summary "
        "trains every batch size from 2 to 32 and says, from those runs, whether BatchNorm2d's "
        "held-out error climbs as the batch shrinks while GroupNorm's does not.",
    )


def variance_section(data, run) -> None:
    st.subheader("Biased and unbiased variance")
    st.markdown(
        "Training **normalizes** with the biased variance (÷ m), but **stores** the unbiased one "
        "(÷ (m − 1)) in `running_var`. Channel 0 of the last batch:"
    )
    st.latex(train_eval.variance_latex(run, 0))
    st.dataframe(ui.table(train_eval.variance_table(run, data.channel_labels)), hide_index=True)
    st.caption(
        f"With m = {run.m:,} the two differ by a factor {run.m / (run.m - 1):.6f}: "
        + (
            "tiny for images, large for a batch with few numbers per channel."
            if run.m > 100
            else "noticeable, because each channel of a batch has few numbers."
        )
    )


data = ui.current_input("train-eval")
n_max = data.shape[0]
link = input_range.link_values(TABLE)
raw = bound.translate_bound(TABLE.bound)
follow_momentum()
batch_default = fit_to_input(n_max, link, raw)
notices = st.container()
introduction(n_max)
momentum, steps, batch, seed = stream_controls(n_max, batch_default)
momentum_update(momentum)
bound.check_table(raw, TABLE, {"steps": steps, "bsize": batch, "bseed": seed}, hidden=set())
with notices:
    bound.show_messages()
run, mates = train(data, momentum, steps, batch, seed)
stream_key = (data.key, momentum, steps, batch, seed)
running_statistics_section(data, stream_key, run)
shown = last_batch_section(data, stream_key, run, mates)
one_element_section(data, run, shown)
small_batches_section(data)
variance_section(data, run)
