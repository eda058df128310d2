"""Students answering a live class quiz through the app's own server, as browsers would.

Each student is a websocket session (tests/support/classroom.py's Student): it opens
``quiz?class=CODE``, learns the id the session issued it from the cookie the page sets
(as a browser keeps it), reopens ``quiz?class=CODE&me=ID`` as the page's link then reads,
reads the ids of its answer widgets and Send buttons from what the server drew,
then answers every question the way a browser reports a click: a rerun carrying
the chosen option's index and the button's trigger. An answer counts as sent
when that run draws "Sent." for it.

Used by benchmarks/bench_class_quiz.py (the whole class at once, timed) and
tests/test_class_at_once.py-style checks.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.WidgetStates_pb2 import WidgetState

from normapp.classroom import quiz
from tests.support.classroom import Student, View

SENT = "Sent. You can change it"


@dataclass
class StudentOutcome:
    student_id: str
    answers: dict[int, tuple[str, ...]]  # what it sent, by question
    confirmed: set[int] = field(default_factory=set)  # questions whose run said "Sent."
    latencies_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    finished_at: float = 0.0  # time.perf_counter()


def planned_answers(questions: Sequence[quiz.Question], number: int) -> dict[int, tuple[str, ...]]:
    """Student `number`'s answers: spread over the options, some multi-choice pairs."""
    answers = {}
    for index, question in enumerate(questions):
        first = question.options[(number + index) % len(question.options)]
        if question.multi and number % 3 == 1:
            second = question.options[(number + index + 1) % len(question.options)]
            answers[index] = tuple(k for k in question.options if k in (first, second))
        else:
            answers[index] = (first,)
    return answers


def _widget_ids(deltas: Sequence[Delta], code: str) -> dict[str, tuple[str, str]]:
    """{user key: (widget id, fragment id)} of the class quiz's answer widgets and Sends."""
    ids = {}
    for delta in deltas:
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind in ("radio", "button_group", "button"):
            widget_id = getattr(element, kind).id
            if f"-class:{code}:" in widget_id:
                ids[widget_id.rsplit("-", 1)[-1]] = (widget_id, delta.fragment_id)
    return ids


def _issued_id(deltas: Sequence[Delta], code: str) -> str | None:
    """The student id the session issued, from the cookie the page asks the browser to set."""
    for delta in deltas:
        element = delta.new_element
        if element.WhichOneof("type") == "html":
            found = re.search(rf"normx_class_{code}=([A-Za-z0-9_-]+);", element.html.body)
            if found:
                return found.group(1)
    return None


def _texts(deltas: Sequence[Delta]) -> list[str]:
    elements = [d.new_element for d in deltas]
    return [e.alert.body for e in elements if e.WhichOneof("type") == "alert"] + [
        e.exception.message for e in elements if e.WhichOneof("type") == "exception"
    ]


async def answer_everything(
    base_url: str,
    code: str,
    number: int,
    questions: Sequence[quiz.Question],
    start: asyncio.Event,
    joined: list[str],
    timeout_s: float = 300,
) -> StudentOutcome:
    """One student: join (then appear in `joined`), answer everything once `start` is set."""
    outcome = StudentOutcome("", planned_answers(questions, number))
    view = View("quiz", f"class={code}")
    try:
        student = await Student.connect(base_url, timeout_s)
    except (OSError, TimeoutError) as error:
        outcome.problems.append(f"no connection: {error}")
        return outcome
    try:
        deltas: list[Delta] = []
        first_view = await student.open(view, timeout_s, deltas=deltas)
        ids = _widget_ids(deltas, code)
        issued = _issued_id(deltas, code)
        if not first_view.ok or issued is None:
            problem = first_view.exceptions or ("no end of run" if issued else "no id issued")
            outcome.problems.append(f"join: {problem}")
            return outcome
        outcome.student_id = student_id = issued
        view = View("quiz", f"class={code}&me={student_id}")
        joined.append(student_id)
        await start.wait()
        for index, keys in outcome.answers.items():
            question = questions[index]
            key = f"class:{code}:{index}"
            if key not in ids or f"{key}:send" not in ids:
                outcome.problems.append(f"question {index}: no widget ids in the page")
                continue
            # Radio and pills report the chosen options' labels, as the browser shows them.
            choice = WidgetState(id=ids[key][0])
            if question.multi:
                choice.string_array_value.data.extend(question.label(k) for k in keys)
            else:
                choice.string_value = question.label(keys[0])
            send_id, fragment_id = ids[f"{key}:send"]
            click = WidgetState(id=send_id, trigger_value=True)
            drawn: list[Delta] = []
            began = time.perf_counter()
            # As a browser does: the click inside the question's fragment reruns only that.
            result = await student.open(view, timeout_s, [choice, click], drawn, fragment_id)
            outcome.latencies_s.append(time.perf_counter() - began)
            texts = _texts(drawn)
            if result.ok and any(t.startswith(SENT) for t in texts):
                outcome.confirmed.add(index)
            else:
                outcome.problems.append(f"question {index}: {texts or result.exceptions}")
        outcome.finished_at = time.perf_counter()
    finally:
        await student.close()
    return outcome


async def class_answers(
    base_url: str, code: str, students: int, quiz_seed: int, on_start=None
) -> tuple[list[StudentOutcome], float]:
    """`students` join, then answer at the same moment; returns outcomes and the start time.

    `on_start(start_time)` is called (in the event loop's thread) as the answers begin,
    e.g. to start a board poller.
    """
    questions = quiz.make_quiz(quiz_seed)
    start = asyncio.Event()
    joined: list[str] = []
    tasks = [
        asyncio.create_task(answer_everything(base_url, code, n, questions, start, joined))
        for n in range(students)
    ]
    # Everyone has joined (or failed) before anyone answers.
    while len(joined) + sum(1 for t in tasks if t.done()) < students:
        await asyncio.sleep(0.1)
    began = time.perf_counter()
    if on_start is not None:
        on_start(began)
    start.set()
    return list(await asyncio.gather(*tasks)), began


def run_class_answers(
    base_url: str, code: str, students: int, quiz_seed: int, on_start=None
) -> tuple[list[StudentOutcome], float]:
    """:func:`class_answers` from synchronous code (a test, a benchmark's main).

    On a thread of its own: asyncio.run refuses to start where an event loop already
    runs (Playwright's sync API keeps one in a test process).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            asyncio.run, class_answers(base_url, code, students, quiz_seed, on_start)
        ).result()
