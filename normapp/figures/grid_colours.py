"""The set grid's colours as plain numbers: each shown pixel's colour class, the notes, the labels.

No Plotly: :func:`grid_colours` gives every pixel of the shown tiles a colour
class (a set's palette colour, or grey and highlight when the sets outnumber
the palette), :func:`grid_notes` says in words what the grid leaves out and how
to read it, and :func:`set_label_positions` finds where each set's number fits.
:func:`normapp.figures.set_grid.set_grid_figure` draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from normapp.figures._style import (
    GREY,
    LABEL_SIZE,
    SET_HIGHLIGHT,
    SET_PALETTE,
    TRANSPARENT,
    label_colour,
    mix,
    range_words,
)
from normapp.figures.grid_geometry import GridLayout, block_any, set_rectangles
from normlib.typing import Element


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
