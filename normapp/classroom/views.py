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
from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from normapp import cached, figures, ui
from normapp.classroom import class_quiz, quiz
from normapp.classroom import store as class_store
from normapp.classroom.checks import ClassStoreError
from normapp.classroom.class_quiz import CODE_PARAM, KEY_PARAM, STUDENT_PARAM, ClassDatabaseError
from normapp.classroom.store import ClassSession, ClassStore
from normapp.classroom.tally import QuestionTally
from normapp.explorer import presenter
from normapp.links import share, sitemap
from normapp.links.literal import literal

T = TypeVar("T")
BOARD_REFRESH_S = 2  # the board's counts: live enough for a room, cheap for the server
REVEAL_CHECK_S = 3  # how soon a student's page learns that an answer was revealed
_SEND_MESSAGES = "class:sent"
_SENT_KEYS = "class:sent-keys"  # {(code, question): keys} sent by this session
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
            on_click=_start_session,
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
            st.form_submit_button("Join", on_click=_join, icon=":material/login:")
    problem = st.session_state.pop("class:problem", None)
    if problem:
        st.error(problem)


def _ask_store(request: Callable[[ClassStore], T]) -> T | None:
    """A button's request to the store; a refusal or an unreachable database becomes the
    message the page shows next ("class:problem"), and the result None."""
    try:
        return request(class_quiz.store())
    except (ClassStoreError, ClassDatabaseError) as error:
        st.session_state["class:problem"] = class_quiz.refusal(error)
        return None


def _start_session(seed: int) -> None:
    session = _ask_store(lambda store: store.create_session(seed))
    if session is not None:
        _enter(session.code, session.secret)


def _join() -> None:
    typed = st.session_state.get("class:code", "")
    session = _ask_store(lambda store: store.session(typed))
    if session is not None:
        _enter(session.code)


def _enter(code: str, secret: str | None = None) -> None:
    """Go to a class session's page (its board with the secret): the link says which."""
    st.query_params.pop("quiz", None)  # the session knows its quiz number
    st.query_params[CODE_PARAM] = code
    if secret is not None:
        st.query_params[KEY_PARAM] = secret


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
        class_panel(quiz.QUIZ_PARAMS[0].default)
        return
    try:
        student = _student_id(store, session.code)
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
        _student_question(session, student, index, question, answers.get(index))


def _student_question(
    session: ClassSession,
    student: str,
    index: int,
    question: quiz.Question,
    stored: tuple[str, ...] | None,
) -> None:
    with st.container(border=True, key=f"class-q{index}"):
        st.markdown(f"**Question {index + 1}.** {question.prompt}")
        if question.kind == "sets":
            assert question.shape and question.shown_spec and question.element
            st.plotly_chart(
                cached.set_grid_figure(
                    question.shape, question.shown_spec, question.element, height=300
                ),
                config=CHART,
                key=f"class:{session.code}:{index}:grid",
            )
        _student_answer(session, student, index, question, stored)


@st.fragment
def _student_answer(
    session: ClassSession,
    student: str,
    index: int,
    question: quiz.Question,
    stored: tuple[str, ...] | None,
) -> None:
    """A question's answer and its Send: a click reruns only this, not the whole quiz.

    A class sends hundreds of answers in a minute; each one rerunning every question
    and figure of the page cost the server ~75 ms, this part alone a fraction of it.
    The arguments are those of the last full run: what was sent since is in the
    session's own record (_SENT_KEYS).
    """
    key = f"class:{session.code}:{index}"
    if key not in st.session_state and stored is not None:
        # A reload (or another device with this link) starts from what was sent.
        st.session_state[key] = list(stored) if question.multi else stored[0]
    closed = index in session.revealed
    order = quiz.student_order(question, student, index)
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
    if closed:
        feedback = quiz.grade(question, list(stored) if stored else None)
        if not feedback.answered:
            st.info(f"The answer is revealed; you did not send one. {question.explanation}")
        elif feedback.correct:
            st.success(feedback.message, icon=":material/check_circle:")
        else:
            st.error(feedback.message, icon=":material/cancel:")
        _explorer_link(question)
        return
    st.button(
        "Send",
        key=f"{key}:send",
        on_click=_send,
        args=(session.code, student, index, key),
        icon=":material/send:",
    )
    message = st.session_state.setdefault(_SEND_MESSAGES, {}).pop(index, None)
    sent = st.session_state.setdefault(_SENT_KEYS, {}).get((session.code, index), stored)
    if message is not None:
        (st.success if message[0] else st.error)(message[1])
    elif sent is not None:
        st.caption(
            "Sent: " + ", ".join(question.label(k) for k in question.options if k in sent) + "."
        )


def _student_id(store: ClassStore, code: str) -> str:
    """This browser's id in the class session `code`: one the session issued (store.join).

    From the link (``me``: a reload keeps it), else from this browser's cookie for the
    session (the join link opened again, a QR code scanned twice), else a new one the
    session issues. An id the session did not issue (a forged or mistyped ``me``) counts
    for nobody: the page says so and joins as a new student. The id is written into the
    link and into the cookie, so both ways find it next time.
    """
    given: str | None = st.query_params.get(STUDENT_PARAM)
    remembered = st.context.cookies.get(class_quiz.student_cookie(code))
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
            f"<script>document.cookie = '{class_quiz.student_cookie(code)}={student}; "
            f"path=/; max-age={class_store.SESSION_HOURS * 3600}; SameSite=Lax';</script>",
            unsafe_allow_javascript=True,
        )
    return student


def _send(code: str, student: str, index: int, key: str) -> None:
    choice = st.session_state.get(key)
    messages = st.session_state.setdefault(_SEND_MESSAGES, {})
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
    st.session_state.setdefault(_SENT_KEYS, {})[(code, index)] = tuple(chosen)
    messages[index] = (True, "Sent. You can change it until the answer is revealed.")


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
    problem = st.session_state.pop("class:problem", None)
    if problem:
        st.error(problem)
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
        if question.kind == "sets":  # the room discusses the grid the students answer on
            assert question.shape and question.shown_spec and question.element
            st.plotly_chart(
                cached.set_grid_figure(
                    question.shape,
                    question.shown_spec,
                    question.element,
                    height=figures.PRESENTER_HEIGHT,
                    text="presenter",
                ),
                config=CHART,
                key=f"board:grid:{index}",
            )
        button_col.button(
            "Hide answer" if revealed else "Reveal answer",
            key=f"board:reveal:{index}",
            on_click=_reveal,
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
            answer = ", ".join(question.label(k) for k in question.options if k in question.answer)
            st.success(
                f"**Answer: {answer}.** {tally.correct} of {tally.answered} right. "
                f"{question.explanation}",
                icon=":material/check_circle:",
            )
            _explorer_link(question)


def _reveal(code: str, secret: str, index: int, revealed: bool) -> None:
    _ask_store(lambda store: store.reveal(code, secret, index, revealed))


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
