"""normalize and set_ids: the numbers every page of the app shows.

Semantics follow PyTorch exactly: the biased variance (divide by the set
size m) and ``(x - mean) / sqrt(var + eps) * gamma + beta``.

Implementation note: the tensor is normalized through the merged view of
_layout.py, so that NumPy reduces over as few, as long and as contiguous axes
as possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from normlib._arguments import affine_param, checked_eps, real_tensor
from normlib._errors import NormError
from normlib._layout import Layout, grouped_stat_shape, layout_of
from normlib._spec import NormSpec, SpecLike, as_spec
from normlib._sums import CHUNK_BYTES, RowSums, set_sums
from normlib.typing import GroupedShape, Shape, Shape4


@dataclass(frozen=True, eq=False)
class NormResult:
    """The output and statistics of one normalization.

    Attributes
    ----------
    output : ndarray
        Same shape as the input; same dtype for float input, float64 for
        integer input.
    mean, var : ndarray
        Per-set mean and biased variance (divided by `count`). With
        ``center=False`` the mean is zero and `var` is the mean square.
        When ``spec.groups == 1`` they have the input's rank with size 1 on
        the reduced axes, so they broadcast against the input. When
        ``groups > 1`` they broadcast against the grouped view
        ``x.reshape(grouped_shape)``, i.e. (N, G, C/G, H, W).
    count : int
        Elements per reduction set.
    n_sets : int
        Number of reduction sets; ``n_sets * count == x.size``.
    spec : NormSpec
    eps : float
    shape : tuple of int
        The input shape (N, C, H, W).
    grouped_shape : tuple of int
        (N, G, C/G, H, W), the view `mean` and `var` refer to when grouped.
    """

    output: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    count: int
    n_sets: int
    spec: NormSpec
    eps: float
    shape: Shape4
    grouped_shape: GroupedShape

    @property
    def set_mean(self) -> np.ndarray:
        """Per-set means as a 1-D array indexed by set id (see :func:`set_ids`)."""
        return self.mean.reshape(-1)

    @property
    def set_var(self) -> np.ndarray:
        """Per-set (biased) variances as a 1-D array indexed by set id."""
        return self.var.reshape(-1)

    def expand(self, stat: np.ndarray) -> np.ndarray:
        """Broadcast a per-set statistic (`mean`, `var`, ...) to the full input shape."""
        stat5 = np.asarray(stat).reshape(grouped_stat_shape(self.grouped_shape, self.spec))
        return np.broadcast_to(stat5, self.grouped_shape).reshape(self.shape)


def _constant_suspects(var: np.ndarray, mean: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """Sets whose variance is within rounding of zero: perhaps constant, to be checked exactly.

    The mean of a constant set is rounded (m * c is not exact in float), so its
    computed variance is a tiny (c - mean)^2 instead of 0 and, with a small eps,
    its output would be noise of either sign instead of 0.
    """
    tolerance = 64 * np.finfo(dtype).eps
    return var <= (tolerance * np.abs(mean)) ** 2


def _non_finite_error(x: np.ndarray) -> NormError:
    n_nan = int(np.isnan(x).sum())
    n_inf = int(np.isinf(x).sum())
    if n_nan or n_inf:
        parts = []
        if n_nan:
            parts.append(f"{n_nan} NaN")
        if n_inf:
            parts.append(f"{n_inf} Inf")
        return NormError(
            f"x contains non-finite values ({' and '.join(parts)}); normalization needs finite "
            "numbers: replace them first, e.g. np.nan_to_num(x) or x[np.isfinite(x)]"
        )
    largest = float(np.abs(x).max())
    if x.dtype == np.float32:
        return NormError(
            f"the statistics overflowed float32 (largest |x| = {largest:.3g}); "
            "cast to float64 first: x.astype(np.float64)"
        )
    return NormError(
        f"the statistics overflowed {x.dtype} (largest |x| = {largest:.3g}): squares of such "
        "values exceed the largest float; divide x by a constant first (for example by "
        "np.abs(x).max()), which changes the output only through eps"
    )


def _normalize_rows(
    view: np.ndarray, count: int, center: bool, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalize each row of a view whose last axis is the only reduced one."""
    rows = view.reshape(-1, view.shape[-1])
    out = np.empty_like(rows)
    mean = np.zeros((rows.shape[0], 1), rows.dtype)
    var = np.empty((rows.shape[0], 1), rows.dtype)
    scale = np.empty((rows.shape[0], 1), rows.dtype)
    step = max(1, CHUNK_BYTES // (rows.shape[1] * rows.itemsize))
    summer = RowSums(rows.shape[1], rows.dtype)
    # The statistics are written in place (out=) so that each block costs as few
    # small NumPy calls as possible: their overhead is ~10% of a GroupNorm here.
    for start in range(0, rows.shape[0], step):
        stop = start + step
        block, out_block = rows[start:stop], out[start:stop]
        block_mean, block_var, block_scale = mean[start:stop], var[start:stop], scale[start:stop]
        if center:
            np.divide(summer.sums(block), count, out=block_mean[:, 0])
            np.subtract(block, block_mean, out=out_block)
            np.divide(summer.squares(out_block), count, out=block_var[:, 0])
        else:
            np.divide(summer.squares(block), count, out=block_var[:, 0])
            np.copyto(out_block, block)
        np.add(block_var, eps, out=block_scale)
        np.sqrt(block_scale, out=block_scale)
        np.reciprocal(block_scale, out=block_scale)
        out_block *= block_scale
    if center:
        suspects = np.flatnonzero(_constant_suspects(var, mean, rows.dtype))
        if suspects.size:
            candidates = rows[suspects]
            constant = suspects[(candidates == candidates[:, :1]).all(axis=1)]
            mean[constant, 0] = rows[constant, 0]
            var[constant] = 0
            out[constant] = 0
    stat_shape = view.shape[:-1] + (1,)
    return out.reshape(view.shape), mean.reshape(stat_shape), var.reshape(stat_shape)


def _normalize_strided(
    view: np.ndarray, reduced: tuple[int, ...], count: int, center: bool, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalize over any reduced axes of the merged view (two-pass mean and variance)."""
    if center:
        mean = (set_sums(view, reduced, squares=False) / count).astype(view.dtype)
        out = np.subtract(view, mean)
        var = (set_sums(out, reduced, squares=True) / count).astype(view.dtype)
        suspect = _constant_suspects(var, mean, view.dtype)
        if suspect.any():
            # Each set's first element; a set equal to it everywhere is constant.
            first = view[
                tuple(slice(0, 1) if ax in reduced else slice(None) for ax in range(view.ndim))
            ]
            is_constant = (view == first).all(axis=reduced, keepdims=True) & suspect
            mean = np.where(is_constant, first, mean)
            var[is_constant] = 0
            out[np.broadcast_to(is_constant, out.shape)] = 0
    else:
        var = (set_sums(view, reduced, squares=True) / count).astype(view.dtype)
        out = view.copy()
        mean = np.zeros_like(var)
    out *= (1.0 / np.sqrt(var + eps)).astype(out.dtype, copy=False)
    return out, mean, var


def normalize(
    x: Any,
    spec: SpecLike,
    *,
    eps: float = 1e-5,
    gamma: Any = None,
    beta: Any = None,
) -> NormResult:
    """Normalize a 4-D (N, C, H, W) tensor over the axes of `spec`.

    Parameters
    ----------
    x : array_like
        A real 4-D array. Integer input is converted to float64; float16 is computed in float32
        and returned as float16. NaN, Inf, complex values and empty dimensions are refused.
    spec : NormSpec or str
        A NormSpec, a key of :data:`METHODS` (``"batchnorm"``) or an axes string (``"NHW"``).
    eps : float
        Added to the variance (to the mean square when not centering) before the square root.
        The default 1e-5 is PyTorch's for BatchNorm2d, LayerNorm, InstanceNorm2d and GroupNorm;
        other methods default to other values (nn.RMSNorm: the dtype's machine epsilon).
    gamma, beta : array_like, optional
        Scale and shift: per channel, shape (C,), or broadcastable to `x`
        (per element, as LayerNorm's (C, H, W)).

    Returns
    -------
    NormResult
        ``output = (x - mean) / sqrt(var + eps) * gamma + beta`` with the
        per-set mean and biased variance.

    Notes
    -----
    Sums are accurate in float32 too (float64 or short float32 partial sums added in float64),
    so the error stays near PyTorch's own float32 error even on 2**24-element sets whose mean is
    far from 0. A constant set has variance exactly 0 and output exactly 0 (+ beta), and so has
    a set of one element (InstanceNorm with H·W = 1, BatchNorm with N·H·W = 1, ...), which is
    computed, not refused: PyTorch refuses these shapes in training (F.instance_norm,
    F.batch_norm) because such statistics carry no information; normalize computes them so
    that any shape can be explored, and ``identify(spec, shape)`` says so.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(8, 3, 32, 32))
    >>> r = normalize(x, "batchnorm")
    >>> r.n_sets, r.count, r.mean.shape
    (3, 8192, (1, 3, 1, 1))
    """
    spec = as_spec(spec)
    work, out_dtype = real_tensor(x)
    eps = checked_eps(eps)
    layout = layout_of(work.shape, spec)
    gamma_b = affine_param(gamma, "gamma", layout.shape, work.dtype)
    beta_b = affine_param(beta, "beta", layout.shape, work.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out, mean, var = _normalize_sets(work, layout, spec.center, eps)
        _scale_and_shift(out, gamma_b, beta_b)
    if out.dtype != out_dtype:
        out = out.astype(out_dtype)
    return _result(out, mean, var, layout, spec, eps)


def _normalize_sets(
    work: np.ndarray, layout: Layout, center: bool, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalize every reduction set of `work`: output (input's shape), mean and var (merged view).

    A view whose only reduced axis is the last one (InstanceNorm, LayerNorm, GroupNorm) is
    normalized row by row in cache-sized chunks; any other goes through whole-array reductions.
    """
    view = work.reshape(layout.merged_shape)
    if layout.merged_reduced == (len(layout.merged_shape) - 1,):
        out, mean, var = _normalize_rows(view, layout.count, center, eps)
    else:
        out, mean, var = _normalize_strided(view, layout.merged_reduced, layout.count, center, eps)
    # A non-finite variance means a non-finite input or an overflowed sum of squares; either
    # way the output would be silent NaN, so say which it was.
    if not np.isfinite(var).all():
        raise _non_finite_error(work)
    return out.reshape(layout.shape), mean, var


def _scale_and_shift(out: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None) -> None:
    """Apply the affine step ``out * gamma + beta`` in place (either may be absent)."""
    if gamma is not None:
        out *= gamma
    if beta is not None:
        out += beta


def _result(
    out: np.ndarray, mean: np.ndarray, var: np.ndarray, layout: Layout, spec: NormSpec, eps: float
) -> NormResult:
    """Package the output with its statistics, reshaped to broadcast against the input."""
    # Without groups the group axis G is 1 and dropped, so mean and var broadcast against x
    # itself; with groups they keep it and broadcast against the grouped view.
    stat_shape = layout.stat_shape5 if spec.groups > 1 else _drop_group_axis(layout.stat_shape5)
    return NormResult(
        output=out,
        mean=mean.reshape(stat_shape),
        var=var.reshape(stat_shape),
        count=layout.count,
        n_sets=layout.n_sets,
        spec=spec,
        eps=eps,
        shape=layout.shape,
        grouped_shape=layout.grouped_shape,
    )


def _drop_group_axis(stat_shape5: Shape) -> Shape4:
    n, _, c, h, w = stat_shape5
    return (n, c, h, w)


def set_ids(shape: Shape, spec: SpecLike) -> np.ndarray:
    """Each element's reduction-set id, numbered 0 to n_sets - 1.

    Elements with the same id share one mean and variance. Ids count the
    kept coordinates in C order: for BatchNorm2d (NHW) the id is the channel
    c; for GroupNorm(G) it is ``n * G + c // (C/G)``.

    Parameters
    ----------
    shape : tuple of int
        (N, C, H, W).
    spec : NormSpec or str

    Returns
    -------
    ndarray of int32 (int64 past 2**31 sets), shape `shape`.

    Examples
    --------
    >>> set_ids((2, 3, 1, 2), "NHW")[0, :, 0, 0]
    array([0, 1, 2], dtype=int32)
    """
    spec = as_spec(spec)
    layout = layout_of(tuple(shape), spec)
    dtype = np.int32 if layout.n_sets < 2**31 else np.int64
    ids = np.arange(layout.n_sets, dtype=dtype).reshape(layout.stat_shape5)
    return np.broadcast_to(ids, layout.grouped_shape).reshape(layout.shape)
