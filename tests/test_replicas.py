"""Two replicas behind nginx, started by deploy/serve.py (what `make serve` runs).

A Streamlit session lives in one replica's memory: its websocket, its uploads and its
files must all reach that replica. These tests open six browser sessions through the
proxy and check, from the X-Replica header nginx adds to every response (and to the
websocket's handshake, read through the Chrome DevTools protocol), that the sessions
spread over both replicas and that each session's every request stayed on its own
one; then that an upload followed by its use works on every session.

Under CI a missing nginx is a failure (`.ci/run` installs it), elsewhere a skip.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from deploy.serve import find_nginx, free_port
from tests.conftest import ARTIFACTS, ROOT, missing, screenshot
from tests.helpers import (
    COUNT_RUNS_SCRIPT,
    expect_charts_drawn,
    expect_drawn,
    press,
    wait_for_run_after,
)

pytestmark = pytest.mark.browser

LOAD_MS = 180_000  # a replica's first runs while five more sessions start on 2 cores
SESSIONS = 6
REPLICA_COUNT = 2


@dataclass
class Proxy:
    url: str
    replicas: set[str]  # "host:port" of each replica, as X-Replica names it
    run_dir: object


@pytest.fixture(scope="module")
def proxy(browser, tmp_path_factory) -> Iterator[Proxy]:
    """`make serve` with two replicas on a free loopback port; stopped (SIGTERM) after.

    The replicas share one class-quiz database, a SQLite file in a fresh data directory.
    """
    if find_nginx() is None:
        missing("nginx is not installed (apt-get install -y nginx)")
    run_dir = ARTIFACTS / "serve"
    port = free_port()
    command = [sys.executable, "deploy/serve.py", "--replicas", str(REPLICA_COUNT)]
    command += ["--port", str(port), "--address", "127.0.0.1", "--run-dir", str(run_dir)]
    env = {**os.environ, "NORMAPP_DATA_DIR": str(tmp_path_factory.mktemp("replica-data"))}
    launcher = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        # The launcher says it is ready once every replica and nginx answer, or exits.
        ready = launcher.stdout.readline()
        if "behind nginx" not in ready:
            pytest.fail(f"make serve did not start: {ready}{launcher.stdout.read()}")
        site = (run_dir / "normx-replicas.conf").read_text()
        upstream = re.search(r"upstream normx_replicas \{(.*?)\}", site, re.S)[1]
        replicas = set(re.findall(r"server (\S+);", upstream))
        assert len(replicas) == REPLICA_COUNT, site
        yield Proxy(f"http://127.0.0.1:{port}", replicas, run_dir)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=60)
    assert launcher.returncode == 0, launcher.stdout.read()
    nginx_pid = int((run_dir / "nginx.pid").read_text()) if (run_dir / "nginx.pid").exists() else 0
    assert not nginx_pid or not _running(nginx_pid), "nginx still runs after make serve stopped"


def _running(pid: int) -> bool:
    try:
        import os

        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_health_through_the_proxy(proxy):
    with urllib.request.urlopen(f"{proxy.url}/_stcore/health", timeout=10) as response:
        assert response.status == 200
        assert response.read() == b"ok"
        assert response.headers["X-Replica"] in proxy.replicas


def _png(rgb: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Session:
    """One browser (its own cookies) and every replica that answered it, by request."""

    context: object
    tab: object
    served_by: list[tuple[str, str]] = field(default_factory=list)  # (what, X-Replica)
    downloads: list[str] = field(default_factory=list)  # the URLs of its downloaded files

    def replicas(self) -> set[str]:
        return {replica for _, replica in self.served_by}


def _open_session(browser, url: str) -> Session:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    context.add_init_script(COUNT_RUNS_SCRIPT)  # so a click can wait for its run (press)
    tab = context.new_page()
    session = Session(context, tab)
    context.on(
        "response",
        lambda response: session.served_by.append(
            (f"{response.request.method} {response.url}", response.headers.get("x-replica", ""))
        ),
    )
    # Playwright shows a websocket's frames but not its handshake; Chromium's DevTools
    # protocol has the handshake's response headers, X-Replica among them.
    devtools = context.new_cdp_session(tab)
    devtools.send("Network.enable")
    devtools.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: session.served_by.append(
            (
                "websocket",
                {k.lower(): v for k, v in event["response"]["headers"].items()}.get(
                    "x-replica", ""
                ),
            )
        ),
    )
    # Only the navigation is waited for here: the sessions start side by side, and each
    # test step waits (expect) for what it needs.
    tab.goto(f"{url}/?source=uploads&tab=downloads", wait_until="commit", timeout=LOAD_MS)
    return session


# Six sessions' first runs, uploads and downloads on a shared 2-core machine.
@pytest.mark.timeout(900)
def test_sessions_spread_over_both_replicas_and_stay_on_their_own(browser, proxy):
    from playwright.sync_api import expect

    sessions: list[Session] = []
    try:
        # One student after another, each session kept open: the round robin spreads the
        # new browsers, and every earlier session keeps its websocket while later ones come.
        for number in range(SESSIONS):
            session = _open_session(browser, proxy.url)
            sessions.append(session)
            tab = session.tab
            sidebar = tab.get_by_test_id("stSidebar")
            uploader = sidebar.get_by_test_id("stFileUploaderDropzoneInput")
            # The first run has drawn the page (it says there is no upload yet), and the
            # uploader's file input is there (it can come seconds later on a busy machine).
            expect(sidebar.get_by_text("No readable upload yet")).to_be_visible(timeout=LOAD_MS)
            expect(sidebar.get_by_test_id("stFileUploaderDropzoneInput")).to_be_attached(
                timeout=LOAD_MS
            )
            expect_drawn(tab, LOAD_MS)
            # A student uploads once the page is on screen, charts included.
            expect_charts_drawn(tab, LOAD_MS)
            # A different colour per session: each upload is its own file.
            png = _png((40 * number, 255 - 40 * number, 128))
            with tab.expect_response(lambda r: "/_stcore/upload_file/" in r.url) as upload:
                uploader.set_input_files(
                    files=[
                        {"name": f"student-{number}.png", "mimeType": "image/png", "buffer": png}
                    ],
                    timeout=LOAD_MS,
                )
            assert upload.value.ok, f"session {number}: upload answered {upload.value.status}"
            # The page uses the upload: the sidebar and the Explorer's input line name it.
            expect(sidebar.get_by_text("1 uploaded image")).to_be_visible(timeout=LOAD_MS)
            main = tab.get_by_test_id("stMain")
            expect(main.get_by_text("Input: 1 uploaded image")).to_be_visible(timeout=LOAD_MS)
            # A file made from this session's data, served from /media by its replica.
            button = main.get_by_role("button", name=re.compile(r"^Statistics"))
            with tab.expect_download(timeout=LOAD_MS) as download:
                button.click()
            assert download.value.failure() is None, f"session {number}: download failed"
            session.downloads.append(download.value.url)
            assert download.value.suggested_filename.startswith("statistics.")
            expect(tab.get_by_test_id("stException")).to_have_count(0)
            screenshot(tab, f"replica-session-{number}")

        for number, session in enumerate(sessions):
            kinds = [what for what, _ in session.served_by]
            # One handshake: a second would be a new session, its upload left behind.
            assert kinds.count("websocket") == 1, f"session {number}: {kinds.count('websocket')}"
            assert any("/_stcore/upload_file/" in what for what in kinds), number
            (download_url,) = session.downloads
            assert "/media/" in download_url, download_url
            assert any(what.endswith(download_url) for what in kinds), (number, download_url)
            elsewhere = [(what, replica) for what, replica in session.served_by if not replica]
            assert not elsewhere, f"session {number}: answered by no replica: {elsewhere}"
            assert len(session.replicas()) == 1, (
                f"session {number} was served by several replicas: {session.served_by}"
            )
        per_replica = Counter(next(iter(s.replicas())) for s in sessions)
        assert set(per_replica) == proxy.replicas, per_replica
    finally:
        for session in sessions:
            session.context.close()


@pytest.mark.timeout(600)
def test_a_class_quiz_spans_both_replicas(browser, proxy):
    """The lecturer's board on one replica counts a student's answer sent through the other."""
    from playwright.sync_api import expect

    from normapp.classroom import quiz

    question = next(i for i, q in enumerate(quiz.make_quiz(1)) if not q.multi)
    lecturer = _open_session(browser, proxy.url)
    students: list[Session] = []
    try:
        tab = lecturer.tab
        tab.goto(f"{proxy.url}/quiz", timeout=LOAD_MS)
        wait_for_run_after(tab, 0, LOAD_MS)
        tab.get_by_text("Take this quiz with a class").click(timeout=LOAD_MS)
        # press(): once in a full run the click reached the page and no run followed (as in
        # test_browser_class_quiz, stop 29); the page drawn was the solo quiz, unchanged.
        press(tab, tab.get_by_role("button", name="Start a class session"))
        heading = tab.get_by_role("heading", name=re.compile(r"· board$"))
        expect(heading).to_be_visible(timeout=LOAD_MS)
        code = re.search(r"class=([A-Z]{6})", tab.url)[1]
        (lecturer_replica,) = lecturer.replicas() - {""}
        # New browsers take the replicas in turn: the next one or two reach the other one.
        while not students or students[-1].replicas() - {""} == {lecturer_replica}:
            assert len(students) < 4, "no new browser reached the other replica"
            student = _open_session(browser, proxy.url)
            students.append(student)
            student.tab.goto(f"{proxy.url}/quiz?class={code}", timeout=LOAD_MS)
            expect(student.tab.get_by_role("heading", name=f"Class quiz · {code}")).to_be_visible(
                timeout=LOAD_MS
            )
        student = students[-1]
        expect_drawn(student.tab)
        block = student.tab.locator(f".st-key-class-q{question}")
        block.get_by_role("radio").first.check(force=True)
        expect_drawn(student.tab)
        press(student.tab, block.get_by_role("button", name="Send"))
        expect(block.get_by_text("Sent. You can change")).to_be_visible(timeout=LOAD_MS)
        # The board refreshes by itself, on the lecturer's replica.
        expect(tab.locator(f".st-key-board-q{question}")).to_contain_text(
            f"Question {question + 1} · 1 of 1 answered", timeout=LOAD_MS
        )
        assert lecturer.replicas() - {""} == {lecturer_replica}
        assert student.replicas() - {""} != {lecturer_replica}
    finally:
        for session in [lecturer, *students]:
            session.context.close()
