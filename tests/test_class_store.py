"""normapp.classroom.store against real databases: a SQLite file and a throwaway PostgreSQL.

Every expected value is computed here, by brute force from the answers the test
sent (and the quiz's own definition, normapp.classroom.quiz.make_quiz), never by the store;
rows are counted with plain SQL.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from normapp.classroom.checks import CODE_ALPHABET, ClassStoreError
from normapp.classroom.database import default_url, engine_options
from normapp.classroom.quiz import Question, make_quiz
from normapp.classroom.store import SESSION_HOURS, ClassStore

SEED = 4242
QUIZ = make_quiz(SEED)
SINGLE = next(i for i, q in enumerate(QUIZ) if not q.multi)
MULTI = next(i for i, q in enumerate(QUIZ) if q.multi)
START = 1_800_000_000.0


def student(n: int) -> str:
    return f"student-{n:012d}"


def enrolled(store: ClassStore, code: str, n: int) -> str:
    """student(n), entered in session `code`'s issued ids with plain SQL (as join would)."""
    ident = {"code": code, "id": student(n)}
    with store.engine.begin() as conn:
        known = conn.execute(
            sa.text("SELECT 1 FROM class_students WHERE code = :code AND student_id = :id"), ident
        ).first()
        if known is None:
            conn.execute(
                sa.text(
                    "INSERT INTO class_students (code, student_id, joined_at, window_start, "
                    "window_count) VALUES (:code, :id, 0, 0, 0)"
                ),
                ident,
            )
    return student(n)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A SQLite file, or a fresh database in the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        yield default_url(tmp_path)
        return
    yield request.getfixturevalue("postgres_database_url")


@pytest.fixture
def engine(database_url) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url, **engine_options(database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine, clock) -> ClassStore:
    return ClassStore(engine, clock=clock)


