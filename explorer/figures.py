"""Plotly figures for the Explorer: pure functions from arrays to ``go.Figure``.

No Streamlit here. Every figure

- carries pre-binned or downsampled data only, never one point per element of a
  big tensor (no ``go.Histogram``: counts come from :func:`normlib.histograms`
  and are drawn as ``go.Bar``); NumPy arrays are handed to Plotly in small
  dtypes, which Plotly serializes as compact base64 typed arrays;
- reads on a 1280×720 projector (font 15 px, heights of 380–460 px for the
  figures that sit beside another one) and in Streamlit's light and dark themes:
  transparent backgrounds and no hard-coded text colour, so Streamlit's Plotly
  theme supplies them;
- uses colour-blind-safe colours:

  ``BEFORE_COLOUR`` / ``AFTER_COLOUR``
      Okabe–Ito orange ``#E69F00`` and sky blue ``#56B4E9``: the classic
      colour-blind-safe orange/blue pair, used for "before" and "after"
      everywhere in the app. The sky blue (rather than Okabe–Ito's dark blue
      ``#0072B2``) keeps the "after" bars visible on the dark theme's
      near-black background.
  ``SET_PALETTE``
      Paul Tol's "muted" qualitative scheme (9 colours), reordered so that the
      first four are mid-luminance and read on both white and near-black
      backgrounds; the darkest (wine, indigo) come last.
  ``SET_HIGHLIGHT`` / ``GREY``
      When more sets are visible than the palette has colours, the selected
      set is drawn in ``SET_HIGHLIGHT`` (a blue like the shading of the GN
      paper's figure 2, Tol's ``#4477AA``) and every other set in ``GREY``;
      the two differ strongly in lightness, so they stay apart under every
      kind of colour-vision deficiency.

Downsampling rules (each figure says in an annotation when it applied them):

- the set grid shows at most ``max_tiles`` samples × ``max_tiles`` channels
  and takes every k-th row and column of a tile (nearest / stride) so that a
  tile is at most ``max_tile_px`` pixels a side and the per-pixel data fit in
  :data:`GRID_PAYLOAD_BYTES`; the pixel (i, j) of a tile *is* element
  (i·k, j·k), so a click maps back exactly (:func:`grid_point_to_element`),
  while the selected set is highlighted in every block that holds part of it;
- feature maps are block-averaged (area downsampling) to at most ``max_px``;
- difference maps keep, per block, the value of largest magnitude, so the
  largest |Δ| is never averaged away;
- statistics heatmaps take every k-th row / column, keeping the true indices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import normlib

__all__ = [
    "AFTER_COLOUR",
    "BEFORE_COLOUR",
    "GREY",
    "GRID_PAYLOAD_BYTES",
    "SET_HIGHLIGHT",
    "SET_PALETTE",
    "PLOTLY_TEXT_CSS",
    "THEME_COLOURS",
    "compact_grid",
    "contrast_ratio",
    "cube_figure",
    "difference_heatmap_figure",
    "feature_maps_figure",
    "figure_bytes",
    "grid_point_to_element",
    "histogram_figure",
    "histogram_grid_figure",
    "map_figure",
    "range_words",
    "running_stats_figure",
    "set_grid_figure",
    "stats_bar_figure",
    "stats_heatmap_figure",
    "themed",
]

BEFORE_COLOUR = "#E69F00"  # Okabe–Ito orange
AFTER_COLOUR = "#56B4E9"  # Okabe–Ito sky blue
SET_PALETTE: tuple[str, ...] = (
    "#CC6677",  # rose
    "#44AA99",  # teal
    "#AA4499",  # purple
    "#999933",  # olive
    "#88CCEE",  # cyan
    "#117733",  # green
    "#DDCC77",  # sand
    "#882255",  # wine
    "#332288",  # indigo
)
SET_HIGHLIGHT = "#4477AA"  # the selected set when the palette runs out; the cube's shading
GREY = "#BBBBBB"  # every other set
MARKER_FILL = "#F0E442"  # Okabe–Ito yellow: the selected element, outlined in black
MARKER_LINE = "#000000"
LATTICE = "#8C8C8C"  # mid grey: visible on white and on near-black
GRID_PAYLOAD_BYTES = 140_000  # raw bytes of per-pixel data in the set grid (< 300 kB as JSON)
MIN_TILE_PX = 4
GRID_EDGE_PAD = 0.04  # room around the mosaic, as a fraction of its longer side
# Set numbers are placed where they fit at an assumed plot width (the grid
# sits in a half-width column, or in a narrow card when compact).
GRID_ASSUMED_WIDTH = 480
GRID_COMPACT_WIDTH = 300

FONT_SIZE = 15  # tick labels, legend, hover: readable from the back of a room
TITLE_SIZE = 16  # axis, colour-bar and panel titles
FIGURE_TITLE_SIZE = 18
NOTE_SIZE = 14  # footnotes below a plot: the smallest text in any figure
LABEL_SIZE = 15  # set numbers written on the set grid's tiles
MAP_X_TITLE = "w (column) →"
MAP_Y_TITLE = "h (row) ↓"
SIDE_HEIGHT = 440  # a figure that shares the screen width with another one
TRANSPARENT = "rgba(0,0,0,0)"
_MARGIN = dict(l=60, r=20, t=50, b=60)


# --------------------------------------------------------------------- common
def figure_bytes(fig: go.Figure) -> int:
    """Size of the figure's JSON, roughly what Streamlit sends to the browser.

    Parameters
    ----------
    fig : go.Figure

    Returns
    -------
    int
        ``len(fig.to_json())``.
    """
    return len(fig.to_json())


def _style(fig: go.Figure, *, height: int = SIDE_HEIGHT, margin: dict | None = None) -> go.Figure:
    """The look every figure shares: transparent, projector-sized text, fixed height.

    Streamlit's Plotly theme puts 12–14 px tick, axis-title, legend and
    hover fonts into ``layout.template``; sizes set on the figure itself win,
    so they are set here on every axis, colour bar, 3-D scene and annotation
    (tick labels >= FONT_SIZE, titles >= TITLE_SIZE, notes >= NOTE_SIZE).
    Text colours are left to the theme: no single colour reads on both
    Streamlit backgrounds (see :func:`themed`).
    """
    fig.update_layout(
        height=height,
        margin=margin or _MARGIN,
        font=dict(size=FONT_SIZE),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        hoverlabel=dict(font=dict(size=FONT_SIZE)),
        legend=dict(font=dict(size=FONT_SIZE)),
    )
    axis_fonts = dict(tickfont=dict(size=FONT_SIZE), title_font=dict(size=TITLE_SIZE))
    fig.update_xaxes(**axis_fonts)
    fig.update_yaxes(**axis_fonts)
    scene_ticks = dict(tickfont=dict(size=FONT_SIZE))  # the cube sets its own axis titles
    fig.update_scenes(xaxis=scene_ticks, yaxis=scene_ticks, zaxis=scene_ticks)
    bar_fonts = dict(tickfont=dict(size=FONT_SIZE), title=dict(font=dict(size=TITLE_SIZE)))
    fig.update_coloraxes(colorbar=bar_fonts)
    fig.update_traces(
        colorbar=bar_fonts, selector=lambda t: t.type == "heatmap" and t.showscale is not False
    )
    for annotation in fig.layout.annotations:
        if annotation.font.size is None or annotation.font.size < NOTE_SIZE:
            annotation.font.size = NOTE_SIZE
    if fig.layout.title.text is not None:
        fig.layout.title.font.size = max(fig.layout.title.font.size or 0, FIGURE_TITLE_SIZE)
    return fig


# Streamlit's own body-text and background colours per theme. Figures are
# transparent and leave text colours to Streamlit's chart theme, which paints
# Plotly text #808495 on the light background (3.7:1, below WCAG AA's 4.5:1).
# No single colour passes on both backgrounds (it would need a relative
# luminance <= 0.183 for white and >= 0.200 for #0e1117), so either the app
# injects PLOTLY_TEXT_CSS (text in the page's text colour, follows theme
# switches live) or a page that knows the theme passes a figure through themed().
THEME_COLOURS: dict[str, tuple[str, str]] = {
    "light": ("#31333F", "#FFFFFF"),  # (text, background)
    "dark": ("#FAFAFA", "#0E1117"),
}
PLOTLY_TEXT_CSS = """<style>
/* Plotly chart text in the page's own text colour (Streamlit's chart theme
   uses #808495 on white: 3.7:1). Numbers written on coloured tiles keep
   their own black or white. The 3-D cube draws its text in WebGL, which CSS
   cannot reach. */
