"""The Quiz page through AppTest: same seed same quiz, answers, score, new quiz, bad links.

Each test runs the default page once (AppTest's switch_page needs it to resolve the
url paths), then opens the quiz with its link parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from normapp.classroom import quiz
from tests import conftest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/quiz.py"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return conftest.open_page(PAGE, query)


def answer(at: AppTest, seed: int, index: int, response) -> None:
    question = quiz.make_quiz(seed)[index]
    key = f"quiz:{seed}:{index}"
    widget = at.button_group(key=key) if question.multi else at.radio(key=key)
    widget.set_value(response)
    at.button(key=f"{key}:check").click().run()
    assert not at.exception, [e.value for e in at.exception]


def prompts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Question ")]


@pytest.mark.slow
def test_link_gives_the_same_questions_in_the_same_order():
    at = open_page({"quiz": "42"})
    expected = [f"**Question {i + 1}.** {q.prompt}" for i, q in enumerate(quiz.make_quiz(42))]
    assert prompts(at) == expected
    assert at.query_params["quiz"] == "42"
    assert [m.value for m in at.metric] == ["0 / 6", "0 of 6"]
    assert len(at.get("plotly_chart")) == 2  # the two "which method" pictures
    default = open_page()
    assert default.query_params["quiz"] == "1"
    assert prompts(default) == [
        f"**Question {i + 1}.** {q.prompt}" for i, q in enumerate(quiz.make_quiz(1))
    ]


@pytest.mark.slow
def test_answering_everything_right_scores_six():
    at = open_page({"quiz": "7"})
    for index, question in enumerate(quiz.make_quiz(7)):
        response = sorted(question.answer) if question.multi else next(iter(question.answer))
        answer(at, 7, index, response)
    assert len(at.success) == 7  # six answers and the closing message
    assert all(m.value.startswith("Correct.") for m in at.success[:6])
    assert "Done: 6 of 6" in at.success[-1].value
    assert [m.value for m in at.metric] == ["6 / 6", "6 of 6"]


@pytest.mark.slow
def test_wrong_first_answer_is_explained_and_counts():
    at = open_page({"quiz": "3"})
    questions = quiz.make_quiz(3)
    index, question = next((i, q) for i, q in enumerate(questions) if not q.multi)
    at.button(key=f"quiz:3:{index}:check").click().run()
    assert at.info[0].value == "Choose an answer first."
    assert [m.value for m in at.metric] == ["0 / 6", "0 of 6"]
    (right,) = question.answer
    wrong = next(k for k in question.options if k != right)
    answer(at, 3, index, wrong)
    assert question.explanation in at.error[0].value
    assert question.label(right) in at.error[0].value
    answer(at, 3, index, right)
    assert at.success[0].value.startswith("Correct.")
    assert [m.value for m in at.metric] == ["0 / 6", "1 of 6"]
    multi_index = next(i for i, q in enumerate(questions) if q.kind == "train_eval")
    answer(at, 3, multi_index, ["batchnorm"])
    assert "Not quite" in " ".join(e.value for e in at.error)


def test_new_quiz_changes_the_seed_and_the_link():
    at = open_page({"quiz": "5"})
    answer(at, 5, 0, sorted(quiz.make_quiz(5)[0].answer)[0])
    at.button[0].click().run()
    assert not at.exception
    seed = int(at.query_params["quiz"])
    assert seed != 5
    assert prompts(at)[0] == f"**Question 1.** {quiz.make_quiz(seed)[0].prompt}"
    assert [m.value for m in at.metric] == ["0 / 6", "0 of 6"]


def test_bad_quiz_numbers_warn_and_fall_back():
    for bad in ("abc", "-5", "10000000", "1.5"):
        at = open_page({"quiz": bad})
        warning = conftest.shown(" ".join(w.value for w in at.warning))
        assert f"quiz={bad}" in warning and "Using the default, quiz=1" in warning
        assert at.query_params["quiz"] == "1"


@pytest.mark.parametrize("value", ["**x**[y](http://evil.example)", "7" * 20_000])
def test_hostile_quiz_values_are_echoed_literally_and_short(value):
    at = open_page({"quiz": value})
    (warning,) = [w.value for w in at.warning]
    assert "quiz" in warning and len(warning) < 600
    outside_code = warning.split("`")[-1]  # after the code span that quotes the link
    assert "**x**" not in outside_code and "](http" not in outside_code
    assert at.query_params["quiz"] == "1"


def test_answers_and_score_survive_a_page_switch():
    at = open_page({"quiz": "11"})
    question = quiz.make_quiz(11)[0]
    response = sorted(question.answer) if question.multi else next(iter(question.answer))
    answer(at, 11, 0, response)
    at.switch_page("../pages/question.py").run()
    at.switch_page("../" + PAGE).run()
    assert not at.exception
    assert at.query_params["quiz"] == "11"
    assert [m.value for m in at.metric] == ["1 / 6", "1 of 6"]
    assert at.success[0].value.startswith("Correct.")


def test_a_followed_quiz_link_resets_the_quiz_and_keeps_other_pages_choices():
    """A link to another quiz, followed inside the session, replaces the quiz's answers.

    Before the fix the quiz reset the widgets prefixed "q:" while its own keys are
    "quiz:*": the old answer stayed, and the Question page's "q:live" toggle went.
    """
    at = open_page({"quiz": "7"})
    question = quiz.make_quiz(7)[0]
    response = sorted(question.answer) if question.multi else next(iter(question.answer))
    answer(at, 7, 0, response)
    at.session_state["q:live"] = True  # the Question page's "run PyTorch now" toggle
    at.query_params.clear()
    at.query_params["quiz"] = "8"  # a link followed in the same session
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert prompts(at) == [
        f"**Question {i + 1}.** {q.prompt}" for i, q in enumerate(quiz.make_quiz(8))
    ]
    assert [m.value for m in at.metric] == ["0 / 6", "0 of 6"]
    assert "quiz:7:0" not in at.session_state
    assert at.session_state["q:live"] is True
