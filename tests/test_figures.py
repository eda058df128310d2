"""normapp.figures: the figures carry the right data, stay small and read on both themes."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import normlib
from normapp import figures as F

DEFAULT_SHAPE = (8, 3, 32, 32)
BIG_SHAPE = (64, 64, 128, 128)
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _x(shape=DEFAULT_SHAPE, seed=0):
    return normlib.random_tensor(shape, seed=seed, channel_offset=2.0, channel_scale=1.0)


def _hist(shape=DEFAULT_SHAPE, spec="batchnorm", by=None, bins=60):
    x = _x(shape)
    out = normlib.normalize(x, spec).output
    return x, out, normlib.histograms(x, out, bins=bins, by=by)


def _grid_parts(fig):
    heatmap = fig.data[0]
    points = fig.data[1]
    assert heatmap.type == "heatmap" and points.type == "scatter"
    # Every point hovers and clicks; one marker is drawn (the page stays light).
    assert points.mode == "markers" and points.marker.maxdisplayed == 1
    return heatmap, points


def _colour_of_class(heatmap, k):
    """The colour the discrete colorscale gives integer class k."""
    n_classes = round(heatmap.zmax + 0.5)
    position = (k + 0.5) / n_classes
    for (low, colour), (high, _) in zip(
        heatmap.colorscale[::2], heatmap.colorscale[1::2], strict=True
    ):
        if low <= position <= high:
            return colour
    raise AssertionError(f"class {k} not in colorscale")


def _all_figures():
    x, out, h = _hist()
    _, _, hc = _hist(by="channel", bins=40)
    ids = normlib.set_ids(DEFAULT_SHAPE, "batchnorm")
    result = normlib.normalize(x, "batchnorm")
    steps = np.arange(50)
    running = np.cumsum(np.ones((50, 3)), axis=0) / 50
    return {
        "grid": F.set_grid_figure(ids, selected=(2, 1, 5, 7)),
        "cube": F.cube_figure(DEFAULT_SHAPE, "batchnorm", selected=(2, 1, 5, 7)),
        "hist": F.histogram_figure(h),
        "hgrid": F.histogram_grid_figure(hc, labels=["c=0 (red)", "c=1", "c=2"]),
        "maps": F.feature_maps_figure(x, out, [(0, 0), (0, 1), (0, 2)]),
        "stats_heat": F.stats_heatmap_figure(
            result.set_mean.reshape(1, 3), row_label="-", col_label="c", title="mean"
        ),
        "stats_bar": F.stats_bar_figure(result.set_mean, result.set_var),
        "running": F.running_stats_figure(steps, running, np.ones(3), title="running_mean"),
        "diff": F.difference_heatmap_figure(out[0] - x[0], title="Δ"),
    }


# ------------------------------------------------------------------ constants
def test_colours_are_fixed_distinct_hex():
    assert HEX.match(F.BEFORE_COLOUR) and HEX.match(F.AFTER_COLOUR)
    assert F.BEFORE_COLOUR.lower() != F.AFTER_COLOUR.lower()
    assert len(F.SET_PALETTE) >= 8
    assert len({c.lower() for c in F.SET_PALETTE}) == len(F.SET_PALETTE)
    assert all(HEX.match(c) for c in F.SET_PALETTE)
    assert F.GREY.lower() not in {c.lower() for c in F.SET_PALETTE}
    assert F.SET_HIGHLIGHT.lower() not in {c.lower() for c in F.SET_PALETTE}


def test_every_figure_is_styled_for_projector_and_both_themes():
    for name, fig in _all_figures().items():
        layout = fig.layout
        assert layout.paper_bgcolor == "rgba(0,0,0,0)", name
        assert layout.plot_bgcolor == "rgba(0,0,0,0)", name
        assert layout.font.size >= 14, name
        assert layout.font.color is None, name  # the theme supplies text colours
        assert 300 <= layout.height <= 800, name
        for axis in [a for a in layout if a.startswith(("xaxis", "yaxis"))]:
            assert layout[axis].tickfont.size >= 14, (name, axis)
        for annotation in layout.annotations:
            assert annotation.font.size >= 14, name
            assert annotation.font.color is None, name


def test_no_raw_histograms_and_default_rerun_is_small():
    figures = _all_figures()
    for name, fig in figures.items():
        assert not any("histogram" in trace.type for trace in fig.data), name
    sizes = {name: F.figure_bytes(fig) for name, fig in figures.items()}
    assert all(
        size == len(fig.to_json())
        for size, fig in zip(sizes.values(), figures.values(), strict=True)
    )
    # The Explorer shows a handful of these per rerun: all of them together
    # stay well under 1 MB (each carries Plotly's ~9 kB default template here).
    assert sum(sizes.values()) < 400_000, sizes


# ------------------------------------------------------------------- set grid
def test_grid_data_equal_set_ids_without_downsampling():
    shape = (2, 3, 4, 5)
    ids = normlib.set_ids(shape, "NHW")
    fig = F.set_grid_figure(ids)
    heatmap, points = _grid_parts(fig)
    layout = F.grid_layout(shape)
    assert (layout.stride_h, layout.stride_w, layout.n_show, layout.c_show) == (1, 1, 2, 3)
    z = np.asarray(heatmap.z)
    assert z.shape == (layout.rows, layout.cols)
    xs, ys = np.asarray(points.x), np.asarray(points.y)
    assert xs.size == ids.size  # one point per element: nothing downsampled
    coords = np.asarray(points.customdata)
    set_of_point = np.asarray(points.marker.color)
    for (x, y), (n, c, h, w), set_id in zip(
        zip(xs, ys, strict=True), coords, set_of_point, strict=True
    ):
        assert F.grid_point_to_element(x, y, shape) == (n, c, h, w)
        assert set_id == ids[n, c, h, w]
    # Palette mode (3 sets): the heatmap class is the set's rank, gaps a further class.
    gap_class = round(heatmap.zmax - 0.5)
    assert np.array_equal(z[ys, xs], set_of_point)
    assert (z == gap_class).sum() == z.size - ids.size
    assert _colour_of_class(heatmap, gap_class) == "rgba(0,0,0,0)"
    colours = [_colour_of_class(heatmap, k) for k in range(3)]
    assert colours == list(F.SET_PALETTE[:3])


def test_grid_many_sets_highlights_only_the_selected_set():
    shape = (2, 3, 4, 5)
    ids = normlib.set_ids(shape, "")  # every element its own set: 120 sets
    element = (1, 2, 3, 4)
    fig = F.set_grid_figure(ids, selected=element)
    heatmap, points = _grid_parts(fig)
    z = np.asarray(heatmap.z)
    xs, ys = np.asarray(points.x), np.asarray(points.y)
    selected = np.asarray(points.marker.color) == ids[element]
    assert selected.sum() == 1
    assert np.all(z[ys[selected], xs[selected]] == 1)
    assert np.all(z[ys[~selected], xs[~selected]] == 0)
    assert _colour_of_class(heatmap, 1) == F.SET_HIGHLIGHT
    assert _colour_of_class(heatmap, 0) == F.GREY
    names = [trace.name for trace in fig.data]
    assert "selected element" in names and "the selected set (outlined)" in names
    ring = next(t for t in fig.data if t.name == "selected element")
    r0, c0 = F.grid_layout(shape).tile_origin(1, 2)
    assert (ring.x[0], ring.y[0]) == (c0 + 4, r0 + 3)


def test_grid_palette_mode_colours_every_set_and_outlines_the_selected_one():
    shape = (4, 8, 6, 6)
    ids = normlib.set_ids(shape, normlib.NormSpec("CHW", groups=2))  # 8 sets
    fig = F.set_grid_figure(ids, selected=(1, 5, 0, 0))
    heatmap, points = _grid_parts(fig)
    colours = {_colour_of_class(heatmap, k) for k in range(8)}
    assert len(colours) == 8
    legend = [t.name for t in fig.data if t.showlegend]
    assert "set 3 (selected)" in legend
    outline = next(t for t in fig.data if t.name == "the selected set (outlined)")
    # One closed rectangle (5 corners + NaN) per tile of set 3: n = 1, c = 4..7.
    assert np.isnan(np.asarray(outline.x, dtype=float)).sum() == 4


def test_grid_downsampled_highlights_blocks_holding_part_of_the_set():
    shape = (2, 2, 32, 32)
    ids = normlib.set_ids(shape, "NC")  # Method 1: one set per (h, w)
    element = (0, 1, 5, 7)  # odd h, w: not a pixel's top-left element
    fig = F.set_grid_figure(ids, selected=element)
    heatmap, _ = _grid_parts(fig)
    layout = F.grid_layout(shape)
    assert layout.stride_h == 2
    z = np.asarray(heatmap.z)
    partial_class = 2  # grey mode: 0 other, 1 selected, 2 part of a block
    assert (z == partial_class).sum() == 4  # the (5, 7) block of each of the 4 tiles
    for n in range(2):
        for c in range(2):
            r0, c0 = layout.tile_origin(n, c)
            assert z[r0 + 5 // 2, c0 + 7 // 2] == partial_class
    assert _colour_of_class(heatmap, partial_class) not in (F.GREY, F.SET_HIGHLIGHT)
    text = fig.layout.annotations[0].text
    assert "downsampled" in text and "2×2 block" in text and "part of the set" in text


def test_grid_summarizes_tiles_beyond_max_tiles():
    shape = (12, 10, 4, 4)
    fig = F.set_grid_figure(normlib.set_ids(shape, "HW"), selected=(11, 0, 0, 0))
    text = fig.layout.annotations[0].text
    assert "showing n 0–7 of 12, c 0–7 of 10" in text
    assert "outside the tiles shown" in text
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks == [f"c={c}" for c in range(8)]
    assert list(fig.layout.yaxis.ticktext) == [f"n={n}" for n in range(8)]


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((8, 3, 32, 32), {}),
        ((2, 3, 4, 5), {}),
        ((12, 10, 7, 9), {}),
        ((3, 2, 100, 37), {}),
        ((64, 64, 128, 128), {}),
        ((5, 5, 50, 50), {"max_tiles": 3, "max_tile_px": 10}),
        ((1, 1, 1, 1), {}),
    ],
)
def test_grid_point_to_element_inverts_the_layout(shape, kwargs):
    layout = F.grid_layout(shape, **kwargs)
    assert layout.tile_h <= kwargs.get("max_tile_px", 24)
    seen = set()
    for row in range(layout.rows):
        for col in range(layout.cols):
            element = F.grid_point_to_element(col, row, shape, **kwargs)
            in_gap = (row % (layout.tile_h + 1) == layout.tile_h) or (
                col % (layout.tile_w + 1) == layout.tile_w
            )
            if in_gap:
                assert element is None
                continue
            n, c, h, w = element
            assert all(0 <= v < s for v, s in zip(element, shape, strict=True))
            r0, c0 = layout.tile_origin(n, c)
            assert (r0 + h // layout.stride_h, c0 + w // layout.stride_w) == (row, col)
            assert h % layout.stride_h == 0 and w % layout.stride_w == 0
            seen.add(element)
    assert len(seen) == layout.n_show * layout.c_show * layout.tile_h * layout.tile_w
    # Streamlit may hand back floats; outside points and junk map to None.
    assert F.grid_point_to_element(0.2, -0.3, shape, **kwargs) == (0, 0, 0, 0)
    assert F.grid_point_to_element(-1, 0, shape, **kwargs) is None
    assert F.grid_point_to_element(0, layout.rows, shape, **kwargs) is None
    assert F.grid_point_to_element(None, 0, shape, **kwargs) is None
    assert F.grid_point_to_element(float("nan"), 0, shape, **kwargs) is None


def test_grid_points_and_clicks_agree_on_a_downsampled_grid():
    shape = (8, 3, 32, 32)
    fig = F.set_grid_figure(normlib.set_ids(shape, "N"), selected=(0, 0, 0, 0))
    _, points = _grid_parts(fig)
    coords = np.asarray(points.customdata)
    for i in range(0, len(points.x), 97):
        assert F.grid_point_to_element(points.x[i], points.y[i], shape) == tuple(coords[i])


@pytest.mark.parametrize("spec", ["batchnorm", "method1", "method2", "instancenorm", "NCH"])
def test_grid_payload_on_a_large_input(spec):
    fig = F.set_grid_figure(normlib.set_ids(BIG_SHAPE, spec), selected=(3, 5, 77, 91))
    assert F.figure_bytes(fig) < 300_000
    assert len(fig.data[1].x) <= 20_000


def test_grid_payload_with_huge_set_ids_and_maps():
    shape = (64, 64, 512, 512)
    ids = np.broadcast_to(
        np.arange(512 * 512, dtype=np.int64).reshape(1, 1, 512, 512) + 2**30, shape
    )
    fig = F.set_grid_figure(ids, selected=(3, 5, 77, 91))
    assert F.figure_bytes(fig) < 300_000
    assert int(np.max(fig.data[1].marker.color)) >= 2**30  # ids exact, not rounded


# ----------------------------------------------------------------------- cube
def _meshes(fig):
    return {t.name: t for t in fig.data if t.type == "mesh3d"}


def test_cube_batchnorm_shades_one_channel_slab():
    fig = F.cube_figure(DEFAULT_SHAPE, "batchnorm", selected=(2, 1, 5, 7))
    meshes = _meshes(fig)
    assert list(meshes) == ["the selected element's set"]
    mesh = meshes["the selected element's set"]
    assert (min(mesh.x), max(mesh.x)) == (0, 8)  # every n
    assert (min(mesh.y), max(mesh.y)) == (1, 2)  # channel 1 only
    assert (min(mesh.z), max(mesh.z)) == (0, 8)  # all of H·W
    scene = fig.layout.scene
    assert (scene.xaxis.title.text, scene.yaxis.title.text, scene.zaxis.title.text) == (
        "N",
        "C",
        "H, W",
    )
    assert "merged" in fig.layout.annotations[0].text
    assert F.figure_bytes(fig) < 60_000


def test_cube_groupnorm_and_layernorm_shapes():
    gn = _meshes(
        F.cube_figure((4, 8, 16, 16), normlib.NormSpec("CHW", groups=4), selected=(1, 3, 0, 0))
    )
    mesh = gn["the selected element's set"]
    assert (min(mesh.x), max(mesh.x), min(mesh.y), max(mesh.y)) == (1, 2, 2, 4)
    ln = _meshes(F.cube_figure(DEFAULT_SHAPE, "layernorm", selected=(5, 0, 0, 0)))
    mesh = ln["the selected element's set"]
    assert (min(mesh.x), max(mesh.x), min(mesh.y), max(mesh.y)) == (5, 6, 0, 3)


def test_cube_is_honest_about_merged_h_and_w():
    # Reduces N and H but not W: the set is one column w = 7 of every map.
    fig = F.cube_figure(DEFAULT_SHAPE, "NH", selected=(2, 1, 5, 7))
    meshes = _meshes(fig)
    assert list(meshes) == ["cells holding part of the set"]
    text = fig.layout.annotations[0].text
    assert "32 of the 1024 positions" in text and "every h at w = 7" in text
    method2 = F.cube_figure(DEFAULT_SHAPE, "method2", selected=(2, 1, 5, 7))
    assert "only (h, w) = (5, 7)" in method2.layout.annotations[0].text


def test_cube_caps_cells_and_follows_the_selection():
    fig = F.cube_figure(BIG_SHAPE, "instancenorm", selected=(40, 3, 0, 0))
    scene = fig.layout.scene
    assert list(scene.xaxis.range) == [0, 8] and list(scene.yaxis.range) == [0, 8]
    assert "40" in scene.xaxis.ticktext
    assert "showing n 33–40 of 64, c 0–7 of 64" in fig.layout.annotations[0].text
    assert F.figure_bytes(fig) < 60_000


# ----------------------------------------------------------------- histograms
def test_histogram_bars_hold_every_element_in_fixed_colours():
    x, _, h = _hist()
    fig = F.histogram_figure(h, log_y=True, title="BatchNorm2d")
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["before", "after"]
    assert all(int(np.sum(b.y)) == x.size for b in bars)
    # Translucent fills of the two fixed colours (Okabe–Ito orange, sky blue).
    assert bars[0].marker.color.startswith("rgba(230,159,0,")
    assert bars[1].marker.color.startswith("rgba(86,180,233,")
    outlines = {t.name: t.line.color for t in fig.data if t.type == "scatter"}
    assert outlines == {"before": F.BEFORE_COLOUR, "after": F.AFTER_COLOUR}
    assert np.allclose(bars[0].x, h.centers, atol=1e-5) and bars[0].width == pytest.approx(h.width)
    assert fig.layout.barmode == "overlay"
    assert fig.layout.xaxis.title.text == "value" and fig.layout.yaxis.title.text == "count"
    assert fig.layout.yaxis.type == "log"
    assert sorted(t.name for t in fig.data if t.showlegend) == ["after", "before"]


def test_histogram_grid_one_panel_per_group_with_labels():
    x, _, hc = _hist(by="channel", bins=40)
    labels = ["c=0 (red)", "c=1 (green)", "c=2 (blue)"]
    fig = F.histogram_grid_figure(hc, labels=labels)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 * 3
    assert len({b.xaxis for b in bars}) == 3
    assert [a.text for a in fig.layout.annotations] == labels
    for k in range(3):
        per_group = x[:, k].size
        assert int(np.sum(bars[2 * k].y)) == per_group == int(np.sum(bars[2 * k + 1].y))
    ranges = {tuple(fig.layout[a].range) for a in fig.layout if a.startswith("xaxis")}
    assert ranges == {(float(hc.edges[0]), float(hc.edges[-1]))}


def test_histogram_grid_caps_panels_and_says_so():
    shape = (8, 3, 16, 16)
    ids = normlib.set_ids(shape, "instancenorm")  # 24 sets
    _, _, hs = _hist(shape, "instancenorm", by=ids, bins=20)
    fig = F.histogram_grid_figure(hs, max_panels=16, columns=4)
    bars = [t for t in fig.data if t.type == "bar"]
    assert len({b.xaxis for b in bars}) == 16
    texts = [a.text for a in fig.layout.annotations]
    assert texts[:16] == [f"group {k}" for k in range(16)]
    assert any("first 16 of 24 groups" in t for t in texts)


def test_histogram_grid_needs_group_counts():
    _, _, h = _hist()
    with pytest.raises(ValueError, match="by="):
        F.histogram_grid_figure(h)


# --------------------------------------------------------- feature maps, stats
def test_feature_maps_two_rows_on_shared_scales():
    x, out, _ = _hist()
    maps = [(0, 0), (1, 2)]
    fig = F.feature_maps_figure(x, out, maps)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [t.coloraxis for t in heatmaps] == ["coloraxis", "coloraxis2"] * 2
    assert np.allclose(heatmaps[0].z, x[0, 0], atol=1e-5)
    assert np.allclose(heatmaps[3].z, out[1, 2], atol=1e-5)
    after = fig.layout.coloraxis2
    assert after.cmin == pytest.approx(-after.cmax)  # centred at 0
    assert after.colorscale != fig.layout.coloraxis.colorscale
    assert fig.layout.coloraxis.colorbar.title.text == "before"
    assert after.colorbar.title.text == "after"


def test_feature_maps_downsample_large_maps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 512, 512)).astype(np.float32)
    maps = [(0, c) for c in range(6)]
    fig = F.feature_maps_figure(x, x, maps)
    shapes = {np.asarray(t.z).shape for t in fig.data}
    assert max(max(s) for s in shapes) <= 128
    assert F.figure_bytes(fig) < 300_000
    assert "block-averaged" in fig.layout.annotations[-1].text


def test_stats_heatmap_values_and_thinning():
    values = np.arange(12.0).reshape(3, 4) - 5
    fig = F.stats_heatmap_figure(values, row_label="n", col_label="c", title="per-set mean")
    assert np.allclose(fig.data[0].z, values)
    assert fig.data[0].zmin == -fig.data[0].zmax  # both signs: diverging, centred
    big = np.random.default_rng(0).normal(size=(8192, 128))
    fig = F.stats_heatmap_figure(big, row_label="c·h", col_label="w", title="mean")
    z = np.asarray(fig.data[0].z)
    assert z.shape[0] <= 128 and np.allclose(z[1], big[int(fig.data[0].y[1])], atol=1e-5)
    assert "every 64th row" in fig.layout.annotations[0].text
    assert F.figure_bytes(fig) < 300_000


def test_stats_bar_two_panels_in_set_colours():
    means, variances = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 0.5])
    fig = F.stats_bar_figure(means, variances, ["set 0", "set 1", "set 2"])
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert np.allclose(fig.data[0].y, means) and np.allclose(fig.data[1].y, variances)
    assert fig.data[0].xaxis != fig.data[1].xaxis
    assert list(fig.data[0].marker.color) == list(F.SET_PALETTE[:3])


def test_running_stats_lines_and_dashed_population():
    steps = np.arange(5000)
    running = np.outer(1 - 0.99**steps, [1.0, 2.0, 3.0])
    fig = F.running_stats_figure(
        steps, running, np.array([1.0, 2.0, 3.0]), title="running_mean", channel_labels=["r"]
    )
    solid = [t for t in fig.data if t.line.dash is None and t.x[0] is not None]
    dashed = [t for t in fig.data if t.line.dash == "dash" and t.x[0] is not None]
    assert len(solid) == 3 and len(dashed) == 3
    assert [t.name for t in solid] == ["r", "c=1", "c=2"]
    for line, population in zip(solid, dashed, strict=True):
        assert line.line.color == population.line.color
        assert len(line.x) <= 1001 and line.x[-1] == 4999
    assert list(dashed[2].y) == [3.0, 3.0]


def test_difference_heatmap_keeps_the_largest_difference():
    diff = np.zeros((2, 300, 300))
    diff[1, 151, 7] = -3e-6
    fig = F.difference_heatmap_figure(diff, title="normlib − PyTorch")
    assert "max |Δ| = 3e-06" in fig.layout.title.text
    assert len(fig.data) == 2
    assert np.min(fig.data[1].z) == pytest.approx(-3e-6)  # not averaged away
    assert fig.layout.coloraxis.cmin == -fig.layout.coloraxis.cmax
    single = F.difference_heatmap_figure(np.zeros((4, 4)), title="same")
    assert "max |Δ| = 0" in single.layout.title.text


# ------------------------------------------- set grid geometry (brute force)
GRID_SPECS = [
    "NHW",
    "CHW",
    "HW",
    "N",
    "NC",
    "C",
    "NH",
    "W",
    "",
    "NCHW",
    normlib.NormSpec("CHW", groups=2),
]


def _kept(shape, spec):
    """(size, coordinate function) of each coordinate that tells sets apart, in C order."""
    spec = normlib.as_spec(spec)
    N, C, H, W = shape
    per = C // spec.groups
    kept = []
    for axis, size, position in zip("NCHW", shape, range(4), strict=True):
        if axis == "C" and spec.groups > 1:
            kept.append((spec.groups, lambda e, per=per: e[1] // per))
        elif axis not in spec.axes:
            kept.append((size, lambda e, p=position: e[p]))
    return kept


def _brute_set_id(shape, spec, element) -> int:
    """The set id by definition: the kept coordinates, numbered in C order."""
    set_id = 0
    for size, coordinate in _kept(shape, spec):
        set_id = set_id * size + coordinate(element)
    return set_id


def _pixel(layout, element):
    """Mosaic (row, col) of an element on an undownsampled grid: tile origin + (h, w)."""
    n, c, h, w = element
    return n * (layout.tile_h + layout.gap) + h, c * (layout.tile_w + layout.gap) + w


def _polygons(trace):
    xs = np.asarray(trace.x, dtype=float)
    ys = np.asarray(trace.y, dtype=float)
    breaks = np.flatnonzero(np.isnan(xs))
    start = 0
    for stop in breaks:
        yield xs[start:stop], ys[start:stop]
        start = stop + 1


def _enclosed_pixels(trace, layout):
    """Mosaic pixels whose centres lie inside one of the trace's closed rectangles."""
    inside = set()
    for xs, ys in _polygons(trace):
        assert len(xs) == 5 and xs[0] == xs[-1] and ys[0] == ys[-1]  # closed
        # Axis-aligned, along pixel edges (half-integers), never across them.
        assert np.all(np.mod(xs, 1) == 0.5) and np.all(np.mod(ys, 1) == 0.5)
        left, right, top, bottom = xs.min(), xs.max(), ys.min(), ys.max()
        assert sorted(set(xs)) == [left, right] and sorted(set(ys)) == [top, bottom]
        for row in range(layout.rows):
            for col in range(layout.cols):
                if left < col < right and top < row < bottom:
                    inside.add((row, col))
    return inside


