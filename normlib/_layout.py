"""Layout: how a spec views a tensor of one shape, so normalize can reduce it fast.

The tensor is viewed as (N, G, C/G, H, W) (the grouped view, where the statistics live) and
then adjacent axes that are all reduced or all kept are merged, so that NumPy reduces over as
few, as long and as contiguous axes as possible. That view never copies a C-contiguous input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from normlib._spec import NormSpec
from normlib.typing import GroupedShape, Shape, Shape4


@dataclass(frozen=True)
class Layout:
    """How a spec views a tensor of one shape: grouped 5-D view and merged view."""

    shape: Shape4
    grouped_shape: GroupedShape
    stat_shape5: Shape  # keepdims shape of the statistics in the grouped view
    merged_shape: Shape
    merged_reduced: tuple[int, ...]  # axes of the merged view that are reduced
    count: int
    n_sets: int


def layout_of(shape: Shape, spec: NormSpec) -> Layout:
    """The grouped and merged views of `spec` on a tensor of `shape` (checked against it)."""
    n, c, h, w = spec.check_shape(shape)
    g = spec.groups
    grouped: GroupedShape = (n, g, c // g, h, w)
    reduced5 = grouped_reduced(spec)
    stat5 = grouped_stat_shape(grouped, spec)
    # Merge runs of adjacent axes with the same reduced/kept status; size-1
    # axes fit either status, so they are dropped first.
    merged: list[list[Any]] = []
    for size, red in zip(grouped, reduced5, strict=True):
        if size == 1:
            continue
        if merged and merged[-1][1] == red:
            merged[-1][0] *= size
        else:
            merged.append([size, red])
    if not merged:
        merged = [[1, False]]
    count = int(np.prod([size for size, red in merged if red], dtype=np.int64))
    total = n * c * h * w
    return Layout(
        shape=(n, c, h, w),
        grouped_shape=grouped,
        stat_shape5=stat5,
        merged_shape=tuple(size for size, _ in merged),
        merged_reduced=tuple(i for i, (_, red) in enumerate(merged) if red),
        count=count,
        n_sets=total // count,
    )


def grouped_reduced(spec: NormSpec) -> tuple[bool, ...]:
    """Which axes of the grouped view (N, G, C/G, H, W) are reduced; G never is."""
    return ("N" in spec.axes, False, "C" in spec.axes, "H" in spec.axes, "W" in spec.axes)


def grouped_stat_shape(grouped_shape: Shape, spec: NormSpec) -> Shape:
    """Keepdims shape of the statistics in the grouped view."""
    reduced = grouped_reduced(spec)
    return tuple(1 if red else size for size, red in zip(grouped_shape, reduced, strict=True))
