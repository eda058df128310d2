"""Plotly figures for the app: pure functions from arrays to ``go.Figure``.

No Streamlit here. One module per figure family, all over one style module:

==================  ==========================================================
``_style``          colours, text sizes (``TextSizes``: normal and presenter),
                    margins, notes, :func:`themed`, :func:`apply_style`,
                    ``CHART_CONFIG`` (every ``st.plotly_chart``'s config)
``_arrays``         strides, thinning, payload dtypes, block reductions
``grid_geometry``   where each element lands in the set grid, and back
``grid_colours``    each shown pixel's colour class, the notes, where numbers fit
``grid_marks``      what the set grid draws over its colours: numbers, outline,
                    ring, legend
``set_grid``        :func:`set_grid_figure`
``cube_geometry``   which cells of the cube hold a set (:func:`cube_cells`)
``cube``            :func:`cube_figure`, the GN paper's cube
``histograms``      :func:`histogram_figure`, :func:`histogram_grid_figure`
``maps``            :func:`feature_maps_figure`,
                    :func:`difference_heatmap_figure`
``single_map``      :func:`map_figure` (one map, e.g. a Compare card)
``stats``           :func:`stats_heatmap_figure`, :func:`stats_bar_figure`
``running``         :func:`running_stats_figure`, :func:`running_pair_figures`
``modes``           :func:`modes_figure` (train vs eval outputs of one sample)
``board``           :func:`board_figure` (how a class answered one question)
``lab``             :func:`steps_figure`, :func:`batch_statistics_figure`,
                    :func:`error_by_batch_figure` (the Training lab)
==================  ==========================================================

Every figure

- ends in the shared ``_style.apply_style`` (projector-sized text, transparent
  background, no hard-coded text colour, so it reads in Streamlit's light and
  dark themes);
- carries pre-binned or downsampled data only, never one point per element of
  a big tensor (no ``go.Histogram``: counts come from :func:`normlib.histograms`
  and are drawn as ``go.Bar``); NumPy arrays are handed to Plotly in small
  dtypes, which Plotly serializes as compact base64 typed arrays;
- says in a note when it downsampled: the set grid takes every k-th pixel of
  a tile (a click maps back exactly), feature maps are block-averaged,
  difference maps keep each block's largest |Δ|, statistics heatmaps take
  every k-th row and column, keeping the true indices.

Callers use ``from normapp import figures; figures.set_grid_figure(...)``;
every public name is re-exported here. The modules share helpers by their
public names (``_style.add_note``, ``_arrays.float_payload``,
``grid_geometry.to_mosaic``); an underscore name is private to its module.
"""

from normapp.figures._style import (
    AFTER_COLOUR,
    BEFORE_COLOUR,
    CHART_CONFIG,
    FIGURE_TITLE_SIZE,
    FONT_SIZE,
    GREY,
    LABEL_SIZE,
    LATTICE,
    MAP_X_TITLE,
    MAP_Y_TITLE,
    MARKER_FILL,
    MARKER_LINE,
    NORMAL_TEXT,
    NOTE_SIZE,
    PLOTLY_TEXT_CSS,
    PRESENTER_HEIGHT,
    PRESENTER_TEXT,
    SET_HIGHLIGHT,
    SET_PALETTE,
    SIDE_HEIGHT,
    TEXT_SIZES,
    THEME_COLOURS,
    TITLE_SIZE,
    TRANSPARENT,
    TextSizes,
    contrast_ratio,
    figure_bytes,
    range_words,
    themed,
)
from normapp.figures.board import board_figure
from normapp.figures.cube import cube_figure
from normapp.figures.cube_geometry import CubeCells, cube_cells
from normapp.figures.grid_colours import GridColours, grid_colours, grid_notes, set_label_positions
from normapp.figures.grid_geometry import (
    GRID_PAYLOAD_BYTES,
    MIN_TILE_PX,
    GridLayout,
    grid_layout,
    grid_point_to_element,
)
from normapp.figures.histograms import HISTOGRAM_TAIL, histogram_figure, histogram_grid_figure
from normapp.figures.lab import (
    NORM_COLOURS,
    Curve,
    batch_statistics_figure,
    error_by_batch_figure,
    moving_average,
    steps_figure,
)
from normapp.figures.maps import difference_heatmap_figure, feature_maps_figure
from normapp.figures.modes import modes_figure
from normapp.figures.running import FIGURE_CHANNELS, running_pair_figures, running_stats_figure
from normapp.figures.set_grid import (
    GRID_ASSUMED_WIDTH,
    GRID_COMPACT_WIDTH,
    GRID_EDGE_PAD,
    set_grid_figure,
)
from normapp.figures.single_map import map_figure
from normapp.figures.stats import stats_bar_figure, stats_heatmap_figure

# Every public builder: the style test iterates over this (add a new one here).
BUILDERS = (
    set_grid_figure,
    cube_figure,
    histogram_figure,
    histogram_grid_figure,
    feature_maps_figure,
    difference_heatmap_figure,
    map_figure,
    stats_heatmap_figure,
    stats_bar_figure,
    running_stats_figure,
    modes_figure,
    board_figure,
    steps_figure,
    batch_statistics_figure,
    error_by_batch_figure,
)

__all__ = [
    "AFTER_COLOUR",
    "BEFORE_COLOUR",
    "BUILDERS",
    "NORM_COLOURS",
    "Curve",
    "batch_statistics_figure",
    "error_by_batch_figure",
    "moving_average",
    "steps_figure",
    "CHART_CONFIG",
    "FIGURE_CHANNELS",
    "FIGURE_TITLE_SIZE",
    "FONT_SIZE",
    "GREY",
    "GRID_ASSUMED_WIDTH",
    "GRID_COMPACT_WIDTH",
    "GRID_EDGE_PAD",
    "GRID_PAYLOAD_BYTES",
    "HISTOGRAM_TAIL",
    "LABEL_SIZE",
    "LATTICE",
    "MAP_X_TITLE",
    "MAP_Y_TITLE",
    "MARKER_FILL",
    "MARKER_LINE",
    "MIN_TILE_PX",
    "NORMAL_TEXT",
    "NOTE_SIZE",
    "PLOTLY_TEXT_CSS",
    "PRESENTER_HEIGHT",
    "PRESENTER_TEXT",
    "SET_HIGHLIGHT",
    "SET_PALETTE",
    "SIDE_HEIGHT",
    "TEXT_SIZES",
    "THEME_COLOURS",
    "TITLE_SIZE",
    "TRANSPARENT",
    "CubeCells",
    "GridColours",
    "GridLayout",
    "TextSizes",
    "contrast_ratio",
    "cube_cells",
    "board_figure",
    "cube_figure",
    "difference_heatmap_figure",
    "feature_maps_figure",
    "figure_bytes",
    "grid_colours",
    "grid_layout",
    "grid_notes",
    "grid_point_to_element",
    "histogram_figure",
    "histogram_grid_figure",
    "map_figure",
    "modes_figure",
    "range_words",
    "running_pair_figures",
    "running_stats_figure",
    "set_grid_figure",
    "set_label_positions",
    "stats_bar_figure",
    "stats_heatmap_figure",
    "themed",
]
