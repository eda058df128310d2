"""A simulated class: many students opening views of a Streamlit server at once.

Each student is one browser session reduced to what the server sees: a
websocket on ``/_stcore/stream`` speaking Streamlit's own protocol
(``streamlit.proto``: a BackMsg ``rerun_script`` asks for a page with a query
string; ForwardMsgs come back until ``script_finished``). A view is timed from
the request to the end of the last run it caused (a page that reruns itself,
e.g. to repair a link, is waited for), and every exception element the server
sends is kept, so a traceback anywhere in a view is an error.

Used by ``tests/test_class_at_once.py`` (no traceback under concurrency) and
``benchmarks/bench_class.py`` (views per second against a reference page).
Only the standard library, ``websockets`` (which Streamlit's server already
installs), ``streamlit.proto`` and ``deploy/serve.py``'s port picker.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# make serve's own port picker: portpicker (1.6) asks the kernel for port 0 first, a port
# in the range every outgoing connection takes its local port from (a CI run lost a
# module's servers to that race); this one picks below that range.
from deploy.serve import free_port

ROOT = Path(__file__).resolve().parents[2]  # the project: .streamlit/config.toml is read from here
_FINISHED = ForwardMsg.ScriptFinishedStatus
# A run that ends for a rerun is followed by another run of the same view.
_VIEW_DONE = {_FINISHED.FINISHED_SUCCESSFULLY, _FINISHED.FINISHED_WITH_COMPILE_ERROR}
# A fragment's rerun ends with its own status (or a whole run, if the fragment asked for one).
_FRAGMENT_DONE = _VIEW_DONE | {_FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass(frozen=True)
class View:
    """One page of the app with one link's query string ("" for the default page)."""

    page: str
    query: str = ""


@dataclass
class ViewResult:
    view: View
    seconds: float
    received_bytes: int
    exceptions: list[str] = field(default_factory=list)
    finished: bool = True
    deltas: int = 0  # elements and blocks drawn: what the browser lays out, one by one

    @property
    def ok(self) -> bool:
        return self.finished and not self.exceptions


class Student:
    """One browser session: a websocket that asks for views one after another."""

    def __init__(self, socket) -> None:
        self._socket = socket
        # What a browser keeps: ForwardMsgs it was told it may cache, sent back by hash.
        self._cached_hashes: set[str] = set()

    @classmethod
    async def connect(cls, base_url: str, timeout_s: float = 60) -> Student:
        url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        socket = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=timeout_s,
            ping_interval=None,
        )
        return cls(socket)

    async def open(
        self,
        view: View,
        timeout_s: float = 120,
        widget_states: Sequence[WidgetState] = (),
        deltas: list[Delta] | None = None,
        fragment_id: str = "",
    ) -> ViewResult:
        """Ask for `view` (with `widget_states`, as a browser's rerun after a click sends).

        A `fragment_id` reruns only that fragment, as a browser asks after a click inside
        one. Every delta the server sends (elements and blocks) is appended to `deltas` when given
        (a Delta also names the fragment that drew it).
        """
        request = BackMsg()
        request.rerun_script.query_string = view.query
        request.rerun_script.page_name = view.page
        request.rerun_script.widget_states.widgets.extend(widget_states)
        request.rerun_script.fragment_id = fragment_id
        done = _FRAGMENT_DONE if fragment_id else _VIEW_DONE
        request.rerun_script.cached_message_hashes.extend(sorted(self._cached_hashes))
        start = time.perf_counter()
        await self._socket.send(request.SerializeToString())
        received = drawn = 0
        exceptions: list[str] = []
        deadline = start + timeout_s
        while True:
            remaining = deadline - time.perf_counter()
            try:
                data = await asyncio.wait_for(self._socket.recv(), timeout=max(remaining, 0.01))
            except (TimeoutError, websockets.ConnectionClosed):
                return ViewResult(
                    view, time.perf_counter() - start, received, exceptions, False, drawn
                )
            received += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            if message.metadata.cacheable and message.hash:
                self._cached_hashes.add(message.hash)
            kind = message.WhichOneof("type")
            drawn += kind == "delta"
            if kind == "delta" and deltas is not None:
                deltas.append(message.delta)  # blocks too: a count of what the browser lays out
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                if element.WhichOneof("type") == "exception":
                    exception = element.exception
                    exceptions.append(f"{exception.type}: {exception.message}".strip(": "))
            elif kind == "script_finished" and message.script_finished in done:
                return ViewResult(
                    view, time.perf_counter() - start, received, exceptions, deltas=drawn
                )

    async def close(self) -> None:
        await self._socket.close()


async def _one_student(
    base_url: str,
    views: Sequence[View],
    start: asyncio.Event,
    results: list[ViewResult],
    view_timeout_s: float,
) -> None:
    await start.wait()
    try:
        student = await Student.connect(base_url)
    except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
        results.extend(ViewResult(v, 0.0, 0, [f"no connection: {error}"], False) for v in views)
        return
    try:
        for view in views:
            results.append(await student.open(view, view_timeout_s))
    finally:
        await student.close()


@dataclass
class ClassResult:
    """What one wave of students saw."""

    views: list[ViewResult]
    seconds: float

    @property
    def errors(self) -> list[ViewResult]:
        return [v for v in self.views if not v.ok]

    @property
    def views_per_second(self) -> float:
        return len(self.views) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        times = sorted(v.seconds for v in self.views)
        if not times:
            return float("nan")
        if len(times) == 1:
            return times[0]
        return statistics.quantiles(times, n=100, method="inclusive")[round(q) - 1]


