"""Load user images into a float32 (N, 3, H, W) batch the normalization code can use.

Every path, upload or byte string is read here to bytes and goes through one decoder
(`decode_rgb` in _decode.py) that either returns a clean RGB picture in [0, 1] or raises
`InputError` naming the source, the reason and what to do instead; here it is then resized and
cropped to the batch's size. Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from normlib._decode import ACCEPTED_FORMATS, MAX_PIXELS, decode_rgb
from normlib._errors import InputError
from normlib.typing import FloatArray, ImageSize

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "image_digest", "load_images"]

#: Largest file read from a path, in bytes (a safety net against reading e.g. a video).
MAX_FILE_BYTES = 100 * 1024 * 1024


def image_digest(data: bytes | bytearray | memoryview) -> str:
    """Return a short content hash of image bytes, for use as a cache key.

    Parameters
    ----------
    data : bytes
        The raw file contents (bytes, bytearray or memoryview).

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of `data`.

    Examples
    --------
    >>> image_digest(b"")
    'e3b0c44298fc1c14'
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(
            f"image_digest needs the file's bytes, got {type(data).__name__}; "
            "pass e.g. uploaded_file.getvalue()"
        )
    return hashlib.sha256(data).hexdigest()[:16]


def load_images(sources: Sequence[Any], size: ImageSize = (64, 64)) -> FloatArray:
    """Decode images into one float32 batch of shape (N, 3, H, W) with values in [0, 1].

    Parameters
    ----------
    sources : sequence
        One item per image, each one of: a path (``str`` or ``os.PathLike``); the file's
        ``bytes``/``bytearray``; a binary file object (anything with ``.read()``, e.g. Streamlit's
        ``UploadedFile``, whose ``.getvalue()`` is used when present); or a ``(name, bytes)`` pair
        when the caller wants to give the bytes a display name. Errors name each source by its
        path, its ``.name`` attribute, its pair name, or its position ("item 3 (bytes)", from 1).
    size : tuple of two ints
        Output (height, width) in pixels.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (len(sources), 3, H, W), values in [0, 1], RGB order.

    Raises
    ------
    InputError
        If `sources` is empty or not a list of sources, `size` is not two positive ints, or any
        source cannot be read (missing, empty, not an image, truncated or damaged, or larger than
        `MAX_PIXELS`). The message names the source.

    Notes
    -----
    How each image is made into an RGB picture of exactly (H, W):

    - **Orientation**: the EXIF orientation tag is applied, so a phone photo is the right way
      up. An animated GIF, WebP or APNG gives its first frame.
    - **Colour modes**: every Pillow mode becomes RGB. Greyscale (1, L, I;16, I, F) is copied to
      all three channels; P, CMYK and YCbCr are converted by Pillow.
    - **Transparency** (RGBA, LA, PA, P or L with a transparent colour) is composited over
      **white**, so a transparent pixel reads as (1, 1, 1).
    - **Bit depth**: 8-bit data is divided by 255. 16-bit (I;16 family) is divided by 65535.
      32-bit integer (I) data within 0..65535 is divided by its own maximum (all zeros stay 0);
      other ranges are min-max scaled. Float (F) data already within [0, 1] is kept as is; other
      ranges are min-max scaled (NaN/inf are treated as the nearest finite value). So a deep
      image never silently saturates to all white, as a plain 8-bit conversion would.
    - **Size**: the image is resized (Lanczos) so that its *shorter* side fits the target,
      keeping the aspect ratio, then center-cropped to exactly (H, W). No distortion and no
      padding: the edges of the longer side are cut off.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGBA", (40, 30), (255, 0, 0, 255)).save(buffer, "PNG")
    >>> batch = load_images([("red.png", buffer.getvalue())], size=(16, 16))
    >>> batch.shape, batch.dtype, float(batch[0, 0].min()), float(batch[0, 1].max())
    ((1, 3, 16, 16), dtype('float32'), 1.0, 0.0)
    """
    height, width = _validate_size(size)
    items = _validate_sources(sources)
    pictures = [_picture(item, position, height, width) for position, item in enumerate(items, 1)]
    return np.ascontiguousarray(np.stack(pictures).transpose(0, 3, 1, 2), dtype=np.float32)


# ----------------------------------------------------------------------------------------
# argument checks


