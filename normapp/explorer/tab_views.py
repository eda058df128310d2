"""The Explorer's tabs under its answer: statistics, the cube, histograms per group, maps,
formulas and downloads (Streamlit views, drawn by pages/explorer.py for the input it loaded)."""

from __future__ import annotations

import streamlit as st

import normlib
from normapp import cached, figures, ui
from normapp.explorer import after_check, downloads, presets, set_description, set_statistics

NO_BAR = figures.CHART_CONFIG
# The statistics table: every row up to STATS_ROWS_SHOWN sets, then a scrolling box.
STATS_ROWS_SHOWN = 12
STATS_HEIGHT = 420


def stats_tab(data, view, result, spec: normlib.NormSpec) -> None:
    params = presets.affine_parameters(spec, data.shape, st.session_state["method"])
    row = st.container(horizontal=True)  # one block, three equal metrics, as columns(3) were
    row.metric("Reduction sets", f"{result.n_sets:,}")
    row.metric("Elements per set", f"{result.count:,}")
    row.metric(
        f"γ/β parameters ({params.formula})",
        "—" if params.count is None else f"{params.count:,}",
        help=params.note,
    )
    st.markdown(
        f"Mean and variance shape: `{set_description.stat_shape_text(result)}` · "
        f"γ, β: {params.shape} ({params.note})."
    )
    check = cached.after_check(view, result)
    show = st.success if check.holds else (st.warning if check.checked else st.info)
    show(after_check.after_check_text(check))
    st.plotly_chart(cached.stats_figure(view, result), config=NO_BAR)
    if result.n_sets <= 64:
        # A static table: the browser draws a few rows of HTML faster than it
        # mounts an interactive grid, on every click that changes the sets.
        st.table(
            ui.table(set_statistics.statistics_table(result)),
            hide_index=True,
            height="content" if result.n_sets <= STATS_ROWS_SHOWN else STATS_HEIGHT,
        )
    else:
        st.caption(
            f"{result.n_sets:,} sets: the heatmap shows their means; the CSV in "
            "Downloads has every set's mean and variance."
        )


def cube_tab(data, spec: normlib.NormSpec, element) -> None:
    st.plotly_chart(cached.cube_figure(data.shape, spec, element), config=NO_BAR)
    st.caption(
        "The Group Normalization paper's picture (Wu & He 2018, fig. 2): axes N, C and "
        "H·W merged; the shaded cells share one mean and variance."
    )


def groups_tab(data, view, result, spec: normlib.NormSpec, log_y: bool) -> None:
    # Per set when the sets are few and are not simply the channels; else per channel.
    by_set = result.n_sets <= 16 and spec.axes != "NHW"
    labels = (
        [f"set {i}" for i in range(result.n_sets)]
        if by_set
        else [f"c={i} ({label})" for i, label in enumerate(data.channel_labels)]
    )
    st.plotly_chart(
        cached.histogram_grid_figure(
            view,
            "set" if by_set else "channel",
            tuple(labels),
            log_y,
            data.x,
            result.output,
        ),
        config=NO_BAR,
    )


def maps_tab(data, view, result) -> None:
    n_max, c_max = data.shape[:2]
    options = [(n, c) for n in range(min(n_max, 8)) for c in range(min(c_max, 8))]
    # A diagonal (sample k, channel k) shows different images and channels at once.
    diagonal = list(dict.fromkeys((k % min(n_max, 8), k % min(c_max, 8)) for k in range(3)))
    chosen = st.multiselect(
        "Maps (n, c) to show",
        options,
        default=diagonal,
        format_func=lambda nc: (
            f"n={nc[0]} {data.sample_labels[nc[0]]}, c={nc[1]} {data.channel_labels[nc[1]]}"
        ),
        max_selections=6,
        key="ex:maps",
    )
    if chosen:
        st.plotly_chart(
            cached.feature_maps_figure(view, tuple(chosen), data.x, result.output),
            config=NO_BAR,
        )


def formula_tab(formulas) -> None:
    st.latex(formulas.mean)
    if formulas.group_set:
        st.latex(formulas.group_set)
    st.latex(formulas.var)
    st.latex(formulas.output)
    st.latex(formulas.count)
    st.caption("The variance divides by m (biased), as PyTorch does when normalizing.")


def download_tab(result, spec: normlib.NormSpec) -> None:
    # Files are made only when a button is clicked (Streamlit calls `data` then):
    # opening this tab costs nothing, even at 2^24 elements.
    st.caption("Each file is made when you click its button, not when this tab opens.")
    st.download_button(
        f"Normalized tensor (.npy, {downloads.npy_megabytes(result.output):.1f} MB)",
        lambda: downloads.tensor_npy(result.output),
        file_name="normalized.npy",
        mime="application/octet-stream",
        on_click="ignore",
    )
    if result.n_sets <= downloads.CSV_MAX_ROWS:
        st.download_button(
            f"Statistics (.csv, {set_description.plural(result.n_sets, 'row')})",
            lambda: downloads.statistics_csv(result),
            file_name="statistics.csv",
            mime="text/csv",
            on_click="ignore",
        )
    else:
        st.download_button(
            "Statistics (.npz)",
            lambda: downloads.statistics_npz(result),
            file_name="statistics.npz",
            mime="application/octet-stream",
            on_click="ignore",
        )
        st.caption(
            f"{result.n_sets:,} sets are more than the {downloads.CSV_MAX_ROWS:,} "
            "rows a CSV here may have (a spreadsheet would not open it, and writing "
            "it takes long): the statistics come as NumPy arrays instead, "
            "`np.load('statistics.npz')`, "
            f"with `mean` and `{'var' if spec.center else 'mean_square'}` of shape "
            f"{tuple(result.mean.shape)}."
        )
