"""“Share this view”: the current view's full link and a projector-sized QR code of it.

app.py keeps a slot at the top of every page and fills it after the page has
run (`draw`), so the link carries every parameter the page wrote this run.
The link is shown with ``st.code`` (plain text, a copy button); the QR code is
made on the server (normapp/links/share.py), nothing is fetched from elsewhere.
"""

from __future__ import annotations

import streamlit as st

from normapp.links import room_link, share
from normapp.links.literal import literal

BUTTON = "Share this view"
# The QR code shrinks to fit a phone's popover (it is 480 px or more wide), and a short
# window's (the popover would cut it off): never taller than 50 % of the window.
SHARE_CSS = """<style>
[data-testid="stPopoverBody"] [data-testid="stFullScreenFrame"],
[data-testid="stPopoverBody"] [data-testid="stFullScreenFrame"] * { max-width: 100%; }
[data-testid="stPopoverBody"] [data-testid="stImage"] img {
  height: auto; width: auto; max-height: 50vh;
}
</style>"""


# Never shared: a class session's lecturer secret and a student's own id (a room that
# scanned either would get the board, or answer as one student).
PRIVATE_PARAMS = frozenset({"key", "me"})


def current_url(path: str) -> room_link.RoomLink:
    """The page's full link (``st.context.url`` plus the current query string) at an address
    the room can open (normapp/links/room_link.py), with what the lecturer should know of it."""
    params = [
        (key, value)
        for key in st.query_params
        if key not in PRIVATE_PARAMS
        for value in st.query_params.get_all(key)
    ]
    return room_link.room_link_here(share.view_url(st.context.url, path, params))


@st.cache_data(max_entries=256, show_spinner=False)
def _qr_png(url: str) -> bytes:
    """The link's QR code, at least share.PROJECTOR_PX wide (made once per link)."""
    return share.qr_png(url, scale=share.projector_scale(url))


OPEN_KEY = "share:open"


def draw(slot, path: str) -> None:
    """Fill `slot` (a container at the page's top) with the Share button and its popover.

    The popover is lazy (``on_change="rerun"``): its link and QR code are made only in
    the run that opening it causes. Drawn closed on every run of every page, the QR
    code's PNG went to the browser each time: about 6 % of a class's server time.
    """
    with slot:
        popover = st.popover(BUTTON, icon=":material/qr_code_2:", key=OPEN_KEY, on_change="rerun")
    if not popover.open:
        return
    with popover:
        room = current_url(path)
        url = room.url
        # The link first: below a 480-px code it was cut off by the popover's height at
        # 1920×1080. Then the code, scaled to the window, then where phones can open it.
        st.markdown("**Link to this view** (copy it with the button at its right)")
        st.code(url, language=None, wrap_lines=True)
        try:
            png = _qr_png(url)
        except share.ShareError as error:
            st.warning(f"No QR code: {literal(error, 300)}.", icon=":material/qr_code_2:")
        else:
            st.html(SHARE_CSS)
            st.image(png, width=share.PROJECTOR_PX, caption="Scan to open this view")
        if room.note:
            (st.warning if room.warning else st.caption)(room.note)
