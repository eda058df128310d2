"""The store of a live class quiz (no Streamlit, so the tests call it directly).

A lecturer creates a class session (a 6-letter code and a secret); students join
with the code and answer the seeded quiz (normapp.classroom.quiz.make_quiz) on their own
devices; the lecturer's board reads the tallies and reveals answers question by
question. Everything a student sends is checked here, server-side, against the
session's quiz: the page's widgets are not trusted.

The database is any SQLAlchemy engine on SQLite or PostgreSQL. The app gets it
from Streamlit::

    url = default_url(data_dir)  # or a postgresql+psycopg:// URL from the deployment
    engine = st.connection("class_quiz", type="sql", url=url, **engine_options(url)).engine
    store = ClassStore(engine)

st.connection passes those keyword arguments on to ``sqlalchemy.create_engine``:
streamlit/connections/sql_connection.py (SQLConnection._connect) takes the
connection parameters (url, dialect, host, ...) out of its kwargs, deep-copies the
rest and calls ``sqlalchemy.create_engine(url, **kwargs)`` (merged over
``create_engine_kwargs`` from secrets.toml). That is why engine_options gives
plain, deep-copyable values (connect_args, pool sizes) and no event listener:
SQLite's WAL journal mode is a property of the database file, which ClassStore
sets once when it opens the schema. (Checked with Streamlit 1.67's st.connection on a
SQLite URL: the engine it returns has engine_options' pool size, overflow and timeout.)
A ClassStore checks the schema when it is made: make one per engine (st.cache_resource),
not one per script run.

Schema: ``schema_version`` records the migrations applied; MIGRATIONS are applied
in order, all pending ones in one transaction, under a lock (PostgreSQL: an
advisory transaction lock; SQLite: BEGIN IMMEDIATE), so two processes starting
at once neither fail nor apply a migration twice.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url

from normapp.classroom.quiz import QUIZ_SEED_MAX, Question, make_quiz
from normapp.links.literal import truncated

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O lookalikes of 1 and 0
CODE_LENGTH = 6
SESSION_HOURS = 12
STUDENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# How much of a user's text an error message echoes back.
ECHO_CHARS = 40
# Tries at a fresh code before giving up: 24**6 (191 million) codes make even two rare.
CODE_TRIES = 20
# Sessions alive at once: far more than the lecturers one server serves in 12 hours, and a
# bound on what pressing "Start a class session" over and over can make the database hold.
MAX_ACTIVE_SESSIONS = 1000
# pg_advisory_xact_lock's key for schema migrations (any constant; "NORMQUIZ" in ASCII).
MIGRATION_LOCK_KEY = 0x4E4F524D5155495A
# Students one session issues ids to: a bound on what reloading a join link can make it hold.
MAX_STUDENTS = 2000
# A student's answers (sends, changes included) per window: a class answers a question in
# seconds, a script sending in a loop is held to this.
ANSWERS_PER_WINDOW = 30
ANSWER_WINDOW_S = 60.0
# SQLite: seconds a writer waits for the write lock before "database is locked".
SQLITE_BUSY_SECONDS = 60


class ClassStoreError(ValueError):
    """What the user did wrong and what to do about it; safe to show as it is."""


@dataclass(frozen=True)
class ClassSession:
    code: str
    secret: str
    quiz_seed: int
    created_at: float  # unix seconds
    expires_at: float  # unix seconds
    revealed: frozenset[int]  # question indices whose right answer the lecturer revealed


@dataclass(frozen=True)
class QuestionTally:
    """The class's answers to one question."""

    answered: int  # students who answered it
    by_option: dict[str, int]  # every option key: students whose answer includes it
    by_answer: dict[tuple[str, ...], int]  # exact answer (keys in option order) → students
    correct: int  # answers equal to the question's marked answer
    students_joined: int  # students the session issued an id to (who opened the join link)
    students_answered: int  # distinct students with any answer in the session


