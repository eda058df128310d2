"""One (H, W) map on a diverging scale centred at 0, e.g. a card of the Compare page.

Larger maps are block-averaged (area downsampling) to at most ``max_px`` a
side, as feature maps are (:mod:`normapp.figures.maps`). Without hover the
colours travel as one byte a pixel (:func:`_levels`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from normapp.figures._arrays import block_mean, finite_abs_max, float_payload, small_uint, stride
from normapp.figures._style import MAP_X_TITLE, MAP_Y_TITLE, apply_style, figure_title

_LEVELS = 254  # uint8 levels 0..254 for -top..top, so 0 sits on level 127


def _levels(values: np.ndarray, top: float) -> dict:
    """Heatmap colour arguments for `values` in [-top, top] sent as uint8 levels.

    The colour bar keeps its labels in values: five ticks at -top, -top/2, 0, top/2, top.
    """
    level = np.rint((np.clip(values, -top, top) + top) / (2 * top) * _LEVELS).astype(np.uint8)
    ticks = np.linspace(-top, top, 5)
    return dict(
        z=level,
        zmin=0,
        zmax=_LEVELS,
        colorbar=dict(
            thickness=12,
            len=0.9,
            tickvals=((ticks + top) / (2 * top) * _LEVELS).tolist(),
            ticktext=[f"{t:.3g}" for t in ticks],
        ),
    )


def map_figure(
    values: np.ndarray, title: str, *, height: int = 240, max_px: int = 128, hover: bool = True
) -> go.Figure:
    """One (H, W) map as a heatmap on a diverging scale centred at 0 (row 0 at the top).

    Parameters
    ----------
    values : ndarray, shape (H, W)
    title : str
    height : int
    max_px : int
        Larger maps are block-averaged to at most `max_px` a side.
    hover : bool
        Show each pixel's value on hover. Without hover (a picture to compare at a
        glance, as on the Compare page's cards) the colours are sent as 255 levels
        (one byte a pixel instead of four; a step of 0.4 % of the range, below what
        the eye tells apart on the colour scale), the colour bar still labelled in values.

    Returns
    -------
    go.Figure
        One ``go.Heatmap`` ("RdBu_r", symmetric about 0) with h and w axis titles.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be one (H, W) map, got shape {values.shape}")
    H, W = values.shape
    step = stride(max(H, W), max_px)
    top = finite_abs_max(values) or 1.0
    what = f"mean of a {step}×{step} block" if step > 1 else "value"
    shown = block_mean(values, step)
    colours = dict(
        z=float_payload(shown), zmin=-top, zmax=top, colorbar=dict(thickness=12, len=0.9)
    )
    if not hover and np.isfinite(shown).all():
        colours = _levels(shown, top)
    fig = go.Figure(
        go.Heatmap(
            **colours,
            x=small_uint(np.arange(0, W, step)),
            y=small_uint(np.arange(0, H, step)),
            colorscale="RdBu_r",
            hovertemplate=f"h=%{{y}}, w=%{{x}}<br>{what} %{{z:.3f}}<extra></extra>",
            hoverinfo=None if hover else "skip",
        )
    )
    axes = dict(constrain="domain", nticks=4, showgrid=False, zeroline=False)
    own: dict = {
        "xaxis": {**axes, "title": {"text": MAP_X_TITLE}},
        "yaxis": {
            **axes,
            "autorange": "reversed",
            "scaleanchor": "x",
            "title": {"text": MAP_Y_TITLE},
        },
    }
    if title is not None:
        own["title"] = figure_title(title)
    return apply_style(fig, height=height, margin=dict(l=60, r=10, t=40, b=50), layout=own)
