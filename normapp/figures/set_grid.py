"""The set grid: an N × C grid of H × W tiles, each pixel coloured by its reduction set.

Built in pure steps, each testable alone: where elements land
(:mod:`normapp.figures.grid_geometry`), each pixel's colour class, the notes
and where set numbers fit (:mod:`normapp.figures.grid_colours`); then the
traces here, the marks over them (:mod:`normapp.figures.grid_marks`) and the
axes; :func:`set_grid_figure` assembles them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import check_selected, small_uint
from normapp.figures._style import (
    NORMAL_TEXT,
    SIDE_HEIGHT,
    TextSizes,
    add_notes,
    apply_style,
    figure_title,
)
from normapp.figures.grid_colours import (
    GridColours,
    grid_colours,
    grid_notes,
    ring_position,
)
from normapp.figures.grid_geometry import (
    GridLayout,
    grid_layout,
    to_mosaic,
)
from normapp.figures.grid_marks import (
    add_grid_legend,
    add_ring,
    add_set_labels,
    add_set_outline,
    add_small_set_marks,
)
from normlib.typing import Element, Shape4

GRID_EDGE_PAD = 0.04  # room around the mosaic, as a fraction of its longer side
# Set numbers are placed where they fit at an assumed plot width (the grid
# sits in a half-width column, or in a narrow card when compact).
GRID_ASSUMED_WIDTH = 480
GRID_COMPACT_WIDTH = 300
UNLABELLED_NOTE = "set numbers where they fit; hover a pixel for its set"


def _discrete_colorscale(colours: Sequence[str]) -> list[list]:
    """A colorscale giving integer z = k (with zmin=-0.5, zmax=K-0.5) colour k."""
    k = len(colours)
    scale: list[list] = []
    for i, colour in enumerate(colours):
        scale.append([i / k, colour])
        scale.append([(i + 1) / k, colour])
    return scale


def _colour_trace(z: np.ndarray, colours: Sequence[str]) -> go.Heatmap:
    """The mosaic of colour classes as one heatmap."""
    return go.Heatmap(
        z=z,
        colorscale=_discrete_colorscale(colours),
        zmin=-0.5,
        zmax=len(colours) - 0.5,
        showscale=False,
        hoverinfo="skip",
        name="sets",
    )


def _points_trace(z: np.ndarray, tiles: np.ndarray, layout: GridLayout, gap_class: int):
    """The clickable, hoverable points: one per mosaic pixel (not per element).

    Invisible, each at its pixel's (x, y), carrying ``customdata`` = (n, c, h, w)
    and ``marker.color`` = set id. Plotly cannot select heatmap cells, so
    Streamlit's ``on_select`` would never fire for the heatmap alone.

    An SVG ``go.Scatter`` that draws one marker (``maxdisplayed=1``): Plotly finds
    the hovered or clicked point in its data, not in the page, so all points still
    hover and click exactly. Drawn in full, the default view's 6,144 points made a
    preset click take 2.2 s in Chromium; as ``go.Scattergl`` 1.0-1.2 s, because
    Streamlit mounts a changed chart afresh and WebGL then starts a new context on
    every click; one marker drawn, 0.8 s (median of 12 preset clicks, same run).
    """
    _, _, H, W = layout.shape
    rows, cols = np.nonzero(z != gap_class)
    nn, cc, hh, ww = np.meshgrid(
        np.arange(layout.n_show),
        np.arange(layout.c_show),
        np.arange(0, H, layout.stride_h),
        np.arange(0, W, layout.stride_w),
        indexing="ij",
    )
    coords = to_mosaic(np.stack([nn, cc, hh, ww], axis=-1), layout, 0)[rows, cols]
    point_ids = to_mosaic(tiles, layout, 0)[rows, cols]
    return go.Scatter(
        x=small_uint(cols),
        y=small_uint(rows),
        mode="markers",
        marker=dict(size=4, opacity=0, color=small_uint(point_ids), maxdisplayed=1),
        customdata=small_uint(coords),
        hovertemplate=(
            "n=%{customdata[0]}, c=%{customdata[1]}, h=%{customdata[2]}, "
            "w=%{customdata[3]}<br>set %{marker.color}<extra></extra>"
        ),
        selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
        showlegend=False,
        name="elements",
    )


def grid_ranges(layout: GridLayout) -> tuple[list[float], list[float]]:
    """x and y axis ranges (y reversed) with room around the mosaic.

    The room lets the outline and the ring at the mosaic's edge be drawn whole
    (about 12 px on a full-size grid, never under half a pixel).
    """
    pad = max(0.5, GRID_EDGE_PAD * max(layout.rows, layout.cols))
    return [-0.5 - pad, layout.cols - 0.5 + pad], [layout.rows - 0.5 + pad, -0.5 - pad]


def grid_margin(
    *, titled: bool, compact: bool, wide: bool, note_lines: int, line_px: int = 22
) -> dict:
    """Figure margins: room for the title, the legend above a wide mosaic, and the notes
    (`note_lines` lines of `line_px` each: presenter text needs taller lines)."""
    if compact:
        return dict(l=45, r=5, t=60 if titled else 30, b=5)
    top = (75 if titled else 40) + (60 if wide else 0)  # a wide mosaic: legend rows above it
    return dict(l=55, r=10, t=top, b=30 + line_px * note_lines)


def _note_line_px(text: TextSizes) -> int:
    """One footnote line's height: 22 px at the normal note size, more for presenter text."""
    return max(22, round(22 * text.note / NORMAL_TEXT.note))


