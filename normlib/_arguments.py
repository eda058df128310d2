"""Checks of what a caller passes to normalize, normalize_backward and BatchNorm2d.

Each check turns one argument into the form the computation uses (a C-contiguous float array,
a float eps, gamma/beta broadcastable to the input) or raises NormError saying what to pass
instead, so that the computations never see a bad value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from normlib._errors import NormError
from normlib.typing import Shape4


def real_tensor(x: Any) -> tuple[np.ndarray, np.dtype[Any]]:
    """Validate `x`; return (C-contiguous working array, output dtype)."""
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise NormError(
            f"x could not be read as an array ({error}); pass a 4-D NumPy array"
        ) from None
    if array.ndim != 4:
        raise NormError(
            f"x must be 4-D (N, C, H, W), got {array.ndim}-D shape {array.shape}; "
            "for one (C, H, W) map use x[None], for a (N, C) batch use x[:, :, None, None]"
        )
    if array.size == 0:
        raise NormError(
            f"x has a dimension of size 0 (shape {array.shape}); every one of N, C, H, W "
            "must be at least 1"
        )
    kind = array.dtype.kind
    if kind == "c":
        raise NormError(
            f"x is complex ({array.dtype}); normalization is defined for real tensors: "
            "pass x.real, x.imag or np.abs(x)"
        )
    if kind in "biu":
        return np.ascontiguousarray(array, dtype=np.float64), np.dtype(np.float64)
    if kind != "f":
        raise NormError(
            f"x has dtype {array.dtype}, which is not a number; pass a float or integer array"
        )
    if array.dtype == np.float16:
        # float16 sums overflow at 65504; compute in float32, hand back float16.
        return np.ascontiguousarray(array, dtype=np.float32), array.dtype
    if array.dtype not in (np.float32, np.float64):
        return np.ascontiguousarray(array, dtype=np.float64), array.dtype
    return np.ascontiguousarray(array), array.dtype


# Defaults differ by framework and method (nn.RMSNorm: the dtype's machine
# epsilon, ProGAN's PixelNorm 1e-8, Keras' BatchNormalization 1e-3), so the
# hint names only normalize's own default and whose default it is.
_EPS_HINT = (
    "normalize's default 1e-5 is PyTorch's for BatchNorm2d, LayerNorm, InstanceNorm2d "
    "and GroupNorm; other methods and frameworks have their own"
)


def checked_eps(eps: Any) -> float:
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise NormError(f"eps must be a number, got {eps!r}; {_EPS_HINT}") from None
    if not np.isfinite(value) or value < 0:
        raise NormError(f"eps must be a finite number >= 0, got {eps!r}; {_EPS_HINT}")
    return value


def affine_param(param: Any, name: str, shape: Shape4, dtype: np.dtype[Any]) -> np.ndarray | None:
    """Return gamma/beta as an array broadcastable to `shape`, or None."""
    if param is None:
        return None
    try:
        array = np.asarray(param, dtype=dtype)
    except (TypeError, ValueError):
        raise NormError(f"{name} must be a real array, got {type(param).__name__}") from None
    if not np.all(np.isfinite(array)):
        raise NormError(f"{name} contains NaN or Inf; pass finite values")
    n, c, h, w = shape
    # A 1-D array of length C is per channel (as BatchNorm2d's weight),
    # even when it would also broadcast along W.
    if array.ndim == 1 and array.shape[0] == c:
        return array.reshape(1, c, 1, 1)
    try:
        if np.broadcast_shapes(array.shape, shape) == shape:
            return array
    except ValueError:
        pass
    raise NormError(
        f"{name} has shape {array.shape}, which fits neither per channel ({c},) nor the "
        f"tensor shape {shape}; use shape ({c},) as in BatchNorm2d/GroupNorm, or ({c}, {h}, {w}) "
        "per element as in LayerNorm"
    )


def param_shape(param: Any, name: str) -> tuple[int, ...] | None:
    if param is None:
        return None
    try:
        return np.shape(param)
    except (TypeError, ValueError):
        raise NormError(f"{name} must be a real array, got {type(param).__name__}") from None


def checked_grad_output(
    grad_output: Any,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    output: str = "the output y = normalize(x, ...).output",
) -> np.ndarray:
    """grad_output as an array of `dtype`, checked: `shape` (that of `output`), finite."""
    try:
        grad = np.asarray(grad_output, dtype=dtype)
    except (TypeError, ValueError):
        raise NormError(
            f"grad_output must be a real array of x's shape {shape}, "
            f"got {type(grad_output).__name__}; pass dL/dy for {output}"
        ) from None
    if grad.shape != shape:
        raise NormError(
            f"grad_output has shape {grad.shape} but x has shape {shape}; pass dL/dy for "
            f"{output}, which has x's shape"
        )
    finite = np.isfinite(grad)
    if not finite.all():
        n_nan = int(np.isnan(grad).sum())
        n_inf = grad.size - int(finite.sum()) - n_nan
        raise NormError(
            f"grad_output contains {n_nan} NaN and {n_inf} Inf; a gradient needs finite "
            "values: find where the loss produced them (np.isfinite(grad_output) shows "
            "where), or replace them, e.g. np.nan_to_num(grad_output)"
        )
    return grad
