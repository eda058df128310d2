"""The look every figure shares: colours, text sizes, margins, notes, legend swatches.

Every builder of :mod:`normapp.figures` ends in :func:`apply_style`, so a figure
reads on a 1280×720 projector (font 15 px, heights of 380–460 px for the
figures that sit beside another one) and in Streamlit's light and dark themes:
transparent backgrounds and no hard-coded text colour, so Streamlit's Plotly
theme supplies them (:func:`themed` sets them for a known theme). Colours:

``BEFORE_COLOUR`` / ``AFTER_COLOUR``
    Okabe–Ito orange ``#E69F00`` and sky blue ``#56B4E9``: the classic
    colour-blind-safe orange/blue pair, used for "before" and "after"
    everywhere in the app. The sky blue (rather than Okabe–Ito's dark blue
    ``#0072B2``) keeps the "after" bars visible on the dark theme's
    near-black background.
``SET_PALETTE``
    Paul Tol's "muted" qualitative scheme (9 colours), reordered so that the
    first four are mid-luminance and read on both white and near-black
    backgrounds; the darkest (wine, indigo) come last.
``SET_HIGHLIGHT`` / ``GREY``
    When more sets are visible than the palette has colours, the selected
    set is drawn in ``SET_HIGHLIGHT`` (a blue like the shading of the GN
    paper's figure 2, Tol's ``#4477AA``) and every other set in ``GREY``;
    the two differ strongly in lightness, so they stay apart under every
    kind of colour-vision deficiency.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

BEFORE_COLOUR = "#E69F00"  # Okabe–Ito orange
AFTER_COLOUR = "#56B4E9"  # Okabe–Ito sky blue
SET_PALETTE: tuple[str, ...] = (
    "#CC6677",  # rose
    "#44AA99",  # teal
    "#AA4499",  # purple
    "#999933",  # olive
    "#88CCEE",  # cyan
    "#117733",  # green
    "#DDCC77",  # sand
    "#882255",  # wine
    "#332288",  # indigo
)
SET_HIGHLIGHT = "#4477AA"  # the selected set when the palette runs out; the cube's shading
GREY = "#BBBBBB"  # every other set
MARKER_FILL = "#F0E442"  # Okabe–Ito yellow: the selected element, outlined in black
MARKER_LINE = "#000000"
LATTICE = "#8C8C8C"  # mid grey: visible on white and on near-black
TRANSPARENT = "rgba(0,0,0,0)"

FONT_SIZE = 15  # tick labels, legend, hover: readable from the back of a room
TITLE_SIZE = 16  # axis, colour-bar and panel titles
FIGURE_TITLE_SIZE = 18
NOTE_SIZE = 14  # footnotes below a plot: the smallest text in any figure
LABEL_SIZE = 15  # set numbers written on the set grid's tiles
MAP_X_TITLE = "w (column) →"
MAP_Y_TITLE = "h (row) ↓"
SIDE_HEIGHT = 440  # a figure that shares the screen width with another one


@dataclass(frozen=True)
class TextSizes:
    """A figure's text sizes in px; builders take one (``text=``) for :func:`apply_style`."""

    font: int = FONT_SIZE  # tick labels, legend, hover
    title: int = TITLE_SIZE  # axis, colour-bar and panel titles
    figure_title: int = FIGURE_TITLE_SIZE
    note: int = NOTE_SIZE  # footnotes: the smallest text
    label: int = LABEL_SIZE  # numbers written on tiles


NORMAL_TEXT = TextSizes()
# The Explorer's presenter view: one figure at a time, full width on a 1920×1080
# projector; tick labels of 22 px read from the back of a lecture hall.
PRESENTER_TEXT = TextSizes(font=22, title=24, figure_title=26, note=20, label=20)
TEXT_SIZES = {"normal": NORMAL_TEXT, "presenter": PRESENTER_TEXT}
PRESENTER_HEIGHT = 560  # a presenter figure: under the sticky headline and Method row at 1080 px
_MARGIN = dict(l=60, r=20, t=50, b=60)

# The ``config`` of every ``st.plotly_chart`` in the app: no Plotly mode bar
# (its zoom and pan tools fight the page's own controls on a projector and a
# phone). Shared, so never mutate it; pass ``{**CHART_CONFIG, ...}`` to add keys.
CHART_CONFIG = {"displayModeBar": False}


def figure_bytes(fig: go.Figure) -> int:
    """Size of the figure's JSON, roughly what Streamlit sends to the browser.

    Parameters
    ----------
    fig : go.Figure

    Returns
    -------
    int
        ``len(fig.to_json())``.
    """
    return len(fig.to_json())


