"""Tests for normlib._images: every colour mode, orientation, resizing and bad files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from normlib._errors import InputError
from normlib._images import MAX_PIXELS, image_digest, load_images

WHITE = (1.0, 1.0, 1.0)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    """Save `image` to bytes and check the decoder will see the same mode."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as reopened:
        # Guard: the test must exercise the mode it claims to.
        assert reopened.mode == image.mode, (reopened.mode, image.mode)
    return data


def load_one(data: bytes, size: tuple[int, int] = (4, 4)) -> np.ndarray:
    """Decode one image and return its (H, W, 3) float array."""
    batch = load_images([("test image", data)], size=size)
    assert batch.shape == (1, 3, *size)
    assert batch.dtype == np.float32
    assert batch.min() >= 0.0 and batch.max() <= 1.0
    return batch[0].transpose(1, 2, 0)


def assert_colour(pixels: np.ndarray, rgb: tuple[float, float, float], atol: float = 0.01):
    np.testing.assert_allclose(pixels, np.broadcast_to(rgb, pixels.shape), atol=atol)


def noise_image(width: int = 64, height: int = 48, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


# ----------------------------------------------------------------------------------------
# colour modes


@pytest.mark.parametrize(
    ("mode", "value", "fmt", "expected"),
    [
        ("1", 1, "PNG", WHITE),
        ("1", 0, "PNG", (0.0, 0.0, 0.0)),
        ("L", 51, "PNG", (0.2, 0.2, 0.2)),
        ("LA", (51, 255), "PNG", (0.2, 0.2, 0.2)),
        ("LA", (0, 0), "PNG", WHITE),  # fully transparent black -> white
        ("PA", (0, 0), "TIFF", WHITE),
        ("RGB", (255, 0, 0), "PNG", (1.0, 0.0, 0.0)),
        ("RGBA", (255, 0, 0, 255), "PNG", (1.0, 0.0, 0.0)),
        ("RGBA", (0, 0, 255, 0), "PNG", WHITE),
        ("RGBA", (255, 0, 0, 128), "PNG", (1.0, 127 / 255, 127 / 255)),  # half over white
        ("CMYK", (255, 0, 0, 0), "TIFF", (0.0, 1.0, 1.0)),  # pure cyan
        ("CMYK", (0, 0, 0, 255), "TIFF", (0.0, 0.0, 0.0)),  # pure black ink
        ("YCbCr", (255, 128, 128), "TIFF", WHITE),
        ("I;16", 65535, "PNG", WHITE),
        ("I;16", 32768, "PNG", (32768 / 65535,) * 3),
        ("I;16B", 65535, "TIFF", WHITE),
        ("F", 0.25, "TIFF", (0.25, 0.25, 0.25)),
    ],
)
def test_mode_round_trips_to_rgb(mode, value, fmt, expected):
    pixels = load_one(encode(Image.new(mode, (6, 6), value), fmt))
    assert_colour(pixels, expected)


def test_palette_image_without_transparency_keeps_colours():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (0, 0, 8, 4))  # top half blue, bottom half red
    pixels = load_one(encode(image), size=(8, 8))
    assert_colour(pixels[:3], (0.0, 0.0, 1.0))
    assert_colour(pixels[-3:], (1.0, 0.0, 0.0))


def test_palette_image_with_transparent_index_becomes_white():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 0, 0, 0, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 8, 4))  # top half uses index 1, declared transparent
    pixels = load_one(encode(image, transparency=1), size=(8, 8))
    assert_colour(pixels[:3], WHITE)
    assert_colour(pixels[-3:], (1.0, 0.0, 0.0))


def test_grey_png_with_transparent_value_becomes_white():
    image = Image.new("L", (8, 8), 0)
    image.paste(200, (0, 4, 8, 8))
    pixels = load_one(encode(image, transparency=0), size=(8, 8))
    assert_colour(pixels[:3], WHITE)
    assert_colour(pixels[-3:], (200 / 255,) * 3)


def test_int32_image_in_16_bit_range_is_divided_by_its_maximum():
    values = np.zeros((4, 8), dtype=np.int32)
    values[:, 4:] = 1000
    pixels = load_one(encode(Image.fromarray(values), "TIFF"), size=(4, 8))
    # A plain 8-bit conversion would clip 1000 to 255 (white) -- here it is the maximum.
    assert_colour(pixels[:, :3], (0.0, 0.0, 0.0))
    assert_colour(pixels[:, 5:], WHITE)


def test_int32_image_outside_16_bit_range_is_min_max_scaled():
    values = np.array([[-100_000, 0, 100_000, 300_000]], dtype=np.int32).repeat(4, axis=0)
    pixels = load_one(encode(Image.fromarray(values), "TIFF"), size=(4, 4))
    np.testing.assert_allclose(pixels[0, :, 0], [0.0, 0.25, 0.5, 1.0], atol=0.02)


