"""Row and set sums accurate in float32: what normalize's mean and variance are made of.

A plain float32 sum over millions of values drifts by many roundings of the mean; these sums
are split into pieces summed in float32 by BLAS (fast) and added in float64 (accurate), so the
statistics stay near one rounding whatever the set size. Rows are processed in cache-sized
chunks, so each pass over a chunk finds it still in cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Rows of this many bytes are normalized together, so that the passes after
# the first (subtract, square-sum, scale) find the rows still in cache.
CHUNK_BYTES = 1 << 21

# A float32 sum run sequentially over m values of size |mean| is off by up to
# about m * 2**-24 * |mean|: on 2**24 values near 1000 that is several units,
# and even on a few thousand values it is several roundings of the mean.
# So a set shorter than _SHORT_SET is summed in float64. A longer one of m
# values is cut into contiguous pieces of about _PIECES_PER_ROOT * sqrt(m)
# values, summed in float32 by one BLAS matrix-vector product (the fastest
# sum NumPy has) and added in float64: a piece's rounding grows like its
# length L and averages down over the m / L pieces, so L ~ sqrt(m) keeps the
# mean's error near one rounding for every m (measured: under ~1 ulp of the
# mean up to 2**24 values), while the pieces stay long enough for BLAS speed.
# Squares are taken after centering (all of one sign, of size var): a float32
# dot product keeps their relative error near 1e-6 up to _SQUARES_SET values;
# longer sets are summed in pieces of about _SQUARES_PIECE, added in float64.
_SHORT_SET = 8192
_PIECES_PER_ROOT = 10
_SQUARES_SET = 1 << 15
_SQUARES_PIECE = 1 << 13


def _piece_length(m: int, target: int) -> int:
    """Length of the pieces a sum over m elements is split into: a divisor of m if one is near."""
    if m <= target:
        return m
    for length in range(target, target // 2, -1):
        if m % length == 0:
            return length
    return target


class RowSums:
    """float64 sums and sums of squares of the rows of (rows, m) blocks, accurate for float32.

    Set up once per normalization, so that each block costs few NumPy calls.
    """

    def __init__(self, m: int, dtype: np.dtype[Any]) -> None:
        self.m = m
        if m < _SHORT_SET:
            self.ones = np.ones(m)
        else:
            self.length = _piece_length(m, int(_PIECES_PER_ROOT * np.sqrt(m)))
            self.cut = (m // self.length) * self.length
            self.ones = np.ones(self.length, dtype)
        self.piece = _piece_length(m, _SQUARES_PIECE) if m > _SQUARES_SET else m
        self.pieces = m // self.piece

    def sums(self, block: np.ndarray) -> np.ndarray:
        if self.m < _SHORT_SET:
            # A BLAS matrix-vector product with ones sums rows about 3x faster than add.reduce.
            return np.matmul(block.astype(np.float64, copy=False), self.ones)
        n_rows, n_pieces = block.shape[0], self.cut // self.length
        head: np.ndarray = block[:, : self.cut].reshape(n_rows, n_pieces, self.length)
        if self.cut == self.m:
            head = head.reshape(n_rows * n_pieces, self.length)  # one BLAS call per block
        piece_sums = np.matmul(head, self.ones).reshape(n_rows, n_pieces)
        totals = np.add.reduce(piece_sums, axis=-1, dtype=np.float64)
        if self.cut < self.m:
            totals += np.add.reduce(block[:, self.cut :], axis=-1, dtype=np.float64)
        return totals

    def squares(self, block: np.ndarray) -> np.ndarray:
        if self.pieces == 1:
            return np.vecdot(block, block).astype(np.float64, copy=False)
        cut = self.pieces * self.piece
        head = block[:, :cut].reshape(block.shape[0], self.pieces, self.piece)
        totals = np.add.reduce(np.vecdot(head, head), axis=-1, dtype=np.float64)
        if cut < self.m:
            tail = block[:, cut:].astype(np.float64)
            totals += np.vecdot(tail, tail)
        return totals


def _last_axis_sums(a: np.ndarray, squares: bool) -> np.ndarray:
    """float64 sums (or sums of squares) of `a` over its last axis, that axis dropped."""
    rows = a.reshape(-1, a.shape[-1])  # a view for the C-contiguous arrays used here
    n_rows, m = rows.shape
    summer = RowSums(m, rows.dtype)
    add = summer.squares if squares else summer.sums
    # Row chunks bound the float64 copies and keep each chunk in cache.
    step = max(1, CHUNK_BYTES // (m * rows.itemsize))
    totals = np.empty(n_rows, np.float64)
    for start in range(0, n_rows, step):
        totals[start : start + step] = add(rows[start : start + step])
    return totals.reshape(a.shape[:-1])


def set_sums(a: np.ndarray, axes: tuple[int, ...], squares: bool) -> np.ndarray:
    """float64 sums (or sums of squares) over `axes` keeping dims, accurate for float32 input."""
    if not axes:
        return (a * a if squares else a).astype(np.float64)
    last = a.ndim - 1
    if last in axes:
        partial = _last_axis_sums(a, squares)[..., None]
        rest = tuple(ax for ax in axes if ax != last)
        return np.add.reduce(partial, axis=rest, keepdims=True) if rest else partial
    # The contiguous axis is kept: accumulate straight into float64 (buffered, no full copy).
    if not squares:
        return np.add.reduce(a, axis=axes, keepdims=True, dtype=np.float64)
    letters = "abcdefgh"[: a.ndim]
    kept = "".join(letter for i, letter in enumerate(letters) if i not in axes)
    total = np.einsum(f"{letters},{letters}->{kept}", a, a, dtype=np.float64)
    return total.reshape(tuple(1 if i in axes else size for i, size in enumerate(a.shape)))
