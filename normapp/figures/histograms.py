"""Before/after histograms: one overlaid pair, or small multiples per channel or set.

Counts come from :func:`normlib.histograms` and are drawn as ``go.Bar`` (never
``go.Histogram``: no figure carries one point per element). When a few
outliers stretch the bins, :func:`_histogram_view` narrows the x range and
counts the outliers in the outermost bars, and a note says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import normlib
from normapp.figures._arrays import float_payload, small_uint
from normapp.figures._style import (
    AFTER_COLOUR,
    BEFORE_COLOUR,
    NORMAL_TEXT,
    SIDE_HEIGHT,
    TextSizes,
    add_note,
    add_notes,
    add_trace_data,
    apply_style,
    figure_title,
    rgba,
    size_subplot_titles,
    wrap,
)


def _bar_pair(
    h: normlib.Histograms, before: np.ndarray, after: np.ndarray, *, showlegend: bool = True
) -> list:
    """Before/after as translucent bars plus a solid step outline each (trace data).

    The outlines keep both distributions readable where the bars overlap
    and on the dark theme, where translucent fills turn muddy.
    """
    centers = float_payload(h.centers)
    hover = (
        "%{y:,} values in [%{customdata[0]:.3g}, %{customdata[1]:.3g})"
        "<extra>%{fullData.name}</extra>"
    )
    edges = float_payload(np.stack([h.edges[:-1], h.edges[1:]], axis=1))
    traces = []
    for counts, name, colour in ((before, "before", BEFORE_COLOUR), (after, "after", AFTER_COLOUR)):
        counts = small_uint(np.asarray(counts))
        traces.append(
            dict(
                type="bar",
                x=centers,
                y=counts,
                width=h.width,
                name=name,
                legendgroup=name,
                showlegend=False,
                # Translucency in the fill colour, not trace opacity: a
                # translucent trace group is composited as one layer, which
                # Chromium painted as a dark box on Streamlit's dark theme.
                marker=dict(color=rgba(colour, 0.45), line=dict(width=0)),
                customdata=edges,
                hovertemplate=hover,
            )
        )
        traces.append(
            dict(
                type="scatter",
                x=float_payload(h.edges),
                y=np.append(counts, counts[-1:]),
                mode="lines",
                line=dict(color=colour, width=2.5, shape="hv"),
                fill=None,
                name=name,
                legendgroup=name,
                showlegend=showlegend,
                hoverinfo="skip",
            )
        )
    return traces


def _count_axis(log_y: bool, top: float = 1.0) -> dict:
    """A count axis: linear from 0, or logarithmic with at least three labelled ticks.

    On a log axis Plotly's own ticks can leave a single label (counts under
    10 show only "1"); the ticks here are 1, 2, 5, 10, 20, 50, ... up to the
    highest count when it is under 1000, else the powers of ten.
    """
    if not log_y:
        return dict(type="linear", rangemode="tozero")
    top = max(float(top), 1.0)
    upper = max(top * 1.6, 10.0)
    multiples = (1, 2, 5) if top < 1000 else (1,)
    ticks = [
        m * 10**k
        for k in range(int(math.log10(upper)) + 1)
        for m in multiples
        if m * 10**k <= upper
    ]
    return dict(
        type="log",
        tickmode="array",
        tickvals=ticks,
        ticktext=[f"{v:,}" for v in ticks],
        range=[math.log10(0.7), math.log10(upper)],
    )


@dataclass(frozen=True)
class _HistogramView:
    """The bins a histogram figure draws: maybe zoomed, merged and clipped."""

    edges: np.ndarray
    rows: list[np.ndarray]  # counts per drawn histogram, same order as given
    below: int  # values left of the shown range (counted in the first bar)
    above: int  # values right of it (counted in the last bar)
    note: str | None

    @property
    def top(self) -> int:
        """The highest count drawn (1 when nothing is): where the count axis ends."""
        return max((int(r.max()) for r in self.rows if r.size), default=1)


def _histogram_view(
    edges: np.ndarray, rows: Sequence[np.ndarray], *, tail: float, max_bins: int
) -> _HistogramView:
    """Choose the x range from the counts and merge bins for drawing.

    The range is the smallest run of bins outside which at most a fraction
    `tail` of the pooled counts lie on each side; it replaces the full range
    only when it is under half as wide (a few outliers would otherwise squeeze
    the data into a few slivers). Counts outside are added to the edge bars and
    a note says how many. Adjacent bins are then merged so that at most
    `max_bins` bars are drawn (a page can ask normlib for fine bins).
    """
    edges = np.asarray(edges, dtype=np.float64)
    rows = [np.asarray(r, dtype=np.int64) for r in rows]
    bins = edges.size - 1
    pooled = np.sum(rows, axis=0) if rows else np.zeros(bins, dtype=np.int64)
    total = int(pooled.sum())
    first, last = 0, bins - 1
    if total > 0 and bins > 1:
        cut = tail * total
        cum = np.cumsum(pooled)
        first = int(np.searchsorted(cum, cut, side="right"))
        last = bins - 1 - int(np.searchsorted(np.cumsum(pooled[::-1]), cut, side="right"))
        if last < first or (last - first + 1) > 0.5 * bins:
            first, last = 0, bins - 1
        else:
            margin = max(1, round(0.05 * (last - first + 1)))
            first, last = max(0, first - margin), min(bins - 1, last + margin)
    span = last - first + 1
    merge = max(1, math.ceil(span / max_bins))
    shown = math.ceil(span / merge)
    # Equal-width merged bars: widen the window to a multiple of `merge`.
    extra = shown * merge - span
    last = min(bins - 1, last + extra)
    first = last - shown * merge + 1
    if first < 0:  # cannot happen when span <= bins, kept for safety
        first, shown = 0, (last + 1) // merge
    below = [int(r[:first].sum()) for r in rows]
    above = [int(r[last + 1 :].sum()) for r in rows]
    merged = []
    for r, low, high in zip(rows, below, above, strict=True):
        window = r[first : last + 1].reshape(shown, merge).sum(axis=1)
        window[0] += low
        window[-1] += high
        merged.append(window)
    new_edges = edges[first : last + 2 : merge]
    n_below, n_above = sum(below), sum(above)
    note = None
    if n_below or n_above:
        note = (
            f"{n_below + n_above:,} outlying values lie outside "
            f"{new_edges[0]:.3g} … {new_edges[-1]:.3g} (all values: "
            f"{edges[0]:.3g} … {edges[-1]:.3g}); they are counted in the outermost bars"
        )
    return _HistogramView(new_edges, merged, n_below, n_above, note)


HISTOGRAM_TAIL = 0.001  # each side: at most this fraction of values may fall outside the x range


def histogram_figure(
    h: normlib.Histograms,
    *,
    log_y: bool = False,
    title: str | None = None,
    height: int = SIDE_HEIGHT,
    max_bins: int = 60,
    tail: float = HISTOGRAM_TAIL,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """Before and after histograms on the same bins, overlaid.

    Parameters
    ----------
    h : normlib.Histograms
        From :func:`normlib.histograms`.
    log_y : bool
        Logarithmic counts (empty bins then disappear).
    title : str, optional
    height : int
    max_bins : int
        Merge adjacent bins so that at most this many bars are drawn.
    tail : float
        When a few outliers stretch the bins, the x axis shows only the range
        outside which at most this fraction of values lies on each side; the
        outliers are counted in the outermost bars and a note says so.

    Returns
    -------
    go.Figure
        Two ``go.Bar`` traces, "before" (``BEFORE_COLOUR``) and "after"
        (``AFTER_COLOUR``), one bar per drawn bin; every value is counted.
    """
    view = _histogram_view(h.edges, [h.before, h.after], tail=tail, max_bins=max_bins)
    drawn = normlib.Histograms(view.edges, view.rows[0], view.rows[1])
    fig = go.Figure()
    for trace in _bar_pair(drawn, drawn.before, drawn.after):
        add_trace_data(fig, **trace)  # plain data, unvalidated: tests check what it holds
    own: dict = {
        "barmode": "overlay",
        "bargap": 0,
        "legend": dict(orientation="h", x=1, y=1.02, xanchor="right", yanchor="bottom"),
        "xaxis": {
            "title": {"text": "value"},
            "range": [float(view.edges[0]), float(view.edges[-1])],
        },
        "yaxis": {"title": {"text": "count"}, **_count_axis(log_y, view.top)},
    }
    if title is not None:
        own["title"] = figure_title(title)
    bottom = 60 + (40 if view.note else 0)
    apply_style(
        fig,
        height=height,
        margin=dict(l=70, r=20, t=50 if title is None else 80, b=bottom),
        text=text,
        layout=own,
    )
    if view.note:
        add_note(fig, wrap(view.note), y=0, yshift=-52)
    return fig


def _panel_titles(groups: Sequence[int] | np.ndarray, labels: Sequence[str] | None) -> list[str]:
    """Each group's label (``labels[g]`` for group g) or ``"group g"`` when there is none."""
    return [
        labels[g] if labels is not None and 0 <= g < len(labels) else f"group {g}"
        for g in (int(v) for v in groups)
    ]


