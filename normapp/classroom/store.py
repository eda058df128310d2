"""The store of a live class quiz (no Streamlit, so the tests call it directly).

A lecturer creates a class session (a 6-letter code and a secret); students join
with the code and answer the seeded quiz (normapp.classroom.quiz.make_quiz) on their own
devices; the lecturer's board reads the tallies and reveals answers question by
question. Everything a student sends is checked here, server-side, against the
session's quiz: the page's widgets are not trusted.

Its parts: normapp/classroom/database.py (opening the database, the tables, their
migrations), checks.py (what is sent, checked; ClassStoreError), tally.py (the board's
counts). A ClassStore checks the schema when it is made: make one per engine
(st.cache_resource), not one per script run.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from normapp.classroom.checks import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ClassStoreError,
    answers_closed,
    canonical_choice,
    check_question_index,
    check_quiz_seed,
    check_student_id,
    echo,
    is_student_id,
    normalize_code,
)
from normapp.classroom.database import (
    class_answers,
    class_sessions,
    class_students,
    migrate,
    students_joined,
    upsert_answer,
)
from normapp.classroom.quiz import Question, make_quiz
from normapp.classroom.tally import QuestionTally, read_tallies

SESSION_HOURS = 12
# Tries at a fresh code before giving up: 24**6 (191 million) codes make even two rare.
CODE_TRIES = 20
# Sessions alive at once: far more than the lecturers one server serves in 12 hours, and a
# bound on what pressing "Start a class session" over and over can make the database hold.
MAX_ACTIVE_SESSIONS = 1000
# Students one session issues ids to: a bound on what reloading a join link can make it hold.
MAX_STUDENTS = 2000
# A student's answers (sends, changes included) per window: a class answers a question in
# seconds, a script sending in a loop is held to this.
ANSWERS_PER_WINDOW = 30
ANSWER_WINDOW_S = 60.0


@dataclass(frozen=True)
class ClassSession:
    code: str
    secret: str
    quiz_seed: int
    created_at: float  # unix seconds
    expires_at: float  # unix seconds
    revealed: frozenset[int]  # question indices whose right answer the lecturer revealed


@functools.lru_cache(maxsize=64)
def _quiz(seed: int) -> tuple[Question, ...]:
    # make_quiz builds normlib specs and arrays: cached, as every answer is checked against it.
    return make_quiz(seed)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _revealed_set(mask: int, questions: int) -> frozenset[int]:
    return frozenset(i for i in range(questions) if mask >> i & 1)


class ClassStore:
    """Class sessions and their answers in one database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        max_sessions: int = MAX_ACTIVE_SESSIONS,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.max_sessions = max_sessions
        self._dialect = engine.dialect.name
        self._new_code = _new_code
        migrate(engine, clock)

    # -- sessions -------------------------------------------------------------------------

    def _purge_expired(self, conn: Connection, now: float) -> None:
        expired = sa.select(class_sessions.c.code).where(class_sessions.c.expires_at <= now)
        conn.execute(class_answers.delete().where(class_answers.c.code.in_(expired)))
        conn.execute(class_students.delete().where(class_students.c.code.in_(expired)))
        conn.execute(class_sessions.delete().where(class_sessions.c.expires_at <= now))

    def create_session(self, quiz_seed: int) -> ClassSession:
        """A new session of the quiz of `quiz_seed`; expired sessions and answers go."""
        check_quiz_seed(quiz_seed)
        now = self.clock()
        with self.engine.begin() as conn:
            self._purge_expired(conn, now)
            active = conn.execute(
                sa.select(sa.func.count()).select_from(class_sessions)
            ).scalar_one()
        if active >= self.max_sessions:
            raise ClassStoreError(
                f"This server already holds {active} class sessions, its limit: a new one can "
                "start when the oldest ends (12 hours after it started). Use a session already "
                "running, or ask the administrator."
            )
        secret = secrets.token_urlsafe(16)
        session = None
        for _ in range(CODE_TRIES):
            session = ClassSession(
                code=self._new_code(),
                secret=secret,
                quiz_seed=quiz_seed,
                created_at=now,
                expires_at=now + SESSION_HOURS * 3600,
                revealed=frozenset(),
            )
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        class_sessions.insert().values(
                            code=session.code,
                            secret=session.secret,
                            quiz_seed=session.quiz_seed,
                            created_at=session.created_at,
                            expires_at=session.expires_at,
                            revealed=0,
                        )
                    )
            except sa.exc.IntegrityError:
                continue  # the code is taken: draw another
            return session
        raise ClassStoreError(
            f"No free class code after {CODE_TRIES} tries: try again in a moment."
        )

    def _read_session(self, conn: Connection, code: str, lock: bool = False) -> ClassSession:
        query = sa.select(class_sessions).where(class_sessions.c.code == code)
        if lock:
            # PostgreSQL: a reveal (an UPDATE of this row) waits for this transaction, and
            # this one for a reveal under way. SQLite ignores it: there a writer already
            # holds the database's one write lock.
            query = query.with_for_update(read=True)
        row = conn.execute(query).mappings().first()
        if row is None:
            raise ClassStoreError(
                f"No class session {code}: check the code ({CODE_LENGTH} letters) "
                "or ask the lecturer for a new link."
            )
        session = ClassSession(
            code=row["code"],
            secret=row["secret"],
            quiz_seed=row["quiz_seed"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revealed=_revealed_set(row["revealed"], len(_quiz(row["quiz_seed"]))),
        )
        if self.clock() >= session.expires_at:
            raise ClassStoreError(
                f"Class session {code} has ended (sessions last {SESSION_HOURS} hours): "
                "ask the lecturer for a new link."
            )
        return session

    def session(self, code: str) -> ClassSession:
        """The live session of `code` (any case, spaces allowed)."""
        normalized = normalize_code(code)
        with self.engine.connect() as conn:
            return self._read_session(conn, normalized)

    def lecturer_session(self, code: str, secret: str) -> ClassSession:
        """The session of `code` for its lecturer: `secret` must be the session's."""
        session = self.session(code)
        if not isinstance(secret, str) or not hmac.compare_digest(
            secret.encode(), session.secret.encode()
        ):
            raise ClassStoreError(
                f"This is not the lecturer's link of class session {session.code}: "
                "open the link you got when you started it, or start a new session."
            )
        return session

    # -- students -------------------------------------------------------------------------

    def join(self, code: str) -> str:
        """Issue a new student id in session `code` (random, 128 bits; it names nobody)."""
        session = self.session(code)
        student_id = secrets.token_urlsafe(16)
        with self.engine.begin() as conn:
            joined = conn.execute(students_joined(session.code)).scalar_one()
            if joined >= MAX_STUDENTS:
                raise ClassStoreError(
                    f"Class session {session.code} already has {joined:,} students, its "
                    "limit: ask the lecturer to start another session."
                )
            conn.execute(
                class_students.insert().values(
                    code=session.code, student_id=student_id, joined_at=self.clock()
                )
            )
        return student_id

    def is_student(self, code: str, student_id: object) -> bool:
        """Whether session `code` issued `student_id` (any text a link or cookie carried)."""
        if not is_student_id(student_id):
            return False
        session = self.session(code)
        query = sa.select(class_students.c.student_id).where(
            class_students.c.code == session.code, class_students.c.student_id == student_id
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def _count_answer(self, conn: Connection, code: str, student_id: str) -> None:
        """Count one answer in the student's window; refuse an unissued id or a full window."""
        now = self.clock()
        s = class_students.c
        fresh = s.window_start <= now - ANSWER_WINDOW_S
        # One UPDATE decides and counts (both SET expressions read the row's old values), so
        # two sends at once cannot both take the window's last place.
        counted = conn.execute(
            class_students.update()
            .where(
                s.code == code,
                s.student_id == student_id,
                sa.or_(fresh, s.window_count < ANSWERS_PER_WINDOW),
            )
            .values(
                window_start=sa.case((fresh, now), else_=s.window_start),
                window_count=sa.case((fresh, 1), else_=s.window_count + 1),
            )
        ).rowcount
        if counted == 1:
            return
        known = conn.execute(
            sa.select(s.student_id).where(s.code == code, s.student_id == student_id)
        ).first()
        if known is None:
            raise ClassStoreError(
                f"The student id '{echo(student_id)}' was not issued by class session {code}: "
                "open the join link again to join (an id from another link counts for nobody)."
            )
        raise ClassStoreError(
            f"Too many answers: a student may send {ANSWERS_PER_WINDOW} in "
            f"{ANSWER_WINDOW_S:g} seconds. Wait a moment, then send again; your last answer "
            "is kept."
        )

    # -- answers --------------------------------------------------------------------------

    def record_answer(
        self, code: str, student_id: str, question: int, choice: Iterable[str]
    ) -> None:
        """Store (or change) a student's answer to question number `question`.

        Refused with a ClassStoreError, and nothing stored, for a bad student id or one
        the session did not issue (join), a student over ANSWERS_PER_WINDOW answers in
        ANSWER_WINDOW_S seconds, a malformed, unknown or ended session, a question number
        not in the quiz, a choice that is not a valid answer to it, or a question already
        revealed.
        """
        check_student_id(student_id)
        session = self.session(code)
        quiz = _quiz(session.quiz_seed)
        number = check_question_index(question, quiz)
        keys = canonical_choice(quiz[number], number, choice)
        if number in session.revealed:
            raise answers_closed(number)
        values = {
            "code": session.code,
            "student_id": student_id,
            "question": number,
            "choice": ",".join(keys),
            "answered_at": self.clock(),
        }
        try:
            with self.engine.begin() as conn:
                self._count_answer(conn, session.code, student_id)
                conn.execute(upsert_answer(self._dialect, values))
                # Checked again after the write, in its transaction: a reveal that came in
                # since the first look closes the question and this answer is rolled back.
                if number in self._read_session(conn, session.code, lock=True).revealed:
                    raise answers_closed(number)
        except sa.exc.IntegrityError:
            # PostgreSQL's foreign key: the session was purged (it had ended) meanwhile.
            raise ClassStoreError(
                f"Class session {session.code} has ended: ask the lecturer for a new link."
            ) from None

    def student_answers(self, code: str, student_id: str) -> dict[int, tuple[str, ...]]:
        """The answers `student_id` stored in session `code`: question → keys."""
        check_student_id(student_id)
        session = self.session(code)
        query = sa.select(class_answers.c.question, class_answers.c.choice).where(
            class_answers.c.code == session.code, class_answers.c.student_id == student_id
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {question: tuple(choice.split(",")) for question, choice in sorted(rows)}

    # -- the lecturer's board ------------------------------------------------------------

    def reveal(self, code: str, secret: str, question: int, revealed: bool = True) -> ClassSession:
        """Reveal question `question`'s answer (closing it) or, revealed=False, reopen it."""
        session = self.lecturer_session(code, secret)
        quiz = _quiz(session.quiz_seed)
        number = check_question_index(question, quiz)
        bit = 1 << number
        mask = class_sessions.c.revealed
        new_mask = mask.op("|")(bit) if revealed else mask.op("&")((1 << len(quiz)) - 1 - bit)
        with self.engine.begin() as conn:
            conn.execute(
                class_sessions.update()
                .where(class_sessions.c.code == session.code)
                .values(revealed=new_mask)
            )
            return self._read_session(conn, session.code)

    def tallies(self, code: str, secret: str) -> tuple[QuestionTally, ...]:
        """One tally per question of the session's quiz, in quiz order."""
        session = self.lecturer_session(code, secret)
        with self.engine.connect() as conn:
            return read_tallies(conn, session.code, _quiz(session.quiz_seed))
