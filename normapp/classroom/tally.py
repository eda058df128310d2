"""The lecturer's board's counts: how a class answered each question of its session's quiz."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from normapp.classroom.database import class_answers, students_joined
from normapp.classroom.quiz import Question


@dataclass(frozen=True)
class QuestionTally:
    """The class's answers to one question."""

    answered: int  # students who answered it
    by_option: dict[str, int]  # every option key: students whose answer includes it
    by_answer: dict[tuple[str, ...], int]  # exact answer (keys in option order) → students
    correct: int  # answers equal to the question's marked answer
    students_joined: int  # students the session issued an id to (who opened the join link)
    students_answered: int  # distinct students with any answer in the session


def read_tallies(
    conn: Connection, code: str, quiz: Sequence[Question]
) -> tuple[QuestionTally, ...]:
    """One tally per question of `quiz` from session `code`'s answers, in quiz order."""
    counts = (
        sa.select(class_answers.c.question, class_answers.c.choice, sa.func.count())
        .where(class_answers.c.code == code)
        .group_by(class_answers.c.question, class_answers.c.choice)
    )
    answered = sa.select(sa.func.count(sa.distinct(class_answers.c.student_id))).where(
        class_answers.c.code == code
    )
    rows = conn.execute(counts).all()
    answered_count = conn.execute(answered).scalar() or 0
    joined_count = conn.execute(students_joined(code)).scalar() or 0
    by_question: list[dict[tuple[str, ...], int]] = [{} for _ in quiz]
    for number, choice, count in rows:
        if 0 <= number < len(quiz):
            by_question[number][tuple(choice.split(","))] = count
    return tuple(
        tally(question, by_answer, joined_count, answered_count)
        for question, by_answer in zip(quiz, by_question, strict=True)
    )


def tally(
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
