"""Compare methods: the same input under several normalizations, side by side."""

import streamlit as st

import normlib
from normapp import cached, figures, ui
from normapp.explorer import element_walkthrough
from normapp.links import bound, params, widgets
from normapp.teaching import compare, framework_facts

TABLE = compare.TABLE
METHODS, PICK = TABLE["methods"], TABLE["pick"].param
PICK_KEYS = ("cmp:n", "cmp:c", "cmp:h", "cmp:w")
PER_ROW = 3
EPS = compare.COMPARE_EPS
CHART = figures.CHART_CONFIG


def follow_pick(data) -> None:
    """pick=n,c,h,w has four boxes, read by hand from a link. A picked element outside this
    input's shape is named and moved inside it (a link's to the default)."""
    linked = bound.follow_into(PICK, PICK_KEYS)
    for key, value in zip(PICK_KEYS, PICK.default, strict=True):
        st.session_state.setdefault(key, value)
    wanted = tuple(int(st.session_state[k]) for k in PICK_KEYS)
    element, moved = compare.clamp_element(wanted, data.shape)
    if moved and linked is not None:
        element = PICK.default
        bound.add_messages([params.pick_misfit_message(wanted, data.shape, element)])
    if moved:
        for key, value in zip(PICK_KEYS, element, strict=True):
            st.session_state[key] = value


def introduction(data) -> None:
    st.title("Compare methods")
    st.markdown(
        f"One input, **{data.title}** (N, C, H, W) = {data.shape}, under several methods: which "
        "numbers share a mean (one colour per set), how many sets, the values before and after, "
        "and one map after."
    )


def method_choice() -> list[str]:
    """The methods to compare, in METHODS' order."""
    widgets.draw(METHODS)
    return [k for k in normlib.METHODS if k in st.session_state["methods"]]


def element_pick(data) -> tuple[int, int, int, int]:
    """The highlighted element (n, c, h, w) every card and the table follow."""
    row = st.container(horizontal=True, vertical_alignment="bottom")  # one block, not six
    for key, size in zip(PICK_KEYS, data.shape, strict=True):
        label = key.removeprefix("cmp:")
        row.number_input(label, 0, size - 1, key=key, persist_state="session", width=70)
    row.markdown(
        "These four numbers pick the **highlighted element** (n, c, h, w): its set is marked in "
        "every set picture, each card shows its map (n, c) after normalizing, and the table "
        "below the cards follows its value through every method."
    )
    n, c, h, w = (int(st.session_state[k]) for k in PICK_KEYS)
    return n, c, h, w


def grid_note(data, chosen: list[str], element: tuple) -> None:
    c_max = data.shape[1]
    if "groupnorm" in chosen and (note := compare.groupnorm_note(c_max)):
        st.info(note)
    if not chosen:
        st.info("Choose at least one method above.")
    else:
        st.caption(
            compare.grid_note(data.shape, GRID_TILES, element)
            + f" The yellow ring marks the highlighted element {element}; its set is outlined and "
            "in full colour (blue, the others grey, when there are more sets than colours)."
        )


def method_cards(data, chosen: list[str], element: tuple) -> None:
    """One card per method, PER_ROW to a row: its sets, histograms and the picked map after."""
    c_max = data.shape[1]
    n_sel, c_sel = element[0], element[1]
    map_title = (
        f"after: n={n_sel} {data.sample_labels[n_sel]}, c={c_sel} {data.channel_labels[c_sel]}"
    )
    for start_index in range(0, len(chosen), PER_ROW):
        columns = st.columns(PER_ROW, border=True)  # a card is its bordered column
        for key, column in zip(chosen[start_index : start_index + PER_ROW], columns, strict=False):
            spec = compare.method_spec(key, c_max)
            view = cached.View.of(data, spec, EPS)
            result = cached.normalized(view, data.x)
            with column:
                # Title, numbers and description in one element (a page's cost is per element).
                st.markdown(
                    f"#### {compare.method_label(key, c_max)}\n\n"
                    f"<div style='font-size:1.7rem;font-weight:700;line-height:1.15'>"
                    f"{result.n_sets:,} × {result.count:,}</div>"
                    f"<div style='opacity:0.75'>sets × elements per set</div>"
                    f"<div style='font-size:0.875rem;opacity:0.7;margin-top:0.5rem'>"
                    f"{normlib.METHODS[key].description}</div>",
                    unsafe_allow_html=True,
                )
                st.plotly_chart(
                    cached.set_grid_figure(
                        data.shape, spec, element, GRID_TILES, 300, compact=True
                    ),
                    config=CHART,
                    key=f"cmp:grid:{key}",
                )
                st.plotly_chart(
                    cached.histogram_figure(view, 40, 260, False, data.x, result.output),
                    config=CHART,
                    key=f"cmp:hist:{key}",
                )
                st.plotly_chart(
                    cached.output_map_figure(view, n_sel, c_sel, map_title, result.output),
                    config=CHART,
                    key=f"cmp:map:{key}",
                )


