"""Showing text that a user or a link supplied: always literally, never as Markdown.

Streamlit renders the body of ``st.warning``/``st.info``/``st.markdown`` as
Markdown (links, images, bold, ``:color[...]`` directives, ``$`` maths). A
value echoed from a URL or a file name must not become any of those, so every
echo goes through :func:`literal`: truncated, on one line, and with every ASCII
punctuation character backslash-escaped (CommonMark escapes any of them).
"""

from __future__ import annotations

import re
import string

ECHO_LIMIT = 60  # characters of a user's value that a message repeats
_PUNCTUATION = frozenset(string.punctuation)
_AUTOLINK = re.compile(r":/|(?i:www)\.|@")


def truncated(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` as one line of at most `limit` characters (an ellipsis marks a cut)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def literal(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` truncated and escaped so that Markdown shows it character for character.

    >>> literal("**x**[y](e)")
    '\\\\*\\\\*x\\\\*\\\\*\\\\[y\\\\]\\\\(e\\\\)'
    >>> literal("a" * 100, limit=5)
    'aaaa…'
    >>> "://" in literal("http://e").replace("\\\\", "")  # a bare URL is broken up
    False
    """
    # Escapes do not stop GFM's autolinks (Streamlit turns http://…, www.… and
    # a@b.c in text into links): a zero-width space breaks each such pattern.
    text = _AUTOLINK.sub(
        lambda m: m.group(0)[:-1] + "\u200b" + m.group(0)[-1], truncated(value, limit)
    )
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)
