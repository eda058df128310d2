"""Batch dependence: one fixed sample in changing batches; whose output moves?"""

import streamlit as st

from normapp import cached, figures, ui
from normapp.links import bound, params
from normapp.links.literal import literal
from normapp.teaching import batch_dependence, batch_of_one, compare

SAMPLE, BATCH, MATES, SHUFFLE, CHANNEL = batch_dependence.BATCH_PARAMS
BOUNDS = (bound.Bound(MATES, labels=batch_dependence.MATES), bound.Bound(SHUFFLE))
PER_ROW = 3
CHART = figures.CHART_CONFIG
KEYS = ("bd:sample", "bd:batch", "mates", "shuffle", "bd:channel")


def follow_links(data, batch_max: int):
    """The mates and the shuffle seed have fixed choices: bound to the URL. The sample, the
    batch size and the channel must fit the loaded input (and the batch size's name is the
    Train vs eval page's too): read by hand, and a link's value that does not fit says so.
    Returns the bound values as the link gave them, for their messages."""
    n_max, c_max = data.shape[:2]
    raw = bound.translate_bound(BOUNDS)
    for key, param, size in (
        ("bd:sample", SAMPLE, n_max),
        ("bd:channel", CHANNEL, c_max),
        ("bd:batch", BATCH, batch_max + 1),
    ):
        linked = bound.follow_into(param, key)
        st.session_state.setdefault(key, param.default)
        value, moved = batch_dependence.clamp_index(st.session_state[key], size)
        if moved and linked is not None:
            value = min(param.default, size - 1)
            reason = f"does not fit this input ({literal(data.title)}, shape {data.shape})"
            used = f"the default, {param.name}={value}"
            bound.add_messages([params.misfit_message(param.name, linked, reason, used)])
        st.session_state[key] = value
    if st.session_state["bd:batch"] < 1:
        st.session_state["bd:batch"] = 1
    return raw


def introduction(data) -> None:
    st.title("Batch dependence")
    st.markdown(
        "Keep **one sample** fixed and change the **other samples in its batch**. A method that "
        "reduces over N (the batch axis) mixes the batch mates into this sample's mean and "
        "variance, so its output moves; a method that stays inside one sample gives exactly the "
        "same output. The reference is the input as loaded in the sidebar "
        f"({data.title})."
    )


def batch_controls(data, batch_max: int) -> tuple[int, int, str, int, int]:
    """The fixed sample, the batch size, the mates, the shuffle seed and the channel shown."""
    n_max, c_max, h_max, w_max = data.shape
    sample_col, batch_col, mates_col, shuffle_col, channel_col = st.columns([2.2, 2.2, 1.8, 1, 1.6])
    sample_col.selectbox(
        "The fixed sample",
        list(range(n_max)),
        key="bd:sample",
        persist_state="session",
        format_func=lambda i: f"n={i} · {data.sample_labels[i]}",
    )
    batch_col.slider(
        "Batch size (the sample + mates)",
        1,
        batch_max,
        key="bd:batch",
        persist_state="session",
        help=f"Capped at {batch_max} for this input, so a batch holds at most "
        f"{max(batch_dependence.BATCH_WORK_MAX, 2 * c_max * h_max * w_max):,} numbers and the page "
        "stays fast."
        if batch_max < batch_dependence.BATCH_MAX
        else None,
    )
    mates_col.radio(
        "Batch mates",
        list(batch_dependence.MATES),
        key="mates",
        bind="query-params",
        format_func=batch_dependence.MATES.get,
        help="Other images: drawn with replacement from the input's other samples. Random noise: "
        "Gaussian noise with the input's per-channel mean and standard deviation.",
    )
    shuffle_col.number_input(
        "Shuffle seed",
        0,
        batch_dependence.SHUFFLE_MAX,
        SHUFFLE.default,
        step=1,
        key="shuffle",
        bind="query-params",
        help="Draws a different set of batch mates.",
    )
    channel_col.selectbox(
        "Channel shown",
        list(range(c_max)),
        key="bd:channel",
        persist_state="session",
        format_func=lambda c: f"c={c} · {data.channel_labels[c]}",
    )
    sample, size, mates, shuffle, channel = (st.session_state[k] for k in KEYS)
    return int(sample), int(size), mates, int(shuffle), int(channel)