def _fits(shape, spec) -> bool:
    return shape[1] % normlib.as_spec(spec).groups == 0


def _grid_cases(count=60, seed=7):
    rng = np.random.default_rng(seed)
    cases = [((1, 2, 1, 1), spec, (0, 0, 0, 0)) for spec in GRID_SPECS]
    for shape in [(1, 2, 1, 1), (2, 3, 1, 2), (4, 2, 2, 1)]:
        for spec in GRID_SPECS:
            element = tuple(int(rng.integers(s)) for s in shape)
            cases.append((shape, spec, element))
    for _ in range(count):
        shape = tuple(int(v) for v in (rng.integers(1, 6), 2 * rng.integers(1, 3)))
        shape += tuple(int(v) for v in rng.integers(1, 7, size=2))
        spec = GRID_SPECS[int(rng.integers(len(GRID_SPECS)))]
        element = tuple(int(rng.integers(s)) for s in shape)
        cases.append((shape, spec, element))
    return [case for case in cases if _fits(*case[:2])]


@pytest.mark.slow
def test_outline_encloses_exactly_the_selected_set_and_the_ring_is_whole():
    for shape, spec, element in _grid_cases(count=30):
        ids = normlib.set_ids(shape, spec)
        fig = F.set_grid_figure(ids, selected=element)
        layout = F.grid_layout(shape)
        assert (layout.stride_h, layout.stride_w) == (1, 1)
        selected = _brute_set_id(shape, spec, element)
        expected = {
            _pixel(layout, e)
            for e in np.ndindex(*shape)
            if e[0] < layout.n_show
            and e[1] < layout.c_show
            and _brute_set_id(shape, spec, e) == selected
        }
        outlines = [t for t in fig.data if t.name == "the selected set (outlined)"]
        assert len(outlines) == 2  # black under yellow, one path
        assert np.array_equal(outlines[0].x, outlines[1].x, equal_nan=True)
        where = (shape, spec, element)
        assert _enclosed_pixels(outlines[0], layout) == expected, where
        # Nothing is cut at the mosaic's edge: the path lies inside the axis ranges.
        x_low, x_high = fig.layout.xaxis.range
        y_high, y_low = fig.layout.yaxis.range
        xs = np.asarray(outlines[0].x, dtype=float)
        ys = np.asarray(outlines[0].y, dtype=float)
        assert x_low < np.nanmin(xs) and np.nanmax(xs) < x_high, where
        assert y_low < np.nanmin(ys) and np.nanmax(ys) < y_high, where
        # The ring sits on the selected element's own pixel and is never clipped.
        rings = [t for t in fig.data if t.name == "selected element"]
        assert len(rings) == 2
        row, col = _pixel(layout, element)
        for ring in rings:
            assert (ring.x[0], ring.y[0]) == (col, row), where
            assert ring.cliponaxis is False
            assert x_low + 0.5 <= ring.x[0] <= x_high - 0.5
            assert y_low + 0.5 <= ring.y[0] <= y_high - 0.5


