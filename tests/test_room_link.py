"""Links for the room (normapp/links/room_link.py), and that the server sends nothing off
the machine.

The network addresses come from a faked interface list: no test connects to this machine's
other addresses. The server test starts `streamlit run app.py` as a host would (listening on
every address, as `make run` does) with a guard that records and refuses any connection or
name lookup aimed off the machine (tests/support/outbound_guard), then opens pages and a
cross-origin websocket over loopback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from normapp.links import room_link
from tests import conftest

PAGE = "http://localhost:8501/quiz?class=ABCDEF"
GUARD = conftest.ROOT / "tests" / "support" / "outbound_guard"


def link(page=PAGE, addresses=("127.0.0.1", "192.168.1.23", "10.0.0.5"), **settings):
    return room_link.room_link(page, interfaces=lambda: list(addresses), **settings)


def test_a_localhost_link_uses_the_machines_network_address_and_says_so():
    """Issue 24.1: opened at localhost, the join link and its QR code named localhost."""
    room = link(public_url="")
    assert room.url == "http://192.168.1.23:8501/quiz?class=ABCDEF"
    assert not room.warning
    assert "You opened the app at localhost" in room.note and "10.0.0.5" in room.note
    assert "NORMAPP_PUBLIC_URL" in room.note


@pytest.mark.parametrize(
    "page", ["http://127.0.0.1:8501/quiz?class=ABCDEF", "http://[::1]:8501/quiz?class=ABCDEF"]
)
def test_every_loopback_spelling_is_rebased(page):
    assert link(page, public_url="").url == "http://192.168.1.23:8501/quiz?class=ABCDEF"


def test_a_lan_address_the_lecturer_opened_is_kept():
    page = "http://192.168.1.23:8501/quiz?class=ABCDEF"
    assert link(page, public_url="") == room_link.RoomLink(page)


def test_a_public_url_wins_and_keeps_its_path_prefix():
    room = link(public_url="https://normx.example.edu/app/")
    assert room == room_link.RoomLink("https://normx.example.edu/app/quiz?class=ABCDEF")


def test_streamlits_server_address_is_honoured_unless_it_is_loopback():
    room = link(public_url="", server_address="class.example.edu", server_port=80)
    assert room.url == "http://class.example.edu:80/quiz?class=ABCDEF"
    assert link(public_url="", server_address="localhost").url.startswith("http://192.168.1.23:")


def test_only_loopback_addresses_warn_that_phones_cannot_open_the_link():
    room = link(addresses=("127.0.0.1", "169.254.3.4"), public_url="")
    assert room.url == PAGE and room.warning
    assert "phones cannot open it" in room.note


def test_a_server_listening_on_loopback_only_warns_instead_of_a_dead_lan_link():
    room = link(public_url="", listen_address="127.0.0.1")
    assert room.url == PAGE and room.warning and "listens on 127.0.0.1 only" in room.note


def test_a_malformed_public_url_is_named_and_not_used():
    room = link(public_url="javascript:alert(1)")
    assert room.url.startswith("http://192.168.1.23:") and room.warning
    assert "NORMAPP_PUBLIC_URL is set but is not an http(s) address" in room.note


def test_the_real_interface_list_has_loopback_and_no_link_local_lan_address():
    addresses = room_link.interface_addresses()
    if sys.platform.startswith("linux"):
        assert "127.0.0.1" in addresses
    assert all(not a.startswith("127.") for a in room_link.lan_addresses(addresses))


def test_the_board_and_share_use_the_room_link(monkeypatch, tmp_path):
    """Through the Quiz page: the board's join link is the room link (here the configured
    public URL: AppTest's own page URL is not a loopback one), and Share's link too."""
    monkeypatch.setenv("NORMAPP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NORMAPP_CLASS_DB", raising=False)
    monkeypatch.setenv(room_link.PUBLIC_URL_ENV, "https://normx.example.edu/app")
    board = conftest.open_page("pages/quiz.py")
    board.button(key="class:start").click().run()
    assert not board.exception
    code = board.query_params["class"]
    code = code[-1] if isinstance(code, list) else code
    assert f"https://normx.example.edu/app/quiz?class={code}" in [c.value for c in board.code]


# ------------------------------------------------------------ nothing leaves the machine
def test_the_guard_catches_an_external_ip_lookup(tmp_path):
    """The guard works: Streamlit's own external-IP lookup, run under it, is recorded."""
    log = tmp_path / "outbound.log"
    env = {**os.environ, "PYTHONPATH": str(GUARD), "NORMAPP_OUTBOUND_LOG": str(log)}
    code = "import streamlit.net_util as n; print(n.get_external_ip())"
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, timeout=60, capture_output=True
    )
    assert "getaddrinfo" in log.read_text()


@pytest.mark.server
@pytest.mark.server
def test_the_server_sends_nothing_off_the_machine(tmp_path):
    """Issue 24.14: headless start-up asked an outside service for the external IP."""
    from tests.support.classroom import Student, View

    log = tmp_path / "outbound.log"
    env = {**os.environ, "PYTHONPATH": str(GUARD), "NORMAPP_OUTBOUND_LOG": str(log)}
    env.pop(room_link.PUBLIC_URL_ENV, None)
    server = conftest.Server(
        "streamlit-outbound-guard",
        script=conftest.ROOT / "app.py",
        options=("--server.address", "0.0.0.0"),  # every address, as make run listens
        env=env,
    )
    with conftest.serve_apps({"app": server}) as urls:

        async def visit() -> None:
            student = await Student.connect(urls["app"])
            for view in (View(""), View("quiz"), View("compare")):
                result = await student.open(view, 120)
                assert result.ok, result.exceptions
            await student.close()
            import websockets

            url = urls["app"].replace("http://", "ws://") + "/_stcore/stream"
            try:  # a page on another site opening the app's websocket: its origin is checked
                socket = await websockets.connect(
                    url, subprotocols=["streamlit"], origin="http://elsewhere.example"
                )
                await socket.close()
            except websockets.InvalidStatus:
                pass  # refused, which is fine; what matters is that nothing was looked up

        # asyncio.run off the main thread: playwright's sync API may hold a loop there.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, visit()).result()
    assert "You can now view your Streamlit app" in server.log_path.read_text()
    assert not log.exists(), log.read_text()