.stPlotlyChart .main-svg text:not(.textpoint > text) { fill: currentColor !important; }
</style>"""


def themed(fig: go.Figure, theme: str | None) -> go.Figure:
    """A copy of `fig` with every theme-dependent text colour set for `theme`.

    Parameters
    ----------
    fig : go.Figure
        Any figure of this module.
    theme : "light", "dark" or None
        E.g. ``st.context.theme.type``; None returns `fig` unchanged.

    Returns
    -------
    go.Figure
        Titles, ticks, axis and colour-bar titles, legend, notes, 3-D scene
        axes and hover labels in the theme's text colour on its background.
        Text that already has a colour of its own (set numbers on tiles) keeps it.
    """
    if theme is None:
        return fig
    if theme not in THEME_COLOURS:
        raise ValueError(f"theme must be 'light', 'dark' or None, got {theme!r}")
    ink, paper = THEME_COLOURS[theme]
    out = go.Figure(fig)
    out.update_layout(
        font_color=ink,
        title_font_color=ink,
        legend_font_color=ink,
        hoverlabel=dict(bgcolor=paper, bordercolor=ink, font_color=ink),
    )
    axis = dict(tickfont_color=ink, title_font_color=ink)
    out.update_xaxes(**axis)
    out.update_yaxes(**axis)
    scene_axis = dict(tickfont=dict(color=ink), title=dict(font=dict(color=ink)))
    out.update_scenes(xaxis=scene_axis, yaxis=scene_axis, zaxis=scene_axis)
    bar = dict(tickfont=dict(color=ink), title=dict(font=dict(color=ink)))
    out.update_coloraxes(colorbar=bar)
    out.update_traces(colorbar=bar, selector=dict(type="heatmap"))
    for annotation in out.layout.annotations:
        if annotation.font.color is None:
            annotation.font.color = ink
    return out


def _title(text: str | None) -> dict | None:
    if text is None:
        return None
    return dict(text=text, font=dict(size=FIGURE_TITLE_SIZE), x=0.01, xanchor="left")


def _note(
    fig: go.Figure, text: str, *, y: float = -0.02, yanchor: str = "top", yshift: float = 0
) -> None:
    """A small explanatory line below the plotting area (theme text colour)."""
    fig.add_annotation(
        yshift=yshift,
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=y,
        xanchor="left",
        yanchor=yanchor,
        showarrow=False,
        align="left",
        font=dict(size=NOTE_SIZE),
    )


def range_words(
    count: int, total: int, singular: str = "", plural: str | None = None, *, start: int = 0
) -> str:
    """`count` consecutive indices from `start`, of `total`, in words.

    One index is named alone (never "0–0"); the noun takes its plural for a range.

    Examples
    --------
    >>> range_words(1, 3, "channel", "channels")
    'channel 0 of 3'
    >>> range_words(4, 8, "channel", "channels")
    'channels 0–3 of 8'
    >>> range_words(8, 64, "n", start=33)
    'n 33–40 of 64'
    """
    plural = singular if plural is None else plural
    words = f"{plural} {start}–{start + count - 1}" if count > 1 else f"{singular} {start}"
    return f"{words.strip()} of {total}"


def _stride(size: int, cap: int) -> int:
    """Smallest step k with ceil(size / k) <= cap."""
    return max(1, math.ceil(size / max(1, cap)))


def _small_uint(array: np.ndarray) -> np.ndarray:
    """`array` (non-negative integers) in the smallest unsigned dtype that holds it."""
    top = int(array.max()) if array.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return array.astype(dtype, copy=False)
    return array.astype(np.float64)


def _float_payload(values: np.ndarray) -> np.ndarray:
    """Float32 for the browser (half the bytes of float64; 7 significant digits)."""
    return np.asarray(values, dtype=np.float32)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _rgba(colour: str, alpha: float) -> str:
    """A #rrggbb colour as rgba() with the given alpha."""
    r, g, b = _hex_to_rgb(colour)
    return f"rgba({r},{g},{b},{alpha})"


def _mix(colour: str, other: str, t: float) -> str:
    """`colour` moved a fraction `t` of the way towards `other` (as #rrggbb)."""
    a, b = _hex_to_rgb(colour), _hex_to_rgb(other)
    mixed = [round(x + (y - x) * t) for x, y in zip(a, b, strict=True)]
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _legend_swatch(fig: go.Figure, name: str, colour: str, *, symbol: str = "square") -> None:
    """A legend-only entry (no data points)."""
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=name,
            marker=dict(
                color=colour, symbol=symbol, size=15, line=dict(color=MARKER_LINE, width=1)
            ),
            hoverinfo="skip",
            showlegend=True,
        )
    )


# --------------------------------------------------------------- set grid
@dataclass(frozen=True)
class GridLayout:
    """Where each element of an (N, C, H, W) tensor lands in the set-grid mosaic.

    The mosaic is ``n_show`` tile rows (samples) by ``c_show`` tile columns
    (channels); tile pixel (i, j) is element (i·stride_h, j·stride_w); tiles
    are separated by ``gap`` empty pixels.
    """

    shape: tuple[int, int, int, int]
    n_show: int
    c_show: int
    stride_h: int
    stride_w: int
    tile_h: int
    tile_w: int
    gap: int

    @property
    def rows(self) -> int:
        return self.n_show * self.tile_h + (self.n_show - 1) * self.gap

    @property
    def cols(self) -> int:
        return self.c_show * self.tile_w + (self.c_show - 1) * self.gap

    @property
    def downsampled(self) -> bool:
        return self.stride_h > 1 or self.stride_w > 1

    def tile_origin(self, n: int, c: int) -> tuple[int, int]:
        """Mosaic (row, column) of the top-left pixel of tile (n, c)."""
        return n * (self.tile_h + self.gap), c * (self.tile_w + self.gap)


def _uint_bytes(top: int) -> int:
    """Bytes of the smallest unsigned dtype holding 0..top (8: float64 fallback)."""
    for size, dtype in ((1, np.uint8), (2, np.uint16), (4, np.uint32)):
        if top <= np.iinfo(dtype).max:
            return size
    return 8


def _grid_bytes_per_pixel(shape: tuple[int, int, int, int], max_tiles: int) -> int:
    """Payload bytes per mosaic pixel, from the shape alone (an upper bound).

    Heatmap colour class (1) + clickable point x, y (2 × 2) + customdata
    (n, c, h, w) + set id (bounded by the element count).
    """
    n, c, h, w = shape
    coords = _uint_bytes(max(h, w, min(max(n, c), max_tiles)) - 1)
    ids = _uint_bytes(n * c * h * w - 1)
    return 1 + 4 + 4 * coords + ids