def test_float_image_outside_unit_range_is_min_max_scaled_not_saturated():
    values = np.array([[0.0, 50.0, 100.0, 200.0]], dtype=np.float32).repeat(4, axis=0)
    pixels = load_one(encode(Image.fromarray(values), "TIFF"), size=(4, 4))
    np.testing.assert_allclose(pixels[0, :, 1], [0.0, 0.25, 0.5, 1.0], atol=0.02)


def test_float_image_with_nan_is_finite():
    values = np.full((4, 4), 0.5, dtype=np.float32)
    values[0, 0] = np.nan
    pixels = load_one(encode(Image.fromarray(values), "TIFF"), size=(4, 4))
    assert np.isfinite(pixels).all()
    assert_colour(pixels[2:, 2:], (0.5, 0.5, 0.5))


# ----------------------------------------------------------------------------------------
# orientation, animation, geometry


def test_exif_orientation_6_is_applied():
    # Stored landscape 60x30 with a red top-left corner. Orientation 6 means "rotate
    # 90 degrees clockwise to display", so it shows as portrait 30x60, red top-right.
    stored = Image.new("RGB", (60, 30), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 15, 15))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "JPEG", exif=exif, quality=95)
    pixels = load_one(data, size=(60, 30))
    top_right = pixels[2:12, -12:-2].mean(axis=(0, 1))
    top_left = pixels[2:12, 2:12].mean(axis=(0, 1))
    assert top_right[0] > 0.8 and top_right[2] < 0.2  # red
    assert top_left[2] > 0.8 and top_left[0] < 0.2  # blue


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    with Image.open(io.BytesIO(buffer.getvalue())) as check:
        assert check.n_frames == 2
    assert_colour(load_one(buffer.getvalue()), (1.0, 0.0, 0.0), atol=0.02)


@pytest.mark.parametrize("source_size", [(30, 90), (90, 30), (1, 1), (7, 3), (64, 64)])
@pytest.mark.parametrize("target", [(16, 24), (24, 16), (5, 5)])
def test_any_input_size_gives_exact_output_size(source_size, target):
    data = encode(noise_image(*source_size))
    assert load_images([data], size=target).shape == (1, 3, *target)


def test_resize_then_center_crop_keeps_the_middle_without_squashing():
    # Wide image: red | green | blue thirds. A square crop of the middle is all green.
    wide = Image.new("RGB", (300, 100), (0, 255, 0))
    wide.paste((255, 0, 0), (0, 0, 100, 100))
    wide.paste((0, 0, 255), (200, 0, 300, 100))
    pixels = load_one(encode(wide), size=(20, 20))
    # Squashing would put red in the left third; only the edge columns may pick up a
    # little red/blue, through the Lanczos kernel's reach beyond the crop box.
    assert_colour(pixels[:, 2:-2], (0.0, 1.0, 0.0), atol=0.02)
    assert pixels[:, :2, 0].max() < 0.1 and pixels[:, -2:, 2].max() < 0.1


def test_tall_image_is_cropped_top_and_bottom():
    tall = Image.new("RGB", (50, 150), (0, 255, 0))
    tall.paste((255, 0, 0), (0, 0, 50, 50))
    pixels = load_one(encode(tall), size=(10, 10))
    assert_colour(pixels[2:], (0.0, 1.0, 0.0), atol=0.02)
    assert pixels[:2, :, 0].max() < 0.1


def test_batch_of_paths_bytes_and_file_objects(tmp_path):
    red = encode(Image.new("RGB", (9, 9), (255, 0, 0)))
    path = tmp_path / "red.png"
    path.write_bytes(red)
    with open(path, "rb") as handle:
        batch = load_images([path, str(path), red, bytearray(red), handle, io.BytesIO(red)])
    assert batch.shape == (6, 3, 64, 64)
    assert batch.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(batch[:, 0], 1.0, atol=1e-3)
    np.testing.assert_allclose(batch[:, 1:], 0.0, atol=1e-3)


def test_uploaded_file_like_object_uses_getvalue_after_an_earlier_read():
    class Upload(io.BytesIO):
        name = "holiday.png"

    upload = Upload(encode(Image.new("RGB", (5, 5), (0, 255, 0))))
    upload.read()  # a previous Streamlit rerun already consumed the stream
    assert_colour(load_one_from(upload), (0.0, 1.0, 0.0))


def load_one_from(source) -> np.ndarray:
    return load_images([source], size=(3, 3))[0].transpose(1, 2, 0)


# ----------------------------------------------------------------------------------------
# bad input


