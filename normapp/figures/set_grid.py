"""The set grid: an N × C grid of H × W tiles, each pixel coloured by its reduction set.

Built in pure steps, each testable alone: :func:`grid_colours` (the colour
class of every shown pixel), :func:`grid_notes` (what the footnote says),
:func:`set_label_positions` (where set numbers fit), then traces and axes;
:func:`set_grid_figure` assembles them. Geometry lives in
:mod:`normapp.figures.grid_geometry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import check_selected, float_payload, small_uint
from normapp.figures._style import (
    GREY,
    LABEL_SIZE,
    NORMAL_TEXT,
    SET_HIGHLIGHT,
    SET_PALETTE,
    SIDE_HEIGHT,
    TRANSPARENT,
    TextSizes,
    add_legend_swatch,
    add_note,
    apply_style,
    black_under_yellow,
    figure_title,
    label_colour,
    mix,
    range_words,
)
from normapp.figures.grid_geometry import (
    GridLayout,
    block_any,
    grid_layout,
    set_rectangles,
    to_mosaic,
)
from normlib.typing import Element

GRID_EDGE_PAD = 0.04  # room around the mosaic, as a fraction of its longer side
# Set numbers are placed where they fit at an assumed plot width (the grid
# sits in a half-width column, or in a narrow card when compact).
GRID_ASSUMED_WIDTH = 480
GRID_COMPACT_WIDTH = 300
UNLABELLED_NOTE = "set numbers where they fit; hover a pixel for its set"


@dataclass(frozen=True)
class GridColours:
    """The colour class of every shown pixel and the colour of each class.

    Palette mode (at most ``len(SET_PALETTE)`` sets visible): class k is the
    k-th visible set. Grey mode: class 0 every other set, 1 the selected set.
    Then one class for downsampled blocks holding only part of the selected
    set, and a last, transparent class for the gaps between tiles.
    """

    tiles: np.ndarray  # (n_show, c_show, tile_h, tile_w): set id of each shown pixel
    classes: np.ndarray  # same shape, uint8 colour class
    colours: list[str]  # colour of each class
    visible: np.ndarray  # the set ids in the tiles, ascending
    palette_mode: bool
    selected_id: int | None
    in_block: np.ndarray | None  # per pixel: its block holds part of the selected set

    @property
    def partial_class(self) -> int:
        return len(self.colours) - 2

    @property
    def gap_class(self) -> int:
        return len(self.colours) - 1


def grid_colours(ids: np.ndarray, layout: GridLayout, element: Element | None) -> GridColours:
    """Colour classes of the tiles :func:`set_grid_figure` draws for `ids` (no Plotly)."""
    sh, sw = layout.stride_h, layout.stride_w
    shown = ids[: layout.n_show, : layout.c_show]
    tiles = shown[:, :, ::sh, ::sw]
    visible = np.unique(tiles)
    palette_mode = visible.size <= len(SET_PALETTE)
    selected_id = int(ids[element]) if element is not None else None
    if palette_mode:
        classes = np.searchsorted(visible, tiles).astype(np.uint8)
        colours = list(SET_PALETTE[: visible.size])
        selected_colour = (
            colours[int(np.searchsorted(visible, selected_id))]
            if selected_id is not None and selected_id in visible
            else SET_HIGHLIGHT
        )
    else:
        classes = (tiles == selected_id).astype(np.uint8)
        colours = [GREY, SET_HIGHLIGHT]
        selected_colour = SET_HIGHLIGHT
    in_block = None
    if element is not None:
        in_block = block_any(shown == selected_id, sh, sw)
        classes[in_block & (tiles != selected_id)] = len(colours)  # the partial class
    colours += [mix(selected_colour, "#FFFFFF", 0.5), TRANSPARENT]
    return GridColours(tiles, classes, colours, visible, palette_mode, selected_id, in_block)


def ring_position(layout: GridLayout, element: Element | None) -> tuple[int, int] | None:
    """Mosaic (x, y) of the selected element's pixel, or None when its tile is not shown."""
    if element is None:
        return None
    n, c, h, w = element
    if not (n < layout.n_show and c < layout.c_show):
        return None
    r0, c0 = layout.tile_origin(n, c)
    return c0 + w // layout.stride_w, r0 + h // layout.stride_h


