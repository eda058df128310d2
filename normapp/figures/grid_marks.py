"""What the set grid draws over its colour mosaic: set numbers, the selection marks, the legend.

Each helper adds traces to a figure of :func:`normapp.figures.set_grid.set_grid_figure`
(the one place they are used) from the numbers of
:mod:`normapp.figures.grid_colours`: the set numbers where they fit, the selected
set's outline (black under yellow), a marker on a set too small to see under its
outline, the ring around the selected element, and the legend's swatches.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import float_payload
from normapp.figures._style import (
    GREY,
    LABEL_SIZE,
    NORMAL_TEXT,
    SET_HIGHLIGHT,
    TextSizes,
    add_legend_swatch,
    add_trace_data,
    black_under_yellow,
)
from normapp.figures.grid_colours import GridColours, set_label_positions
from normapp.figures.grid_geometry import GridLayout, set_rectangles


def add_set_labels(
    fig: go.Figure,
    z: np.ndarray,
    colours: GridColours,
    layout: GridLayout,
    cell_px: float,
    size: int = LABEL_SIZE,
) -> int:
    """Write each set's number on its pixels, wherever the number fits.

    The non-colour cue: sets told apart by number, not only by colour, so a
    colour-blind reader can match tiles with each other and with the legend.
    `z` is the mosaic of colour classes. Returns how many sets visible in the
    tiles got no label anywhere.
    """
    xs, ys, texts, inks, unlabelled = set_label_positions(
        colours.tiles, z, colours.colours, layout, cell_px, size
    )
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="text",
                text=texts,
                textposition="middle center",
                textfont=dict(size=size, color=inks),
                hoverinfo="skip",
                showlegend=False,
                cliponaxis=False,
                name="set numbers",
            )
        )
    return unlabelled


def add_set_outline(fig: go.Figure, in_block: np.ndarray, layout: GridLayout) -> None:
    """Outline, in every tile, exactly the pixels that hold the selected set.

    Each rectangle runs along the pixel edges (±0.5 around the pixel
    centres), never wider: a margin would cross the one-pixel gap and land on
    the neighbouring tile when maps are tiny. Drawn as two NaN-separated line
    traces (black under yellow) that read on every set colour and on both
    themes; the axis ranges leave room so no line is cut at the mosaic's edge.
    """
    xs: list[float] = []
    ys: list[float] = []
    for top, left, bottom, right in set_rectangles(in_block, layout):
        x0, x1, y0, y1 = left - 0.5, right + 0.5, top - 0.5, bottom + 0.5
        xs += [x0, x1, x1, x0, x0, np.nan]
        ys += [y0, y0, y1, y1, y0, np.nan]
    if not xs:
        return
    x, y = float_payload(np.array(xs)), float_payload(np.array(ys))
    for colour, width, legend in black_under_yellow(5, 2):
        add_trace_data(
            fig,
            type="scatter",
            x=x,
            y=y,
            mode="lines",
            line=dict(color=colour, width=width),
            hoverinfo="skip",
            name="the selected set (outlined)",
            legendgroup="outline",
            legendrank=1001,
            showlegend=legend,
        )


def add_ring(fig: go.Figure, ring: tuple[int, int]) -> None:
    """A black-under-yellow circle around the selected element's pixel."""
    for colour, width, legend in black_under_yellow(5, 2.5):
        add_trace_data(
            fig,
            type="scatter",
            x=[ring[0]],
            y=[ring[1]],
            mode="markers",
            marker=dict(symbol="circle-open", size=19, color=colour, line=dict(width=width)),
            name="selected element",
            legendgroup="element",
            legendrank=1002,
            showlegend=legend,
            hoverinfo="skip",
            cliponaxis=False,
        )


def add_small_set_marks(
    fig: go.Figure, colours: GridColours, layout: GridLayout, text: TextSizes
) -> None:
    """A set of a pixel or two per tile (Method 1: one per map) vanished under its own
    outline: all grey tiles with pin-sized yellow marks, while the legend said blue. Such a
    set's pixels get a marker in the set's colour that reads at any size (larger with
    presenter text), so the figure shows what its legend names."""
    assert colours.in_block is not None
    tiles = layout.n_show * layout.c_show
    count = int(colours.in_block.sum())
    if count == 0 or count > 2 * tiles or colours.selected_id is None:
        return
    n, c, i, j = np.nonzero(colours.in_block)
    origins = np.array([layout.tile_origin(int(a), int(b)) for a, b in zip(n, c, strict=True)])
    colour = (
        colours.colours[1]
        if not colours.palette_mode
        else colours.colours[int(np.searchsorted(colours.visible, colours.selected_id))]
    )
    size = 12 if text.font <= NORMAL_TEXT.font else 20
    fig.add_trace(
        go.Scatter(
            x=float_payload(origins[:, 1] + j),
            y=float_payload(origins[:, 0] + i),
            mode="markers",
            marker=dict(
                symbol="square", size=size, color=colour, line=dict(color="#000000", width=1)
            ),
            name="the selected set's pixels",
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        )
    )


def add_grid_legend(fig: go.Figure, colours: GridColours) -> None:
    """Legend: what the colours mean."""
    if colours.palette_mode:
        for rank, set_id in enumerate(colours.visible.tolist()):
            label = f"set {set_id}" + (" (selected)" if set_id == colours.selected_id else "")
            add_legend_swatch(fig, label, colours.colours[rank])
        return
    if colours.selected_id is not None:
        add_legend_swatch(fig, f"set {colours.selected_id} (selected)", SET_HIGHLIGHT)
    others = colours.visible.size - int(colours.selected_id in colours.visible.tolist())
    add_legend_swatch(fig, f"other sets ({others:,} shown)", GREY)
