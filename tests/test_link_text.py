"""A link's text in the app's messages reads exactly as the link carried it (issue 24.8).

The reader's text is the Markdown source with one level of escapes removed (conftest.shown,
what a Markdown renderer does): a value escaped twice showed its backslashes
(``\\<script\\>``), and a right-to-left override reversed the app's own sentence around it.
"""

from __future__ import annotations

import pytest

from normapp import text
from tests import conftest

CASES = [
    ("pages/compare.py", "methods", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("pages/lab.py", "norms", "**bold**", "**bold**"),
    ("pages/lab.py", "lr", "-0", "-0"),
    ("pages/explorer.py", "method", "\u202eBatchNorm", "⟨U+202E⟩BatchNorm"),
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
    assert text.visible("a\tb\u200fc\u2028d") == "a⟨U+0009⟩b⟨U+200F⟩c⟨U+2028⟩d"
    assert text.visible("ünïcödé 正常 😀") == "ünïcödé 正常 😀"  # printable text is kept
    assert text.quoted("x" * 100, 10) == "'xxxxxxxxx…'"