def _grid_notes(shown: int, total: int, outliers: str | None) -> list[str]:
    """The small multiples' footnote lines: groups left out, outliers folded in."""
    notes = []
    if total > shown:
        notes.append(f"showing the first {shown} of {total} groups")
    if outliers:
        notes.append(wrap(outliers, 100))
    return notes


def _panel_subplots(rows: int, cols: int, titles: list[str]) -> go.Figure:
    """The grid of titled panels, all on one count axis so their heights compare."""
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        shared_yaxes="all",
        horizontal_spacing=0.04,
        vertical_spacing=0.1 if rows > 1 else 0.0,
    )
    size_subplot_titles(fig)
    return fig


def _add_panels(fig: go.Figure, view: _HistogramView, shown: int, cols: int) -> None:
    """Each group's before/after pair in its panel, row by row; one legend entry each."""
    for k in range(shown):
        row, col = divmod(k, cols)
        before, after = view.rows[2 * k], view.rows[2 * k + 1]
        drawn = normlib.Histograms(view.edges, before, after)
        for trace in _bar_pair(drawn, before, after, showlegend=k == 0):
            fig.add_trace(trace, row=row + 1, col=col + 1)


def _panel_axes(fig: go.Figure, view: _HistogramView, rows: int, log_y: bool) -> None:
    """One x range and one count axis for every panel, titled once (bottom row, first column)."""
    fig.update_xaxes(range=[float(view.edges[0]), float(view.edges[-1])], showticklabels=True)
    fig.update_xaxes(title_text="value", row=rows)
    fig.update_yaxes(**_count_axis(log_y, view.top))
    fig.update_yaxes(title_text="count", col=1)


