"""The exploring class of benchmarks/bench_class.py: every view new, and every one a view
the app opens as asked (no refused value, no exception), on every page it explores."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from tests.conftest import open_page
from tests.support.classroom import EXPLORED_PAGES, exploring_classroom

PAGE_FILES = {
    "": "pages/explorer.py",
    "compare": "pages/compare.py",
    "batch": "pages/batch.py",
    "train-eval": "pages/train_eval.py",
    "quiz": "pages/quiz.py",
    "question": "pages/question.py",
}


def test_no_view_is_asked_twice_within_a_load_or_across_loads():
    loads = [exploring_classroom(30, 4, seed) for seed in range(3)]
    views = [view for load in loads for student in load for view in student]
    assert len(views) == 3 * 30 * 4
    assert len(set(views)) == len(views)
    assert {view.page for view in views} == set(EXPLORED_PAGES)


@pytest.mark.parametrize("page", EXPLORED_PAGES)
def test_each_explored_view_opens_as_asked(page):
    student = exploring_classroom(len(EXPLORED_PAGES), 1, seed=4)
    view = next(v for [v] in student if v.page == page)
    asked = parse_qs(view.query)
    sidebar = {k: asked.pop(k) for k in ("source", "shape", "seed") if k in asked}
    at = open_page(PAGE_FILES[page], asked, sidebar)
    refused = [w.value for w in at.warning if "cannot be used" in w.value or "kept" in w.value]
    assert not refused, (view, refused)
    if page != "quiz":  # the quiz has no input; every other page loaded the view's own tensor
        shape = sidebar["shape"][0].replace("x", ", ")
        assert any(f"shape ({shape})" in c.value for c in at.sidebar.caption), view
