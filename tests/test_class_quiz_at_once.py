"""A class answering the live quiz at once, through the app's own server and protocol.

Thirty students (websocket sessions speaking Streamlit's protocol,
tests/support/class_quiz_load.py) join one class session, then send every answer in the
same moment, each as a browser reports a click on Send. On SQLite (the app's
default) and on a real PostgreSQL: every answer is confirmed on the student's page
and stored exactly once, and the board's tallies equal the test's own count of
what was sent. bench_class_quiz.py runs the same with 100 students and times it.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from normapp.classroom import quiz
from normapp.classroom.database import default_url, engine_options
from normapp.classroom.store import ClassStore
from tests.conftest import Server, serve_apps
from tests.support.class_quiz_load import run_class_answers

pytestmark = pytest.mark.server

STUDENTS = 30
SEED = 77
QUESTIONS = quiz.make_quiz(SEED)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_and_env(request, tmp_path):
    if request.param == "sqlite":
        url = default_url(tmp_path)
        env = {"NORMAPP_DATA_DIR": str(tmp_path)}
    else:
        url = request.getfixturevalue("postgres_database_url")
        env = {"NORMAPP_CLASS_DB": url}
    engine = sa.create_engine(url, **engine_options(url))
    yield ClassStore(engine), engine, env
    engine.dispose()


@pytest.mark.timeout(900)
def test_a_class_answering_at_once_through_the_app_loses_nothing(store_and_env):
    store, engine, env = store_and_env
    session = store.create_session(SEED)
    with serve_apps({"class-at-once": Server("class-quiz-at-once", env=env)}) as urls:
        outcomes, _ = run_class_answers(urls["class-at-once"], session.code, STUDENTS, SEED)
    assert [p for o in outcomes for p in o.problems] == []
    assert all(o.confirmed == set(range(len(QUESTIONS))) for o in outcomes)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT student_id, question, choice FROM class_answers WHERE code = :c"),
            {"c": session.code},
        ).all()
    sent = {
        (o.student_id, index): ",".join(k for k in QUESTIONS[index].options if k in keys)
        for o in outcomes
        for index, keys in o.answers.items()
    }
    assert len(rows) == len(sent) == STUDENTS * len(QUESTIONS)  # nothing twice
    assert {(s, q): c for s, q, c in rows} == sent  # nothing lost or changed
    for index, tally in enumerate(store.tallies(session.code, session.secret)):
        chosen = Counter(k for o in outcomes for k in o.answers[index])
        assert tally.answered == STUDENTS
        assert tally.by_option == {k: chosen[k] for k in QUESTIONS[index].options}