def grid_layout(
    shape: tuple[int, ...],
    *,
    max_tiles: int = 8,
    max_tile_px: int = 24,
    max_pixels: int | None = None,
) -> GridLayout:
    """The mosaic layout :func:`set_grid_figure` uses for `shape`.

    Parameters
    ----------
    shape : tuple of int
        (N, C, H, W).
    max_tiles : int
        At most this many samples (tile rows) and channels (tile columns).
    max_tile_px : int
        At most this many pixels per tile side.
    max_pixels : int, optional
        At most about this many pixels in the whole mosaic; with many tiles
        the tiles shrink below `max_tile_px` (never below 4 pixels). Default:
        as many as fit in :data:`GRID_PAYLOAD_BYTES` for this shape.

    Returns
    -------
    GridLayout

    Examples
    --------
    >>> g = grid_layout((8, 3, 32, 32))
    >>> g.n_show, g.c_show, g.stride_h, g.tile_h, g.rows, g.cols
    (8, 3, 2, 16, 135, 50)
    """
    n, c, h, w = (int(v) for v in shape)
    if min(n, c, h, w) < 1:
        raise ValueError(f"shape must be 4 positive sizes (N, C, H, W), got {shape}")
    if max_pixels is None:
        max_pixels = GRID_PAYLOAD_BYTES // _grid_bytes_per_pixel((n, c, h, w), max_tiles)
    n_show, c_show = min(n, max_tiles), min(c, max_tiles)
    by_budget = math.isqrt(max(1, max_pixels // (n_show * c_show)))
    cap = max(1, min(max_tile_px, max(MIN_TILE_PX, by_budget)))
    stride_h, stride_w = _stride(h, cap), _stride(w, cap)
    return GridLayout(
        shape=(n, c, h, w),
        n_show=n_show,
        c_show=c_show,
        stride_h=stride_h,
        stride_w=stride_w,
        tile_h=math.ceil(h / stride_h),
        tile_w=math.ceil(w / stride_w),
        gap=1,
    )


def grid_point_to_element(
    x: float,
    y: float,
    shape: tuple[int, ...],
    *,
    max_tiles: int = 8,
    max_tile_px: int = 24,
    max_pixels: int | None = None,
) -> tuple[int, int, int, int] | None:
    """Map a clicked point of :func:`set_grid_figure` back to its element (n, c, h, w).

    Parameters
    ----------
    x, y : float
        The clicked point's x (mosaic column) and y (mosaic row), as
        Streamlit's ``on_select`` returns them (``points[0]["x"]``, ``["y"]``).
    shape : tuple of int
        (N, C, H, W) of the tensor the grid was drawn for.
    max_tiles, max_tile_px, max_pixels
        The same values that were passed to :func:`set_grid_figure`.

    Returns
    -------
    tuple of int or None
        The element that pixel shows (with downsampling, the top-left
        element of the pixel's block), or None for a gap between tiles or a
        point outside the mosaic.

    Examples
    --------
    >>> grid_point_to_element(17, 0, (8, 3, 32, 32))  # 2nd tile column, stride 2
    (0, 1, 0, 0)
    >>> grid_point_to_element(16, 0, (8, 3, 32, 32)) is None  # the gap
    True
    """
    try:
        col, row = round(float(x)), round(float(y))
    except (TypeError, ValueError, OverflowError):
        return None
    layout = grid_layout(shape, max_tiles=max_tiles, max_tile_px=max_tile_px, max_pixels=max_pixels)
    if not (0 <= row < layout.rows and 0 <= col < layout.cols):
        return None
    n, i = divmod(row, layout.tile_h + layout.gap)
    c, j = divmod(col, layout.tile_w + layout.gap)
    if i >= layout.tile_h or j >= layout.tile_w:
        return None
    return int(n), int(c), int(i * layout.stride_h), int(j * layout.stride_w)


def _check_selected(
    selected: Sequence[int] | None, shape: tuple[int, int, int, int]
) -> tuple[int, int, int, int] | None:
    if selected is None:
        return None
    element = tuple(int(v) for v in selected)
    if len(element) != 4 or not all(0 <= v < s for v, s in zip(element, shape, strict=True)):
        raise ValueError(f"selected must be (n, c, h, w) inside the shape {shape}, got {selected}")
    return element  # type: ignore[return-value]


def _block_any(mask: np.ndarray, stride_h: int, stride_w: int) -> np.ndarray:
    """OR over stride_h × stride_w blocks of the last two axes (edge blocks may be smaller)."""
    if stride_h > 1:
        mask = np.logical_or.reduceat(mask, np.arange(0, mask.shape[-2], stride_h), axis=-2)
    if stride_w > 1:
        mask = np.logical_or.reduceat(mask, np.arange(0, mask.shape[-1], stride_w), axis=-1)
    return mask


def _set_rectangles(in_block: np.ndarray, layout: GridLayout) -> list[tuple[int, int, int, int]]:
    """Per tile, the mosaic rectangle (top, left, bottom, right; inclusive pixels) of a mask.

    A set is an outer product of per-axis index sets (each axis: all of it or
    one index), so within one tile its pixels always form one rectangle (the
    whole tile, a row, a column, a pixel); taking every k-th row and column or
    OR-ing over blocks keeps that product form.
    """
    boxes = []
    for n in range(layout.n_show):
        for c in range(layout.c_show):
            mask = in_block[n, c]
            rows = np.flatnonzero(mask.any(axis=1))
            cols = np.flatnonzero(mask.any(axis=0))
            if rows.size == 0:
                continue
            r0, c0 = layout.tile_origin(n, c)
            boxes.append((r0 + rows[0], c0 + cols[0], r0 + rows[-1], c0 + cols[-1]))
    return boxes


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
    for top, left, bottom, right in _set_rectangles(in_block, layout):
        x0, x1, y0, y1 = left - 0.5, right + 0.5, top - 0.5, bottom + 0.5
        xs += [x0, x1, x1, x0, x0, np.nan]
        ys += [y0, y0, y1, y1, y0, np.nan]
    if not xs:
        return
    x, y = _float_payload(np.array(xs)), _float_payload(np.array(ys))
    for colour, width, legend in ((MARKER_LINE, 5, False), (MARKER_FILL, 2, True)):
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


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = []
    for value in _hex_to_rgb(colour):
        v = value / 255
        channels.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two #rrggbb colours.

    Examples
    --------
    >>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
    21.0
    """
    a, b = _relative_luminance(foreground), _relative_luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _label_colour(fills: Sequence[str]) -> str:
    """Black or white: whichever keeps the higher contrast on every one of `fills`."""
    return max(("#000000", "#FFFFFF"), key=lambda ink: min(contrast_ratio(ink, f) for f in fills))


def _add_set_labels(
    fig: go.Figure,
    tiles: np.ndarray,
    classes: np.ndarray,
    colours: Sequence[str],
    layout: GridLayout,
    cell_px: float,
) -> int:
    """Write each set's number on its pixels, wherever the number fits.

    The non-colour cue: sets told apart by number, not only by colour, so a
    colour-blind reader can match tiles with each other and with the legend.
    One label per set and tile, at the centre of the set's rectangle there,
    in black or white for contrast with the fill. Returns how many sets
    visible in the tiles got no label anywhere (too small to write in).
    """
    xs, ys, texts, inks = [], [], [], []
    labelled: set[int] = set()
    for set_id in np.unique(tiles).tolist():
        mask = tiles == set_id
        text = str(set_id)
        need_w = 0.62 * LABEL_SIZE * len(text) + 6
        for top, left, bottom, right in _set_rectangles(mask, layout):
            if (bottom - top + 1) * cell_px < LABEL_SIZE + 5:
                continue
            if (right - left + 1) * cell_px < need_w:
                continue
            z_rows = slice(top, bottom + 1)
            z_cols = slice(left, right + 1)
            fills = [colours[k] for k in np.unique(classes[z_rows, z_cols]).tolist()]
            xs.append((left + right) / 2)
            ys.append((top + bottom) / 2)
            texts.append(text)
            inks.append(_label_colour(fills))
            labelled.add(set_id)
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="text",
                text=texts,
                textposition="middle center",
                textfont=dict(size=LABEL_SIZE, color=inks),
                hoverinfo="skip",
                showlegend=False,
                cliponaxis=False,
                name="set numbers",
            )
        )
    return int(np.unique(tiles).size - len(labelled))


def _to_mosaic(tiles: np.ndarray, layout: GridLayout, fill) -> np.ndarray:
    """(n_show, c_show, tile_h, tile_w, ...) tiles -> (rows, cols, ...) mosaic with gaps."""
    extra = tiles.shape[4:]
    mosaic = np.full((layout.rows, layout.cols, *extra), fill, dtype=tiles.dtype)
    for n in range(layout.n_show):
        for c in range(layout.c_show):
            r0, c0 = layout.tile_origin(n, c)
            mosaic[r0 : r0 + layout.tile_h, c0 : c0 + layout.tile_w] = tiles[n, c]
    return mosaic


def _discrete_colorscale(colours: Sequence[str]) -> list[list]:
    """A colorscale giving integer z = k (with zmin=-0.5, zmax=K-0.5) colour k."""
    k = len(colours)
    scale: list[list] = []
    for i, colour in enumerate(colours):
        scale.append([i / k, colour])
        scale.append([(i + 1) / k, colour])
    return scale


def set_grid_figure(
    set_ids: np.ndarray,
    *,
    selected: tuple[int, int, int, int] | None = None,
    max_tiles: int = 8,
    max_tile_px: int = 24,
    max_pixels: int | None = None,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
    compact: bool = False,
    labels: bool = True,
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
        margins. The page must say once what the legend and notes said.
    labels : bool
        Write set numbers on the tiles (palette mode only).

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
        :func:`grid_point_to_element`.
    """
    ids = np.asarray(set_ids)
    if ids.ndim != 4 or ids.dtype.kind not in "iu":
        raise ValueError(f"set_ids must be a 4-D integer array, got {ids.dtype} {ids.shape}")
    shape = tuple(int(v) for v in ids.shape)
    layout = grid_layout(shape, max_tiles=max_tiles, max_tile_px=max_tile_px, max_pixels=max_pixels)
    element = _check_selected(selected, shape)
    N, C, H, W = shape
    sh, sw = layout.stride_h, layout.stride_w

    shown = ids[: layout.n_show, : layout.c_show]
    tiles = shown[:, :, ::sh, ::sw]
    visible = np.unique(tiles)
    palette_mode = visible.size <= len(SET_PALETTE)
    selected_id = int(ids[element]) if element is not None else None

    # Colour classes. Palette: rank of the set among the visible ones; grey:
    # 0 other, 1 selected. Then one class for downsampled blocks that hold
    # only part of the selected set, and a transparent class for the gaps.
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
    partial_class, gap_class = len(colours), len(colours) + 1
    in_block = None
    if element is not None:
        in_block = _block_any(shown == selected_id, sh, sw)
        partial = in_block & (tiles != selected_id)
        classes[partial] = partial_class
    colours += [_mix(selected_colour, "#FFFFFF", 0.5), TRANSPARENT]
    z = _to_mosaic(classes, layout, gap_class)

    fig = go.Figure(
        go.Heatmap(
            z=z,
            colorscale=_discrete_colorscale(colours),
            zmin=-0.5,
            zmax=len(colours) - 0.5,
            showscale=False,
            hoverinfo="skip",
            name="sets",
        )
    )

    # The clickable, hoverable points: one per pixel (not per element).
    rows, cols = np.nonzero(z != gap_class)
    nn, cc, hh, ww = np.meshgrid(
        np.arange(layout.n_show),
        np.arange(layout.c_show),
        np.arange(0, H, sh),
        np.arange(0, W, sw),
        indexing="ij",
    )
    coords = _to_mosaic(np.stack([nn, cc, hh, ww], axis=-1), layout, 0)[rows, cols]
    point_ids = _to_mosaic(tiles, layout, 0)[rows, cols]
    fig.add_trace(
        go.Scattergl(
            x=_small_uint(cols),
            y=_small_uint(rows),
            mode="markers",
            marker=dict(size=4, opacity=0, color=_small_uint(point_ids)),
            customdata=_small_uint(coords),
            hovertemplate=(
                "n=%{customdata[0]}, c=%{customdata[1]}, h=%{customdata[2]}, "
                "w=%{customdata[3]}<br>set %{marker.color}<extra></extra>"
            ),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
            name="elements",
        )
    )

    notes = []
    if layout.n_show < N or layout.c_show < C:
        notes.append(
            f"showing {range_words(layout.n_show, N, 'n')}, {range_words(layout.c_show, C, 'c')}"
        )
    if layout.downsampled:
        notes.append(
            f"{H}×{W} maps downsampled: each pixel is a {sh}×{sw} block,<br>"
            "shown by its top-left element"
        )

    ring = None
    if element is not None:
        n, c, h, w = element
        if (z == partial_class).any():
            notes.append("lighter pixels: blocks holding only part of the set")
        if n < layout.n_show and c < layout.c_show:
            r0, c0 = layout.tile_origin(n, c)
            ring = (c0 + w // sw, r0 + h // sh)
        else:
            notes.append(f"the selected element ({n}, {c}, {h}, {w}) lies outside the tiles shown")

    if not palette_mode and selected_id is None:
        notes.append(f"{visible.size:,} sets: select an element to see its set")

    # Room around the mosaic, so the outline and the ring at the mosaic's edge
    # are drawn whole (about 12 px on a full-size grid, never under half a pixel).
    pad = max(0.5, GRID_EDGE_PAD * max(layout.rows, layout.cols))
    x_range = [-0.5 - pad, layout.cols - 0.5 + pad]
    y_range = [layout.rows - 0.5 + pad, -0.5 - pad]
    top = 40 if title is None else 75
    wide = layout.cols > 0.8 * layout.rows
    if wide and not compact:
        top += 60  # the legend in rows above the mosaic
    if compact:
        margin = dict(l=45, r=5, t=30 if title is None else 60, b=5)
        notes = []
    else:
        margin = dict(l=55, r=10, t=top, b=30 + 22 * len(notes))
    if palette_mode and labels:
        plot_h = height - margin["t"] - margin["b"]
        plot_w = (GRID_COMPACT_WIDTH if compact else GRID_ASSUMED_WIDTH) - margin["l"]
        cell_px = min(plot_h / (y_range[0] - y_range[1]), plot_w / (x_range[1] - x_range[0]))
        unlabelled = _add_set_labels(fig, tiles, z, colours, layout, cell_px)
        if unlabelled and not compact:
            notes.append("set numbers where they fit; hover a pixel for its set")
            margin["b"] += 22

    if element is not None:
        _add_set_outline(fig, in_block, layout)
    if ring is not None:
        for colour, width, legend in ((MARKER_LINE, 5, False), (MARKER_FILL, 2.5, True)):
            fig.add_trace(
                go.Scatter(
                    x=[ring[0]],
                    y=[ring[1]],
                    mode="markers",
                    marker=dict(
                        symbol="circle-open", size=19, color=colour, line=dict(width=width)
                    ),
                    name="selected element",
                    legendgroup="element",
                    legendrank=1002,
                    showlegend=legend,
                    hoverinfo="skip",
                    cliponaxis=False,
                )
            )

    # Legend: what the colours mean.
    if palette_mode:
        for rank, set_id in enumerate(visible.tolist()):
            label = f"set {set_id}" + (" (selected)" if set_id == selected_id else "")
            _legend_swatch(fig, label, colours[rank])
    else:
        if selected_id is not None:
            _legend_swatch(fig, f"set {selected_id} (selected)", SET_HIGHLIGHT)
        _legend_swatch(fig, f"other sets ({visible.size:,} shown)", GREY)

    xticks = [layout.tile_origin(0, c)[1] + (layout.tile_w - 1) / 2 for c in range(layout.c_show)]
    yticks = [layout.tile_origin(n, 0)[0] + (layout.tile_h - 1) / 2 for n in range(layout.n_show)]
    fig.update_xaxes(
        tickvals=xticks,
        ticktext=[f"c={c}" for c in range(layout.c_show)],
        showgrid=False,
        zeroline=False,
        side="top",
        ticks="",
        range=x_range,
        constrain="domain",
        fixedrange=True,
    )
    fig.update_yaxes(
        tickvals=yticks,
        ticktext=[f"n={n}" for n in range(layout.n_show)],
        showgrid=False,
        zeroline=False,
        ticks="",
        range=y_range,
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
        fixedrange=True,
    )
    if wide:
        legend = dict(orientation="h", x=0, y=1, yref="container", yanchor="top")
    else:
        legend = dict(x=1.02, y=1, xanchor="left", yanchor="top")
    _style(fig, height=height, margin=margin)
    fig.update_layout(
        title=_title(title),
        legend=dict(**legend, itemclick=False),
        showlegend=not compact,
        dragmode=False,
        clickmode="event+select",
        hovermode="closest",
    )
    if notes:
        _note(fig, "<br>".join(notes))
    return fig


def compact_grid(fig: go.Figure) -> go.Figure:
    """Make an already built :func:`set_grid_figure` compact (as ``compact=True`` would).

    For callers that receive the figure rather than the set ids. Set numbers
    keep the size they were placed for; prefer ``set_grid_figure(..., compact=True)``.
    """
    fig.layout.annotations = ()
    fig.update_layout(showlegend=False)
    fig.update_layout(margin=dict(l=45, r=5, t=30 if fig.layout.title.text is None else 60, b=5))
    return fig


# ------------------------------------------------------------------- cube
def _membership(shape: tuple[int, int, int, int], spec, element) -> list[np.ndarray]:
    """Per-axis masks (N,), (C,), (H,), (W,) whose outer product is the element's set."""
    spec = normlib.as_spec(spec)
    N, C, H, W = shape
    n, c, h, w = element
    masks = []
    for axis, size, index in zip("NCHW", shape, element, strict=True):
        coords = np.arange(size)
        if axis == "C" and spec.groups > 1:
            per_group = C // spec.groups
            masks.append(coords // per_group == c // per_group)
        elif axis in spec.axes:
            masks.append(np.ones(size, dtype=bool))
        else:
            masks.append(coords == index)
    del n, h, w, N, H, W
    return masks


def _window(size: int, cap: int, index: int) -> tuple[int, int]:
    """[start, stop) of at most `cap` indices, from 0, shifted to include `index`."""
    count = min(size, cap)
    start = 0 if index < count else index - count + 1
    return start, start + count


def _runs(values: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, value) runs of equal values; value 0 runs are dropped."""
    runs = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if values[start]:
                runs.append((start, i, int(values[start])))
            start = i
    return runs


def _box_mesh(boxes: list[tuple[float, float, float, float, float, float]]):
    """Vertices and triangles of axis-aligned boxes, for one go.Mesh3d."""
    xs, ys, zs, ii, jj, kk = [], [], [], [], [], []
    # 12 triangles over the 8 corners (bit 0: x, bit 1: y, bit 2: z).
    faces = [
        (0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5),  # z = low, z = high
        (0, 4, 5), (0, 5, 1), (2, 3, 7), (2, 7, 6),  # y = low, y = high
        (0, 2, 6), (0, 6, 4), (1, 5, 7), (1, 7, 3),  # x = low, x = high
    ]  # fmt: skip
    for x0, x1, y0, y1, z0, z1 in boxes:
        base = len(xs)
        for corner in range(8):
            xs.append(x1 if corner & 1 else x0)
            ys.append(y1 if corner & 2 else y0)
            zs.append(z1 if corner & 4 else z0)
        for a, b, c in faces:
            ii.append(base + a)
            jj.append(base + b)
            kk.append(base + c)
    return xs, ys, zs, ii, jj, kk


def _surface_lines(x_edges, y_edges, z_edges):
    """Line segments of the cell lattice on the six faces of a box (NaN-separated)."""
    x_edges, y_edges, z_edges = (list(map(float, e)) for e in (x_edges, y_edges, z_edges))
    segments = set()
    for a_edges, b_edges, c_edges, order in (
        (x_edges, y_edges, z_edges, (0, 1, 2)),
        (y_edges, x_edges, z_edges, (1, 0, 2)),
        (z_edges, x_edges, y_edges, (2, 0, 1)),
    ):
        # Lines along axis `a` at (b, c) positions on the box surface.
        for b in b_edges:
            for c in c_edges:
                on_surface = b in (b_edges[0], b_edges[-1]) or c in (c_edges[0], c_edges[-1])
                if not on_surface:
                    continue
                start = [0.0, 0.0, 0.0]
                stop = [0.0, 0.0, 0.0]
                start[order[0]], stop[order[0]] = a_edges[0], a_edges[-1]
                start[order[1]] = stop[order[1]] = b
                start[order[2]] = stop[order[2]] = c
                segments.add((tuple(start), tuple(stop)))
    xs, ys, zs = [], [], []
    for start, stop in sorted(segments):
        for point in (start, stop):
            xs.append(point[0])
            ys.append(point[1])
            zs.append(point[2])
        xs.append(np.nan)
        ys.append(np.nan)
        zs.append(np.nan)
    return (_float_payload(np.array(v)) for v in (xs, ys, zs))


def cube_figure(
    shape: tuple[int, int, int, int],
    spec,
    *,
    selected: tuple[int, int, int, int] | None = None,
    max_cells: int = 8,
    hw_cells: int = 8,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
) -> go.Figure:
    """The Group Normalization paper's cube (Wu & He 2018, fig. 2) for any spec.

    Axes N, C and H·W (the two spatial axes merged), drawn as a coarse lattice
    of cells; the cells holding the selected element's reduction set are
    shaded blue. N and C show one cell per index (at most `max_cells`, a
    window that includes the selected element); the H·W axis is cut into
    `hw_cells` cells of consecutive positions ``s = h·W + w``. A cell that
    holds only part of the set (e.g. a spec that reduces H but not W, or
    one that reduces neither) is shaded lighter and a note says why.

    Parameters
    ----------
    shape : (N, C, H, W)
    spec : NormSpec or str
    selected : (n, c, h, w), optional
        Defaults to (0, 0, 0, 0).
    max_cells : int
        Cells on the N and C axes.
    hw_cells : int
        Cells on the merged H·W axis.
    title : str, optional
    height : int

    Returns
    -------
    go.Figure
        ``go.Mesh3d`` boxes for the shaded cells and ``go.Scatter3d`` lines
        for the lattice; x = N, y = C, z = H·W.
    """
    spec = normlib.as_spec(spec)
    shape = tuple(int(v) for v in shape)
    spec.check_shape(shape)
    element = _check_selected(selected if selected is not None else (0, 0, 0, 0), shape)
    N, C, H, W = shape
    n, c, h, w = element
    mask_n, mask_c, mask_h, mask_w = _membership(shape, spec, element)

    n0, n1 = _window(N, max_cells, n)
    c0, c1 = _window(C, max_cells, c)
    HW = H * W
    s_count = min(HW, hw_cells)
    s_edges = np.round(np.linspace(0, HW, s_count + 1)).astype(np.int64)
    mask_hw = (mask_h[:, None] & mask_w[None, :]).reshape(-1)
    in_cell = np.add.reduceat(mask_hw.astype(np.int64), s_edges[:-1])
    cell_size = np.diff(s_edges)
    # 2: the whole cell belongs to the set; 1: part of it; 0: none.
    s_class = np.where(in_cell == cell_size, 2, np.where(in_cell > 0, 1, 0))
    n_in = mask_n[n0:n1].astype(int)
    c_in = mask_c[c0:c1].astype(int)

    full_boxes, part_boxes = [], []
    for a0, a1, _ in _runs(n_in):
        for b0, b1, _ in _runs(c_in):
            for s_start, s_stop, kind in _runs(s_class):
                box = (a0, a1, b0, b1, s_start, s_stop)
                (full_boxes if kind == 2 else part_boxes).append(box)

    fig = go.Figure()
    lighting = dict(ambient=0.75, diffuse=0.45, specular=0.05, roughness=0.9, fresnel=0.0)
    for boxes, colour, opacity, name in (
        (full_boxes, SET_HIGHLIGHT, 0.9, "the selected element's set"),
        (part_boxes, _mix(SET_HIGHLIGHT, "#FFFFFF", 0.3), 0.6, "cells holding part of the set"),
    ):
        if not boxes:
            continue
        xs, ys, zs, ii, jj, kk = _box_mesh(boxes)
        fig.add_trace(
            go.Mesh3d(
                x=_float_payload(xs),
                y=_float_payload(ys),
                z=_float_payload(zs),
                i=_small_uint(np.array(ii)),
                j=_small_uint(np.array(jj)),
                k=_small_uint(np.array(kk)),
                color=colour,
                opacity=opacity,
                flatshading=True,
                lighting=lighting,
                name=name,
                showlegend=True,
                hoverinfo="name",
            )
        )
        for x0, x1, y0, y1, z0, z1 in boxes:
            lx, ly, lz = _surface_lines(
                np.arange(x0, x1 + 1), np.arange(y0, y1 + 1), np.arange(z0, z1 + 1)
            )
            fig.add_trace(
                go.Scatter3d(
                    x=lx,
                    y=ly,
                    z=lz,
                    mode="lines",
                    line=dict(color=_mix(SET_HIGHLIGHT, "#000000", 0.35), width=3),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )

    lx, ly, lz = _surface_lines(
        np.arange(n1 - n0 + 1), np.arange(c1 - c0 + 1), np.arange(s_count + 1)
    )
    fig.add_trace(
        go.Scatter3d(
            x=lx,
            y=ly,
            z=lz,
            mode="lines",
            line=dict(color=LATTICE, width=2),
            hoverinfo="skip",
            showlegend=False,
            name="lattice",
        )
    )
    s = h * W + w
    s_cell = int(np.searchsorted(s_edges, s, side="right") - 1)
    x0, y0, z0 = n - n0, c - c0, s_cell
    cx, cy, cz = _surface_lines([x0, x0 + 1], [y0, y0 + 1], [z0, z0 + 1])
    for colour, width, legend in ((MARKER_LINE, 9, False), (MARKER_FILL, 5, True)):
        fig.add_trace(
            go.Scatter3d(
                x=cx,
                y=cy,
                z=cz,
                mode="lines",
                line=dict(color=colour, width=width),
                name="the selected element's cell",
                legendgroup="cell",
                showlegend=legend,
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter3d(
            x=[x0 + 0.5],
            y=[y0 + 0.5],
            z=[z0 + 0.5],
            mode="markers",
            marker=dict(symbol="diamond", size=6, color=MARKER_FILL),
            name="selected element",
            showlegend=False,
            hovertemplate=f"selected (n, c, h, w) = ({n}, {c}, {h}, {w})<extra></extra>",
        )
    )

    notes = []
    if n1 - n0 < N or c1 - c0 < C:
        notes.append(
            f"showing {range_words(n1 - n0, N, 'n', start=n0)}, "
            f"{range_words(c1 - c0, C, 'c', start=c0)}"
        )
    per_cell = HW / s_count
    cell_words = (
        "one position per cell" if s_count == HW else f"≈{per_cell:g} positions (h, w) per cell"
    )
    notes.append(f"H and W are merged into one axis of {H}·{W} = {HW} positions, {cell_words}")
    if part_boxes:
        fraction = int(mask_hw.sum())
        which = {
            (True, False): f"every h at w = {w}",
            (False, True): f"every w at h = {h}",
            (False, False): f"only (h, w) = ({h}, {w})",
        }.get((bool(mask_h.all()), bool(mask_w.all())), "")
        notes.append(
            f"lighter cells hold only part of the set: {fraction} of the {HW} positions ({which})"
        )

    def ticks(start: int, stop: int, letter: str) -> dict:
        count = stop - start
        every = max(1, math.ceil(count / 8))
        picks = list(range(0, count, every))
        return dict(
            tickvals=[p + 0.5 for p in picks],
            ticktext=[f"{start + p}" for p in picks],
            range=[0, count],
            title=dict(text=letter, font=dict(size=FONT_SIZE + 3)),
        )

    axis_style = dict(
        showbackground=False,
        showgrid=False,
        zeroline=False,
        showspikes=False,
        tickfont=dict(size=FONT_SIZE),
    )
    fig.update_layout(
        scene=dict(
            xaxis=dict(**ticks(n0, n1, "N"), **axis_style),
            yaxis=dict(**ticks(c0, c1, "C"), **axis_style),
            zaxis=dict(
                showticklabels=False,
                range=[0, s_count],
                title=dict(text="H, W", font=dict(size=FONT_SIZE + 3)),
                **axis_style,
            ),
            aspectmode="manual",
            aspectratio=dict(x=1.1, y=1.1, z=1.1),
            camera=dict(
                eye=dict(x=1.25, y=-1.25, z=0.85),
                center=dict(x=0, y=0, z=-0.05),
                projection=dict(type="orthographic"),
            ),
            dragmode="orbit",
            bgcolor=TRANSPARENT,
        ),
        title=_title(title),
    )
    _style(fig, height=height, margin=dict(l=0, r=0, t=45 if title is None else 75, b=10))
    fig.update_layout(
        legend=dict(
            orientation="h", x=0, y=1, yref="container", yanchor="top", bgcolor=TRANSPARENT
        ),
        margin=dict(b=15 + 21 * len(notes)),
    )
    _note(fig, "<br>".join(notes), y=0, yanchor="top")
    return fig


# ------------------------------------------------------------- histograms
def _bar_pair(
    h: normlib.Histograms, before: np.ndarray, after: np.ndarray, *, showlegend: bool = True
) -> list:
    """Before/after as translucent bars plus a solid step outline each.

    The outlines keep both distributions readable where the bars overlap
    and on the dark theme, where translucent fills turn muddy.
    """
    centers = _float_payload(h.centers)
    hover = (
        "%{y:,} values in [%{customdata[0]:.3g}, %{customdata[1]:.3g})"
        "<extra>%{fullData.name}</extra>"
    )
    edges = _float_payload(np.stack([h.edges[:-1], h.edges[1:]], axis=1))
    traces = []
    for counts, name, colour in ((before, "before", BEFORE_COLOUR), (after, "after", AFTER_COLOUR)):
        counts = _small_uint(np.asarray(counts))
        traces.append(
            go.Bar(
                x=centers,
                y=counts,
                width=h.width,
                name=name,
                legendgroup=name,
                showlegend=False,
                # Translucency in the fill colour, not trace opacity: a
                # translucent trace group is composited as one layer, which
                # Chromium painted as a dark box on Streamlit's dark theme.
                marker=dict(color=_rgba(colour, 0.45), line=dict(width=0)),
                customdata=edges,
                hovertemplate=hover,
            )
        )
        traces.append(
            go.Scatter(
                x=_float_payload(h.edges),
                y=np.append(counts, counts[-1:]),
                mode="lines",
                line=dict(color=colour, width=2.5, shape="hv"),
                fill=None,
                name=name,
                legendgroup=name,
                showlegend=showlegend,
                hoverinfo="skip",
            )
        )
    return traces


def _count_axis(log_y: bool, top: float = 1.0) -> dict:
    """A count axis: linear from 0, or logarithmic with at least three labelled ticks.

    On a log axis Plotly's own ticks can leave a single label (counts under
    10 show only "1"); the ticks here are 1, 2, 5, 10, 20, 50, ... up to the
    highest count when it is under 1000, else the powers of ten.
    """
    if not log_y:
        return dict(type="linear", rangemode="tozero")
    top = max(float(top), 1.0)
    upper = max(top * 1.6, 10.0)
    multiples = (1, 2, 5) if top < 1000 else (1,)
    ticks = [
        m * 10**k
        for k in range(int(math.log10(upper)) + 1)
        for m in multiples
        if m * 10**k <= upper
    ]
    return dict(
        type="log",
        tickmode="array",
        tickvals=ticks,
        ticktext=[f"{v:,}" for v in ticks],
        range=[math.log10(0.7), math.log10(upper)],
    )


@dataclass(frozen=True)
class _HistogramView:
    """The bins a histogram figure draws: maybe zoomed, merged and clipped."""

    edges: np.ndarray
    rows: list[np.ndarray]  # counts per drawn histogram, same order as given
    below: int  # values left of the shown range (counted in the first bar)
    above: int  # values right of it (counted in the last bar)
    note: str | None


def _histogram_view(
    edges: np.ndarray, rows: Sequence[np.ndarray], *, tail: float, max_bins: int
) -> _HistogramView:
    """Choose the x range from the counts and merge bins for drawing.

    The range is the smallest run of bins outside which at most a fraction
    `tail` of the pooled counts lie on each side; it replaces the full range
    only when it is under half as wide (a few outliers would otherwise squeeze
    the data into a few slivers). Counts outside are added to the edge bars and
    a note says how many. Adjacent bins are then merged so that at most
    `max_bins` bars are drawn (a page can ask normlib for fine bins).
    """
    edges = np.asarray(edges, dtype=np.float64)
    rows = [np.asarray(r, dtype=np.int64) for r in rows]
    bins = edges.size - 1
    pooled = np.sum(rows, axis=0) if rows else np.zeros(bins, dtype=np.int64)
    total = int(pooled.sum())
    first, last = 0, bins - 1
    if total > 0 and bins > 1:
        cut = tail * total
        cum = np.cumsum(pooled)
        first = int(np.searchsorted(cum, cut, side="right"))
        last = bins - 1 - int(np.searchsorted(np.cumsum(pooled[::-1]), cut, side="right"))
        if last < first or (last - first + 1) > 0.5 * bins:
            first, last = 0, bins - 1
        else:
            margin = max(1, round(0.05 * (last - first + 1)))
            first, last = max(0, first - margin), min(bins - 1, last + margin)
    span = last - first + 1
    merge = max(1, math.ceil(span / max_bins))
    shown = math.ceil(span / merge)
    # Equal-width merged bars: widen the window to a multiple of `merge`.
    extra = shown * merge - span
    last = min(bins - 1, last + extra)
    first = last - shown * merge + 1
    if first < 0:  # cannot happen when span <= bins, kept for safety
        first, shown = 0, (last + 1) // merge
    below = [int(r[:first].sum()) for r in rows]
    above = [int(r[last + 1 :].sum()) for r in rows]
    merged = []
    for r, low, high in zip(rows, below, above, strict=True):
        window = r[first : last + 1].reshape(shown, merge).sum(axis=1)
        window[0] += low
        window[-1] += high
        merged.append(window)
    new_edges = edges[first : last + 2 : merge]
    n_below, n_above = sum(below), sum(above)
    note = None
    if n_below or n_above:
        note = (
            f"{n_below + n_above:,} outlying values lie outside "
            f"{new_edges[0]:.3g} … {new_edges[-1]:.3g} (all values: "
            f"{edges[0]:.3g} … {edges[-1]:.3g}); they are counted in the outermost bars"
        )
    return _HistogramView(new_edges, merged, n_below, n_above, note)


HISTOGRAM_TAIL = 0.001  # each side: at most this fraction of values may fall outside the x range


def histogram_figure(
    h: normlib.Histograms,
    *,
    log_y: bool = False,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
    max_bins: int = 60,
    tail: float = HISTOGRAM_TAIL,
) -> go.Figure:
    """Before and after histograms on the same bins, overlaid.

    Parameters
    ----------
    h : normlib.Histograms
        From :func:`normlib.histograms`.
    log_y : bool
        Logarithmic counts (empty bins then disappear).
    title : str, optional
    height : int
    max_bins : int
        Merge adjacent bins so that at most this many bars are drawn.
    tail : float
        When a few outliers stretch the bins, the x axis shows only the range
        outside which at most this fraction of values lies on each side; the
        outliers are counted in the outermost bars and a note says so.

    Returns
    -------
    go.Figure
        Two ``go.Bar`` traces, "before" (``BEFORE_COLOUR``) and "after"
        (``AFTER_COLOUR``), one bar per drawn bin; every value is counted.
    """
    view = _histogram_view(h.edges, [h.before, h.after], tail=tail, max_bins=max_bins)
    drawn = normlib.Histograms(view.edges, view.rows[0], view.rows[1])
    fig = go.Figure(_bar_pair(drawn, drawn.before, drawn.after))
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        title=_title(title),
        legend=dict(orientation="h", x=1, y=1.02, xanchor="right", yanchor="bottom"),
    )
    fig.update_xaxes(title_text="value", range=[float(view.edges[0]), float(view.edges[-1])])
    top = max((int(r.max()) for r in view.rows if r.size), default=1)
    fig.update_yaxes(title_text="count", **_count_axis(log_y, top))
    bottom = 60 + (40 if view.note else 0)
    _style(fig, height=height, margin=dict(l=70, r=20, t=50 if title is None else 80, b=bottom))
    if view.note:
        _note(fig, _wrap(view.note), y=0, yshift=-52)
    return fig


def _wrap(text: str, width: int = 70) -> str:
    """`text` broken into lines of about `width` characters with <br> (Plotly does not wrap)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines)


def histogram_grid_figure(
    h: normlib.Histograms,
    *,
    labels: Sequence[str] | None = None,
    log_y: bool = False,
    max_panels: int = 16,
    columns: int = 4,
    title: str | None = None,
    max_bins: int = 40,
    tail: float = HISTOGRAM_TAIL,
) -> go.Figure:
    """Small multiples: before/after histograms per group (channel or set).

    Parameters
    ----------
    h : normlib.Histograms
        With per-group counts (``normlib.histograms(..., by=...)``).
    labels : list of str, optional
        Panel titles indexed by group label (``labels[k]`` for group k), e.g.
        ``"c=0 (red)"``; default ``"group k"``.
    log_y : bool
    max_panels : int
        Show at most this many groups (the first ones) and say so.
    columns : int
        Panels per row.
    title : str, optional
    max_bins : int
        Merge adjacent bins so that each panel draws at most this many bars.
    tail : float
        The shared x range leaves out at most this fraction of the shown
        groups' values on each side, when that makes it under half as wide
        (see :func:`histogram_figure`).

    Returns
    -------
    go.Figure
        One subplot per shown group, all on the same x range and bins and the
        same y axis.
    """
    if h.before_by_group is None or h.after_by_group is None or h.group_labels is None:
        raise ValueError("h has no per-group counts; use normlib.histograms(..., by=...)")
    total = len(h.group_labels)
    shown = min(total, max_panels)
    cols = max(1, min(columns, shown))
    rows = math.ceil(shown / cols)
    group_values = [int(v) for v in h.group_labels[:shown]]
    titles = [
        labels[g] if labels is not None and 0 <= g < len(labels) else f"group {g}"
        for g in group_values
    ]
    counts = [row for k in range(shown) for row in (h.before_by_group[k], h.after_by_group[k])]
    view = _histogram_view(h.edges, counts, tail=tail, max_bins=max_bins)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        shared_yaxes="all",
        horizontal_spacing=0.04,
        vertical_spacing=0.1 if rows > 1 else 0.0,
    )
    for k in range(shown):
        row, col = divmod(k, cols)
        before, after = view.rows[2 * k], view.rows[2 * k + 1]
        drawn = normlib.Histograms(view.edges, before, after)
        for trace in _bar_pair(drawn, before, after, showlegend=k == 0):
            fig.add_trace(trace, row=row + 1, col=col + 1)
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=TITLE_SIZE)
    fig.update_xaxes(range=[float(view.edges[0]), float(view.edges[-1])], showticklabels=True)
    fig.update_xaxes(title_text="value", row=rows)
    top = max((int(r.max()) for r in view.rows if r.size), default=1)
    fig.update_yaxes(**_count_axis(log_y, top))
    fig.update_yaxes(title_text="count", col=1)
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        title=_title(title),
        legend=dict(orientation="h", x=1, y=1, xanchor="right", yanchor="top", yref="container"),
    )
    notes = []
    if total > shown:
        notes.append(f"showing the first {shown} of {total} groups")
    if view.note:
        notes.append(_wrap(view.note, 100))
    lines = sum(note.count("<br>") + 1 for note in notes)
    top_margin = 75 if title is None else 100
    bottom = 60 + 20 * lines
    _style(
        fig,
        height=top_margin + bottom + 190 * rows,
        margin=dict(l=70, r=20, t=top_margin, b=bottom),
    )
    if notes:
        _note(fig, "<br>".join(notes), y=0, yshift=-50)
    return fig