def this_batch(data, sample: int, size: int, mates: str, shuffle: int, batch_max: int) -> list:
    """The batch made, what it holds, and each method's movement in one sentence; returns
    the movements, one per method."""
    n_max, c_max, h_max, w_max = data.shape
    reference_rows = batch_dependence.reference_rows(data.shape, 0)  # the sample joins it
    batch, movements = cached.movements(
        data.key, sample, size, mates, shuffle, data.x, data.sample_labels
    )
    if batch.message:
        st.info(batch.message)
    if reference_rows.size < n_max:
        rows = batch_dependence.reference_rows(data.shape, sample)
        st.info(
            f"This input holds {n_max * c_max * h_max * w_max:,} numbers. To keep the page "
            f"fast, the reference batch is {rows.size} of its {n_max} samples (the sample "
            f"n = {sample} and the first {rows.size - 1} others), not all of them, and a batch "
            "holds at most "
            f"{batch_max} samples."
        )
    shown = ", ".join(batch.labels[:8]) + (f", … ({size - 8} more)" if size > 8 else "")
    st.caption(
        f"This batch (N = {size}): {shown}. Reference batch: the input as loaded, "
        f"N = {batch_dependence.reference_rows(data.shape, sample).size}, "
        f"where the sample is n = {sample}. "
        "Δ = output in this batch − output in the reference."
    )

    st.markdown(batch_dependence.movement_summary(movements))
    if size == 1:
        st.info(batch_of_one.batch_of_one_summary((c_max, h_max, w_max)))
    return movements


def movement_cards(data, movements: list, sample: int, size: int, mates, shuffle, channel):
    """One card per method: how far this sample's output moved, its map and its Δ map."""
    c_max, h_max, w_max = data.shape[1:]
    for first in range(0, len(movements), PER_ROW):
        for move, column in zip(
            movements[first : first + PER_ROW], st.columns(PER_ROW), strict=False
        ):
            with column, st.container(border=True):
                number, words = batch_dependence.movement_parts(move)
                batch_words = "uses the batch" if move.depends else "stays inside one sample"
                st.markdown(f"#### {move.label}")
                st.caption(f"Reduces {compare.reduced_axes_text(move.spec, c_max)}: {batch_words}")
                st.markdown(
                    f"<div style='font-size:1.7rem;font-weight:700;line-height:1.2'>{number}</div>"
                    f"<div style='opacity:0.75'>{words}</div>",
                    unsafe_allow_html=True,
                )
                if move.error:
                    st.warning(move.error)
                    continue
                batch_key = (size, mates, shuffle) if move.depends else None
                made_by = (data.key, sample, batch_key, move.key, channel, move)
                st.plotly_chart(
                    cached.movement_output_figure(*made_by), config=CHART, key=f"bd:out:{move.key}"
                )
                st.plotly_chart(
                    cached.movement_difference_figure(*made_by),
                    config=CHART,
                    key=f"bd:diff:{move.key}",
                )

    st.caption(
        f"The headline max |Δ| is over all {c_max} channels and {h_max}×{w_max} positions of the "
        "sample (a map's title gives the shown channel's own max), computed in float64, so a "
        "method that ignores the batch gives exactly 0. These are training-mode outputs: in eval "
        "mode BatchNorm uses its running statistics, and then no output depends on the batch mates."
    )


def batch_of_one_section(data, size: int) -> None:
    """A batch of one, honestly: what each method does with it, and PyTorch's refusal."""
    c_max, h_max, w_max = data.shape[1:]
    one = batch_of_one.batch_of_one_notes((c_max, h_max, w_max))
    with st.expander("A batch of one sample", expanded=size == 1):
        for note in one:
            st.markdown(f"- {note}")
        st.markdown(
            f"With a single value per channel, as in a (1, {c_max}, 1, 1) input, PyTorch's "
            "BatchNorm2d refuses to train, and so does normlib.BatchNorm2d:"
        )
        st.code(batch_of_one.single_value_error(c_max), language=None, wrap_lines=True)
        st.markdown(
            "The variance of a single number is 0, so training would output β whatever the input "
            "was, and the unbiased running variance would divide by m − 1 = 0."
        )


data = ui.current_input("batch")
batch_max = batch_dependence.batch_limit(data.shape)
raw = follow_links(data, batch_max)
notices = st.container()
introduction(data)
sample, size, mates, shuffle, channel = batch_controls(data, batch_max)
bound.check_bound(raw, BOUNDS, {"mates": mates, "shuffle": shuffle})
bound.rerun_for_fixes()
with notices:
    bound.show_messages()
movements = this_batch(data, sample, size, mates, shuffle, batch_max)
movement_cards(data, movements, sample, size, mates, shuffle, channel)
batch_of_one_section(data, size)
bound.write({"sample": sample, "batch": size, "channel": channel}, (SAMPLE, BATCH, CHANNEL))
