"""Images of (H, W) maps side by side: feature maps before and after, difference maps.

Downsampling rules (each figure says in a note when it applied them):
feature maps are block-averaged (area downsampling) to at most ``max_px`` a
side; difference maps keep, per block, the value of largest magnitude, so the
largest |Δ| is never averaged away. One map alone is
:func:`normapp.figures.single_map.map_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from normapp.figures._arrays import (
    block_extreme,
    block_mean,
    finite_abs_max,
    finite_abs_quantile,
    finite_range,
    float_payload,
    small_uint,
    stride,
)
from normapp.figures._style import (
    FONT_SIZE,
    MAP_X_TITLE,
    MAP_Y_TITLE,
    add_notes,
    add_trace_data,
    apply_style,
    figure_title,
    range_words,
    size_subplot_titles,
    spelled_colorscale,
    subplot_grid,
)


def _image_axes(count: int) -> dict:
    """Square pixels, row 0 at the top, no grid: every image subplot's axes (layout data)."""
    axes: dict = {}
    plain = dict(constrain="domain", showgrid=False, zeroline=False)
    for index in range(1, count + 1):
        suffix = "" if index == 1 else str(index)
        axes[f"xaxis{suffix}"] = dict(plain)
        axes[f"yaxis{suffix}"] = dict(
            autorange="reversed", scaleanchor=f"x{suffix}", scaleratio=1, **plain
        )
    return axes


def _map_data(
    z: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    what: str,
    *,
    coloraxis: str = "coloraxis",
    name: str | None = None,
    label: str = "",
) -> dict:
    """One downsampled image on the shared colour axis, as heatmap trace data; the hover
    shows the true h, w."""
    named = {} if name is None else dict(name=name)
    return dict(
        z=float_payload(z),
        x=small_uint(xs),
        y=small_uint(ys),
        coloraxis=coloraxis,
        **named,
        hovertemplate=f"{label}h=%{{y}}, w=%{{x}}<br>{what} %{{z:.3g}}<extra></extra>",
    )


def _map_trace(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, what: str, **kwargs) -> go.Heatmap:
    """:func:`_map_data` as a ``go.Heatmap``, for a figure that places it by row and column."""
    return go.Heatmap(_map_data(z, xs, ys, what, **kwargs))


def _feature_map_axes(fig: go.Figure, count: int) -> None:
    """Image axes; indices on the bottom row and the first column only (maps share H, W)."""
    fig.update_layout(_image_axes(2 * count))
    fig.update_xaxes(showticklabels=False, ticks="")
    fig.update_yaxes(showticklabels=False, ticks="")
    fig.update_xaxes(showticklabels=True, nticks=4, title_text=MAP_X_TITLE, row=2)
    fig.update_yaxes(showticklabels=True, nticks=4, col=1)
    fig.update_yaxes(title_text=f"before<br>{MAP_Y_TITLE}", row=1, col=1)
    fig.update_yaxes(title_text=f"after<br>{MAP_Y_TITLE}", row=2, col=1)


def _feature_colour_axes(
    small_before: list[np.ndarray],
    small_after: list[np.ndarray],
    before_colorscale: str,
    after_colorscale: str,
    after_quantile: float,
) -> tuple[dict, float, float]:
    """The two shared colour axes, the after scale's half-range and the largest |after|.

    Before: the joint min..max; after: symmetric about 0 up to the
    `after_quantile` of |after| (so a few outliers do not wash out the rest).
    """
    b_low, b_high = finite_range(*small_before)
    a_max = finite_abs_max(*small_after)
    a_top = finite_abs_quantile(after_quantile, *small_after) or a_max or 1.0
    bar = dict(len=0.42, thickness=16, x=1.01, xanchor="left", tickfont=dict(size=FONT_SIZE))
    axes = dict(
        coloraxis=dict(
            colorscale=before_colorscale,
            cmin=b_low,
            cmax=b_high,
            colorbar=dict(**bar, y=0.78, yanchor="middle", title=dict(text="before")),
        ),
        coloraxis2=dict(
            colorscale=after_colorscale,
            cmin=-a_top,
            cmax=a_top,
            colorbar=dict(**bar, y=0.22, yanchor="middle", title=dict(text="after")),
        ),
    )
    return axes, a_top, a_max


def _checked_maps(before, after, maps) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """`before` and `after` as arrays of one 4-D shape, and at least one (n, c) to show."""
    before = np.asarray(before)
    after = np.asarray(after)
    if before.shape != after.shape or before.ndim != 4:
        raise ValueError(
            f"before and after must be 4-D arrays of one shape, got {before.shape}, {after.shape}"
        )
    maps = [(int(n), int(c)) for n, c in maps]
    if not maps:
        raise ValueError("maps is empty: choose at least one (n, c)")
    return before, after, maps


