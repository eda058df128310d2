"""normapp/links/share.py: the view's link and its QR code (structure only: no QR decoder here)."""

from __future__ import annotations

import struct
import zlib

import pytest

from normapp.links import share

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ISO/IEC 18004 table 7: characters of byte-mode data a version holds at error level M.
# (version, its width in modules, byte capacity at M)
VERSIONS_M = ((1, 21, 14), (2, 25, 26), (5, 37, 84), (10, 57, 213), (20, 97, 666))


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk, its CRC checked."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    data = png[16:29]
    (crc,) = struct.unpack(">I", png[29:33])
    assert zlib.crc32(kind + data) == crc
    width, height = struct.unpack(">II", data[:8])
    return width, height


def url_of_length(length: int) -> str:
    base = "http://x/?a="
    return base + "N" * (length - len(base))


def test_qr_png_is_a_png_of_the_code_with_a_four_module_border():
    url = "http://localhost:8501/?method=LayerNorm&present=true"
    png = share.qr_png(url, scale=10)
    width, height = png_size(png)
    assert width == height
    modules = share.qr_modules(url)
    assert width == modules * 10
    # A version-v code is 17 + 4v modules wide, plus 4 modules of border on each side.
    assert (modules - 2 * 4 - 17) % 4 == 0
    assert png[-12:-8] == b"\x00\x00\x00\x00" and png[-8:-4] == b"IEND"


@pytest.mark.parametrize(("version", "width", "capacity"), VERSIONS_M)
def test_code_size_follows_the_version_table_at_level_m(version, width, capacity):
    # A link of exactly the version's byte capacity fits it; one character more does not.
    assert share.qr_modules(url_of_length(capacity)) - 8 == width
    assert share.qr_modules(url_of_length(capacity + 1)) - 8 > width
    assert width == 17 + 4 * version


@pytest.mark.slow
def test_longer_links_never_give_smaller_codes():
    sizes = [share.qr_modules(url_of_length(n)) for n in range(40, share.URL_MAX + 1, 97)]
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1]


def test_the_same_link_gives_the_same_bytes_and_another_link_other_bytes():
    url = "http://localhost:8501/compare?methods=batchnorm,layernorm"
    assert share.qr_png(url) == share.qr_png(url)
    assert share.qr_png(url) != share.qr_png(url + "x")


@pytest.mark.parametrize("length", [20, 300, 2_000])
def test_projector_scale_makes_every_code_at_least_480_pixels_wide(length):
    url = url_of_length(length)
    scale = share.projector_scale(url)
    width, _ = png_size(share.qr_png(url, scale=scale))
    assert 480 <= width < 480 + share.qr_modules(url)


def test_over_long_and_empty_links_are_refused_with_a_message():
    with pytest.raises(share.ShareError, match=r"2,001 characters long, more than the 2,000"):
        share.qr_png(url_of_length(2_001))
    share.qr_png(url_of_length(2_000))  # the limit itself is fine
    with pytest.raises(share.ShareError, match="empty"):
        share.qr_png("  ")
    with pytest.raises(ValueError, match="scale"):
        share.qr_png("http://x/", scale=0)


def test_view_url_keeps_repeated_keys_and_escapes_values():
    url = share.view_url(
        "http://host:8501/", "", [("axes", "C"), ("axes", "H"), ("source", "Random tensor")]
    )
    assert url == "http://host:8501/?axes=C&axes=H&source=Random+tensor"
    assert share.view_url("http://host:8501/quiz", "quiz", [("quiz", "42")]) == (
        "http://host:8501/quiz?quiz=42"
    )
    assert share.view_url(None, "batch", []) == "/batch"
