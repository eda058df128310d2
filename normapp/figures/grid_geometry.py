"""Where each element of an (N, C, H, W) tensor lands in the set-grid mosaic, and back.

Pure geometry, no Plotly: :func:`grid_layout` chooses how many tiles and how
coarse a stride; :func:`grid_point_to_element` maps a clicked mosaic pixel
back to its element. The set grid shows at most ``max_tiles`` samples ×
``max_tiles`` channels and takes every k-th row and column of a tile
(nearest / stride) so that a tile is at most ``max_tile_px`` pixels a side
and the per-pixel data fit in :data:`GRID_PAYLOAD_BYTES`; the pixel (i, j) of
a tile *is* element (i·k, j·k), so a click maps back exactly, while the
selected set is highlighted in every block that holds part of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from normapp.figures._arrays import stride, uint_bytes
from normlib.typing import Element, Shape4

GRID_PAYLOAD_BYTES = 140_000  # raw bytes of per-pixel data in the set grid (< 300 kB as JSON)
MIN_TILE_PX = 4


@dataclass(frozen=True)
class GridLayout:
    """Where each element of an (N, C, H, W) tensor lands in the set-grid mosaic.

    The mosaic is ``n_show`` tile rows (samples) by ``c_show`` tile columns
    (channels); tile pixel (i, j) is element (i·stride_h, j·stride_w); tiles
    are separated by ``gap`` empty pixels.
    """

    shape: Shape4
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


def _grid_bytes_per_pixel(shape: Shape4, max_tiles: int) -> int:
    """Payload bytes per mosaic pixel, from the shape alone (an upper bound).

    Heatmap colour class (1) + clickable point x, y (2 × 2) + customdata
    (n, c, h, w) + set id (bounded by the element count).
    """
    n, c, h, w = shape
    coords = uint_bytes(max(h, w, min(max(n, c), max_tiles)) - 1)
    ids = uint_bytes(n * c * h * w - 1)
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
    stride_h, stride_w = stride(h, cap), stride(w, cap)
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
) -> Element | None:
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


def block_any(mask: np.ndarray, stride_h: int, stride_w: int) -> np.ndarray:
    """OR over stride_h × stride_w blocks of the last two axes (edge blocks may be smaller)."""
    if stride_h > 1:
        mask = np.logical_or.reduceat(mask, np.arange(0, mask.shape[-2], stride_h), axis=-2)
    if stride_w > 1:
        mask = np.logical_or.reduceat(mask, np.arange(0, mask.shape[-1], stride_w), axis=-1)
    return mask


def set_rectangles(in_block: np.ndarray, layout: GridLayout) -> list[tuple[int, int, int, int]]:
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


def to_mosaic(tiles: np.ndarray, layout: GridLayout, fill) -> np.ndarray:
    """(n_show, c_show, tile_h, tile_w, ...) tiles -> (rows, cols, ...) mosaic with gaps."""
    extra = tiles.shape[4:]
    mosaic = np.full((layout.rows, layout.cols, *extra), fill, dtype=tiles.dtype)
    for n in range(layout.n_show):
        for c in range(layout.c_show):
            r0, c0 = layout.tile_origin(n, c)
            mosaic[r0 : r0 + layout.tile_h, c0 : c0 + layout.tile_w] = tiles[n, c]
    return mosaic
