"""Showing text that a user or a link supplied: always literally, never as Markdown.

Streamlit renders the body of ``st.warning``/``st.info``/``st.markdown`` as
Markdown (links, images, bold, ``:color[...]`` directives, ``$`` maths). A
value echoed from a URL or a file name must not become any of those, so every
echo goes through :func:`literal`: truncated, on one line, and with every ASCII
punctuation character backslash-escaped (CommonMark escapes any of them).
"""

from __future__ import annotations

import string

ECHO_LIMIT = 60  # characters of a user's value that a message repeats
_PUNCTUATION = frozenset(string.punctuation)


def truncated(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` as one line of at most `limit` characters (an ellipsis marks a cut)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def literal(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` truncated and escaped so that Markdown shows it character for character.

    >>> literal("**x**[y](http://e)")
    '\\\\*\\\\*x\\\\*\\\\*\\\\[y\\\\]\\\\(http\\\\:\\\\/\\\\/e\\\\)'
    >>> literal("a" * 100, limit=5)
    'aaaa…'
    """
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in truncated(value, limit))
