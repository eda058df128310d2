"""Presenter text sizes reach every figure the presenter view shows (pure builders, no app)."""

from __future__ import annotations

import numpy as np
import pytest

import normlib
from normapp import figures as F


def presenter_figures(text: F.TextSizes) -> dict:
    x = normlib.random_tensor((8, 3, 16, 16), seed=0, channel_offset=2.0)
    result = normlib.normalize(x, "layernorm")
    h = normlib.histograms(x, result.output, bins=60)
    return {
        "set_grid": F.set_grid_figure(
            normlib.set_ids((8, 3, 32, 32), "layernorm"), selected=(0, 0, 0, 0), text=text
        ),  # 32×32 tiles are downsampled: the grid has a note
        "histogram": F.histogram_figure(h, text=text),
        "stats_bar": F.stats_bar_figure(result.set_mean, result.set_var, text=text),
        "stats_heatmap": F.stats_heatmap_figure(
            np.arange(12.0).reshape(3, 4), row_label="n", col_label="c", title="mean", text=text
        ),
        "cube": F.cube_figure(x.shape, "layernorm", text=text),
    }


def tick_sizes(fig) -> list[int]:
    layout = fig.layout
    axes = [layout[name] for name in layout if name.startswith(("xaxis", "yaxis"))]
    if layout.scene.xaxis.tickfont.size is not None:
        axes += [layout.scene.xaxis, layout.scene.yaxis, layout.scene.zaxis]
    return [axis.tickfont.size for axis in axes if axis.tickfont.size is not None]


@pytest.mark.parametrize("name", ["set_grid", "histogram", "stats_bar", "stats_heatmap", "cube"])
def test_presenter_text_makes_ticks_legends_and_notes_projector_sized(name):
    normal = presenter_figures(F.NORMAL_TEXT)[name]
    big = presenter_figures(F.PRESENTER_TEXT)[name]
    assert tick_sizes(big) and min(tick_sizes(big)) >= 18
    assert min(tick_sizes(normal)) == F.FONT_SIZE  # the normal view is unchanged
    assert big.layout.font.size == F.PRESENTER_TEXT.font
    assert big.layout.legend.font.size == F.PRESENTER_TEXT.font
    notes = [a.font.size for a in big.layout.annotations]
    assert notes or name not in ("set_grid", "cube")  # both write notes under the plot
    assert all(size >= F.PRESENTER_TEXT.note for size in notes)


def test_set_numbers_on_the_grid_grow_with_the_presenter_text():
    ids = normlib.set_ids((8, 3, 32, 32), "layernorm")
    sizes = {
        text: [
            t.textfont.size
            for t in F.set_grid_figure(ids, text=text, height=F.PRESENTER_HEIGHT).data
            if getattr(t, "mode", None) == "text"
        ]
        for text in (F.NORMAL_TEXT, F.PRESENTER_TEXT)
    }
    assert sizes[F.NORMAL_TEXT] == [F.LABEL_SIZE]
    assert sizes[F.PRESENTER_TEXT] == [F.PRESENTER_TEXT.label]


# ----------------------------------------------- issue 24.5: what a back row can read
def test_the_presenter_cube_has_fewer_larger_ticks_and_titles():
    from normapp.figures import PRESENTER_TEXT, cube_figure

    normal = cube_figure((8, 4, 32, 32), "groupnorm")
    big = cube_figure((8, 4, 32, 32), "groupnorm", text=PRESENTER_TEXT)
    assert list(normal.layout.scene.xaxis.ticktext) == [str(i) for i in range(8)]
    assert list(big.layout.scene.xaxis.ticktext) == ["0", "2", "4", "6"]  # 22-px digits apart
    assert big.layout.scene.xaxis.tickfont.size == PRESENTER_TEXT.font
    assert big.layout.scene.xaxis.title.font.size > normal.layout.scene.xaxis.title.font.size
    assert big.layout.scene.aspectratio.x > normal.layout.scene.aspectratio.x


def test_a_one_pixel_per_map_set_is_marked_in_its_legend_colour():
    """Method 1's set (one pixel per map) showed as grey tiles with pin-sized yellow marks."""
    import numpy as np

    import normlib
    from normapp.figures import PRESENTER_TEXT, set_grid_figure
    from normapp.figures._style import SET_HIGHLIGHT

    shape = (8, 3, 32, 32)
    ids = normlib.set_ids(shape, normlib.METHODS["method1"])
    fig = set_grid_figure(ids, selected=(0, 0, 0, 0), text=PRESENTER_TEXT)
    (marks,) = [t for t in fig.data if t.name == "the selected set's pixels"]
    members = np.argwhere(ids == ids[0, 0, 0, 0])  # brute force: (n, c, 0, 0) for every n, c
    assert len(marks.x) == len(members) == 24
    assert marks.marker.color == SET_HIGHLIGHT and marks.marker.size >= 20
    # A set that fills its tiles needs no marks: the colour shows.
    batch = set_grid_figure(
        normlib.set_ids(shape, normlib.METHODS["batchnorm"]), selected=(0, 0, 0, 0)
    )
    assert not [t for t in batch.data if t.name == "the selected set's pixels"]
