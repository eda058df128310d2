"""Per-set statistics: a heatmap for many sets, bars for few."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from normapp.figures._arrays import float_payload, small_uint, stride
from normapp.figures._style import (
    NORMAL_TEXT,
    SET_HIGHLIGHT,
    SET_PALETTE,
    SIDE_HEIGHT,
    TextSizes,
    add_note,
    apply_style,
    figure_title,
    size_subplot_titles,
)

_DIVERGING = ("RdBu_r", "RdBu", "PuOr", "BrBG", "PiYG", "PRGn")


def _checked_values(values: np.ndarray) -> np.ndarray:
    """`values` as a 2-D float array; one row may come as 1-D."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D, got shape {values.shape}")
    return values


def _colour_scale(shown: np.ndarray, colorscale: str | None) -> tuple[str, dict]:
    """The colour scale and its range: diverging and symmetric about 0 when the values take
    both signs (so white is 0), else sequential over the values' own range."""
    finite = shown[np.isfinite(shown)]
    both_signs = finite.size > 0 and finite.min() < 0 < finite.max()
    scale = colorscale or ("RdBu_r" if both_signs else "Cividis")
    extra = {}
    if scale in _DIVERGING and finite.size:
        top = float(np.abs(finite).max()) or 1.0
        extra = dict(zmin=-top, zmax=top)
    return scale, extra


def _stats_trace(
    values: np.ndarray, steps: tuple[int, int], colorscale: str | None, names: tuple[str, str, str]
) -> go.Heatmap:
    """Every k-th row and column of `values`; the axes and the hover keep the true indices.

    `names` are what rows, columns and values are called (hover and colour bar).
    """
    step_r, step_c = steps
    rows, cols = values.shape
    row_label, col_label, value_label = names
    shown = values[::step_r, ::step_c]
    scale, extra = _colour_scale(shown, colorscale)
    return go.Heatmap(
        z=float_payload(shown),
        x=small_uint(np.arange(0, cols, step_c)),
        y=small_uint(np.arange(0, rows, step_r)),
        colorscale=scale,
        colorbar=dict(title=dict(text=value_label), thickness=16),
        hovertemplate=(
            f"{row_label}=%{{y}}, {col_label}=%{{x}}<br>{value_label} %{{z:.4g}}<extra></extra>"
        ),
        **extra,
    )


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
    text: TextSizes = NORMAL_TEXT,
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
    values = _checked_values(values)
    rows, cols = values.shape
    step_r, step_c = stride(rows, max_cells), stride(cols, max_cells)
    names = (row_label, col_label, value_label)
    fig = go.Figure(_stats_trace(values, (step_r, step_c), colorscale, names))
    fig.update_xaxes(title_text=col_label, showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=row_label, autorange="reversed", showgrid=False, zeroline=False)
    fig.update_layout(title=figure_title(title))
    thinned = step_r > 1 or step_c > 1
    apply_style(
        fig, height=height, margin=dict(l=70, r=20, t=60, b=60 + (22 if thinned else 0)), text=text
    )
    if thinned:
        add_note(
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
    text: TextSizes = NORMAL_TEXT,
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
                y=float_payload(values),
                marker=dict(color=colours),
                name=name,
                showlegend=False,
                hovertemplate=f"%{{x}}<br>{name} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    size_subplot_titles(fig)
    fig.update_xaxes(tickangle=-45 if means.size > 8 else 0, automargin=True)
    fig.update_layout(title=figure_title(title), bargap=0.15)
    return apply_style(
        fig, height=height, margin=dict(l=60, r=20, t=60 if title is None else 90, b=40), text=text
    )