# ------------------------------------------------------------- feature maps
def _block_mean(a: np.ndarray, step: int) -> np.ndarray:
    """Mean over step × step blocks of a 2-D array (edge blocks may be smaller)."""
    if step == 1:
        return np.asarray(a, dtype=np.float64)
    rows = np.arange(0, a.shape[0], step)
    cols = np.arange(0, a.shape[1], step)
    summed = np.add.reduceat(np.add.reduceat(np.asarray(a, np.float64), rows, 0), cols, 1)
    counts = np.outer(np.diff(np.append(rows, a.shape[0])), np.diff(np.append(cols, a.shape[1])))
    return summed / counts


def _block_extreme(a: np.ndarray, step: int) -> np.ndarray:
    """Per step × step block, the value with the largest magnitude (sign kept)."""
    a = np.asarray(a, dtype=np.float64)
    if step == 1:
        return a
    rows = np.arange(0, a.shape[0], step)
    cols = np.arange(0, a.shape[1], step)
    filled = np.nan_to_num(a, nan=0.0)
    high = np.maximum.reduceat(np.maximum.reduceat(filled, rows, 0), cols, 1)
    low = np.minimum.reduceat(np.minimum.reduceat(filled, rows, 0), cols, 1)
    return np.where(np.abs(high) >= np.abs(low), high, low)


