"""The class board's figure, for every kind of question the quiz generates."""

from __future__ import annotations

import pytest

from normapp import quiz


# ------------------------------------------ the class board draws every kind of question
def _one_question_per_kind() -> dict[str, quiz.Question]:
    kinds: dict[str, quiz.Question] = {}
    for seed in range(40):
        for question in quiz.make_quiz(seed):
            kinds.setdefault(question.kind, question)
    return kinds


@pytest.mark.parametrize("kind", ["sets", "keras", "count", "train_eval"])
@pytest.mark.parametrize("revealed", [False, True])
def test_the_board_draws_every_option_as_a_labelled_category(kind, revealed):
    """Issue 24.2: options 401,408 / 25,088 / 12,544 / 16 were placed on a number line: three
    slivers near 0, and the right one (12,544, 2 votes) off the chart after Reveal."""
    from normapp import figures

    question = _one_question_per_kind()[kind]
    labels = [question.label(k) for k in question.options]
    tally = [0, 2, 5, 1][: len(labels)] + [3] * (len(labels) - 4)  # the test's own tally
    right = [k in question.answer for k in question.options] if revealed else None
    fig = figures.board_figure(labels, tally, sum(tally), right)
    (bar,) = fig.data
    assert fig.layout.yaxis.type == "category"
    shown = [
        f"✓ {label}" if right and ok else label
        for label, ok in zip(labels, right or [False] * len(labels), strict=True)
    ]
    assert list(bar.y) == shown and list(fig.layout.yaxis.categoryarray) == shown
    assert list(bar.x) == tally  # every option drawn, 0 votes included
    assert [t.split(" ")[0] for t in bar.text] == [str(n) for n in tally]
    if revealed:
        assert sum(y.startswith("✓ ") for y in bar.y) == len(question.answer)
