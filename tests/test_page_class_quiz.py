"""A live class quiz through AppTest: a lecturer's board and students' pages on one store.

Every expected count is the test's own tally of what its students sent; the
store is the real one (SQLite in a temporary data directory, the app's default).
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

import normlib
from normapp.classroom import checks, database, quiz, store
from tests import conftest

PAGE = "pages/quiz.py"
SEED = 1  # the default quiz: a session started from the Quiz page as opened uses it
QUESTIONS = quiz.make_quiz(SEED)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Each test its own SQLite database (the app's default store, in NORMAPP_DATA_DIR)."""
    monkeypatch.delenv("NORMAPP_CLASS_DB", raising=False)
    monkeypatch.setenv("NORMAPP_DATA_DIR", str(tmp_path))
    return tmp_path


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def start_session() -> tuple[AppTest, str, str]:
    board = conftest.open_page(PAGE)
    board.button(key="class:start").click().run()
    no_exception(board)
    code, secret = param(board, "class"), param(board, "key")
    assert code is not None and secret is not None
    return board, code, secret


def join(code: str, me: str | None = None) -> tuple[AppTest, str]:
    query = {"class": code} if me is None else {"class": code, "me": me}
    student = no_exception(conftest.open_page(PAGE, query))
    student_id = param(student, "me")
    assert student_id is not None
    return student, student_id


def send(student: AppTest, code: str, index: int, response: str | list[str]) -> None:
    key = f"class:{code}:{index}"
    widget = student.button_group(key=key) if QUESTIONS[index].multi else student.radio(key=key)
    widget.set_value(response)
    student.button(key=f"{key}:send").click().run()
    no_exception(student)


def board_counts(board: AppTest) -> dict[int, int]:
    """{question index: answered} as the board writes it ("**Question 3** · 2 of 4 answered")."""
    counts = {}
    for block in board.markdown:
        match = re.match(r"\*\*Question (\d+)\*\* · (\d+) of (\d+) answered", block.value)
        if match:
            counts[int(match[1]) - 1] = int(match[2])
    return counts


@pytest.mark.slow
def test_starting_a_session_gives_a_code_a_secret_link_and_a_board():
    board, code, secret = start_session()
    assert re.fullmatch(f"[{checks.CODE_ALPHABET}]{{6}}", code)
    assert len(secret) >= 16 and secret != code
    assert param(board, "quiz") is None  # the session knows its quiz number
    assert [t.value for t in board.title] == [f"Class quiz · {code} · board"]
    assert any(f"quiz?class={code}" in c.value for c in board.code)  # the students' link
    assert len(board.get("image")) == 1  # the QR code
    assert board_counts(board) == dict.fromkeys(range(len(QUESTIONS)), 0)


@pytest.mark.slow
def test_students_answers_reach_the_board_exactly():
    board, code, _ = start_session()
    rng = __import__("random").Random(5)
    sent: dict[int, Counter] = {i: Counter() for i in range(len(QUESTIONS))}
    for _ in range(4):
        student, _ = join(code)
        for index, question in enumerate(QUESTIONS):
            if rng.random() < 0.25:
                continue  # not every student answers everything
            if question.multi:
                chosen = sorted(rng.sample(question.options, rng.randint(1, 2)))
                send(student, code, index, chosen)
            else:
                chosen = [rng.choice(question.options)]
                send(student, code, index, chosen[0])
            sent[index][tuple(chosen)] += 1
    board.run()
    no_exception(board)
    assert board_counts(board) == {i: sum(c.values()) for i, c in sent.items()}
    students = {m.label: m.value for m in board.metric}
    assert students["Students who answered"] == "4"
    assert students["Answers"] == str(sum(sum(c.values()) for c in sent.values()))


@pytest.mark.slow
def test_each_student_sees_every_option_in_an_order_of_their_own():
    _, code, _ = start_session()
    orders = []
    for _ in range(3):
        student, _ = join(code)
        radios = [r for r in student.radio if r.key.startswith(f"class:{code}:")]
        assert len(radios) == sum(1 for q in QUESTIONS if not q.multi)
        for radio in radios:
            index = int(radio.key.split(":")[-1])
            assert sorted(radio.options) == sorted(QUESTIONS[index].labels)
        orders.append([tuple(r.options) for r in radios])
    assert len(set(map(tuple, orders))) > 1  # three students, not all the same order


@pytest.mark.slow
def test_a_reload_keeps_the_answers_and_a_change_counts_once():
    board, code, _ = start_session()
    student, me = join(code)
    single = next(i for i, q in enumerate(QUESTIONS) if not q.multi)
    first, second = QUESTIONS[single].options[:2]
    send(student, code, single, first)
    send(student, code, single, second)
    reloaded, same = join(code, me)
    assert same == me
    assert reloaded.radio(key=f"class:{code}:{single}").value == second
    board.run()
    assert board_counts(board)[single] == 1


@pytest.mark.slow
def test_reveal_closes_a_question_and_grades_each_student():
    board, code, _ = start_session()
    single = next(i for i, q in enumerate(QUESTIONS) if not q.multi)
    (right,) = QUESTIONS[single].answer
    wrong = next(k for k in QUESTIONS[single].options if k != right)
    good, _ = join(code)
    bad, _ = join(code)
    send(good, code, single, right)
    send(bad, code, single, wrong)
    board.button(key=f"board:reveal:{single}").click().run()
    no_exception(board)
    assert any(
        s.value.startswith("**Answer: ") and "1 of 2 right" in s.value for s in board.success
    )
    for student, verdict in ((good, "Correct."), (bad, "Not quite")):
        student.run()
        no_exception(student)
        assert student.radio(key=f"class:{code}:{single}").disabled
        assert f"class:{code}:{single}:send" not in [b.key for b in student.button]
        assert any(m.value.startswith(verdict) for m in [*student.success, *student.error])


