"""Sharing a view: its full link, and a QR code of it for a projector. No Streamlit here.

The QR code is made locally with segno (no web service, no Pillow): error
correction M, the standard quiet zone of 4 modules, PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import urlencode

import segno

URL_MAX = 2_000  # characters: longer links are refused (a QR code of them is unreadable)
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
QR_ERROR = "m"  # error correction level M: about 15 % of the code may be damaged
QR_SCALE = 10  # pixels per module
PROJECTOR_PX = 480  # the smallest width of a code shown to a room (projector_scale)


class ShareError(ValueError):
    """A link that cannot be shared as a QR code (empty, or too long)."""


def view_url(base: str | None, path: str, params: Iterable[tuple[str, str]]) -> str:
    """The full link of a view: `base` (the page's URL without its query) and its parameters.

    `base` is what ``st.context.url`` gives (scheme, host and page path); when it is
    unknown (None or empty) the link is the page's `path` from the site's root.
    Repeated keys (``axes=C&axes=H``) are kept in order.

    >>> view_url("http://localhost:8501/compare", "compare", [("methods", "a,b")])
    'http://localhost:8501/compare?methods=a,b'
    >>> view_url(None, "", [("axes", "C"), ("axes", "H")])
    '/?axes=C&axes=H'
    >>> view_url("http://h:1", "", [])
    'http://h:1/'
    """
    page = (base or "").rstrip("/")
    if not page:
        page = f"/{path}"
    elif page.count("/") == 2:  # scheme and host only: the root page
        page += "/"
    query = urlencode(list(params), safe=",")
    return f"{page}?{query}" if query else page


def check_url(url: str) -> str:
    """`url` if a QR code can carry it; else ShareError saying why."""
    if not url.strip():
        raise ShareError("there is no link to share (it is empty)")
    if len(url) > URL_MAX:
        raise ShareError(
            f"the link is {len(url):,} characters long, more than the {URL_MAX:,} a QR code "
            "here may carry (a phone could not read it from a projector); copy the link "
            "as text instead"
        )
    return url


def qr_code(url: str) -> segno.QRCode:
    """The QR code of `url` (a regular QR code, never a Micro QR), error correction M."""
    return segno.make(check_url(url), error=QR_ERROR, micro=False, boost_error=False)


def qr_modules(url: str) -> int:
    """The QR code's width in modules, its quiet zone included."""
    width, _ = qr_code(url).symbol_size(scale=1, border=QR_BORDER)
    return int(width)


def projector_scale(url: str, width_px: int = PROJECTOR_PX) -> int:
    """The fewest pixels per module that make the code of `url` at least `width_px` wide."""
    modules = qr_modules(url)
    return max(1, -(-width_px // modules))


def qr_png(url: str, *, scale: int = QR_SCALE) -> bytes:
    """The QR code of `url` as PNG bytes, `scale` pixels per module, a 4-module border.

    Raises ShareError for an empty link or one over URL_MAX characters, and
    ValueError for a scale outside 1 to 40.
    """
    if not 1 <= scale <= 40:
        raise ValueError(f"scale must be from 1 to 40 pixels per module, got {scale}")
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=QR_BORDER)
    return buffer.getvalue()
