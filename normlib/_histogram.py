"""Shared-bin histograms of a tensor before and after normalization.

Pure NumPy: counts and edges only, so a front end ships a few hundred
numbers to the browser instead of every raw value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from normlib._errors import NormError


@dataclass(frozen=True, eq=False)
class Histograms:
    """Counts of `before` and `after` on one shared set of bin edges.

    Attributes
    ----------
    edges : ndarray, shape (bins + 1,)
        Shared by every histogram here, so bars can be compared directly.
    before, after : ndarray of int64, shape (bins,)
        Counts over the whole tensor.
    group_labels : ndarray or None
        The group value (channel index, set id) of each row below; for
        non-negative labels the rows are simply 0 .. max label.
    before_by_group, after_by_group : ndarray of int64, shape (groups, bins), or None
    """

    edges: np.ndarray
    before: np.ndarray
    after: np.ndarray
    group_labels: np.ndarray | None = None
    before_by_group: np.ndarray | None = None
    after_by_group: np.ndarray | None = None

    @property
    def centers(self) -> np.ndarray:
        """Bin centres, for bar charts."""
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    @property
    def width(self) -> float:
        """Bin width (all bins are equal)."""
        return float(self.edges[1] - self.edges[0])


def _bin_index(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    scale = bins / (high - low)
    scaled = np.subtract(values, low, dtype=np.result_type(values.dtype, np.float32))
    scaled *= scale
    index = scaled.astype(np.int32)
    # The maximum lands exactly on the last edge: count it in the last bin.
    np.clip(index, 0, bins - 1, out=index)
    return index


def _kept(values: np.ndarray, low: float, high: float, all_inside: bool) -> Any:
    """Which values to count: all of them (no mask) when every value is finite and in range."""
    if all_inside:
        return Ellipsis  # index[...] is the whole array, without a copy
    return np.isfinite(values) & (values >= low) & (values <= high)


def histograms(
    before: Any,
    after: Any,
    *,
    bins: int = 60,
    by: str | np.ndarray | None = None,
    value_range: tuple[float, float] | None = None,
) -> Histograms:
    """Histogram `before` and `after` on shared, equal-width bins.

    Parameters
    ----------
    before, after : array_like
        Same shape, usually (N, C, H, W) input and output.
    bins : int
        Number of bins (1 to 10_000).
    by : None, "channel" or integer array
        Also count per group: per channel (axis 1 of a 4-D tensor), or per
        label of an integer array of the same shape (e.g. ``set_ids``).
    value_range : (low, high), optional
        Bin range; defaults to the joint min and max of both arrays.

    Returns
    -------
    Histograms

    Examples
    --------
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> h = histograms(x, x - 4, bins=4)
    >>> h.edges.tolist(), h.before.tolist(), h.after.tolist()
    ([-4.0, -1.25, 1.5, 4.25, 7.0], [0, 2, 3, 3], [3, 3, 2, 0])
    """
    before = np.asarray(before)
    after = np.asarray(after)
    _check_arguments(before, after, bins)
    # One finiteness pass per array; a mask (and the copies it costs at 2^24
    # values) only where some value is non-finite or outside an explicit range.
    all_finite_b = bool(np.isfinite(before).all())
    all_finite_a = bool(np.isfinite(after).all())
    low, high = _shared_range(before, after, all_finite_b, all_finite_a, value_range)
    edges = np.linspace(low, high, bins + 1)

    index_before = _bin_index(before, low, high, bins)
    index_after = _bin_index(after, low, high, bins)
    # Values outside an explicit range or non-finite ones are not counted.
    keep_before = _kept(before, low, high, all_finite_b and value_range is None)
    keep_after = _kept(after, low, high, all_finite_a and value_range is None)
    counts_before = np.bincount(index_before[keep_before].ravel(), minlength=bins)
    counts_after = np.bincount(index_after[keep_after].ravel(), minlength=bins)
    if by is None:
        return Histograms(edges, counts_before, counts_after)
    group_labels, inverse = _group_rows(by, before.shape)
    by_before = _counts_by_group(inverse, index_before, keep_before, group_labels.size, bins)
    by_after = _counts_by_group(inverse, index_after, keep_after, group_labels.size, bins)
    return Histograms(edges, counts_before, counts_after, group_labels, by_before, by_after)


def _check_arguments(before: np.ndarray, after: np.ndarray, bins: Any) -> None:
    """Raise NormError unless `before` and `after` match in shape and `bins` is 1 to 10_000."""
    if before.shape != after.shape:
        raise NormError(
            f"before and after must have the same shape, got {before.shape} and {after.shape}"
        )
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 10_000:
        raise NormError(f"bins must be a whole number from 1 to 10000, got {bins!r}")


def _shared_range(
    before: np.ndarray,
    after: np.ndarray,
    all_finite_b: bool,
    all_finite_a: bool,
    value_range: tuple[float, float] | None,
) -> tuple[float, float]:
    """(low, high) of the shared bins: `value_range`, else the joint finite min and max.

    Constant data (high not above low) gets a unit-wide window around the value.
    """
    if value_range is None:
        finite_b = before if all_finite_b else before[np.isfinite(before)]
        finite_a = after if all_finite_a else after[np.isfinite(after)]
        values = [v for v in (finite_b, finite_a) if v.size]
        if not values:
            low, high = 0.0, 1.0
        else:
            low = float(min(v.min() for v in values))
            high = float(max(v.max() for v in values))
    else:
        low, high = (float(v) for v in value_range)
    if not high > low:
        # Constant data: one unit-wide window around the value.
        low, high = low - 0.5, low + 0.5
    return low, high


def _group_rows(by: str | np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(group labels, each value's row among them) for `by`, "channel" or an integer array."""
    if isinstance(by, str):
        if by != "channel" or len(shape) != 4:
            raise NormError(
                f"by must be None, 'channel' (for a 4-D tensor) or an integer label array, "
                f"got {by!r}"
            )
        labels = np.broadcast_to(np.arange(shape[1], dtype=np.intp).reshape(1, -1, 1, 1), shape)
    else:
        labels = np.asarray(by)
        if labels.shape != shape or labels.dtype.kind not in "iu":
            raise NormError(
                f"by must be an integer array of shape {shape}, got {labels.dtype} {labels.shape}"
            )
    if labels.size and labels.min() >= 0 and labels.max() < 10_000_000:
        # Small non-negative labels (channels, set ids) index rows directly: no sort needed.
        inverse = labels.astype(np.intp, copy=False)
        group_labels = np.arange(int(labels.max()) + 1)
    else:
        group_labels, inverse = np.unique(labels, return_inverse=True)
        inverse = inverse.reshape(labels.shape)
    return group_labels, inverse


def _counts_by_group(
    inverse: np.ndarray, index: np.ndarray, keep: Any, n_groups: int, bins: int
) -> np.ndarray:
    """(n_groups, bins) counts: one bincount over row · bins + bin of the kept values."""
    return np.bincount(
        (inverse[keep] * bins + index[keep]).ravel(), minlength=n_groups * bins
    ).reshape(n_groups, bins)
