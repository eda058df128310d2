"""feature_maps: a fixed bank of convolution filters turning RGB images into feature maps.

Like the first layer of a CNN: 8 small filters (colour opponents, edges, a blur) whose outputs
have very different means and spreads per channel, which is what makes per-channel
normalization visible on real pictures. Only NumPy is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from normlib._errors import NormError
from normlib.typing import FloatArray

__all__ = ["FEATURE_NAMES", "feature_maps"]

#: Channel names of `feature_maps` output, in channel order.
FEATURE_NAMES: tuple[str, ...] = (
    "luminance",
    "red-green",
    "blue-yellow",
    "sobel x",
    "sobel y",
    "laplacian",
    "gaussian blur",
    "diagonal edge",
)

# Correlation kernels (kernel[dy, dx] multiplies the pixel at offset (dy, dx) from the
# centre). Sobel and diagonal kernels are divided by 8 so a ramp of slope 1 per pixel
# gives a response of 1; positive sobel x = brighter to the right, sobel y = brighter
# downward, diagonal edge = brighter toward the bottom-right.
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32) / 8.0
_SOBEL_Y = _SOBEL_X.T.copy()
_LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)
_DIAGONAL = np.array([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]], dtype=np.float32) / 8.0
_BINOMIAL_5 = np.array([1, 4, 6, 4, 1], dtype=np.float32) / 16.0
# ITU-R BT.601 luma weights, the same as Pillow's RGB -> L conversion.
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_PAD = 2  # enough border for the largest (5x5) kernel


def feature_maps(images: npt.ArrayLike, *, relu: bool = False) -> FloatArray:
    """Run a fixed bank of 8 small convolution filters over an RGB image batch.

    Parameters
    ----------
    images : numpy.ndarray
        Real, finite array of shape (N, 3, H, W), RGB (e.g. from `load_images`).
        Any H, W >= 1 works.
    relu : bool
        If True, apply ReLU (``max(x, 0)``) to every map, as after a conv layer.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (N, 8, H, W); channel k is `FEATURE_NAMES[k]`:

        0. luminance: BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` (a 1x1 filter);
        1. red-green: ``R - G`` colour opponent (1x1);
        2. blue-yellow: ``B - (R + G) / 2`` colour opponent (1x1);
        3. sobel x: 3x3 horizontal gradient of luminance (/8: slope per pixel);
        4. sobel y: 3x3 vertical gradient of luminance (/8);
        5. laplacian: 3x3 four-neighbour Laplacian of luminance (~0 on flat areas);
        6. gaussian blur: 5x5 binomial blur of luminance;
        7. diagonal edge: 3x3 diagonal gradient of luminance (/8).

    The spatial filters are cross-correlations (as in CNN layers) over luminance
    padded by reflection at the borders, so H and W are unchanged. The channels have
    very different means and spreads (luminance ~0.5, edges centred near 0), which
    is what makes per-channel normalization visible.

    Raises
    ------
    NormError
        If `images` is not a real, finite (N, 3, H, W) array.

    Examples
    --------
    >>> maps = feature_maps(np.full((2, 3, 5, 5), 0.5, dtype=np.float32))
    >>> maps.shape, float(abs(maps[:, 3]).max())
    ((2, 8, 5, 5), 0.0)
    """
    batch = _validate_images(images)
    red, green, blue = batch[:, 0], batch[:, 1], batch[:, 2]
    luminance = np.tensordot(_LUMA_WEIGHTS, batch, axes=([0], [1]))
    # Reflect keeps edges from showing up as fake gradients at the border; NumPy's
    # reflect also copes with H or W of 1 or 2 (it falls back to repeating the edge).
    padded = np.pad(luminance, ((0, 0), (_PAD, _PAD), (_PAD, _PAD)), mode="reflect")

    maps = np.empty((batch.shape[0], len(FEATURE_NAMES), *batch.shape[2:]), dtype=np.float32)
    maps[:, 0] = luminance
    maps[:, 1] = red - green
    maps[:, 2] = blue - 0.5 * (red + green)
    maps[:, 3] = _correlate(padded, _SOBEL_X)
    maps[:, 4] = _correlate(padded, _SOBEL_Y)
    maps[:, 5] = _correlate(padded, _LAPLACIAN)
    maps[:, 6] = _gaussian_blur(padded)
    maps[:, 7] = _correlate(padded, _DIAGONAL)
    if relu:
        np.maximum(maps, 0.0, out=maps)
    return maps


def _validate_images(images: Any) -> FloatArray:
    hint = "pass an RGB batch of shape (N, 3, H, W), e.g. from load_images"
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise NormError(f"images has dtype {array.dtype}, not real numbers; {hint}")
    if array.ndim != 4 or array.shape[1] != 3 or 0 in array.shape:
        raise NormError(f"images has shape {array.shape}; {hint}")
    batch = array.astype(np.float32, copy=False)
    if not np.isfinite(batch).all():
        raise NormError("images contains NaN or infinite values; all pixels must be finite")
    return batch


def _correlate(padded: FloatArray, kernel: FloatArray) -> FloatArray:
    """Cross-correlate each (H+4, W+4) padded map with a small kernel, keeping (H, W)."""
    height = padded.shape[1] - 2 * _PAD
    width = padded.shape[2] - 2 * _PAD
    radius = kernel.shape[0] // 2
    result = np.zeros((padded.shape[0], height, width), dtype=np.float32)
    # A sum of shifted views: one multiply-add per non-zero tap, no (N, H, W, k, k)
    # sliding-window temporary, so 64 images of 256x256 stay fast and small.
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            weight = kernel[dy + radius, dx + radius]
            if weight != 0.0:
                top, left = _PAD + dy, _PAD + dx
                result += weight * padded[:, top : top + height, left : left + width]
    return result


def _gaussian_blur(padded: FloatArray) -> FloatArray:
    """5x5 binomial blur done as two 1-D passes (10 taps instead of 25)."""
    height = padded.shape[1] - 2 * _PAD
    width = padded.shape[2] - 2 * _PAD
    rows = np.zeros((padded.shape[0], padded.shape[1], width), dtype=np.float32)
    for k, weight in enumerate(_BINOMIAL_5):
        rows += weight * padded[:, :, k : k + width]
    blurred = np.zeros((padded.shape[0], height, width), dtype=np.float32)
    for k, weight in enumerate(_BINOMIAL_5):
        blurred += weight * rows[:, k : k + height, :]
    return blurred