@pytest.mark.slow
def test_set_numbers_on_tiles_match_brute_force_set_ids():
    for shape, spec, element in _grid_cases(count=20, seed=11):
        ids = normlib.set_ids(shape, spec)
        fig = F.set_grid_figure(ids, selected=element)
        layout = F.grid_layout(shape)
        heatmap = fig.data[0]
        z = np.asarray(heatmap.z)
        pixel_set = {}
        for e in np.ndindex(*shape):
            if e[0] < layout.n_show and e[1] < layout.c_show:
                pixel_set[_pixel(layout, e)] = _brute_set_id(shape, spec, e)
        visible = set(pixel_set.values())
        numbers = [t for t in fig.data if t.name == "set numbers"]
        if len(visible) > len(F.SET_PALETTE):
            assert not numbers  # grey mode: the outline is the cue
            continue
        assert len(numbers) == 1, (shape, spec)
        trace = numbers[0]
        labelled = set()
        for x, y, text, ink in zip(trace.x, trace.y, trace.text, trace.textfont.color, strict=True):
            # Every pixel the label touches belongs to the set it names.
            for row in {math.floor(y), math.ceil(y)}:
                for col in {math.floor(x), math.ceil(x)}:
                    assert pixel_set[(row, col)] == int(text), (shape, spec, text)
                    fill = _colour_of_class(heatmap, int(z[row, col]))
                    assert F.contrast_ratio(ink, fill) >= 4.5, (ink, fill)
            labelled.add(int(text))
        if max(shape[2:]) <= 2:  # tiny maps: big pixels, every set gets its number
            assert labelled == visible, (shape, spec)