def _finite_abs_max(*arrays: np.ndarray) -> float:
    values = [np.abs(a[np.isfinite(a)]) for a in arrays]
    values = [v for v in values if v.size]
    top = max((float(v.max()) for v in values), default=0.0)
    return top


def _finite_abs_quantile(q: float, *arrays: np.ndarray) -> float:
    """The q-quantile of |values| over all finite values (0 when there are none)."""
    values = np.concatenate([np.abs(a[np.isfinite(a)]).ravel() for a in arrays])
    return float(np.quantile(values, q)) if values.size else 0.0


def _finite_range(*arrays: np.ndarray) -> tuple[float, float]:
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [f for f in finite if f.size]
    if not finite:
        return 0.0, 1.0
    low = min(float(f.min()) for f in finite)
    high = max(float(f.max()) for f in finite)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    return low, high


def _image_axes(fig: go.Figure, count: int, rows: int, cols: int) -> None:
    """Square pixels, row 0 at the top, no grid: for every image subplot."""
    for index in range(1, count + 1):
        suffix = "" if index == 1 else str(index)
        fig.layout[f"yaxis{suffix}"].update(
            autorange="reversed",
            scaleanchor=f"x{suffix}",
            scaleratio=1,
            constrain="domain",
            showgrid=False,
            zeroline=False,
        )
        fig.layout[f"xaxis{suffix}"].update(constrain="domain", showgrid=False, zeroline=False)


