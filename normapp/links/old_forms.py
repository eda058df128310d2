"""Older link forms, rewritten in the form the bound widgets read (no Streamlit here).

Before the widgets were bound to the URL, links named choices by key
(``source=random``, ``method=layernorm``, ``tab=stats``, ``mates=noise``) and a set of axes as
one word (``axes=NHW``). Bound widgets read labels and one key per choice.
The server redirects an older link to its current form before the page
loads (normapp/links/sitemap.py), so the address bar, and any link copied from
it, reproduces the view; normapp/links/bound.py reads the older forms too, for
links followed inside a session. A page whose controls are declared in a table
(sitemap.PAGE_TABLES) has its older names and forms rewritten from the table's rows; LABELS
covers the choices of the others (the sidebar's source).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from normapp.links import params
from normapp.links.table import Control, Table

# Choice parameters of pages without a table: each key's current form is its label.
LABELS = {"source": params.SOURCES}
# A toggle's older 1/0 (center=0), true/false today.
_TOGGLE_WORDS = {"1": "true", "0": "false"}


def current_form(query: str, table: Table | None = None) -> str | None:
    """`query` with older forms rewritten, or None when nothing is older.

    `table` is the page's, when its controls are declared in one: its older names are
    renamed and its choices written as labels, one key per choice of a multi-select.

    >>> from normapp.explorer.controls import TABLE
    >>> current_form("source=random&axes=NHW&n=4", TABLE)
    'source=Random+tensor&axes=N&axes=H&axes=W&n=4'
    >>> current_form("method=layernorm&tab=cube&center=0", TABLE)
    'method=LayerNorm&tab=GN-paper+cube&center=false'
    >>> current_form("axes=N&axes=C&source=Random+tensor", TABLE)
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    if table is not None:
        renamed = table.renamed
        given = {name for name, _ in pairs}
        pairs_now = [
            (renamed[name] if name in renamed and renamed[name] not in given else name, value)
            for name, value in pairs
        ]
        names = set(table.names)
        rewritten = [
            new
            for name, value in pairs_now
            for new in (
                _current_in_table(table[name], value) if name in names else _current(name, value)
            )
        ]
        return urlencode(rewritten) if rewritten != pairs else None
    rewritten = [new for name, value in pairs for new in _current(name, value)]
    return urlencode(rewritten) if rewritten != pairs else None


def _current(name: str, value: str) -> list[tuple[str, str]]:
    if name in LABELS:
        by_key = {key.lower(): label for key, label in LABELS[name].items()}
        return [(name, by_key.get(value.strip().lower(), value))]
    return [(name, value)]


def _current_in_table(control: Control, value: str) -> list[tuple[str, str]]:
    """A table row's value as its widget reads it: a choice's label, one key per choice.

    >>> from normapp.lab.controls import TABLE
    >>> _current_in_table(TABLE["norms"], "batchnorm,GroupNorm")
    [('norms', 'BatchNorm2d'), ('norms', 'GroupNorm')]
    >>> _current_in_table(TABLE["norms"], "batchnorm,<b>x</b>")  # left for the page to refuse
    [('norms', 'batchnorm,<b>x</b>')]
    """
    labels = control.url_labels
    if isinstance(control.param.default, bool) and value in _TOGGLE_WORDS:
        return [(control.name, _TOGGLE_WORDS[value])]
    if labels is None:
        return [(control.name, value)]
    by_text = {str(key).lower(): label for key, label in labels.items()}
    by_text.update({label.lower(): label for label in labels.values()})
    parts = [value]
    if control.multi:  # joined by the joiner, or (axes=NHW) one letter each
        parts = value.split(control.joiner) if control.joiner else list(value)
    if not parts or not all(part.strip().lower() in by_text for part in parts):
        return [(control.name, value)]
    return [(control.name, by_text[part.strip().lower()]) for part in parts]