@pytest.mark.parametrize("shape", [(1, 2, 1, 1), (2, 3, 1, 2), (4, 2, 2, 1)])
def test_tiny_maps_every_spec_every_tile_numbered(shape):
    for spec in [s for s in GRID_SPECS if _fits(shape, s)]:
        fig = F.set_grid_figure(normlib.set_ids(shape, spec), selected=(0, 0, 0, 0))
        layout = F.grid_layout(shape)
        numbers = [t for t in fig.data if t.name == "set numbers"]
        if normlib.as_spec(spec).n_sets(shape) > len(F.SET_PALETTE):
            continue
        # One label per set and tile: brute-force count of (tile, set) pairs.
        pairs = {
            (e[0], e[1], _brute_set_id(shape, spec, e))
            for e in np.ndindex(*shape)
            if e[0] < layout.n_show and e[1] < layout.c_show
        }
        assert len(numbers[0].text) == len(pairs), spec


def test_compact_grid_drops_legend_and_notes_but_keeps_numbers():

    shape = (12, 10, 2, 2)
    ids = normlib.set_ids(shape, "NHW")
    fig = F.set_grid_figure(ids, selected=(0, 1, 0, 0), max_tiles=4, height=300, compact=True)
    assert fig.layout.showlegend is False
    assert not fig.layout.annotations
    assert fig.layout.margin.b <= 10
    assert any(t.name == "set numbers" for t in fig.data)
    assert fig.layout.font.size >= 14  # never shrunk below the shared style's text


