"""A class starting Training lab runs at once, on a freshly started server.

Speaks Streamlit's websocket protocol (tests/support/classroom.py). Every student opens the lab
with a seed of their own, so each asks for two new runs; more runs are asked for than the
server queues (normapp/lab/runs.py: MAX_PENDING), while other students open other pages. No
view may show a traceback, every view must finish, every lab student must see either their
runs queued or training or a clear "busy" message, and the other pages must be served while
the runs train. The server must then stop promptly although runs are still queued.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from normapp.lab import runs
from tests.conftest import Server, serve_apps
from tests.support.classroom import Student, View

pytestmark = pytest.mark.server

LAB_STUDENTS = 24  # two runs each: 48 asked for, more than MAX_PENDING
OTHER_VIEWS = [View(""), View("compare"), View("batch"), View("", "method=LayerNorm")]


def lab_view(student: int) -> View:
    # 800 steps: a run lasts seconds, so the queue is still full when the last student asks.
    return View("lab", f"tsteps=800&tseed={20 + student}")


async def _open(
    url: str, view: View, texts: list[str], everyone_in: asyncio.Barrier
) -> tuple[View, list[str], bool]:
    """Open `view` and stay until every student has theirs: a student who has left holds no
    place in the queue (runs nobody has open are dropped)."""
    student = await Student.connect(url)
    try:
        deltas: list = []
        result = await student.open(view, timeout_s=600, deltas=deltas)
        await everyone_in.wait()
    finally:
        await student.close()
    for delta in deltas:
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "alert":
            texts.append(element.alert.body)
        elif kind == "progress":
            texts.append(element.progress.text)
    return view, result.exceptions, result.finished


async def _class(url: str):
    lab_texts: list[list[str]] = [[] for _ in range(LAB_STUDENTS)]
    everyone_in = asyncio.Barrier(LAB_STUDENTS + 2 * len(OTHER_VIEWS))
    lab = [_open(url, lab_view(i), lab_texts[i], everyone_in) for i in range(LAB_STUDENTS)]
    others = [_open(url, view, [], everyone_in) for view in OTHER_VIEWS * 2]
    results = await asyncio.gather(*lab, *others)
    return results, lab_texts


async def _latecomer(url: str, texts: list[str], number: int) -> None:
    await _open(url, lab_view(LAB_STUDENTS + number), texts, asyncio.Barrier(1))


def runs_ahead(texts: list[str]) -> int:
    """The most runs a student's progress rows said were ahead of theirs."""
    waits = [int(m) for t in texts for m in re.findall(r"waiting, (\d+) run\(s\) ahead", t)]
    return max(waits, default=0)


@pytest.mark.timeout(900)
def test_a_class_starting_runs_at_once_gets_queued_or_busy_never_a_traceback():
    assert 2 * LAB_STUDENTS > runs.MAX_PENDING
    server = Server("lab-at-once")
    with serve_apps({"lab": server}) as urls:
        with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio.run off playwright's loop
            results, lab_texts = pool.submit(asyncio.run, _class(urls["lab"])).result()
            # The class has just left: its runs are kept a while (a reload would find them).
            at_once: list[str] = []
            pool.submit(asyncio.run, _latecomer(urls["lab"], at_once, 0)).result()
            # Once the class has been gone LEFT_AFTER_S, a newcomer waits for none of them.
            time.sleep(runs.LEFT_AFTER_S + 1)
            latecomer: list[str] = []
            pool.submit(asyncio.run, _latecomer(urls["lab"], latecomer, 1)).result()
        started_stop = time.monotonic()
    stopped_in = time.monotonic() - started_stop
    assert [(view, errors) for view, errors, _ in results if errors] == []
    assert [view for view, _, finished in results if not finished] == []
    busy = [texts for texts in lab_texts if any("The server is busy" in t for t in texts)]
    queued = [
        texts for texts in lab_texts if any(t.endswith("ahead") or " of 800" in t for t in texts)
    ]
    assert len(busy) + len(queued) == LAB_STUDENTS, lab_texts
    assert busy, "more runs were asked for than the server queues: someone must be told"
    assert queued, "the first students' runs must be queued or training"
    # Just after the class: the queue is as the class left it (busy, or runs ahead).
    assert any("busy" in t for t in at_once) or runs_ahead(at_once) > 10, at_once
    # Later: at most its own other run and the class's run still stopping (one training
    # worker) ahead; the class's 40 queued runs would be ahead if they were kept.
    assert not any("busy" in t for t in latecomer) and runs_ahead(latecomer) <= 2, latecomer
    # Runs were still queued (minutes of training): the server stopped without them.
    assert stopped_in < 60, f"the server took {stopped_in:.0f} s to stop"
    # Issue 24.15: each training process ran the app script (spawn imports __main__), which
    # wrote about 70 "missing ScriptRunContext" warnings into the log a lecturer reads.
    log = server.log_path.read_text(errors="replace")
    assert "missing ScriptRunContext" not in log and "No runtime found" not in log
