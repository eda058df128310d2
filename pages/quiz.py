"""Quiz: questions made from a quiz number, so a whole class can take the same quiz."""

import streamlit as st

from normapp import cached, figures, ui
from normapp.classroom import class_quiz, quiz, views
from normapp.links import bound

QUIZ = quiz.QUIZ_NUMBER.param
CHART = figures.CHART_CONFIG


def answer_key(seed: int, index: int) -> str:
    return f"quiz:{seed}:{index}"


def check(seed: int, index: int) -> None:
    """Grade question `index`; the first answer counts for the score."""
    question = cached.quiz_questions(seed)[index]
    feedback = quiz.grade(question, st.session_state.get(answer_key(seed, index)))
    results = st.session_state.setdefault("quiz:results", {}).setdefault(seed, {})
    previous = results.get(index, {})
    first = previous.get("first")
    if feedback.answered and first is None:
        first = feedback.correct
    results[index] = {"first": first, "feedback": feedback}


def new_quiz() -> None:
    st.session_state["quiz:seed"] = quiz.new_quiz_seed(st.session_state["quiz:seed"])


def class_session() -> None:
    """A class session's link: a student's quiz, or with the session's secret the lecturer's
    board. Such a link's page ends there; any other link goes on to the quiz."""
    class_code = st.query_params.get(class_quiz.CODE_PARAM)
    if class_code is None:
        return
    bound.write({}, (), drop=[QUIZ.name])  # the session knows its quiz number
    bound.show_messages()  # e.g. a class code given twice
    secret = st.query_params.get(class_quiz.KEY_PARAM)
    if secret is None:
        views.student_view(class_code)
    else:
        views.board_view(class_code, secret)
    st.stop()


def quiz_number() -> int:
    """The quiz number, no widget (New quiz draws one): a link may bring a new one."""
    followed = bound.followed(QUIZ)
    if followed is not None:
        # Another quiz: the answers of the last one go (the Question page's q:* keys stay).
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("quiz:")]:
            del st.session_state[key]
        st.session_state["quiz:seed"], message = followed
        bound.add_messages([message] if message else [])
    bound.show_messages()
    return int(st.session_state.setdefault("quiz:seed", QUIZ.default))


def score_row(seed: int, questions: list, results: dict) -> None:
    """The title, the score so far, New quiz and the class panel."""
    st.title("Quiz")
    st.markdown(
        f"**Quiz number {seed}.** Everyone who opens a link with `quiz={seed}` gets the same "
        f"{len(questions)} questions in the same order; the shapes come from the quiz number. "
        "Check each answer to see why it is right or wrong."
    )
    answered, right = first_answers(results)
    score_col, answered_col, button_col = st.columns([1, 1, 1.2])
    score_col.metric("Score (first answers)", f"{right} / {len(questions)}")
    answered_col.metric("Answered", f"{answered} of {len(questions)}")
    button_col.button(
        "New quiz",
        on_click=new_quiz,
        icon=":material/shuffle:",
        help="Another quiz number, other questions.",
    )
    with st.expander("Take this quiz with a class: a code for the room and a live board"):
        views.class_panel(seed)


def first_answers(results: dict) -> tuple[int, int]:
    """How many questions have a first answer, and how many of those were right."""
    answered = sum(1 for r in results.values() if r["first"] is not None)
    right = sum(1 for r in results.values() if r["first"])
    return answered, right


def question_card(seed: int, index: int, question, result: dict | None) -> None:
    """One question: its prompt (and set picture), the answer widget, Check and the feedback."""
    key = answer_key(seed, index)
    with st.container(border=True):
        st.markdown(f"**Question {index + 1}.** {question.prompt}")
        if question.kind == "sets":
            st.plotly_chart(
                cached.set_grid_figure(
                    question.shape, question.shown_spec, question.element, height=300
                ),
                config=CHART,
                key=f"{key}:grid",
            )
            st.caption(
                "Rows: samples n; columns: channels c; each tile is one H × W map. Each colour "
                "is one set of numbers that share a mean and variance; the outlined set holds "
                "the marked element."
            )
        if question.multi:
            st.pills(
                "Your answer (choose all that apply)",
                question.options,
                selection_mode="multi",
                format_func=question.label,
                key=key,
                persist_state="session",  # answers stay while the learner visits other pages
            )
        else:
            st.radio(
                "Your answer",
                question.options,
                index=None,
                format_func=question.label,
                key=key,
                persist_state="session",
                horizontal=True,
            )
        st.button("Check", key=f"{key}:check", on_click=check, args=(seed, index))
        if result is not None:
            feedback_message(result["feedback"])


def feedback_message(feedback) -> None:
    if not feedback.answered:
        st.info(feedback.message)
    elif feedback.correct:
        st.success(feedback.message, icon=":material/check_circle:")
    else:
        st.error(feedback.message, icon=":material/cancel:")


def done_message(seed: int, questions: list, results: dict) -> None:
    answered, right = first_answers(results)
    if answered == len(questions):
        st.success(
            f"Done: {right} of {len(questions)} right at the first try. Press **New quiz** for "
            f"more, or share the link with `quiz={seed}`."
        )


ui.current_input("quiz")  # the sidebar's input is not used: quiz shapes come from the quiz number
class_session()
seed = quiz_number()
questions = cached.quiz_questions(seed)
results = st.session_state.setdefault("quiz:results", {}).setdefault(seed, {})

score_row(seed, questions, results)
for index, question in enumerate(questions):
    question_card(seed, index, question, results.get(index))
done_message(seed, questions, results)

bound.write({QUIZ.name: seed}, [QUIZ], keep_default=True)  # a class shares the number
