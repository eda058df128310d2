"""Every figure builder: projector-sized text and WCAG AA contrast in both Streamlit themes.

Sizes are read from the figure JSON (what the browser receives). Colours:
the figures leave text colours to the theme, and :func:`normapp.figures.themed`
sets them for a known theme; each is checked with the WCAG 2 formula, written
out here (not the module's own helper).
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import normlib
from normapp import figures as F

BACKGROUNDS = {"light": "#FFFFFF", "dark": "#0E1117"}  # Streamlit's two page backgrounds


def wcag_contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        colour = colour.lstrip("#")
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def every_builder() -> dict:
    """One figure from every public builder (and the Compare page's two)."""
    x = normlib.random_tensor((8, 3, 16, 16), seed=0, channel_offset=2.0)
    out = normlib.normalize(x, "layernorm").output
    out_with_outlier = out.copy()
    out_with_outlier[0, 0, 0, 0] = 40.0
    h = normlib.histograms(x, out_with_outlier, bins=200)
    hc = normlib.histograms(x, out_with_outlier, bins=200, by="channel")
    ids = normlib.set_ids((8, 3, 16, 16), "batchnorm")
    result = normlib.normalize(x, "batchnorm")
    steps = np.arange(40)
    running = np.cumsum(np.ones((40, 3)), axis=0) / 40
    lab_steps = np.arange(1, 41)
    lab_curves = [
        F.Curve("BatchNorm2d", "batchnorm", lab_steps, np.linspace(1.4, 0.3, 40)),
        F.Curve("GroupNorm(4)", "groupnorm", lab_steps, np.linspace(1.4, 0.4, 40)),
    ]
    batches = np.array([2, 4, 8, 16, 32])
    return {
        "lab_loss": F.steps_figure(lab_curves, title="loss", y_title="loss", smooth=5),
        "lab_accuracy": F.steps_figure(
            [
                *lab_curves,
                F.Curve("BN, batch stats", "batchnorm", lab_steps, 0.5 + 0 * lab_steps, True),
            ],
            title="held-out accuracy",
            y_title="accuracy",
            percent=True,
            markers=True,
        ),
        "lab_batch_stats": F.batch_statistics_figure(
            np.sin(lab_steps),
            np.cumsum(np.sin(lab_steps)) / 40,
            1 + np.cos(lab_steps) ** 2,
            np.ones(40),
            batch_size=4,
        ),
        "lab_error_by_batch": F.error_by_batch_figure(
            [
                F.Curve("BatchNorm2d", "batchnorm", batches, np.array([0.5, 0.3, 0.2, 0.15, 0.1])),
                F.Curve("GroupNorm(4)", "groupnorm", batches, np.full(5, 0.12)),
            ],
            note="5 runs per point",
        ),
        "set_grid": F.set_grid_figure(ids, selected=(0, 0, 0, 0), title="sets"),
        "set_grid_many": F.set_grid_figure(
            normlib.set_ids((2, 3, 4, 4), ""), selected=(0, 0, 0, 0)
        ),
        "set_grid_compact": F.set_grid_figure(ids, selected=(1, 1, 1, 1), height=300, compact=True),
        "cube": F.cube_figure((8, 4, 16, 16), "groupnorm", title="cube"),
        "histogram": F.histogram_figure(h, title="all values"),
        "histogram_log": F.histogram_figure(h, log_y=True),
        "histogram_grid": F.histogram_grid_figure(hc, log_y=True, title="per channel"),
        "feature_maps": F.feature_maps_figure(x, out, [(0, 0), (1, 1)]),
        "stats_heatmap": F.stats_heatmap_figure(
            np.arange(12.0).reshape(3, 4), row_label="n", col_label="c", title="mean"
        ),
        "stats_bar": F.stats_bar_figure(result.set_mean, result.set_var, title="per set"),
        "running": F.running_stats_figure(steps, running, np.ones(3), title="running_mean"),
        "modes": F.modes_figure(x[0], out[0], out[0] * 0.9, ["r", "g", "b"]),
        "difference": F.difference_heatmap_figure(out[0] - x[0], title="Δ", max_panels=2),
        "map": F.map_figure(out[0, 0], "output, c=0"),
        "compare_map": F.map_figure(out[0, 0], "output, c=0", height=300),
        "board": F.board_figure(["Method 1", "LayerNorm", "BatchNorm2d"], [3, 0, 27], 30),
        "board_revealed": F.board_figure(
            ["N", "C", "H", "W"], [30, 2, 28, 28], 30, right=[True, False, True, True]
        ),
    }


def test_every_public_builder_is_covered():
    builders = {
        name
        for name, value in vars(F).items()
        if name.endswith("_figure") and inspect.isfunction(value) and not name.startswith("_")
    }
    covered = {"set_grid_figure", "cube_figure", "histogram_figure", "histogram_grid_figure"}
    covered |= {"feature_maps_figure", "stats_heatmap_figure", "stats_bar_figure"}
    covered |= {"running_stats_figure", "difference_heatmap_figure", "map_figure", "modes_figure"}
    covered |= {"board_figure", "steps_figure", "batch_statistics_figure", "error_by_batch_figure"}
    assert builders == covered


def _fonts(node, path=()):
    """(path, font dict) for every font in a figure's JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "tickfont", "textfont", "title_font") and isinstance(value, dict):
                yield (*path, key), value
            yield from _fonts(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _fonts(value, (*path, index))


def _texts(fig_json):
    """Path and font of every visible text element a figure declares."""
    layout = fig_json["layout"]
    found = []
    if layout.get("title", {}).get("text"):
        found.append(("title", layout["title"].get("font", {})))
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            if axis.get("showticklabels", True):
                found.append((f"{key}.ticks", axis.get("tickfont", {})))
            if axis.get("title", {}).get("text"):
                found.append((f"{key}.title", axis["title"].get("font", {})))
        if key.startswith("scene"):
            for name in ("xaxis", "yaxis", "zaxis"):
                sub = axis.get(name, {})
                if sub.get("showticklabels", True):
                    found.append((f"{key}.{name}.ticks", sub.get("tickfont", {})))
                if sub.get("title", {}).get("text"):
                    found.append((f"{key}.{name}.title", sub["title"].get("font", {})))
        if key.startswith("coloraxis"):
            bar = axis.get("colorbar", {})
            found.append((f"{key}.ticks", bar.get("tickfont", {})))
            if bar.get("title", {}).get("text"):
                found.append((f"{key}.title", bar["title"].get("font", {})))
    for index, annotation in enumerate(layout.get("annotations", [])):
        found.append((f"annotation {index}", annotation.get("font", {})))
    if layout.get("showlegend", True):
        found.append(("legend", layout.get("legend", {}).get("font", {})))
    for index, trace in enumerate(fig_json["data"]):
        if trace.get("type") == "heatmap" and trace.get("showscale", True):
            bar = trace.get("colorbar", {})
            found.append((f"trace {index} colorbar ticks", bar.get("tickfont", {})))
            if bar.get("title", {}).get("text"):
                found.append((f"trace {index} colorbar title", bar["title"]["font"]))
    return found


def _is_title(path: str) -> bool:
    return path == "title" or path.endswith("title")


@pytest.fixture(scope="module")
def figures():
    return every_builder()


def test_text_sizes_read_from_the_back_of_a_room(figures):
    for name, fig in figures.items():
        spec = json.loads(fig.to_json())
        spec["layout"].pop("template", None)
        base = spec["layout"]["font"]["size"]
        assert base >= 14, name
        for path, font in _texts(spec):
            size = font.get("size", base)
            floor = 16 if _is_title(path) else 14
            assert size >= floor, (name, path, size)
        # Subplot titles are annotations: they are titles too (>= 16 px).
        notes = [a for a in spec["layout"].get("annotations", []) if a.get("yref") != "paper"]
        assert all(a["font"]["size"] >= 16 for a in notes), name
        for path, font in _fonts(spec):  # no text anywhere under 14 px
            if "size" in font and "hoverlabel" not in path:
                assert font["size"] >= 14, (name, path, font["size"])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_colour_meets_wcag_aa_in_each_theme(figures, theme):
    background = BACKGROUNDS[theme]
    for name, fig in figures.items():
        spec = json.loads(F.themed(fig, theme).to_json())
        layout_colour = spec["layout"]["font"]["color"]
        for path, font in _texts(spec):
            colour = font.get("color", layout_colour)
            ratio = wcag_contrast(colour, background)
            assert ratio >= 4.5, (name, theme, path, colour, round(ratio, 2))
        # Hover labels: their own background, the theme's.
        hover = spec["layout"]["hoverlabel"]
        assert wcag_contrast(hover["font"]["color"], hover["bgcolor"]) >= 4.5


def test_figures_leave_text_colours_to_the_theme(figures):
    """Un-themed figures set no text colour (a fixed one fails on one background)."""
    for name, fig in figures.items():
        spec = json.loads(fig.to_json())
        spec["layout"].pop("template", None)  # Plotly's or Streamlit's, replaced in the browser
        for path, font in _fonts(spec):
            if "color" in font:
                # Only the set numbers on coloured tiles carry their own ink.
                assert path[0] == "data" and path[-1] == "textfont", (name, path)


def test_no_single_text_colour_passes_on_both_backgrounds():
    # Why the colours must follow the theme: every grey from black to white
    # fails AA on one of Streamlit's backgrounds.
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(256)]
    both = [g for g in greys if all(wcag_contrast(g, bg) >= 4.5 for bg in BACKGROUNDS.values())]
    assert both == []
    # Streamlit's chart theme greys (#808495 light, #e6eaf1 dark): the light one fails.
    assert wcag_contrast("#808495", BACKGROUNDS["light"]) < 4.5
    for theme, (ink, paper) in F.THEME_COLOURS.items():
        assert paper == BACKGROUNDS[theme]
        assert wcag_contrast(ink, paper) >= 4.5


def test_themed_refuses_an_unknown_theme_and_passes_none_through(figures):
    fig = figures["map"]
    assert F.themed(fig, None) is fig
    with pytest.raises(ValueError, match="theme must be"):
        F.themed(fig, "sepia")


def test_running_statistics_titles_fit_a_phone_column():
    """Issue 24.6: "running_mean (dashed: whole input's mean" was cut off at 390 px: at the
    title's 16-px bold type a 358-px column holds about 36 characters a line."""
    steps = 5
    mean_fig, var_fig = F.running_pair_figures(
        np.zeros((steps, 3)), np.zeros(3), np.ones((steps, 3)), np.ones(3), ("r", "g", "b")
    )
    for fig in (mean_fig, var_fig):
        lines = fig.layout.title.text.split("<br>")
        assert len(lines) == 2 and max(map(len, lines)) <= 36, lines


def test_the_lab_statistics_title_fits_a_phone_column():
    """Issue 24.6: "First BatchNorm layer, channel 0, batches of" was cut at 390 px."""
    series = np.linspace(0.0, 1.0, 20)
    fig = F.batch_statistics_figure(series, series, series, series, batch_size=32)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 2 and max(map(len, lines)) <= 36, lines
    assert fig.layout.margin.t >= 26 + 24 * 2  # room for both lines
