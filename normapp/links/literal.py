"""Showing text that a user or a link supplied: always literally, never as Markdown.

Streamlit renders the body of ``st.warning``/``st.info``/``st.markdown`` as
Markdown (links, images, bold, ``:color[...]`` directives, ``$`` maths). A
value echoed from a URL or a file name must not become any of those, so every
echo goes through :func:`literal`: truncated, on one line, control and bidirectional
characters made visible, and every ASCII punctuation character backslash-escaped (CommonMark
escapes any of them). Messages are composed as plain text (parsers quote values with
:func:`quoted`) and escaped once, where they are shown: escaped twice, the backslashes showed.
"""

from __future__ import annotations

import re
import string
import unicodedata

ECHO_LIMIT = 60  # characters of a user's value that a message repeats
_PUNCTUATION = frozenset(string.punctuation)
_AUTOLINK = re.compile(r":/|(?i:www)\.|@")


def visible(value: object) -> str:
    r"""`value` with every control and format character shown as ⟨U+XXXX⟩.

    A right-to-left override (U+202E) in a link's value reversed the app's own sentence
    around it, and a NUL or a zero-width character was invisible; here each becomes
    readable text, so what a learner reads is what the link carried.

    >>> visible("\u202eBatchNorm a\x00b")
    '⟨U+202E⟩BatchNorm a⟨U+0000⟩b'
    """
    return "".join(
        f"⟨U+{ord(ch):04X}⟩" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in str(value)
    )


def truncated(value: object, limit: int = ECHO_LIMIT) -> str:
    """`value` as one visible line of at most `limit` characters (an ellipsis marks a cut)."""
    text = visible(" ".join(str(value).split()))
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


QUOTE_LIMIT = 120  # a parser's message quotes this much (the whole message is cut at 200)


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A user's value inside a parser's message: 'value', visible and truncated, not escaped.

    Messages are plain text; whatever shows one as Markdown escapes it once (literal).
    """
    return f"'{truncated(value, limit)}'"


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