def feature_maps_figure(
    before: np.ndarray,
    after: np.ndarray,
    maps: Sequence[tuple[int, int]],
    *,
    labels: Sequence[str] | None = None,
    max_px: int = 128,
    max_pixels: int = 48_000,
    before_colorscale: str = "Cividis",
    after_colorscale: str = "RdBu_r",
    after_quantile: float = 0.995,
    height: int = 460,
) -> go.Figure:
    """Chosen (n, c) feature maps before (top row) and after (bottom row) normalizing.

    Each row has ONE colour scale for all its maps, so maps can be compared:

    - before: sequential "Cividis" (perceptually uniform, colour-blind safe)
      over the joint min..max of the shown maps: differences in level and
      contrast between channels and samples are visible;
    - after: diverging "RdBu_r" centred at 0 and symmetric: red is above the
      set's mean, blue below, white at the mean; with all maps on one scale,
      what normalization equalized (or not) shows at once. The range is the
      99.5th percentile of |after| (`after_quantile`), so a few outliers
      (normalized values of 5 or more) do not wash everything else out to
      white; a note says when values beyond it saturate. The hover always
      shows the true value.

    Parameters
    ----------
    before, after : ndarray, shape (N, C, H, W)
    maps : list of (n, c)
    labels : list of str, optional
        Column titles, default ``"n=0, c=1"``.
    max_px : int
        Maps larger than this are block-averaged to at most `max_px` a side.
    max_pixels : int
        Pixel budget of the whole figure; many maps share it.
    before_colorscale, after_colorscale : str
    height : int

    Returns
    -------
    go.Figure
        2 × len(maps) heatmaps; ``layout.coloraxis`` (before) and
        ``layout.coloraxis2`` (after) each with a colour bar.
    """
    before = np.asarray(before)
    after = np.asarray(after)
    if before.shape != after.shape or before.ndim != 4:
        raise ValueError(
            f"before and after must be 4-D arrays of one shape, got {before.shape}, {after.shape}"
        )
    maps = [(int(n), int(c)) for n, c in maps]
    if not maps:
        raise ValueError("maps is empty: choose at least one (n, c)")
    _, _, H, W = before.shape
    per_map = max(1, max_pixels // (2 * len(maps)))
    cap = max(8, min(max_px, math.isqrt(per_map)))
    step = _stride(max(H, W), cap)
    titles = list(labels) if labels is not None else [f"n={n}, c={c}" for n, c in maps]
    fig = make_subplots(
        rows=2,
        cols=len(maps),
        subplot_titles=titles + [""] * len(maps),
        horizontal_spacing=0.03,
        vertical_spacing=0.08,
    )
    small_before = [_block_mean(before[n, c], step) for n, c in maps]
    small_after = [_block_mean(after[n, c], step) for n, c in maps]
    ys = np.arange(0, H, step)
    xs = np.arange(0, W, step)
    what = f"mean of a {step}×{step} block" if step > 1 else "value"
    for k, (b_map, a_map) in enumerate(zip(small_before, small_after, strict=True)):
        n, c = maps[k]
        pairs = ((1, b_map, "coloraxis", "before"), (2, a_map, "coloraxis2", "after"))
        for row, z, axis, name in pairs:
            fig.add_trace(
                go.Heatmap(
                    z=_float_payload(z),
                    x=_small_uint(xs),
                    y=_small_uint(ys),
                    coloraxis=axis,
                    name=name,
                    hovertemplate=(
                        f"{name} n={n}, c={c}<br>h=%{{y}}, w=%{{x}}<br>{what} "
                        "%{z:.3g}<extra></extra>"
                    ),
                ),
                row=row,
                col=k + 1,
            )
    _image_axes(fig, 2 * len(maps), 2, len(maps))
    # Indices on the bottom row and the first column only (all maps share H, W).
    fig.update_xaxes(showticklabels=False, ticks="")
    fig.update_yaxes(showticklabels=False, ticks="")
    fig.update_xaxes(showticklabels=True, nticks=4, title_text=MAP_X_TITLE, row=2)
    fig.update_yaxes(showticklabels=True, nticks=4, col=1)
    fig.update_yaxes(title_text=f"before<br>{MAP_Y_TITLE}", row=1, col=1)
    fig.update_yaxes(title_text=f"after<br>{MAP_Y_TITLE}", row=2, col=1)
    b_low, b_high = _finite_range(*small_before)
    a_max = _finite_abs_max(*small_after)
    a_top = _finite_abs_quantile(after_quantile, *small_after) or a_max or 1.0
    bar = dict(len=0.42, thickness=16, x=1.01, xanchor="left", tickfont=dict(size=FONT_SIZE))
    fig.update_layout(
        coloraxis=dict(
            colorscale=before_colorscale,
            cmin=b_low,
            cmax=b_high,
            colorbar=dict(**bar, y=0.78, yanchor="middle", title=dict(text="before")),
        ),
        coloraxis2=dict(
            colorscale=after_colorscale,
            cmin=-a_top,
            cmax=a_top,
            colorbar=dict(**bar, y=0.22, yanchor="middle", title=dict(text="after")),
        ),
    )
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=TITLE_SIZE)
    notes = []
    if step > 1:
        notes.append(f"{H}×{W} maps shown block-averaged {step}×{step}")
    if a_max > a_top:
        notes.append(
            f"after: colours saturate beyond ±{a_top:.3g} "
            f"({after_quantile:.1%} of values; the largest |after| is {a_max:.3g})"
        )
    _style(fig, height=height, margin=dict(l=95, r=90, t=40, b=70 + 22 * len(notes)))
    if notes:
        _note(fig, "<br>".join(notes), y=0, yshift=-62)
    return fig