def _cell_px(height: int, margin: dict, compact: bool, x_range, y_range) -> float:
    """Screen pixels per mosaic pixel at the assumed plot width."""
    plot_h = height - margin["t"] - margin["b"]
    plot_w = (GRID_COMPACT_WIDTH if compact else GRID_ASSUMED_WIDTH) - margin["l"]
    return min(plot_h / (y_range[0] - y_range[1]), plot_w / (x_range[1] - x_range[0]))


def _grid_axes(layout: GridLayout, x_range, y_range) -> dict:
    """Tile labels c=… on top and n=… on the left, square pixels, no zoom (layout data)."""
    xticks = [layout.tile_origin(0, c)[1] + (layout.tile_w - 1) / 2 for c in range(layout.c_show)]
    yticks = [layout.tile_origin(n, 0)[0] + (layout.tile_h - 1) / 2 for n in range(layout.n_show)]
    common = dict(showgrid=False, zeroline=False, ticks="", constrain="domain", fixedrange=True)
    return {
        "xaxis": dict(
            tickvals=xticks,
            ticktext=[f"c={c}" for c in range(layout.c_show)],
            side="top",
            range=x_range,
            **common,
        ),
        "yaxis": dict(
            tickvals=yticks,
            ticktext=[f"n={n}" for n in range(layout.n_show)],
            range=y_range,
            scaleanchor="x",
            scaleratio=1,
            **common,
        ),
    }


def _grid_legend_place(wide: bool) -> dict:
    if wide:
        return dict(orientation="h", x=0, y=1, yref="container", yanchor="top")
    return dict(x=1.02, y=1, xanchor="left", yanchor="top")


def _checked_ids(set_ids: np.ndarray) -> tuple[np.ndarray, Shape4]:
    """`set_ids` as an array and its shape, which must be 4-D (N, C, H, W) of integers."""
    ids = np.asarray(set_ids)
    shape = tuple(int(v) for v in ids.shape)
    if len(shape) != 4 or ids.dtype.kind not in "iu":
        raise ValueError(f"set_ids must be a 4-D integer array, got {ids.dtype} {ids.shape}")
    return ids, shape


def _mosaic_traces(
    z: np.ndarray, colours: GridColours, layout: GridLayout, compact: bool
) -> list[go.Heatmap | go.Scatter]:
    """The colour mosaic and, unless `compact`, the invisible points that hover and click."""
    traces: list[go.Heatmap | go.Scatter] = [_colour_trace(z, colours.colours)]
    if not compact:
        # A compact card is a picture to compare at a glance: one hover point per pixel
        # was three quarters of its bytes (six cards were 250 kB of the Compare page).
        traces.append(_points_trace(z, colours.tiles, layout, colours.gap_class))
    return traces


