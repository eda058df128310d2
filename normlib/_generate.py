"""Make (N, C, H, W) tensors whose normalization is easy to *see*.

Two sources of tensors for the explorer (the third, `feature_maps`, is in _features.py):

- `random_tensor`: seeded noise with chosen per-channel and per-sample offsets and
  scales, so channels visibly differ before BatchNorm and visibly agree after it.
- `sample_images`: the PNG pictures of a folder the caller names.

Only NumPy and Pillow are used.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from normlib._errors import InputError, NormError
from normlib._images import load_images
from normlib.typing import FloatArray, ImageSize, PathLike, Shape, Shape4

__all__ = [
    "DISTRIBUTIONS",
    "MAX_TENSOR_ELEMENTS",
    "random_tensor",
    "sample_images",
    "sample_names",
]

#: Names accepted by ``random_tensor(distribution=...)``.
DISTRIBUTIONS: tuple[str, ...] = ("normal", "uniform", "laplace", "lognormal", "bimodal")

#: Largest tensor `random_tensor` builds (elements), so a slider typo cannot exhaust memory.
MAX_TENSOR_ELEMENTS = 50_000_000

# How the app's checkout makes its sample folder; named in the error for a missing folder.
_MAKE_SAMPLES_COMMAND = "python assets/make_samples.py"

# Lognormal shape: sigma 0.6 gives a clearly right-skewed histogram (skewness ~2).
_LOGNORMAL_SIGMA = 0.6
# Bimodal: two normal bumps at +/- 0.9 with sd sqrt(1 - 0.81) ~ 0.44; total variance 1
# and the gap between the bumps (~4 sd) is plainly visible in a histogram.
_BIMODAL_CENTER = 0.9


# ----------------------------------------------------------------------------------------
# random tensors


def random_tensor(
    shape: Sequence[int] = (8, 3, 32, 32),
    *,
    seed: int = 0,
    distribution: str = "normal",
    channel_offset: float = 0.0,
    channel_scale: float = 0.0,
    sample_offset: float = 0.0,
    sample_scale: float = 0.0,
    dtype: DTypeLike = np.float32,
) -> FloatArray:
    """Draw a seeded (N, C, H, W) tensor with controllable per-channel and per-sample statistics.

    Each element is ``sample_gain[n] * scale[c] * Z[n, c, h, w] + offset[c] + sample_shift[n]``,
    with ``Z`` noise of mean 0 and variance 1 from `distribution`. The channel means `offset`
    spread evenly over ``[-channel_offset, +channel_offset]``, the channel standard deviations
    `scale` log-evenly over ``[exp(-channel_scale), exp(+channel_scale)]``, the sample means
    `sample_shift` evenly over ``[-sample_offset, +sample_offset]`` and the sample contrasts
    `sample_gain` log-evenly over ``[exp(-sample_scale), exp(+sample_scale)]`` (an axis of
    length 1 gets no spread).

    With all spreads 0 every channel looks alike; raising `channel_offset` and `channel_scale`
    gives channels visibly different statistics, which BatchNorm2d (statistics per channel)
    equalizes; `sample_offset` gives samples different means, which LayerNorm or InstanceNorm
    removes and BatchNorm keeps. ``Z`` depends only on `seed`, `shape` and `distribution`, so
    moving a spread slider changes the offsets and scales but not the noise.

    Parameters
    ----------
    shape : sequence of 4 ints
        (N, C, H, W), each positive.
    seed : int
        Non-negative seed for ``numpy.random.default_rng``.
    distribution : str
        One of `DISTRIBUTIONS`: "normal"; "uniform" (flat on +/- sqrt 3); "laplace" (heavy
        tails); "lognormal" (right-skewed, standardized to mean 0, variance 1); "bimodal" (two
        bumps at +/- 0.9).
    channel_offset, channel_scale, sample_offset, sample_scale : float
        Finite, non-negative spreads as described above.
    dtype : numpy floating dtype
        Output dtype (float32 by default, like CNN activations).

    Raises
    ------
    NormError
        On a bad shape, seed, distribution, spread or dtype, or if the values overflow `dtype`.

    Examples
    --------
    >>> t = random_tensor((16, 3, 8, 8), channel_offset=2.0)
    >>> bool(np.allclose(t.mean(axis=(0, 2, 3)), [-2.0, 0.0, 2.0], atol=0.1))
    True
    """
    shape4 = _validate_shape(shape)
    _validate_seed(seed)
    _validate_distribution(distribution)
    spreads = _validate_spreads(channel_offset, channel_scale, sample_offset, sample_scale)
    out_dtype = _validate_float_dtype(dtype)
    noise = _standard_noise(np.random.default_rng(seed), distribution, shape4)
    return _spread_noise(noise, spreads, out_dtype)


def _spread_noise(noise: FloatArray, spreads: dict[str, Any], dtype: np.dtype[Any]) -> FloatArray:
    """Give standard noise Z its per-channel and per-sample offsets and scales, in `dtype`.

    With ``t_c = linspace(-1, 1, C)`` and ``s_n = linspace(-1, 1, N)`` (both 0 when the axis
    has length 1): ``offset[c] = channel_offset * t_c``, ``scale[c] = exp(channel_scale * t_c)``,
    ``sample_shift[n] = sample_offset * s_n`` and ``sample_gain[n] = exp(sample_scale * s_n)``.
    """
    n, c = noise.shape[:2]
    channel_position = np.linspace(-1.0, 1.0, c) if c > 1 else np.zeros(1)
    sample_position = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.exp(float(spreads["channel_scale"]) * channel_position)
        gain = np.exp(float(spreads["sample_scale"]) * sample_position)
        tensor = (
            noise * scale[None, :, None, None] * gain[:, None, None, None]
            + (float(spreads["channel_offset"]) * channel_position)[None, :, None, None]
            + (float(spreads["sample_offset"]) * sample_position)[:, None, None, None]
        ).astype(dtype)
        finite = bool(np.isfinite(tensor).all())
    if not finite:
        raise NormError(
            f"the spreads {spreads} make values too large for {dtype.name}; "
            "use smaller channel_scale or offsets"
        )
    return tensor


def _validate_shape(shape: Any) -> Shape4:
    hint = "give the shape as four positive integers (N, C, H, W), e.g. (8, 3, 32, 32)"
    try:
        dims = tuple(shape)
    except TypeError:
        raise NormError(f"shape={shape!r} is not a sequence; {hint}") from None
    if len(dims) != 4:
        raise NormError(f"shape={shape!r} has {len(dims)} entries, not 4; {hint}")
    for dim in dims:
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise NormError(f"shape={shape!r} contains {dim!r}, not an integer; {hint}")
        if dim <= 0:
            raise NormError(f"shape={shape!r} contains {dim}, which is not positive; {hint}")
    n, c, h, w = (int(d) for d in dims)
    if n * c * h * w > MAX_TENSOR_ELEMENTS:
        raise NormError(
            f"shape={shape!r} has {n * c * h * w:,} elements, more than the limit of "
            f"{MAX_TENSOR_ELEMENTS:,}; choose a smaller batch or spatial size"
        )
    return n, c, h, w


def _validate_seed(seed: Any) -> None:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise NormError(f"seed={seed!r} must be a non-negative integer, e.g. seed=0")


def _validate_distribution(distribution: Any) -> None:
    if distribution not in DISTRIBUTIONS:
        raise NormError(
            f"unknown distribution {distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}"
        )


def _validate_spreads(
    channel_offset: Any, channel_scale: Any, sample_offset: Any, sample_scale: Any
) -> dict[str, Any]:
    """Check each spread in turn; return them by name, as given, for the overflow message."""
    spreads = {
        "channel_offset": channel_offset,
        "channel_scale": channel_scale,
        "sample_offset": sample_offset,
        "sample_scale": sample_scale,
    }
    for label, spread in spreads.items():
        _validate_spread(label, spread)
    return spreads


def _validate_spread(label: str, spread: Any) -> None:
    if isinstance(spread, (bool, np.bool_)) or not isinstance(spread, numbers.Real):
        raise NormError(f"{label}={spread!r} must be a number, e.g. {label}=1.0")
    if not math.isfinite(float(spread)) or spread < 0:
        raise NormError(f"{label}={spread!r} must be finite and >= 0 (0 means no spread)")


def _validate_float_dtype(dtype: Any) -> np.dtype[Any]:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise NormError(f"dtype={dtype!r} is not a NumPy dtype; use np.float32") from None
    if resolved.kind != "f":
        raise NormError(f"dtype={dtype!r} is not a floating dtype; use np.float32 or np.float64")
    return resolved


def _standard_noise(rng: np.random.Generator, distribution: str, shape: Shape) -> FloatArray:
    """Noise of mean 0 and variance 1 (exactly, in expectation) from `distribution`."""
    if distribution == "normal":
        return rng.standard_normal(shape)
    if distribution == "uniform":
        half_width = math.sqrt(3.0)  # variance of U(-a, a) is a^2 / 3
        return rng.uniform(-half_width, half_width, shape)
    if distribution == "laplace":
        return rng.laplace(0.0, 1.0 / math.sqrt(2.0), shape)  # variance 2 b^2
    if distribution == "lognormal":
        sigma2 = _LOGNORMAL_SIGMA**2
        mean = math.exp(sigma2 / 2.0)
        std = math.sqrt((math.exp(sigma2) - 1.0) * math.exp(sigma2))
        return (rng.lognormal(0.0, _LOGNORMAL_SIGMA, shape) - mean) / std
    # bimodal
    bump_sd = math.sqrt(1.0 - _BIMODAL_CENTER**2)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return sign * _BIMODAL_CENTER + bump_sd * rng.standard_normal(shape)


# ----------------------------------------------------------------------------------------
# sample images from a folder


def _sample_paths(directory: PathLike) -> list[Path]:
    folder = Path(directory)
    if not folder.is_dir():
        problem = "does not exist" if not folder.exists() else "is not a folder"
    else:
        paths = sorted(folder.glob("*.png"))
        if paths:
            return paths
        problem = "holds no .png files"
    raise InputError(
        f"no sample images: {str(folder)!r} {problem}; pass a folder of PNG files "
        f"(the Normalization Explorer's checkout makes its own with "
        f"`{_MAKE_SAMPLES_COMMAND}` from the project folder)"
    )


def sample_names(directory: PathLike) -> tuple[str, ...]:
    """List the sample images in a folder by name (file name without .png), sorted.

    Parameters
    ----------
    directory : str or os.PathLike
        A folder of PNG files (only ``*.png`` directly inside it is read).

    Returns
    -------
    tuple of str
        E.g. ``("checkerboard", "clouds", ...)``, in the order `sample_images` uses.

    Raises
    ------
    InputError
        If `directory` is missing, not a folder, or holds no PNG files; the message
        names the folder.
    """
    return tuple(path.stem for path in _sample_paths(directory))


def sample_images(
    directory: PathLike,
    size: ImageSize = (32, 32),
    n: int | None = None,
    *,
    names: Sequence[str] | None = None,
) -> FloatArray:
    """Load the PNG pictures of a folder as a float32 (N, 3, H, W) batch in [0, 1].

    Parameters
    ----------
    directory : str or os.PathLike
        A folder of PNG files, taken in sorted name order (see `sample_names`).
    size : tuple of two ints
        Output (height, width); see `load_images` for the resize-then-crop rule.
    n : int or None
        Take only the first `n` images in sorted name order; None takes all.
    names : sequence of str or None
        Take these images, in this order, instead (names from `sample_names`).

    Returns
    -------
    numpy.ndarray
        float32 array of shape (N, 3, H, W).

    Raises
    ------
    InputError
        If `directory` is missing or holds no PNG files, `n` is not a positive int no
        larger than the number of images, or a name in `names` is unknown.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name, colour in [("red", (255, 0, 0)), ("blue", (0, 0, 255))]:
    ...         Image.new("RGB", (40, 20), colour).save(f"{folder}/{name}.png")
    ...     batch = sample_images(folder, (16, 16))
    ...     names = sample_names(folder)
    >>> batch.shape, names, batch[:, 2].mean(axis=(1, 2)).tolist()
    ((2, 3, 16, 16), ('blue', 'red'), [1.0, 0.0])
    """
    paths = _sample_paths(directory)
    if names is not None:
        paths = _paths_named(paths, names)
    if n is not None:
        paths = _first_n(paths, n)
    return load_images(paths, size=size)


def _paths_named(paths: list[Path], names: Sequence[str] | str) -> list[Path]:
    """The sample files called `names`, in that order; a lone name is one name, not letters."""
    by_name = {path.stem: path for path in paths}
    if isinstance(names, str):
        names = [names]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise InputError(
            f"unknown sample image(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(by_name)}"
        )
    return [by_name[name] for name in names]


def _first_n(paths: list[Path], n: Any) -> list[Path]:
    """The first `n` of `paths`, refusing an `n` that is not a count of them."""
    valid = isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))
    if not valid or not 1 <= n <= len(paths):
        raise InputError(f"n={n!r} must be an integer from 1 to {len(paths)} (or None)")
    return paths[: int(n)]