# ------------------------------------------------------------- statistics
def stats_heatmap_figure(
    values: np.ndarray,
    *,
    row_label: str,
    col_label: str,
    title: str,
    colorscale: str | None = None,
    value_label: str | None = None,
    max_cells: int = 128,
    height: int = SIDE_HEIGHT,
) -> go.Figure:
    """Per-set statistics laid out as a 2-D heatmap (for many sets).

    Parameters
    ----------
    values : ndarray, shape (rows, cols)
        E.g. per-set means arranged by their kept coordinates.
    row_label, col_label : str
        What the row and column index mean (``"n"``, ``"c·h"``).
    title : str
    colorscale : str, optional
        Default: "RdBu_r" centred at 0 when the values take both signs,
        else "Cividis".
    value_label : str, optional
        Name of the value in the hover and colour bar (default: `title`).
    max_cells : int
        Rows and columns beyond this are thinned to every k-th one (the
        hover keeps the true indices).
    height : int

    Returns
    -------
    go.Figure
    """
    value_label = title if value_label is None else value_label
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D, got shape {values.shape}")
    rows, cols = values.shape
    step_r, step_c = _stride(rows, max_cells), _stride(cols, max_cells)
    shown = values[::step_r, ::step_c]
    finite = shown[np.isfinite(shown)]
    both_signs = finite.size > 0 and finite.min() < 0 < finite.max()
    scale = colorscale or ("RdBu_r" if both_signs else "Cividis")
    extra = {}
    if scale in ("RdBu_r", "RdBu", "PuOr", "BrBG", "PiYG", "PRGn") and finite.size:
        top = float(np.abs(finite).max()) or 1.0
        extra = dict(zmin=-top, zmax=top)
    fig = go.Figure(
        go.Heatmap(
            z=_float_payload(shown),
            x=_small_uint(np.arange(0, cols, step_c)),
            y=_small_uint(np.arange(0, rows, step_r)),
            colorscale=scale,
            colorbar=dict(title=dict(text=value_label), thickness=16),
            hovertemplate=(
                f"{row_label}=%{{y}}, {col_label}=%{{x}}<br>{value_label} %{{z:.4g}}<extra></extra>"
            ),
            **extra,
        )
    )
    fig.update_xaxes(title_text=col_label, showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=row_label, autorange="reversed", showgrid=False, zeroline=False)
    fig.update_layout(title=_title(title))
    thinned = step_r > 1 or step_c > 1
    _style(fig, height=height, margin=dict(l=70, r=20, t=60, b=60 + (22 if thinned else 0)))
    if thinned:
        _note(
            fig,
            f"{rows}×{cols} values: every {step_r}th row and {step_c}th column shown",
            y=-0.12,
        )
    return fig