def run_class(
    base_url: str, students: Sequence[Sequence[View]], view_timeout_s: float = 120
) -> ClassResult:
    """Every student connects at the same moment and opens their views in turn.

    A view not finished within `view_timeout_s` counts as an error (unfinished).
    """

    async def main() -> ClassResult:
        start = asyncio.Event()
        results: list[ViewResult] = []
        tasks = [
            asyncio.create_task(_one_student(base_url, views, start, results, view_timeout_s))
            for views in students
        ]
        await asyncio.sleep(0)  # every task is waiting on `start` before it is set
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return ClassResult(results, time.perf_counter() - began)

    # On a thread of its own: asyncio.run refuses to start where an event loop already
    # runs, as Playwright's sync API keeps one in a test process that drove a browser.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


# The classroom load: a student follows the lecturer's link, then looks around. Each
# student gets a different page and input first (the queries are the links the app
# writes itself), then three more views.
CLASS_VIEWS = (
    View("", ""),
    View("", "method=LayerNorm"),
    View("", "source=Random+tensor&shape=4x6x10x12&seed=3&axes=N&axes=H&axes=W"),
    View("compare", ""),
    View("compare", "source=Random+tensor&seed=5"),
    View("batch", ""),
    View("batch", "mates=random+noise&shuffle=4"),
    View("train-eval", ""),
    View("train-eval", "steps=40"),
    View("quiz", "quiz=7"),
    View("question", ""),
    View("", "method=GroupNorm&groups=3"),
)


def classroom(students: int, views_each: int = 4, views: Sequence[View] = CLASS_VIEWS):
    """`students` lists of `views_each` views, each student starting at a different view."""
    return [[views[(s + k * 5) % len(views)] for k in range(views_each)] for s in range(students)]


# The pages an exploring student opens, and what each may change beyond the input.
EXPLORED_PAGES = ("", "compare", "batch", "train-eval", "quiz", "question")


def explored_view(page: str, rng: np.random.Generator, seed: int) -> View:
    """A view no one asked for before: a random tensor of its own shape and `seed`, and
    the page's own choices drawn at random (axes, the picked element, the batch's mates, the
    training's steps, the quiz), within the ranges a learner's controls offer."""
    n, c = int(rng.integers(4, 9)), int(rng.integers(2, 7))
    h = w = int(rng.integers(6, 17))
    query = [("source", "Random tensor"), ("shape", f"{n}x{c}x{h}x{w}"), ("seed", str(seed))]
    if page == "":
        axes = [a for a in "NCHW" if rng.random() < 0.5] or ["H", "W"]
        query += [("axes", a) for a in axes]
        query.append(("pick", ",".join(str(int(rng.integers(0, k))) for k in (n, c, h, w))))
    elif page == "compare":
        query.append(("pick", ",".join(str(int(rng.integers(0, k))) for k in (n, c, h, w))))
    elif page == "batch":
        query += [("mates", "random noise"), ("shuffle", str(int(rng.integers(1, 1000))))]
    elif page == "train-eval":
        query += [("steps", str(int(rng.integers(20, 61)))), ("bseed", str(seed))]
    elif page == "quiz":
        query = [("quiz", str(seed))]
    return View(page, urlencode(query))


def exploring_classroom(students: int, views_each: int = 4, seed: int = 0) -> list[list[View]]:
    """`students` lists of `views_each` views, every one new: each student explores for
    themself (their own shapes, seeds and choices) across the pages, one page after another.
    Seeds differ between calls with a different `seed`, so each load asks anew."""
    rng = np.random.default_rng(seed)
    first = 1000 * (seed + 1)
    return [
        [
            explored_view(
                EXPLORED_PAGES[(s + k) % len(EXPLORED_PAGES)], rng, first + s * views_each + k
            )
            for k in range(views_each)
        ]
        for s in range(students)
    ]


def rss_mb(pid: int) -> float:
    """A process's resident memory now, in MB (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class StreamlitServer:
    """`streamlit run <script>` on a free loopback port, as `make run` serves the app.

    Starting returns at once; `wait_until_healthy` waits for the server to answer, so
    several servers can start side by side (each start is seconds of imports).
    tests/conftest.py's `Server` is this class for tests.
    """

    PORT_ATTEMPTS = 3  # starts on a new port when another process took the one picked

    def __init__(
        self,
        script: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        options: tuple[str, ...] = (),
        cwd: Path = ROOT,
    ) -> None:
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self._command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *options,
        ]
        # Streamlit reads .streamlit/config.toml from `cwd`: the project's, unless `cwd`
        # is elsewhere (a plain page with Streamlit's defaults).
        self._cwd = cwd
        self._env = env
        self._attempts = 0
        self._start()

    def _start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._attempts += 1
        self._log.write(f"[classroom] starting on port {port}\n")
        self._log.flush()
        self._process = subprocess.Popen(
            [*self._command, "--server.port", str(port)],
            cwd=self._cwd,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def _lost_its_port(self) -> bool:
        """The server exited because another process bound its port first."""
        self._log.flush()
        return "is not available" in self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_healthy(self, timeout_s: float = 180) -> None:
        """Wait for /_stcore/health (which runs no script: the first page request stays first).

        A server that exits for a port someone else took is started again on another
        port, before any request has reached it; any other exit or a timeout raises
        RuntimeError with the end of the server's log.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                if self._attempts < self.PORT_ATTEMPTS and self._lost_its_port():
                    self._start()
                    continue
                break
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)  # polling a server that is still importing
        how = "exited" if self._process.poll() is not None else f"no answer in {timeout_s:.0f} s"
        raise RuntimeError(
            f"streamlit did not start on {self.url} ({how}); the end of {self.log_path}:\n"
            + self.log_tail()
        )

    def rss_mb(self) -> float:
        """The server process's resident memory now, in MB."""
        return rss_mb(self._process.pid)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def __enter__(self) -> StreamlitServer:
        self.wait_until_healthy()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
