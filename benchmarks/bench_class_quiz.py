"""A class of 100 answering the live quiz at once: against the class store, then the app.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_class_quiz.py``).
normapp.classroom.store is measured on a SQLite file (the app's default) and on a
temporary PostgreSQL cluster (tests/support/postgres.py, PostgreSQL's default
durability: fsync on).

Each student is a separate process (multiprocessing, forked after the quiz is
built, so no process pays for the imports), with its own engine and ClassStore
as a replica of the app would have: threads would share one GIL and one
connection pool and measure those rather than the database. All wait at a
barrier, then each answers every question of one class session as fast as it
can. Meanwhile the lecturer's board, in the parent, calls ``tallies`` every
0.25 s.

Then the same class through the app's own server (`streamlit run app.py`
with the store's URL): 100 websocket students (tests/support/class_quiz_load.py) open
their quiz link, then at one moment each sends every answer as a browser reports a
click (the question's fragment reruns); an answer counts only when its redraw says
"Sent.", and the board polls the database as above.

Printed per store: answers sent, rows stored, answers lost (sent but not stored
as sent), rows duplicated (more than one per student and question), answers/s
(answers stored over the time from the barrier to the last student's last
answer), p50/p95 latency of one answer, and the time from the barrier until the
board first shows every answer. Exit status 1 when an answer is lost or
duplicated, an answer is refused, or the board never shows them all.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from normapp.classroom.database import default_url, engine_options  # noqa: E402
from normapp.classroom.quiz import make_quiz  # noqa: E402
from normapp.classroom.store import ClassStore  # noqa: E402
from tests.support.class_quiz_load import run_class_answers  # noqa: E402
from tests.support.classroom import StreamlitServer  # noqa: E402
from tests.support.postgres import PostgresUnavailableError, temporary_postgres  # noqa: E402

STUDENTS = 100
QUIZ_SEED = 2024
BOARD_PERIOD_S = 0.25
BOARD_GIVES_UP_S = 120.0


@dataclass
class StudentReport:
    student_id: str
    latencies_s: list[float]
    errors: list[str]
    finished_at: float  # time.monotonic(), the same clock in every process on Linux


def _student(url, code, student_id, answers, start, reports) -> None:
    engine = sa.create_engine(url, **engine_options(url))
    store = ClassStore(engine)
    store.session(code)  # connected and warm before the start, as a student with the page open
    latencies, errors = [], []
    start.wait()
    for number, keys in answers:
        began = time.monotonic()
        try:
            store.record_answer(code, student_id, number, keys)
        except Exception as error:  # counted and reported: a refused answer is a failure
            errors.append(repr(error)[:200])
        latencies.append(time.monotonic() - began)
    reports.put(StudentReport(student_id, latencies, errors, time.monotonic()))
    engine.dispose()


def _board(store: ClassStore, code: str, secret: str, expected: int, seen: dict) -> None:
    """Poll the tallies as the lecturer's page would; note when all answers show."""
    deadline = time.monotonic() + BOARD_GIVES_UP_S
    polls = 0
    while time.monotonic() < deadline:
        shown = sum(tally.answered for tally in store.tallies(code, secret))
        polls += 1
        if shown == expected:
            seen["all_at"] = time.monotonic()
            break
        time.sleep(BOARD_PERIOD_S)
    seen["polls"] = polls


@dataclass
class Measured:
    """One class's answers: what was sent and stored, and how long it took."""

    sent: dict[tuple[str, int], str]  # (student, question) -> the choice, canonical
    rows: list  # (student, question, choice) rows in the database
    problems: list[str]
    latencies_s: list[float]
    elapsed_s: float
    board_s: float | None  # from the start until the board showed every answer
    polls: int

    @property
    def stored(self) -> dict[tuple[str, int], str]:
        return {(student, question): choice for student, question, choice in self.rows}

    @property
    def lost(self) -> int:
        """Answers sent but not stored as sent."""
        stored = self.stored
        return sum(stored.get(key) != choice for key, choice in self.sent.items())

    @property
    def duplicated(self) -> int:
        """Rows beyond one per student and question."""
        return len(self.rows) - len(self.stored)


def _stored_rows(engine: sa.Engine, code: str) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT student_id, question, choice FROM class_answers WHERE code = :c"),
                {"c": code},
            ).all()
        )