def stats_bar_figure(
    set_means: np.ndarray,
    set_vars: np.ndarray,
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    height: int = 380,
) -> go.Figure:
    """Mean and variance of each set as bars (for few sets), side by side.

    Parameters
    ----------
    set_means, set_vars : ndarray, shape (sets,)
    labels : list of str, optional
        Default ``"set k"``.
    title : str, optional
    height : int

    Returns
    -------
    go.Figure
        Two bar subplots; bars take the set's ``SET_PALETTE`` colour when the
        palette has enough colours (as in the set grid), else ``SET_HIGHLIGHT``.
    """
    means = np.asarray(set_means, dtype=np.float64).reshape(-1)
    variances = np.asarray(set_vars, dtype=np.float64).reshape(-1)
    if means.shape != variances.shape:
        raise ValueError(f"set_means and set_vars differ in length: {means.size}, {variances.size}")
    labels = list(labels) if labels is not None else [f"set {k}" for k in range(means.size)]
    colours = list(SET_PALETTE[: means.size]) if means.size <= len(SET_PALETTE) else SET_HIGHLIGHT
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("mean per set", "variance per set"), horizontal_spacing=0.12
    )
    for col, values, name in ((1, means, "mean"), (2, variances, "variance")):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=_float_payload(values),
                marker=dict(color=colours),
                name=name,
                showlegend=False,
                hovertemplate=f"%{{x}}<br>{name} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=TITLE_SIZE)
    fig.update_xaxes(tickangle=-45 if means.size > 8 else 0, automargin=True)
    fig.update_layout(title=_title(title), bargap=0.15)
    return _style(fig, height=height, margin=dict(l=60, r=20, t=60 if title is None else 90, b=40))


def running_stats_figure(
    steps: np.ndarray,
    running: np.ndarray,
    population: np.ndarray,
    *,
    title: str,
    channel_labels: Sequence[str] | None = None,
    y_label: str = "value",
    max_points: int = 1000,
    height: int = SIDE_HEIGHT,
) -> go.Figure:
    """BatchNorm's running statistic per channel over training steps.

    Parameters
    ----------
    steps : ndarray, shape (steps,)
    running : ndarray, shape (steps, C)
        ``running_mean`` or ``running_var`` after each step.
    population : ndarray, shape (C,)
        The value the running estimate should approach, drawn dashed.
    title : str
    channel_labels : list of str, optional
        Default ``"c=k"``.
    y_label : str
    max_points : int
        Longer runs are thinned to every k-th step (the last step is kept).
    height : int

    Returns
    -------
    go.Figure
        One solid line per channel and one dashed line in the same colour
        (``SET_PALETTE``) at the population value.
    """
    steps = np.asarray(steps).reshape(-1)
    running = np.asarray(running, dtype=np.float64)
    if running.ndim == 1:
        running = running[:, None]
    population = np.asarray(population, dtype=np.float64).reshape(-1)
    if running.shape[0] != steps.size or population.size != running.shape[1]:
        raise ValueError(
            f"running must be (steps, C) = ({steps.size}, {population.size}), got {running.shape}"
        )
    keep = np.arange(0, steps.size, _stride(steps.size, max_points))
    if steps.size and keep[-1] != steps.size - 1:
        keep = np.append(keep, steps.size - 1)
    xs = steps[keep]
    x_ends = [float(steps.min()), float(steps.max())] if steps.size else [0.0, 1.0]
    fig = go.Figure()
    for channel in range(running.shape[1]):
        colour = SET_PALETTE[channel % len(SET_PALETTE)]
        label = (
            channel_labels[channel]
            if channel_labels is not None and channel < len(channel_labels)
            else f"c={channel}"
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=_float_payload(running[keep, channel]),
                mode="lines",
                line=dict(color=colour, width=3),
                name=label,
                legendgroup=label,
                hovertemplate=f"{label}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x_ends,
                y=[float(population[channel])] * 2,
                mode="lines",
                line=dict(color=colour, width=2, dash="dash"),
                name=f"{label} population",
                legendgroup=label,
                showlegend=False,
                hovertemplate=f"{label} population: %{{y:.4g}}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            line=dict(color=LATTICE, width=2, dash="dash"),
            name="population value",
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text=y_label)
    fig.update_layout(title=_title(title), hovermode="closest")
    return _style(fig, height=height, margin=dict(l=70, r=20, t=60, b=60))


def difference_heatmap_figure(
    diff: np.ndarray,
    *,
    title: str,
    labels: Sequence[str] | None = None,
    max_px: int = 128,
    max_panels: int = 8,
    height: int = 340,
) -> go.Figure:
    """A difference map on a diverging scale centred at 0, max |Δ| in the title.

    Parameters
    ----------
    diff : ndarray, shape (H, W) or (C, H, W)
        With three dimensions, one panel per channel (at most `max_panels`),
        all on one colour scale.
    title : str
        The title; " · max |Δ| = ..." is appended (over the whole array).
    labels : list of str, optional
        Panel titles for (C, H, W) input, default ``"c=k"``.
    max_px : int
        Larger maps are reduced by keeping the largest-magnitude value of
        each block, so the largest difference always shows.
    max_panels : int
    height : int

    Returns
    -------
    go.Figure
    """
    diff = np.asarray(diff, dtype=np.float64)
    if diff.ndim == 2:
        diff = diff[None]
        labels = [""] if labels is None else labels
    if diff.ndim != 3:
        raise ValueError(f"diff must be (H, W) or (C, H, W), got shape {diff.shape}")
    C, H, W = diff.shape
    top = _finite_abs_max(diff)
    shown = min(C, max_panels)
    step = _stride(max(H, W), max_px)
    names = list(labels) if labels is not None else [f"c={c}" for c in range(C)]
    fig = make_subplots(
        rows=1,
        cols=shown,
        horizontal_spacing=0.03,
    )
    what = f"largest |Δ| of a {step}×{step} block" if step > 1 else "Δ"
    for c in range(shown):
        fig.add_trace(
            go.Heatmap(
                z=_float_payload(_block_extreme(diff[c], step)),
                x=_small_uint(np.arange(0, W, step)),
                y=_small_uint(np.arange(0, H, step)),
                coloraxis="coloraxis",
                hovertemplate=f"h=%{{y}}, w=%{{x}}<br>{what} %{{z:.3g}}<extra></extra>",
            ),
            row=1,
            col=c + 1,
        )
    _image_axes(fig, shown, 1, shown)
    # Panel titles as top x-axis titles: they stay next to the square images.
    for c in range(shown):
        fig.update_xaxes(
            title_text=names[c] if c < len(names) else f"c={c}", side="top", row=1, col=c + 1
        )
    fig.update_xaxes(showticklabels=False, ticks="")
    fig.update_yaxes(showticklabels=False, ticks="")
    scale_top = top if top > 0 else 1.0
    fig.update_layout(
        coloraxis=dict(
            colorscale="RdBu_r",
            cmin=-scale_top,
            cmax=scale_top,
            colorbar=dict(thickness=16, title=dict(text="Δ"), exponentformat="power"),
        ),
        title=_title(f"{title} · max |Δ| = {top:.3g}"),
    )
    notes = []
    if shown < C:
        notes.append(f"showing {range_words(shown, C, 'channel', 'channels')}")
    if step > 1:
        notes.append(f"{H}×{W} maps reduced {step}×{step}, keeping each block's largest |Δ|")
    _style(fig, height=height, margin=dict(l=20, r=20, t=70, b=20 + 22 * len(notes)))
    if notes:
        _note(fig, "<br>".join(notes), y=-0.02)
    return fig


def map_figure(
    values: np.ndarray, title: str, *, height: int = 240, max_px: int = 128
) -> go.Figure:
    """One (H, W) map as a heatmap on a diverging scale centred at 0 (row 0 at the top).

    Parameters
    ----------
    values : ndarray, shape (H, W)
    title : str
    height : int
    max_px : int
        Larger maps are block-averaged to at most `max_px` a side.

    Returns
    -------
    go.Figure
        One ``go.Heatmap`` ("RdBu_r", symmetric about 0) with h and w axis titles.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be one (H, W) map, got shape {values.shape}")
    H, W = values.shape
    step = _stride(max(H, W), max_px)
    top = _finite_abs_max(values) or 1.0
    what = f"mean of a {step}×{step} block" if step > 1 else "value"
    fig = go.Figure(
        go.Heatmap(
            z=_float_payload(_block_mean(values, step)),
            x=_small_uint(np.arange(0, W, step)),
            y=_small_uint(np.arange(0, H, step)),
            colorscale="RdBu_r",
            zmin=-top,
            zmax=top,
            colorbar=dict(thickness=12, len=0.9),
            hovertemplate=f"h=%{{y}}, w=%{{x}}<br>{what} %{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_yaxes(
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
        nticks=4,
        title_text=MAP_Y_TITLE,
        showgrid=False,
        zeroline=False,
    )
    fig.update_xaxes(
        constrain="domain", nticks=4, title_text=MAP_X_TITLE, showgrid=False, zeroline=False
    )
    fig.update_layout(title=_title(title))
    return _style(fig, height=height, margin=dict(l=60, r=10, t=40, b=50))
