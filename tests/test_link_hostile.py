"""Hostile links under AppTest: every page, every link parameter, every hostile value.

The text half of test_browser_hostile_links.py (issue 7 items 4, 5, 8, 9): whatever a link
holds, each page's run raises nothing, names every parameter it ignored (``name=``), echoes
the value as plain text (in the Markdown source the app sends, nothing of the value is left
to become a link, an image, bold, a code span, HTML, a colour or maths directive, or an
autolink) and short, and finishes within a few times its default view's run. AppTest reads
the Markdown source; conftest.shown gives the text a reader sees (one level of escapes
removed). How the browser draws such messages (no link, image, bold, colour or maths in the
page, control characters made visible, a long value a few lines high, nothing fetched from
another host) is checked there, on one link per page that carries every kind of value.
"""

from __future__ import annotations

import functools
import re
import time

import pytest

from tests import conftest
from tests.test_browser_hostile_links import (
    ACCEPTS,
    BUDGET_FLOOR_S,
    CONTROLS,
    HOSTILE,
    PAGES,
    SIDEBAR,
    SLOWDOWN,
    hostile_link,
    names,
)

pytestmark = pytest.mark.slow  # 49 runs of every page, some seconds each

SCRIPTS = {path: f"pages/{(path.strip('/') or 'explorer').replace('-', '_')}.py" for path in PAGES}
# What each kind of value would make of a message echoing it as is (outside its escapes).
RAW = {
    "markdown": ("**", "](", "![", ":red[", "$x$"),
    "backtick": ("`", "**", "]("),
    "html": ("<img", "<a", "</a>"),
    "controls": CONTROLS,  # each shown as ⟨U+XXXX⟩ (literal.visible)
}
# A backslash-escaped ASCII punctuation character: CommonMark shows the character itself.
ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
MESSAGE_CHARS = 600  # a few lines: item 9's 20,000 letters made an 11,240-px warning


def messages(at) -> list[str]:
    """Every message on the page (main area and sidebar), as Markdown source."""
    return [m.value for m in [*at.warning, *at.error, *at.info, *at.success]]


def open_timed(path: str, link: dict[str, str]):
    start = time.monotonic()
    at = conftest.open_page(SCRIPTS[path], link)
    return at, time.monotonic() - start


@functools.cache
def default_seconds(path: str) -> float:
    """How long the page's default view takes under AppTest here: the yardstick."""
    return open_timed(path, {})[1]


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("path", list(PAGES))
def test_every_parameter_set_to_a_hostile_value_is_named_and_echoed_as_text(path, kind):
    params = SIDEBAR + PAGES[path]
    link = hostile_link(params, lambda _: kind)
    budget = max(BUDGET_FLOOR_S, SLOWDOWN * default_seconds(path))
    at, seconds = open_timed(path, link)
    assert seconds <= budget, f"{path} took {seconds:.1f} s (budget {budget:.0f} s)"
    said = messages(at)
    reader = "\n".join(conftest.shown(m) for m in said)
    expected = [name for name in params if name not in ACCEPTS.get(kind, ())]
    unnamed = [name for name in expected if not names(reader, name)]
    assert not unnamed, f"no message names {unnamed}; messages: {reader[:2000]}"
    for message in said:
        plain = ESCAPED.sub("", message)  # what is left for Markdown to act on
        for raw in RAW.get(kind, ()):
            assert raw not in plain, f"{raw!r} reaches Markdown unescaped: {message[:400]}"
        assert "://" not in message.replace("\\", ""), f"an autolink: {message[:400]}"
        assert len(message) < MESSAGE_CHARS, f"a message of {len(message)} characters"
    if kind == "controls":
        assert "⟨U+202E⟩" in reader, "a control character is not made visible"
    if len(HOSTILE[kind]) > 1000:
        assert HOSTILE[kind][:1000] not in reader, "a long value is echoed whole"


# Out of range for the input the link loads, although each part parses.
OUT_OF_SHAPE = [
    ("/", {"pick": "99,99,99,99"}, "pick"),
    ("/compare", {"pick": "99,99,99,99"}, "pick"),
    ("/batch", {"sample": "63", "channel": "63"}, "sample"),
    ("/batch", {"sample": "63", "channel": "63"}, "channel"),
    ("/train-eval", {"bsize": "64"}, "bsize"),
]


@pytest.mark.parametrize(("path", "link", "name"), OUT_OF_SHAPE)
def test_a_value_outside_the_input_gets_a_message(path, link, name):
    """Issue 7 item 8: /?pick=99,99,99,99 silently became 7,2,31,31."""
    at, _ = open_timed(path, link)
    reader = "\n".join(conftest.shown(m) for m in messages(at))
    assert names(reader, name), f"no message names {name}; messages: {reader[:1000]}"
