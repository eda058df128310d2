"""normapp.figures as a package: every builder goes through the one style module, every page
uses its one chart config, and the set grid's and the cube's pure parts match brute force."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import math
import pkgutil
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

import normlib
from normapp import figures as F
from normapp.figures import _style
from tests.test_figure_readability import every_builder

PAGES = Path(__file__).resolve().parent.parent / "pages"


def _package_builders() -> set:
    """Every public ``*_figure`` function defined in any module of the package."""
    found = set()
    for info in pkgutil.iter_modules(F.__path__):
        module = importlib.import_module(f"normapp.figures.{info.name}")
        for name, value in vars(module).items():
            defined_here = inspect.isfunction(value) and value.__module__ == module.__name__
            if defined_here and name.endswith("_figure") and not name.startswith("_"):
                found.add(value)
    return found


def test_builders_lists_every_figure_function_of_the_package():
    assert set(F.BUILDERS) == _package_builders()
    # ten families, the train-vs-eval mosaic, the class board, the Training lab's three
    assert len(F.BUILDERS) == 15
    for builder in F.BUILDERS:  # and the package re-exports each under its own name
        assert getattr(F, builder.__name__) is builder


@pytest.fixture(scope="module")
def built_by():
    """{builder name: figures it built} while drawing every figure of the gallery."""
    made: dict[str, list] = {}
    patch = pytest.MonkeyPatch()
    for builder in F.BUILDERS:

        def recording(*args, _builder=builder, **kwargs):
            fig = _builder(*args, **kwargs)
            made.setdefault(_builder.__name__, []).append(fig)
            return fig

        patch.setattr(F, builder.__name__, recording)
    try:
        every_builder()
    finally:
        patch.undo()
    return made


def _plotly_js_sees(figure: go.Figure) -> dict:
    """The JSON Plotly.js is given, with empty titles (``{}``, no text) left out."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not (k == "title" and v == {})}
        return [strip(v) for v in value] if isinstance(value, list) else value

    return strip(json.loads(figure.to_json()))


@pytest.mark.slow
def test_every_figure_is_what_plotlys_validation_makes_of_it(built_by):
    """Figures are partly written as plain data without Plotly's validation (apply_style,
    add_trace_data): what they hold must be what validation would have made of it. A value
    validation changes fails here: e.g. a colour scale named "RdBu_r", which Plotly.py spells
    out and Plotly.js does not know."""
    for name, figs in built_by.items():
        for fig in figs:
            validated = go.Figure(fig.to_dict())  # every property through the validators
            assert _plotly_js_sees(fig) == _plotly_js_sees(validated), name


@pytest.mark.slow
def test_every_builder_goes_through_the_shared_style(built_by):
    assert set(built_by) == {b.__name__ for b in F.BUILDERS}
    for name, figs in built_by.items():
        for fig in figs:
            layout = fig.layout
            assert layout.font.size == _style.FONT_SIZE, name
            assert layout.paper_bgcolor == _style.TRANSPARENT, name
            assert layout.plot_bgcolor == _style.TRANSPARENT, name
            assert layout.hoverlabel.font.size == _style.FONT_SIZE, name
            assert layout.legend.font.size == _style.FONT_SIZE, name
            assert layout.height and layout.margin.l is not None, name
            axes = [layout[k] for k in layout if k.startswith(("xaxis", "yaxis"))]
            for axis in axes:
                assert axis.tickfont.size == _style.FONT_SIZE, (name, axis.plotly_name)
                assert axis.title.font.size == _style.TITLE_SIZE, (name, axis.plotly_name)
            if layout.title.text is not None:
                assert layout.title.font.size == _style.FIGURE_TITLE_SIZE, name
            for note in layout.annotations:
                assert note.font.size >= _style.NOTE_SIZE, name


def test_every_chart_on_every_page_uses_the_one_chart_config():
    assert F.CHART_CONFIG == {"displayModeBar": False}
    charts = 0
    for page in sorted(PAGES.glob("*.py")):
        source = page.read_text(encoding="utf-8")
        assert "displayModeBar" not in source, f"{page.name} keeps its own copy of the config"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "plotly_chart":
                config = {k.arg: k.value for k in node.keywords}.get("config")
                assert config is not None, f"{page.name}:{node.lineno} plotly_chart without config"
                charts += 1
    assert charts >= 10