# The default template travels inside every figure, on every rerun. Streamlit's
# ("streamlit": colour placeholders that its front end swaps for the theme's) is 3.7 kB,
# mostly colour scales for candlesticks, contours, heatmaps, tables and colour axes. The
# app draws no candlestick, contour, table, map, polar or ternary plot, and names the
# colour scale of every heatmap and colour axis it draws (tests/test_figure_style.py), so
# the template's scales never apply. Only what can apply is kept: about 0.2 kB.
_TEMPLATE_TRACES = frozenset({"bar", "mesh3d", "scatter", "scatter3d", "scattergl"})
_TEMPLATE_UNUSED_LAYOUT = frozenset(
    {"coloraxis", "colorscale", "geo", "map", "mapbox", "polar", "smith", "ternary"}
)


@functools.lru_cache(maxsize=4)
def _template(name: str) -> go.layout.Template:
    """The template `name` cut to the trace and subplot types the app draws."""
    full = pio.templates[name].to_plotly_json()
    data = {kind: v for kind, v in full.get("data", {}).items() if kind in _TEMPLATE_TRACES}
    layout = {k: v for k, v in full.get("layout", {}).items() if k not in _TEMPLATE_UNUSED_LAYOUT}
    return go.layout.Template(data=data, layout=layout)


def _merge(into: dict, style: dict) -> None:
    """`style` merged into `into` as Plotly's update does: nested dicts merge, the rest replace."""
    for key, value in style.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = _copied(value)


def _copied(value):
    """`value` with its dicts and lists copied (the style never changes a builder's data)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def _layout_names(layout: dict, kinds: Sequence[str]) -> list[str]:
    """The layout's subplot objects of `kinds` ("xaxis", "scene", ...): the first of each kind
    always (as Plotly's update_xaxes and the like create it), and any numbered ones present."""
    names = list(kinds)
    for key in layout:
        if key not in names and key.rstrip("0123456789") in kinds:
            names.append(key)
    return names


def apply_style(
    fig: go.Figure,
    *,
    height: int = SIDE_HEIGHT,
    margin: dict | None = None,
    text: TextSizes = NORMAL_TEXT,
    layout: dict | None = None,
) -> go.Figure:
    """The look every figure shares: transparent, projector-sized text, fixed height.

    `layout`: the builder's own layout settings, as plain data in Plotly's nested form
    (``{"xaxis": {"title": {"text": "value"}}}``), merged first, under the shared style:
    one layout for both, where update_xaxes and the like each cost a walk of the figure.

    Streamlit's Plotly theme puts 12–14 px tick, axis-title, legend and
    hover fonts into ``layout.template``; sizes set on the figure itself win,
    so they are set here on every axis, colour bar, 3-D scene and annotation
    (tick labels >= FONT_SIZE, titles >= TITLE_SIZE, notes >= NOTE_SIZE).
    Text colours are left to the theme: no single colour reads on both
    Streamlit backgrounds (see :func:`themed`).
    """
    # The style is merged into the layout as plain data and the layout set once: each of
    # Plotly's update_* calls parses its property paths and walks the figure's objects, and
    # five of them were half of a new Compare view (24.6 ms a set grid, 7.3 ms this way).
    # The same properties as those calls: every x and y axis (numbered ones too), every 3-D
    # scene and colour axis, each created when the figure has none, as update_xaxes and the
    # like do; tests/test_figure_style.py checks the result.
    axis_fonts = {"tickfont": {"size": text.font}, "title": {"font": {"size": text.title}}}
    scene_ticks = {"tickfont": {"size": text.font}}  # the cube sets its own axis titles
    bar_fonts = {"tickfont": {"size": text.font}, "title": {"font": {"size": text.title}}}
    merged = fig.layout.to_plotly_json()
    _merge(merged, layout or {})
    style: dict = {
        "height": height,
        "margin": dict(margin or _MARGIN),
        "font": {"size": text.font},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "hoverlabel": {"font": {"size": text.font}},
        "legend": {"font": {"size": text.font}},
    }
    for name in _layout_names(merged, ("xaxis", "yaxis")):
        style[name] = axis_fonts
    for name in _layout_names(merged, ("scene",)):
        style[name] = {"xaxis": scene_ticks, "yaxis": scene_ticks, "zaxis": scene_ticks}
    for name in _layout_names(merged, ("coloraxis",)):
        style[name] = {"colorbar": bar_fonts}
    _merge(merged, style)
    for annotation in merged.get("annotations", ()):
        font = annotation.setdefault("font", {})
        if font.get("size") is None or font["size"] < text.note:
            font["size"] = text.note
    title = merged.get("title") or {}
    if title.get("text") is not None:
        font = title.setdefault("font", {})
        font["size"] = max(font.get("size") or 0, text.figure_title)
    merged["template"] = _template(pio.templates.default)
    # Written without Plotly's validation: `fig.layout = merged` validated every property
    # again, the template's included (about 70 % of this function, which was 29 % of the
    # server's CPU under an exploring class). What is written is the figure's own layout, already
    # validated, the builder's `layout` and the style above: plain data that the figure
    # tests check (tests/test_figure_style.py) and that serializes to the same JSON.
    write_unvalidated(fig.layout, merged)
    for trace in fig.data:
        if trace.type == "heatmap" and trace.showscale is not False:
            colorbar = trace.colorbar.to_plotly_json()
            _merge(colorbar, bar_fonts)
            write_unvalidated(trace, {"colorbar": colorbar})
    return fig


@functools.lru_cache(maxsize=16)
def spelled_colorscale(name: str) -> tuple:
    """Colour scale `name` as Plotly's validation spells it out, for data written unvalidated
    (Plotly.js knows no reversed "_r" names, nor all of Plotly.py's)."""
    return go.layout.Coloraxis(colorscale=name).colorscale


@functools.lru_cache(maxsize=32)
def _subplots_json(rows: int, cols: int, spacing: tuple) -> str:
    layout = make_subplots(rows=rows, cols=cols, **dict(spacing)).layout.to_plotly_json()
    layout.pop("template", None)  # apply_style sets the app's
    return json.dumps(layout)


def subplot_grid(rows: int, cols: int, **spacing) -> go.Figure:
    """An empty figure with make_subplots' axes for a `rows` × `cols` grid (`spacing`: its
    row_heights and *_spacing), the layout made once per grid and written as data: a new
    make_subplots figure is built and validated each time (about 8 ms, one panel or many).
    Traces name their axes ("x2", "y2") and are added with :func:`add_trace_data`."""
    fig = go.Figure()
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(spacing.items()))
    write_unvalidated(fig.layout, json.loads(_subplots_json(rows, cols, frozen)))
    return fig