def grid_notes(layout: GridLayout, colours: GridColours, element: Element | None) -> list[str]:
    """The footnote lines: what is not shown, downsampling, and how to read the colours."""
    N, C, H, W = layout.shape
    notes = []
    if layout.n_show < N or layout.c_show < C:
        notes.append(
            f"showing {range_words(layout.n_show, N, 'n')}, {range_words(layout.c_show, C, 'c')}"
        )
    if layout.downsampled:
        notes.append(
            f"{H}×{W} maps downsampled: each pixel is a {layout.stride_h}×{layout.stride_w} "
            "block,<br>shown by its top-left element"
        )
    if element is not None:
        if (colours.classes == colours.partial_class).any():
            notes.append("lighter pixels: blocks holding only part of the set")
        if ring_position(layout, element) is None:
            n, c, h, w = element
            notes.append(f"the selected element ({n}, {c}, {h}, {w}) lies outside the tiles shown")
    if not colours.palette_mode and colours.selected_id is None:
        notes.append(f"{colours.visible.size:,} sets: select an element to see its set")
    return notes


def set_label_positions(
    tiles: np.ndarray,
    classes: np.ndarray,
    colours: Sequence[str],
    layout: GridLayout,
    cell_px: float,
    size: int = LABEL_SIZE,
) -> tuple[list[float], list[float], list[str], list[str], int]:
    """Where each set's number fits: (x, y, text, ink) per label and the sets left without one.

    One label per set and tile, at the centre of the set's rectangle there
    (`classes` is the mosaic of colour classes), in black or white for
    contrast with the fill; a number is written only where its rectangle is
    tall and wide enough at `cell_px` screen pixels per mosaic pixel.
    """
    xs, ys, texts, inks = [], [], [], []
    labelled: set[int] = set()
    for set_id in np.unique(tiles).tolist():
        text = str(set_id)
        need_w = 0.62 * size * len(text) + 6
        for top, left, bottom, right in set_rectangles(tiles == set_id, layout):
            if (bottom - top + 1) * cell_px < size + 5:
                continue
            if (right - left + 1) * cell_px < need_w:
                continue
            under = classes[top : bottom + 1, left : right + 1]
            fills = [colours[k] for k in np.unique(under).tolist()]
            xs.append((left + right) / 2)
            ys.append((top + bottom) / 2)
            texts.append(text)
            inks.append(label_colour(fills))
            labelled.add(set_id)
    return xs, ys, texts, inks, int(np.unique(tiles).size - len(labelled))


