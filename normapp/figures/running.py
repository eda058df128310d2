"""BatchNorm's running statistics over training steps, against the population value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import float_payload, thin_indices
from normapp.figures._style import (
    LATTICE,
    SET_PALETTE,
    SIDE_HEIGHT,
    add_trace_data,
    apply_style,
    figure_title,
)


def _channel_traces(
    xs: np.ndarray,
    running: np.ndarray,
    x_ends: list[float],
    population: float,
    channel: int,
    label: str,
    reference_name: str,
) -> list[dict]:
    """One channel's running estimate (solid) and its reference value (dashed), one colour,
    as scatter trace data."""
    colour = SET_PALETTE[channel % len(SET_PALETTE)]
    return [
        dict(
            x=xs,
            y=float_payload(running),
            mode="lines",
            line=dict(color=colour, width=3),
            name=label,
            legendgroup=label,
            hovertemplate=f"{label}<br>step %{{x}}: %{{y:.4g}}<extra></extra>",
        ),
        dict(
            x=x_ends,
            y=[float(population)] * 2,
            mode="lines",
            line=dict(color=colour, width=2, dash="dash"),
            name=f"{label} {reference_name}",
            legendgroup=label,
            showlegend=False,
            hovertemplate=f"{label} {reference_name}: %{{y:.4g}}<extra></extra>",
        ),
    ]


def _checked_running(
    steps: np.ndarray, running: np.ndarray, population: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps (steps,), running values (steps, C) (one channel may come as (steps,)) and
    population (C,), checked to agree."""
    steps = np.asarray(steps).reshape(-1)
    running = np.asarray(running, dtype=np.float64)
    if running.ndim == 1:
        running = running[:, None]
    population = np.asarray(population, dtype=np.float64).reshape(-1)
    if running.shape[0] != steps.size or population.size != running.shape[1]:
        raise ValueError(
            f"running must be (steps, C) = ({steps.size}, {population.size}), got {running.shape}"
        )
    return steps, running, population


def _every_channel(
    steps: np.ndarray,
    running: np.ndarray,
    population: np.ndarray,
    keep: np.ndarray,
    labels: Sequence[str] | None,
    reference_name: str,
) -> list[dict]:
    """Each channel's two lines, channel by channel: its running values at the `keep`
    steps, and its reference value dashed across every step."""
    x_ends = [float(steps.min()), float(steps.max())] if steps.size else [0.0, 1.0]
    traces = []
    for channel in range(running.shape[1]):
        traces += _channel_traces(
            steps[keep],
            running[keep, channel],
            x_ends,
            population[channel],
            channel,
            _channel_label(labels, channel),
            reference_name,
        )
    return traces


def _channel_label(labels: Sequence[str] | None, channel: int) -> str:
    """The caller's label for `channel`, or ``"c=k"`` when it gave none."""
    return labels[channel] if labels is not None and channel < len(labels) else f"c={channel}"


def _reference_swatch(name: str) -> dict:
    """A legend-only grey dashed line: one entry says what every channel's dashed line is."""
    return dict(
        x=[None],
        y=[None],
        mode="lines",
        line=dict(color=LATTICE, width=2, dash="dash"),
        name=name,
        hoverinfo="skip",
    )


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
    reference_name: str = "population",
    reference_legend: str = "population value",
    legend_below: bool = False,
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
    reference_name, reference_legend : str
        What the dashed lines are called in hover text ("c=0 population") and
        in the legend ("population value").
    legend_below : bool
        A horizontal legend under the plot (for many channels on a wide page).

    Returns
    -------
    go.Figure
        One solid line per channel and one dashed line in the same colour
        (``SET_PALETTE``) at the population value.
    """
    steps, running, population = _checked_running(steps, running, population)
    keep = thin_indices(steps.size, max_points)
    # Traces and layout as data, added without validation (add_trace_data, apply_style's
    # layout): the figure tests check what they hold.
    fig = go.Figure()
    traces = _every_channel(steps, running, population, keep, channel_labels, reference_name)
    for trace in [*traces, _reference_swatch(reference_legend)]:
        add_trace_data(fig, type="scatter", **trace)
    own: dict = {
        "xaxis": {"title": {"text": "training step"}},
        "yaxis": {"title": {"text": y_label}},
        "title": figure_title(title),
        "hovermode": "closest",
    }
    if legend_below:
        own["legend"] = dict(orientation="h", yanchor="top", y=-0.33, x=0, xanchor="left")
    lines = title.count("<br>") + 1
    margin = dict(l=70, r=20, t=40 + 24 * lines, b=60)
    return apply_style(fig, height=height, margin=margin, layout=own)


FIGURE_CHANNELS = 8  # lines per running-statistics figure (64 would be unreadable and slow)


def running_pair_figures(
    running_mean: np.ndarray,
    mean_target: np.ndarray,
    running_var: np.ndarray,
    var_target: np.ndarray,
    channel_labels: Sequence[str],
    height: int = 360,
) -> tuple[go.Figure, go.Figure]:
    """running_mean and running_var per channel over the steps, their targets dashed.

    `running_mean` and `running_var` are (steps + 1, C), from step 0. The
    variance's target is the expected batch variance (the whole input's
    unbiased variance only when B = N), so its dashed lines are called
    "target". The first FIGURE_CHANNELS channels are drawn.
    """
    steps = np.arange(np.asarray(running_mean).shape[0])
    shown = min(len(channel_labels), FIGURE_CHANNELS)
    labels = [f"c={c} {label}" for c, label in enumerate(channel_labels[:shown])]
    mean_fig = running_stats_figure(
        steps,
        np.asarray(running_mean)[:, :shown],
        np.asarray(mean_target)[:shown],
        # Two lines: on one, the title ran past a 390-px phone's edge.
        title="running_mean<br>dashed: the whole input's mean",
        y_label="running_mean",
        reference_legend="whole-input mean",
        channel_labels=labels,
        height=height,
        legend_below=True,
    )
    var_fig = running_stats_figure(
        steps,
        np.asarray(running_var)[:, :shown],
        np.asarray(var_target)[:shown],
        title="running_var<br>dashed: its expected value",
        y_label="running_var",
        reference_name="target",
        reference_legend="expected value",
        channel_labels=labels,
        height=height,
        legend_below=True,
    )
    return mean_fig, var_fig