@contextlib.contextmanager
def _unvalidated(obj) -> Iterator[None]:
    """Plotly's validation off on `obj` (a figure, layout or trace) for the block."""
    validating = obj._validate
    obj._validate = False
    try:
        yield
    finally:
        obj._validate = validating


def write_unvalidated(obj, values: dict) -> None:
    """Set each of `values` on the Plotly object `obj` as it is."""
    with _unvalidated(obj):
        for key, value in values.items():
            obj[key] = value


# Streamlit's own body-text and background colours per theme. Figures are
# transparent and leave text colours to Streamlit's chart theme, which paints
# Plotly text #808495 on the light background (3.7:1, below WCAG AA's 4.5:1).
# No single colour passes on both backgrounds (it would need a relative
# luminance <= 0.183 for white and >= 0.200 for #0e1117), so either the app
# injects PLOTLY_TEXT_CSS (text in the page's text colour, follows theme
# switches live) or a page that knows the theme passes a figure through themed().
THEME_COLOURS: dict[str, tuple[str, str]] = {
    "light": ("#31333F", "#FFFFFF"),  # (text, background)
    "dark": ("#FAFAFA", "#0E1117"),
}
PLOTLY_TEXT_CSS = """<style>
/* Plotly chart text in the page's own text colour (Streamlit's chart theme
   uses #808495 on white: 3.7:1). Numbers written on coloured tiles keep
   their own black or white. The 3-D cube draws its text in WebGL, which CSS
   cannot reach. */
.stPlotlyChart .main-svg text:not(.textpoint > text) { fill: currentColor !important; }
</style>"""


def themed(fig: go.Figure, theme: str | None) -> go.Figure:
    """A copy of `fig` with every theme-dependent text colour set for `theme`.

    Parameters
    ----------
    fig : go.Figure
        Any figure of this package.
    theme : "light", "dark" or None
        E.g. ``st.context.theme.type``; None returns `fig` unchanged.

    Returns
    -------
    go.Figure
        Titles, ticks, axis and colour-bar titles, legend, notes, 3-D scene
        axes and hover labels in the theme's text colour on its background.
        Text that already has a colour of its own (set numbers on tiles) keeps it.
    """
    if theme is None:
        return fig
    if theme not in THEME_COLOURS:
        raise ValueError(f"theme must be 'light', 'dark' or None, got {theme!r}")
    ink, paper = THEME_COLOURS[theme]
    out = go.Figure(fig)
    out.update_layout(
        font_color=ink,
        title_font_color=ink,
        legend_font_color=ink,
        hoverlabel=dict(bgcolor=paper, bordercolor=ink, font_color=ink),
    )
    axis = dict(tickfont_color=ink, title_font_color=ink)
    out.update_xaxes(**axis)
    out.update_yaxes(**axis)
    scene_axis = dict(tickfont=dict(color=ink), title=dict(font=dict(color=ink)))
    out.update_scenes(xaxis=scene_axis, yaxis=scene_axis, zaxis=scene_axis)
    bar = dict(tickfont=dict(color=ink), title=dict(font=dict(color=ink)))
    out.update_coloraxes(colorbar=bar)
    out.update_traces(colorbar=bar, selector=dict(type="heatmap"))
    for annotation in out.layout.annotations:
        if annotation.font.color is None:
            annotation.font.color = ink
    return out


