"""What the class views' buttons do: each asks the store, and a refusal becomes a message.

A button's callback runs before the page's next run, so what it has to say is left in the
session's state for that run to show: a refusal in PROBLEM (show_problem), a student's Send
in SEND_MESSAGES, and the answers sent in SENT_KEYS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from normapp.classroom import class_quiz
from normapp.classroom.checks import ClassStoreError
from normapp.classroom.class_quiz import CODE_PARAM, KEY_PARAM, ClassDatabaseError
from normapp.classroom.store import ClassStore

T = TypeVar("T")
PROBLEM = "class:problem"  # a refusal, for the next run to show
SEND_MESSAGES = "class:sent"  # {question: (sent, message)} for the next run to show
SENT_KEYS = "class:sent-keys"  # {(code, question): keys} sent by this session


def show_problem() -> None:
    """The refusal a button's request left, shown once."""
    problem = st.session_state.pop(PROBLEM, None)
    if problem:
        st.error(problem)


def ask_store(request: Callable[[ClassStore], T]) -> T | None:
    """A button's request to the store; a refusal or an unreachable database becomes the
    message the page shows next (PROBLEM), and the result None."""
    try:
        return request(class_quiz.store())
    except (ClassStoreError, ClassDatabaseError) as error:
        st.session_state[PROBLEM] = class_quiz.refusal(error)
        return None


def start_session(seed: int) -> None:
    session = ask_store(lambda store: store.create_session(seed))
    if session is not None:
        enter(session.code, session.secret)


def join() -> None:
    typed = st.session_state.get("class:code", "")
    session = ask_store(lambda store: store.session(typed))
    if session is not None:
        enter(session.code)


def enter(code: str, secret: str | None = None) -> None:
    """Go to a class session's page (its board with the secret): the link says which."""
    st.query_params.pop("quiz", None)  # the session knows its quiz number
    st.query_params[CODE_PARAM] = code
    if secret is not None:
        st.query_params[KEY_PARAM] = secret


def send(code: str, student: str, index: int, key: str) -> None:
    choice = st.session_state.get(key)
    messages = st.session_state.setdefault(SEND_MESSAGES, {})
    # What the widget holds: a key (radio) or a list of keys (pills). Anything else (a
    # forged widget state can carry any value) is no answer; the store checks the keys.
    if isinstance(choice, str):
        chosen = [choice]
    elif isinstance(choice, list) and choice and all(isinstance(k, str) for k in choice):
        chosen = choice
    else:
        messages[index] = (False, "Choose an answer first.")
        return
    try:
        class_quiz.store().record_answer(code, student, index, chosen)
    except (ClassStoreError, ClassDatabaseError) as error:
        messages[index] = (False, class_quiz.refusal(error))
        return
    st.session_state.setdefault(SENT_KEYS, {})[(code, index)] = tuple(chosen)
    messages[index] = (True, "Sent. You can change it until the answer is revealed.")


def reveal(code: str, secret: str, index: int, revealed: bool) -> None:
    ask_store(lambda store: store.reveal(code, secret, index, revealed))
