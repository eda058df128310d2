"""The Training lab's figures: curves over training steps, batch statistics, error by batch size.

Pure functions from arrays to figures. Each normalization keeps one colour on every figure
(:data:`NORM_COLOURS`); BatchNorm in train mode (batch statistics at evaluation) is drawn
dashed in BatchNorm's colour. Long runs are thinned to at most `max_points` points per curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from normapp.figures._arrays import float_payload, thin_indices
from normapp.figures._style import (
    LATTICE,
    NORMAL_TEXT,
    SIDE_HEIGHT,
    TextSizes,
    add_note,
    apply_style,
    figure_title,
    rgba,
    wrap,
)

# Blue for BatchNorm and red for GroupNorm, as in the GroupNorm paper's Figure 1; the others
# from Paul Tol's muted scheme, all readable on white and on near-black.
NORM_COLOURS = {
    "none": LATTICE,
    "batchnorm": "#4477AA",
    "groupnorm": "#CC6677",
    "layernorm": "#44AA99",
    "instancenorm": "#AA4499",
    "custom": "#999933",
}


# Legends go under the x axis title: above the plot, three entries ran into the title.
_LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left")
_MARGIN_LEGEND_BELOW = dict(l=70, r=20, t=50, b=130)


@dataclass(frozen=True)
class Curve:
    """One line: its legend label, the normalization it belongs to (its colour), x and y.

    `dashed` marks BatchNorm evaluated with batch statistics (train mode).
    """

    label: str
    norm: str
    x: np.ndarray
    y: np.ndarray
    dashed: bool = False


def _thin(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Every k-th point (the last kept), so a long run ships at most about `max_points`."""
    if x.size <= max_points:
        return x, y
    keep = thin_indices(x.size, max_points)
    return x[keep], y[keep]


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` values at each step (fewer at the start).

    Examples
    --------
    >>> moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.r_[0.0, values])
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


def steps_figure(
    curves: Sequence[Curve],
    *,
    title: str,
    y_title: str,
    smooth: int = 0,
    raw: bool = True,
    percent: bool = False,
    markers: bool = False,
    max_points: int = 400,
    height: int = SIDE_HEIGHT,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """Values over training steps, one line per curve.

    With `smooth` > 1 each curve is drawn solid as its moving average over `smooth` steps
    and, when `raw`, faint as measured (a step's batch loss is noisy at small batches; a
    small batch's accuracy takes a few values only, so its raw trace is a hatch, not a line).
    """
    fig = go.Figure()
    for curve in curves:
        colour = NORM_COLOURS.get(curve.norm, LATTICE)
        x = np.asarray(curve.x)
        y = np.asarray(curve.y, dtype=np.float64) * (100.0 if percent else 1.0)
        dash = "dash" if curve.dashed else "solid"
        value = "%{y:.1f}%" if percent else "%{y:.4g}"
        if smooth > 1 and y.size > 1:
            if raw:
                raw_x, raw_y = _thin(x, y, max_points)
                fig.add_trace(
                    go.Scatter(
                        x=raw_x,
                        y=float_payload(raw_y),
                        mode="lines",
                        line=dict(color=rgba(colour, 0.25), width=1),
                        legendgroup=curve.label,
                        showlegend=False,
                        hoverinfo="skip",
                    )
                )
            y = moving_average(y, smooth)
        x, y = _thin(x, y, max_points)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=float_payload(y),
                mode="lines+markers" if markers else "lines",
                line=dict(color=colour, width=3, dash=dash),
                marker=dict(size=7),
                name=curve.label,
                legendgroup=curve.label,
                hovertemplate=f"{curve.label}<br>step %{{x}}: {value}<extra></extra>",
            )
        )
    fig.update_layout(title=figure_title(title), legend=_LEGEND_BELOW)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text=y_title, ticksuffix="%" if percent else None)
    if percent:
        fig.update_yaxes(range=[0, 100])
    return apply_style(fig, height=height, margin=_titled_margin(title), text=text)


def _titled_margin(title: str) -> dict:
    """The margins with room for a title of one or more lines (a phone needs two)."""
    return {**_MARGIN_LEGEND_BELOW, "t": 26 + 24 * (title.count("<br>") + 1)}


def batch_statistics_figure(
    batch_mean: np.ndarray,
    running_mean: np.ndarray,
    batch_var: np.ndarray,
    running_var: np.ndarray,
    *,
    batch_size: int,
    max_points: int = 400,
    height: int = SIDE_HEIGHT,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """One channel's batch mean and variance at every step (dots) and the running ones (line).

    The dots' spread is how noisy BatchNorm's statistics are at this batch size; the line is
    what eval mode will use.
    """
    # Wide spacing: at 0.12 the right panel's axis title lay on the left plot on a phone.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.22)
    steps = np.arange(1, np.asarray(batch_mean).size + 1)
    colour = NORM_COLOURS["batchnorm"]
    for col, (batch, running, name) in enumerate(
        ((batch_mean, running_mean, "mean"), (batch_var, running_var, "variance")), start=1
    ):
        x, y = _thin(steps, np.asarray(batch, dtype=np.float64), max_points)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=float_payload(y),
                mode="markers",
                marker=dict(color=rgba(colour, 0.45), size=6),
                name=f"this batch's {name}",
                legendgroup=f"batch {name}",
                showlegend=col == 1,
                hovertemplate=f"step %{{x}}: batch {name} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        x, y = _thin(steps, np.asarray(running, dtype=np.float64), max_points)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=float_payload(y),
                mode="lines",
                line=dict(color=colour, width=3),
                name=f"running_{'var' if name == 'variance' else 'mean'}",
                hovertemplate=f"step %{{x}}: running {name} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="training step", row=1, col=col)
        fig.update_yaxes(title_text=name, row=1, col=col)  # the title names channel 0
    title = f"First BatchNorm layer, channel 0,<br>batches of {batch_size}"  # fits a phone
    fig.update_layout(title=figure_title(title), legend=_LEGEND_BELOW)
    return apply_style(fig, height=height, margin=_titled_margin(title), text=text)


def error_by_batch_figure(
    curves: Sequence[Curve],
    *,
    note: str | None = None,
    height: int = 520,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """Held-out error (%) against batch size, one line per normalization: the GN paper's Fig. 1.

    Each curve's x holds batch sizes and y the error as a fraction. The x axis is log 2 with
    the largest batch on the left, as in the paper.
    """
    fig = go.Figure()
    all_batches: set[int] = set()
    for curve in curves:
        colour = NORM_COLOURS.get(curve.norm, LATTICE)
        batches = np.asarray(curve.x, dtype=np.int64)
        all_batches.update(int(b) for b in batches)
        fig.add_trace(
            go.Scatter(
                x=batches,
                y=float_payload(np.asarray(curve.y, dtype=np.float64) * 100.0),
                mode="lines+markers",
                line=dict(color=colour, width=3, dash="dash" if curve.dashed else "solid"),
                marker=dict(size=10),
                name=curve.label,
                hovertemplate=f"{curve.label}<br>batch %{{x}}: %{{y:.1f}}% error<extra></extra>",
            )
        )
    ticks = sorted(all_batches) or [2, 4, 8, 16, 32]
    fig.update_xaxes(
        title_text="batch size (images per training step)",
        type="log",
        tickvals=ticks,
        ticktext=[str(b) for b in ticks],
        autorange="reversed",
    )
    fig.update_yaxes(title_text="held-out error", ticksuffix="%", rangemode="tozero")
    fig.update_layout(title=figure_title("Held-out error by batch size"), legend=_LEGEND_BELOW)
    margin = dict(_MARGIN_LEGEND_BELOW)
    if note:
        wrapped = wrap(note, 90)
        add_note(fig, wrapped, y=-0.36)
        margin["b"] += 24 * (wrapped.count("<br>") + 1)
    return apply_style(fig, height=height, margin=margin, text=text)