def one_element(data, chosen: list[str], element: tuple) -> None:
    """The highlighted element's arithmetic under each chosen method."""
    c_max = data.shape[1]
    st.subheader(f"One element, {len(chosen)} results")
    steps = []  # (method key, the element's arithmetic under it)
    for key in chosen:
        result = cached.normalized(
            cached.View.of(data, compare.method_spec(key, c_max), EPS), data.x
        )
        steps.append((key, element_walkthrough.element_arithmetic(data.x, result, element)))
    st.markdown(compare.element_outcome_note(data.x, c_max, steps))
    st.dataframe(
        ui.table(compare.element_table(c_max, steps)),
        hide_index=True,
        column_config={"method": st.column_config.TextColumn(pinned=True)},
    )
    # One formula per row: on one row they ran 507 px in a 358-px phone column.
    st.latex(
        r"\begin{aligned}\hat x &= \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \\"
        r"\text{not centred: } \hat x &= \frac{x}{\sqrt{\overline{x^2} + \epsilon}} \\"
        r"y &= \gamma \hat x + \beta\end{aligned}"
    )
    st.caption(
        f"m is the size of the element's set, σ² its biased variance (÷ m), as PyTorch "
        f"normalizes with it. Every method here uses ε = {EPS:g}, γ = {steps[0][1].gamma:g}, "
        f"β = {steps[0][1].beta:g}, so only the sets differ; each layer's own default ε is in its "
        "card below."
    )


def side_by_side(data, chosen: list[str]) -> None:
    st.subheader("Side by side")
    st.dataframe(
        ui.table(compare.comparison_table(chosen, data.shape)),
        hide_index=True,
        column_config={"method": st.column_config.TextColumn(pinned=True)},
    )
    st.caption(
        "A method 'depends on the batch' exactly when it reduces over N; such a method needs "
        "running statistics to handle one sample at eval time, so its train and eval outputs "
        "differ."
    )


def framework_cards(data, chosen: list[str]) -> None:
    """Each chosen method as a PyTorch and a Keras 3 layer call, with γ/β and default eps."""
    st.subheader("The layers in PyTorch and Keras 3")
    st.caption(
        "Each call runs as written on an (N, C, H, W) tensor x (channels-first), with "
        "nn = torch.nn and the Keras layers imported by name. Keras BatchNormalization's "
        "`axis` names the axis it KEEPS; LayerNormalization's `axis` names the axes it REDUCES."
    )
    frameworks = compare.framework_table(chosen, data.shape)
    for start_index in range(0, len(chosen), PER_ROW):
        rows = range(start_index, min(start_index + PER_ROW, len(chosen)))
        for column, row in zip(st.columns(PER_ROW, border=True), rows, strict=False):
            with column:
                for label in ("PyTorch", "Keras (channels-first)"):
                    call = frameworks[label][row]
                    # The card's title rides with its first label: one element fewer.
                    title = f"**{frameworks['method'][row]}**\n\n" if label == "PyTorch" else ""
                    st.markdown(f"{title}{label}:")
                    if framework_facts.has_layer(call):
                        st.code(call, language="python", wrap_lines=True)
                    else:
                        st.markdown(call)
                st.markdown(
                    f"γ/β: {frameworks['γ/β'][row]}  \n"
                    f"default eps: {frameworks['default eps'][row]}  \n"
                    f"{frameworks['note'][row]}"
                )


data = ui.current_input("compare")
GRID_TILES = compare.grid_tiles(data.shape[1])
raw = bound.translate_bound(TABLE.bound)
follow_pick(data)
notices = st.container()
introduction(data)
chosen = method_choice()
element = element_pick(data)
# No method chosen: the cards ask for one; the messages compare a link with the default six.
bound.check_table(raw, TABLE, {"methods": tuple(chosen) or METHODS.param.default}, hidden=set())
with notices:
    bound.show_messages()
grid_note(data, chosen, element)
method_cards(data, chosen, element)
if chosen:
    one_element(data, chosen, element)
    side_by_side(data, chosen)
    framework_cards(data, chosen)
bound.write({"pick": element}, [PICK])