def default_url(data_dir: Path) -> str:
    """The SQLite database of class sessions under the app's data directory."""
    return f"sqlite:///{Path(data_dir) / 'class_quiz.sqlite'}"


def engine_options(url: str) -> dict[str, Any]:
    """Keyword arguments of ``sqlalchemy.create_engine`` for the class store at `url`.

    SQLite: a writer waits up to SQLITE_BUSY_SECONDS for the single write lock
    (sqlite3's `timeout` is its busy timeout) rather than failing at once with
    "database is locked" when a whole class answers together; connections move
    between Streamlit's script threads (check_same_thread=False). PostgreSQL:
    pool_pre_ping drops connections the server closed while the app idled; 10 kept
    plus 20 more under load per process (each replica is a process, and the
    server's default max_connections is 100).
    """
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return {
            "connect_args": {"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
            "pool_size": 8,
            "max_overflow": 24,
            "pool_timeout": SQLITE_BUSY_SECONDS,
        }
    if backend == "postgresql":
        return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20, "pool_timeout": 60}
    return {"pool_pre_ping": True}


metadata = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)
class_sessions = sa.Table(
    "class_sessions",
    metadata,
    sa.Column("code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("quiz_seed", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    # Bit i set: question i is revealed. A bit mask, so that revealing is one UPDATE
    # (revealed | bit) that two lecturer tabs cannot interleave.
    sa.Column("revealed", sa.Integer, nullable=False, server_default="0"),
)
class_answers = sa.Table(
    "class_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "code",
        sa.String(CODE_LENGTH),
        sa.ForeignKey("class_sessions.code", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("student_id", sa.String(64), nullable=False),
    sa.Column("question", sa.Integer, nullable=False),
    # The chosen option keys in the question's option order, joined with ",".
    sa.Column("choice", sa.String(400), nullable=False),
    sa.Column("answered_at", sa.Float, nullable=False),
    sa.UniqueConstraint("code", "student_id", "question", name="one_answer_per_question"),
)


# The students a session issued ids to: an answer counts only from an id issued here (a
# forged `me=` in a link is refused), and each id's answers are rate-limited through its
# window (answers counted since window_start).
class_students = sa.Table(
    "class_students",
    metadata,
    sa.Column(
        "code",
        sa.String(CODE_LENGTH),
        sa.ForeignKey("class_sessions.code", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("student_id", sa.String(64), primary_key=True),
    sa.Column("joined_at", sa.Float, nullable=False),
    sa.Column("window_start", sa.Float, nullable=False, server_default="0"),
    sa.Column("window_count", sa.Integer, nullable=False, server_default="0"),
)


def _migration_1(conn: Connection) -> None:
    class_sessions.create(conn)
    class_answers.create(conn)


def _migration_2(conn: Connection) -> None:
    class_students.create(conn)
    # Answers from before ids were issued came from ids nobody can check: they go.
    conn.execute(class_answers.delete())


# Applied in order; the version of MIGRATIONS[i] is i + 1. Append, never edit.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migration_1, _migration_2)


def _echo(text: object) -> str:
    """User-supplied text for a message: visible (a NUL shows as ⟨U+0000⟩), at most
    ECHO_CHARS characters; plain text, escaped where it is shown."""
    return truncated(text, ECHO_CHARS)


@functools.lru_cache(maxsize=64)
def _quiz(seed: int) -> tuple[Question, ...]:
    # make_quiz builds normlib specs and arrays: cached, as every answer is checked against it.
    return make_quiz(seed)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    """A code as the store keeps it: spaces and dashes dropped, upper case.

    Raises ClassStoreError when it is not 6 letters of CODE_ALPHABET.
    """
    normalized = re.sub(r"[\s-]+", "", str(code)).upper()
    if len(normalized) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in normalized):
        raise ClassStoreError(
            f"'{_echo(code)}' is not a class code: a code is {CODE_LENGTH} letters "
            "(no I or O), like ABCDEF. Check the code or ask the lecturer for the link."
        )
    return normalized


def _check_student_id(student_id: str) -> None:
    if not isinstance(student_id, str) or not STUDENT_ID_PATTERN.fullmatch(student_id):
        raise ClassStoreError(
            f"The student id '{_echo(student_id)}' is not valid: it must be 16 to 64 letters, "
            "digits, '-' or '_'. Reload the page to get a new one."
        )


def _check_question_index(question: object, quiz: Sequence[Question]) -> int:
    if not isinstance(question, int) or isinstance(question, bool):
        raise ClassStoreError(
            f"The question number must be a whole number from 0 to {len(quiz) - 1}, "
            f"not {_echo(repr(question))}. Reload the page."
        )
    if not 0 <= question < len(quiz):
        raise ClassStoreError(
            f"There is no question {question} in this quiz (questions 0 to {len(quiz) - 1}). "
            "Reload the page."
        )
    return question


def canonical_choice(
    question: Question, number: int, choice: Iterable[str] | str
) -> tuple[str, ...]:
    """The chosen keys in the question's option order, after checking them against it.

    A bare string is one key. Raises ClassStoreError for a key that is not an option,
    a key given twice, no key, or more than one key on a single-choice question.
    """
    try:
        keys = [choice] if isinstance(choice, str) else list(choice)
    except TypeError:
        raise ClassStoreError(
            f"The answer to question {number} is not a list of options. Reload the page."
        ) from None
    for key in keys:
        if not isinstance(key, str) or key not in question.options:
            raise ClassStoreError(
                f"'{_echo(key)}' is not an option of question {number}. Reload the page."
            )
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise ClassStoreError(
            f"Option '{_echo(repeated[0])}' is chosen twice in the answer to question "
            f"{number}: choose each option once."
        )
    if not keys:
        raise ClassStoreError(f"The answer to question {number} is empty: choose an option.")
    if not question.multi and len(keys) != 1:
        raise ClassStoreError(
            f"Question {number} takes exactly one option, not {len(keys)}: choose one."
        )
    chosen = set(keys)
    return tuple(key for key in question.options if key in chosen)


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
        self._migrate()

    # -- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        database = self.engine.url.database
        if self._dialect == "sqlite" and database and database != ":memory:":
            # The app's data directory (default_url) need not exist on a fresh checkout.
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if self._dialect == "sqlite":
            # WAL lets readers (the board) read while a student writes; it is stored in the
            # database file, so once is enough. Outside a transaction, as SQLite requires.
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL").fetchall()
                conn.commit()
        with self.engine.connect() as conn:
            if self._dialect == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            elif self._dialect == "sqlite":
                # The write lock from the start: a second process waits here, then sees
                # the first one's tables.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            schema_version.create(conn, checkfirst=True)
            applied = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            for version in range((applied or 0) + 1, len(MIGRATIONS) + 1):
                MIGRATIONS[version - 1](conn)
                conn.execute(
                    schema_version.insert().values(version=version, applied_at=self.clock())
                )
            conn.commit()

    # -- sessions -------------------------------------------------------------------------

    def _purge_expired(self, conn: Connection, now: float) -> None:
        expired = sa.select(class_sessions.c.code).where(class_sessions.c.expires_at <= now)
        conn.execute(class_answers.delete().where(class_answers.c.code.in_(expired)))
        conn.execute(class_students.delete().where(class_students.c.code.in_(expired)))
        conn.execute(class_sessions.delete().where(class_sessions.c.expires_at <= now))

    def create_session(self, quiz_seed: int) -> ClassSession:
        """A new session of the quiz of `quiz_seed`; expired sessions and answers go."""
        if (
            not isinstance(quiz_seed, int)
            or isinstance(quiz_seed, bool)
            or not 0 <= quiz_seed <= QUIZ_SEED_MAX
        ):
            raise ClassStoreError(
                f"The quiz seed must be a whole number from 0 to {QUIZ_SEED_MAX}, "
                f"not {_echo(repr(quiz_seed))}: pick another seed."
            )
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
            joined = conn.execute(
                sa.select(sa.func.count())
                .select_from(class_students)
                .where(class_students.c.code == session.code)
            ).scalar_one()
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
        if not isinstance(student_id, str) or not STUDENT_ID_PATTERN.fullmatch(student_id):
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
                f"The student id '{_echo(student_id)}' was not issued by class session {code}: "
                "open the join link again to join (an id from another link counts for nobody)."
            )
        raise ClassStoreError(
            f"Too many answers: a student may send {ANSWERS_PER_WINDOW} in "
            f"{ANSWER_WINDOW_S:g} seconds. Wait a moment, then send again; your last answer "
            "is kept."
        )

    # -- answers --------------------------------------------------------------------------

    def _upsert_answer(self, values: dict[str, Any]) -> sa.Executable:
        # Both dialects spell the upsert alike (ON CONFLICT … DO UPDATE), from their own insert.
        insert: Callable[..., Any] = (
            postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        )
        statement = insert(class_answers).values(**values)
        return statement.on_conflict_do_update(
            index_elements=["code", "student_id", "question"],
            set_={
                "choice": statement.excluded.choice,
                "answered_at": statement.excluded.answered_at,
            },
        )

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
        _check_student_id(student_id)
        session = self.session(code)
        quiz = _quiz(session.quiz_seed)
        number = _check_question_index(question, quiz)
        keys = canonical_choice(quiz[number], number, choice)
        if number in session.revealed:
            raise _closed(number)
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
                conn.execute(self._upsert_answer(values))
                # Checked again after the write, in its transaction: a reveal that came in
                # since the first look closes the question and this answer is rolled back.
                if number in self._read_session(conn, session.code, lock=True).revealed:
                    raise _closed(number)
        except sa.exc.IntegrityError:
            # PostgreSQL's foreign key: the session was purged (it had ended) meanwhile.
            raise ClassStoreError(
                f"Class session {session.code} has ended: ask the lecturer for a new link."
            ) from None

    def student_answers(self, code: str, student_id: str) -> dict[int, tuple[str, ...]]:
        """The answers `student_id` stored in session `code`: question → keys."""
        _check_student_id(student_id)
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
        number = _check_question_index(question, quiz)
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
        quiz = _quiz(session.quiz_seed)
        counts = (
            sa.select(class_answers.c.question, class_answers.c.choice, sa.func.count())
            .where(class_answers.c.code == session.code)
            .group_by(class_answers.c.question, class_answers.c.choice)
        )
        answered = sa.select(sa.func.count(sa.distinct(class_answers.c.student_id))).where(
            class_answers.c.code == session.code
        )
        joined = (
            sa.select(sa.func.count())
            .select_from(class_students)
            .where(class_students.c.code == session.code)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(counts).all()
            students_answered = conn.execute(answered).scalar() or 0
            students_joined = conn.execute(joined).scalar() or 0
        by_question: list[dict[tuple[str, ...], int]] = [{} for _ in quiz]
        for number, choice, count in rows:
            if 0 <= number < len(quiz):
                by_question[number][tuple(choice.split(","))] = count
        return tuple(
            _tally(question, by_answer, students_joined, students_answered)
            for question, by_answer in zip(quiz, by_question, strict=True)
        )


def _closed(number: int) -> ClassStoreError:
    return ClassStoreError(
        f"Question {number}'s answer is revealed; answers are closed. "
        "Your earlier answer, if any, is kept."
    )


def _tally(
    question: Question,
    by_answer: dict[tuple[str, ...], int],
    students_joined: int,
    students_answered: int,
) -> QuestionTally:
    by_option = {key: 0 for key in question.options}
    for keys, count in by_answer.items():
        for key in keys:
            by_option[key] += count
    right = tuple(key for key in question.options if key in question.answer)
    return QuestionTally(
        answered=sum(by_answer.values()),
        by_option=by_option,
        by_answer=dict(sorted(by_answer.items(), key=lambda item: (-item[1], item[0]))),
        correct=by_answer.get(right, 0),
        students_joined=students_joined,
        students_answered=students_answered,
    )