def _note_lines(notes: list[str]) -> int:
    """Lines the notes take. A note may hold a line break of its own ("…block,<br>shown by
    its top-left…"): counted as one line, the presenter's caption was cut off at the bottom."""
    return sum(1 + note.count("<br>") for note in notes)


def _add_selection(
    fig: go.Figure,
    colours: GridColours,
    layout: GridLayout,
    element: Element | None,
    text: TextSizes,
) -> None:
    """The selected set outlined (and marked where it is too small to see), its element ringed."""
    if colours.in_block is not None:
        add_set_outline(fig, colours.in_block, layout)
        add_small_set_marks(fig, colours, layout, text)
    ring = ring_position(layout, element)
    if ring is not None:
        add_ring(fig, ring)


def _grid_interaction(wide: bool, compact: bool) -> dict:
    """Layout for clicking pixels: no drag or zoom, a click selects, legend items do nothing."""
    return dict(
        legend=dict(**_grid_legend_place(wide), itemclick=False),
        showlegend=not compact,
        dragmode=False,
        clickmode="event+select",
        hovermode="closest",
    )


def set_grid_figure(
    set_ids: np.ndarray,
    *,
    selected: Element | None = None,
    max_tiles: int = 8,
    max_tile_px: int = 24,
    max_pixels: int | None = None,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
    compact: bool = False,
    labels: bool = True,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """The exact reduction-set view: an N × C grid of H × W tiles coloured by set id.

    Rows are samples n, columns channels c; each tile is one (n, c) feature map, each pixel
    coloured by its element's reduction set (a palette colour per set when few are visible,
    else the selected set ``SET_HIGHLIGHT`` and the rest ``GREY``: :class:`GridColours`). The
    selected set is outlined in every tile, the selected element ringed, and with few sets
    each set's number is written wherever it fits, so sets differ by more than colour.

    `set_ids` (N, C, H, W) come from :func:`normlib.set_ids`; `selected` (n, c, h, w) is the
    element whose set is highlighted. At most `max_tiles` samples and channels, `max_tile_px`
    pixels a tile side and `max_pixels` in all are drawn (:func:`grid_layout`). `compact`: a
    narrow card (Compare), no legend, notes or hover. `labels`: set numbers on the tiles
    (palette mode). `text`: sizes (``PRESENTER_TEXT`` for the presenter view).

    Trace 0: a ``go.Heatmap`` of the mosaic (x column, y row), z a colour class (uint8, gaps
    transparent). Trace 1 (not when `compact`): invisible ``go.Scatter`` points at the same
    (x, y) for hover and clicks; :func:`grid_point_to_element` maps a click back.
    """
    ids, shape = _checked_ids(set_ids)
    layout = grid_layout(shape, max_tiles=max_tiles, max_tile_px=max_tile_px, max_pixels=max_pixels)
    element = check_selected(selected, shape)
    colours = grid_colours(ids, layout, element)
    z = to_mosaic(colours.classes, layout, colours.gap_class)
    fig = go.Figure(_mosaic_traces(z, colours, layout, compact))
    notes = [] if compact else grid_notes(layout, colours, element)
    x_range, y_range = grid_ranges(layout)
    wide = layout.cols > 0.8 * layout.rows
    line_px = _note_line_px(text)
    margin = grid_margin(
        titled=title is not None,
        compact=compact,
        wide=wide,
        line_px=line_px,
        note_lines=_note_lines(notes),
    )
    if colours.palette_mode and labels:
        cell_px = _cell_px(height, margin, compact, x_range, y_range)
        if add_set_labels(fig, z, colours, layout, cell_px, text.label) and not compact:
            notes.append(UNLABELLED_NOTE)
            margin["b"] += line_px
    _add_selection(fig, colours, layout, element, text)
    add_grid_legend(fig, colours)
    own = {**_grid_axes(layout, x_range, y_range), **_grid_interaction(wide, compact)}
    apply_style(fig, height=height, margin=margin, text=text, layout=own)
    if title is not None:  # after the style: the title keeps figure_title's size
        fig.update_layout(title=figure_title(title))
    add_notes(fig, notes, size=text.note)
    return fig