def _validate_size(size: Any) -> ImageSize:
    """Return `size` as (height, width) or raise InputError saying how to write it."""
    hint = "give the output size as two positive integers (height, width), e.g. (64, 64)"
    try:
        height, width = size
    except (TypeError, ValueError):
        raise InputError(f"size={size!r} is not two numbers; {hint}") from None
    for value in (height, width):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise InputError(f"size={size!r} contains {value!r}, not an integer; {hint}")
        if value <= 0:
            raise InputError(f"size={size!r} contains {value}, which is not positive; {hint}")
    if int(height) * int(width) > MAX_PIXELS:
        raise InputError(
            f"size={size!r} asks for {int(height) * int(width):,} pixels per image, more than "
            f"the limit of {MAX_PIXELS:,}; choose a smaller output size"
        )
    return int(height), int(width)


def _is_named_pair(item: Any) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], (bytes, bytearray, memoryview))
    )


def _validate_sources(sources: Any) -> list[Any]:
    """Return `sources` as a list, refusing a lone source passed where a list is expected."""
    # A lone path or bytes is itself iterable (characters, ints), which would give
    # baffling per-character errors; say plainly what was meant instead.
    lone = (str, bytes, bytearray, memoryview, os.PathLike)
    if isinstance(sources, lone) or hasattr(sources, "read") or _is_named_pair(sources):
        raise InputError(
            "load_images expects a list of sources, got a single "
            f"{type(sources).__name__}; wrap it in a list, e.g. load_images([source])"
        )
    try:
        items = list(sources)
    except TypeError:
        raise InputError(
            f"load_images expects a list of sources, got {type(sources).__name__}"
        ) from None
    if not items:
        raise InputError(f"no images were given; choose at least one {ACCEPTED_FORMATS[2:]}")
    return items


# ----------------------------------------------------------------------------------------
# reading bytes from each kind of source


def _read_source(source: Any, position: int) -> tuple[str, bytes]:
    """Return (display name, file bytes) for one source, or raise InputError."""
    if _is_named_pair(source):
        return source[0], bytes(source[1])
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"item {position} (bytes)", bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return _read_path(source)
    if hasattr(source, "read"):
        return _read_file_object(source, position)
    raise InputError(
        f"item {position} is a {type(source).__name__}, which is not an image source; "
        "pass a file path, the file's bytes, an opened binary file or a (name, bytes) pair"
    )


def _read_path(source: str | os.PathLike[str]) -> tuple[str, bytes]:
    name = os.fspath(source)
    path = Path(name)
    try:
        if path.is_dir():
            raise InputError(f"{name} is a folder, not a file; choose an image file inside it")
        file_size = path.stat().st_size
        if file_size > MAX_FILE_BYTES:
            raise InputError(
                f"{name} is {file_size / 2**20:.0f} MB, larger than the "
                f"{MAX_FILE_BYTES // 2**20} MB limit; choose a smaller image"
            )
        return name, path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name} does not exist; check the path and file name") from None
    except PermissionError:
        raise InputError(f"{name} cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{name} cannot be read ({exc.strerror or exc})") from None


def _read_file_object(source: Any, position: int) -> tuple[str, bytes]:
    raw_name = getattr(source, "name", None)
    name = os.fspath(raw_name) if isinstance(raw_name, (str, os.PathLike)) else ""
    name = name or f"item {position} (file object)"
    try:
        # Streamlit's UploadedFile.getvalue() returns the whole upload even after an
        # earlier read() on a previous rerun; plain files only have read().
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
    except (OSError, ValueError) as exc:
        raise InputError(f"{name} cannot be read ({exc})") from None
    if isinstance(data, str):
        raise InputError(f"{name} was opened in text mode; open it in binary mode ('rb')")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"{name}: reading it gave {type(data).__name__}, not bytes")
    return name, bytes(data)


def _picture(source: Any, position: int, height: int, width: int) -> np.ndarray:
    """One source as a float32 (height, width, 3) RGB picture: read, decode, resize and crop."""
    name, data = _read_source(source, position)
    # JPEG can decode at a fraction of its size; the larger side of the target still fits.
    rgb = decode_rgb(data, name, draft_size=max(height, width))
    return _resize_and_center_crop(rgb, height, width)


# ----------------------------------------------------------------------------------------
# geometry


def _resize_and_center_crop(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize so the shorter side fits, center-crop to (height, width), in one Lanczos pass."""
    source_height, source_width = rgb.shape[:2]
    # The scale that makes the image cover the target in both directions.
    scale = max(height / source_height, width / source_width)
    crop_width, crop_height = width / scale, height / scale
    left = (source_width - crop_width) / 2.0
    top = (source_height - crop_height) / 2.0
    box = (left, top, left + crop_width, top + crop_height)
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(rgb[..., k], dtype=np.float32)).resize(
                (width, height), Image.Resampling.LANCZOS, box=box
            )
        )
        for k in range(3)
    ]
    # Lanczos overshoots slightly at sharp edges; keep the documented [0, 1] range.
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)
