"""The class board's figure, for every kind of question the quiz generates."""

from __future__ import annotations

import pytest

from normapp.classroom import quiz


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


def test_the_board_shows_the_grid_of_every_which_method_question(tmp_path, monkeypatch):
    """Issue 24.11: "Which method is it?" questions had no figure on the board."""
    from tests import conftest

    monkeypatch.setenv("NORMAPP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NORMAPP_CLASS_DB", raising=False)
    board = conftest.open_page("pages/quiz.py")
    board.button(key="class:start").click().run()
    assert not board.exception
    questions = quiz.make_quiz(quiz.QUIZ_NUMBER.param.default)  # the session of the page as opened
    grids = {c.key for c in board.get("plotly_chart") if c.key and c.key.startswith("board:grid:")}
    expected = {f"board:grid:{i}" for i, q in enumerate(questions) if q.kind == "sets"}
    assert expected and grids == expected
    for question in questions:
        if question.kind == "sets":
            assert "each colour is one set" not in question.prompt


def test_the_grey_legend_counts_the_other_sets_it_shows():
    """Issue 24.11: "other sets (16 shown)" when 15 other sets (and the selected one) showed."""
    import numpy as np

    import normlib
    from normapp import figures

    shape = (8, 4, 4, 4)
    ids = normlib.set_ids(shape, normlib.NormSpec("HW"))  # 32 sets: over the palette's size
    fig = figures.set_grid_figure(ids, selected=(0, 0, 0, 0), max_tiles=4)
    shown = np.unique(ids[:4, :4])  # the tiles drawn: 4 samples × 4 channels
    names = [t.name for t in fig.data if t.name and t.name.startswith("other sets")]
    assert names == [f"other sets ({shown.size - 1} shown)"]
