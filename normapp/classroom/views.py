"""The Quiz page's class views: start or join a class session, a student's quiz, the board.

pages/quiz.py chooses the view from the link (normapp/classroom/class_quiz.py says what
each parameter is) and calls one of :func:`class_panel`, :func:`student_view`
and :func:`board_view`. Every refusal (an unknown code, a wrong secret, a
forged answer) comes back from the store as a ClassStoreError and is shown as
literal text; the store validates every answer itself, so nothing here is
trusted to.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from normapp import cached, figures, ui
from normapp.classroom import actions, class_quiz, quiz
from normapp.classroom.checks import ClassStoreError
from normapp.classroom.class_quiz import ClassDatabaseError
from normapp.classroom.store import ClassSession, ClassStore
from normapp.classroom.tally import QuestionTally
from normapp.explorer import presenter
from normapp.links import share, sitemap

BOARD_REFRESH_S = 2  # the board's counts: live enough for a room, cheap for the server
REVEAL_CHECK_S = 3  # how soon a student's page learns that an answer was revealed
CHART = figures.CHART_CONFIG


def _open_store() -> ClassStore | None:
    try:
        return class_quiz.store()
    except ClassDatabaseError as error:
        st.error(str(error), icon=":material/cloud_off:")
        return None


# ================================================================= start or join
def class_panel(seed: int) -> None:
    """On the solo quiz: start a class session with this quiz, or join one by its code."""
    start_col, join_col = st.columns(2)
    with start_col.container(border=True):
        st.markdown("**Run this quiz with your class**")
        st.caption(
            f"Starts a class session with quiz {seed}: you get a 6-letter code, a link and a "
            "QR code for the room, and a board that counts the answers live. Sessions end "
            "after 12 hours; students are known only by a random id."
        )
        st.button(
            "Start a class session",
            key="class:start",
            on_click=actions.start_session,
            args=(seed,),
            icon=":material/co_present:",
        )
    with join_col.container(border=True):
        st.markdown("**Join your class**")
        with st.form("class:join", border=False, enter_to_submit=True):
            st.text_input(
                "Class code (6 letters)",
                key="class:code",
                max_chars=12,
                placeholder="e.g. KMPRWX",
            )
            st.form_submit_button("Join", on_click=actions.join, icon=":material/login:")
    actions.show_problem()


# ============================================================== a student's quiz
def student_view(code: str) -> None:
    store = _open_store()
    if store is None:
        return
    try:
        session = store.session(code)
    except ClassStoreError as error:
        st.title("Class quiz", anchor=False)
        st.error(class_quiz.refusal(error), icon=":material/error:")
        class_panel(quiz.QUIZ_NUMBER.param.default)
        return
    try:
        student = class_quiz.student_id(store, session.code)
    except ClassStoreError as error:  # the session's student limit
        st.title(f"Class quiz · {session.code}", anchor=False)
        st.error(class_quiz.refusal(error), icon=":material/error:")
        return
    questions = cached.quiz_questions(session.quiz_seed)
    answers = store.student_answers(session.code, student)

    st.title(f"Class quiz · {session.code}", anchor=False)
    st.markdown(
        f"Quiz number {session.quiz_seed}, the same {len(questions)} questions for the whole "
        "class (your options are in an order of your own). Choose, then **Send**; you can "
        "change an answer until the lecturer reveals it. Nobody sees who answered what."
    )
    _watch_reveals(session.code, session.revealed)
    for index, question in enumerate(questions):
        _student_question(_Asked(session, student, index, question, answers.get(index)))


@dataclass(frozen=True)
class _Asked:
    """One question of a student's quiz, and what the student sent to it by the page's run."""

    session: ClassSession
    student: str
    index: int
    question: quiz.Question
    stored: tuple[str, ...] | None

    @property
    def key(self) -> str:  # the answer widget's
        return f"class:{self.session.code}:{self.index}"


def _student_question(asked: _Asked) -> None:
    with st.container(border=True, key=f"class-q{asked.index}"):
        st.markdown(f"**Question {asked.index + 1}.** {asked.question.prompt}")
        _sets_grid(asked.question, f"{asked.key}:grid", height=300)
        _student_answer(asked)


@st.fragment
def _student_answer(asked: _Asked) -> None:
    """A question's answer and its Send: a click reruns only this, not the whole quiz.

    A class sends hundreds of answers in a minute; each one rerunning every question
    and figure of the page cost the server ~75 ms, this part alone a fraction of it.
    The arguments are those of the last full run: what was sent since is in the
    session's own record (actions.SENT_KEYS).
    """
    question, stored, key = asked.question, asked.stored, asked.key
    if key not in st.session_state and stored is not None:
        # A reload (or another device with this link) starts from what was sent.
        st.session_state[key] = list(stored) if question.multi else stored[0]
    closed = asked.index in asked.session.revealed
    _answer_widget(question, quiz.student_order(question, asked.student, asked.index), key, closed)
    if closed:
        _revealed_feedback(question, stored)
        return
    st.button(
        "Send",
        key=f"{key}:send",
        on_click=actions.send,
        args=(asked.session.code, asked.student, asked.index, key),
        icon=":material/send:",
    )
    message = st.session_state.setdefault(actions.SEND_MESSAGES, {}).pop(asked.index, None)
    sent = st.session_state.setdefault(actions.SENT_KEYS, {}).get(
        (asked.session.code, asked.index), stored
    )
    if message is not None:
        (st.success if message[0] else st.error)(message[1])
    elif sent is not None:
        st.caption(f"Sent: {_labels(question, sent)}.")


def _answer_widget(question: quiz.Question, order: Sequence[str], key: str, closed: bool) -> None:
    """The options in the student's own order: pills for several, a radio for one."""
    if question.multi:
        st.pills(
            "Your answer (choose all that apply)",
            order,
            selection_mode="multi",
            format_func=question.label,
            key=key,
            disabled=closed,
        )
    else:
        st.radio(
            "Your answer",
            order,
            index=None,
            format_func=question.label,
            key=key,
            disabled=closed,
            horizontal=True,
        )


