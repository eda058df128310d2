"""Train vs eval: one sample's input, training output and eval output, as two mosaics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from normapp.figures._arrays import block_mean, float_payload
from normapp.figures._style import apply_style


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


def _input_trace(mosaic: np.ndarray) -> go.Heatmap:
    """The input row on its own sequential scale (its values are not centred at 0)."""
    return go.Heatmap(
        z=float_payload(mosaic),
        colorscale="Cividis",
        showscale=False,
        hovertemplate="input: %{z:.3f}<extra></extra>",
    )


def _output_trace(mosaic: np.ndarray) -> go.Heatmap:
    """Training and eval outputs on one diverging scale, symmetric about 0."""
    limit = float(np.nanmax(np.abs(mosaic))) or 1.0
    return go.Heatmap(
        z=float_payload(mosaic),
        colorscale="RdBu_r",
        zmin=-limit,
        zmax=limit,
        colorbar=dict(len=0.62, y=0.0, yanchor="bottom", thickness=12, title="output"),
        hovertemplate="output: %{z:.3f}<extra></extra>",
    )


def _modes_axes(fig: go.Figure, names: list[str], hw: tuple[int, int], gap: int) -> None:
    """Channel names over the columns, row names (input; train, eval) on the left, square
    pixels, row 0 at the top."""
    h, w = hw
    centres = [(w + gap) * c + (w - 1) / 2 for c in range(len(names))]
    fig.update_xaxes(tickvals=centres, ticktext=names, showgrid=False, zeroline=False)
    fig.update_xaxes(side="top", row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=2, col=1)
    fig.update_yaxes(
        autorange="reversed", showgrid=False, zeroline=False, scaleanchor="x", constrain="domain"
    )
    fig.update_yaxes(tickvals=[(h - 1) / 2], ticktext=["input"], row=1, col=1)
    fig.update_yaxes(
        tickvals=[(h - 1) / 2, h + gap + (h - 1) / 2],
        ticktext=["train", "eval"],
        scaleanchor="x2",
        row=2,
        col=1,
    )
    fig.update_xaxes(constrain="domain")


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
    fig = make_subplots(rows=2, cols=1, row_heights=[h, 2 * h + gap], vertical_spacing=0.06)
    fig.add_trace(_input_trace(top), row=1, col=1)
    fig.add_trace(_output_trace(bottom), row=2, col=1)
    names = [f"c={c} {channel_labels[c]}"[:18] for c in range(channels)]
    _modes_axes(fig, names, (h, w), gap)
    tile = min(150, (width - 150) / channels)
    return apply_style(fig, height=int(3 * tile + 110), margin=dict(l=60, r=60, t=40, b=10))