def count_rows(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def in_option_order(question: Question, keys) -> tuple[str, ...]:
    return tuple(key for key in question.options if key in set(keys))


def random_answer(rng: random.Random, question: Question) -> list[str]:
    if question.multi:
        keys = rng.sample(question.options, rng.randint(1, len(question.options)))
    else:
        keys = [rng.choice(question.options)]
    return keys


def brute_force_tallies(answers: dict[tuple[str, int], list[str]]) -> list[dict]:
    """What the board must show for the final `answers` (student, question) → keys."""
    students = len({who for who, _ in answers})
    expected = []
    for number, question in enumerate(QUIZ):
        given = [keys for (_, q), keys in answers.items() if q == number]
        expected.append(
            {
                "answered": len(given),
                "by_option": {k: sum(k in keys for keys in given) for k in question.options},
                "by_answer": dict(Counter(in_option_order(question, keys) for keys in given)),
                "correct": sum(set(keys) == set(question.answer) for keys in given),
                "students_joined": students,
                "students_answered": students,
            }
        )
    return expected


def as_dicts(tallies) -> list[dict]:
    return [
        {
            "answered": t.answered,
            "by_option": t.by_option,
            "by_answer": t.by_answer,
            "correct": t.correct,
            "students_joined": t.students_joined,
            "students_answered": t.students_answered,
        }
        for t in tallies
    ]


def test_a_session_is_created_and_found_by_its_code_in_any_case(store, clock):
    session = store.create_session(SEED)
    assert re.fullmatch(r"[A-Z]{6}", session.code)
    assert set(session.code) <= set(CODE_ALPHABET) and not set(session.code) & set("IO")
    assert len(session.secret) >= 20
    assert session.quiz_seed == SEED and session.revealed == frozenset()
    assert session.created_at == START
    assert session.expires_at == START + SESSION_HOURS * 3600
    assert store.session(session.code) == session
    spaced = f" {session.code[:3].lower()} {session.code[3:].lower()} "
    assert store.session(spaced) == session
    assert store.lecturer_session(session.code.lower(), session.secret) == session
    assert count_rows(store.engine, "class_sessions") == 1


def test_a_taken_code_is_drawn_again(store):
    first = store.create_session(SEED)
    draws = iter([first.code, first.code, "BCDEFG"])
    store._new_code = lambda: next(draws)
    second = store.create_session(SEED)
    assert second.code == "BCDEFG"
    assert store.session(first.code).secret == first.secret  # the first one is untouched


def test_malformed_unknown_and_ended_codes_say_which(store, clock):
    session = store.create_session(SEED)
    messages = {}
    for malformed in ("ABC", "ABCDE1", "IOIOIO", "X" * 500, "ABCDEFG"):
        with pytest.raises(ClassStoreError, match="is not a class code") as error:
            store.session(malformed)
        assert "X" * 41 not in str(error.value) and "Traceback" not in str(error.value)
    with pytest.raises(ClassStoreError) as error:
        store.session("\\'" * 100)  # escapes must not lengthen what is echoed
    echoed = re.search(r"'(.*)' is not a class code", str(error.value)).group(1)
    assert len(echoed) <= 40
    messages["malformed"] = str(error.value)
    unknown = next(c for c in ("ABCDEF", "ZYXWVU") if c != session.code)
    with pytest.raises(ClassStoreError, match=f"No class session {unknown}: check the code"):
        store.session(unknown)
    messages["unknown"] = f"No class session {unknown}"
    clock.now = session.expires_at
    with pytest.raises(ClassStoreError, match=f"Class session {session.code} has ended") as error:
        store.session(session.code)
    messages["ended"] = str(error.value)
    with pytest.raises(ClassStoreError, match="has ended"):
        store.record_answer(
            session.code, enrolled(store, session.code, 1), SINGLE, [QUIZ[SINGLE].options[0]]
        )
    assert len(set(messages.values())) == 3
    assert count_rows(store.engine, "class_answers") == 0


def test_a_wrong_secret_is_refused(store):
    session = store.create_session(SEED)
    for wrong in ("", "nope", session.secret[:-1], session.secret + "x"):
        with pytest.raises(ClassStoreError, match="not the lecturer's link"):
            store.lecturer_session(session.code, wrong)
        with pytest.raises(ClassStoreError, match="not the lecturer's link"):
            store.tallies(session.code, wrong)
        with pytest.raises(ClassStoreError, match="not the lecturer's link"):
            store.reveal(session.code, wrong, 0)
    assert store.session(session.code).revealed == frozenset()


FORGED = [
    (student(1), -1, ["x"], "no question -1"),
    (student(1), len(QUIZ), ["x"], f"no question {len(QUIZ)}"),
    (student(1), "3", ["x"], "must be a whole number"),
    (student(1), 1.0, ["x"], "must be a whole number"),
    (student(1), True, ["x"], "must be a whole number"),
    (student(1), SINGLE, ["forged-key"], "'forged-key' is not an option of question"),
    (student(1), SINGLE, list(QUIZ[SINGLE].options[:2]), "takes exactly one option, not 2"),
    (student(1), MULTI, [], "is empty"),
    (student(1), MULTI, [QUIZ[MULTI].options[0]] * 2, "chosen twice"),
    (student(1), MULTI, [QUIZ[MULTI].options[0], 7], "7 is not an option|'7' is not an option"),
    (student(1), SINGLE, 7, "is not a list of options"),
    ("short", SINGLE, [QUIZ[SINGLE].options[0]], "student id 'short' is not valid"),
    ("x" * 65, SINGLE, [QUIZ[SINGLE].options[0]], "student id .* is not valid"),
    ("<script>alert(1)</script>", SINGLE, [QUIZ[SINGLE].options[0]], "student id"),
    ("a" * 16 + "/../" + "b", SINGLE, [QUIZ[SINGLE].options[0]], "student id"),
]


@pytest.mark.parametrize(("who", "question", "choice", "problem"), FORGED)
def test_a_forged_answer_is_refused_and_nothing_is_stored(store, who, question, choice, problem):
    session = store.create_session(SEED)
    with pytest.raises(ClassStoreError, match=problem) as error:
        store.record_answer(session.code, who, question, choice)
    assert len(str(error.value)) < 300
    assert count_rows(store.engine, "class_answers") == 0
    assert all(t.answered == 0 for t in store.tallies(session.code, session.secret))


def test_a_changed_answer_counts_once(store):
    session = store.create_session(SEED)
    options = QUIZ[SINGLE].options
    store.record_answer(session.code, enrolled(store, session.code, 1), SINGLE, [options[0]])
    store.record_answer(session.code, enrolled(store, session.code, 1), SINGLE, [options[1]])
    assert count_rows(store.engine, "class_answers") == 1
    tally = store.tallies(session.code, session.secret)[SINGLE]
    assert tally.answered == 1 and tally.by_answer == {(options[1],): 1}
    assert tally.by_option == {k: int(k == options[1]) for k in options}
    assert store.student_answers(session.code, student(1)) == {SINGLE: (options[1],)}


def test_keys_are_stored_in_the_questions_option_order(store):
    session = store.create_session(SEED)
    options = QUIZ[MULTI].options
    store.record_answer(
        session.code, enrolled(store, session.code, 1), MULTI, [options[2], options[0]]
    )
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT choice FROM class_answers").scalar_one()
    assert stored == f"{options[0]},{options[2]}"


def test_a_revealed_question_is_closed_until_reopened(store):
    session = store.create_session(SEED)
    options = QUIZ[SINGLE].options
    store.record_answer(session.code, enrolled(store, session.code, 1), SINGLE, [options[0]])
    after = store.reveal(session.code, session.secret, SINGLE)
    assert after.revealed == frozenset({SINGLE})
    assert store.session(session.code).revealed == frozenset({SINGLE})
    for who in (student(1), student(2)):
        with pytest.raises(ClassStoreError, match=f"{SINGLE}'s answer is revealed; answers are c"):
            store.record_answer(session.code, who, SINGLE, [options[1]])
    assert store.student_answers(session.code, student(1)) == {SINGLE: (options[0],)}
    assert count_rows(store.engine, "class_answers") == 1
    store.record_answer(
        session.code, enrolled(store, session.code, 2), MULTI, [QUIZ[MULTI].options[0]]
    )  # still open
    store.reveal(session.code, session.secret, MULTI)
    assert store.session(session.code).revealed == frozenset({SINGLE, MULTI})
    reopened = store.reveal(session.code, session.secret, SINGLE, revealed=False)
    assert reopened.revealed == frozenset({MULTI})
    store.record_answer(session.code, enrolled(store, session.code, 2), SINGLE, [options[1]])
    assert count_rows(store.engine, "class_answers") == 3


def test_a_student_who_reloads_gets_their_answers_back(store, database_url, clock):
    session = store.create_session(SEED)
    rng = random.Random(5)
    sent = {n: random_answer(rng, q) for n, q in enumerate(QUIZ) if n != SINGLE}
    for number, keys in sent.items():
        store.record_answer(session.code, enrolled(store, session.code, 7), number, keys)
    store.record_answer(
        session.code, enrolled(store, session.code, 8), SINGLE, [QUIZ[SINGLE].options[0]]
    )
    other_engine = sa.create_engine(database_url, **engine_options(database_url))
    try:
        reloaded = ClassStore(other_engine, clock=clock)
        expected = {n: in_option_order(QUIZ[n], keys) for n, keys in sent.items()}
        assert reloaded.student_answers(session.code.lower(), student(7)) == expected
        assert reloaded.student_answers(session.code, student(9)) == {}
    finally:
        other_engine.dispose()


def test_tallies_equal_a_brute_force_count_of_30_students(store):
    session = store.create_session(SEED)
    other = store.create_session(SEED + 1)  # its answers must not count
    rng = random.Random(30)
    final: dict[tuple[str, int], list[str]] = {}
    for n in range(30):
        for number, question in enumerate(QUIZ):
            if rng.random() < 0.2:
                continue  # this student skipped it
            for _ in range(rng.choice([1, 1, 2])):  # some change their mind
                keys = random_answer(rng, question)
                store.record_answer(session.code, enrolled(store, session.code, n), number, keys)
                final[(student(n), number)] = keys
    store.record_answer(
        other.code, enrolled(store, other.code, 99), 0, random_answer(rng, make_quiz(SEED + 1)[0])
    )
    tallies = store.tallies(session.code, session.secret)
    assert len(tallies) == len(QUIZ)
    assert as_dicts(tallies) == brute_force_tallies(final)
    assert count_rows(store.engine, "class_answers") == len(final) + 1


def test_the_schema_is_created_once_and_a_second_store_opens_it(engine, database_url, clock):
    ClassStore(engine, clock=clock)
    ClassStore(engine, clock=clock)
    # Two processes starting at once: stores on separate engines, at the same moment.
    engines = [sa.create_engine(database_url, **engine_options(database_url)) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    failures: list[BaseException] = []

    def open_store(other: sa.Engine) -> None:
        barrier.wait()
        try:
            ClassStore(other, clock=clock)
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=open_store, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in engines:
        other.dispose()
    assert not failures, failures
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version FROM schema_version").scalars().all()
    assert versions == [1, 2]


def test_ended_sessions_and_their_answers_are_purged_by_create_session(store, clock):
    old = store.create_session(SEED)
    store.record_answer(old.code, enrolled(store, old.code, 1), SINGLE, [QUIZ[SINGLE].options[0]])
    clock.now += 3600
    recent = store.create_session(SEED)
    store.record_answer(
        recent.code, enrolled(store, recent.code, 1), SINGLE, [QUIZ[SINGLE].options[0]]
    )
    clock.now = old.expires_at + 1  # the old one ended, the recent one has not
    store.create_session(SEED)
    with store.engine.connect() as conn:
        codes = set(conn.exec_driver_sql("SELECT code FROM class_sessions").scalars())
        answer_codes = set(conn.exec_driver_sql("SELECT code FROM class_answers").scalars())
    assert old.code not in codes and recent.code in codes and len(codes) == 2
    assert answer_codes == {recent.code}
    with pytest.raises(ClassStoreError, match=f"No class session {old.code}"):
        store.session(old.code)


def test_sessions_alive_at_once_are_capped_until_the_oldest_ends(engine, clock):
    capped = ClassStore(engine, clock=clock, max_sessions=3)
    first = capped.create_session(SEED)
    clock.now += 60
    capped.create_session(SEED)
    capped.create_session(SEED)
    with pytest.raises(ClassStoreError, match="already holds 3 class sessions"):
        capped.create_session(SEED)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM class_sessions").scalar_one() == 3
    clock.now = first.expires_at  # the oldest ends: room for one more
    capped.create_session(SEED)
    with pytest.raises(ClassStoreError, match="already holds 3 class sessions"):
        capped.create_session(SEED)


@pytest.mark.slow
def test_a_class_of_100_answering_at_once_loses_nothing(store):
    session = store.create_session(SEED)
    rng = random.Random(100)
    sent = {(student(n), q): random_answer(rng, QUIZ[q]) for n in range(100) for q in range(6)}
    ids = [enrolled(store, session.code, n) for n in range(100)]
    barrier = threading.Barrier(100)
    failures: list[BaseException] = []

    def answer_all(n: int) -> None:
        barrier.wait()
        try:
            for number in range(len(QUIZ)):
                store.record_answer(session.code, ids[n], number, sent[(student(n), number)])
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=answer_all, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    assert count_rows(store.engine, "class_answers") == 600
    assert as_dicts(store.tallies(session.code, session.secret)) == brute_force_tallies(sent)


def test_the_default_database_is_a_wal_sqlite_file_in_the_data_directory(tmp_path):
    data_dir = tmp_path / "fresh" / ".data"  # not there yet, as on a fresh checkout
    url = default_url(data_dir)
    assert url == f"sqlite:///{data_dir}/class_quiz.sqlite"
    options = engine_options(url)
    assert options["connect_args"]["check_same_thread"] is False
    assert options["connect_args"]["timeout"] >= 30
    engine = sa.create_engine(url, **options)
    try:
        ClassStore(engine)
        assert (data_dir / "class_quiz.sqlite").exists()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_postgresql_engines_check_their_connections_and_pool_for_a_class():
    options = engine_options("postgresql+psycopg://quiz@db.example/quiz")
    assert options["pool_pre_ping"] is True
    assert options["pool_size"] + options["max_overflow"] >= 20


@pytest.mark.slow
def test_an_answer_racing_a_reveal_waits_for_it_and_is_refused(store, engine):
    session = store.create_session(SEED)
    outcome: dict[str, BaseException] = {}

    def answer() -> None:
        try:
            store.record_answer(
                session.code, enrolled(store, session.code, 1), SINGLE, [QUIZ[SINGLE].options[0]]
            )
        except BaseException as error:  # looked at below
            outcome["error"] = error

    with engine.connect() as lecturer:
        # The lecturer's reveal, written but not yet committed when the answer comes in.
        lecturer.execute(
            sa.text("UPDATE class_sessions SET revealed = :mask WHERE code = :code"),
            {"mask": 1 << SINGLE, "code": session.code},
        )
        racing = threading.Thread(target=answer)
        racing.start()
        racing.join(1.0)
        assert racing.is_alive(), outcome  # it saw the question open and waits to write
        lecturer.commit()
    racing.join(60)
    assert isinstance(outcome.get("error"), ClassStoreError), outcome
    assert f"{SINGLE}'s answer is revealed" in str(outcome["error"])
    assert count_rows(store.engine, "class_answers") == 0


@pytest.mark.parametrize("seed", [-1, 1_000_000, "7", 2.0, None])
def test_a_session_needs_a_quiz_seed_the_quiz_page_offers(store, seed):
    with pytest.raises(ClassStoreError, match="quiz seed must be a whole number from 0 to"):
        store.create_session(seed)
    assert count_rows(store.engine, "class_sessions") == 0


# ----------------------------------------- one student, one vote: ids the session issued
def test_forged_student_ids_are_refused_and_the_tally_does_not_move(store):
    """Issue 24.3: any 22-character `me=` counted as another student. Only ids the session
    issued (join) count; forged ones, and another session's, change nothing."""
    session = store.create_session(SEED)
    other = store.create_session(SEED + 1)
    option = QUIZ[SINGLE].options[0]
    real = store.join(session.code)
    store.record_answer(session.code, real, SINGLE, [option])
    before = as_dicts(store.tallies(session.code, session.secret))
    foreign = store.join(other.code)
    for forged in (
        "Z" * 22,
        "Y" * 22,
        student(5),
        foreign,
        real[:-1] + ("A" if real[-1] != "A" else "B"),
    ):
        with pytest.raises(ClassStoreError, match="was not issued by class session"):
            store.record_answer(session.code, forged, SINGLE, [option])
        assert not store.is_student(session.code, forged)
    assert as_dicts(store.tallies(session.code, session.secret)) == before
    assert before[SINGLE]["answered"] == 1 and before[SINGLE]["students_joined"] == 1
    assert count_rows(store.engine, "class_answers") == 1
    assert store.is_student(session.code, real) and store.is_student(other.code, foreign)
    assert not store.is_student(session.code, "<script>") and not store.is_student(session.code, 7)


def test_joined_and_answered_are_counted_apart(store):
    session = store.create_session(SEED)
    ids = [store.join(session.code) for _ in range(5)]
    assert len(set(ids)) == 5 and all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids)
    store.record_answer(session.code, ids[0], SINGLE, [QUIZ[SINGLE].options[0]])
    store.record_answer(session.code, ids[1], MULTI, [QUIZ[MULTI].options[0]])
    tallies = store.tallies(session.code, session.secret)
    assert {(t.students_joined, t.students_answered) for t in tallies} == {(5, 2)}
    assert count_rows(store.engine, "class_students") == 5


def test_answers_are_rate_limited_per_student(store, clock):
    from normapp.classroom.store import ANSWER_WINDOW_S, ANSWERS_PER_WINDOW

    session = store.create_session(SEED)
    fast, calm = store.join(session.code), store.join(session.code)
    options = QUIZ[SINGLE].options
    for i in range(ANSWERS_PER_WINDOW):
        store.record_answer(session.code, fast, SINGLE, [options[i % 2]])
    with pytest.raises(ClassStoreError, match="Too many answers"):
        store.record_answer(session.code, fast, SINGLE, [options[0]])
    assert store.student_answers(session.code, fast) == {SINGLE: (options[1],)}  # kept
    store.record_answer(session.code, calm, SINGLE, [options[0]])  # others are not held
    clock.now += ANSWER_WINDOW_S
    store.record_answer(session.code, fast, SINGLE, [options[0]])  # a new window
    assert store.student_answers(session.code, fast) == {SINGLE: (options[0],)}


def test_a_session_issues_a_bounded_number_of_ids(engine, clock, monkeypatch):
    from normapp.classroom import store as class_store

    monkeypatch.setattr(class_store, "MAX_STUDENTS", 3)
    store = ClassStore(engine, clock=clock)
    session = store.create_session(SEED)
    for _ in range(3):
        store.join(session.code)
    with pytest.raises(ClassStoreError, match="already has 3 students, its limit"):
        store.join(session.code)
    assert count_rows(store.engine, "class_students") == 3
