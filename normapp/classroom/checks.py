"""What a class quiz's store is sent, checked before the database sees it.

A class code, a student id, a question number and a choice come from a link or a page's
widgets, so from anyone: each is checked here against the session's quiz, and a refusal is a
ClassStoreError whose message says what was wrong and what to do, echoing at most ECHO_CHARS
of the text sent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from normapp.classroom.quiz import QUIZ_SEED_MAX, Question
from normapp.links.literal import truncated

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O lookalikes of 1 and 0
CODE_LENGTH = 6
STUDENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# How much of a user's text an error message echoes back.
ECHO_CHARS = 40


class ClassStoreError(ValueError):
    """What the user did wrong and what to do about it; safe to show as it is."""


def echo(text: object) -> str:
    """User-supplied text for a message: visible (a NUL shows as ⟨U+0000⟩), at most
    ECHO_CHARS characters; plain text, escaped where it is shown."""
    return truncated(text, ECHO_CHARS)


def normalize_code(code: str) -> str:
    """A code as the store keeps it: spaces and dashes dropped, upper case.

    Raises ClassStoreError when it is not 6 letters of CODE_ALPHABET.
    """
    normalized = re.sub(r"[\s-]+", "", str(code)).upper()
    if len(normalized) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in normalized):
        raise ClassStoreError(
            f"'{echo(code)}' is not a class code: a code is {CODE_LENGTH} letters "
            "(no I or O), like ABCDEF. Check the code or ask the lecturer for the link."
        )
    return normalized


def is_student_id(student_id: object) -> bool:
    """Whether `student_id` has the form of an id a session issues (any text a link carried)."""
    return isinstance(student_id, str) and STUDENT_ID_PATTERN.fullmatch(student_id) is not None


def check_student_id(student_id: str) -> None:
    if not is_student_id(student_id):
        raise ClassStoreError(
            f"The student id '{echo(student_id)}' is not valid: it must be 16 to 64 letters, "
            "digits, '-' or '_'. Reload the page to get a new one."
        )


def check_question_index(question: object, quiz: Sequence[Question]) -> int:
    if not isinstance(question, int) or isinstance(question, bool):
        raise ClassStoreError(
            f"The question number must be a whole number from 0 to {len(quiz) - 1}, "
            f"not {echo(repr(question))}. Reload the page."
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
                f"'{echo(key)}' is not an option of question {number}. Reload the page."
            )
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise ClassStoreError(
            f"Option '{echo(repeated[0])}' is chosen twice in the answer to question "
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


def check_quiz_seed(quiz_seed: object) -> int:
    if (
        not isinstance(quiz_seed, int)
        or isinstance(quiz_seed, bool)
        or not 0 <= quiz_seed <= QUIZ_SEED_MAX
    ):
        raise ClassStoreError(
            f"The quiz seed must be a whole number from 0 to {QUIZ_SEED_MAX}, "
            f"not {echo(repr(quiz_seed))}: pick another seed."
        )
    return quiz_seed


def answers_closed(number: int) -> ClassStoreError:
    """The refusal of an answer to question `number`, whose answer the lecturer revealed."""
    return ClassStoreError(
        f"Question {number}'s answer is revealed; answers are closed. "
        "Your earlier answer, if any, is kept."
    )