def _revealed_feedback(question: quiz.Question, stored: tuple[str, ...] | None) -> None:
    """A revealed question: the student's answer graded, and where to see it measured."""
    feedback = quiz.grade(question, list(stored) if stored else None)
    if not feedback.answered:
        st.info(f"The answer is revealed; you did not send one. {question.explanation}")
    elif feedback.correct:
        st.success(feedback.message, icon=":material/check_circle:")
    else:
        st.error(feedback.message, icon=":material/cancel:")
    _explorer_link(question)


@st.fragment(run_every=REVEAL_CHECK_S)
def _watch_reveals(code: str, seen: frozenset[int]) -> None:
    """Rerun the student's page when the lecturer reveals (or hides) an answer."""
    try:
        revealed = class_quiz.store().session(code).revealed
    except (ClassStoreError, ClassDatabaseError):
        return  # the page's next full run says why
    if revealed != seen:
        st.rerun(scope="app")


# =================================================================== the board
def board_view(code: str, secret: str) -> None:
    store = _open_store()
    if store is None:
        return
    try:
        session = store.lecturer_session(code, secret)
    except ClassStoreError as error:
        st.title("Class quiz board", anchor=False)
        st.error(class_quiz.refusal(error), icon=":material/lock:")
        return
    questions = cached.quiz_questions(session.quiz_seed)
    room = class_quiz.student_link(session.code)
    join_link = room.url
    # The board is for the projector: the presenter view's stylesheet (no sidebar, 24 px
    # type on a wide screen) and its figure text.
    presenter.style()

    st.title(f"Class quiz · {session.code} · board", anchor=False)
    join_col, qr_col = st.columns([3, 2], vertical_alignment="center")
    with join_col:
        st.markdown(
            "<div style='font-size:1.4rem'>Join with the code</div>"
            f"<div data-testid='class-code' style='font-size:4.5rem;font-weight:800;"
            f"letter-spacing:0.2em;line-height:1.1'>{session.code}</div>",
            unsafe_allow_html=True,  # the code is the store's: 6 letters of its alphabet
        )
        st.markdown("on the Quiz page, or open this link (or scan the QR code):")
        st.code(join_link, language=None, wrap_lines=True)
        if room.note:
            (st.warning if room.warning else st.info)(room.note, icon=":material/wifi:")
        ends = time.strftime("%H:%M", time.localtime(session.expires_at))
        st.caption(
            f"Quiz number {session.quiz_seed}. This session ends at {ends} (server time), "
            "12 hours after it started; then its answers are deleted."
        )
        with st.expander("Your board's link: keep it to yourself"):
            st.markdown(
                "Whoever has this link can see the board and reveal answers. It is in this "
                "page's address too: hide the address bar (full screen) before projecting."
            )
            st.code(class_quiz.board_link(session.code, secret), language=None, wrap_lines=True)
    with qr_col:
        st.image(share.qr_png(join_link), caption="Scan to join", width=420)
    _board(session.code, secret, len(questions))
    st.page_link(
        ui.PAGES_DIR / "quiz.py",
        label="Leave the board (the session goes on; this page's link brings you back)",
        icon=":material/arrow_back:",
    )