# ------------------------------------------------- histograms: outliers, log
def _with_outliers(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 3, 16, 16))
    y = rng.normal(size=(4, 3, 16, 16))
    # As with CNN feature maps under GroupNorm: the bulk in about ±3, a few values at ±15.
    y[0, 0, 0, :3] = [15.0, -15.0, 14.0]
    x[1, 2, 3, 4] = 13.0
    return x, y


@pytest.mark.parametrize("bins", [40, 400])
def test_histogram_grid_x_range_ignores_a_few_huge_outliers(bins):
    x, y = _with_outliers()
    h = normlib.histograms(x, y, bins=bins, by="channel")
    fig = F.histogram_grid_figure(h)
    low, high = fig.layout.xaxis.range
    # The bulk (normal data, |v| < 4.5) fills the axis, not ±15.
    assert -6 < low < -2 and 2 < high < 6, (low, high)
    ranges = {tuple(fig.layout[a].range) for a in fig.layout if a.startswith("xaxis")}
    assert len(ranges) == 1  # still one shared range
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars[0].x) <= 40
    for k in range(3):  # every value still counted, the outliers in the edge bars
        assert int(np.sum(bars[2 * k].y)) == x[:, k].size == int(np.sum(bars[2 * k + 1].y))
    outside = int(np.sum((x < low) | (x > high)) + np.sum((y < low) | (y > high)))
    assert outside >= 4
    note = fig.layout.annotations[-1].text.replace("<br>", " ")
    assert f"{outside} outlying values" in note and "outermost bars" in note


