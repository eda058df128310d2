"""Turn the sidebar's choices into a tensor: samples, uploads, random, feature maps.

Pure functions (NumPy and normlib only) so tests reach them without a
server; the Streamlit module caches them by the parameters that made the
data, never by the big arrays themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import normlib
from normlib import FEATURE_NAMES, feature_maps, random_tensor, sample_images, sample_names
from normlib.typing import Shape4

RGB_LABELS = ("red", "green", "blue")

#: The bundled sample pictures (made by assets/make_samples.py); normlib is told where they are.
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "samples"


@dataclass(frozen=True, eq=False)
class LoadedInput:
    """A tensor ready to normalize, with names for its samples and channels.

    Attributes
    ----------
    x : ndarray, float32, shape (N, C, H, W)
    key : tuple
        Hashable description of what made `x` (source, seed, shape, file
        digests); downstream caches key on it instead of hashing `x`.
    sample_labels, channel_labels : tuple of str
    title : str
        One line for the page, e.g. "8 sample images, 32×32 RGB".
    """

    x: np.ndarray
    key: tuple
    sample_labels: tuple[str, ...]
    channel_labels: tuple[str, ...]
    title: str

    @property
    def shape(self) -> Shape4:
        return tuple(self.x.shape)


def _variants(images: np.ndarray, names: Sequence[str], n: int) -> tuple[np.ndarray, list[str]]:
    """Repeat a small image set up to `n` with flips and quarter turns, named honestly."""
    count = len(images)
    if n <= count:
        return images[:n], list(names[:n])
    transforms = [
        ("", lambda im: im),
        ("mirrored", lambda im: im[:, :, ::-1]),
        ("upside down", lambda im: im[:, ::-1, :]),
        ("rotated", lambda im: np.rot90(im, 2, axes=(1, 2))),
        ("transposed", lambda im: np.swapaxes(im, 1, 2)),
        ("transposed, mirrored", lambda im: np.swapaxes(im, 1, 2)[:, :, ::-1]),
        ("transposed, upside down", lambda im: np.swapaxes(im, 1, 2)[:, ::-1, :]),
    ]
    out, labels = [], []
    for i in range(n):
        suffix, transform = transforms[(i // count) % len(transforms)]
        out.append(np.ascontiguousarray(transform(images[i % count])))
        labels.append(f"{names[i % count]} ({suffix})" if suffix else names[i % count])
    return np.stack(out), labels


def load_samples(n: int, size: int) -> LoadedInput:
    """`n` bundled sample images at size × size (flipped/rotated copies past the bundle)."""
    images = sample_images(SAMPLES_DIR, size=(size, size))
    x, labels = _variants(images, sample_names(SAMPLES_DIR), n)
    return LoadedInput(
        x=x.astype(np.float32, copy=False),
        key=("samples", n, size),
        sample_labels=tuple(labels),
        channel_labels=RGB_LABELS,
        title=f"{n} sample image{'s' if n != 1 else ''}, {size}×{size} RGB",
    )


def load_random(
    shape: Shape4,
    seed: int,
    distribution: str,
    channel_offset: float,
    channel_scale: float,
    sample_offset: float,
    sample_scale: float = 0.0,
) -> LoadedInput:
    """A seeded random tensor whose channels (and samples) differ visibly."""
    x = random_tensor(
        shape,
        seed=seed,
        distribution=distribution,
        channel_offset=channel_offset,
        channel_scale=channel_scale,
        sample_offset=sample_offset,
        sample_scale=sample_scale,
    )
    n, c, h, w = shape
    return LoadedInput(
        x=np.asarray(x, dtype=np.float32),
        key=(
            "random",
            shape,
            seed,
            distribution,
            channel_offset,
            channel_scale,
            sample_offset,
            sample_scale,
        ),
        sample_labels=tuple(f"sample {i}" for i in range(n)),
        channel_labels=tuple(f"channel {i}" for i in range(c)),
        title=f"random {distribution} tensor {n}×{c}×{h}×{w}, seed {seed}",
    )


def load_features(images: LoadedInput) -> LoadedInput:
    """CNN-like feature maps of an image batch through normlib's fixed filter bank."""
    maps = feature_maps(images.x)
    n, c, h, w = maps.shape
    return LoadedInput(
        x=np.asarray(maps, dtype=np.float32),
        key=("features",) + images.key,
        sample_labels=images.sample_labels,
        channel_labels=tuple(FEATURE_NAMES[:c]),
        title=f"{c} feature maps of {n} image{'s' if n != 1 else ''}, {h}×{w}",
    )


@dataclass(frozen=True)
class UploadOutcome:
    """One uploaded file: its image (3, H, W) or the reason it could not be read."""

    name: str
    digest: str
    image: np.ndarray | None
    error: str | None


def decode_upload(name: str, data: bytes, size: int) -> UploadOutcome:
    """Decode one uploaded file; a bad file becomes an error message, never an exception."""
    digest = normlib.image_digest(data)
    try:
        image = normlib.load_images([(name, data)], size=(size, size))[0]
    except normlib.InputError as error:
        return UploadOutcome(name, digest, None, str(error))
    return UploadOutcome(name, digest, image, None)


def uploads_input(outcomes: Sequence[UploadOutcome], size: int) -> LoadedInput | None:
    """The readable uploads as one batch (None when none could be read)."""
    good = [o for o in outcomes if o.image is not None]
    images = [o.image for o in outcomes if o.image is not None]
    if not good:
        return None
    x = np.stack(images).astype(np.float32, copy=False)
    return LoadedInput(
        x=x,
        key=("uploads", size) + tuple(o.digest for o in good),
        sample_labels=tuple(o.name for o in good),
        channel_labels=RGB_LABELS,
        title=f"{len(good)} uploaded image{'s' if len(good) != 1 else ''}, {size}×{size} RGB",
    )
