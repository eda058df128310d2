"""A link's text in the app's messages reads exactly as the link carried it (issue 24.8).

The reader's text is the Markdown source with one level of escapes removed (conftest.shown,
what a Markdown renderer does): a value escaped twice showed its backslashes
(``\\<script\\>``), and a right-to-left override reversed the app's own sentence around it.
"""

from __future__ import annotations

import pytest

from normapp.links import literal
from tests import conftest

CASES = [
    ("pages/compare.py", "methods", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("pages/lab.py", "norms", "**bold**", "**bold**"),
    ("pages/lab.py", "lr", "-0", "-0"),
    ("pages/explorer.py", "method", "\u202eBatchNorm", "⟨U+202E⟩BatchNorm"),
    ("pages/explorer.py", "show", "`grid` **x**", "`grid` **x**"),  # the presenter's figure
    # Today's form of methods, one key per method: a bad one is named as the link wrote it.
    ("pages/compare.py", "methods", ["BatchNorm", "\u2066**x**"], "BatchNorm, ⟨U+2066⟩**x**"),
    ("pages/quiz.py", "class", "AB\x00CDE", "AB⟨U+0000⟩CDE"),
    ("pages/batch.py", "mates", "a\u2066b`c`\\d", "a⟨U+2066⟩b`c`\\d"),
]


@pytest.mark.parametrize(("page", "name", "value", "reads"), CASES)
def test_a_links_value_reads_exactly_as_typed_with_controls_made_visible(page, name, value, reads):
    at = conftest.open_page(page, {name: value})
    messages = [m.value for m in [*at.warning, *at.error]]
    assert messages, "the bad value gets a message"
    reader = " ".join(conftest.shown(m) for m in messages)
    assert reads in reader, reader
    source = " ".join(messages)
    assert not any(ch in source for ch in "\u202e\u2066\x00"), "no raw control character"


def test_visible_names_every_control_and_format_character():
    assert literal.visible("a\tb\u200fc\u2028d") == "a⟨U+0009⟩b⟨U+200F⟩c⟨U+2028⟩d"
    assert literal.visible("ünïcödé 正常 😀") == "ünïcödé 正常 😀"  # printable text is kept
    assert literal.quoted("x" * 100, 10) == "'xxxxxxxxx…'"


# ------------------------------- one rule for a parameter given more than once (issue 24.9)
@pytest.mark.parametrize(
    ("page", "name", "values", "used"),
    [
        ("pages/lab.py", "tbatch", ["2", "4", "8"], "8"),
        ("pages/quiz.py", "class", ["AAAAAA", "BBBBBB"], "BBBBBB"),
        ("pages/compare.py", "pick", ["1,1,1,1", "0,1,2,3"], "0,1,2,3"),
        ("pages/batch.py", "shuffle", ["5", "6"], "6"),
    ],
)
def test_a_repeated_parameter_uses_its_last_value_says_so_and_is_given_once(
    page, name, values, used
):
    at = conftest.open_page(page, {name: values})
    said = [conftest.shown(m.value) for m in [*at.warning, *at.error]]
    expected = f"Link parameter {name} was given {len(values)} times"
    assert sum(expected in m for m in said) == 1, said
    assert f"so the last, {name}={used}, is used" in " ".join(said)
    assert at.query_params.get(name) in (used, [used], None)  # once, or the default dropped


@pytest.mark.slow
def test_a_refused_value_is_reported_once_however_often_the_page_reruns():
    at = conftest.open_page("pages/explorer.py", sidebar={"source": "random", "seed": "-1"})
    said = [conftest.shown(w.value) for w in at.warning]
    assert sum("seed=-1 was ignored" in m for m in said) == 1, said


@pytest.mark.slow
def test_axes_may_be_repeated_and_a_repeated_axis_is_named():
    at = conftest.open_page("pages/explorer.py", {"axes": ["C", "H", "W"]})
    assert not at.warning and sorted(at.pills(key="axes").value) == ["C", "H", "W"]
    at = conftest.open_page("pages/explorer.py", {"axes": ["N", "N", "N"]})
    assert any("appears more than once" in conftest.shown(w.value) for w in at.warning)