@pytest.mark.slow
def test_joining_by_typed_code_in_any_case():
    _, code, _ = start_session()
    at = conftest.open_page(PAGE)
    at.text_input(key="class:code").input(f" {code.lower()} ")
    submit = next(b for b in at.button if b.proto.label == "Join")
    submit.click().run()
    no_exception(at)
    assert param(at, "class") == code
    assert [t.value for t in at.title] == [f"Class quiz · {code}"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"class": "QQQQQQ"}, "No class session QQQQQQ"),
        ({"class": "**[x](javascript:alert(1))**"}, "is not a class code"),
    ],
)
def test_bad_codes_are_refused_with_a_message_shown_literally(query, says):
    at = no_exception(conftest.open_page(PAGE, query))
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and says in conftest.shown(messages[0]).replace("\\", "")
    assert "](" not in messages[0].replace("\\]\\(", "")  # no Markdown link survives


@pytest.mark.slow
def test_the_board_needs_the_secret():
    _, code, secret = start_session()
    at = no_exception(conftest.open_page(PAGE, {"class": code, "key": secret[::-1]}))
    assert any("not the lecturer" in e.value for e in at.error)
    assert not board_counts(at)


@pytest.mark.slow
def test_a_forged_student_id_starts_a_new_student_with_a_message():
    _, code, _ = start_session()
    at, me = join(code, "<script>x</script>")
    assert me != "<script>x</script>" and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", me)
    assert any("is not a student id" in w.value for w in at.warning)


@pytest.mark.slow
def test_a_well_formed_forged_id_counts_for_nobody(data_dir):
    """Issue 24.3: `me=ZZZZZZZZZZZZZZZZZZZZZZ` (any 22 characters) was a new student. The
    page now refuses an id the session did not issue, and the answer is stored under the
    id the session issued to this browser, never the forged one."""
    board, code, _ = start_session()
    forged = "Z" * 22
    at, me = join(code, forged)
    assert me != forged and any("counts for nobody" in w.value for w in at.warning)
    send(
        at,
        code,
        0,
        QUESTIONS[0].options[0] if not QUESTIONS[0].multi else [QUESTIONS[0].options[0]],
    )
    engine = sa.create_engine(database.default_url(data_dir))
    with engine.connect() as conn:
        ids = conn.exec_driver_sql("SELECT student_id FROM class_answers").scalars().all()
        issued = conn.exec_driver_sql("SELECT student_id FROM class_students").scalars().all()
    engine.dispose()
    assert ids == [me] and issued == [me]
    again = no_exception(conftest.open_page(PAGE, {"class": code, "me": me}))  # a reload
    assert param(again, "me") == me and not again.warning
    board.run()
    metrics = {m.label: m.value for m in board.metric}
    assert metrics["Students joined"] == "1" and metrics["Students who answered"] == "1"


@pytest.mark.slow
def test_an_unreachable_database_is_a_message_and_the_quiz_still_works(monkeypatch):
    monkeypatch.setenv("NORMAPP_CLASS_DB", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    at = conftest.open_page(PAGE)
    at.button(key="class:start").click().run()
    no_exception(at)
    assert any("database cannot be reached" in e.value for e in at.error)
    assert param(at, "class") is None
    assert at.radio  # the solo quiz is still there


@pytest.mark.slow
def test_a_full_server_refuses_a_new_session_with_a_message(data_dir):
    # The store's cap, reached by sessions written straight into the app's database.
    url = database.default_url(data_dir)
    engine = sa.create_engine(url, **database.engine_options(url))
    store.ClassStore(engine)  # the schema
    now = time.time()
    rows = [
        {
            "code": f"A{n:05d}",
            "secret": "s" * 22,
            "quiz_seed": 1,
            "created_at": now,
            "expires_at": now + 3600,
            "revealed": 0,
        }
        for n in range(store.MAX_ACTIVE_SESSIONS)
    ]
    with engine.begin() as conn:
        conn.execute(database.class_sessions.insert(), rows)
    engine.dispose()
    at = conftest.open_page(PAGE)
    at.button(key="class:start").click().run()
    no_exception(at)
    assert param(at, "class") is None
    assert any("already holds" in conftest.shown(e.value).replace("\\", "") for e in at.error)


@pytest.mark.parametrize("index", range(len(QUESTIONS)))
def test_each_explanation_links_to_a_view_that_shows_the_answer(index):
    question = QUESTIONS[index]
    page, query = quiz.explorer_view(question)
    if page == "train-eval":
        assert question.kind == "train_eval"
        return
    at = conftest.open_page(f"pages/{page}.py", query)
    # What the Explorer computes from the link, against the answer's axes from normlib.
    shown_axes = "".join(at.button_group(key="axes").value)
    if question.kind == "keras":
        assert set(shown_axes) == set(question.answer)
    elif question.kind == "count":
        assert shown_axes == normlib.METHODS["batchnorm"].axes
    else:
        (answer,) = question.answer
        assert shown_axes == quiz.set_option_spec(answer).axes
        assert tuple(int(v) for v in query["pick"].split(",")) == question.element
    assert not at.warning, [w.value for w in at.warning]  # nothing in the link was refused
