"""Batch dependence: one fixed sample in changing batches; whose output moves?"""

import streamlit as st

from normapp import cached, figures, ui
from normapp.links import bound, input_range, widgets
from normapp.links.literal import literal
from normapp.teaching import batch_dependence, batch_of_one, compare

TABLE = batch_dependence.TABLE
PER_ROW = 3
CHART = figures.CHART_CONFIG


def input_ranges(data, batch_max: int) -> dict[str, int]:
    """The largest sample, batch size and channel this input allows."""
    n_max, c_max = data.shape[:2]
    return {"sample": n_max - 1, "batch": batch_max, "channel": c_max - 1}


def fit_to_input(data, highs: dict[str, int], link, raw) -> dict[str, int]:
    """The sample, the batch size and the channel must fit the loaded input: a link's value that
    does not is named and the default used. Returns each one's default on this input."""
    reason = f"does not fit this input ({literal(data.title)}, shape {data.shape})"
    defaults = {}
    for name, high in highs.items():
        default = input_range.default_on(TABLE[name], high)
        used = f"the default, {name}={default}"
        defaults[name] = input_range.fit(TABLE[name], high, link, raw, reason, used)
    return defaults


def introduction(data) -> None:
    st.title("Batch dependence")
    st.markdown(
        "Keep **one sample** fixed and change the **other samples in its batch**. A method that "
        "reduces over N (the batch axis) mixes the batch mates into this sample's mean and "
        "variance, so its output moves; a method that stays inside one sample gives exactly the "
        "same output. The reference is the input as loaded in the sidebar "
        f"({data.title})."
    )


def batch_controls(data, highs: dict[str, int], defaults: dict[str, int]) -> dict:
    """The fixed sample, the batch size, the mates, the shuffle seed and the channel shown."""
    c_max, h_max, w_max = data.shape[1:]
    sample_col, batch_col, mates_col, shuffle_col, channel_col = st.columns([2.2, 2.2, 1.8, 1, 1.6])
    in_range = {name: {"max_value": highs[name], "value": defaults[name]} for name in highs}
    sample = widgets.draw(TABLE["sample"], sample_col, **in_range["sample"])
    sample_col.caption(f"n={sample} · {data.sample_labels[sample]}")
    capped = highs["batch"] < batch_dependence.BATCH_MAX
    widgets.draw(
        TABLE["batch"],
        batch_col,
        **in_range["batch"],
        help=f"Capped at {highs['batch']} for this input, so a batch holds at most "
        f"{max(batch_dependence.BATCH_WORK_MAX, 2 * c_max * h_max * w_max):,} numbers and the page "
        "stays fast."
        if capped
        else None,
    )
    widgets.draw(TABLE["mates"], mates_col)
    widgets.draw(TABLE["shuffle"], shuffle_col)
    channel = widgets.draw(TABLE["channel"], channel_col, **in_range["channel"])
    channel_col.caption(f"c={channel} · {data.channel_labels[channel]}")
    return {name: st.session_state[name] for name in TABLE.names}


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
            movements[first : first + PER_ROW], st.columns(PER_ROW, border=True), strict=False
        ):
            with column:  # a card is its bordered column
                number, words = batch_dependence.movement_parts(move)
                batch_words = "uses the batch" if move.depends else "stays inside one sample"
                reduces = compare.reduced_axes_text(move.spec, c_max)
                # Title, what it reduces and how far it moved: one element.
                st.markdown(
                    f"#### {move.label}\n\n"
                    f"<div style='font-size:0.875rem;opacity:0.7;margin-bottom:0.5rem'>"
                    f"Reduces {reduces}: {batch_words}</div>"
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
        st.markdown(  # the notes as one list, and the sentence that leads to the code
            "".join(f"- {note}\n" for note in one) + "\n"
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
highs = input_ranges(data, batch_max)
link = input_range.link_values(TABLE)
raw = bound.translate_bound(TABLE.bound)
defaults = fit_to_input(data, highs, link, raw)
notices = st.container()
introduction(data)
values = batch_controls(data, highs, defaults)
bound.check_table(raw, TABLE, values, hidden=set())
with notices:
    bound.show_messages()
sample, size, mates, shuffle, channel = (values[name] for name in TABLE.names)
movements = this_batch(data, sample, size, mates, shuffle, batch_max)
movement_cards(data, movements, sample, size, mates, shuffle, channel)
batch_of_one_section(data, size)
