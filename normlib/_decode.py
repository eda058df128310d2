"""decode_rgb: one image file's bytes to an RGB picture in [0, 1], or an InputError saying why not.

Pillow signals a bad file in many ways (exceptions of a dozen types, a warning for a
decompression bomb, a process-wide flag that hides truncation, EXIF that fails to apply);
this module turns each into one message naming the file, and every Pillow colour mode and bit
depth into the same float32 (h, w, 3) array.
"""

from __future__ import annotations

import io
import re
import threading
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from normlib._errors import InputError

__all__ = ["ACCEPTED_FORMATS", "MAX_PIXELS", "decode_rgb"]

#: Largest image (width * height, as declared in the file header) that is decoded.
#: 40 megapixels covers any phone camera; larger declared sizes are refused before
#: decoding, because a small file can declare a huge canvas (a decompression bomb).
MAX_PIXELS = 40_000_000

# What the messages about an unreadable file suggest choosing instead.
ACCEPTED_FORMATS = "a PNG, JPEG, GIF, WebP, BMP or TIFF file"

# ImageFile.LOAD_TRUNCATED_IMAGES is process-wide. If some other code switched it on,
# we switch it off for the duration of our own .load() (under a lock, restored after),
# so a truncated file raises instead of silently coming back half grey.
_TRUNCATION_FLAG_LOCK = threading.Lock()

# Pillow's own bomb message: "Image size (400000000 pixels) exceeds limit of ..."
_PILLOW_PIXEL_COUNT = re.compile(r"\((\d+) pixels\)")

# Modes Pillow stores as one integer or float number per pixel, scaled by hand below.
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


def _bomb_error(name: str, pixels: int | None) -> InputError:
    declared = f"declares {pixels:,} pixels, which is" if pixels else "is"
    return InputError(
        f"{name} {declared} more than the {MAX_PIXELS:,}-pixel limit (it may be a "
        "decompression bomb: a small file that expands to a huge image); it was not "
        "decoded. Resize it to at most 40 megapixels and try again"
    )


def _looks_like_text(data: bytes) -> bool:
    head = data[:512]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_rgb(data: bytes, name: str, draft_size: int) -> np.ndarray:
    """Decode one file's bytes to a float32 (h, w, 3) RGB array in [0, 1]."""
    if len(data) == 0:
        raise InputError(f"{name} is empty (0 bytes); choose {ACCEPTED_FORMATS}")
    with warnings.catch_warnings():
        # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; make it an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                # Image.open has read only the header: refuse a huge canvas before decoding.
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _bomb_error(name, width * height)
                if width == 0 or height == 0:
                    raise InputError(f"{name} declares an empty {width}x{height} image")
                if image.format == "JPEG":
                    # Let libjpeg decode big photos at 1/2, 1/4 or 1/8 scale; the result
                    # still has both sides >= draft_size, enough for the resize below.
                    image.draft(None, (draft_size, draft_size))
                _load_without_truncation(image)
                upright = _apply_exif_orientation(image)
                return _to_rgb_float(upright, name)
        except InputError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            match = _PILLOW_PIXEL_COUNT.search(str(exc))
            raise _bomb_error(name, int(match.group(1)) if match else None) from None
        except UnidentifiedImageError:
            kind = "a text file" if _looks_like_text(data) else "not in a known image format"
            raise InputError(
                f"{name} is not an image Pillow can read (its contents look like {kind}; "
                f"a renamed file is not converted); choose {ACCEPTED_FORMATS}"
            ) from None
        except Exception as exc:
            # Damaged files make Pillow raise OSError, SyntaxError, EOFError, struct.error,
            # zlib.error, IndexError, ... depending on the format and where the damage is;
            # all of them mean the same thing to the user.
            reason = str(exc) or type(exc).__name__
            problem = "is truncated" if "truncated" in reason.lower() else "is damaged"
            raise InputError(
                f"{name} {problem} and could not be decoded ({reason}); "
                "re-download or re-export the file and try again"
            ) from None


def _load_without_truncation(image: Image.Image) -> None:
    """Decode pixel data, raising on truncated files whatever the global Pillow flag says."""
    if not ImageFile.LOAD_TRUNCATED_IMAGES:
        image.load()
        return
    with _TRUNCATION_FLAG_LOCK:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _apply_exif_orientation(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # Broken EXIF metadata should not make an otherwise readable picture unreadable:
        # show it as stored.
        return image


def _to_rgb_float(image: Image.Image, name: str) -> np.ndarray:
    """Convert a decoded image of any Pillow mode to float32 (h, w, 3) RGB in [0, 1]."""
    mode = image.mode
    if mode in _SIXTEEN_BIT_MODES:
        grey = np.asarray(image).astype(np.float32) / 65535.0
        return _grey_to_rgb(grey)
    if mode == "I":
        return _grey_to_rgb(_scale_int32(np.asarray(image)))
    if mode == "F":
        return _grey_to_rgb(_scale_float(np.asarray(image)))
    try:
        # "a" is the premultiplied alpha of La/RGBa; convert("RGBA") un-premultiplies it.
        has_alpha = bool({"A", "a"} & set(image.getbands())) or image.has_transparency_data
        rgb_image = image.convert("RGBA" if has_alpha else "RGB")
    except (ValueError, OSError) as exc:
        raise InputError(
            f"{name} uses the colour mode {mode!r}, which cannot be converted to RGB ({exc}); "
            "save it as an ordinary RGB PNG or JPEG"
        ) from None
    pixels = np.asarray(rgb_image, dtype=np.float32) / 255.0
    if not has_alpha:
        return pixels
    rgb, alpha = pixels[..., :3], pixels[..., 3:]
    # Composite over white: a fully transparent pixel reads as white, as in a viewer.
    return rgb * alpha + (1.0 - alpha)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    grey = np.clip(grey.astype(np.float32), 0.0, 1.0)
    return np.repeat(grey[..., None], 3, axis=-1)


def _min_max(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high == low:
        # A constant image: keep its value if it is a valid intensity, else mid-grey.
        fill = low if 0.0 <= low <= 1.0 else 0.5
        return np.full(values.shape, fill, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def _scale_int32(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 65535:
        return values / high if high > 0 else values
    return _min_max(values)


def _scale_float(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.float32)
    if not finite.all():
        # NaN -> the smallest finite value, +/-inf -> the largest/smallest finite value.
        low, high = values[finite].min(), values[finite].max()
        values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    if values.min() >= 0.0 and values.max() <= 1.0:
        return values
    return _min_max(values)
