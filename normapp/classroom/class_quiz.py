"""A live class quiz in the app: its database through Streamlit, and what its links carry.

The store itself (normapp/classroom/store.py) knows nothing of Streamlit; this module
gives the Quiz page one ClassStore per server process, over the SQLAlchemy engine
of ``st.connection("class_quiz", type="sql")``:

- ``NORMAPP_CLASS_DB`` (a SQLAlchemy URL) wins: PostgreSQL
  (``postgresql+psycopg://user:password@host/db``) is what replicas behind a
  proxy need, since they share no memory and may not share a disk;
- else ``[connections.class_quiz] url`` in ``.streamlit/secrets.toml``, Streamlit's
  own place for it;
- else a SQLite file, ``class_quiz.sqlite`` in the data directory
  (``NORMAPP_DATA_DIR``, by default ``.data/`` beside app.py): nothing to install,
  and it serves `make run` and `make serve`'s replicas on one machine.

Links: ``quiz?class=CODE`` is a student's (the code is public, 6 letters);
``quiz?class=CODE&key=SECRET`` is the lecturer's board (the secret is not shown
to students); ``me=ID`` is the random id the session issued to a student's browser when it
joined (ClassStore.join; any other id counts for nobody), so a reload keeps their
answers, and a cookie of the browser's (``normx_class_CODE``) keeps it for when the
join link is opened again. Nothing else identifies a student.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.errors import StreamlitSecretNotFoundError

from normapp.classroom import database, quiz
from normapp.classroom.checks import ClassStoreError
from normapp.classroom.store import SESSION_HOURS, ClassStore
from normapp.links import room_link, share
from normapp.links.literal import literal

ROOT = Path(__file__).resolve().parent.parent
CLASS_DB_ENV = "NORMAPP_CLASS_DB"
DATA_DIR_ENV = "NORMAPP_DATA_DIR"
CODE_PARAM, KEY_PARAM, STUDENT_PARAM = quiz.CLASS_CODE.name, quiz.CLASS_KEY.name, quiz.STUDENT.name


class ClassDatabaseError(RuntimeError):
    """The class quiz's database cannot be used; the message says so without internals."""


def database_url() -> str:
    """Where the class sessions live (see the module's docstring for the order)."""
    url = os.environ.get(CLASS_DB_ENV, "").strip()
    if url:
        return url
    try:
        url = str(st.secrets["connections"]["class_quiz"]["url"])
    except (KeyError, FileNotFoundError, StreamlitSecretNotFoundError):
        url = ""
    if url:
        return url
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or ROOT / ".data")
    data_dir.mkdir(parents=True, exist_ok=True)
    return database.default_url(data_dir)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ClassStore:
    # One engine (and one schema check) per server process and database, shared by every
    # session: st.connection keeps the engine, the ClassStore only queries through it.
    connection = st.connection("class_quiz", type="sql", url=url, **database.engine_options(url))
    return ClassStore(connection.engine)


def store() -> ClassStore:
    """The process's ClassStore; ClassDatabaseError (a message, no traceback) if it fails."""
    try:
        return _store(database_url())
    except (SQLAlchemyError, OSError) as error:
        raise ClassDatabaseError(
            "The class quiz's database cannot be reached, so class sessions are off for now "
            f"({type(error).__name__}). The quiz itself still works; the server's log has "
            f"the details. An administrator sets its URL with {CLASS_DB_ENV}."
        ) from error


def student_cookie(code: str) -> str:
    """The name of the cookie that keeps a browser's student id for class session `code`."""
    return f"normx_class_{code}"


def student_id(store: ClassStore, code: str) -> str:
    """This browser's id in the class session `code`: one the session issued (store.join).

    From the link (``me``: a reload keeps it), else from this browser's cookie for the
    session (the join link opened again, a QR code scanned twice), else a new one the
    session issues. An id the session did not issue (a forged or mistyped ``me``) counts
    for nobody: the page says so and joins as a new student. The id is written into the
    link and into the cookie, so both ways find it next time.
    """
    given: str | None = st.query_params.get(STUDENT_PARAM)
    remembered = st.context.cookies.get(student_cookie(code))
    kept = st.session_state.get("class:student")
    if given is not None and store.is_student(code, given):
        student = given
    elif store.is_student(code, remembered):
        student = str(remembered)
    elif isinstance(kept, tuple) and kept[0] == code:
        student = kept[1]  # this session joined already: a refused link does not join again
    else:
        student = store.join(code)
    if given is not None and given != student:
        st.warning(
            f"Link parameter {STUDENT_PARAM}={literal(given)} is not a student id this class "
            "session issued, so it counts for nobody; you take part with your own id."
        )
    st.session_state["class:student"] = (code, student)
    st.query_params[STUDENT_PARAM] = student
    if remembered != student:
        # Streamlit sets no cookies itself: the browser does, from this script. The name
        # and the value are the app's own (6 letters; an id the store issued).
        st.html(
            f"<script>document.cookie = '{student_cookie(code)}={student}; "
            f"path=/; max-age={SESSION_HOURS * 3600}; SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )
    return student


def student_link(code: str) -> room_link.RoomLink:
    """The students' link, from the Quiz page the board is on, at an address the room can
    open (normapp/links/room_link.py: not the lecturer's localhost)."""
    return room_link.room_link_here(share.view_url(st.context.url, "quiz", [(CODE_PARAM, code)]))


def board_link(code: str, secret: str) -> str:
    return share.view_url(st.context.url, "quiz", [(CODE_PARAM, code), (KEY_PARAM, secret)])


def refusal(error: Exception) -> str:
    """A store's or a link's refusal as literal text (it may quote what a link carried)."""
    return literal(str(error), 300)


__all__ = [
    "ClassDatabaseError",
    "ClassStoreError",
    "board_link",
    "database_url",
    "refusal",
    "store",
    "student_cookie",
    "student_id",
    "student_link",
]