def test_empty_file_is_named(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.png is empty \(0 bytes\).*PNG, JPEG"):
        load_images([path])


def test_text_renamed_to_png_is_refused(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("These are my lecture notes, not a picture.\n" * 20)
    with pytest.raises(InputError, match=r"notes\.png is not an image.*text"):
        load_images([path])


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    return data[: int(len(data) * fraction)]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("global_flag", [False, True])
def test_truncated_file_raises_instead_of_returning_grey(fmt, global_flag, monkeypatch):
    # Even if some other code switched Pillow's global LOAD_TRUNCATED_IMAGES on,
    # a truncated file must be refused -- and the flag must be left as it was.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", global_flag)
    data = truncated(encode(noise_image(128, 128), fmt))
    name = f"cut.{fmt.lower()}"
    with pytest.raises(InputError, match=rf"{name} is (truncated|damaged)"):
        load_images([(name, data)])
    assert global_flag is ImageFile.LOAD_TRUNCATED_IMAGES


def test_corrupted_png_checksum_is_refused():
    data = bytearray(encode(noise_image(32, 32)))
    data[-30] ^= 0xFF  # flip bits inside the image data
    with pytest.raises(InputError, match="broken.png"):
        load_images([("broken.png", bytes(data))])


def png_declaring(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of width x height; zeros compress ~1000:1."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = (b"\x00" * (1 + (width + 7) // 8)) * 500
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(rows) for _ in range(height // 500))
    body += compressor.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("side", "pixel_text"), [(8000, "64,000,000"), (20000, "400,000,000")])
def test_decompression_bomb_is_refused_before_decoding(side, pixel_text, monkeypatch):
    data = png_declaring(side, side)
    assert len(data) < 200_000 and side * side > MAX_PIXELS
    pixel_limit_before = Image.MAX_IMAGE_PIXELS

    def no_decoding(self):
        raise AssertionError("the pixel data of a bomb must never be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(InputError, match=rf"bomb\.png declares {pixel_text} pixels") as info:
        load_images([("bomb.png", data)])
    assert "not decoded" in str(info.value)
    assert pixel_limit_before == Image.MAX_IMAGE_PIXELS


@pytest.mark.slow
def test_just_under_the_pixel_cap_declared_size_is_accepted_by_the_header_check():
    # 4000 x 4000 = 16 MP < 40 MP: decoded normally (all black).
    pixels = load_one(png_declaring(4000, 4000), size=(2, 2))
    assert_colour(pixels, (0.0, 0.0, 0.0))


def test_mixed_list_names_only_the_bad_item(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(encode(noise_image()))
    with pytest.raises(InputError, match=r"^item 2 \(bytes\) is not an image") as info:
        load_images([good, b"hello, world", good])
    assert "good.png" not in str(info.value)


def test_file_object_is_named_by_its_name_attribute(tmp_path):
    path = tmp_path / "scan.jpg"
    path.write_bytes(b"\xff\xd8\xff" + b"\x00" * 10)
    with open(path, "rb") as handle, pytest.raises(InputError, match="scan.jpg"):
        load_images([handle])


def test_anonymous_file_object_is_named_by_position():
    good = encode(noise_image())
    with pytest.raises(InputError, match=r"item 3 \(file object\) is empty"):
        load_images([good, good, io.BytesIO(b"")])


def test_missing_path_says_it_does_not_exist(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.png does not exist"):
        load_images([tmp_path / "nowhere.png"])


def test_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        load_images([tmp_path])


def test_text_mode_file_is_refused(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(encode(noise_image()))
    with open(path, encoding="latin-1") as handle, pytest.raises(InputError, match="binary"):
        load_images([handle])


@pytest.mark.parametrize("sources", [[], ()])
def test_no_sources_is_refused(sources):
    with pytest.raises(InputError, match="no images"):
        load_images(sources)


@pytest.mark.parametrize("lone", ["photo.png", b"\x89PNG", ("photo.png", b"\x89PNG")])
def test_a_lone_source_must_be_wrapped_in_a_list(lone):
    with pytest.raises(InputError, match=r"list of sources"):
        load_images(lone)


def test_unsupported_source_type_is_named_by_position():
    with pytest.raises(InputError, match=r"item 1 is a int"):
        load_images([42])


@pytest.mark.parametrize(
    "size", [(0, 5), (5, -1), (5,), (2, 3, 4), "ab", 7, (2.5, 3), (True, 3), None, (10**5, 10**5)]
)
def test_invalid_size_is_refused_with_a_hint(size):
    with pytest.raises(InputError, match=r"size=.*(positive|integer|two numbers|limit)"):
        load_images([encode(noise_image())], size=size)


def test_numpy_integer_size_is_accepted():
    batch = load_images([encode(noise_image())], size=(np.int64(3), np.int32(5)))
    assert batch.shape == (1, 3, 3, 5)


# ----------------------------------------------------------------------------------------
# image_digest


def test_image_digest_is_a_stable_short_sha256():
    assert image_digest(b"") == "e3b0c44298fc1c14"
    assert image_digest(b"abc") == image_digest(bytearray(b"abc"))
    assert image_digest(b"abc") != image_digest(b"abd")
    assert len(image_digest(b"xyz")) == 16


def test_image_digest_refuses_text():
    with pytest.raises(InputError, match="bytes"):
        image_digest("not bytes")