def _add_set_labels(
    fig: go.Figure,
    tiles: np.ndarray,
    classes: np.ndarray,
    colours: Sequence[str],
    layout: GridLayout,
    cell_px: float,
    size: int = LABEL_SIZE,
) -> int:
    """Write each set's number on its pixels, wherever the number fits.

    The non-colour cue: sets told apart by number, not only by colour, so a
    colour-blind reader can match tiles with each other and with the legend.
    Returns how many sets visible in the tiles got no label anywhere.
    """
    xs, ys, texts, inks, unlabelled = set_label_positions(
        tiles, classes, colours, layout, cell_px, size
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
    """The clickable, hoverable points: one per mosaic pixel (not per element)."""
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
    return go.Scattergl(
        x=small_uint(cols),
        y=small_uint(rows),
        mode="markers",
        marker=dict(size=4, opacity=0, color=small_uint(point_ids)),
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


def _add_set_outline(fig: go.Figure, in_block: np.ndarray, layout: GridLayout) -> None:
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
        fig.add_trace(
            go.Scatter(
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
        )


def _add_ring(fig: go.Figure, ring: tuple[int, int]) -> None:
    """A black-under-yellow circle around the selected element's pixel."""
    for colour, width, legend in black_under_yellow(5, 2.5):
        fig.add_trace(
            go.Scatter(
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
        )


def _add_small_set_marks(
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


def _add_grid_legend(fig: go.Figure, colours: GridColours) -> None:
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


def _grid_axes(fig: go.Figure, layout: GridLayout, x_range, y_range) -> None:
    """Tile labels c=… on top and n=… on the left, square pixels, no zoom."""
    xticks = [layout.tile_origin(0, c)[1] + (layout.tile_w - 1) / 2 for c in range(layout.c_show)]
    yticks = [layout.tile_origin(n, 0)[0] + (layout.tile_h - 1) / 2 for n in range(layout.n_show)]
    common = dict(showgrid=False, zeroline=False)
    fig.update_xaxes(
        tickvals=xticks,
        ticktext=[f"c={c}" for c in range(layout.c_show)],
        **common,
        side="top",
        ticks="",
        range=x_range,
        constrain="domain",
        fixedrange=True,
    )
    fig.update_yaxes(
        tickvals=yticks,
        ticktext=[f"n={n}" for n in range(layout.n_show)],
        **common,
        ticks="",
        range=y_range,
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
        fixedrange=True,
    )


def _grid_legend_place(wide: bool) -> dict:
    if wide:
        return dict(orientation="h", x=0, y=1, yref="container", yanchor="top")
    return dict(x=1.02, y=1, xanchor="left", yanchor="top")


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

    Rows are samples n, columns channels c; each tile is one (n, c) feature
    map and each pixel is coloured by the reduction set of its element.
    With at most ``len(SET_PALETTE)`` distinct sets visible every set gets
    its palette colour; with more, the selected set is drawn in
    ``SET_HIGHLIGHT`` and the rest in ``GREY``. The selected set is also
    outlined (black under yellow) in every tile, and the selected element
    ringed. With few sets (palette colours), each set's number is also
    written on its pixels wherever it fits, so sets differ by more than colour.

    Parameters
    ----------
    set_ids : ndarray of int, shape (N, C, H, W)
        From :func:`normlib.set_ids`.
    selected : (n, c, h, w), optional
        The element whose set is highlighted.
    max_tiles : int
        Show at most this many samples and channels (the first ones).
    max_tile_px : int
        Downsample (every k-th pixel) tiles larger than this.
    max_pixels : int, optional
        Pixel budget of the whole mosaic (see :func:`grid_layout`).
    title : str, optional
    height : int
        Figure height in pixels.
    compact : bool
        For a narrow card (the Compare page): no legend, no footnotes, small
        margins, no hover. The page must say once what the legend and notes said.
    labels : bool
        Write set numbers on the tiles (palette mode only).
    text : TextSizes
        Text sizes (``PRESENTER_TEXT`` for the presenter view).

    Returns
    -------
    go.Figure
        Trace 0 is one ``go.Heatmap`` over the mosaic (x = mosaic column,
        y = mosaic row) whose z is a colour class (uint8; the gaps between
        tiles are a transparent class). Trace 1 is a ``go.Scattergl`` of
        invisible points, one per mosaic pixel at the same (x, y), carrying
        ``customdata`` = (n, c, h, w) and ``marker.color`` = set id: it gives
        the hover and makes clicks selectable, because Plotly cannot select
        heatmap cells, so Streamlit's ``on_select`` would never fire for a
        heatmap alone. Map a clicked (x, y) back with
        :func:`grid_point_to_element`. A `compact` grid has no such trace: no
        hover, no selection.
    """
    ids = np.asarray(set_ids)
    shape = tuple(int(v) for v in ids.shape)
    if len(shape) != 4 or ids.dtype.kind not in "iu":
        raise ValueError(f"set_ids must be a 4-D integer array, got {ids.dtype} {ids.shape}")
    layout = grid_layout(shape, max_tiles=max_tiles, max_tile_px=max_tile_px, max_pixels=max_pixels)
    element = check_selected(selected, shape)
    colours = grid_colours(ids, layout, element)
    z = to_mosaic(colours.classes, layout, colours.gap_class)
    fig = go.Figure(_colour_trace(z, colours.colours))
    if not compact:
        # A compact card is a picture to compare at a glance: one hover point per pixel
        # was three quarters of its bytes (six cards were 250 kB of the Compare page).
        fig.add_trace(_points_trace(z, colours.tiles, layout, colours.gap_class))

    notes = [] if compact else grid_notes(layout, colours, element)
    x_range, y_range = grid_ranges(layout)
    wide = layout.cols > 0.8 * layout.rows
    line_px = _note_line_px(text)
    margin = grid_margin(
        titled=title is not None,
        compact=compact,
        wide=wide,
        # A note may hold a line break of its own ("…block,<br>shown by its top-left…"):
        # counted as one line, the presenter's caption was cut off at the figure's bottom.
        note_lines=sum(1 + note.count("<br>") for note in notes),
        line_px=line_px,
    )
    if colours.palette_mode and labels:
        cell_px = _cell_px(height, margin, compact, x_range, y_range)
        unlabelled = _add_set_labels(
            fig, colours.tiles, z, colours.colours, layout, cell_px, text.label
        )
        if unlabelled and not compact:
            notes.append(UNLABELLED_NOTE)
            margin["b"] += line_px
    if colours.in_block is not None:
        _add_set_outline(fig, colours.in_block, layout)
        _add_small_set_marks(fig, colours, layout, text)
    ring = ring_position(layout, element)
    if ring is not None:
        _add_ring(fig, ring)
    _add_grid_legend(fig, colours)
    _grid_axes(fig, layout, x_range, y_range)
    apply_style(fig, height=height, margin=margin, text=text)
    fig.update_layout(
        title=figure_title(title),
        legend=dict(**_grid_legend_place(wide), itemclick=False),
        showlegend=not compact,
        dragmode=False,
        clickmode="event+select",
        hovermode="closest",
    )
    if notes:
        add_note(fig, "<br>".join(notes), size=text.note)
    return fig