def figure_title(text: str | None) -> dict | None:
    if text is None:
        return None
    return dict(text=text, font=dict(size=FIGURE_TITLE_SIZE), x=0.01, xanchor="left")


def add_note(
    fig: go.Figure,
    text: str,
    *,
    y: float = -0.02,
    yanchor: str = "top",
    yshift: float = 0,
    size: int = NOTE_SIZE,
) -> None:
    """A small explanatory line below the plotting area (theme text colour)."""
    fig.add_annotation(
        yshift=yshift,
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        y=y,
        xanchor="left",
        yanchor=yanchor,
        showarrow=False,
        align="left",
        font=dict(size=size),
    )


def add_notes(fig: go.Figure, notes: Sequence[str], **where) -> None:
    """The footnote lines `notes` as one note (see :func:`add_note`); none when there are none."""
    if notes:
        add_note(fig, "<br>".join(notes), **where)


def size_subplot_titles(fig: go.Figure) -> None:
    """Subplot titles at the axis-title size: ``make_subplots`` writes them as annotations,
    which :func:`apply_style` would otherwise raise only to the note size."""
    for annotation in fig.layout.annotations:
        annotation.font = dict(size=TITLE_SIZE)


def wrap(text: str, width: int = 70) -> str:
    """`text` broken into lines of about `width` characters with <br> (Plotly does not wrap)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines)


def range_words(
    count: int, total: int, singular: str = "", plural: str | None = None, *, start: int = 0
) -> str:
    """`count` consecutive indices from `start`, of `total`, in words.

    One index is named alone (never "0–0"); the noun takes its plural for a range.

    Examples
    --------
    >>> range_words(1, 3, "channel", "channels")
    'channel 0 of 3'
    >>> range_words(4, 8, "channel", "channels")
    'channels 0–3 of 8'
    >>> range_words(8, 64, "n", start=33)
    'n 33–40 of 64'
    """
    plural = singular if plural is None else plural
    words = f"{plural} {start}–{start + count - 1}" if count > 1 else f"{singular} {start}"
    return f"{words.strip()} of {total}"


# ------------------------------------------------------------ colour maths
def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def rgba(colour: str, alpha: float) -> str:
    """A #rrggbb colour as rgba() with the given alpha."""
    r, g, b = _hex_to_rgb(colour)
    return f"rgba({r},{g},{b},{alpha})"


def mix(colour: str, other: str, t: float) -> str:
    """`colour` moved a fraction `t` of the way towards `other` (as #rrggbb)."""
    a, b = _hex_to_rgb(colour), _hex_to_rgb(other)
    mixed = [round(x + (y - x) * t) for x, y in zip(a, b, strict=True)]
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = []
    for value in _hex_to_rgb(colour):
        v = value / 255
        channels.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two #rrggbb colours.

    Examples
    --------
    >>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
    21.0
    """
    a, b = _relative_luminance(foreground), _relative_luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def label_colour(fills: Sequence[str]) -> str:
    """Black or white: whichever keeps the higher contrast on every one of `fills`."""
    return max(("#000000", "#FFFFFF"), key=lambda ink: min(contrast_ratio(ink, f) for f in fills))


# ------------------------------------------------------ markers and legend
def black_under_yellow(under: float, over: float) -> tuple[tuple[str, float, bool], ...]:
    """(colour, width, in legend) of the two strokes that mark the selection.

    A wide black stroke under a narrow yellow one reads on every set colour
    and on both themes; only the yellow one gets a legend entry.
    """
    return ((MARKER_LINE, under, False), (MARKER_FILL, over, True))


def add_legend_swatch(fig: go.Figure, name: str, colour: str, *, symbol: str = "square") -> None:
    """A legend-only entry (no data points)."""
    add_trace_data(
        fig,
        type="scatter",
        x=[None],
        y=[None],
        mode="markers",
        name=name,
        marker=dict(color=colour, symbol=symbol, size=15, line=dict(color=MARKER_LINE, width=1)),
        hoverinfo="skip",
        showlegend=True,
    )


def add_trace_data(fig: go.Figure, **trace) -> None:
    """Add `trace`, plain data with its ``type``, without Plotly's validation: a validated
    ``go.Scatter`` was validated again by ``add_trace``, and the set grid's swatches, ring and
    outline were about a tenth of the server's CPU under an exploring class. That the data is
    what validation would make of it is tested (tests/test_figure_style.py)."""
    with _unvalidated(fig):
        fig.add_trace(trace)