def test_histogram_without_outliers_keeps_the_full_range():
    x = normlib.random_tensor((4, 3, 8, 8), seed=1)
    h = normlib.histograms(x, x * 2, bins=50)
    fig = F.histogram_figure(h)
    assert tuple(fig.layout.xaxis.range) == (float(h.edges[0]), float(h.edges[-1]))
    assert not fig.layout.annotations


@pytest.mark.parametrize("top", [1, 3, 9, 50, 999, 1000, 123_456, 10**7])
def test_log_count_axis_has_readable_ticks_at_any_count(top):
    edges = np.linspace(-1, 1, 5)
    counts = np.array([top, 1, 0, 2])
    fig = F.histogram_figure(normlib.Histograms(edges, counts, counts), log_y=True)
    axis = fig.layout.yaxis
    assert axis.type == "log"
    low, high = axis.range
    shown = [v for v in axis.tickvals if low <= math.log10(v) <= high]
    assert len(shown) >= 3, shown
    assert 10**high >= top  # the highest bar fits under the top
    assert list(axis.ticktext) == [f"{v:,}" for v in axis.tickvals]


# ------------------------------------------------------ map titles, captions
def test_feature_maps_and_single_maps_have_h_and_w_axis_titles():

    x, out, _ = _hist()
    fig = F.feature_maps_figure(x, out, [(0, 0), (1, 2)])
    bottom = [fig.layout[a] for a in ("xaxis3", "xaxis4")]
    assert all("w (column)" in axis.title.text and axis.showticklabels for axis in bottom)
    assert "h (row)" in fig.layout.yaxis.title.text and "before" in fig.layout.yaxis.title.text
    assert "h (row)" in fig.layout.yaxis3.title.text and "after" in fig.layout.yaxis3.title.text
    single = F.map_figure(out[0, 0], "output, c=0")
    assert "w (column)" in single.layout.xaxis.title.text
    assert "h (row)" in single.layout.yaxis.title.text
    assert single.layout.title.font.size >= 16  # was 13 px


