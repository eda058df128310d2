"""Quiz: questions made from a quiz number, so a whole class can take the same quiz."""

import streamlit as st

from normapp import cached, figures, ui
from normapp.classroom import class_quiz, quiz, views
from normapp.links import bound

(QUIZ,) = quiz.QUIZ_PARAMS
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


ui.current_input("quiz")  # the sidebar's input is not used: quiz shapes come from the quiz number
# A class session's link: a student's quiz, or with the session's secret the lecturer's board.
class_code = st.query_params.get(class_quiz.CODE_PARAM)
if class_code is not None:
    bound.write({}, (), drop=["quiz"])  # the session knows its quiz number
    bound.show_messages()  # e.g. a class code given twice
    secret = st.query_params.get(class_quiz.KEY_PARAM)
    if secret is None:
        views.student_view(class_code)
    else:
        views.board_view(class_code, secret)
    st.stop()
# The quiz number is no widget (New quiz draws one): read from a link that brings a new one.
followed = bound.followed(QUIZ)
if followed is not None:
    # Another quiz: the answers of the last one go (the Question page's q:* keys stay).
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("quiz:")]:
        del st.session_state[key]
    st.session_state["quiz:seed"], message = followed
    bound.add_messages([message] if message else [])
bound.show_messages()
seed = int(st.session_state.setdefault("quiz:seed", QUIZ.default))
questions = cached.quiz_questions(seed)
results = st.session_state.setdefault("quiz:results", {}).setdefault(seed, {})

st.title("Quiz")
st.markdown(
    f"**Quiz number {seed}.** Everyone who opens a link with `quiz={seed}` gets the same "
    f"{len(questions)} questions in the same order; the shapes come from the quiz number. "
    "Check each answer to see why it is right or wrong."
)
answered = sum(1 for r in results.values() if r["first"] is not None)
right = sum(1 for r in results.values() if r["first"])
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

for index, question in enumerate(questions):
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
        result = results.get(index)
        if result is not None:
            feedback = result["feedback"]
            if not feedback.answered:
                st.info(feedback.message)
            elif feedback.correct:
                st.success(feedback.message, icon=":material/check_circle:")
            else:
                st.error(feedback.message, icon=":material/cancel:")

if answered == len(questions):
    st.success(
        f"Done: {right} of {len(questions)} right at the first try. Press **New quiz** for more, "
        f"or share the link with `quiz={seed}`."
    )

bound.write({"quiz": seed}, [QUIZ], keep_default=True)  # a class shares the number