# ------------------------------------------------------- pure parts, brute force
def _same_set(shape, spec, a, b) -> bool:
    """Two elements share a set: equal on every kept axis (and in one group of channels)."""
    spec = normlib.as_spec(spec)
    per = shape[1] // spec.groups
    for axis, i, j in zip("NCHW", a, b, strict=True):
        if axis == "C" and spec.groups > 1:
            if i // per != j // per:
                return False
        elif axis not in spec.axes and i != j:
            return False
    return True


SPECS = ["NHW", "CHW", "HW", "C", "NH", "W", "", normlib.NormSpec("CHW", groups=2)]


@pytest.mark.parametrize("spec", SPECS, ids=str)
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (2, 4, 1, 7)])
def test_cube_cells_shade_exactly_the_cells_holding_the_set(shape, spec):
    element = (shape[0] - 1, 1, shape[2] // 2, shape[3] - 1)
    cells = F.cube_cells(shape, spec, element, max_cells=2, hw_cells=4)
    N, C, H, W = shape
    (n0, n1), (c0, c1) = cells.n_window, cells.c_window
    assert n0 <= element[0] < n1 and c0 <= element[1] < c1 and n1 - n0 == min(N, 2)
    edges = cells.s_edges

    def shade(boxes):
        return {
            (x, y, z)
            for x0, x1, y0, y1, z0, z1 in boxes
            for x in range(x0, x1)
            for y in range(y0, y1)
            for z in range(z0, z1)
        }

    full, part = shade(cells.full_boxes), shade(cells.part_boxes)
    assert not full & part
    for x in range(n1 - n0):
        for y in range(c1 - c0):
            for z in range(len(edges) - 1):
                inside = [
                    _same_set(shape, spec, element, (n0 + x, c0 + y, s // W, s % W))
                    for s in range(edges[z], edges[z + 1])
                ]
                expected = "full" if all(inside) else "part" if any(inside) else "none"
                got = "full" if (x, y, z) in full else "part" if (x, y, z) in part else "none"
                assert got == expected, (x, y, z)
    s = element[2] * W + element[3]
    x0, y0, z0 = cells.selected_cell
    assert (x0 + n0, y0 + c0) == element[:2] and edges[z0] <= s < edges[z0 + 1]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_grid_colours_match_the_set_of_every_shown_element(spec):
    shape = (3, 6, 9, 7)
    ids = normlib.set_ids(shape, spec)
    layout = F.grid_layout(shape, max_tiles=4, max_tile_px=4)  # stride 3 × 2: blocks
    element = (2, 1, 4, 3)
    colours = F.grid_colours(ids, layout, element)
    sh, sw = layout.stride_h, layout.stride_w
    visible = sorted({int(v) for v in ids[:4, :4, ::sh, ::sw].ravel()})
    assert colours.palette_mode == (len(visible) <= len(F.SET_PALETTE))
    assert colours.colours[-1] == F.TRANSPARENT and len(colours.colours) == colours.gap_class + 1
    for n, c, i, j in np.ndindex(*colours.classes.shape):
        shown = (n, c, i * sh, j * sw)
        in_set = _same_set(shape, spec, element, shown)
        block = [
            (n, c, h, w)
            for h in range(i * sh, min((i + 1) * sh, shape[2]))
            for w in range(j * sw, min((j + 1) * sw, shape[3]))
        ]
        touches = any(_same_set(shape, spec, element, e) for e in block)
        got = int(colours.classes[n, c, i, j])
        if touches and not in_set:
            assert got == colours.partial_class, shown
        elif colours.palette_mode:
            assert got == visible.index(int(ids[shown])), shown
        else:
            assert got == int(in_set), shown


def test_grid_notes_say_what_is_cut_and_which_element_lies_outside():
    shape = (12, 10, 64, 64)
    ids = normlib.set_ids(shape, "NHW")
    layout = F.grid_layout(shape)
    element = (11, 0, 0, 0)  # sample 11: beyond the 8 tile rows
    notes = F.grid_notes(layout, F.grid_colours(ids, layout, element), element)
    assert notes[0] == "showing n 0–7 of 12, c 0–7 of 10"
    assert notes[1].startswith(f"64×64 maps downsampled: each pixel is a {layout.stride_h}×")
    assert notes[-1] == "the selected element (11, 0, 0, 0) lies outside the tiles shown"
    assert F.grid_notes(layout, F.grid_colours(ids, layout, None), None) == notes[:2]


@pytest.mark.parametrize("spec", ["HW", "C", "NCHW", normlib.NormSpec("CHW", groups=2)], ids=str)
def test_set_labels_sit_on_a_pixel_of_their_own_set(spec):
    shape = (2, 4, 6, 6)
    ids = normlib.set_ids(shape, spec)
    layout = F.grid_layout(shape)
    colours = F.grid_colours(ids, layout, None)
    from normapp.figures.grid_geometry import to_mosaic

    mosaic_ids = to_mosaic(colours.tiles, layout, -1)
    mosaic_classes = to_mosaic(colours.classes, layout, colours.gap_class)
    xs, ys, texts, inks, unlabelled = F.set_label_positions(
        colours.tiles, mosaic_classes, colours.colours, layout, cell_px=30.0
    )
    assert texts and unlabelled == 0
    assert {int(t) for t in texts} == {int(v) for v in np.unique(colours.tiles)}
    for x, y, text in zip(xs, ys, texts, strict=True):
        assert mosaic_ids[math.floor(y), math.floor(x)] == int(text)
    assert set(inks) <= {"#000000", "#FFFFFF"}
    # Too small to write in: nothing placed, every set counted as unlabelled.
    none = F.set_label_positions(colours.tiles, mosaic_classes, colours.colours, layout, 1.0)
    assert none[:4] == ([], [], [], []) and none[4] == len(np.unique(colours.tiles))


@pytest.mark.slow
def test_every_heatmap_and_colour_axis_names_its_colour_scale_so_the_trimmed_template_is_safe():
    # _style keeps none of the template's colour scales (they were half of every figure's
    # bytes): a heatmap or colour axis without its own scale would lose its colours.
    import streamlit.elements.plotly_chart  # noqa: F401  (sets Streamlit's template, as the app)

    for name, fig in every_builder().items():
        for trace in fig.data:
            if trace.type == "heatmap" and trace.coloraxis is None:
                assert trace.colorscale is not None, (name, trace.name)
        layout = fig.layout.to_plotly_json()
        for key in {getattr(trace, "coloraxis", None) for trace in fig.data} - {None}:
            assert layout[key].get("colorscale"), (name, key)
        template = fig.layout.template.to_plotly_json()
        assert "colorscale" not in template.get("layout", {}), name
        assert set(template.get("data", {})) <= {t.type for t in fig.data} | set(
            _style._TEMPLATE_TRACES
        )
        assert len(json.dumps(template)) < 600, name


def test_apply_style_merges_a_builders_layout_under_the_shared_style():
    """A builder's own layout (plain data) and the style end in one layout: nested settings
    merge, the builder's stay where the style sets nothing, the style's sizes are added to
    every axis (numbered ones too) and a note's larger font is kept. Values written out."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Bar(x=[0, 1], y=[2, 3]), row=1, col=2)
    fig.add_annotation(text="big note", font=dict(size=30), showarrow=False)
    fig.add_annotation(text="small note", font=dict(size=9), showarrow=False)
    own = {
        "xaxis2": {"title": {"text": "value"}, "range": [0, 1]},
        "legend": {"orientation": "h"},
        "bargap": 0,
    }
    _style.apply_style(fig, height=321, margin=dict(l=1, r=2, t=3, b=4), layout=own)
    layout = fig.layout
    assert layout.height == 321 and layout.margin.l == 1 and layout.margin.b == 4
    assert layout.bargap == 0 and layout.legend.orientation == "h"
    assert layout.legend.font.size == 15
    assert layout.xaxis2.title.text == "value" and tuple(layout.xaxis2.range) == (0, 1)
    for axis in (layout.xaxis, layout.xaxis2, layout.yaxis, layout.yaxis2):
        assert axis.tickfont.size == 15 and axis.title.font.size == 16
    assert [a.font.size for a in layout.annotations] == [30, 14]
    assert layout.paper_bgcolor == "rgba(0,0,0,0)" and layout.font.size == 15
    assert own == {  # the builder's dict is read, not changed
        "xaxis2": {"title": {"text": "value"}, "range": [0, 1]},
        "legend": {"orientation": "h"},
        "bargap": 0,
    }
