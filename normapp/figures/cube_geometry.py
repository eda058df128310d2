"""Which cells of the GN paper's cube hold an element's reduction set, as plain numbers.

Pure geometry, no Plotly: :func:`cube_cells` cuts the N × C × (H·W) lattice
into the cells :func:`normapp.figures.cube.cube_figure` draws (a window of at
most ``max_cells`` samples and channels that includes the selected element,
and ``hw_cells`` cells of consecutive positions ``s = h·W + w``) and finds
which of them hold all or part of the set; :func:`cube_notes` says in words
what the drawing leaves out. Like :mod:`normapp.figures.grid_geometry` for the
set grid, so each step can be tested without drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import normlib
from normapp.figures._style import range_words
from normlib.typing import Element, Shape4

Box = tuple[float, float, float, float, float, float]  # x0, x1, y0, y1, z0, z1


def _membership(shape: Shape4, spec, element) -> list[np.ndarray]:
    """Per-axis masks (N,), (C,), (H,), (W,) whose outer product is the element's set."""
    spec = normlib.as_spec(spec)
    channels, channel = shape[1], element[1]
    masks = []
    for axis, size, index in zip("NCHW", shape, element, strict=True):
        coords = np.arange(size)
        if axis == "C" and spec.groups > 1:
            per_group = channels // spec.groups
            masks.append(coords // per_group == channel // per_group)
        elif axis in spec.axes:
            masks.append(np.ones(size, dtype=bool))
        else:
            masks.append(coords == index)
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


@dataclass(frozen=True)
class CubeCells:
    """The cube as numbers: the lattice shown and which of its cells hold the set.

    x runs over samples ``n_window``, y over channels ``c_window`` (one cell
    per index, from the window's start), z over the merged H·W axis cut at
    ``s_edges`` (positions ``s = h·W + w``). ``full_boxes`` lie wholly in the
    set, ``part_boxes`` hold only part of it; each box is (x0, x1, y0, y1,
    z0, z1) in cell units.
    """

    n_window: tuple[int, int]
    c_window: tuple[int, int]
    s_edges: np.ndarray
    full_boxes: list[Box]
    part_boxes: list[Box]
    selected_cell: tuple[int, int, int]  # (x0, y0, z0) of the selected element's cell
    positions_in_set: int  # how many of the H·W positions the set holds
    whole_h: bool  # the set holds every h
    whole_w: bool  # the set holds every w

    @property
    def s_count(self) -> int:
        return len(self.s_edges) - 1


def cube_cells(
    shape: Shape4,
    spec,
    element: Element,
    *,
    max_cells: int = 8,
    hw_cells: int = 8,
) -> CubeCells:
    """Which cells of the cube hold `element`'s reduction set under `spec` (no Plotly).

    Examples
    --------
    >>> cells = cube_cells((2, 4, 2, 2), "layernorm", (1, 0, 0, 0))
    >>> cells.full_boxes, cells.part_boxes
    ([(1, 2, 0, 4, 0, 4)], [])
    """
    N, C, H, W = shape
    n, c, h, w = element
    mask_n, mask_c, mask_h, mask_w = _membership(shape, spec, element)
    n0, n1 = _window(N, max_cells, n)
    c0, c1 = _window(C, max_cells, c)
    HW = H * W
    s_edges = np.round(np.linspace(0, HW, min(HW, hw_cells) + 1)).astype(np.int64)
    mask_hw = (mask_h[:, None] & mask_w[None, :]).reshape(-1)
    in_cell = np.add.reduceat(mask_hw.astype(np.int64), s_edges[:-1])
    # 2: the whole cell belongs to the set; 1: part of it; 0: none.
    s_class = np.where(in_cell == np.diff(s_edges), 2, np.where(in_cell > 0, 1, 0))
    full_boxes: list[Box] = []
    part_boxes: list[Box] = []
    for a0, a1, _ in _runs(mask_n[n0:n1].astype(int)):
        for b0, b1, _ in _runs(mask_c[c0:c1].astype(int)):
            for s_start, s_stop, kind in _runs(s_class):
                box = (a0, a1, b0, b1, s_start, s_stop)
                (full_boxes if kind == 2 else part_boxes).append(box)
    s_cell = int(np.searchsorted(s_edges, h * W + w, side="right") - 1)
    return CubeCells(
        n_window=(n0, n1),
        c_window=(c0, c1),
        s_edges=s_edges,
        full_boxes=full_boxes,
        part_boxes=part_boxes,
        selected_cell=(n - n0, c - c0, s_cell),
        positions_in_set=int(mask_hw.sum()),
        whole_h=bool(mask_h.all()),
        whole_w=bool(mask_w.all()),
    )


def cube_notes(cells: CubeCells, shape: Shape4, element: Element) -> list[str]:
    """The footnote lines: the window shown, the merged H·W axis, partly shaded cells."""
    N, C, H, W = shape
    _, _, h, w = element
    (n0, n1), (c0, c1) = cells.n_window, cells.c_window
    HW = H * W
    notes = []
    if n1 - n0 < N or c1 - c0 < C:
        notes.append(
            f"showing {range_words(n1 - n0, N, 'n', start=n0)}, "
            f"{range_words(c1 - c0, C, 'c', start=c0)}"
        )
    per_cell = HW / cells.s_count
    cell_words = (
        "one position per cell"
        if cells.s_count == HW
        else f"≈{per_cell:g} positions (h, w) per cell"
    )
    notes.append(f"H and W are merged into one axis of {H}·{W} = {HW} positions, {cell_words}")
    if cells.part_boxes:
        which = {
            (True, False): f"every h at w = {w}",
            (False, True): f"every w at h = {h}",
            (False, False): f"only (h, w) = ({h}, {w})",
        }.get((cells.whole_h, cells.whole_w), "")
        notes.append(
            f"lighter cells hold only part of the set: {cells.positions_in_set} of the {HW} "
            f"positions ({which})"
        )
    return notes
