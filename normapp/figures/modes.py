"""Train vs eval: one sample's input, training output and eval output, as two mosaics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import block_mean, float_payload
from normapp.figures._style import (
    add_trace_data,
    apply_style,
    spelled_colorscale,
    subplot_grid,
)


def _mosaic(tiles: Sequence[np.ndarray], gap: int) -> np.ndarray:
    """Tiles side by side, `gap` NaN columns between them."""
    h = tiles[0].shape[0]
    parts = []
    for k, tile in enumerate(tiles):
        if k:
            parts.append(np.full((h, gap), np.nan))
        parts.append(tile)
    return np.concatenate(parts, axis=1)


def _channel_maps(values: np.ndarray, channels: int, step: int) -> list[np.ndarray]:
    """The first `channels` maps of one sample, block-averaged step × step."""
    return [block_mean(values[c].astype(np.float64), step) for c in range(channels)]


def _input_trace(mosaic: np.ndarray) -> dict:
    """The input row on its own sequential scale (its values are not centred at 0): trace
    data for the top panel."""
    return dict(
        z=float_payload(mosaic),
        colorscale=spelled_colorscale("Cividis"),
        showscale=False,
        hovertemplate="input: %{z:.3f}<extra></extra>",
        xaxis="x",
        yaxis="y",
    )


def _output_trace(mosaic: np.ndarray) -> dict:
    """Training and eval outputs on one diverging scale, symmetric about 0: trace data for
    the bottom panel."""
    limit = float(np.nanmax(np.abs(mosaic))) or 1.0
    return dict(
        z=float_payload(mosaic),
        colorscale=spelled_colorscale("RdBu_r"),
        zmin=-limit,
        zmax=limit,
        colorbar=dict(len=0.62, y=0.0, yanchor="bottom", thickness=12, title={"text": "output"}),
        hovertemplate="output: %{z:.3f}<extra></extra>",
        xaxis="x2",
        yaxis="y2",
    )


def _modes_axes(names: list[str], hw: tuple[int, int], gap: int) -> dict:
    """Channel names over the columns, row names (input; train, eval) on the left, square
    pixels, row 0 at the top (layout data: top panel x, y; bottom x2, y2)."""
    h, w = hw
    centres = [(w + gap) * c + (w - 1) / 2 for c in range(len(names))]
    x = dict(tickvals=centres, ticktext=names, showgrid=False, zeroline=False, constrain="domain")
    y = dict(autorange="reversed", showgrid=False, zeroline=False, constrain="domain")
    return {
        "xaxis": {**x, "side": "top"},
        "xaxis2": {**x, "showticklabels": False},
        "yaxis": {**y, "scaleanchor": "x", "tickvals": [(h - 1) / 2], "ticktext": ["input"]},
        "yaxis2": {
            **y,
            "scaleanchor": "x2",
            "tickvals": [(h - 1) / 2, h + gap + (h - 1) / 2],
            "ticktext": ["train", "eval"],
        },
    }


def modes_figure(
    sample_input: np.ndarray,
    train_output: np.ndarray,
    eval_output: np.ndarray,
    channel_labels: Sequence[str],
    max_channels: int = 8,
    max_px: int = 48,
    width: int = 860,
) -> go.Figure:
    """One sample (C, H, W each): its input, training output and eval output per channel.

    Two mosaics (cheap to draw): the input row on one colour scale (Cividis,
    joint range); training and eval outputs below on one diverging scale
    centred at 0, so a difference in colour between those rows is a
    difference in value. Maps larger than `max_px` are block-averaged.
    """
    channels = min(sample_input.shape[0], max_channels)
    step = -(-max(sample_input.shape[1:]) // max_px)
    inputs = _channel_maps(sample_input, channels, step)
    train = _channel_maps(train_output, channels, step)
    evals = _channel_maps(eval_output, channels, step)
    h, w = inputs[0].shape
    gap = max(1, round(0.12 * w))
    top = _mosaic(inputs, gap)
    bottom = np.concatenate(
        [_mosaic(train, gap), np.full((gap, top.shape[1]), np.nan), _mosaic(evals, gap)]
    )
    # Row heights in proportion to the rows' pixels, so both mosaics get one scale.
    # Built as data: make_subplots' axes (made once per pair of heights), traces naming their
    # axes, the axes' settings as the builder's layout for apply_style.
    fig = subplot_grid(2, 1, row_heights=[h, 2 * h + gap], vertical_spacing=0.06)
    add_trace_data(fig, type="heatmap", **_input_trace(top))
    add_trace_data(fig, type="heatmap", **_output_trace(bottom))
    names = [f"c={c} {channel_labels[c]}"[:18] for c in range(channels)]
    own = _modes_axes(names, (h, w), gap)
    tile = min(150, (width - 150) / channels)
    margin = dict(l=60, r=60, t=40, b=10)
    return apply_style(fig, height=int(3 * tile + 110), margin=margin, layout=own)
