"""Array helpers the figure families share: strides, payload dtypes, block reductions.

Figures hand NumPy arrays to Plotly in small dtypes (Plotly serializes them as
compact base64 typed arrays) and carry downsampled data only, never one point
per element of a big tensor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from normlib.typing import Element, Shape4


def stride(size: int, cap: int) -> int:
    """Smallest step k with ceil(size / k) <= cap."""
    return max(1, math.ceil(size / max(1, cap)))


def thin_indices(size: int, cap: int) -> np.ndarray:
    """Indices of every k-th of `size` points, the last one kept: about `cap` at most."""
    keep = np.arange(0, size, stride(size, cap))
    if size and keep[-1] != size - 1:
        keep = np.append(keep, size - 1)
    return keep


def small_uint(array: np.ndarray) -> np.ndarray:
    """`array` (non-negative integers) in the smallest unsigned dtype that holds it."""
    top = int(array.max()) if array.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return array.astype(dtype, copy=False)
    return array.astype(np.float64)


def uint_bytes(top: int) -> int:
    """Bytes of the smallest unsigned dtype holding 0..top (8: float64 fallback)."""
    for size, dtype in ((1, np.uint8), (2, np.uint16), (4, np.uint32)):
        if top <= np.iinfo(dtype).max:
            return size
    return 8


def float_payload(values: np.ndarray) -> np.ndarray:
    """Float32 for the browser (half the bytes of float64; 7 significant digits)."""
    return np.asarray(values, dtype=np.float32)


def check_selected(selected: Sequence[int] | None, shape: Shape4) -> Element | None:
    return None if selected is None else check_element(selected, shape)


def check_element(selected: Sequence[int], shape: Shape4) -> Element:
    element = tuple(int(v) for v in selected)
    if len(element) != 4 or not all(0 <= v < s for v, s in zip(element, shape, strict=True)):
        raise ValueError(f"selected must be (n, c, h, w) inside the shape {shape}, got {selected}")
    return element


def block_mean(a: np.ndarray, step: int) -> np.ndarray:
    """Mean over step × step blocks of a 2-D array (edge blocks may be smaller)."""
    if step == 1:
        return np.asarray(a, dtype=np.float64)
    rows = np.arange(0, a.shape[0], step)
    cols = np.arange(0, a.shape[1], step)
    summed = np.add.reduceat(np.add.reduceat(np.asarray(a, np.float64), rows, 0), cols, 1)
    counts = np.outer(np.diff(np.append(rows, a.shape[0])), np.diff(np.append(cols, a.shape[1])))
    return summed / counts


def block_extreme(a: np.ndarray, step: int) -> np.ndarray:
    """Per step × step block, the value with the largest magnitude (sign kept)."""
    a = np.asarray(a, dtype=np.float64)
    if step == 1:
        return a
    rows = np.arange(0, a.shape[0], step)
    cols = np.arange(0, a.shape[1], step)
    filled = np.nan_to_num(a, nan=0.0)
    high = np.maximum.reduceat(np.maximum.reduceat(filled, rows, 0), cols, 1)
    low = np.minimum.reduceat(np.minimum.reduceat(filled, rows, 0), cols, 1)
    return np.where(np.abs(high) >= np.abs(low), high, low)


def finite_abs_max(*arrays: np.ndarray) -> float:
    values = [np.abs(a[np.isfinite(a)]) for a in arrays]
    values = [v for v in values if v.size]
    top = max((float(v.max()) for v in values), default=0.0)
    return top


def finite_abs_quantile(q: float, *arrays: np.ndarray) -> float:
    """The q-quantile of |values| over all finite values (0 when there are none)."""
    values = np.concatenate([np.abs(a[np.isfinite(a)]).ravel() for a in arrays])
    return float(np.quantile(values, q)) if values.size else 0.0


def finite_range(*arrays: np.ndarray) -> tuple[float, float]:
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [f for f in finite if f.size]
    if not finite:
        return 0.0, 1.0
    low = min(float(f.min()) for f in finite)
    high = max(float(f.max()) for f in finite)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    return low, high