def _feature_step(H: int, W: int, count: int, max_px: int, max_pixels: int) -> int:
    """Block size for `count` maps before and after: within `max_pixels` in all, at most
    `max_px` a side, but never under 8 pixels a side (a smaller map shows nothing)."""
    per_map = max(1, max_pixels // (2 * count))
    cap = max(8, min(max_px, math.isqrt(per_map)))
    return stride(max(H, W), cap)


def _feature_subplots(maps: list[tuple[int, int]], labels: Sequence[str] | None) -> go.Figure:
    """Two rows (before, after) of one column per map, titled over the top row only."""
    titles = list(labels) if labels is not None else [f"n={n}, c={c}" for n, c in maps]
    fig = make_subplots(
        rows=2,
        cols=len(maps),
        subplot_titles=titles + [""] * len(maps),
        horizontal_spacing=0.03,
        vertical_spacing=0.08,
    )
    size_subplot_titles(fig)
    return fig


def _add_feature_maps(
    fig: go.Figure,
    maps: list[tuple[int, int]],
    small_before: list[np.ndarray],
    small_after: list[np.ndarray],
    step: int,
    hw: tuple[int, int],
) -> None:
    """Each (n, c) in its column: before in row 1, after in row 2, each row on its colour axis."""
    H, W = hw
    xs, ys = np.arange(0, W, step), np.arange(0, H, step)
    what = f"mean of a {step}×{step} block" if step > 1 else "value"
    for k, (n, c) in enumerate(maps):
        pairs = (
            (1, small_before[k], "coloraxis", "before"),
            (2, small_after[k], "coloraxis2", "after"),
        )
        for row, z, axis, name in pairs:
            label = f"{name} n={n}, c={c}<br>"
            trace = _map_trace(z, xs, ys, what, coloraxis=axis, name=name, label=label)
            fig.add_trace(trace, row=row, col=k + 1)


def _feature_notes(
    hw: tuple[int, int], step: int, a_top: float, a_max: float, after_quantile: float
) -> list[str]:
    """The footnote lines: block averaging, and after values beyond the colour scale."""
    H, W = hw
    notes = []
    if step > 1:
        notes.append(f"{H}×{W} maps shown block-averaged {step}×{step}")
    if a_max > a_top:
        notes.append(
            f"after: colours saturate beyond ±{a_top:.3g} "
            f"({after_quantile:.1%} of values; the largest |after| is {a_max:.3g})"
        )
    return notes


def feature_maps_figure(
    before: np.ndarray,
    after: np.ndarray,
    maps: Sequence[tuple[int, int]],
    *,
    labels: Sequence[str] | None = None,
    max_px: int = 128,
    max_pixels: int = 48_000,
    before_colorscale: str = "Cividis",
    after_colorscale: str = "RdBu_r",
    after_quantile: float = 0.995,
    height: int = 460,
) -> go.Figure:
    """Chosen (n, c) feature maps before (top row) and after (bottom row) normalizing.

    Each row has ONE colour scale for all its maps, so maps can be compared:

    - before: sequential "Cividis" (perceptually uniform, colour-blind safe)
      over the joint min..max of the shown maps: differences in level and
      contrast between channels and samples are visible;
    - after: diverging "RdBu_r" centred at 0 and symmetric: red is above the
      set's mean, blue below, white at the mean; with all maps on one scale,
      what normalization equalized (or not) shows at once. The range is the
      99.5th percentile of |after| (`after_quantile`), so a few outliers
      (normalized values of 5 or more) do not wash everything else out to
      white; a note says when values beyond it saturate. The hover always
      shows the true value.

    Parameters
    ----------
    before, after : ndarray, shape (N, C, H, W)
    maps : list of (n, c)
    labels : list of str, optional
        Column titles, default ``"n=0, c=1"``.
    max_px : int
        Maps larger than this are block-averaged to at most `max_px` a side.
    max_pixels : int
        Pixel budget of the whole figure; many maps share it.
    before_colorscale, after_colorscale : str
    height : int

    Returns 2 × len(maps) heatmaps; ``layout.coloraxis`` (before) and ``layout.coloraxis2``
    (after) each with a colour bar.
    """
    before, after, maps = _checked_maps(before, after, maps)
    _, _, H, W = before.shape
    step = _feature_step(H, W, len(maps), max_px, max_pixels)
    fig = _feature_subplots(maps, labels)
    small_before = [block_mean(before[n, c], step) for n, c in maps]
    small_after = [block_mean(after[n, c], step) for n, c in maps]
    _add_feature_maps(fig, maps, small_before, small_after, step, (H, W))
    _feature_map_axes(fig, len(maps))
    colour_axes, a_top, a_max = _feature_colour_axes(
        small_before, small_after, before_colorscale, after_colorscale, after_quantile
    )
    fig.update_layout(**colour_axes)
    notes = _feature_notes((H, W), step, a_top, a_max, after_quantile)
    apply_style(fig, height=height, margin=dict(l=95, r=90, t=40, b=70 + 22 * len(notes)))
    add_notes(fig, notes, y=0, yshift=-62)
    return fig


def _difference_panels(
    diff: np.ndarray, labels: Sequence[str] | None
) -> tuple[np.ndarray, Sequence[str] | None]:
    """`diff` as (C, H, W) panels; one (H, W) map is one panel without a title."""
    diff = np.asarray(diff, dtype=np.float64)
    if diff.ndim == 2:
        diff = diff[None]
        labels = [""] if labels is None else labels
    if diff.ndim != 3:
        raise ValueError(f"diff must be (H, W) or (C, H, W), got shape {diff.shape}")
    return diff, labels


def _add_difference_maps(fig: go.Figure, panels: np.ndarray, step: int) -> None:
    """One panel per map, each block reduced to its largest |Δ| so the largest never hides."""
    _, H, W = panels.shape
    what = f"largest |Δ| of a {step}×{step} block" if step > 1 else "Δ"
    for c, panel in enumerate(panels):
        xs, ys = np.arange(0, W, step), np.arange(0, H, step)
        suffix = "" if c == 0 else str(c + 1)
        add_trace_data(
            fig,
            type="heatmap",
            **_map_data(block_extreme(panel, step), xs, ys, what),
            xaxis=f"x{suffix}",
            yaxis=f"y{suffix}",
        )


def _difference_axes(names: Sequence[str], shown: int) -> dict:
    """Image axes without tick labels; panel titles as top x-axis titles, so they stay
    next to the square images (layout data)."""
    axes = _image_axes(shown)
    hidden = dict(showticklabels=False, ticks="")
    for c in range(shown):
        suffix = "" if c == 0 else str(c + 1)
        title = names[c] if c < len(names) else f"c={c}"
        axes[f"xaxis{suffix}"].update(title={"text": title}, side="top", **hidden)
        axes[f"yaxis{suffix}"].update(hidden)
    return axes


def difference_heatmap_figure(
    diff: np.ndarray,
    *,
    title: str,
    labels: Sequence[str] | None = None,
    max_px: int = 128,
    max_panels: int = 8,
    height: int = 340,
) -> go.Figure:
    """A difference map on a diverging scale centred at 0, max |Δ| in the title.

    Parameters
    ----------
    diff : ndarray, shape (H, W) or (C, H, W)
        With three dimensions, one panel per channel (at most `max_panels`),
        all on one colour scale.
    title : str
        The title; " · max |Δ| = ..." is appended (over the whole array).
    labels : list of str, optional
        Panel titles for (C, H, W) input, default ``"c=k"``.
    max_px : int
        Larger maps are reduced by keeping the largest-magnitude value of
        each block, so the largest difference always shows.
    max_panels, height : int
    """
    diff, labels = _difference_panels(diff, labels)
    C, H, W = diff.shape
    top = finite_abs_max(diff)
    shown = min(C, max_panels)
    step = stride(max(H, W), max_px)
    names = list(labels) if labels is not None else [f"c={c}" for c in range(C)]
    fig = subplot_grid(1, shown, horizontal_spacing=0.03)
    _add_difference_maps(fig, diff[:shown], step)
    scale_top = top if top > 0 else 1.0
    own = {
        **_difference_axes(names, shown),
        "coloraxis": dict(
            colorscale=spelled_colorscale("RdBu_r"),  # data written unvalidated (apply_style)
            cmin=-scale_top,
            cmax=scale_top,
            colorbar=dict(thickness=16, title=dict(text="Δ"), exponentformat="power"),
        ),
        "title": figure_title(f"{title} · max |Δ| = {top:.3g}"),
    }
    notes = []
    if shown < C:
        notes.append(f"showing {range_words(shown, C, 'channel', 'channels')}")
    if step > 1:
        notes.append(f"{H}×{W} maps reduced {step}×{step}, keeping each block's largest |Δ|")
    margin = dict(l=20, r=20, t=70, b=20 + 22 * len(notes))
    apply_style(fig, height=height, margin=margin, layout=own)
    add_notes(fig, notes, y=-0.02)
    return fig
