"""The class quiz's database: how to open it, its tables, and their migrations.

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
SQLite's WAL journal mode is a property of the database file, which migrate
sets once when a ClassStore opens the schema. (Checked with Streamlit 1.67's st.connection on a
SQLite URL: the engine it returns has engine_options' pool size, overflow and timeout.)
A ClassStore checks the schema when it is made: make one per engine (st.cache_resource),
not one per script run.

Schema: ``schema_version`` records the migrations applied; MIGRATIONS are applied
in order, all pending ones in one transaction, under a lock (PostgreSQL: an
advisory transaction lock; SQLite: BEGIN IMMEDIATE), so two processes starting
at once neither fail nor apply a migration twice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url

from normapp.classroom.checks import CODE_LENGTH

# pg_advisory_xact_lock's key for schema migrations (any constant; "NORMQUIZ" in ASCII).
MIGRATION_LOCK_KEY = 0x4E4F524D5155495A
# SQLite: seconds a writer waits for the write lock before "database is locked".
SQLITE_BUSY_SECONDS = 60


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


def migrate(engine: Engine, clock: Callable[[], float]) -> None:
    """Apply the pending MIGRATIONS to `engine`'s database (see the module docstring)."""
    dialect = engine.dialect.name
    database = engine.url.database
    if dialect == "sqlite" and database and database != ":memory:":
        # The app's data directory (default_url) need not exist on a fresh checkout.
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        # WAL lets readers (the board) read while a student writes; it is stored in the
        # database file, so once is enough. Outside a transaction, as SQLite requires.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL").fetchall()
            conn.commit()
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        elif dialect == "sqlite":
            # The write lock from the start: a second process waits here, then sees
            # the first one's tables.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        schema_version.create(conn, checkfirst=True)
        applied = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
        for version in range((applied or 0) + 1, len(MIGRATIONS) + 1):
            MIGRATIONS[version - 1](conn)
            conn.execute(schema_version.insert().values(version=version, applied_at=clock()))
        conn.commit()


def students_joined(code: str) -> sa.Select[int]:
    """The count of the students session `code` issued ids to."""
    return (
        sa.select(sa.func.count()).select_from(class_students).where(class_students.c.code == code)
    )


def upsert_answer(dialect: str, values: dict[str, Any]) -> sa.Executable:
    """Insert a student's answer to a question, or change the one stored."""
    # Both dialects spell the upsert alike (ON CONFLICT … DO UPDATE), from their own insert.
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(class_answers).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["code", "student_id", "question"],
        set_={
            "choice": statement.excluded.choice,
            "answered_at": statement.excluded.answered_at,
        },
    )