@st.fragment(run_every=BOARD_REFRESH_S)
def _board(code: str, secret: str, length: int) -> None:
    """The live counts: only this part reruns every few seconds, not the lecturer's page."""
    try:
        store = class_quiz.store()
        session = store.lecturer_session(code, secret)
        tallies = store.tallies(code, secret)
    except (ClassStoreError, ClassDatabaseError) as error:
        st.error(class_quiz.refusal(error))
        return
    actions.show_problem()
    questions = cached.quiz_questions(session.quiz_seed)
    joined = max((t.students_joined for t in tallies), default=0)
    answered = max((t.students_answered for t in tallies), default=0)
    answered_all = sum(1 for t in tallies if t.answered)
    joined_col, students_col, answers_col = st.columns(3)
    joined_col.metric("Students joined", joined)
    students_col.metric("Students who answered", answered)
    answers_col.metric("Answers", sum(t.answered for t in tallies))
    st.caption(
        f"Counts refresh every {BOARD_REFRESH_S} s. {answered_all} of {length} questions "
        "have answers."
    )
    for index, (question, tally) in enumerate(zip(questions, tallies, strict=True)):
        _board_question(session, index, question, tally, joined)


def _board_question(
    session: ClassSession, index: int, question: quiz.Question, tally: QuestionTally, joined: int
) -> None:
    revealed = index in session.revealed
    with st.container(border=True, key=f"board-q{index}"):
        head_col, button_col = st.columns([5, 1], vertical_alignment="center")
        head_col.markdown(
            f"**Question {index + 1}** · {tally.answered} of {joined} answered\n\n{question.prompt}"
        )
        # The room discusses the grid the students answer on.
        _sets_grid(
            question, f"board:grid:{index}", height=figures.PRESENTER_HEIGHT, text="presenter"
        )
        button_col.button(
            "Hide answer" if revealed else "Reveal answer",
            key=f"board:reveal:{index}",
            on_click=actions.reveal,
            args=(session.code, session.secret, index, not revealed),
            icon=":material/visibility_off:" if revealed else ":material/visibility:",
        )
        right: Sequence[bool] | None = (
            [k in question.answer for k in question.options] if revealed else None
        )
        st.plotly_chart(
            figures.board_figure(
                [question.label(k) for k in question.options],
                [tally.by_option[k] for k in question.options],
                tally.answered,
                right,
                text=figures.PRESENTER_TEXT,
            ),
            config=CHART,
            key=f"board:chart:{index}",
        )
        if revealed:
            st.success(
                f"**Answer: {_labels(question, question.answer)}.** {tally.correct} of "
                f"{tally.answered} right. {question.explanation}",
                icon=":material/check_circle:",
            )
            _explorer_link(question)


def _explorer_link(question: quiz.Question) -> None:
    page, query = quiz.explorer_view(question)
    label = (
        "See it measured on the Train vs eval page"
        if page == "train-eval"
        else "See it in the Explorer"
    )
    st.page_link(
        ui.PAGES_DIR / sitemap.page_script(page),
        label=label,
        icon=":material/search:",
        query_params=query,
    )


def _labels(question: quiz.Question, keys: Collection[str]) -> str:
    """The options of `keys` by their labels, in the question's order."""
    return ", ".join(question.label(k) for k in question.options if k in keys)


def _sets_grid(question: quiz.Question, key: str, **figure: Any) -> None:
    """A "which elements share" question's grid (other kinds have none)."""
    if question.kind != "sets":
        return
    assert question.shape and question.shown_spec and question.element
    st.plotly_chart(
        cached.set_grid_figure(question.shape, question.shown_spec, question.element, **figure),
        config=CHART,
        key=key,
    )