def _report(title: str, m: Measured, problems_label: str, extra: Sequence[str] = ()) -> bool:
    """Print one class's figures; True when nothing was lost, doubled or refused."""
    questions = len(make_quiz(QUIZ_SEED))
    print(title)
    print(f"  answers sent        {len(m.sent)} ({STUDENTS} students x {questions} questions)")
    for line in extra[:1]:
        print(f"  {line}")
    print(f"  rows stored         {len(m.rows)}")
    print(f"  lost                {m.lost}")
    print(f"  duplicated          {m.duplicated}")
    label = f"{problems_label:<19}"
    print(f"  {label} {len(m.problems)}" + (f": {m.problems[0]}" if m.problems else ""))
    if m.latencies_s:
        latencies = sorted(m.latencies_s)
        print(
            f"  answers/s           {len(m.sent) / m.elapsed_s:.0f} ({m.elapsed_s:.2f} s for all)"
        )
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
        print(f"  latency per answer  p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    board_text = f"{m.board_s:.2f} s" if m.board_s is not None else "never"
    print(f"  board shows all     {board_text} after the start ({m.polls} polls)")
    for line in extra[1:]:
        print(f"  {line}")
    return m.lost == 0 and m.duplicated == 0 and not m.problems and m.board_s is not None


def run_class(name: str, url: str) -> bool:
    quiz = make_quiz(QUIZ_SEED)
    engine = sa.create_engine(url, **engine_options(url))
    store = ClassStore(engine)
    session = store.create_session(QUIZ_SEED)
    rng = random.Random(QUIZ_SEED)
    sent: dict[tuple[str, int], str] = {}
    plans = []
    for _ in range(STUDENTS):
        student_id = store.join(session.code)  # issued by the session, as the page does
        answers = []
        for number, question in enumerate(quiz):
            size = rng.randint(1, len(question.options)) if question.multi else 1
            keys = rng.sample(question.options, size)
            answers.append((number, keys))
            sent[(student_id, number)] = ",".join(k for k in question.options if k in keys)
        plans.append((student_id, answers))
    engine.dispose()  # no pooled connection crosses the fork

    context = multiprocessing.get_context("fork")
    start = context.Barrier(STUDENTS + 1)
    reports = context.Queue()
    processes = [
        context.Process(
            target=_student, args=(url, session.code, student_id, answers, start, reports)
        )
        for student_id, answers in plans
    ]
    for process in processes:
        process.start()
    seen: dict = {}
    board = threading.Thread(
        target=_board, args=(store, session.code, session.secret, len(sent), seen)
    )
    board.start()
    start.wait()
    started_at = time.monotonic()
    finished = [reports.get(timeout=300) for _ in processes]
    for process in processes:
        process.join()
    board.join()

    rows = _stored_rows(engine, session.code)
    engine.dispose()
    elapsed = max(report.finished_at for report in finished) - started_at
    return _report(
        f"{name}:",
        Measured(
            sent=sent,
            rows=rows,
            problems=[error for report in finished for error in report.errors],
            latencies_s=[s for report in finished for s in report.latencies_s],
            elapsed_s=elapsed,
            board_s=seen["all_at"] - started_at if "all_at" in seen else None,
            polls=seen.get("polls", 0),
        ),
        "refused (errors)",
    )


def run_class_through_app(name: str, url: str, env: dict[str, str]) -> bool:
    """The same class through the app's own server: websocket students clicking Send."""
    engine = sa.create_engine(url, **engine_options(url))
    store = ClassStore(engine)
    session = store.create_session(QUIZ_SEED)
    log = ROOT / "test-artifacts" / "bench-class-quiz-server.log"
    seen: dict = {}
    board_threads: list[threading.Thread] = []

    def start_board(_: float) -> None:
        seen["started_at"] = time.monotonic()
        board = threading.Thread(
            target=_board,
            args=(store, session.code, session.secret, STUDENTS * len(make_quiz(QUIZ_SEED)), seen),
        )
        board.start()
        board_threads.append(board)

    with StreamlitServer(ROOT / "app.py", log, env=env) as server:
        server.wait_until_healthy()
        joined_at = time.monotonic()
        outcomes, began = run_class_answers(
            server.url, session.code, STUDENTS, QUIZ_SEED, on_start=start_board
        )
        rss = server.rss_mb()
    for board in board_threads:
        board.join()
    rows = _stored_rows(engine, session.code)
    engine.dispose()
    questions = make_quiz(QUIZ_SEED)
    sent = {
        (o.student_id, number): ",".join(k for k in questions[number].options if k in keys)
        for o in outcomes
        for number, keys in o.answers.items()
    }
    confirmed = sum(len(o.confirmed) for o in outcomes)
    started_at = seen.get("started_at", joined_at)
    # The students' clocks are perf_counter: their last answer, measured from the start line.
    elapsed = max((o.finished_at for o in outcomes), default=began) - began
    measured = Measured(
        sent=sent,
        rows=rows,
        problems=[p for o in outcomes for p in o.problems],
        latencies_s=[s for o in outcomes for s in o.latencies_s],
        elapsed_s=elapsed,
        board_s=seen["all_at"] - started_at if "all_at" in seen else None,
        polls=seen.get("polls", 0),
    )
    ok = _report(
        f"{name}, through the app (one Streamlit process, websocket students):",
        measured,
        "problems",
        [f"'Sent.' shown       {confirmed}", f"server RSS          {rss:.0f} MB"],
    )
    return ok and confirmed == len(sent)


def main() -> int:
    make_quiz(QUIZ_SEED)  # built once here; the forked students inherit it
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-class-quiz-") as data_dir:
        ok &= run_class("SQLite (file, WAL)", default_url(Path(data_dir)))
    with tempfile.TemporaryDirectory(prefix="bench-class-quiz-app-") as data_dir:
        ok &= run_class_through_app(
            "SQLite", default_url(Path(data_dir)), {"NORMAPP_DATA_DIR": data_dir}
        )
    try:
        with temporary_postgres() as url:
            ok &= run_class("PostgreSQL (temporary cluster)", url)
            ok &= run_class_through_app("PostgreSQL", url, {"NORMAPP_CLASS_DB": url})
    except PostgresUnavailableError as error:
        print(f"PostgreSQL: not measured: {error}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
