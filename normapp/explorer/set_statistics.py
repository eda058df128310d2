"""Every set's statistics laid out for reading: one row per set with its kept coordinates,
and the grid a heatmap shows. Pure, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import normlib
from normapp.explorer.set_description import kept_names
from normlib import AXES, NormSpec
from normlib.typing import Shape4


def set_coordinates(spec: NormSpec, shape: Shape4) -> tuple[list[str], np.ndarray]:
    """Column names and values of the kept coordinates of every set, in set-id order."""
    n, c, h, w = shape
    sizes = {"N": n, "C": c, "H": h, "W": w}
    names: list[str] = []
    dims: list[int] = []
    for axis in AXES:
        if axis == "C" and spec.groups > 1:
            names.append("g")
            dims.append(spec.groups)
        elif axis not in spec.axes:
            names.append(axis.lower())
            dims.append(sizes[axis])
    if not names:
        return [], np.zeros((1, 0), dtype=np.int64)
    grids = np.indices(dims).reshape(len(dims), -1).T
    return names, grids


def statistics_table(result: normlib.NormResult) -> dict[str, np.ndarray]:
    """Per-set rows: set id, kept coordinates, element count, mean, variance (columns)."""
    names, coords = set_coordinates(result.spec, result.shape)
    table: dict[str, np.ndarray] = {"set": np.arange(result.n_sets)}
    for i, name in enumerate(names):
        table[name] = coords[:, i]
    table["elements"] = np.full(result.n_sets, result.count)
    table["mean" if result.spec.center else "mean (0: not centered)"] = result.set_mean.astype(
        np.float64
    )
    table["variance" if result.spec.center else "mean square"] = result.set_var.astype(np.float64)
    return table


@dataclass(frozen=True)
class StatsGrid:
    """Per-set means and variances laid out as a 2-D grid for a heatmap."""

    means: np.ndarray
    variances: np.ndarray
    row_label: str
    col_label: str


def stats_grid(result: normlib.NormResult) -> StatsGrid:
    """Arrange per-set statistics by their kept coordinates: the last one across, the rest down."""
    names = kept_names(result.spec)
    sizes = {
        "n": result.shape[0],
        "g": result.spec.groups,
        "c": result.shape[1],
        "h": result.shape[2],
        "w": result.shape[3],
    }
    dims = [sizes[name] for name in names] or [1]
    cols = dims[-1]
    rows = result.n_sets // cols
    row_label = "·".join(names[:-1]) if len(names) > 1 else "(one row)"
    col_label = names[-1] if names else "(one column)"
    return StatsGrid(
        means=result.set_mean.astype(np.float64).reshape(rows, cols),
        variances=result.set_var.astype(np.float64).reshape(rows, cols),
        row_label=row_label,
        col_label=col_label,
    )