def _grid_size(notes: list[str], *, titled: bool, rows: int) -> dict:
    """Height and margins: 190 px a row of panels, room for the title, legend and notes."""
    lines = sum(note.count("<br>") + 1 for note in notes)
    top_margin = 100 if titled else 75
    bottom = 60 + 20 * lines
    return dict(
        height=top_margin + bottom + 190 * rows,
        margin=dict(l=70, r=20, t=top_margin, b=bottom),
    )


def histogram_grid_figure(
    h: normlib.Histograms,
    *,
    labels: Sequence[str] | None = None,
    log_y: bool = False,
    max_panels: int = 16,
    columns: int = 4,
    title: str | None = None,
    max_bins: int = 40,
    tail: float = HISTOGRAM_TAIL,
) -> go.Figure:
    """Small multiples: before/after histograms per group (channel or set).

    Parameters
    ----------
    h : normlib.Histograms
        With per-group counts (``normlib.histograms(..., by=...)``).
    labels : list of str, optional
        Panel titles indexed by group label (``labels[k]`` for group k), e.g.
        ``"c=0 (red)"``; default ``"group k"``.
    log_y : bool
    max_panels, columns : int
        Show at most this many groups (the first ones, and say so), this many a row.
    title : str, optional
    max_bins : int
        Merge adjacent bins so that each panel draws at most this many bars.
    tail : float
        The shared x range leaves out at most this fraction of the shown
        groups' values on each side, when that makes it under half as wide
        (see :func:`histogram_figure`).

    Returns
    -------
    go.Figure
        One subplot per shown group, all on the same x range and bins and the
        same y axis.
    """
    if h.before_by_group is None or h.after_by_group is None or h.group_labels is None:
        raise ValueError("h has no per-group counts; use normlib.histograms(..., by=...)")
    total = len(h.group_labels)
    shown = min(total, max_panels)
    cols = max(1, min(columns, shown))
    rows = math.ceil(shown / cols)
    titles = _panel_titles(h.group_labels[:shown], labels)
    counts = [row for k in range(shown) for row in (h.before_by_group[k], h.after_by_group[k])]
    view = _histogram_view(h.edges, counts, tail=tail, max_bins=max_bins)
    fig = _panel_subplots(rows, cols, titles)
    _add_panels(fig, view, shown, cols)
    _panel_axes(fig, view, rows, log_y)
    fig.update_layout(
        barmode="overlay",
        bargap=0,
        title=figure_title(title),
        legend=dict(orientation="h", x=1, y=1, xanchor="right", yanchor="top", yref="container"),
    )
    notes = _grid_notes(shown, total, view.note)
    apply_style(fig, **_grid_size(notes, titled=title is not None, rows=rows))
    add_notes(fig, notes, y=0, yshift=-50)
    return fig
