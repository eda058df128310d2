"""The Group Normalization paper's cube (Wu & He 2018, fig. 2) for any spec.

Built in two steps: :func:`normapp.figures.cube_geometry.cube_cells` works
out, as plain numbers, which cells of the N × C × (H·W) lattice hold the
selected element's set; the trace helpers here then draw those cells, and
:func:`cube_figure` assembles them.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

import normlib
from normapp.figures._arrays import check_element, float_payload, small_uint
from normapp.figures._style import (
    LATTICE,
    MARKER_FILL,
    NORMAL_TEXT,
    SET_HIGHLIGHT,
    SIDE_HEIGHT,
    TRANSPARENT,
    TextSizes,
    add_notes,
    apply_style,
    black_under_yellow,
    figure_title,
    mix,
)
from normapp.figures.cube_geometry import Box, CubeCells, cube_cells, cube_notes
from normlib.typing import Element, Shape4


def _box_mesh(boxes: list[Box]):
    """Vertices and triangles of axis-aligned boxes, for one go.Mesh3d."""
    xs: list[float] = []
    ys: list[float] = []
    zs: list[float] = []
    ii: list[int] = []
    jj: list[int] = []
    kk: list[int] = []
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
    for first, last in sorted(segments):
        for point in (first, last):
            xs.append(point[0])
            ys.append(point[1])
            zs.append(point[2])
        xs.append(np.nan)
        ys.append(np.nan)
        zs.append(np.nan)
    return (float_payload(np.array(v)) for v in (xs, ys, zs))


_LIGHTING = dict(ambient=0.75, diffuse=0.45, specular=0.05, roughness=0.9, fresnel=0.0)


def _shaded_traces(boxes: list[Box], colour: str, opacity: float, name: str) -> list:
    """One mesh for the boxes, then each box's cell lattice in a darker shade."""
    xs, ys, zs, ii, jj, kk = _box_mesh(boxes)
    traces = [
        go.Mesh3d(
            x=float_payload(xs),
            y=float_payload(ys),
            z=float_payload(zs),
            i=small_uint(np.array(ii)),
            j=small_uint(np.array(jj)),
            k=small_uint(np.array(kk)),
            color=colour,
            opacity=opacity,
            flatshading=True,
            lighting=_LIGHTING,
            name=name,
            showlegend=True,
            hoverinfo="name",
        )
    ]
    for x0, x1, y0, y1, z0, z1 in boxes:
        lx, ly, lz = _surface_lines(
            np.arange(x0, x1 + 1), np.arange(y0, y1 + 1), np.arange(z0, z1 + 1)
        )
        traces.append(
            go.Scatter3d(
                x=lx,
                y=ly,
                z=lz,
                mode="lines",
                line=dict(color=mix(SET_HIGHLIGHT, "#000000", 0.35), width=3),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def _set_traces(cells: CubeCells) -> list:
    """The set's cells shaded blue; cells holding only part of it lighter and more see-through."""
    traces = []
    for boxes, colour, opacity, name in (
        (cells.full_boxes, SET_HIGHLIGHT, 0.9, "the selected element's set"),
        (
            cells.part_boxes,
            mix(SET_HIGHLIGHT, "#FFFFFF", 0.3),
            0.6,
            "cells holding part of the set",
        ),
    ):
        if boxes:
            traces += _shaded_traces(boxes, colour, opacity, name)
    return traces


def _cube_layout(
    fig: go.Figure, notes: list[str], *, titled: bool, height: int, text: TextSizes
) -> None:
    """The shared style, the legend above the scene, and the notes under it.

    The bottom margin grows with the notes after :func:`apply_style`, which sets
    the whole margin; the legend is transparent over the transparent scene.
    """
    apply_style(fig, height=height, margin=dict(l=0, r=0, t=75 if titled else 45, b=10), text=text)
    fig.update_layout(
        legend=dict(
            orientation="h", x=0, y=1, yref="container", yanchor="top", bgcolor=TRANSPARENT
        ),
        margin=dict(b=15 + 21 * len(notes)),
    )
    add_notes(fig, notes, y=0, yanchor="top", size=text.note)


def _lattice_trace(cells: CubeCells) -> go.Scatter3d:
    """The grey lattice of every cell shown, on the outside of the cube."""
    (n0, n1), (c0, c1) = cells.n_window, cells.c_window
    lx, ly, lz = _surface_lines(
        np.arange(n1 - n0 + 1), np.arange(c1 - c0 + 1), np.arange(cells.s_count + 1)
    )
    return go.Scatter3d(
        x=lx,
        y=ly,
        z=lz,
        mode="lines",
        line=dict(color=LATTICE, width=2),
        hoverinfo="skip",
        showlegend=False,
        name="lattice",
    )


def _selected_cell_traces(cells: CubeCells, element: Element) -> list:
    """The selected element's cell, edged black under yellow, with a diamond at its centre."""
    x0, y0, z0 = cells.selected_cell
    cx, cy, cz = _surface_lines([x0, x0 + 1], [y0, y0 + 1], [z0, z0 + 1])
    traces = [
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
        for colour, width, legend in black_under_yellow(9, 5)
    ]
    n, c, h, w = element
    traces.append(
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
    return traces


def _scene_ticks(start: int, stop: int, letter: str, text: TextSizes = NORMAL_TEXT) -> dict:
    """Labelled indices centred on their cells: at most 8, or 4 with large (presenter) text,
    whose 22-px digits ran together on an axis of 8 cells ("01234567")."""
    count = stop - start
    most = 8 if text.font <= NORMAL_TEXT.font else 4
    every = max(1, math.ceil(count / most))
    picks = list(range(0, count, every))
    return dict(
        tickvals=[p + 0.5 for p in picks],
        ticktext=[f"{start + p}" for p in picks],
        range=[0, count],
        title=dict(text=letter, font=dict(size=text.title + 3)),
    )


def _cube_scene(cells: CubeCells, text: TextSizes = NORMAL_TEXT) -> dict:
    """The 3-D scene: N, C and H·W axes, a fixed orthographic view from the front left.

    With presenter text the cube is drawn larger (it filled a small part of a 1920-px
    screen) and ticks and axis titles take the text's sizes.
    """
    axis_style = dict(
        showbackground=False,
        showgrid=False,
        zeroline=False,
        showspikes=False,
        tickfont=dict(size=text.font),
    )
    big = 1.0 if text.font <= NORMAL_TEXT.font else 1.15  # an orthographic scene's zoom
    return dict(
        xaxis=dict(**_scene_ticks(*cells.n_window, "N", text), **axis_style),
        yaxis=dict(**_scene_ticks(*cells.c_window, "C", text), **axis_style),
        zaxis=dict(
            showticklabels=False,
            range=[0, cells.s_count],
            title=dict(text="H, W", font=dict(size=text.title + 3)),
            **axis_style,
        ),
        aspectmode="manual",
        aspectratio=dict(x=1.1 * big, y=1.1 * big, z=1.1 * big),
        camera=dict(
            eye=dict(x=1.25, y=-1.25, z=0.85),
            center=dict(x=0, y=0, z=-0.05),
            projection=dict(type="orthographic"),
        ),
        dragmode="orbit",
        bgcolor=TRANSPARENT,
    )


def cube_figure(
    shape: Shape4,
    spec,
    *,
    selected: Element | None = None,
    max_cells: int = 8,
    hw_cells: int = 8,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
    text: TextSizes = NORMAL_TEXT,
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
    shape = spec.check_shape(tuple(int(v) for v in shape))
    element = check_element(selected if selected is not None else (0, 0, 0, 0), shape)
    cells = cube_cells(shape, spec, element, max_cells=max_cells, hw_cells=hw_cells)
    fig = go.Figure(_set_traces(cells))
    fig.add_trace(_lattice_trace(cells))
    fig.add_traces(_selected_cell_traces(cells, element))
    fig.update_layout(scene=_cube_scene(cells, text), title=figure_title(title))
    _cube_layout(
        fig, cube_notes(cells, shape, element), titled=title is not None, height=height, text=text
    )
    return fig
