"""A live class quiz: how the room answered one question, as horizontal bars."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from normapp.figures._style import (
    BEFORE_COLOUR,
    GREY,
    NORMAL_TEXT,
    SET_HIGHLIGHT,
    TextSizes,
    apply_style,
)

_BAR_HEIGHT = 46  # px per option at normal text: room for its label


def board_figure(
    labels: Sequence[str],
    counts: Sequence[int],
    answered: int,
    right: Sequence[bool] | None = None,
    text: TextSizes = NORMAL_TEXT,
) -> go.Figure:
    """One bar per option: how many students' answers include it.

    `right` is None until the lecturer reveals the answer (every bar one colour,
    so the board does not give it away); then the right options are drawn blue and
    the others grey. Each bar is labelled with its count and its share of the
    `answered` students. `text` is PRESENTER_TEXT on the lecturer's projected board.
    """
    if right is None:
        colours = [BEFORE_COLOUR] * len(labels)
    else:
        colours = [SET_HIGHLIGHT if ok else GREY for ok in right]
    bar_labels = [f"{n} ({n / answered:.0%})" if answered else "0" for n in counts]
    shown = [
        f"✓ {label}" if right is not None and ok else label
        for label, ok in zip(labels, right or [False] * len(labels), strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=shown,
            orientation="h",
            marker_color=colours,
            text=bar_labels,
            textposition="outside",
            textfont=dict(size=text.font),
            cliponaxis=False,
            hovertemplate="%{y}: %{x} students<extra></extra>",
        )
    )
    # Options are categories: a numeric-looking label ("12,544") must not be placed on a
    # number line, where three options became slivers near 0 and one fell off the range.
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=shown,
        autorange="reversed",  # options top to bottom, as listed
        automargin=True,
    )
    fig.update_xaxes(
        range=[0, max(1, answered) * 1.25], title="students", rangemode="tozero", dtick=None
    )
    bar_px = round(_BAR_HEIGHT * text.font / NORMAL_TEXT.font)
    return apply_style(
        fig, height=90 + bar_px * len(labels), margin=dict(l=10, r=20, t=10, b=50), text=text
    )