def test_range_words_names_one_index_alone():
    assert F.range_words(1, 3, "channel", "channels") == "channel 0 of 3"
    assert F.range_words(2, 3, "channel", "channels") == "channels 0–1 of 3"
    assert F.range_words(1, 12, "n") == "n 0 of 12"
    fig = F.difference_heatmap_figure(np.ones((4, 5, 5)), title="Δ", max_panels=1)
    text = fig.layout.annotations[-1].text
    assert "channel 0 of 4" in text and "0–0" not in text
    grid = F.set_grid_figure(normlib.set_ids((3, 1, 2, 2), "HW"), max_tiles=1)
    assert "n 0 of 3" in grid.layout.annotations[0].text


def test_a_map_without_hover_sends_levels_whose_colours_match_the_values():
    values = np.linspace(-3.0, 2.0, 12 * 10).reshape(12, 10)
    exact = F.map_figure(values, "exact")
    levels = F.map_figure(values, "levels", hover=False)
    trace = levels.data[0]
    assert trace.hoverinfo == "skip" and exact.data[0].hoverinfo is None
    assert np.asarray(trace.z).dtype == np.uint8
    # Same place on the colour scale (0 = -top, 1 = +top) to within one level of 254.
    where_exact = (np.asarray(exact.data[0].z) + 3.0) / 6.0
    where_level = np.asarray(trace.z) / 254
    assert np.max(np.abs(where_exact - where_level)) <= 0.5 / 254 + 1e-6
    # The colour bar is labelled in values: -3 at level 0, 0 at 127, +3 at 254.
    labels = dict(zip(trace.colorbar.tickvals, trace.colorbar.ticktext, strict=True))
    assert labels == {0.0: "-3", 63.5: "-1.5", 127.0: "0", 190.5: "1.5", 254.0: "3"}
    assert len(levels.to_json()) < len(exact.to_json()) - 300


# ------------------------------------------------------------------ shared between sessions
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_all_figures()))
def test_a_shared_figure_sends_what_the_plain_figure_sends(name):
    """normapp.cached hands every session the same figure as a SharedFigure, whose dict
    is made on the first draw only: each draw must send exactly what a plain figure sends."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from normapp.cached import _shared

    plain = _all_figures()[name]
    shared = _shared(_all_figures()[name])
    assert isinstance(shared, go.Figure)
    # What st.plotly_chart sends: Plotly's JSON of the figure's dict.
    expected = pio.to_json(plain.to_dict(), validate=False)
    assert pio.to_json(shared.to_dict(), validate=False) == expected
    assert pio.to_json(shared.to_dict(), validate=False) == expected  # the second draw too
    assert shared.to_dict() is shared.to_dict()  # made once, not per draw
